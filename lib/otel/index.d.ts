// Typings of native-execution-context/otel. They use @opentelemetry/api's own types (an optional
// peer dependency: install it to use this subpath).
import type { Context, ContextManager } from '@opentelemetry/api';

/**
 * An OpenTelemetry ContextManager on native-execution-context's engine: the active Context is
 * one slot of the same frame that carries every other context of this package (the root face's
 * request context included), so one frame crosses each async hop for all of them.
 * Register it with `context.setGlobalContextManager(new NativeContextManager().enable())`, or
 * pass it as the SDK's `contextManager`.
 */
export declare class NativeContextManager implements ContextManager {
  /** The innermost Context made active by `with` (or a bound function) around this code, else ROOT_CONTEXT. */
  active(): Context;
  /** Calls `fn` with `thisArg` and `args`, `context` active for it and everything it starts; returns its value. */
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F>;
  /**
   * A function: a wrapper that calls it with `context` active. An EventEmitter: the same emitter,
   * whose listeners added from now on run with `context` active. Anything else: returned as is.
   */
  bind<T>(context: Context, target: T): T;
  /** Returns the manager; contexts need nothing to be turned on. */
  enable(): this;
  /** Forgets every active context (active() is ROOT_CONTEXT everywhere until the next `with`). Returns the manager. */
  disable(): this;
}

/** What traceLabel needs of an ExecutionContext instance. */
export interface LabelledInstance {
  exists(): boolean;
  get(): unknown;
}

export interface TraceLabelOptions {
  /** The instance whose contexts are labelled (default: the shared one, which the middleware use). */
  instance?: LabelledInstance;
}

/**
 * A label function for the root face's monitor: the trace id of the spans NativeContextManager
 * made active inside the labelled request context (noted then, read when the report is taken),
 * else `fallback` (a string, or a function of the context; default '-').
 *
 *     Context.configure({ monitor: { label: traceLabel((context) => context.requestId) } });
 */
export declare function traceLabel<C = any>(
  fallback?: string | ((context: C) => string),
  options?: TraceLabelOptions,
): (context: C) => string;
