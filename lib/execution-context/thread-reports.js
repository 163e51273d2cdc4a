'use strict';
// monitor({ threads: 'all' }): the calling instance's report of its own thread (as monitor()
// gives it, each entry tagged with the thread id) beside every other monitoring thread's, in one
// report of the same shape plus a `threads` array, one report per thread, ordered by thread id.
// Another thread's entries carry the label and size that thread published (the context object
// lives in its isolate): see lib/engine/publication.js.

const { describe } = require('../shared/describe');

const THREADS = ['current', 'all'];

/** `monitor`'s options: undefined (this thread) or `{ threads: 'current' | 'all' }`; returns the choice. */
function threadsOption(options) {
  if (options === undefined) return 'current';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`ExecutionContext.monitor expects nothing or an options object ({ threads: 'all' }), got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'threads') {
      throw new TypeError(`ExecutionContext.monitor: unknown option ${JSON.stringify(key)} (the only option is threads)`);
    }
  }
  const { threads = 'current' } = options;
  if (typeof threads !== 'string') {
    throw new TypeError(`ExecutionContext.monitor: "threads" must be 'all' or 'current', got ${describe(threads)}`);
  }
  if (!THREADS.includes(threads)) {
    throw new RangeError(`ExecutionContext.monitor: "threads" must be 'all' (every monitoring thread) or 'current' (this thread, the default), got ${JSON.stringify(threads)}`);
  }
  return threads;
}

/** `size` (entries plus their resources, as node-execution-context counted), `byType` and `oldest` of report entries. */
function summarize(entries) {
  const byType = {};
  let oldest;
  let size = 0;
  for (const entry of entries) {
    size += 1 + entry.children.length;
    for (const child of entry.children) byType[child.type] = (byType[child.type] || 0) + 1;
    if (oldest === undefined || entry.created < oldest.created) oldest = entry;
  }
  return {
    size,
    byType,
    oldest: oldest === undefined ? null : { asyncId: oldest.asyncId, created: oldest.created, duration: oldest.duration },
  };
}

// One of another thread's entries, in the root face's shape; label and size only once published.
function otherThreadEntry(threadId, entry) {
  const shaped = { threadId, asyncId: entry.asyncId, created: entry.created, duration: entry.duration };
  if (entry.contextSize !== undefined) shaped.contextSize = entry.contextSize;
  shaped.running = entry.running;
  if (entry.label !== undefined) shaped.label = entry.label;
  shaped.children = entry.children;
  return shaped;
}

function threadReport(threadId, contexts, entries) {
  const { size, byType, oldest } = summarize(entries);
  return { threadId, size, contexts, byType, oldest, entries };
}

/**
 * The all-threads report: `own` is this thread's monitor() report, `others` the engine's
 * monitorOtherThreads() (ordered by thread id).
 */
function allThreadsReport(threadId, own, others) {
  const threads = others.map((thread) => threadReport(
    thread.threadId,
    thread.contexts,
    thread.entries.map((entry) => otherThreadEntry(thread.threadId, entry)),
  ));
  const ownThread = threadReport(threadId, own.contexts, own.entries.map((entry) => ({ threadId, ...entry })));
  const at = threads.findIndex((thread) => thread.threadId > threadId);
  threads.splice(at === -1 ? threads.length : at, 0, ownThread);
  const entries = threads.flatMap((thread) => thread.entries);
  const { size, byType, oldest } = summarize(entries);
  const contexts = threads.reduce((sum, thread) => sum + thread.contexts, 0);
  return { size, contexts, byType, oldest, entries, threads };
}

module.exports = { threadsOption, summarize, allThreadsReport };
