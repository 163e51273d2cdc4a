'use strict';
// The one ExecutionContext instance of this thread, shared by every copy of the package (kept
// on globalThis under a registered symbol). The root entry and the framework faces use it.

const { perThread } = require('../shared/per-thread');
const { ExecutionContext, ExecutionContextError } = require('./index');

const INSTANCE_KEY = Symbol.for('native-execution-context.instance@1');

function createInstance() {
  const instance = new ExecutionContext();
  Object.defineProperties(instance, {
    ExecutionContext: { value: ExecutionContext },
    ExecutionContextError: { value: ExecutionContextError },
    default: { value: instance },
  });
  return instance;
}

function sharedInstance() {
  return perThread(INSTANCE_KEY, createInstance);
}

module.exports = { sharedInstance };
