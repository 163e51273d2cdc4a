// Typings of native-execution-context/async-context (hand-written): the TC39 AsyncContext
// proposal's Variable and Snapshot, over the native-execution-context engine.

export interface VariableOptions<T> {
  /** The variable's `name` (ToString of any value given, even undefined). */
  name?: string;
  /** What `get()` returns where the variable has no value (a run with `undefined` is a value). */
  defaultValue?: T;
}

export declare namespace AsyncContext {
  class Variable<T = unknown> {
    /** Options that are not an object are ignored. Throws a TypeError when called without `new`. */
    constructor(options?: VariableOptions<T>);
    /** The `name` option as a string; '' without one. */
    readonly name: string;
    /**
     * Runs `fn(...args)` (with `this` undefined) with this variable set to `value`; the previous
     * mapping is restored afterwards, even after a throw. Returns fn's value.
     */
    run<R, TArgs extends any[]>(value: T, fn: (...args: TArgs) => R, ...args: TArgs): R;
    /** The value in the current mapping, else the default value. */
    get(): T | undefined;
    readonly [Symbol.toStringTag]: 'AsyncContext.Variable';
  }

  class Snapshot {
    /** Captures the current mapping of every variable. Throws a TypeError when called without `new`. */
    constructor();
    /** Runs `fn(...args)` (with `this` undefined) in the captured mapping; returns its value. */
    run<R, TArgs extends any[]>(fn: (...args: TArgs) => R, ...args: TArgs): R;
    /**
     * A function that calls `fn` with the caller's `this` and arguments in the mapping current now.
     * Its name is 'wrapped ' + fn.name and its length fn's.
     */
    static wrap<This, TArgs extends any[], R>(fn: (this: This, ...args: TArgs) => R): (this: This, ...args: TArgs) => R;
    readonly [Symbol.toStringTag]: 'AsyncContext.Snapshot';
  }
}

export import Variable = AsyncContext.Variable;
export import Snapshot = AsyncContext.Snapshot;
