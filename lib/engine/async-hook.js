'use strict';
// The one async_hooks hook of this thread. It propagates frames (for strategies that need an
// `init` hook) and, only while tracking is on, feeds the native tracker through the event log.
// `destroy` is never hooked: it would make Node track every promise for GC and halve promise
// throughput. Cleanup comes from V8's `settled` promise hook (see settledThroughV8 and
// tracksPromisesApart; `promiseResolve` where neither applies), `after` on one-shot resources,
// and the garbage collection of frames.

const { createHook, executionAsyncId } = require('async_hooks');
const { promiseHooks } = require('v8');

// Tracked promises' ids when V8's promise hooks feed the tracker (see promiseTrackingCallbacks):
// Node gives those promises no async id, so the engine numbers them in a sequence of its own,
// kept apart from Node's ids by their own log records (reports show them negated). Small
// integers: V8 stores them on the promise without allocating a number. Written on the promise.
const kOwnPromiseId = Symbol('native-execution-context.promiseId');

// Resources whose callback runs once: `after` means they are finished.
const ONE_SHOT_TYPES = new Set([
  'Timeout', 'Immediate', 'TickObject', 'Microtask', 'FSREQCALLBACK', 'FSREQPROMISE',
  'GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'QUERYWRAP', 'WRITEWRAP', 'SHUTDOWNWRAP',
  'TCPCONNECTWRAP', 'PIPECONNECTWRAP', 'FILEHANDLECLOSEREQ', 'PBKDF2REQUEST',
  'RANDOMBYTESREQUEST', 'SCRYPTREQUEST', 'KEYGENREQUEST', 'SIGNREQUEST', 'VERIFYREQUEST',
  'HASHREQUEST', 'HKDFREQUEST', 'CIPHERREQUEST', 'DERIVEBITSREQUEST', 'CHECKPRIMEREQUEST',
]);

class AsyncHook {
  constructor(strategy) {
    this.strategy = null;
    // The tracker's event log (set by tracking.js, which owns it).
    this.log = null;
    this.tracking = false;
    // The stall watchdog's `before` callback (stall-watchdog.js), or null.
    this.boundary = null;
    this.nodeHook = null;
    // Stops the V8 promise hooks that track promises apart from the async hook, or null.
    this.stopPromiseHooks = null;
    this.nextOwnPromiseId = 1;
    this.typeInfos = new Map();
    this.typeNames = [];
    // Tracked timeouts: a cleared timeout never fires `after`, and without a `destroy` hook the
    // only sign is its `_destroyed` flag, checked by `sweepTimeouts`. Held strongly in a plain
    // array beside their async ids (16 bytes a timeout; a pending timeout is held by Node's timer
    // list anyway): a WeakRef and a Map entry per timeout were most of tracking's V8 heap
    // (bench/workload-tracking-memory.js). The id is not read back from the timeout: its
    // Symbol.toPrimitive puts a timeout in Node's own id table, for good once it has fired.
    // A cleared one stays reachable (with its frame) until the next sweep: at most 1,024 new
    // timeouts later, at the next report or flush, or after the next garbage collection (a
    // sentinel's finalizer sweeps, so that an abandoned request's frame still gets collected).
    this.timeouts = [];
    this.timeoutIds = [];
    this.timeoutsSinceSweep = 0;
    this.sweepAfterGc = new FinalizationRegistry(() => {
      this.sentinelArmed = false;
      if (this.timeouts.length > 0) this.sweepTimeouts();
      this.armSweepAfterGc();
    });
    this.sentinelArmed = false;
    this.serve(strategy);
  }

  // Ends every tracked timeout that was cleared, has fired, or was never scheduled, compacting
  // the array in place. O(live tracked timeouts); runs every 1,024 new timeouts (from `init`,
  // inside the newest one's constructor: `constructing` skips it) and before every report and
  // flush.
  sweepTimeouts(constructing = null) {
    this.timeoutsSinceSweep = 0;
    const timeouts = this.timeouts;
    const ids = this.timeoutIds;
    if (this.log === null) {
      timeouts.length = 0;
      ids.length = 0;
      return;
    }
    let kept = 0;
    for (let i = 0; i < timeouts.length; i++) {
      const timeout = timeouts[i];
      // An unref'd timer (Node's keep-alive and Date-header timers among them) is background
      // work: it does not hold its context open, or `end` would wait seconds on every server.
      // `_idleStart` stays null only if the constructor never returned to setTimeout (a stack
      // overflow inside it): nothing will ever run or clear that timeout.
      if (timeout !== constructing && (timeout._destroyed === true || timeout.hasRef() === false || timeout._idleStart === null)) {
        this.log.settled(ids[i]);
      } else {
        timeouts[kept] = timeout;
        ids[kept] = ids[i];
        kept += 1;
      }
    }
    timeouts.length = kept;
    ids.length = kept;
  }

