'use strict';
// The engine every face stands on: owners (instances, namespaces, stores) get a slot; frames
// map slots to values; a propagation strategy carries the current frame across async hops; the
// native core keeps the execution map and context tree while tracking is on.
//
// One engine per thread, shared by every copy of this package loaded in it (kept on globalThis
// under a registered symbol), so two copies never install two hooks.

const { executionAsyncId } = require('node:async_hooks');
const native = require('./native');
const { Bridge } = require('./bridge');
const { EventLog } = require('./event-log');
const { Frame } = require('./frame');
const { resourceStrategy } = require('./strategies/resource');
const { createAsyncContextFrameStrategy, hasAsyncContextFrame } = require('./strategies/async-context-frame');

const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');
const STRATEGIES = ['resource', 'async-context-frame'];
const NO_ARGS = [];

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
    this.log = new EventLog(this.id, (frames) => this.finished(frames));
    this.bridge = new Bridge(this.strategy, this.log);
    this.lastFrameId = 0;
    this.lastSlot = -1;
    this.trackingOwners = new Set();
    this.frameRefs = new Map();
    this.watchers = new Map();
    this.registry = new FinalizationRegistry((frameId) => {
      this.frameRefs.delete(frameId);
      this.log.frameCollected(frameId);
    });
    this.bridge.install();
  }

  get strategyName() {
    return this.strategy.name;
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
    const frame = this.strategy.current();
    return frame === undefined ? undefined : frame.slots[slot];
  }

  // A new frame: the current one with `slot` set to `value`. `pinned` frames belong to a `run`
  // and stay open in the native tree until `release`.
  derive(slot, value, pinned) {
    const parent = this.strategy.current();
    const slots = parent === undefined ? [] : parent.slots.slice();
    slots[slot] = value;
    return this.open(slots, slot, parent, pinned);
  }

  open(slots, owner, parent, pinned) {
    this.lastFrameId += 1;
    const tracked = this.bridge.tracking;
    const frame = new Frame(this.lastFrameId, slots, tracked);
    if (tracked) {
      this.registry.register(frame, frame.id);
      this.frameRefs.set(frame.id, new WeakRef(frame));
      const parentId = parent !== undefined && parent.tracked ? parent.id : 0;
      this.log.frameOpen(frame.id, parentId, owner, executionAsyncId(), pinned, Date.now());
    }
    return frame;
  }

  // Runs fn with `frame` current; the previous frame is back afterwards, even after a throw.
  run(frame, fn, thisArg = undefined, args = NO_ARGS) {
    try {
      return this.strategy.runIn(frame, fn, thisArg, args);
    } finally {
      if (frame.tracked) this.log.frameRelease(frame.id);
    }
  }

  // Makes `frame` current for the rest of this execution and everything it starts.
  enter(frame) {
    this.strategy.enter(frame);
  }

  // Tracking feeds the native execution map; it is on while any owner asks for it.
  setTracking(owner, enabled) {
    if (enabled) this.trackingOwners.add(owner);
    else this.trackingOwners.delete(owner);
    const tracking = this.trackingOwners.size > 0;
    if (tracking !== this.bridge.tracking) this.bridge.setTracking(tracking);
  }

  // Live contexts (optionally of one owner) with their live resources, read from the native map.
  monitor(owner) {
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
          value: frame === undefined ? undefined : frame.slots[entry.owner],
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
    if (!frame.tracked) throw new Error('native-execution-context: only tracked frames can be watched');
    this.watchers.set(frame.id, onFinished);
    this.log.frameWatch(frame.id);
  }

  finished(frameIds) {
    for (const id of frameIds) {
      const onFinished = this.watchers.get(id);
      if (onFinished === undefined) continue;
      this.watchers.delete(id);
      onFinished();
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

module.exports = { engine, STRATEGIES };
