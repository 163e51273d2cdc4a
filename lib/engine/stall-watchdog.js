'use strict';
// The stall watchdog: a native thread (src/stall_watchdog.rs) that notices when this thread's
// event loop has not turned for `thresholdMs`, and blames the context that was running. It
// cannot read JS while JS is blocked, so what a report needs is written ahead into shared native
// cells at every callback boundary: the async hook's `before` (a callback starts) and the
// engine's runIn/enter (a context is switched synchronously, as a middleware's `run` does). It
// needs no tracking: monitoring may stay off.
//
// Costs while on, all on this thread: a few typed-array stores per callback and per run, one
// `before` hook (on Node 24 the default strategy otherwise runs no hook at all), a clock read per
// new top-level context (its age), and, when a label function is given, one label per new
// top-level context (the native thread cannot call it during the stall). Nothing while off: the
// engine's own methods are replaced on the instance only while a watchdog runs.

const { executionAsyncResource } = require('async_hooks');
const { performance } = require('perf_hooks');
const { threadId } = require('worker_threads');
const native = require('./native');

// Type names for resources whose class is not the async_hooks type name (the native thread
// cannot ask async_hooks: the `before` hook gets no type, and keeping one per async id from
// `init` would cost every resource). Other resources go by their class name.
const TYPE_BY_CLASS = new Map([
  ['Promise', 'PROMISE'],
  ['Object', 'TickObject'], // process.nextTick's resource is a plain object
  ['HTTPServerAsyncResource', 'HTTPINCOMINGMESSAGE'],
  ['HTTPClientAsyncResource', 'HTTPCLIENTREQUEST'],
  ['TCP', 'TCPWRAP'],
  ['Pipe', 'PIPEWRAP'],
  ['FSReqCallback', 'FSREQCALLBACK'],
]);

function typeNameOf(resource) {
  const ctor = resource.constructor;
  const name = typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'unknown type';
  return TYPE_BY_CLASS.get(name) ?? name;
}

class StallWatchdog {
  /**
   * @param engine the thread's ContextEngine
   * @param options { thresholdMs, stderr, onStall(record), labelOf(frame) -> string | undefined }
   */
  constructor(engine, { thresholdMs, stderr, onStall, labelOf }) {
    this.engine = engine;
    this.onStall = onStall;
    this.labelOf = labelOf;
    this.layout = native.stallLayout();
    // The heartbeat runs every half threshold: a stall is reported once the beat is late by more
    // than threshold + beat, so a stall shorter than the threshold never is, and an endless one is
    // within 1.5 threshold + one poll (< 2 threshold).
    const beatMs = thresholdMs / 2;
    const pollMs = Math.min(Math.max(thresholdMs / 10, 1), 50);
    this.id = native.openStallWatchdog(thresholdMs, beatMs, pollMs, stderr, threadId, performance.now());
    const cells = native.stallCells(this.id);
    const { magic, ack } = this.layout;
    if (cells[magic] !== this.id + 0.5) {
      native.stopStallWatchdog(this.id);
      throw new Error('native-execution-context: this runtime does not share external memory with native code; the stall watchdog cannot run');
    }
    cells[ack] = cells[magic];
    this.cells = cells;
    // The frame current at the last boundary (the cells hold its id), and the stall the blocked
    // thread has seen (STALLS) with the frame it blamed, until onStall is called.
    this.current = undefined;
    this.seenStalls = 0;
    this.pending = null;
    this.typeCodes = new Map();
    this.lastClass = null;
    this.lastTypeCode = -1;
    native.startStallWatchdog(this.id);
    this.install();
    this.beatTimer = engine.runIn(undefined, () => setInterval(() => this.beat(), beatMs));
    this.beatTimer.unref();
  }

  // Replaces the engine's context-switching methods, on the instance, with ones that also write
  // the boundary cells; `stop` deletes them and the prototype's run again.
  install() {
    const engine = this.engine;
    const watchdog = this;
    const proto = Object.getPrototypeOf(engine);
    const { runIn, enter, open } = proto;
    engine.runIn = function runInWatched(frame, fn, thisArg, args) {
      watchdog.switchTo(frame);
      try {
        return runIn.call(this, frame, fn, thisArg, args);
      } finally {
        watchdog.switchTo(this.strategy.current());
      }
    };
    engine.enter = function enterWatched(frame) {
      enter.call(this, frame);
      watchdog.switchTo(frame);
    };
    engine.open = function openWatched(slot, value, pinned) {
      const parent = this.strategy.current();
      const frame = open.call(this, slot, value, pinned);
      watchdog.born(frame, parent);
      return frame;
    };
    engine.asyncHook.setBoundary((asyncId) => this.callbackStarts(asyncId));
  }

