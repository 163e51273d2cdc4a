'use strict';
// The JS half of the event log: records written into a Float64Array over native memory that Rust
// reads in batches (one N-API call per `capacity` events instead of one per event). A full buffer
// is handed to the native applier thread (`submit`, which returns the next buffer of the ring:
// this thread neither copies nor applies it, src/applier.rs); a reader of the tree calls
// `drain`, which first applies everything still queued or written.

const native = require('./native');

const layout = native.logLayout();
const STRIDE = layout.stride;
const LIMIT = layout.stride * layout.capacity;

class EventLog {
  constructor(trackerId, onFinished, onFailure) {
    this.trackerId = trackerId;
    const log = native.openLog(trackerId);
    this.buffers = log.buffers;
    this.buffer = this.buffers[log.current];
    this.cursor = 0;
    this.onFinished = onFinished;
    this.onFailure = onFailure;
    this.failure = null;
    // Full logs handed to the applier so far (the flush timer's sign of progress, tracking.js).
    this.submits = 0;
    // The last time read from the clock (ms since the epoch). Promises are stamped with it
    // instead of a clock read each: Date.now() per promise was ~3% of a monitored promise-heavy
    // loop. It is read again at every frame, every other resource and every drain, so a
    // promise's time is late by at most the synchronous run of promise callbacks it was made in.
    this.now = Date.now();
  }

  // Reads the clock; records that need a precise time use this.
  stamp() {
    const now = Date.now();
    this.now = now;
    return now;
  }

  frameOpen(frameId, parentId, slot, asyncId, pinned, time) {
    const b = this.buffer;
    const i = this.cursor;
    b[i] = layout.frameOpen;
    b[i + 1] = frameId;
    b[i + 2] = parentId;
    b[i + 3] = slot;
    b[i + 4] = asyncId;
    b[i + 5] = pinned ? 1 : 0;
    b[i + 6] = time;
    this.advance(i);
  }

  init(asyncId, frameId, typeCode, oneShot, time) {
    this.resource(layout.init, asyncId, frameId, typeCode, oneShot, time);
  }

  settled(asyncId) {
    this.single(layout.settled, asyncId);
  }

  // A promise the engine numbered itself (async-hook.js, promiseTrackingCallbacks): its own
  // record kinds keep that sequence apart from Node's async ids natively.
  promiseInit(id, frameId, typeCode, time) {
    this.resource(layout.promiseInit, id, frameId, typeCode, false, time);
  }

  promiseSettled(id) {
    this.single(layout.promiseSettled, id);
  }

  after(asyncId) {
    this.single(layout.after, asyncId);
  }

  frameRelease(frameId) {
    this.single(layout.frameRelease, frameId);
  }

  frameWatch(frameId) {
    this.single(layout.frameWatch, frameId);
  }

  // A new resource's record (`init` and `promiseInit`: the same fields under two kinds).
  resource(kind, id, frameId, typeCode, oneShot, time) {
    const b = this.buffer;
    const i = this.cursor;
    b[i] = kind;
    b[i + 1] = id;
    b[i + 2] = frameId;
    b[i + 3] = typeCode;
    b[i + 4] = oneShot ? 1 : 0;
    b[i + 6] = time;
    this.advance(i);
  }

  single(kind, id) {
    const i = this.cursor;
    this.buffer[i] = kind;
    this.buffer[i + 1] = id;
    this.advance(i);
  }

  advance(i) {
    this.cursor = i + STRIDE;
    if (this.cursor === LIMIT) this.submit();
  }

  // The buffer is full: the applier thread applies it (and the frames collected since the last
  // call) while this thread writes the next one; watched frames it finishes are delivered by the
  // next `drain`. Called from inside async hooks, like `drain`: it must never throw.
  submit() {
    const count = this.cursor / STRIDE;
    this.cursor = 0;
    this.now = Date.now();
    if (this.failure !== null) return;
    this.submits += 1;
    try {
      this.buffer = this.buffers[native.submit(this.trackerId, count)];
    } catch (error) {
      this.fail(error);
    }
  }

  // Applies everything logged so far (queued for the applier or still in this log) before the
  // caller reads the tree, and hands the finished watched frames to `onFinished`.
  // Called from inside async hooks: it must never throw, or Node would exit. A failure turns
  // tracking off and is reported once, outside the hook.
  drain() {
    const count = this.cursor / STRIDE;
    this.cursor = 0;
    this.now = Date.now();
    // Even with no record written: the native side also applies the frames collected since the
    // last drain (their finalizers only queue them), and a collected frame may be the last work
    // of a watched one. A drain on an empty log is one cheap native call.
    if (this.failure !== null) return;
    let finished;
    try {
      finished = native.drain(this.trackerId, count);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (finished.length > 0) this.onFinished(finished);
  }

  fail(error) {
    this.failure = error;
    // Outside the hook: turn tracking off and say so once.
    process.nextTick(() => {
      this.onFailure(error);
      process.emitWarning(`native-execution-context: tracking stopped: ${error.message}`);
    });
  }
}

module.exports = { EventLog, STRIDE };
