'use strict';
// The `native-execution-context/monitor` face: `formatMonitor(report)` turns a `monitor()` report
// into a tree a person can read: each live context (oldest first) with its label, its age, size
// and whether its `run` is still on the stack, then its live async resources grouped by type with
// their ages. Contexts older than `stuckAfter` are flagged `stuck?`: a request that lives that
// long is waiting on something that may never come.
//
//   native-execution-context monitor 2026-01-02T03:04:05.000Z: 2 live contexts (1 stuck?), 5 live resources (PROMISE 3, TCPWRAP 1, Timeout 1)
//   ├─ context 1 (async id 48) GET /users 7f3a: age 9.0s, size 31, waiting  <- stuck?
//   │  ├─ PROMISE ×2: 9.0s, 8.9s
//   │  └─ TCPWRAP ×1: 4.0s
//   └─ context 2 (async id 95): age 150ms, size 20, running
//      ├─ Timeout ×1: 140ms
//      └─ PROMISE ×1: 120ms
//
// An all-threads report (`monitor({ threads: 'all' })`) with workers in it has one group per thread:
//
//   ├─ thread 0 (main): 1 live context, 1 live resource (PROMISE 1)
//   │  └─ context 1 (async id 48) GET /users 7f3a: age 9.0s, size 31, waiting  <- stuck?
//   │     └─ PROMISE ×1: 9.0s
//   └─ thread 2 (worker): no live contexts

const { describe } = require('../shared/describe');

const DEFAULTS = { stuckAfter: 5000, maxContexts: 50, maxAges: 5, maxLabel: 120, title: 'native-execution-context monitor' };

/** Milliseconds as `850ms`, `12.3s`, `3m05s` or `2h07m`. */
function formatDuration(ms) {
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value}ms`;
  if (value < 60_000) return `${(Math.floor(value / 100) / 10).toFixed(1)}s`;
  if (value < 3_600_000) {
    const minutes = Math.floor(value / 60_000);
    const seconds = Math.floor((value % 60_000) / 1000);
    return `${minutes}m${String(seconds).padStart(2, '0')}s`;
  }
  const hours = Math.floor(value / 3_600_000);
  const minutes = Math.floor((value % 3_600_000) / 60_000);
  return `${hours}h${String(minutes).padStart(2, '0')}m`;
}

// JSON length of the context; -1 means it could not be serialised (cyclic); absent: another
// thread's context whose size that thread has not published yet.
function formatSize(size) {
  if (size === undefined) return 'size ?';
  if (typeof size !== 'number' || size < 0) return 'size ? (not serialisable)';
  if (size < 1000) return `size ${size}`;
  if (size < 1_000_000) return `size ${(size / 1000).toFixed(1)}k`;
  return `size ${(size / 1_000_000).toFixed(1)}M`;
}

// An entry's label as shown on its line: control characters (a newline would break the tree, or
// forge lines in a log) as spaces, at most `max` characters. '' when the entry has none (or only
// blanks).
function formatLabel(label, max) {
  if (typeof label !== 'string') return '';
  let text = label.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  if (text === '') return '';
  if (text.length > max) text = `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
  return ` ${text}`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function positiveNumber(value, name, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new TypeError(`formatMonitor: "${name}" must be a non-negative number, got ${describe(value)}`);
  }
  return value;
}

// "2 live contexts (1 stuck?), 5 live resources (PROMISE 3, ...)" or "no live contexts".
function summary(contexts, stuckAfter) {
  if (contexts.length === 0) return 'no live contexts';
  const byType = new Map();
  let resources = 0;
  for (const { entry } of contexts) {
    for (const child of entry.children) {
      byType.set(child.type, (byType.get(child.type) || 0) + 1);
      resources += 1;
    }
  }
  const stuck = contexts.filter(({ age }) => age >= stuckAfter).length;
  let text = plural(contexts.length, 'live context');
  if (stuck > 0) text += ` (${stuck} stuck?)`;
  text += `, ${plural(resources, 'live resource')}`;
  if (byType.size > 0) {
    const types = [...byType].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    text += ` (${types.map(([type, count]) => `${type} ${count}`).join(', ')})`;
  }
  return text;
}

