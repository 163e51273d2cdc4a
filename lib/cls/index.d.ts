// Typings of native-execution-context/cls: the cls-hooked 4.2.2 API (source-compatible with
// @types/cls-hooked, including its optional value map `N`), plus the context life cycle.

/// <reference types="node" />

import type { EventEmitter } from 'node:events';

/** Listener of a context's 'end': called once, outside any context, with the context. */
export type ContextEndListener = (this: Context, context: Context) => void;

/**
 * A context: an object whose own and inherited (outer contexts') properties are the values of
 * its namespace. `on`, `once` and `off` are inherited and non-enumerable: they never appear
 * among the values (`Object.keys`, JSON, spread) and `ns.get('on')` is undefined unless set.
 */
export interface Context {
  [key: string]: any;
  /**
   * Calls `listener` once this context's run has returned and the last async work started
   * under it (timers, immediates, promises, I/O, nested contexts) has finished, a few
   * milliseconds late, outside any context. Only contexts made by `run`, `runAndReturn` or
   * `runPromise` end, and the listener must be added where the context is active (inside its
   * run or a continuation of it), else this throws. Add it first thing in the run: work started
   * before the first listener is not counted. Returns the context.
   */
  on(event: 'end', listener: ContextEndListener): this;
  /** Same as `on`: 'end' fires once. */
  once(event: 'end', listener: ContextEndListener): this;
  /** Removes an 'end' listener. Returns the context. */
  off(event: 'end', listener: ContextEndListener): this;
}

export interface Namespace<N extends object = Record<string, any>> {
  /** The name given to `createNamespace`. */
  readonly name: string;
  /** The current context of this namespace, or null outside any. */
  readonly active: Context | null;

  /** Sets `key` in the active context and returns `value`; throws outside any context. */
  set<K extends keyof N = keyof N>(key: K, value: N[K]): N[K];
  /** `key` from the innermost context that has it; undefined outside any context. */
  get<K extends keyof N = keyof N>(key: K): N[K] | undefined;

  /** A new context whose values fall through to the active one (not entered). */
  createContext(): Context;
  /** Calls `fn(context)` in a new nested context and returns the context. */
  run(fn: (context: Context) => void): Context;
  /** Calls `fn(context)` in a new nested context and returns what `fn` returns. */
  runAndReturn<T>(fn: (context: Context) => T): T;
  /**
   * Calls `fn(context)` in a new nested context; `fn` must return a promise, else this throws
   * 'fn must return a promise.'. Returns a promise of its value; a rejection carries the
   * context. Nothing stays entered afterwards, in the caller or in later calls.
   */
  runPromise<T>(fn: (context: Context) => PromiseLike<T> & { catch: unknown }): Promise<T>;

  /** `fn` bound to `context` (default: the active context, or a new one outside any). */
  bind<F extends Function>(fn: F, context?: Context): F;
  /** Listeners added to `emitter` from now on run in the context active when they were added. */
  bindEmitter(emitter: EventEmitter | NodeJS.EventEmitter): void;

  /** Makes `context` active for the rest of this execution and what it starts. */
  enter(context: Context): void;
  /** Leaves `context`: the previous one is active again if it was on top, else it is removed below. */
  exit(context: Context): void;

  /** The context of this namespace that an error was thrown or rejected out of, if any. */
  fromException(exception: unknown): Context | undefined;
}

/** Creates a namespace (replacing a registered one of the same name) and registers it. */
export function createNamespace<N extends object = Record<string, any>>(name: string): Namespace<N>;
/** The registered namespace of that name: undefined if never created, null once destroyed. */
export function getNamespace<N extends object = Record<string, any>>(name: string): Namespace<N> | null | undefined;
/** Unregisters a namespace and releases what it holds (pending 'end' listeners). */
export function destroyNamespace(name: string): void;
/** Unregisters and releases every namespace. */
export function reset(): void;
/** The property under which errors carry their context: 'error@context'. */
export const ERROR_SYMBOL: 'error@context';