  // A new frame inherits its context's birth and name from its parent; a top-level one (or the
  // first one seen under a context that began before the watchdog) starts a context.
  born(frame, parent) {
    if (parent !== undefined && parent.labelFrame !== 0) {
      frame.bornAt = parent.bornAt;
      frame.labelFrame = parent.labelFrame;
      return;
    }
    frame.bornAt = parent === undefined ? performance.now() : 0;
    frame.labelFrame = frame.id;
    if (this.labelOf === undefined) return;
    const label = this.labelOf(frame);
    if (typeof label === 'string') native.stallLabel(this.id, frame.id, label);
  }

  // The `before` hook: a callback starts, in whatever frame its resource carries.
  callbackStarts(asyncId) {
    const cells = this.cells;
    const { asyncId: asyncIdCell, typeCode } = this.layout;
    cells[asyncIdCell] = asyncId;
    const resource = executionAsyncResource();
    const cls = resource === null || typeof resource !== 'object' ? null : resource.constructor;
    if (cls !== this.lastClass) {
      this.lastClass = cls;
      this.lastTypeCode = this.typeCodeOf(cls, resource);
    }
    cells[typeCode] = this.lastTypeCode;
    this.switchTo(this.engine.strategy.current());
  }

  typeCodeOf(cls, resource) {
    let code = this.typeCodes.get(cls);
    if (code === undefined) {
      code = this.typeCodes.size;
      this.typeCodes.set(cls, code);
      native.stallTypeName(this.id, code, cls === null ? 'unknown type' : typeNameOf(resource));
    }
    return code;
  }

  // `frame` is current from now on. Before the cells move on, a stall the native thread reported
  // since the last boundary is pinned on the frame that was current (the one it blamed).
  switchTo(frame) {
    const cells = this.cells;
    const layout = this.layout;
    if (cells[layout.stalls] !== this.seenStalls) this.stallSeen();
    this.current = frame;
    if (frame === undefined) {
      cells[layout.frame] = 0;
      cells[layout.born] = 0;
      cells[layout.labelFrame] = 0;
    } else {
      cells[layout.frame] = frame.id;
      cells[layout.born] = frame.bornAt;
      cells[layout.labelFrame] = frame.labelFrame;
    }
    cells[layout.seq] += 1;
  }

  stallSeen() {
    const cells = this.cells;
    const layout = this.layout;
    this.seenStalls = cells[layout.stalls];
    const frameId = cells[layout.stallFrame];
    const current = this.current;
    this.pending = {
      frameId,
      // The blamed frame is the one current at the last boundary, unless the loop was starved by
      // many short callbacks (then the cells moved on, and only the id is known).
      frame: current !== undefined && current.id === frameId ? current : undefined,
      asyncId: cells[layout.stallAsyncId],
      typeCode: cells[layout.stallTypeCode],
      started: cells[layout.stallStart],
      bornAt: cells[layout.stallBorn],
    };
  }

  // The heartbeat (an unref'd interval, opened outside every frame): the loop turned. A stall
  // seen since is over: its record goes to onStall, outside every frame.
  beat() {
    const cells = this.cells;
    cells[this.layout.beat] += 1;
    if (cells[this.layout.stalls] !== this.seenStalls) this.stallSeen();
    const stall = this.pending;
    if (stall === null) return;
    this.pending = null;
    const now = performance.now();
    let type = 'unknown type';
    for (const [cls, code] of this.typeCodes) {
      if (code === stall.typeCode) type = cls === null ? 'unknown type' : typeNameOf({ constructor: cls });
    }
    this.onStall({
      durationMs: now - stall.started,
      frame: stall.frame,
      frameId: stall.frameId,
      asyncId: stall.asyncId,
      type: stall.asyncId > 0 ? type : undefined,
      ageMs: stall.bornAt > 0 ? now - stall.bornAt : undefined,
    });
  }

  stop() {
    clearInterval(this.beatTimer);
    native.stopStallWatchdog(this.id);
    // The prototype's methods back as own properties (a `delete` could drop the engine's
    // hidden class to dictionary mode, slowing every later call).
    const engine = this.engine;
    const proto = Object.getPrototypeOf(engine);
    engine.runIn = proto.runIn;
    engine.enter = proto.enter;
    engine.open = proto.open;
    engine.asyncHook.setBoundary(null);
  }
}

module.exports = { StallWatchdog };
