'use strict';
// Propagation: the hot path, on one screen. Owners (ExecutionContext instances, namespaces,
// stores, variables, the domain runtime) each get a slot; a frame maps slots to values
// (frame.js); the strategy carries the current frame across async hops (strategies/contract.js).
//
// A face's `run` is runNew: a new pinned frame with its slot set (openIn), strategy.runFrom, then
// the pin released; a read is valueAt -> readSlot(strategy.current(), slot).
// Measured by `npm run bench -- --only ops` (bench/ops.js), which rewrites this table:
// <ops-table>
// ns per operation (lower is better), median of 3 rounds x 3 samples, bench/ops.js; ALS: Node's
// AsyncLocalStorage; chain: overrides on the frame (MAX_OVERRIDES 8, then flat); `npm run bench`
// on 2026-12-02 at 08f7a19.
//                               20.20.2 resource  22.23.5 resource     24.22.3 acf
// operation                        ours    ALS       ours    ALS       ours    ALS
// run, no store current             104     13         93     22        265    196
// getStore, 1 store                  19      5         20      9         10      7
// getStore, 2 nested (chain 1)       22     18         23     22         10      7
// getStore, 9 nested (chain 8)       21     22         30     33         17      9
// getStore, 10 nested (flat)         14     22         20     34         10     10
// run inside 1 (chain 0->1)          68     69         78     83        244    214
// run inside 8 (chain 7->8)          74     95         89     84        275    869
// run inside 9 (8->flattens)        123     60        180     78        283   1210
// enterWith, in a callback           59     21         51     19         98    114
// </ops-table>

const { derivedFrame, readSlot } = require('./frame');
const { FailureContext } = require('./failure-context');

const NO_ARGS = [];
// The tracker until tracking is first asked for (index.js swaps in the real one, which loads the
// native core): no frame is tracked, so the propagation path never calls it.
const IDLE_TRACKER = Object.freeze({ trackAll: false, active: false });

class Propagation {
  constructor(strategy) {
    this.strategy = strategy;
    this.lastFrameId = 0;
    this.lastSlot = -1;
    this.failure = new FailureContext(this);
    // tracking.js's Tracker once tracking has been asked for (index.js).
    this.tracker = IDLE_TRACKER;
  }

  allocateSlot() {
    this.lastSlot += 1;
    return this.lastSlot;
  }

  // The current frame (undefined outside every frame).
  current() {
    return this.strategy.current();
  }

  // The current value of one owner's slot, or undefined outside any frame that set it.
  valueAt(slot) {
    return readSlot(this.strategy.current(), slot);
  }

  // The value of one owner's slot in a given frame (undefined: no frame, or not set there).
  valueIn(frame, slot) {
    return readSlot(frame, slot);
  }

  // A new frame: the current one with `slot` set to `value`, for `enter` or a captured frame.
  derive(slot, value) {
    return this.open(slot, value, false);
  }

  // A new frame for `runAndRelease`: pinned (open in the native tree) until its run returns.
  derivePinned(slot, value) {
    return this.open(slot, value, true);
  }

  // The current frame without `slot` (for `exit`); the current frame itself if it has no value.
  deriveWithout(slot) {
    if (readSlot(this.strategy.current(), slot) === undefined) return this.strategy.current();
    return this.open(slot, undefined, false);
  }

  open(slot, value, pinned) {
    return this.openIn(this.strategy.current(), slot, value, pinned);
  }

  // A new frame under `parent` (the frame current now, read by the caller).
  openIn(parent, slot, value, pinned) {
    if (this.lastFrameId === 0) this.failure.install(); // the first frame ever: see failure-context.js
    this.lastFrameId += 1;
    const frame = derivedFrame(this.lastFrameId, parent, slot, value);
    frame.openerSlot = slot;
    frame.pinned = pinned;
    // Children of a tracked frame are tracked too (their work counts toward the parent's end);
    // while monitoring, new frames are (a sample of the top-level ones, when sampling).
    const tracker = this.tracker;
    if (parent !== undefined && parent.tracked) {
      if (tracker.active) tracker.startTracking(frame, parent);
    } else if (tracker.trackAll && tracker.sampled(parent)) {
      tracker.startTracking(frame, parent);
    }
    return frame;
  }

  // What a face's `run` is: fn in a new pinned frame (the current one with `slot` set to `value`),
  // the previous frame back afterwards even after a throw, the pin released when fn returns.
  // derivePinned + runAndRelease in one, reading the current frame once: it is both the new
  // frame's parent and the frame to restore (on Node 24 each read is an AsyncLocalStorage
  // getStore, two Map lookups).
  runNew(slot, value, fn, thisArg = undefined, args = NO_ARGS) {
    const parent = this.strategy.current();
    const frame = this.openIn(parent, slot, value, true);
    let returned = false;
    try {
      const result = this.strategy.runFrom(parent, frame, fn, thisArg, args);
      returned = true;
      return result;
    } finally {
      if (!returned) this.failure.noteEscape(frame);
      if (frame.tracked && frame.pinned) this.tracker.release(frame);
    }
  }

  // fn in `frame` (a new, pinned one), the previous frame back afterwards even after a throw;
  // the pin is released when fn returns.
  runAndRelease(frame, fn, thisArg = undefined, args = NO_ARGS) {
    try {
      return this.runIn(frame, fn, thisArg, args);
    } finally {
      if (frame !== undefined && frame.tracked && frame.pinned) this.tracker.release(frame);
    }
  }

  // fn in an existing frame (a snapshot, a bound function; undefined: no frame). No release.
  runIn(frame, fn, thisArg = undefined, args = NO_ARGS) {
    let returned = false;
    try {
      const result = this.strategy.runIn(frame, fn, thisArg, args);
      returned = true;
      return result;
    } finally {
      if (!returned) this.failure.noteEscape(frame);
    }
  }

  // Ends the pin of a frame from derivePinned that was entered rather than run. Idempotent.
  release(frame) {
    if (frame.tracked && frame.pinned) this.tracker.release(frame);
  }

  // `frame` current for the rest of this execution and everything it starts.
  enter(frame) {
    this.strategy.enter(frame);
  }
}

module.exports = { Propagation, IDLE_TRACKER };
