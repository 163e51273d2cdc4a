'use strict';
// Propagation through Node's own AsyncContextFrame (default from Node 24): one internal
// AsyncLocalStorage carries our frame, and V8 carries it across awaits with no hook at all.
// On Node 20/22 without the flag, AsyncLocalStorage installs its own hook: use `resource` there.

const { AsyncLocalStorage } = require('node:async_hooks');

const { flatFrame } = require('../frame');

const ReflectApply = Reflect.apply;
// "No frame", as a store: AsyncLocalStorage.run(undefined) inside no store would be a no-op.
const EMPTY_FRAME = flatFrame(0, [], undefined);

// Node picks its AsyncLocalStorage implementation at startup; only the async_hooks-based one
// has `_propagate` (called from its init hook). Feature detection, not version sniffing, so
// `--no-async-context-frame` on 24 and `--experimental-async-context-frame` on 22 are honoured.
function hasAsyncContextFrame() {
  return typeof AsyncLocalStorage.prototype._propagate !== 'function';
}

function createAsyncContextFrameStrategy() {
  const storage = new AsyncLocalStorage();
  return {
    name: 'async-context-frame',
    needsInitHook: false,

    current() {
      return storage.getStore();
    },

    propagate() {
      return storage.getStore();
    },

    runIn(frame, fn, thisArg, args) {
      let store = frame === undefined ? EMPTY_FRAME : frame;
      // Node's run() skips opening a scope when the store is already current, and then an
      // enterWith inside would outlive the call: give the same frame a new identity.
      if (store === storage.getStore()) store = Object.create(store);
      return storage.run(store, ReflectApply, fn, thisArg, args);
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
