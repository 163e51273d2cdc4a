'use strict';
// Binding an EventEmitter's future listeners to contexts (cls-hooked's `ns.bindEmitter`,
// OpenTelemetry's `ContextManager.bind(context, emitter)`). One patch per emitter and protocol
// key, shared by every binder and every copy of this package (the state lives on the emitter under
// the caller's registered, versioned symbol). Each listener added afterwards is wrapped once, with
// the binders present at that moment; `wrapper.listener` is the listener itself, so Node's
// removeListener/off/listeners()/listenerCount()/removeAllListeners find it with no further patch.
//
// A binder is what a namespace or a context manager brings:
//   owner                            binds an emitter once (a second bind by the same owner is ignored)
//   capture()                        what it needs from the moment a listener is added
//   run(captured, fn, thisArg, args) fn called in the binder's context

const ReflectApply = Reflect.apply;

function defineHidden(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, configurable: true, enumerable: false });
}

/** Adds `binder` to the binders of `emitter` under `key`, patching the emitter the first time. */
function bindEmitter(key, emitter, binder) {
  const state = emitterState(key, emitter);
  if (!state.binders.some((existing) => existing.owner === binder.owner)) state.binders.push(binder);
  return emitter;
}

function emitterState(key, emitter) {
  let state = emitter[key];
  if (state !== undefined) return state;
  state = { binders: [] };
  defineHidden(emitter, key, state);
  const patch = (name, register, oneShot) => {
    const original = emitter[name];
    if (typeof original !== 'function' || typeof register !== 'function') return;
    defineHidden(emitter, name, function (event, listener) {
      // A non-function goes to the original method, which rejects it the emitter's way.
      if (typeof listener !== 'function') return ReflectApply(original, this, [event, listener]);
      return ReflectApply(register, this, [event, wrapListener(state, this, event, listener, oneShot)]);
    });
  };
  const { on, addListener, prependListener } = emitter;
  patch('on', on, false);
  patch('addListener', addListener, false);
  patch('prependListener', prependListener, false);
  // Node's once() would wrap our wrapper in its own and call the (patched) on(): a wrapper the
  // original listener could not remove. Ours is one-shot itself, added through the unpatched methods.
  patch('once', on, true);
  patch('prependOnceListener', prependListener, true);
  return state;
}

function wrapListener(state, target, event, listener, oneShot) {
  const captures = [];
  for (const binder of state.binders) captures.push(binder, binder.capture());
  let fired = false;
  const wrapper = function boundListener(...args) {
    if (oneShot) {
      if (fired) return undefined;
      fired = true;
      target.removeListener(event, wrapper);
    }
    return callBound(captures, 0, listener, this, args);
  };
  wrapper.listener = listener;
  return wrapper;
}

// listener(...args) inside every binder's context, the first binder outermost.
function callBound(captures, index, listener, thisArg, args) {
  if (index === captures.length) return ReflectApply(listener, thisArg, args);
  const binder = captures[index];
  if (index === captures.length - 2) return binder.run(captures[index + 1], listener, thisArg, args);
  return binder.run(captures[index + 1], () => callBound(captures, index + 2, listener, thisArg, args), undefined, []);
}

module.exports = { bindEmitter };
