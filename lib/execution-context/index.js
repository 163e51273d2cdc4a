'use strict';
// The node-execution-context face: run/get/set/update/exists/create/configure/monitor over
// the shared engine. Each instance owns one slot of the engine's frames; the slot holds a cell
// `{ context }` shared by every continuation of one run, so `set` reaches all of them.

const { engine: getEngine } = require('../engine');
const { describe } = require('../shared/describe');
const { ExecutionContextError, reportMisuse } = require('./errors');

const engine = getEngine();

// The replaced package's test for "plain object": truthy, not an array, typeof 'object'.
function isObjectLike(value) {
  return !!value && !Array.isArray(value) && typeof value === 'object';
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

  configure(config) {
    if (!isObjectLike(config)) {
      throw new TypeError(`ExecutionContext.configure expects an options object, got ${describe(config)}`);
    }
    if (config.monitor !== undefined && typeof config.monitor !== 'boolean') {
      throw new TypeError(`ExecutionContext.configure: "monitor" must be a boolean, got ${describe(config.monitor)}`);
    }
    if (config.strategy !== undefined) engine.useStrategy(config.strategy);
    if (config.monitor !== undefined) {
      this.#monitoring = config.monitor;
      engine.setTracking(this, config.monitor);
    }
  }

  monitor() {
    if (!this.#monitoring) throw new ExecutionContextError('MONITOR_MISS_CONFIGURATION');
    const report = engine.monitor(this.#slot);
    const byType = {};
    let oldest;
    const entries = report.entries.map((entry) => {
      for (const child of entry.children) byType[child.type] = (byType[child.type] || 0) + 1;
      if (oldest === undefined || entry.created < oldest.created) oldest = entry;
      return {
        asyncId: entry.asyncId,
        created: entry.created,
        duration: entry.duration,
        contextSize: entry.value === undefined ? 0 : sizeOf(entry.value.context),
        running: entry.running,
        children: entry.children,
      };
    });
    return {
      size: report.size,
      contexts: report.contexts,
      byType,
      oldest: oldest === undefined ? null : { asyncId: oldest.asyncId, created: oldest.created, duration: oldest.duration },
      entries,
    };
  }
}

module.exports = { ExecutionContext, ExecutionContextError };
