'use strict';
// The package root: the node-execution-context drop-in. `require()` returns one ready instance,
// shared by every copy of this package loaded in the same thread.

const { ExecutionContext, ExecutionContextError } = require('./lib/execution-context');

const INSTANCE_KEY = Symbol.for('native-execution-context.instance@1');

let instance = globalThis[INSTANCE_KEY];
if (instance === undefined) {
  instance = new ExecutionContext();
  Object.defineProperties(instance, {
    ExecutionContext: { value: ExecutionContext },
    ExecutionContextError: { value: ExecutionContextError },
    default: { value: instance },
  });
  Object.defineProperty(globalThis, INSTANCE_KEY, { value: instance });
}

module.exports = instance;
