'use strict';
// Tracking: the native execution map and context tree, fed through the event log. The only
// module that loads the native core. Off by default; on while monitoring is configured or a
// frame is watched (a /cls context's 'end'); while off, the propagation path never comes here.

const { executionAsyncId } = require('async_hooks');
const { threadId } = require('worker_threads');
const native = require('./native');
const { EventLog } = require('./event-log');
const { readSlot } = require('./frame');
const { Publication } = require('./publication');

// Flushes in a row with no new event before the flush timer stops holding the loop open (~20 ms).
const IDLE_FLUSHES = 20;

class Tracker {
  constructor(hook) {
    this.id = native.openTracker(threadId);
    this.hook = hook;
    // Read on the propagation path (propagation.js): plain fields, kept in step by this class.
    this.trackAll = false; // every new frame is tracked (monitoring on)
    this.active = false; // the async hook writes tracked frames' resources to the log
    // What asked for monitoring (ExecutionContext instances) -> { sampleRate, reported }.
    this.requesters = new Map();
    this.sampleRate = 1; // the highest rate asked for: the fraction of new top-level frames tracked
    this.log = new EventLog(this.id, (frames) => this.finished(frames), () => {
      this.trackAll = false;
      this.setHookTracking(false);
    });
    hook.log = this.log;
    this.watchers = new Map();
    this.finishedFrames = [];
    this.flushTimer = null;
    // Whether the flush timer holds the event loop open, and how many flushes in a row found
    // nothing new (see flush).
    this.flushHoldsLoop = false;
    this.idleFlushes = 0;
    this.submitsAtLastFlush = 0;
    // The unref'd flush and publication timers must be opened outside every frame: set by the engine.
    this.runOutsideFrames = null;
    // Labels for other threads' all-threads reports (publication.js).
    this.publication = new Publication(this);
  }

  setHookTracking(enabled) {
    this.active = enabled;
    this.hook.setTracking(enabled);
  }

  // Whether a new frame whose parent is not tracked gets tracked while monitoring. Sampling picks
  // top-level frames only: a frame nested in an unsampled request stays untracked with it.
  sampled(parent) {
    if (this.sampleRate >= 1) return true;
    return parent === undefined && Math.random() < this.sampleRate;
  }

  // Makes the native tree follow `frame` from now on (resources created before are not counted).
  startTracking(frame, parent) {
    if (frame.tracked || this.log.failure !== null) return;
    if (!this.active) this.setHookTracking(true);
    frame.tracked = true;
    // A weak native reference (for reports) and a native finalizer (the tree learns of the
    // frame's collection at the next drain): no WeakRef, Map entry or FinalizationRegistry cell
    // on the V8 heap (src/frame_refs.rs).
    native.trackFrame(this.id, frame, frame.id);
    const parentId = parent !== undefined && parent.tracked ? parent.id : 0;
    this.log.frameOpen(frame.id, parentId, frame.openerSlot, executionAsyncId(), frame.pinned, this.log.stamp());
  }

  // The synchronous part of a pinned frame's run is over.
  release(frame) {
    frame.pinned = false;
    this.log.frameRelease(frame.id);
  }

  // While any requester asks for it (monitoring), new frames are tracked in the native tree:
  // every one at rate 1, else that fraction of the top-level ones (with all their children).
  // Watched frames turn the hook's tracking on too, and it stays on while they are watched.
  // `reported` ({ slot, describe(value) -> { label, contextSize } }): the requester's contexts are
  // listed in other threads' all-threads reports, described by it (publication.js).
  setTracking(requester, enabled, sampleRate = 1, reported = undefined) {
    if (enabled) this.requesters.set(requester, { sampleRate, reported });
    else this.requesters.delete(requester);
    this.sampleRate = 0;
    for (const { sampleRate: rate } of this.requesters.values()) if (rate > this.sampleRate) this.sampleRate = rate;
    this.trackAll = this.requesters.size > 0 && this.log.failure === null;
    if (this.trackAll && !this.active) this.setHookTracking(true);
    if (!this.trackAll && this.active && this.watchers.size === 0) this.setHookTracking(false);
    const slots = [...this.describers().keys()];
    native.setMonitoredSlots(this.id, slots);
    if (slots.length > 0) this.publication.start();
    else this.publication.stop();
  }

  // Slot -> describe function of every requester whose contexts other threads may list.
  describers() {
    const describers = new Map();
    for (const { reported } of this.requesters.values()) {
      if (reported !== undefined) describers.set(reported.slot, reported.describe);
    }
    return describers;
  }

  // The contexts of every other monitoring thread (each taken under its own lock, with the labels
  // its thread published), ordered by thread id. Asking wakes every thread to publish (publication.js).
  monitorOtherThreads() {
    const previous = native.allThreadsAskedAt();
    const reports = native.monitorAll(this.id);
    this.publication.asked(previous);
    const now = Date.now();
    return reports.map((thread) => ({
      threadId: thread.threadId,
      size: thread.size,
      contexts: thread.contexts,
      entries: thread.entries.map((entry) => reportEntry(entry, now, (child) => child.typeName, { label: entry.label, contextSize: entry.contextSize })),
    }));
  }

