'use strict';
// The node-execution-context face: run/get/set/update/exists/create/configure/monitor over
// the shared engine. Each instance owns one slot of the engine's frames; the slot holds a cell
// `{ context }` shared by every continuation of one run, so `set` reaches all of them.

const { threadId } = require('worker_threads');
const { engine: getEngine } = require('../engine');
const { describe } = require('../shared/describe');
const { defaultLabel } = require('../shared/request-label');
const { ExecutionContextError, reportMisuse } = require('./errors');
const { threadsOption, summarize, allThreadsReport } = require('./thread-reports');

const engine = getEngine();
const MONITOR_OPTIONS = ['sample', 'label'];

// The replaced package's test for "plain object": truthy, not an array, typeof 'object'.
function isObjectLike(value) {
  return !!value && !Array.isArray(value) && typeof value === 'object';
}

// `configure`'s `monitor` option: a boolean, or `{ sample, label }` (monitoring on with options).
// Validated whole before anything changes.
function monitorOptions(value) {
  if (typeof value === 'boolean') return { enabled: value, sample: 1, label: undefined };
  if (!isObjectLike(value)) {
    throw new TypeError(`ExecutionContext.configure: "monitor" must be a boolean or an options object ({ sample, label }), got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!MONITOR_OPTIONS.includes(key)) {
      throw new TypeError(`ExecutionContext.configure: unknown "monitor" option ${JSON.stringify(key)} (the options are ${MONITOR_OPTIONS.join(', ')})`);
    }
  }
  const { sample = 1, label } = value;
  if (typeof sample !== 'number') {
    throw new TypeError(`ExecutionContext.configure: "monitor.sample" must be a number in (0, 1], got ${describe(sample)}`);
  }
  if (!(sample > 0 && sample <= 1)) {
    throw new RangeError(`ExecutionContext.configure: "monitor.sample" must be in (0, 1] (the fraction of new top-level contexts tracked), got ${sample}`);
  }
  if (label !== undefined && typeof label !== 'function') {
    throw new TypeError(`ExecutionContext.configure: "monitor.label" must be a function (context) => string, got ${describe(label)}`);
  }
  return { enabled: true, sample, label };
}

// What a thrown value says, for a label placeholder; never throws itself.
function messageOf(error) {
  try {
    if (error !== null && typeof error === 'object' && typeof error.message === 'string') return error.message;
    return String(error);
  } catch {
    return 'unprintable';
  }
}

// The label of one report entry: the configured function's string, a placeholder when it throws
// or returns something else; without a function, the default (which may be undefined: no label).
function labelOf(label, context) {
  let text;
  try {
    text = label === undefined ? defaultLabel(context) : label(context);
  } catch (error) {
    return `<label threw: ${messageOf(error)}>`;
  }
  if (label === undefined || typeof text === 'string') return text;
  return `<label not a string: ${text === null ? 'null' : typeof text}>`;
}

function sizeOf(context) {
  try {
    const json = JSON.stringify(context);
    return json === undefined ? 0 : json.length;
  } catch {
    return -1; // cyclic or hostile contexts cannot be measured; a report must not throw
  }
}

class ExecutionContext {
  #slot = engine.allocateSlot();
  #monitoring = false;
  // The configured label function (undefined: the default label), and whether labels are being
  // computed (a label function that asks for a report gets an error, not a recursion).
  #label = undefined;
  #labelling = false;

  /** Runs fn with `context` current for it and every continuation it starts; returns fn's result. */
  run(fn, context) {
    if (typeof fn !== 'function') {
      throw new TypeError(`ExecutionContext.run expects a function as its first argument, got ${describe(fn)}`);
    }
    return engine.runAndRelease(engine.derivePinned(this.#slot, { context }), fn);
  }

  /** Starts a new context for the current execution and its later continuations only. */
  create(context) {
    engine.enter(engine.derive(this.#slot, { context }));
  }

  get() {
    const cell = engine.valueAt(this.#slot);
    if (cell === undefined) return reportMisuse('CONTEXT_DOES_NOT_EXIST');
    return cell.context;
  }

  set(context) {
    const cell = engine.valueAt(this.#slot);
    if (cell === undefined) return reportMisuse('CONTEXT_DOES_NOT_EXIST');
    cell.context = context;
  }

  update(context) {
    const cell = engine.valueAt(this.#slot);
    if (cell === undefined) return reportMisuse('CONTEXT_DOES_NOT_EXIST');
    if (!isObjectLike(context)) return reportMisuse('UPDATE_BLOCKED');
    Object.assign(cell.context, context);
  }

  exists() {
    return engine.valueAt(this.#slot) !== undefined;
  }

  // configure() and configure(undefined) change nothing (both of node-execution-context's modes
  // accept them). `monitor`: true or false, or `{ sample, label }` (on, with options); true and
  // false reset the options to their defaults.
  configure(config) {
    if (config === undefined) return;
    if (!isObjectLike(config)) {
      throw new TypeError(`ExecutionContext.configure expects an options object, got ${describe(config)}`);
    }
    const monitor = config.monitor === undefined ? undefined : monitorOptions(config.monitor);
    if (config.strategy !== undefined) engine.useStrategy(config.strategy);
    if (monitor !== undefined) {
      this.#monitoring = monitor.enabled;
      this.#label = monitor.label;
      engine.setTracking(this, monitor.enabled, monitor.sample, { slot: this.#slot, describe: this.#describe });
    }
  }

  // `size` is what node-execution-context's was (its map's size): this instance's live contexts
  // plus their live resources. `contexts` counts the native tree's nodes, every owner's.
  // `{ threads: 'all' }`: every monitoring thread's contexts too (thread-reports.js).
  monitor(options) {
    const threads = threadsOption(options);
    if (!this.#monitoring) throw new ExecutionContextError('MONITOR_MISS_CONFIGURATION');
    if (this.#labelling) throw new Error('ExecutionContext.monitor cannot be called from a monitor label function');
    const own = this.#ownReport();
    if (threads === 'current') return own;
    return allThreadsReport(threadId, own, engine.monitorOtherThreads());
  }

  #ownReport() {
    const report = engine.monitor(this.#slot);
    const entries = report.entries.map((entry) => ({
      asyncId: entry.asyncId,
      created: entry.created,
      duration: entry.duration,
      contextSize: entry.value === undefined ? 0 : sizeOf(entry.value.context),
      running: entry.running,
      children: entry.children,
    }));
    const { size, byType, oldest } = summarize(entries);
    this.#addLabels(report.entries, entries);
    this.#publish(report.entries, entries);
    return { size, contexts: report.contexts, byType, oldest, entries };
  }

  // What other threads' all-threads reports show of this thread's contexts: the labels and sizes
  // just computed (the engine keeps them only while such reports are being asked for).
  #publish(native, entries) {
    const frameIds = [];
    const labels = [];
    const sizes = [];
    for (let i = 0; i < entries.length; i++) {
      if (native[i].value === undefined) continue;
      frameIds.push(native[i].frameId);
      labels.push(entries[i].label);
      sizes.push(entries[i].contextSize);
    }
    engine.publish(frameIds, labels, sizes);
  }

  // The engine's publication timer describes this instance's live contexts for other threads,
  // outside every context, as a report would.
  #describe = (cell) => {
    this.#labelling = true;
    try {
      return { label: labelOf(this.#label, cell.context), contextSize: sizeOf(cell.context) };
    } finally {
      this.#labelling = false;
    }
  };

  // Labels, computed now (never when a context is made), outside every context: a label function
  // reads the context it is given, and whatever it starts counts as nobody's work. An entry whose
  // frame was collected while the report was read has no context, and no label.
  #addLabels(native, entries) {
    this.#labelling = true;
    try {
      engine.runIn(undefined, () => {
        for (let i = 0; i < entries.length; i++) {
          const cell = native[i].value;
          if (cell === undefined) continue;
          const label = labelOf(this.#label, cell.context);
          if (label !== undefined) entries[i].label = label;
        }
      });
    } finally {
      this.#labelling = false;
    }
  }
}

module.exports = { ExecutionContext, ExecutionContextError };
