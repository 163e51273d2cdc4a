// Typings of native-execution-context/monitor.
import type { MonitorReport, AllThreadsMonitorReport, StallWatchOptions, StallWatch } from '../../index';

export interface FormatMonitorOptions {
  /** The time ages are measured at (Date.now() scale). Default: the durations the report was taken with. */
  now?: number;
  /** Age in ms from which a context is flagged `stuck?` (default 5000). */
  stuckAfter?: number;
  /** Contexts shown (per thread in an all-threads report) before `… and N more contexts` (default 50). */
  maxContexts?: number;
  /** Ages listed per resource type before `… N more` (default 5). */
  maxAges?: number;
  /** Characters of a context's label shown before `…` (default 120); control characters show as spaces. */
  maxLabel?: number;
  /** Start of the first line (default 'native-execution-context monitor'). */
  title?: string;
}

/**
 * A `monitor()` report as a readable tree (no trailing newline): live contexts oldest first, each
 * with its label, age, size and state, and its live async resources grouped by type with their ages.
 * An all-threads report listing several threads has a group per thread, `thread <id> (main|worker)`.
 */
export declare function formatMonitor(report: MonitorReport | AllThreadsMonitorReport, options?: FormatMonitorOptions): string;

/** Milliseconds as `850ms`, `12.3s`, `3m05s` or `2h07m`. */
export declare function formatDuration(ms: number): string;

/** The shared instance's `watchStalls` (see the root face): this thread's stall watchdog. */
export declare function watchStalls<C = any>(options?: StallWatchOptions<C>): StallWatch;
