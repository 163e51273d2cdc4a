'use strict';
// The engine every face stands on, and the one entry to it (faces, bench and tests require only
// this file). One engine per thread, shared by every copy of this package loaded in it (kept on
// globalThis under a registered symbol), so two copies never install two hooks.
//
//   propagation.js      the hot path: slots, frames, run and enter          (faces call it)
//   strategies/         how the current frame crosses async hops (contract.js)
//   async-hook.js       the thread's one async_hooks hook
//   tracking.js         the native tracker behind monitor() and /cls 'end' (loads the native core,
//                       on first need: ensureTracker)
//   failure-context.js  process error events in the failing frame (one process.emit wrapper)
//   stall-watchdog.js   a native thread that blames event-loop stalls on the running context
//                       (loads the native core, on first watchStalls)
//
// What faces use (each face allocates its own slot and never touches another face's):
//   allocateSlot()                           a slot for a new owner (instance, namespace, store)
//   valueAt(slot), current()                 the owner's value / the whole current frame
//   derive(slot, value), deriveWithout(slot) a new frame for enter or capture
//   runNew(slot, value, fn, thisArg, args)   a face's run: fn in a new frame with the owner's value
//   derivePinned(slot, value)                a new frame for runAndRelease (when the face needs the
//   runAndRelease(frame, fn, thisArg, args)  frame itself); fn in it, its pin released afterwards
//   runIn(frame, fn, thisArg, args)          fn in an existing (captured) frame
//   release(frame), enter(frame)             end an entered pinned frame's pin / enterWith
//   watch(frame, onFinished), flush()        a frame's end, from the native tree
//   setTracking(requester, on), monitor(slot), stats()   native tracking and its report
//   monitorOtherThreads(), publish(...)      every other thread's report; labels for theirs
//   failure                                  the failure context (noteEscape, addRouter)
//   watchStalls({ thresholdMs, stderr, onStall, labelOf }) -> stop   this thread's stall watchdog

const { Propagation, IDLE_TRACKER } = require('./propagation');
const { AsyncHook, asyncHooksCanSkipPromises } = require('./async-hook');
const { UNDEFINED_VALUE } = require('./frame');
const { createResourceStrategy } = require('./strategies/resource');
const { createAsyncContextFrameStrategy, hasAsyncContextFrame } = require('./strategies/async-context-frame');

const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');
const STRATEGIES = ['resource', 'async-context-frame'];

// Bun and Deno run this code, but their async_hooks.createHook reports no promise and no I/O
// (Bun: only process.nextTick; Deno: timers, immediates, ticks): the `resource` strategy and
// tracking need those. The runtime's name for the error message, or null (docs/runtimes.md).
function runtimeWithoutAsyncHooks() {
  if (process.versions.bun !== undefined) return `Bun ${process.versions.bun.split('.')[0]}.x`;
  if (process.versions.deno !== undefined) return `Deno ${process.versions.deno.split('.')[0]}.x`;
  return null;
}

function createStrategy(name) {
  if (name === 'async-context-frame') return createAsyncContextFrameStrategy();
  const runtime = runtimeWithoutAsyncHooks();
  if (runtime !== null) {
    throw new Error(`native-execution-context: the resource strategy needs async_hooks.createHook, which ${runtime} does not implement; use async-context-frame`);
  }
  return createResourceStrategy();
}

// Picks what measured fastest (see BENCHMARKS.md): V8's AsyncContextFrame where Node has it,
// otherwise a frame written onto each resource.
function defaultStrategyName() {
  const forced = process.env.NATIVE_EXECUTION_CONTEXT_STRATEGY;
  if (STRATEGIES.includes(forced)) return forced;
  // Bun, Deno: only async-context-frame works (Bun's native AsyncLocalStorage still has a `_propagate`).
  if (runtimeWithoutAsyncHooks() !== null) return 'async-context-frame';
  return hasAsyncContextFrame() ? 'async-context-frame' : 'resource';
}

class ContextEngine extends Propagation {
  constructor() {
    super(createStrategy(defaultStrategyName()));
    this.asyncHook = new AsyncHook(this.strategy);
    this.stallWatchdog = null;
  }

  // The native tracker, created (and the native core loaded) on first need: code that never
  // monitors or watches an end pays nothing for it, not even at require time.
  ensureTracker() {
    if (this.tracker === IDLE_TRACKER) {
      const runtime = runtimeWithoutAsyncHooks();
      if (runtime !== null) {
        throw new Error(`native-execution-context: monitoring and /cls 'end' events need async_hooks.createHook to see promises and I/O, which ${runtime} does not implement`);
      }
      // Outside every frame: loading the addon makes Node create a native async resource that
      // keeps, for the life of the process, the context frame current at that moment. Loaded
      // inside a run, that run's frame (and its context) could never be collected.
      this.tracker = this.runIn(undefined, () => new (require('./tracking').Tracker)(this.asyncHook));
      this.tracker.runOutsideFrames = (fn) => this.runIn(undefined, fn);
    }
    return this.tracker;
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
    if (this.stallWatchdog !== null) {
      throw new Error(`native-execution-context: the strategy can only be chosen before the stall watchdog starts (current: ${this.strategy.name})`);
    }
    const previous = this.strategy;
    this.strategy = createStrategy(name);
    this.failure.strategyChanged(previous);
    this.asyncHook.serve(this.strategy);
  }

  watch(frame, onFinished) {
    this.ensureTracker().watch(frame, onFinished);
  }

  flush() {
    if (this.tracker !== IDLE_TRACKER) this.tracker.flush();
  }

  // sampleRate: the fraction of new top-level frames to track while `requester` monitors (0..1).
  // reported: { slot, describe }, for requesters whose contexts other threads' reports list.
  setTracking(requester, enabled, sampleRate = 1, reported = undefined) {
    if (enabled || this.tracker !== IDLE_TRACKER) this.ensureTracker().setTracking(requester, enabled, sampleRate, reported);
  }

  monitor(slot) {
    return this.ensureTracker().monitor(slot);
  }

  monitorOtherThreads() {
    return this.ensureTracker().monitorOtherThreads();
  }

  // frameIds[i]'s label and context size, as this thread's own report described them.
  publish(frameIds, labels, sizes) {
    this.ensureTracker().publish(frameIds, labels, sizes);
  }

  // Starts this thread's stall watchdog (stall-watchdog.js); one per thread.
  watchStalls(options) {
    if (this.stallWatchdog !== null) {
      throw new Error('native-execution-context: a stall watchdog already runs on this thread; stop it first');
    }
    const runtime = runtimeWithoutAsyncHooks();
    if (runtime !== null) {
      throw new Error(`native-execution-context: the stall watchdog needs async_hooks.createHook to see callbacks start, which ${runtime} does not implement`);
    }
    // Loaded outside every frame, like the tracker (see ensureTracker).
    const { startStallWatchdog } = this.runIn(undefined, () => require('./stall-watchdog'));
    const stop = startStallWatchdog(this, options);
    this.stallWatchdog = stop;
    return () => {
      if (this.stallWatchdog !== stop) return;
      this.stallWatchdog = null;
      stop();
    };
  }

  stats() {
    return this.ensureTracker().stats();
  }
}

function engine() {
  let shared = globalThis[ENGINE_KEY];
  if (shared === undefined) {
    shared = new ContextEngine();
    Object.defineProperty(globalThis, ENGINE_KEY, { value: shared, enumerable: false, configurable: false });
  }
  return shared;
}

module.exports = { engine, STRATEGIES, UNDEFINED_VALUE, hasAsyncContextFrame, asyncHooksCanSkipPromises, runtimeWithoutAsyncHooks };
