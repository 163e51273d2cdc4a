'use strict';
// Propagation by writing the current frame onto every new async resource (the way Node 20/22's
// AsyncLocalStorage works) and reading it back from `executionAsyncResource()`. Nothing needs
// freeing: a frame lives exactly as long as some resource or running code references it.

const { executionAsyncId, executionAsyncResource } = require('async_hooks');

const kFrame = Symbol('native-execution-context.frame');
// On a promise settled in another frame than the one that created it: a WeakRef to the settling
// frame, or NO_FRAME when it was settled outside every frame.
const kSettledIn = Symbol('native-execution-context.settled-in');
const NO_FRAME = Symbol('no frame');
const ReflectApply = Reflect.apply;

// The settled-promise hook behind `settledFrame`. Only the rare promise settled in a frame other
// than its creator's gets a property, and only a weak reference: a long-lived promise must not
// keep a finished request's frame (and its `end`) alive.
function recordSettlement(promise) {
  const frame = executionAsyncResource()[kFrame];
  if (frame === promise[kFrame]) return;
  promise[kSettledIn] = frame === undefined ? NO_FRAME : new WeakRef(frame);
}

// The strategy (see contract.js). One per thread; its state lives in the closure.
function createResourceStrategy() {
  // Resources whose frame `enter` replaced during the current callback, with the frame each had
  // when the callback began (what its next callback must start from).
  const entered = new Map();
  // (resource, saved frame) pairs of the `runIn` calls on the stack, outermost first: an `enter`
  // inside a run must restore what the resource had before the outermost run, not the run's frame.
  // Entries past `runDepth` are stale; a counter, because shrinking an array's length is a builtin
  // call that showed up at ~4% of a 100-nested-stores profile.
  const runStack = [];
  let runDepth = 0;
  let stopRecordingSettlements = null;

  function restoreEntered() {
    for (const [resource, original] of entered) resource[kFrame] = original;
    entered.clear();
  }

  function frameBeforeRuns(resource, current) {
    for (let i = 0; i < runDepth; i += 2) if (runStack[i] === resource) return runStack[i + 1];
    return current;
  }

  return {
    name: 'resource',
    needsInitHook: true,
    // Set by the first `enter`: from then on the bridge's hook also has `before`, so that a
    // resource entered again synchronously (a second emit of an EventEmitterAsyncResource in the
    // same turn) starts from its own frame. Code that never calls create/enterWith never pays it.
    needsBeforeHook: false,
    onNeedsBeforeHook: null,

    // The `before` hook: the resource about to run again gets back the frame it had before an
    // `enter` of its previous callback. Other entered resources are left for the microtask (they
    // may still be on the stack, around this nested callback).
    before() {
      if (entered.size === 0) return;
      const resource = executionAsyncResource();
      const original = entered.get(resource);
      if (original === undefined && !entered.has(resource)) return;
      resource[kFrame] = original;
      entered.delete(resource);
    },

    current() {
      return executionAsyncResource()[kFrame];
    },

    frameOfResource(resource) {
      return resource[kFrame];
    },

    // Node 20/22 run 'unhandledRejection' listeners with the rejected promise as the current
    // resource, which carries the frame of the context that created it; Node 24 uses the frame
    // current when it was rejected. Recording that needs a hook on every settled promise, so the
    // engine turns it on only while an 'unhandledRejection' listener exists.
    recordSettlements(enabled) {
      if (enabled && stopRecordingSettlements === null) {
        // node:v8 loads lazily: it took ~7 ms of a ~30 ms cold require on Node 20.
        stopRecordingSettlements = require('v8').promiseHooks.onSettled(recordSettlement);
      } else if (!enabled && stopRecordingSettlements !== null) {
        stopRecordingSettlements();
        stopRecordingSettlements = null;
      }
    },

    // { frame } the promise was settled in, when that differs from the frame that created it and was
    // recorded; otherwise undefined (its own frame is the right one, or nothing was recorded).
    settledFrame(promise) {
      if (promise === null || typeof promise !== 'object') return undefined;
      const settled = promise[kSettledIn];
      if (settled === undefined) return undefined;
      if (settled === NO_FRAME) return { frame: undefined };
      const frame = settled.deref();
      return frame === undefined ? undefined : { frame };
    },

    // Called from the `init` hook with the resource being created.
    propagate(resource) {
      const frame = executionAsyncResource()[kFrame];
      // Written even when undefined (as Node's AsyncLocalStorage does): every resource then has
      // one shape, and Node's promise hooks stay optimized (measured: a third of our cold-start
      // gap to AsyncLocalStorage on Node 20, in instruction counts).
      resource[kFrame] = frame;
      return frame;
    },

    runIn(frame, fn, thisArg, args) {
      const resource = executionAsyncResource();
      const previous = resource[kFrame];
      resource[kFrame] = frame;
      const depth = runDepth;
      runStack[depth] = resource;
      runStack[depth + 1] = previous;
      runDepth = depth + 2;
      try {
        return ReflectApply(fn, thisArg, args);
      } finally {
        runDepth = depth;
        // Stale entries must not keep a finished request's resource and frame reachable.
        runStack[depth] = undefined;
        runStack[depth + 1] = undefined;
        resource[kFrame] = previous;
      }
    },

    // The resource running now holds the frame to restore, so `prior` adds nothing here.
    runFrom(prior, frame, fn, thisArg, args) {
      return this.runIn(frame, fn, thisArg, args);
    },

    // `enterWith`: the frame holds for the rest of the current callback and everything it starts,
    // but not for the resource's next callback (an interval's next tick, a socket's next `data`):
    // that would hand one request's context to the next. Without an `after` hook, the end of the
    // current callback is observed with a microtask, which runs before any other macrotask.
    enter(frame) {
      const resource = executionAsyncResource();
      const previous = resource[kFrame];
      resource[kFrame] = frame;
      // At top level (async id 0 or 1) there is no next callback: the main script runs once.
      if (executionAsyncId() <= 1) return;
      if (!entered.has(resource)) {
        entered.set(resource, frameBeforeRuns(resource, previous));
        if (entered.size === 1) {
          // The engine's own microtask belongs to no context: created under `frame`, it would
          // count as that context's work in monitor reports and delay its 'end'.
          resource[kFrame] = undefined;
          queueMicrotask(restoreEntered);
          resource[kFrame] = frame;
        }
      }
      if (!this.needsBeforeHook) {
        this.needsBeforeHook = true;
        if (this.onNeedsBeforeHook !== null) this.onNeedsBeforeHook();
      }
    },
  };
}

module.exports = { createResourceStrategy };
