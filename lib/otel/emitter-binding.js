'use strict';
// bind(context, emitter): listeners added to the emitter afterwards run with the bound context
// (OpenTelemetry's contract for ContextManager.bind on an EventEmitter). One patch per emitter,
// shared by every context manager that binds it, so a listener gets one wrapper however many
// managers bound the emitter, and `wrapper.listener` is the listener itself: Node's own
// removeListener/off/listeners()/removeAllListeners find it with no further patching.
//
// A binding is what a manager brings: `owner` (the manager; it binds an emitter once, the first
// context stays) and `run(fn, thisArg, args)` (fn called with the bound context active).

// A versioned protocol name: every copy of this package finds the same patch state under it.
const EMITTER_KEY = Symbol.for('native-execution-context.otel.emitter@1');

const ReflectApply = Reflect.apply;

function defineHidden(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, configurable: true, enumerable: false });
}

function bindEmitter(emitter, binding) {
  const state = emitterState(emitter);
  if (!state.bindings.some((existing) => existing.owner === binding.owner)) state.bindings.push(binding);
  return emitter;
}

function emitterState(emitter) {
  let state = emitter[EMITTER_KEY];
  if (state !== undefined) return state;
  state = { bindings: [] };
  defineHidden(emitter, EMITTER_KEY, state);
  const patch = (name, register, oneShot) => {
    const original = emitter[name];
    if (typeof original !== 'function' || typeof register !== 'function') return;
    defineHidden(emitter, name, function (event, listener) {
      // A non-function goes to the original method, which rejects it the emitter's way.
      if (typeof listener !== 'function') return ReflectApply(original, this, [event, listener]);
      return ReflectApply(register, this, [event, wrapListener(state, emitter, event, listener, oneShot)]);
    });
  };
  const { on, addListener, prependListener } = emitter;
  patch('on', on, false);
  patch('addListener', addListener, false);
  patch('prependListener', prependListener, false);
  // Node's once() would wrap our wrapper in its own and call the (patched) on(): a wrapper that
  // could not be found by the original listener. Ours is one-shot itself, added through the
  // unpatched methods.
  patch('once', on, true);
  patch('prependOnceListener', prependListener, true);
  return state;
}

function wrapListener(state, emitter, event, listener, oneShot) {
  const bindings = state.bindings.slice();
  let fired = false;
  const wrapper = function boundListener(...args) {
    if (oneShot) {
      if (fired) return undefined;
      fired = true;
      emitter.removeListener(event, wrapper);
    }
    return callBound(bindings, 0, listener, this, args);
  };
  wrapper.listener = listener;
  return wrapper;
}

// listener(...args) inside every binding's context, the first binding outermost.
function callBound(bindings, index, listener, thisArg, args) {
  if (index === bindings.length) return ReflectApply(listener, thisArg, args);
  if (index === bindings.length - 1) return bindings[index].run(listener, thisArg, args);
  return bindings[index].run(() => callBound(bindings, index + 1, listener, thisArg, args), undefined, []);
}

module.exports = { bindEmitter };
