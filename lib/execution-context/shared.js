'use strict';
// The one ExecutionContext instance of this thread, shared by every copy of the package (kept
// on globalThis under a registered symbol). The root entry and the framework faces use it.

const { ExecutionContext, ExecutionContextError } = require('./index');

const INSTANCE_KEY = Symbol.for('native-execution-context.instance@1');

function sharedInstance() {
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
  return instance;
}

module.exports = { sharedInstance };
