'use strict';
// Why: some objects must exist once per thread, shared by every copy of this package loaded in it
// (two copies must never make two registries or two domain runtimes), so they live on globalThis.
//
// The engine keeps its own copy of these few lines (lib/engine/index.js `engine()`): it is the
// floor below this one and cannot require it.

// The value kept on globalThis under `key` (a registered symbol, Symbol.for('...@version'), so
// every copy finds the same one), created by `create()` on first use. The property is
// non-enumerable, non-writable and non-configurable: nothing can replace it afterwards.
function perThread(key, create) {
  let value = globalThis[key];
  if (value === undefined) {
    if (typeof key !== 'symbol' || Symbol.keyFor(key) === undefined) {
      throw new TypeError('perThread: the key must be a registered symbol (Symbol.for)');
    }
    value = create();
    Object.defineProperty(globalThis, key, { value, enumerable: false, writable: false, configurable: false });
  }
  return value;
}

module.exports = { perThread };
