'use strict';
// The engine every face stands on: owners (instances, namespaces, stores) get a slot; frames
// map slots to values; a propagation strategy carries the current frame across async hops; the
// native core keeps the execution map and context tree while tracking is on.
//
// One engine per thread, shared by every copy of this package loaded in it (kept on globalThis
// under a registered symbol), so two copies never install two hooks.
//
// What faces use (each face allocates its own slot and never touches another face's):
//   allocateSlot()                  a slot for a new owner (instance, namespace, store, variable)
//   valueAt(slot)                   the owner's value in the current frame (undefined: none)
//   current()                       the current frame (undefined outside every frame)
//   derive(slot, value, pinned)     a new frame: the current one with slot = value
//   deriveWithout(slot)             a new frame: the current one without slot
//   run(frame, fn, thisArg, args)   fn in a new frame, previous frame restored; pinned frames released
//   runInFrame(frame, fn, ...)      fn in an existing (captured) frame
//   release(frame)                  end the pin of a frame derived with pinned = true
//   enter(frame)                    frame current for the rest of this execution (enterWith)
//   watch(frame, onFinished)        onFinished() once frame's run returned and its work is done
//   flush()                         drain the event log now and deliver finished frames
//   setTracking(owner, on), monitor(slot)   native tracking and its report

const { executionAsyncId } = require('node:async_hooks');
const native = require('./native');
const { Bridge } = require('./bridge');
const { EventLog } = require('./event-log');
const { UNDEFINED_VALUE, derivedFrame, readSlot } = require('./frame');
const { resourceStrategy } = require('./strategies/resource');
const { createAsyncContextFrameStrategy, hasAsyncContextFrame } = require('./strategies/async-context-frame');

const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');
const STRATEGIES = ['resource', 'async-context-frame'];
const NO_ARGS = [];
const ReflectApply = Reflect.apply;

function createStrategy(name) {
  if (name === 'async-context-frame') return createAsyncContextFrameStrategy();
  return resourceStrategy;
}

// Picks what measured fastest (see BENCHMARKS.md): V8's AsyncContextFrame where Node has it,
// otherwise a frame written onto each resource.
function defaultStrategyName() {
  const forced = process.env.NATIVE_EXECUTION_CONTEXT_STRATEGY;
  if (STRATEGIES.includes(forced)) return forced;
  return hasAsyncContextFrame() ? 'async-context-frame' : 'resource';
}

class Engine {
  constructor() {
    this.id = native.openEngine();
    this.strategy = createStrategy(defaultStrategyName());
    this.log = new EventLog(this.id, (frames) => this.finished(frames), () => {
      this.trackAll = false;
      this.bridge.setTracking(false);
    });
    this.bridge = new Bridge(this.strategy, this.log);
    this.lastFrameId = 0;
    this.lastSlot = -1;
    this.trackingOwners = new Set();
    this.trackAll = false;
    this.frameRefs = new Map();
    this.watchers = new Map();
    this.finishedFrames = [];
    this.flushTimer = null;
    this.registry = new FinalizationRegistry((frameId) => {
      this.frameRefs.delete(frameId);
      this.log.frameCollected(frameId);
    });
    // Where the exception now unwinding out of `run`s was thrown: { frame, outer } (the frame of
    // the innermost run it escaped, and the frame it has unwound to so far).
    this.escaped = undefined;
    this.dropEscape = () => {
      this.escaped = undefined;
    };
    this.bridge.install();
    this.installFailureContext();
    this.followRejectionListeners();
  }

  // The `resource` strategy can run 'unhandledRejection' listeners in the frame a promise was
  // rejected in (as Node 24 does) only by recording settlements with a hook on every promise
  // (about 8% of a CPU-bound promise loop on Node 20): it records only while such a listener
  // exists, which these two process listeners follow.
  followRejectionListeners() {
    const update = () => this.strategy.recordSettlements(process.listenerCount('unhandledRejection') > 0);
    process.on('newListener', (type) => {
      if (type === 'unhandledRejection') this.strategy.recordSettlements(true);
    });
    process.on('removeListener', (type) => {
      if (type === 'unhandledRejection') update();
    });
    update();
  }

