'use strict';
// Propagation through Node's own AsyncContextFrame (default from Node 24): one internal
// AsyncLocalStorage carries our frame, and V8 carries it across awaits with no hook at all.
// On Node 20/22 without the flag, AsyncLocalStorage installs its own hook: use `resource` there.

const { AsyncLocalStorage } = require('node:async_hooks');

const ReflectApply = Reflect.apply;

function hasAsyncContextFrame() {
  const [major] = process.versions.node.split('.').map(Number);
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS || '').split(/\s+/)];
  if (major >= 24) return !flags.includes('--no-async-context-frame');
  return flags.includes('--experimental-async-context-frame');
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
      return storage.run(frame, ReflectApply, fn, thisArg, args);
    },

    enter(frame) {
      storage.enterWith(frame);
    },
  };
}

module.exports = { createAsyncContextFrameStrategy, hasAsyncContextFrame };
