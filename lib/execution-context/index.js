'use strict';
// The node-execution-context face: run/get/set/update/exists/create/configure/monitor over
// the shared engine. Each instance owns one slot of the engine's frames; the slot holds a cell
// `{ context }` shared by every continuation of one run, so `set` reaches all of them.

const { threadId } = require('worker_threads');
const { engine: getEngine } = require('../engine');
const { describe } = require('../shared/describe');
const { defaultLabel } = require('../shared/request-label');
const { ExecutionContextError, reportMisuse } = require('./errors');
const { stallOptions } = require('./stall-options');
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
    return engine.runNew(this.#slot, { context }, fn);
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

  /**
   * Starts this thread's stall watchdog: a native thread that notices when the event loop has not
   * turned for `thresholdMs`, writes a line naming the running context to stderr while the stall
   * lasts, and calls `onStall` here once the loop turns again, with this instance's context value
   * from the stalled frame. Returns `{ stop() }`. One watchdog per thread.
   */
  watchStalls(options) {
    const { thresholdMs, onStall, stderr } = stallOptions(options);
    const stop = engine.watchStalls({
      thresholdMs,
      stderr,
      // The stderr line's label must be known before a stall (JS cannot run during one): it is
      // computed once per new top-level context of this instance, only while a watchdog runs.
      labelOf: (frame) => this.#labelIn(frame),
      onStall: (stall) => {
        if (onStall === undefined) return;
        const cell = engine.valueIn(stall.frame, this.#slot);
        const record = {
          durationMs: stall.durationMs,
          context: cell === undefined ? undefined : cell.context,
          label: this.#labelIn(stall.frame),
          frameId: stall.frameId === 0 ? undefined : stall.frameId,
          inContext: stall.frameId !== 0,
          asyncId: stall.asyncId,
          type: stall.type,
          ageMs: stall.ageMs,
        };
        try {
          onStall(record);
        } catch (error) {
          // The listener's bug, reported; the watchdog and the process go on.
          process.emitWarning(`native-execution-context: onStall threw: ${error && error.stack ? error.stack : String(error)}`, 'StallWatchdogWarning');
        }
      },
    });
    return { stop };
  }

  // This instance's label of the context in `frame` (undefined: none, or not this instance's).
  #labelIn(frame) {
    if (frame === undefined || this.#labelling) return undefined;
    const cell = engine.valueIn(frame, this.#slot);
    if (cell === undefined) return undefined;
    return this.#whileLabelling(() => labelOf(this.#label, cell.context));
  }

  // fn() with label functions running: a label function that asks for a report gets an error,
  // and one that opens a context gets no stall label, instead of a recursion.
  #whileLabelling(fn) {
    const was = this.#labelling;
    this.#labelling = true;
    try {
      return fn();
    } finally {
      this.#labelling = was;
    }
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
  #describe = (cell) => this.#whileLabelling(() => ({ label: labelOf(this.#label, cell.context), contextSize: sizeOf(cell.context) }));

  // Labels, computed now (never when a context is made), outside every context: a label function
  // reads the context it is given, and whatever it starts counts as nobody's work. An entry whose
  // frame was collected while the report was read has no context, and no label.
  #addLabels(native, entries) {
    this.#whileLabelling(() => engine.runIn(undefined, () => {
      for (let i = 0; i < entries.length; i++) {
        const cell = native[i].value;
        if (cell === undefined) continue;
        const label = labelOf(this.#label, cell.context);
        if (label !== undefined) entries[i].label = label;
      }
    }));
  }
}

module.exports = { ExecutionContext, ExecutionContextError };
