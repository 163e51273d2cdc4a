// Public typings of native-execution-context (hand-written; the generated binding.d.ts is private).
//
// `export =` because index.js is CommonJS (`module.exports = instance`): `require()`, `import x =
// require()`, JS with // @ts-check (and editors' IntelliSense), ES modules' default import and
// `import x from` under esModuleInterop all see the instance. The types live in the merged
// namespace: `import type { MonitorReport } from 'native-execution-context'` works as before.

declare namespace context {
  /** `configure({ monitor: { ... } })`: monitoring on, with options. */
  interface MonitorOptions<C = any> {
    /**
     * The fraction, in (0, 1], of new top-level contexts tracked (default 1: all). Contexts
     * opened inside a tracked one are always tracked, inside an untracked one never.
     */
    sample?: number;
    /**
     * Names a context in reports: called with the context when a report is taken (never when a
     * context is made), outside every context. A throw or a non-string gives a placeholder label.
     * Default: `<METHOD> <path> <requestId>` for the /express, /koa and /fastify middleware's
     * contexts, else the context's `requestId` when it is a string, else no label.
     */
    label?: (context: C) => string;
  }

  /** Options of `configure`. */
  interface ExecutionContextConfig {
    /**
     * Track live contexts and their async resources in the native execution map, for `monitor()`:
     * `true` (with the default options), an options object (on, with those), `false` (off).
     */
    monitor?: boolean | MonitorOptions;
    /**
     * Forces the propagation strategy (only before the first context is created). By default the
     * fastest measured one is used: 'async-context-frame' where Node has it (24+), else 'resource'.
     */
    strategy?: 'resource' | 'async-context-frame';
  }

  /** A live async resource created under a context. */
  interface MonitorChild {
    /**
     * Node's async id of the resource. A promise that Node does not number (on Node 24 with the
     * default strategy, tracking follows promises through V8's promise hooks) shows the engine's
     * own number, negated: never a Node async id.
     */
    asyncId: number;
    /** The async_hooks resource type: 'PROMISE', 'Timeout', 'Immediate', 'TCPWRAP', ... */
    type: string;
    /** Date.now() when the resource was created. */
    created: number;
    /** Milliseconds since `created`. */
    duration: number;
  }

  /** A live context: one `run` or `create`, with the async resources still pending under it. */
  interface MonitorEntry {
    /** The async id that was executing when the context was created. */
    asyncId: number;
    created: number;
    duration: number;
    /** `JSON.stringify(context).length`; -1 when the context cannot be serialised (cyclic). */
    contextSize: number;
    /** True while the synchronous part of its `run` is still on the stack. */
    running: boolean;
    /** The context's label (see MonitorOptions.label); absent when the default label finds none. */
    label?: string;
    children: MonitorChild[];
  }

  interface MonitorReport {
    /** This instance's live contexts plus their live async resources (`entries.length` plus every entry's `children.length`), as node-execution-context's map size counted them. */
    size: number;
    /** Live contexts in the native context tree (all owners). */
    contexts: number;
    /** Live resources per type, over this instance's entries. */
    byType: Record<string, number>;
    /** The oldest live context, or null. */
    oldest: { asyncId: number; created: number; duration: number } | null;
    entries: MonitorEntry[];
  }

  /** Options of `watchStalls`. */
  interface StallWatchOptions<C = any> {
    /** How long the event loop may go without turning before it is a stall, in ms (10 to 2^31-1; default 200). */
    thresholdMs?: number;
    /** Called on the blocked thread once its loop turns again. A throw is reported as a warning, never fatal. */
    onStall?: (stall: Stall<C>) => void;
    /** Write one line to stderr while the stall lasts, from the watchdog's thread (default true). */
    stderr?: boolean;
  }

  /** One stall, as `onStall` receives it. */
  interface Stall<C = any> {
    /** From the start of the blocked callback (or of the `run` inside it) to the loop's next turn. */
    durationMs: number;
    /** Whether a context was current when the loop stalled (false: outside every context). */
    inContext: boolean;
    /** This instance's context in the stalled frame (undefined outside it, or when the loop was starved by many short callbacks). */
    context: C | undefined;
    /** The context's monitor label (the configured label function, or the default); undefined when it has none. */
    label: string | undefined;
    /** The stalled frame's id, as the stderr line names it; undefined outside every context. */
    frameId: number | undefined;
    /** The async id of the callback that was running (0: none, e.g. the main script). */
    asyncId: number;
    /** The callback's resource type (async_hooks' name where known, else its class name); undefined without a callback. */
    type: string | undefined;
    /** Time since the context began, when it began while a watchdog ran. */
    ageMs: number | undefined;
  }

  /** A running stall watchdog. */
  interface StallWatch {
    /** Stops the watchdog and joins its thread. Idempotent. */
    stop(): void;
  }

