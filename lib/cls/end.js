'use strict';
// The context life cycle: a context's 'end' fires once its run has returned and all the work
// started under it has finished, as reported by the engine's native context tree (`watch`).
// Listeners are added with the on/once/off methods every context inherits from BASE.

const util = require('util');
const { engine: getEngine } = require('../engine');
const { rethrowLater } = require('../shared/rethrow');

const engine = getEngine();

// Each namespace roots its contexts at its own child of BASE, which holds the namespace's state
// under this symbol: { pendingEnds, runFrameOf(context) } (see namespace.js). So a context's
// namespace is found with no per-context bookkeeping.
const NAMESPACE_STATE = Symbol('native-execution-context.cls.namespaceState');

// context -> EndRecord, created by the first 'end' listener.
const endRecords = new WeakMap();
// Runs whose end can only be known from their frame's collection (see `watchEnd`).
const lateEnds = new FinalizationRegistry((record) => record.fire());

class EndRecord {
  constructor(context, pendingEnds) {
    this.context = context;
    this.pendingEnds = pendingEnds; // the namespace's set of records still waiting, for destroyNamespace
    this.listeners = [];
    this.ended = false;
  }

  // Called by the engine's flush timer (outside any frame) or by our collection callback.
  fire() {
    if (this.ended) return;
    this.ended = true;
    this.pendingEnds.delete(this);
    const listeners = this.listeners;
    this.listeners = [];
    deliver(this.context, listeners);
  }

  // destroyNamespace/reset: drop the listeners; a later registration starts a new record.
  release() {
    this.ended = true;
    this.listeners = [];
    endRecords.delete(this.context);
  }
}

function deliver(context, listeners) {
  engine.runIn(undefined, () => {
    for (const listener of listeners) {
      try {
        listener.call(context, context);
      } catch (error) {
        rethrowLater(error); // reported as uncaught; the other listeners still get the end
      }
    }
  });
}

// An end that is already known is delivered on a later turn, never synchronously.
function deliverLater(context, listener) {
  engine.runIn(undefined, () => setImmediate(() => deliver(context, [listener])));
}

// Set-up done once, when the first context is watched:
// - end listeners are delivered by the engine's unref'd flush timer: when the event loop empties
//   first, deliver what has finished before the process exits;
// - process.stdout/stderr create their handle on first use. Created inside a watched run (its
//   first console.log), that never-ending handle would count as the run's work forever: create
//   them now, outside every frame.
let watchingSetUp = false;
function setUpWatching() {
  if (watchingSetUp) return;
  watchingSetUp = true;
  process.on('beforeExit', () => engine.flush());
  engine.runIn(undefined, () => {
    void process.stdout;
    void process.stderr;
  });
}

function checkEndArguments(event, listener) {
  if (event !== 'end') {
    throw new TypeError(`A context emits only 'end', not ${util.inspect(event)}`);
  }
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be of type function. Received ${util.inspect(listener)}`);
  }
}

function addEndListener(context, event, listener) {
  checkEndArguments(event, listener);
  let record = endRecords.get(context);
  if (record === undefined) {
    const state = context[NAMESPACE_STATE];
    const frame = state === undefined ? undefined : state.runFrameOf(context);
    if (frame === undefined) {
      throw new Error(
        "context.on('end') must be called where the context is active: inside its ns.run(), " +
          'ns.runAndReturn() or ns.runPromise(), or in a continuation of it (contexts made by ' +
          'createContext() or bind() have no run, hence no end).',
      );
    }
    record = new EndRecord(context, state.pendingEnds);
    watchEnd(record, frame); // throws where the runtime cannot track (Bun, Deno): nothing recorded then
    endRecords.set(context, record);
  }
  if (record.ended) deliverLater(context, listener);
  else record.listeners.push(listener);
  return context;
}

// Starts watching a run's frame. Accurate when called while the run is still on the stack (the
// frame is pinned) or when its frame was already tracked; after the run has returned untracked,
// the work it started is unknown to the native map, so the end is the frame's collection: no
// resource or continuation can run in it any more.
function watchEnd(record, frame) {
  if (frame.pinned || frame.tracked) {
    setUpWatching();
    engine.watch(frame, () => record.fire());
  } else {
    lateEnds.register(frame, record);
  }
  record.pendingEnds.add(record);
}

function removeEndListener(context, event, listener) {
  const record = endRecords.get(context);
  if (record === undefined || event !== 'end') return context;
  const index = record.listeners.lastIndexOf(listener);
  if (index !== -1) record.listeners.splice(index, 1);
  return context;
}

// The root of every context's prototype chain: Object.prototype plus the life-cycle methods,
// non-enumerable so they never show up among the context's values.
const BASE = Object.create(Object.prototype);
const contextOn = function on(event, listener) {
  return addEndListener(this, event, listener);
};
const contextOnce = function once(event, listener) {
  return addEndListener(this, event, listener); // 'end' fires once anyway
};
const contextOff = function off(event, listener) {
  return removeEndListener(this, event, listener);
};
for (const [name, value] of [['on', contextOn], ['once', contextOnce], ['off', contextOff]]) {
  Object.defineProperty(BASE, name, { value, writable: true, configurable: true, enumerable: false });
}

// ns.get('on') must stay undefined, as with cls-hooked, unless the key was set.
function lookup(context, key) {
  const value = context[key];
  if (value === contextOn || value === contextOnce || value === contextOff) return undefined;
  return value;
}

module.exports = { BASE, NAMESPACE_STATE, lookup };
