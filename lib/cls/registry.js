'use strict';
// The namespaces of this thread: one object, shared by every copy of this package loaded in it
// (perThread: a registered symbol on globalThis), also visible as process.namespaces, where
// cls-hooked keeps its own.

const { perThread } = require('../shared/per-thread');

// A versioned protocol name: every copy of this package finds the same registry under it.
const REGISTRY_KEY = Symbol.for('native-execution-context.cls.namespaces@1');

const namespaces = perThread(REGISTRY_KEY, () => Object.create(null));

// Points process.namespaces at the registry unless something else (another CLS library loaded
// first) already owns that property: replacing it would wipe that library's namespaces.
function exposeOnProcess() {
  if (process.namespaces === undefined || process.namespaces === null) process.namespaces = namespaces;
}

exposeOnProcess();

module.exports = { namespaces, exposeOnProcess };
