// Typings of native-execution-context/als (hand-written): Node's AsyncLocalStorage API as Node 24
// documents it, over the native-execution-context engine.

export interface AsyncLocalStorageOptions<T> {
  /** The instance's `name` (coerced to a string at runtime). */
  name?: string;
  /** What `getStore()` returns where this instance has no store. */
  defaultValue?: T;
}

// `Symbol.dispose` where the TypeScript lib (esnext.disposable, or @types/node) declares it.
type DisposeSymbol = SymbolConstructor extends { readonly dispose: infer S extends symbol } ? S : never;

/** What `withScope` returns: `dispose()` (or `using`) restores the instance's previous store. */
export type RunScope = {
  /** Restores the store that was current when the scope was opened; later calls do nothing. */
  dispose(): void;
} & { [K in DisposeSymbol]: () => void };

export declare class AsyncLocalStorage<T> {
  /**
   * @throws {TypeError} code ERR_INVALID_ARG_TYPE when `options` is not an object.
   */
  constructor(options?: AsyncLocalStorageOptions<T>);

  /** The `name` option as a string; '' without one. */
  readonly name: string;

  /**
   * A function that calls `fn` (with the caller's `this` and arguments) in the frame current now:
   * every store of every face of this package, as captured.
   * @throws {TypeError} code ERR_INVALID_ARG_TYPE when `fn` is not a function.
   */
  static bind<Func extends (...args: any[]) => any>(fn: Func): Func;

  /**
   * Captures the current frame; the returned function runs `fn(...args)` in it and returns its value.
   */
  static snapshot(): <R, TArgs extends any[]>(fn: (...args: TArgs) => R, ...args: TArgs) => R;

  /** The current store; `defaultValue` (undefined without one) where this instance has none or after `disable()`. */
  getStore(): T | undefined;

  /**
   * Runs `callback(...args)` (with `this` null) with `store` current for it and everything it
   * starts; the previous frame is restored after it returns or throws. Returns its value.
   * @throws {TypeError} code ERR_INVALID_ARG_TYPE when `callback` is not a function.
   */
  run<R>(store: T, callback: () => R): R;
  run<R, TArgs extends any[]>(store: T, callback: (...args: TArgs) => R, ...args: TArgs): R;

  /**
   * Runs `callback(...args)` outside this instance's context (getStore() returns undefined there,
   * not the default); other instances keep their stores. Returns its value.
   */
  exit<R, TArgs extends any[]>(callback: (...args: TArgs) => R, ...args: TArgs): R;

  /** Makes `store` current for the rest of this synchronous execution and what it starts afterwards. */
  enterWith(store: T): void;

  /** Like `enterWith`; disposing the returned scope restores this instance's previous store. */
  withScope(store: T): RunScope;

  /**
   * Exits every context of this instance, pending continuations included: getStore() returns the
   * default until the next run/enterWith/withScope.
   */
  disable(): void;
}