  // 'uncaughtException' (and 'uncaughtExceptionMonitor') listeners run in the frame where the
  // exception was thrown when it escaped `run`s (every `run` restores its previous frame while the
  // stack unwinds); otherwise in the current frame, which Node leaves as the failing callback's.
  // 'unhandledRejection' listeners run in the frame the promise was rejected in, where the
  // strategy recorded one. No listener for either event is added, so Node's default handling
  // is untouched.
  installFailureContext() {
    const engine = this;
    const originalEmit = process.emit;
    Object.defineProperty(process, 'emit', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: function emit(type) {
        const escaped = engine.escaped;
        if (escaped !== undefined && (type === 'uncaughtException' || type === 'uncaughtExceptionMonitor')
          && escaped.outer === engine.strategy.current()) {
          if (type === 'uncaughtException') engine.escaped = undefined;
          return engine.strategy.runIn(escaped.frame, originalEmit, this, arguments);
        }
        if (type === 'unhandledRejection') {
          const settled = engine.strategy.settledFrame(arguments[2]);
          if (settled !== undefined) return engine.strategy.runIn(settled.frame, originalEmit, this, arguments);
        }
        return ReflectApply(originalEmit, this, arguments);
      },
    });
  }

  // Called when a throw leaves a run of `frame` (only then, never on the normal path). Not a
  // catch-and-rethrow: Node must still report the place the error was thrown.
  noteEscape(frame) {
    const outer = this.strategy.current();
    const escaped = this.escaped;
    if (escaped !== undefined && escaped.outer === frame) {
      escaped.outer = outer; // the same throw, one run further out: the innermost frame stays
      return;
    }
    // A caught throw's record is dropped at the next microtask checkpoint; an uncaught one is
    // handled before it.
    if (escaped === undefined) queueMicrotask(this.dropEscape);
    this.escaped = { frame, outer };
  }

  get strategyName() {
    return this.strategy.name;
  }

  // Forces a propagation strategy. Only before the first frame: switching later would strand
  // every context already carried by the old strategy.
  useStrategy(name) {
    if (!STRATEGIES.includes(name)) {
      throw new TypeError(`native-execution-context: unknown strategy ${JSON.stringify(name)}; use one of ${STRATEGIES.join(', ')}`);
    }
    if (name === this.strategy.name) return;
    if (this.lastFrameId !== 0) {
      throw new Error(`native-execution-context: the strategy can only be chosen before the first context is created (current: ${this.strategy.name})`);
    }
    this.strategy.recordSettlements(false);
    this.strategy = createStrategy(name);
    this.strategy.recordSettlements(process.listenerCount('unhandledRejection') > 0);
    this.bridge.strategy = this.strategy;
    if ('onNeedsBeforeHook' in this.strategy) this.strategy.onNeedsBeforeHook = () => this.bridge.install();
    this.bridge.install();
  }

  allocateSlot() {
    this.lastSlot += 1;
    return this.lastSlot;
  }

  current() {
    return this.strategy.current();
  }

  // The current value of one owner's slot, or undefined outside any frame that set it.
  valueAt(slot) {
    return readSlot(this.strategy.current(), slot);
  }

  // A new frame: the current one with `slot` set to `value`. `pinned` frames belong to a `run`
  // and stay open in the native tree until `release`.
  derive(slot, value, pinned) {
    const parent = this.strategy.current();
    this.lastFrameId += 1;
    return this.open(derivedFrame(this.lastFrameId, parent, slot, value), slot, parent, pinned);
  }

  // A new frame: the current one without `slot` (for `exit`).
  deriveWithout(slot) {
    const parent = this.strategy.current();
    if (readSlot(parent, slot) === undefined) return parent;
    this.lastFrameId += 1;
    return this.open(derivedFrame(this.lastFrameId, parent, slot, undefined), slot, parent, false);
  }

  open(frame, owner, parent, pinned) {
    // Children of a tracked frame are tracked too: their work counts toward the parent's end.
    const tracked = this.trackAll || (parent !== undefined && parent.tracked && this.bridge.tracking);
    frame.owner = owner;
    frame.pinned = pinned;
    if (tracked) this.startTracking(frame, parent, pinned);
    return frame;
  }

  // Makes the native tree follow `frame` from now on (resources created before are not counted).
  startTracking(frame, parent, pinned) {
    if (frame.tracked || this.log.failure !== null) return;
    if (!this.bridge.tracking) this.bridge.setTracking(true);
    frame.tracked = true;
    this.registry.register(frame, frame.id);
    this.frameRefs.set(frame.id, new WeakRef(frame));
    const parentId = parent !== undefined && parent.tracked ? parent.id : 0;
    this.log.frameOpen(frame.id, parentId, frame.owner, executionAsyncId(), pinned, Date.now());
  }

  // Runs fn with `frame` current (undefined: no frame); the previous frame is back afterwards,
  // even after a throw. A pinned frame is released in the native tree when fn returns.
  run(frame, fn, thisArg = undefined, args = NO_ARGS) {
    try {
      return this.runInFrame(frame, fn, thisArg, args);
    } finally {
      if (frame !== undefined) this.release(frame);
    }
  }

  // Runs fn in an already existing frame (a snapshot, a bound function): no pin, no release.
  runInFrame(frame, fn, thisArg = undefined, args = NO_ARGS) {
    let returned = false;
    try {
      const result = this.strategy.runIn(frame, fn, thisArg, args);
      returned = true;
      return result;
    } finally {
      if (!returned) this.noteEscape(frame);
    }
  }

  // Ends the pin of a frame opened with `pinned`: its synchronous part is over. Idempotent.
  release(frame) {
    if (frame.tracked && frame.pinned) {
      frame.pinned = false;
      this.log.frameRelease(frame.id);
    }
  }

  // Makes `frame` current for the rest of this execution and everything it starts.
  enter(frame) {
    this.strategy.enter(frame);
  }

  // While any owner asks for it (monitoring), every new frame is tracked in the native tree.
  // Watched frames turn the bridge's tracking hook on too, and it stays on once used.
  setTracking(owner, enabled) {
    if (enabled) this.trackingOwners.add(owner);
    else this.trackingOwners.delete(owner);
    this.trackAll = this.trackingOwners.size > 0 && this.log.failure === null;
    if (this.trackAll && !this.bridge.tracking) this.bridge.setTracking(true);
    if (!this.trackAll && this.bridge.tracking && this.watchers.size === 0) this.bridge.setTracking(false);
  }

  // Live contexts (optionally of one owner) with their live resources, read from the native map.
  monitor(owner) {
    if (this.log.failure !== null) {
      throw new Error(`native-execution-context: tracking stopped after a native failure, the report would be stale: ${this.log.failure.message}`);
    }
    this.bridge.sweepTimeouts();
    this.log.drain();
    const now = Date.now();
    const report = native.monitor(this.id, owner);
    const names = this.bridge.typeNames;
    return {
      size: report.size,
      contexts: report.contexts,
      entries: report.entries.map((entry) => {
        const frame = this.frameRefs.get(entry.frame)?.deref();
        return {
          frameId: entry.frame,
          parentFrameId: entry.parent,
          owner: entry.owner,
          asyncId: entry.asyncId,
          created: entry.created,
          duration: now - entry.created,
          running: entry.pinned,
          liveChildContexts: entry.liveChildren,
          value: readSlot(frame, entry.owner),
          children: entry.children.map((child) => ({
            asyncId: child.asyncId,
            type: names[child.typeCode],
            created: child.created,
            duration: now - child.created,
          })),
        };
      }),
    };
  }

  // Calls `onFinished` once the frame's run has returned and all work started under it is done.
  watch(frame, onFinished) {
    if (!frame.tracked) this.startTracking(frame, undefined, frame.pinned);
    this.watchers.set(frame.id, onFinished);
    this.log.frameWatch(frame.id);
    this.startFlushing();
  }

  // Called by the log's drain, possibly inside an async hook: only queue, never run user code.
  finished(frameIds) {
    for (const id of frameIds) this.finishedFrames.push(id);
  }

  // While frames are watched, a 1 ms unref'd interval (opened outside every frame, so it never
  // counts as anyone's work) drains the log and delivers finished frames to their watchers.
  startFlushing() {
    if (this.flushTimer !== null) return;
    this.flushTimer = this.runInFrame(undefined, () => setInterval(() => this.flush(), 1).unref());
  }

  flush() {
    this.bridge.sweepTimeouts();
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
    if (this.watchers.size === 0 && this.finishedFrames.length === 0) {
      clearInterval(this.flushTimer);
      this.flushTimer = null;
      // Nothing watched and no monitor: stop paying for the tracking hook. Frames still tracked
      // are cleaned from the native map when they are collected.
      if (!this.trackAll && this.bridge.tracking) this.bridge.setTracking(false);
    }
  }

  stats() {
    this.bridge.sweepTimeouts();
    this.log.drain();
    return native.engineStats(this.id);
  }
}

function engine() {
  let shared = globalThis[ENGINE_KEY];
  if (shared === undefined) {
    shared = new Engine();
    Object.defineProperty(globalThis, ENGINE_KEY, { value: shared, enumerable: false, configurable: false });
  }
  return shared;
}

module.exports = { engine, STRATEGIES, UNDEFINED_VALUE, hasAsyncContextFrame };
