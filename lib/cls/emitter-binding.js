'use strict';
// bindEmitter: one patch per emitter, shared by every namespace (and copy of this package) that
// binds it. Each listener added afterwards is wrapped in a function that remembers, for every
// binding namespace, the context active when it was added; `wrapper.listener` is the original,
// so removeListener/off/listeners()/listenerCount() keep working with it.
//
// A binder is what a namespace brings: `capture()` (its context now) and
// `call(captured, fn)` (fn run in the captured context).

// A versioned protocol name: every copy of this package finds the same patch state under it.
const EMITTER_KEY = Symbol.for('native-execution-context.cls.emitter@1');

const ReflectApply = Reflect.apply;

function defineHidden(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, configurable: true, enumerable: false });
}

// Adds `binder` to the binders of `emitter`, patching it the first time.
function bindEmitter(emitter, binder) {
  const state = emitterState(emitter);
  if (!state.binders.includes(binder)) state.binders.push(binder);
}

function emitterState(emitter) {
  let state = emitter[EMITTER_KEY];
  if (state !== undefined) return state;
  state = { binders: [] };
  defineHidden(emitter, EMITTER_KEY, state);
  const { on, addListener, prependListener, once, prependOnceListener } = emitter;
  const patch = (name, register, oneShot) => {
    const original = emitter[name];
    defineHidden(emitter, name, function (event, listener) {
      // A non-function goes to the original method, which reports it the emitter's way.
      if (typeof listener !== 'function') return ReflectApply(original, this, [event, listener]);
      return ReflectApply(register, this, [event, wrapListener(state, listener, oneShot, this, event)]);
    });
  };
  patch('on', on, false);
  patch('addListener', addListener, false);
  if (typeof prependListener === 'function') patch('prependListener', prependListener, false);
  // once/prependOnceListener register our own one-shot wrapper through the unpatched methods:
  // Node's once wrapper around ours could not be removed with the original listener.
  if (typeof once === 'function') patch('once', on, true);
  if (typeof prependOnceListener === 'function' && typeof prependListener === 'function') {
    patch('prependOnceListener', prependListener, true);
  }
  return state;
}

function wrapListener(state, listener, once, target, event) {
  const captures = [];
  for (const binder of state.binders) captures.push(binder, binder.capture());
  let fired = false;
  const wrapped = function boundListener(...args) {
    if (once) {
      if (fired) return undefined;
      fired = true;
      target.removeListener(event, wrapped);
    }
    return callCaptured(captures, 0, listener, this, args);
  };
  wrapped.listener = listener;
  return wrapped;
}

function callCaptured(captures, index, listener, thisArg, args) {
  if (index === captures.length) return ReflectApply(listener, thisArg, args);
  const binder = captures[index];
  return binder.call(captures[index + 1], () => callCaptured(captures, index + 2, listener, thisArg, args));
}

module.exports = { bindEmitter };