// The lines of `contexts` (already sorted), each prefixed with `prefix`; numbered from `first`.
function contextLines(contexts, prefix, first, settings) {
  const { stuckAfter, maxContexts, maxAges, maxLabel, ageOf } = settings;
  const lines = [];
  const shown = contexts.slice(0, maxContexts);
  const hidden = contexts.length - shown.length;
  shown.forEach(({ entry, age }, index) => {
    const last = index === shown.length - 1 && hidden === 0;
    const state = entry.running ? 'running' : 'waiting';
    const label = formatLabel(entry.label, maxLabel);
    let line = `${prefix}${last ? '└─' : '├─'} context ${first + index} (async id ${entry.asyncId})${label}: age ${formatDuration(age)}, ${formatSize(entry.contextSize)}, ${state}`;
    if (age >= stuckAfter) line += '  <- stuck?';
    lines.push(line);

    const indent = prefix + (last ? '   ' : '│  ');
    // Resources grouped by type; the group with the oldest resource first, ages oldest first.
    const groups = new Map();
    for (const child of entry.children) {
      if (!groups.has(child.type)) groups.set(child.type, []);
      groups.get(child.type).push(ageOf(child));
    }
    const sorted = [...groups].map(([type, ages]) => [type, ages.sort((a, b) => b - a)]).sort((a, b) => b[1][0] - a[1][0] || (a[0] < b[0] ? -1 : 1));
    if (sorted.length === 0) lines.push(`${indent}└─ no live resources`);
    sorted.forEach(([type, ages], groupIndex) => {
      const branch = groupIndex === sorted.length - 1 ? '└─' : '├─';
      const listed = ages.slice(0, maxAges).map(formatDuration).join(', ');
      const more = ages.length > maxAges ? `, … ${ages.length - maxAges} more` : '';
      lines.push(`${indent}${branch} ${type} ×${ages.length}: ${listed}${more}`);
    });
  });
  if (hidden > 0) lines.push(`${prefix}└─ … and ${plural(hidden, 'more context')}`);
  return lines;
}

/**
 * Formats a `monitor()` report as a tree (no trailing newline). An all-threads report
 * (`monitor({ threads: 'all' })`) listing more than one thread shows one group per thread,
 * `thread <id> (main|worker)`; with a single thread it reads as that thread's report.
 * @param {import('../../index').MonitorReport | import('../../index').AllThreadsMonitorReport} report
 * @param {{ now?: number, stuckAfter?: number, maxContexts?: number, maxAges?: number, maxLabel?: number, title?: string }} [options]
 *   now: the time ages are measured at (default: the report's own durations, i.e. when it was
 *   taken); stuckAfter: age in ms from which a context is flagged `stuck?` (5000); maxContexts:
 *   contexts shown (per thread in an all-threads report) before `… and N more` (50); maxAges:
 *   ages listed per resource type (5); maxLabel: characters of a label shown (120); title: the
 *   start of the first line ('native-execution-context monitor').
 */
function formatMonitor(report, options = {}) {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.entries)) {
    throw new TypeError(`formatMonitor expects the report returned by monitor(), got ${describe(report)}`);
  }
  if (report.threads !== undefined && !Array.isArray(report.threads)) {
    throw new TypeError(`formatMonitor: the report's "threads" must be the array monitor({ threads: 'all' }) returns, got ${describe(report.threads)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`formatMonitor: options must be an object, got ${describe(options)}`);
  }
  const now = options.now === undefined ? undefined : positiveNumber(options.now, 'now');
  const settings = {
    stuckAfter: positiveNumber(options.stuckAfter, 'stuckAfter', DEFAULTS.stuckAfter),
    maxContexts: positiveNumber(options.maxContexts, 'maxContexts', DEFAULTS.maxContexts),
    maxAges: Math.max(1, positiveNumber(options.maxAges, 'maxAges', DEFAULTS.maxAges)),
    maxLabel: Math.max(1, positiveNumber(options.maxLabel, 'maxLabel', DEFAULTS.maxLabel)),
    // Ages: from `now` when given, else the durations the report was taken with.
    ageOf: (item) => (now === undefined ? item.duration : now - item.created),
  };
  const takenAt = now === undefined ? Date.now() : now;
  const title = options.title === undefined ? DEFAULTS.title : String(options.title);
  const sorted = (entries) => entries
    .map((entry) => ({ entry, age: settings.ageOf(entry) }))
    .sort((a, b) => b.age - a.age || a.entry.asyncId - b.entry.asyncId);

  const contexts = sorted(report.entries);
  let header = `${title} ${new Date(takenAt).toISOString()}: `;
  // A single thread (no worker monitors) reads as a report of this thread, without a group.
  if (report.threads === undefined || report.threads.length <= 1) {
    return [header + summary(contexts, settings.stuckAfter), ...contextLines(contexts, '', 1, settings)].join('\n');
  }

  // One group per thread; contexts numbered across the whole report.
  header += `${plural(report.threads.length, 'thread')}, ${summary(contexts, settings.stuckAfter)}`;
  const lines = [header];
  let next = 1;
  report.threads.forEach((thread, index) => {
    const last = index === report.threads.length - 1;
    const threadContexts = sorted(Array.isArray(thread.entries) ? thread.entries : []);
    const kind = thread.threadId === 0 ? 'main' : 'worker';
    lines.push(`${last ? '└─' : '├─'} thread ${thread.threadId} (${kind}): ${summary(threadContexts, settings.stuckAfter)}`);
    lines.push(...contextLines(threadContexts, last ? '   ' : '│  ', next, settings));
    next += Math.min(threadContexts.length, settings.maxContexts);
  });
  return lines.join('\n');
}

// The shared instance's stall watchdog, here too: a stall report belongs with the monitor's.
function watchStalls(options) {
  return require('../execution-context/shared').sharedInstance().watchStalls(options);
}

module.exports = { formatMonitor, formatDuration, watchStalls };
