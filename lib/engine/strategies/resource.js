'use strict';
// Propagation by writing the current frame onto every new async resource (the way Node 20/22's
// AsyncLocalStorage works) and reading it back from `executionAsyncResource()`. Nothing needs
// freeing: a frame lives exactly as long as some resource or running code references it.

const { executionAsyncResource } = require('node:async_hooks');

const kFrame = Symbol('native-execution-context.frame');
const ReflectApply = Reflect.apply;

const resourceStrategy = {
  name: 'resource',
  needsInitHook: true,

  current() {
    return executionAsyncResource()[kFrame];
  },

  // Called from the `init` hook with the resource being created.
  propagate(resource) {
    const frame = executionAsyncResource()[kFrame];
    if (frame !== undefined) resource[kFrame] = frame;
    return frame;
  },

  runIn(frame, fn, thisArg, args) {
    const resource = executionAsyncResource();
    const previous = resource[kFrame];
    resource[kFrame] = frame;
    try {
      return ReflectApply(fn, thisArg, args);
    } finally {
      resource[kFrame] = previous;
    }
  },

  enter(frame) {
    executionAsyncResource()[kFrame] = frame;
  },
};

module.exports = { resourceStrategy };
