'use strict';
// The stall watchdog: a native thread (src/stall_watchdog.rs) that notices when this thread's
// event loop has not turned for `thresholdMs`, and blames the context that was running. It
// cannot read JS while JS is blocked, so what a report needs is written ahead into shared native
// cells at every callback boundary: the async hook's `before` (a callback starts) and the
// engine's runIn/enter (a context is switched synchronously, as a middleware's `run` does). It
// needs no tracking: monitoring may stay off.
//
// Costs while on, all on this thread: a `before` hook (on Node 24 the default strategy otherwise
// runs no hook at all), a few typed-array stores per callback and per run, a clock read per new
// top-level context (its age), and one label per new top-level context of the watching instance
// (the native thread cannot call a label function during the stall). Nothing while off: the
// engine's methods are replaced on the instance only while a watchdog runs.
//
// The callback's type needs its resource (executionAsyncResource()). The `resource` strategy
// (Node 20/22) reads that resource anyway, for the frame; `async-context-frame` (Node 24) does
// not, and reading it there cost about a third of the whole workload per request (callgrind,
// promise workload): the type is recorded under `resource` only (docs/stalls.md).

const { executionAsyncResource } = require('async_hooks');
const { performance } = require('perf_hooks');
const { threadId } = require('worker_threads');
const native = require('./native');

// Cell indexes, from the native side (one source of truth), as constants for the hot path.
const LAYOUT = native.stallLayout();
const { magic: MAGIC, ack: ACK, beat: BEAT, seq: SEQ, frame: FRAME, asyncId: ASYNC_ID, typeCode: TYPE } = LAYOUT;
const { born: BORN, labelFrame: LABEL_FRAME, stalls: STALLS, stallFrame: STALL_FRAME, stallStart: STALL_START } = LAYOUT;
const { stallAsyncId: STALL_ASYNC_ID, stallTypeCode: STALL_TYPE, stallBorn: STALL_BORN } = LAYOUT;
const NO_TYPE = -1;

// Type names for resources whose class is not the async_hooks type name (the `before` hook gets
// no type, and keeping one per async id from `init` would cost every resource). Other resources
// go by their class name.
const TYPE_BY_CLASS = new Map([
  ['Promise', 'PROMISE'],
  ['Object', 'TickObject'], // process.nextTick's resource is a plain object
  ['HTTPServerAsyncResource', 'HTTPINCOMINGMESSAGE'],
  ['HTTPClientAsyncResource', 'HTTPCLIENTREQUEST'],
  ['TCP', 'TCPWRAP'],
  ['Pipe', 'PIPEWRAP'],
  ['FSReqCallback', 'FSREQCALLBACK'],
]);

function typeNameOf(cls) {
  const name = typeof cls === 'function' && typeof cls.name === 'string' && cls.name !== '' ? cls.name : 'unknown type';
  return TYPE_BY_CLASS.get(name) ?? name;
}

/**
 * Starts this thread's watchdog on `engine`. Returns its `stop()`.
 * @param engine the thread's ContextEngine
 * @param options { thresholdMs, stderr, onStall(record), labelOf(frame) -> string | undefined }
 */
