'use strict';
// native-execution-context/cls: namespaces of context-sensitive values (the continuation-local
// storage "Local Context" design), a drop-in for cls-hooked 4.2.2 on the shared engine.
//
// Each namespace owns one engine slot. The slot holds a Link: the active context plus the link
// that was active below it (the per-execution stack that enter/exit walk). Frames carry the
// links across async hops, so a hop costs the same with 1 namespace or 100, and there is no
// per-namespace hook. Contexts are plain objects chained by prototype (nested contexts fall
// through to their parents), rooted at a per-namespace base whose prototype adds non-enumerable
// on/once/off for the context life cycle: 'end' fires once a run has returned and all the work
// started under it has finished, as reported by the engine's native context tree (`watch`).
//
//   index.js            the module functions (getNamespace, createNamespace, ...)
//   namespace.js        class Namespace: run/bind/enter/exit/get/set on its slot
//   registry.js         the thread's namespaces object, also process.namespaces
//   end.js              the 'end' life cycle and the on/once/off every context inherits
//   (bindEmitter's patch of an emitter is ../shared/emitter-binding.js, shared with /otel)
//   errors.js           errors decorated with their context (ERROR_SYMBOL)

const assert = require('assert');
const util = require('util');
const { Namespace, RELEASE_KEY } = require('./namespace');
const { namespaces, exposeOnProcess } = require('./registry');
const { ERROR_SYMBOL, isObject } = require('./errors');

function getNamespace(name) {
  return namespaces[name];
}

function createNamespace(name) {
  assert.ok(name, 'namespace must be given a name.');
  const namespace = new Namespace(name);
  namespaces[name] = namespace;
  return namespace;
}

function destroyNamespace(name) {
  const namespace = getNamespace(name);
  assert.ok(namespace, `can't delete nonexistent namespace! "${name}"`);
  assert.ok(typeof namespace[RELEASE_KEY] === 'function', "don't assign to process.namespaces directly! " + util.inspect(namespace));
  namespace[RELEASE_KEY]();
  namespaces[name] = null;
}

function reset() {
  for (const name of Object.keys(namespaces)) {
    const namespace = namespaces[name];
    if (isObject(namespace) && typeof namespace[RELEASE_KEY] === 'function') namespace[RELEASE_KEY]();
    delete namespaces[name];
  }
  exposeOnProcess();
}

module.exports = {
  getNamespace,
  createNamespace,
  destroyNamespace,
  reset,
  ERROR_SYMBOL,
};
