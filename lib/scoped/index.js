'use strict';
// The `native-execution-context/scoped` face: smartcontext's hierarchical scoped store over the
// shared engine. An `AsyncContext` owns one slot of the engine's frames; `runScoped` puts a fresh
// child `AsyncStore` (whose parent is the store current at the call) in that slot for fn and
// everything fn starts. Outside every scope, `store` is the instance's root store.
//
// A child reads through to its parent chain, writes only to itself, and `delete` in a child
// shadows the parent's key (the parent keeps it). Nothing but the frames of the scope references
// a child store, so its data goes away with the scope's last continuation.

const { engine: getEngine } = require('../engine');
const { invalidArgType, validateFunction } = require('../shared/errors');

const engine = getEngine();

function validateKey(key) {
  if (typeof key !== 'string') throw invalidArgType('key', 'string', key);
}

class AsyncStore {
  #parent;
  #data = new Map();
  // Keys deleted here while a parent may still have them (only children shadow).
  #deleted = null;

  /** @param {AsyncStore} [parent] the store this one reads through to. */
  constructor(parent = undefined) {
    if (parent !== undefined && !(parent instanceof AsyncStore)) {
      throw invalidArgType('parent', 'AsyncStore', parent);
    }
    this.#parent = parent;
  }

  /** Sets `key` in this store (a child's value hides its parents' value; it un-deletes a shadowed key). */
  add(key, value) {
    validateKey(key);
    this.#data.set(key, value);
    if (this.#deleted !== null) this.#deleted.delete(key);
  }

  /** This store's value for `key`, else the nearest parent's; undefined when deleted here or in a parent on the way. */
  get(key) {
    validateKey(key);
    for (let store = this; store !== undefined; store = store.#parent) {
      if (store.#data.has(key)) return store.#data.get(key);
      if (store.#deleted !== null && store.#deleted.has(key)) return undefined;
    }
    return undefined;
  }

  /** Removes `key` from this store; in a child it also hides the parents' value, which they keep. */
  delete(key) {
    validateKey(key);
    this.#data.delete(key);
    if (this.#parent !== undefined) {
      if (this.#deleted === null) this.#deleted = new Set();
      this.#deleted.add(key);
    }
  }

  /** A new plain object: the whole chain merged, child over parent, deleted keys left out. */
  getAll() {
    const chain = [];
    for (let store = this; store !== undefined; store = store.#parent) chain.push(store);
    const merged = new Map();
    for (let i = chain.length - 1; i >= 0; i--) {
      const store = chain[i];
      if (store.#deleted !== null) for (const key of store.#deleted) merged.delete(key);
      for (const [key, value] of store.#data) merged.set(key, value);
    }
    return Object.fromEntries(merged);
  }
}

class AsyncContext {
  #slot = engine.allocateSlot();
  #root = new AsyncStore();

  /** The current store: the scope's child store inside `runScoped`, the root store outside. */
  get store() {
    const scoped = engine.valueAt(this.#slot);
    return scoped === undefined ? this.#root : scoped;
  }

  /**
   * Runs fn with a fresh child of the current store as `store`, for fn and everything it starts.
   * Returns what fn returns (a promise for an async fn); the previous store is back afterwards.
   */
  runScoped(fn) {
    validateFunction(fn, 'fn');
    return engine.runNew(this.#slot, new AsyncStore(this.store), fn);
  }
}

module.exports = { AsyncContext, AsyncStore };
