'use strict';
// Failure context: process-level error events run in the context that failed, not in whatever
// frame Node happens to leave current. One `process.emit` wrapper for the whole package (the
// engine and /domain), installed on first need, never at require time.
//
// - 'uncaughtException' and 'uncaughtExceptionMonitor' listeners run in the frame where the
//   exception was thrown when it escaped `run`s (each `run` restores its previous frame while
//   the stack unwinds, so without a record the frame would be lost); otherwise in the current
//   frame, which Node leaves as the failing callback's.
// - Routers (the /domain face) see a real uncaught exception before its listeners and may
//   claim it; what no router claims gets Node's own handling, untouched.
// - 'unhandledRejection' listeners run in the frame the promise was rejected in, where the
//   strategy recorded one. Recording costs a hook on every settled promise (about 8% of a
//   CPU-bound promise loop on Node 20), so it is on only while such a listener exists.
// No listener for any of these events is added, so Node's default handling stays as it was.

const ReflectApply = Reflect.apply;

class FailureContext {
  constructor(propagation) {
    this.propagation = propagation;
    this.installed = false;
    // The exception now unwinding out of runs: { frame, outer, detail } (the frame of the
    // innermost run it escaped, the frame it has unwound to so far, and what the first face to
    // note it wants back when routing it).
    this.escaped = undefined;
    this.dropEscape = () => {
      this.escaped = undefined;
    };
    // Functions (error, frame, detail) => boolean that may claim an uncaught exception.
    this.routers = [];
  }

  // Called on the first frame (propagation.js) and by faces that route errors (/domain).
  install() {
    if (this.installed) return;
    this.installed = true;
    this.wrapProcessEmit();
    this.followRejectionListeners();
  }

  // Called when a throw leaves a run of `frame` (only then, never on the normal path). Not a
  // catch-and-rethrow: Node must still report the place the error was thrown. `detail` is kept
  // from the first face that gives one (the innermost that cares).
  noteEscape(frame, detail) {
    const outer = this.propagation.strategy.current();
    const escaped = this.escaped;
    if (escaped !== undefined && escaped.outer === frame) {
      escaped.outer = outer; // the same throw, one run further out: the innermost frame stays
      if (escaped.detail === undefined) escaped.detail = detail;
      return;
    }
    // A caught throw's record is dropped at the next microtask checkpoint; an uncaught one is
    // handled before it.
    if (escaped === undefined) queueMicrotask(this.dropEscape);
    this.escaped = { frame, outer, detail };
  }

  // A face whose callback returned normally: an earlier caught throw no longer describes anything.
  clearEscape() {
    this.escaped = undefined;
  }

  // The record of the throw now being reported, if it escaped runs and unwound to the frame that
  // is current now (otherwise the exception did not come from that unwinding).
  escapeRecord() {
    const escaped = this.escaped;
    return escaped !== undefined && escaped.outer === this.propagation.strategy.current() ? escaped : undefined;
  }

  addRouter(router) {
    this.install();
    this.routers.push(router);
  }

  wrapProcessEmit() {
    const failure = this;
    const originalEmit = process.emit;
    Object.defineProperty(process, 'emit', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: function emit(type, error, origin) {
        if (type === 'uncaughtException' || type === 'uncaughtExceptionMonitor') {
          const record = failure.escapeRecord();
          if (type === 'uncaughtException') {
            failure.escaped = undefined;
            if (origin === 'uncaughtException' && failure.route(error, record)) return true;
          }
          if (record !== undefined) return failure.propagation.strategy.runIn(record.frame, originalEmit, this, arguments);
        } else if (type === 'unhandledRejection') {
          const settled = failure.propagation.strategy.settledFrame(origin);
          if (settled !== undefined) return failure.propagation.strategy.runIn(settled.frame, originalEmit, this, arguments);
        }
        return ReflectApply(originalEmit, this, arguments);
      },
    });
  }

  route(error, record) {
    const routers = this.routers;
    if (routers.length === 0) return false;
    const frame = record === undefined ? this.propagation.strategy.current() : record.frame;
    const detail = record === undefined ? undefined : record.detail;
    for (let i = 0; i < routers.length; i++) if (routers[i](error, frame, detail)) return true;
    return false;
  }

  // Settlements are recorded only while an 'unhandledRejection' listener exists.
  followRejectionListeners() {
    const update = () => this.propagation.strategy.recordSettlements(process.listenerCount('unhandledRejection') > 0);
    process.on('newListener', (type) => {
      if (type === 'unhandledRejection') this.propagation.strategy.recordSettlements(true);
    });
    process.on('removeListener', (type) => {
      if (type === 'unhandledRejection') update();
    });
    update();
  }

  // A new strategy (before the first frame): it records settlements if the old one did.
  strategyChanged(previous) {
    if (!this.installed) return;
    previous.recordSettlements(false);
    this.propagation.strategy.recordSettlements(process.listenerCount('unhandledRejection') > 0);
  }
}

module.exports = { FailureContext };