  /** Options of `monitor()`. */
  interface MonitorCallOptions {
    /**
     * `'current'` (the default): this instance's contexts in this thread, as `monitor()` reports
     * them. `'all'`: every monitoring thread's contexts too (an AllThreadsMonitorReport).
     */
    threads?: 'current' | 'all';
  }

  /**
   * An entry of an all-threads report: a MonitorEntry with the id of the thread that owns it.
   * The calling thread's entries are exactly `monitor()`'s. Another thread's context object lives
   * in that thread's isolate and is not in the report: its `label` and `contextSize` are what that
   * thread's label function and JSON size gave when it last published them (woken by the first
   * all-threads report, then about once a second while such reports are asked for), absent until then.
   */
  interface ThreadMonitorEntry {
    /** `worker_threads.threadId` of the owning thread (0: the main thread). */
    threadId: number;
    asyncId: number;
    created: number;
    duration: number;
    /** As in MonitorEntry; absent for another thread's context its thread has not published yet. */
    contextSize?: number;
    running: boolean;
    label?: string;
    children: MonitorChild[];
  }

  /**
   * One thread's part of an all-threads report. The calling thread's: this instance's contexts.
   * Another thread's: the contexts of the instances monitoring there, as of that thread's last
   * drain of its event log (the first all-threads report wakes it to drain and publish; then
   * about a second old at most while such reports are asked for).
   */
  interface ThreadMonitorReport {
    threadId: number;
    /** The thread's listed contexts plus their live resources. */
    size: number;
    /** Live contexts in the thread's native context tree (all owners). */
    contexts: number;
    byType: Record<string, number>;
    oldest: { asyncId: number; created: number; duration: number } | null;
    entries: ThreadMonitorEntry[];
  }

  /**
   * `monitor({ threads: 'all' })`: every thread whose instances monitor (threads that only track
   * for /cls 'end' are not listed), ordered by thread id, and the sums over them. A worker that
   * exits or is terminated simply leaves the next report.
   */
  interface AllThreadsMonitorReport {
    size: number;
    contexts: number;
    byType: Record<string, number>;
    oldest: { asyncId: number; created: number; duration: number } | null;
    /** Every thread's entries, in thread order. */
    entries: ThreadMonitorEntry[];
    threads: ThreadMonitorReport[];
  }

  type ExecutionContextErrorCode = 'CONTEXT_DOES_NOT_EXIST' | 'UPDATE_BLOCKED' | 'MONITOR_MISS_CONFIGURATION';

  interface ExecutionContextError extends Error {
    readonly name: 'ExecutionContextError';
    readonly code: ExecutionContextErrorCode;
  }

  interface ExecutionContext {
    /** Runs `fn` with `context` current for it and every async continuation it starts; returns fn's result. */
    run<T>(fn: () => T, context: unknown): T;
    /** Starts a new context for the current execution and its later continuations only. */
    create(context: unknown): void;
    /** The current context, by reference. Throws CONTEXT_DOES_NOT_EXIST outside a context (logs in production). */
    get<T = any>(): T;
    /** Replaces the context for the whole current run. */
    set(context: unknown): void;
    /** Merges into the current context with Object.assign. */
    update(context: object): void;
    /** Whether a context is current. */
    exists(): boolean;
    /** Without an argument (or with undefined) it changes nothing. */
    configure(config?: ExecutionContextConfig): void;
    /** Live contexts and resources; throws MONITOR_MISS_CONFIGURATION unless monitoring is configured (`monitor: true` or an options object). */
    monitor(options?: { threads?: 'current' }): MonitorReport;
    /** Every monitoring thread's live contexts (this thread's as `monitor()` gives them), tagged with their thread id. */
    monitor(options: { threads: 'all' }): AllThreadsMonitorReport;
    monitor(options?: MonitorCallOptions): MonitorReport | AllThreadsMonitorReport;
    /**
     * Starts this thread's stall watchdog: a native thread that notices when the event loop has not
     * turned for `thresholdMs`, names the running context on stderr while the stall lasts, and calls
     * `onStall` once the loop turns again. Monitoring need not be on. One per thread (workers have
     * their own); throws while one runs, and on runtimes without `async_hooks.createHook`.
     */
    watchStalls<C = any>(options?: StallWatchOptions<C>): StallWatch;
  }

  /** The shared instance `require('native-execution-context')` returns. */
  interface ExecutionContextAPI extends ExecutionContext {
    readonly ExecutionContext: ExecutionContextConstructor;
    readonly ExecutionContextError: ExecutionContextErrorConstructor;
    readonly default: ExecutionContextAPI;
  }

  /** `new Context.ExecutionContext()`: an independent instance. */
  interface ExecutionContextConstructor {
    new (): ExecutionContext;
    readonly prototype: ExecutionContext;
  }

  interface ExecutionContextErrorConstructor {
    new (code: ExecutionContextErrorCode): ExecutionContextError;
    readonly prototype: ExecutionContextError;
  }
}

/** The shared instance `require('native-execution-context')` returns. */
declare const context: context.ExecutionContextAPI;
export = context;