function startStallWatchdog(engine, { thresholdMs, stderr, onStall, labelOf }) {
  // The heartbeat runs every half threshold: a stall is reported once the beat is late by more
  // than threshold + beat, so a stall shorter than the threshold never is, and an endless one is
  // within 1.5 threshold + one poll (< 2 threshold).
  const beatMs = thresholdMs / 2;
  const pollMs = Math.min(Math.max(thresholdMs / 10, 1), 50);
  const id = native.openStallWatchdog(thresholdMs, beatMs, pollMs, stderr, threadId, performance.now());
  const cells = native.stallCells(id);
  if (cells[MAGIC] !== id + 0.5) {
    native.stopStallWatchdog(id);
    throw new Error('native-execution-context: this runtime does not share external memory with native code; the stall watchdog cannot run');
  }
  cells[ACK] = cells[MAGIC];
  cells[TYPE] = NO_TYPE;

  const strategy = engine.strategy;
  // The frame current at the last boundary (the cells hold its id); the stalls seen so far, and
  // the last one with the frame it blamed, until the heartbeat hands it to onStall.
  let current;
  let seenStalls = 0;
  let pending = null;
  const typeCodes = new Map(); // resource class -> type code, an index into typeNames
  const typeNames = [];
  let lastClass = null;
  let lastTypeCode = NO_TYPE;

  function stallSeen() {
    seenStalls = cells[STALLS];
    const frameId = cells[STALL_FRAME];
    pending = {
      frameId,
      // The blamed frame is the one current at the last boundary, unless the loop was starved by
      // many short callbacks (then the cells moved on, and only the id is known).
      frame: current !== undefined && current.id === frameId ? current : undefined,
      asyncId: cells[STALL_ASYNC_ID],
      typeCode: cells[STALL_TYPE],
      started: cells[STALL_START],
      bornAt: cells[STALL_BORN],
    };
  }

  // `frame` is current from now on. A stall the native thread reported since the last boundary
  // is first pinned on the frame that was current (the one it blamed).
  function switchTo(frame) {
    if (cells[STALLS] !== seenStalls) stallSeen();
    cells[SEQ] += 1;
    if (frame === current) return;
    current = frame;
    if (frame === undefined) {
      cells[FRAME] = 0;
      cells[BORN] = 0;
      cells[LABEL_FRAME] = 0;
    } else {
      cells[FRAME] = frame.id;
      cells[BORN] = frame.bornAt;
      cells[LABEL_FRAME] = frame.labelFrame;
    }
  }

  function typeCodeOf(cls) {
    let code = typeCodes.get(cls);
    if (code === undefined) {
      code = typeNames.length;
      typeNames.push(typeNameOf(cls));
      typeCodes.set(cls, code);
      native.stallTypeName(id, code, typeNames[code]);
    }
    return code;
  }

  // The `before` hook: a callback starts, in whatever frame its resource carries.
  const frameOfResource = strategy.frameOfResource;
  const callbackStarts = frameOfResource === undefined
    ? (asyncId) => {
      cells[ASYNC_ID] = asyncId;
      switchTo(strategy.current());
    }
    : (asyncId) => {
      cells[ASYNC_ID] = asyncId;
      const resource = executionAsyncResource();
      const cls = resource.constructor;
      if (cls !== lastClass) {
        lastClass = cls;
        lastTypeCode = typeCodeOf(cls);
      }
      cells[TYPE] = lastTypeCode;
      switchTo(frameOfResource(resource));
    };

  // A new frame inherits its context's birth and name from its parent; a top-level one (or the
  // first one seen under a context that began before the watchdog) starts a context.
  function born(frame, parent) {
    if (parent !== undefined && parent.labelFrame !== 0) {
      frame.bornAt = parent.bornAt;
      frame.labelFrame = parent.labelFrame;
      return;
    }
    frame.bornAt = parent === undefined ? performance.now() : 0;
    frame.labelFrame = frame.id;
    const label = labelOf(frame);
    if (typeof label === 'string') native.stallLabel(id, frame.id, label);
  }

  // The engine's context-switching methods, replaced on the instance while the watchdog runs.
  const proto = Object.getPrototypeOf(engine);
  engine.runIn = function runInWatched(frame, fn, thisArg, args) {
    switchTo(frame);
    try {
      return proto.runIn.call(this, frame, fn, thisArg, args);
    } finally {
      switchTo(strategy.current());
    }
  };
  engine.enter = function enterWatched(frame) {
    proto.enter.call(this, frame);
    switchTo(frame);
  };
  engine.open = function openWatched(slot, value, pinned) {
    const parent = strategy.current();
    const frame = proto.open.call(this, slot, value, pinned);
    born(frame, parent);
    return frame;
  };
  // runNew reads the current frame once and calls neither of the two above: while watching, a
  // face's run takes the path through them.
  engine.runNew = function runNewWatched(slot, value, fn, thisArg, args) {
    return this.runAndRelease(this.derivePinned(slot, value), fn, thisArg, args);
  };
  engine.asyncHook.setBoundary(callbackStarts);

  // The heartbeat (an unref'd interval, opened outside every frame): the loop turned. A stall
  // seen since is over: its record goes to onStall, outside every frame.
  function beat() {
    cells[BEAT] += 1;
    if (cells[STALLS] !== seenStalls) stallSeen();
    const stall = pending;
    if (stall === null) return;
    pending = null;
    const now = performance.now();
    onStall({
      durationMs: now - stall.started,
      frame: stall.frame,
      frameId: stall.frameId,
      asyncId: stall.asyncId,
      type: stall.asyncId > 0 && stall.typeCode >= 0 ? typeNames[stall.typeCode] : undefined,
      ageMs: stall.bornAt > 0 ? now - stall.bornAt : undefined,
    });
  }

  native.startStallWatchdog(id);
  const beatTimer = engine.runIn(undefined, () => setInterval(beat, beatMs));
  beatTimer.unref();

  return function stop() {
    clearInterval(beatTimer);
    native.stopStallWatchdog(id);
    // The prototype's methods back as own properties (a `delete` could drop the engine's hidden
    // class to dictionary mode, slowing every later call).
    engine.runIn = proto.runIn;
    engine.enter = proto.enter;
    engine.open = proto.open;
    engine.runNew = proto.runNew;
    engine.asyncHook.setBoundary(null);
  };
}

module.exports = { startStallWatchdog };