  // What the log needs to know about a resource type: its code in reports and whether its
  // callback runs once. Cached per type name (one Map lookup per new type, not per resource).
  typeInfo(type) {
    let info = this.typeInfos.get(type);
    if (info === undefined) {
      info = { code: this.typeNames.length, oneShot: ONE_SHOT_TYPES.has(type), timeout: type === 'Timeout', promise: type === 'PROMISE' };
      this.typeNames.push(type);
      this.typeInfos.set(type, info);
    }
    return info;
  }

  // One sentinel at a time, only while timeouts are held.
  armSweepAfterGc() {
    if (this.sentinelArmed || this.timeouts.length === 0) return;
    this.sentinelArmed = true;
    this.sweepAfterGc.register({}, undefined);
  }

  trackTimeout(asyncId, timeout) {
    this.timeouts.push(timeout);
    this.timeoutIds.push(asyncId);
    if (!this.sentinelArmed) this.armSweepAfterGc();
    this.timeoutsSinceSweep += 1;
    if (this.timeoutsSinceSweep >= 1024) this.sweepTimeouts(timeout);
  }

  // Serves `strategy` from now on (the engine's strategy, or a replacement from useStrategy).
  serve(strategy) {
    if (this.strategy !== null) this.strategy.onNeedsBeforeHook = null;
    this.strategy = strategy;
    strategy.onNeedsBeforeHook = () => this.install();
    this.install();
  }

  // Tracking on: every new resource of a tracked frame is written to the tracker's event log.
  setTracking(enabled) {
    this.tracking = enabled;
    this.install();
  }

  // The stall watchdog on (a callback run at every callback start) or off (null).
  setBoundary(boundary) {
    this.boundary = boundary;
    this.install();
  }

  // Replaces the hook with one that has exactly the callbacks needed now.
  install() {
    if (this.nodeHook !== null) this.nodeHook.disable();
    this.nodeHook = null;
    if (this.stopPromiseHooks !== null) this.stopPromiseHooks();
    this.stopPromiseHooks = null;
    let callbacks;
    if (!this.tracking) {
      callbacks = this.propagationCallbacks();
    } else {
      const promisesApart = this.tracksPromisesApart();
      callbacks = this.trackingCallbacks(promisesApart);
      if (promisesApart) this.stopPromiseHooks = promiseHooks.createHook(this.promiseTrackingCallbacks());
      else if (settledThroughV8()) this.stopPromiseHooks = promiseHooks.onSettled(this.settledById());
    }
    if (this.boundary !== null) callbacks = withBoundary(callbacks, this.boundary);
    if (callbacks !== null) this.nodeHook = createHook(callbacks).enable();
  }

  // Whether tracking leaves promises out of the async hook and follows them through V8's promise
  // hooks instead. An async hook that sees promises makes Node number every promise and run its
  // async-id bookkeeping around every promise callback: on Node 24's default strategy, which runs
  // no hook of its own, that was most of monitoring's cost (docs/performance.md). Only where the
  // strategy needs no `init` hook of its own (async-context-frame: the frame is current in a
  // promise's hooks), where Node can leave promises out (`trackPromises: false`, Node 24), and
  // with no stall watchdog, whose `before` must see promise callbacks start.
  tracksPromisesApart() {
    return !this.strategy.needsInitHook && this.boundary === null && asyncHooksCanSkipPromises();
  }

  propagationCallbacks() {
    if (!this.strategy.needsInitHook) return null;
    const strategy = this.strategy;
    const callbacks = {
      init(asyncId, type, triggerAsyncId, resource) {
        strategy.propagate(resource);
      },
    };
    if (strategy.needsBeforeHook) callbacks.before = () => strategy.before();
    return callbacks;
  }

  // `promisesApart`: promises never reach this hook (promiseTrackingCallbacks follows them).
  trackingCallbacks(promisesApart) {
    const hook = this;
    const strategy = this.strategy;
    const log = this.log;
    let lastType = '';
    let lastInfo = null;
    const callbacks = {
      init(asyncId, type, triggerAsyncId, resource) {
        const frame = strategy.propagate(resource);
        if (frame === undefined || !frame.tracked) return;
        // Consecutive resources are mostly of one type (promises): a one-entry cache.
        let info = lastInfo;
        if (type !== lastType) {
          info = hook.typeInfo(type);
          lastType = type;
          lastInfo = info;
        }
        let oneShot = info.oneShot;
        if (info.promise) {
          // A promise made by `new Promise`, `Promise.resolve` or an async call (its trigger is
          // the running code) never runs a callback under its own id; work waiting on it is a
          // promise made by then/await, which is tracked. Skipping these halves promise records.
          if (triggerAsyncId === executionAsyncId()) return;
        } else if (info.timeout) {
          // An unref'd timer is background work (see sweepTimeouts); an interval is not one-shot.
          if (resource.hasRef() === false) return;
          if (resource._repeat) oneShot = false;
        }
        log.init(asyncId, frame.id, info.code, oneShot, info.promise ? log.now : log.stamp());
        if (info.timeout) hook.trackTimeout(asyncId, resource);
      },
      // `after` runs with the resource still current: only resources of tracked frames can be in
      // the map, so the others (untracked requests, our own flush timer) write nothing.
      after(asyncId) {
        const frame = strategy.current();
        if (frame !== undefined && frame.tracked) log.after(asyncId);
      },
      before: strategy.needsBeforeHook ? () => strategy.before() : undefined,
    };
    if (promisesApart) {
      callbacks.trackPromises = false;
    } else if (!settledThroughV8()) {
      callbacks.promiseResolve = (asyncId) => log.settled(asyncId);
    }
    return callbacks;
  }