  // Publishes what this thread's own report just described, while all-threads reports are wanted.
  publish(frameIds, labels, sizes) {
    if (this.log.failure === null && this.publication.wanted()) this.publication.publish(frameIds, labels, sizes);
  }

  // Live contexts (optionally of one owner slot) with their live resources, from the native map.
  monitor(slot) {
    if (this.log.failure !== null) {
      throw new Error(`native-execution-context: tracking stopped after a native failure, the report would be stale: ${this.log.failure.message}`);
    }
    this.hook.sweepTimeouts();
    this.log.drain();
    const now = Date.now();
    const report = native.monitor(this.id, slot);
    const frames = this.frameObjects(report.entries.map((entry) => entry.frame));
    const names = this.hook.typeNames;
    return {
      size: report.size,
      contexts: report.contexts,
      entries: report.entries.map((entry, i) => reportEntry(entry, now, (child) => names[child.typeCode], { value: readSlot(frames[i], entry.slot) })),
    };
  }

  // The frame objects of tracked frame ids, undefined for those collected since (the native side
  // gives null for those).
  frameObjects(ids) {
    return native.frameObjects(this.id, ids).map((frame) => frame ?? undefined);
  }

  // Calls `onFinished` once the frame's run has returned and all work started under it is done.
  watch(frame, onFinished) {
    if (!frame.tracked) this.startTracking(frame, undefined);
    this.watchers.set(frame.id, onFinished);
    this.log.frameWatch(frame.id);
    this.startFlushing();
  }

  // Called by the log's drain, possibly inside an async hook: only queue, never run user code.
  finished(frameIds) {
    for (const id of frameIds) this.finishedFrames.push(id);
  }

  // While frames are watched, a 1 ms interval (opened outside every frame, so it never counts as
  // anyone's work) drains the log and delivers finished frames to their watchers.
  startFlushing() {
    if (this.flushTimer !== null) return;
    this.flushTimer = this.runOutsideFrames(() => setInterval(() => this.flush(), 1));
    this.flushHoldsLoop = true;
    this.idleFlushes = 0;
  }

  // The flush timer holds the loop open while tracked work keeps happening, so that a context
  // whose last work is the process's last work still gets its 'end' delivered (a test runner
  // awaiting it would otherwise see an empty loop first). After IDLE_FLUSHES flushes with
  // nothing new it lets go: what remains (a promise that never settles, an unref'd handle) must
  // not keep the process alive; it holds on again as soon as events arrive.
  holdLoopWhileBusy(progressed) {
    if (progressed) {
      this.idleFlushes = 0;
      if (!this.flushHoldsLoop) {
        this.flushTimer.ref();
        this.flushHoldsLoop = true;
      }
    } else if (this.flushHoldsLoop && ++this.idleFlushes >= IDLE_FLUSHES) {
      this.flushTimer.unref();
      this.flushHoldsLoop = false;
    }
  }

  flush() {
    const progressed = this.log.cursor > 0 || this.log.submits !== this.submitsAtLastFlush || this.finishedFrames.length > 0;
    this.submitsAtLastFlush = this.log.submits;
    this.hook.sweepTimeouts();
    this.log.drain();
    const ids = this.finishedFrames;
    this.finishedFrames = [];
    for (const id of ids) {
      const onFinished = this.watchers.get(id);
      if (onFinished === undefined) continue;
      this.watchers.delete(id);
      try {
        onFinished();
      } catch (error) {
        // A throwing listener is the listener's bug: report it as uncaught, keep the engine going.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    if (this.flushTimer !== null && (this.watchers.size > 0 || this.finishedFrames.length > 0)) {
      this.holdLoopWhileBusy(progressed || ids.length > 0);
    } else if (this.flushTimer !== null) {
      clearInterval(this.flushTimer);
      this.flushTimer = null;
      // Nothing watched and no monitor: stop paying for the tracking hook. Frames still tracked
      // are cleaned from the native map when they are collected.
      if (!this.trackAll && this.active) this.setHookTracking(false);
    }
  }

  stats() {
    this.hook.sweepTimeouts();
    this.log.drain();
    return native.trackerStats(this.id);
  }
}

// One native report entry as the engine reports it (this thread's or another's); `details` is what
// differs: this thread's frame value, or another thread's published label and size.
function reportEntry(entry, now, typeOf, details) {
  return {
    frameId: entry.frame,
    parentFrameId: entry.parent,
    slot: entry.slot,
    asyncId: entry.asyncId,
    created: entry.created,
    duration: now - entry.created,
    running: entry.pinned,
    liveChildContexts: entry.liveChildren,
    ...details,
    children: entry.children.map((child) => ({
      asyncId: child.asyncId,
      type: typeOf(child),
      created: child.created,
      duration: now - child.created,
    })),
  };
}

module.exports = { Tracker };
