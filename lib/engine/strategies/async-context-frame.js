'use strict';
// Propagation through Node's own AsyncContextFrame (default from Node 24): one internal
// AsyncLocalStorage carries our frame, and V8 carries it across awaits with no hook at all.
// On Node 20/22 without the flag, AsyncLocalStorage installs its own hook: use `resource` there.

const { AsyncLocalStorage } = require('async_hooks');

const ReflectApply = Reflect.apply;

// Node picks its AsyncLocalStorage implementation at startup; only the async_hooks-based one
// has `_propagate` (called from its init hook). Feature detection, not version sniffing, so
// `--no-async-context-frame` on 24 and `--experimental-async-context-frame` on 22 are honoured.
function hasAsyncContextFrame() {
  return typeof AsyncLocalStorage.prototype._propagate !== 'function';
}

// The strategy (see contract.js). V8 carries the frame: no hook callbacks are ever needed.
function createAsyncContextFrameStrategy() {
  const storage = new AsyncLocalStorage();
  return {
    name: 'async-context-frame',
    needsInitHook: false,
    needsBeforeHook: false,
    onNeedsBeforeHook: null,

    current() {
      return storage.getStore();
    },

    propagate() {
      return storage.getStore();
    },

    before() {},

    // What AsyncLocalStorage.run does inside, minus its rest-args array and second apply, and
    // without its shortcut for a store that is already current: that shortcut would let an
    // `enterWith` inside a run of the current frame outlive the run.
    runIn(frame, fn, thisArg, args) {
      const prior = storage.getStore();
      storage.enterWith(frame);
      try {
        return ReflectApply(fn, thisArg, args);
      } finally {
        storage.enterWith(prior);
      }
    },

    // runIn when the caller has just read the current frame (`prior`): one getStore fewer.
    runFrom(prior, frame, fn, thisArg, args) {
      storage.enterWith(frame);
      try {
        return ReflectApply(fn, thisArg, args);
      } finally {
        storage.enterWith(prior);
      }
    },

    enter(frame) {
      storage.enterWith(frame);
    },

    // Node already runs 'unhandledRejection' listeners in the frame the promise was rejected in.
    recordSettlements() {},
    settledFrame() {
      return undefined;
    },
  };
}

module.exports = { createAsyncContextFrameStrategy, hasAsyncContextFrame };
