'use strict';
// Why: an all-threads report taken in one thread lists the contexts of the others, but their
// labels come from label functions that live in the owning thread's isolate, which no other
// thread can call. So each monitoring thread publishes the labels (and JSON sizes) of its live
// monitored contexts, and its resource type names, into native memory (src/published.rs), where
// any thread's report reads them. Never on the propagation path: a publication runs
//   - when the thread takes its own report (the labels are computed then anyway), and
//   - from a timer ticking every TICK_MS, opened outside every frame and unref'd,
// and both only while some thread asked for an all-threads report in the last WANTED_FOR_MS
// (a native timestamp any thread bumps). Otherwise a tick only drains the thread's event log
// (other threads read the native tree, which the log reaches when it drains, and the events are
// applied once either way: a drain per second only makes the batches smaller) and publishes
// resource type names the first time they are seen.
//
// So another thread's contexts are at most about TICK_MS old, and their labels too once
// all-threads reports are being asked for; the first report after a quiet minute may show other
// threads' contexts without labels.
//
// TICK_MS: a publication describes every live monitored context of the thread (the oldest
// 10,000 at most, the table's bound). Measured with `node scripts/measure-publication.js` on a
// shared 2-core machine, with a template-string label: 1.2 to 2.4 ms at 1,000 live contexts, 16
// to 24 ms at 10,000 (and beyond: the bound). Once a second keeps that under 2.5% of one core at
// the bound, only while wanted, and labels lag reports by a second at most.
const TICK_MS = 1000;
// Long enough that reports every few seconds (the CLI's default 5 s) keep labels fresh.
const WANTED_FOR_MS = 60_000;

const native = require('./native');
const { readSlot } = require('./frame');

class Publication {
  constructor(tracker) {
    this.tracker = tracker;
    this.timer = null;
    // Type names published so far: they only grow, so they are sent again only when new ones came.
    this.typeNamesSent = 0;
  }

  wanted() {
    return Date.now() - native.allThreadsAskedAt() < WANTED_FOR_MS;
  }

  // While the thread monitors: every tick drains the log; it publishes only while wanted.
  start() {
    if (this.timer !== null) return;
    this.timer = this.tracker.runOutsideFrames(() => setInterval(() => this.tick(), TICK_MS));
    this.timer.unref();
  }

  stop() {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  tick() {
    const tracker = this.tracker;
    if (tracker.log.failure !== null) return;
    tracker.hook.sweepTimeouts();
    tracker.log.drain();
    if (this.wanted()) this.publishAll();
    // Type names, when new ones came (a handful per thread, ever): reports need them from the start.
    else if (tracker.hook.typeNames.length > this.typeNamesSent) this.publish([], [], []);
  }

  // Labels of every live monitored context (the log drained), from its owner's describe function.
  publishAll() {
    const tracker = this.tracker;
    const describers = tracker.describers();
    const pairs = native.monitoredFrames(tracker.id);
    const frames = [];
    const labels = [];
    const sizes = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const describe = describers.get(pairs[i + 1]);
      const frame = tracker.frameRefs.get(pairs[i])?.deref();
      const value = readSlot(frame, pairs[i + 1]);
      if (describe === undefined || value === undefined) continue;
      const { label, contextSize } = describe(value);
      frames.push(pairs[i]);
      labels.push(label);
      sizes.push(contextSize);
    }
    this.publish(frames, labels, sizes);
  }

  // Entries already described (the thread's own report): frames[i]'s label and size.
  publish(frames, labels, sizes) {
    const names = this.tracker.hook.typeNames;
    const newNames = names.length > this.typeNamesSent ? names : undefined;
    native.publish(this.tracker.id, frames, labels, sizes, newNames);
    this.typeNamesSent = names.length;
  }
}

module.exports = { Publication, TICK_MS, WANTED_FOR_MS };
