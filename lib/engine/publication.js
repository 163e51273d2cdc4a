'use strict';
// Why: an all-threads report taken in one thread lists the contexts of the others, but their
// labels come from label functions that live in the owning thread's isolate, which no other
// thread can call. So each monitoring thread publishes the labels (and JSON sizes) of its live
// monitored contexts, and its resource type names, into native memory (src/published.rs), where
// any thread's report reads them. Never on the propagation path, and only while some thread has
// asked for an all-threads report in the last WANTED_FOR_MS (a native timestamp any thread
// bumps):
//   - the asking thread wakes the others through a BroadcastChannel (unref'd, opened outside
//     every frame), at its first ask after a quiet spell: each drains its event log (so that its
//     contexts reach the native tree other threads read) and publishes at once, then every
//     TICK_MS from an unref'd timer opened outside every frame, until asks stop; the timer then
//     stops too;
//   - a thread that takes a report of its own publishes what it just labelled.
// Nothing runs while nobody asks: no timer (a pending timer is also what an overflow inside
// Node's Timeout constructor can leave holding the loop: faults-recursion.test.js), one idle
// channel per monitoring thread.
//
// So the first all-threads report after a quiet spell shows other threads as of their last drain
// (their log drains every 1,024 events, or at a report of their own), possibly without labels; a
// moment later (one message and one publication away) they are current, and stay at most about
// TICK_MS old while reports are asked for.
//
// TICK_MS: a publication describes every live monitored context of the thread (the oldest
// 10,000 at most, the table's bound). Measured with `node scripts/measure-publication.js` on a
// shared 2-core machine, with a template-string label: 1.2 to 2.4 ms at 1,000 live contexts, 16
// to 24 ms at 10,000 (and beyond: the bound). Once a second keeps that under 2.5% of one core at
// the bound, only while wanted, and labels lag reports by a second at most.
const TICK_MS = 1000;
// Long enough that reports every few seconds (the CLI's default 5 s) keep labels fresh.
const WANTED_FOR_MS = 60_000;
// An ask wakes the other threads again when the previous one is older than this: their timers
// run until WANTED_FOR_MS after the last ask, so asks closer together need no message.
const WAKE_AFTER_MS = WANTED_FOR_MS / 2;
const CHANNEL = 'native-execution-context.all-threads@1';

const { BroadcastChannel } = require('worker_threads');
const native = require('./native');
const { readSlot } = require('./frame');

class Publication {
  constructor(tracker) {
    this.tracker = tracker;
    this.channel = null;
    this.timer = null;
    // Type names published so far: they only grow, so they are sent again only when new ones came.
    this.typeNamesSent = 0;
  }

  wanted() {
    return Date.now() - native.allThreadsAskedAt() < WANTED_FOR_MS;
  }

  // While the thread monitors: listens for other threads' asks.
  start() {
    if (this.channel !== null) return;
    this.channel = this.tracker.runOutsideFrames(() => {
      const channel = new BroadcastChannel(CHANNEL);
      channel.onmessage = () => this.wake();
      channel.unref();
      return channel;
    });
    if (this.wanted()) this.wake();
  }

  stop() {
    if (this.channel !== null) this.channel.close();
    this.channel = null;
    this.stopTicking();
  }

  // This thread just took an all-threads report; `previous`: the last ask before it (any thread's).
  asked(previous) {
    if (this.channel !== null && Date.now() - previous >= WAKE_AFTER_MS) this.channel.postMessage('wake');
    this.wake();
  }

  // Publishes soon (not inside whatever called: a report, a message), then every TICK_MS while wanted.
  wake() {
    if (this.timer !== null || this.channel === null) return;
    this.tracker.runOutsideFrames(() => {
      this.timer = setInterval(() => this.tick(), TICK_MS).unref();
      setImmediate(() => this.tick()).unref();
    });
  }

  stopTicking() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  tick() {
    if (this.timer === null || this.tracker.log.failure !== null || !this.wanted()) {
      this.stopTicking();
      return;
    }
    this.publishAll();
  }

  // Drains the log, then publishes every live monitored context's label, from its owner's describe function.
  publishAll() {
    const tracker = this.tracker;
    tracker.hook.sweepTimeouts();
    tracker.log.drain();
    const describers = tracker.describers();
    const pairs = native.monitoredFrames(tracker.id);
    const frames = [];
    const labels = [];
    const sizes = [];
    const objects = tracker.frameObjects(pairs.filter((_, i) => i % 2 === 0));
    for (let i = 0; i < pairs.length; i += 2) {
      const describe = describers.get(pairs[i + 1]);
      const value = readSlot(objects[i / 2], pairs[i + 1]);
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