  // Settlements of promises Node numbers, from V8's `settled` promise hook (see settledThroughV8).
  settledById() {
    const log = this.log;
    return (promise) => {
      const asyncId = promise[asyncIdSymbol];
      if (asyncId !== undefined) log.settled(asyncId);
    };
  }

  // Promises of tracked frames, from V8's promise hooks: the same records as the async hook's
  // `init` and `promiseResolve` above, under the engine's own ids (see kOwnPromiseId).
  promiseTrackingCallbacks() {
    const hook = this;
    const strategy = this.strategy;
    const log = this.log;
    const code = this.typeInfo('PROMISE').code;
    return {
      init(promise, parent) {
        // Without a parent, a promise was made by `new Promise`, `Promise.resolve` or an async
        // call: as in `trackingCallbacks`, only promises made by then/await are work of the frame.
        if (parent === undefined) return;
        const frame = strategy.current();
        if (frame === undefined || !frame.tracked) return;
        const id = hook.nextOwnPromiseId++;
        promise[kOwnPromiseId] = id;
        log.promiseInit(id, frame.id, code, log.now);
      },
      settled(promise) {
        const id = promise[kOwnPromiseId];
        if (id !== undefined) log.promiseSettled(id);
      },
    };
  }
}

// Whether `createHook({ trackPromises: false })` leaves promises out (Node 24; older versions
// ignore the option, and runtimes without V8's promise hooks cannot follow promises apart).
// Probed once: a promise made under such a hook must not reach its `init`.
let canSkipPromises;
function asyncHooksCanSkipPromises() {
  if (canSkipPromises === undefined && (promiseHooks === undefined || typeof promiseHooks.createHook !== 'function')) {
    canSkipPromises = false;
  }
  if (canSkipPromises === undefined) {
    let sawPromise = false;
    const probe = createHook({
      init(asyncId, type) {
        if (type === 'PROMISE') sawPromise = true;
      },
      trackPromises: false,
    }).enable();
    new Promise(() => {}).then(() => {});
    probe.disable();
    canSkipPromises = !sawPromise;
  }
  return canSkipPromises;
}

// Node's own symbol for a promise's async id (it numbers promises while an async hook sees them).
// Where it can be found, tracking learns of settlements from V8's `settled` promise hook, called
// straight from V8, instead of the async hook's `promiseResolve`, which Node reaches through its
// own promise hook, an id lookup and a loop over every hook: the same record, less work per
// promise (callgrind, Node 20, promise workload with monitoring on: 317k -> 287k instructions per
// request, 2026-12-02). It is Node's internal property, so it is looked up once, by its description, on a
// promise made under an async hook; if it is missing, `promiseResolve` stays.
let asyncIdSymbol;
function settledThroughV8() {
  if (asyncIdSymbol === undefined) {
    asyncIdSymbol = null;
    if (promiseHooks !== undefined && typeof promiseHooks.onSettled === 'function') {
      const probe = createHook({ init() {} }).enable();
      const promise = Promise.resolve().then(() => {});
      probe.disable();
      const symbol = Object.getOwnPropertySymbols(promise).find((s) => s.description === 'async_id_symbol');
      if (symbol !== undefined && typeof promise[symbol] === 'number') asyncIdSymbol = symbol;
    }
  }
  return asyncIdSymbol !== null;
}

// `callbacks` (or none) plus `boundary` at every callback start, after the strategy's own `before`
// (which may restore the frame the callback starts in).
function withBoundary(callbacks, boundary) {
  const all = callbacks === null ? {} : callbacks;
  const before = all.before;
  all.before = before === undefined ? boundary : (asyncId) => {
    before(asyncId);
    boundary(asyncId);
  };
  return all;
}

module.exports = { AsyncHook, ONE_SHOT_TYPES, asyncHooksCanSkipPromises };
