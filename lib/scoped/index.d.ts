// Typings of native-execution-context/scoped (hand-written): smartcontext's hierarchical scoped
// store, over the native-execution-context engine.

/** A key-value store that reads through to its parent chain and writes only to itself. */
export declare class AsyncStore {
  /** @throws {TypeError} code ERR_INVALID_ARG_TYPE when `parent` is given and is not an AsyncStore. */
  constructor(parent?: AsyncStore);
  /** Sets `key` here: it hides the parents' value, and un-deletes a key deleted here. */
  add(key: string, value: unknown): void;
  /** This store's value, else the nearest parent's; undefined when deleted here or on the way up. */
  get<T = any>(key: string): T | undefined;
  /** Removes `key` here; in a child it also hides the parents' value, which they keep. */
  delete(key: string): void;
  /** A new plain object: the whole chain merged, child over parent, deleted keys left out. */
  getAll(): Record<string, any>;
}

export declare class AsyncContext {
  /** The current store: the scope's child store inside `runScoped`, the root store outside. */
  readonly store: AsyncStore;
  /**
   * Runs `fn` with a fresh child of the current store as `store`, for fn and everything it starts.
   * Returns fn's value (a promise for an async fn); the previous store is back afterwards.
   * @throws {TypeError} code ERR_INVALID_ARG_TYPE when `fn` is not a function.
   */
  runScoped<R>(fn: () => R): R;
}
