'use strict';
// native-execution-context/cls: namespaces of context-sensitive values (the continuation-local
// storage "Local Context" design), a drop-in for cls-hooked 4.2.2 on the shared engine.
//
// Each namespace owns one engine slot. The slot holds a Link: the active context plus the link
// that was active below it (the per-execution stack that enter/exit walk). Frames carry the
// links across async hops, so a hop costs the same with 1 namespace or 100, and there is no
// per-namespace hook. Contexts are plain objects chained by prototype (nested contexts fall
// through to their parents), rooted at a per-namespace base whose prototype adds non-enumerable
// on/once/off for the context life cycle: 'end' fires once a run has returned and all the work
// started under it has finished, as reported by the engine's native context tree (`watch`).

const assert = require('node:assert');
const util = require('node:util');
const { executionAsyncId } = require('node:async_hooks');
const { engine: getEngine } = require('../engine');

const engine = getEngine();

const ERROR_SYMBOL = 'error@context';
// Shared by every copy of this package loaded in the thread (versioned protocol names).
const REGISTRY_KEY = Symbol.for('native-execution-context.cls.namespaces@1');
const EMITTER_KEY = Symbol.for('native-execution-context.cls.emitter@1');
const RELEASE_KEY = Symbol.for('native-execution-context.cls.release@1');

const ReflectApply = Reflect.apply;
const NO_CONTEXT = 'No context available. ns.run() or ns.bind() must be called first.';

// ---------------------------------------------------------------------------------------------
// The registry: one object per thread, also visible as process.namespaces.

function registry() {
  let namespaces = globalThis[REGISTRY_KEY];
  if (namespaces === undefined) {
    namespaces = Object.create(null);
    Object.defineProperty(globalThis, REGISTRY_KEY, { value: namespaces });
  }
  // Point process.namespaces at it unless something else (another CLS library loaded first)
  // already owns that property: replacing it would wipe that library's namespaces.
  if (process.namespaces === undefined || process.namespaces === null) process.namespaces = namespaces;
  return namespaces;
}

const namespaces = registry();

// ---------------------------------------------------------------------------------------------
// Links: the value of a namespace's slot.

class Link {
  constructor(context, below) {
    this.context = context;
    // The link that was active when this one was entered (undefined: none).
    this.below = below;
    // The frame of the run that created `context` (runs only: not enter, bind or emitters).
    this.frame = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors: decorated like cls-hooked's, without crashing on primitives or frozen objects.

function isObject(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function decorate(error, context, byError) {
  if (!isObject(error)) return;
  byError.set(error, context);
  try {
    error[ERROR_SYMBOL] = context;
  } catch {
    // Frozen, sealed or hostile: the namespace's own record (fromException) still has it.
  }
}

// ---------------------------------------------------------------------------------------------
// The context life cycle: 'end'.

// context -> EndRecord, created by the first 'end' listener.
const endRecords = new WeakMap();
// Runs whose end can only be known from their frame's collection (see `watchEnd`).
const lateEnds = new FinalizationRegistry((record) => record.fire());

class EndRecord {
  constructor(context, owner) {
    this.context = context;
    this.owner = owner; // the namespace's set of pending records, for destroyNamespace
    this.listeners = [];
    this.ended = false;
  }

  // Called by the engine's flush timer (outside any frame) or by our collection callback.
  fire() {
    if (this.ended) return;
    this.ended = true;
    this.owner.delete(this);
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
        // A throwing listener is the listener's bug: report it as uncaught, deliver the others.
        process.nextTick(() => {
          throw error;
        });
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
    const owner = context[OWNER];
    const frame = owner === undefined ? undefined : owner.runFrameOf(context);
    if (frame === undefined) {
      throw new Error(
        "context.on('end') must be called where the context is active: inside its ns.run(), " +
          'ns.runAndReturn() or ns.runPromise(), or in a continuation of it (contexts made by ' +
          'createContext() or bind() have no run, hence no end).',
      );
    }
    record = new EndRecord(context, owner.pendingEnds);
    endRecords.set(context, record);
    watchEnd(record, frame);
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
  record.owner.add(record);
  if (frame.pinned || frame.tracked) {
    setUpWatching();
    engine.watch(frame, () => record.fire());
  } else {
    lateEnds.register(frame, record);
  }
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

// Each namespace roots its contexts at its own child of BASE, which knows the namespace (its
// slot and pending end records): no per-context bookkeeping to find a context's namespace.
const OWNER = Symbol('native-execution-context.cls.owner');

// ---------------------------------------------------------------------------------------------
// bindEmitter: one patch per emitter, shared by every namespace (and copy of this package) that
// binds it. Each listener added afterwards is wrapped in a function that remembers, for every
// binding namespace, the context active when it was added; `wrapper.listener` is the original,
// so removeListener/off/listeners()/listenerCount() keep working with it.

function defineHidden(object, key, value) {
  Object.defineProperty(object, key, { value, writable: true, configurable: true, enumerable: false });
}

function emitterState(emitter) {
  let state = emitter[EMITTER_KEY];
  if (state !== undefined) return state;
  state = { binders: [] };
  defineHidden(emitter, EMITTER_KEY, state);
  const { on, addListener, prependListener, once, prependOnceListener } = emitter;
  const patch = (name, register, oneShot) => {
    const original = emitter[name];
    defineHidden(emitter, name, function (event, listener) {
      // A non-function goes to the original method, which reports it the emitter's way.
      if (typeof listener !== 'function') return ReflectApply(original, this, [event, listener]);
      return ReflectApply(register, this, [event, wrapListener(state, listener, oneShot, this, event)]);
    });
  };
  patch('on', on, false);
  patch('addListener', addListener, false);
  if (typeof prependListener === 'function') patch('prependListener', prependListener, false);
  // once/prependOnceListener register our own one-shot wrapper through the unpatched methods:
  // Node's once wrapper around ours could not be removed with the original listener.
  if (typeof once === 'function') patch('once', on, true);
  if (typeof prependOnceListener === 'function' && typeof prependListener === 'function') {
    patch('prependOnceListener', prependListener, true);
  }
  return state;
}

function wrapListener(state, listener, once, target, event) {
  const captures = [];
  for (const binder of state.binders) captures.push(binder, binder.capture());
  let fired = false;
  const wrapped = function boundListener(...args) {
    if (once) {
      if (fired) return undefined;
      fired = true;
      target.removeListener(event, wrapped);
    }
    return callCaptured(captures, 0, listener, this, args);
  };
  wrapped.listener = listener;
  return wrapped;
}

function callCaptured(captures, index, listener, thisArg, args) {
  if (index === captures.length) return ReflectApply(listener, thisArg, args);
  const binder = captures[index];
  return binder.call(captures[index + 1], () => callCaptured(captures, index + 2, listener, thisArg, args));
}

// ---------------------------------------------------------------------------------------------
// Namespace

class Namespace {
  #slot = engine.allocateSlot();
  // Errors decorated by this namespace (fromException must not return another namespace's).
  #errors = new WeakMap();
  // End records still waiting, released by destroyNamespace/reset.
  #pendingEnds = new Set();
  #base;
  #binder;

  constructor(name) {
    this.name = name;
    this.id = executionAsyncId();
    // `_ns_name` is inherited, not an own property of each context as in cls-hooked: there it
    // (and an `id` async id) shadowed the user's own '_ns_name'/'id' keys in nested contexts.
    const slot = this.#slot;
    const owner = {
      pendingEnds: this.#pendingEnds,
      // The frame of the run that made `context`, found on the current execution's stack of
      // links (so no per-run bookkeeping): undefined outside its run and its continuations.
      runFrameOf(context) {
        for (let link = engine.valueAt(slot); link !== undefined; link = link.below) {
          if (link.context === context && link.frame !== undefined) return link.frame;
        }
        return undefined;
      },
    };
    this.#base = Object.create(BASE, {
      [OWNER]: { value: owner },
      _ns_name: { value: name, writable: true, configurable: true, enumerable: false },
    });
    const self = this;
    this.#binder = {
      capture: () => self.active,
      // Like cls-hooked's bind at emit time: a listener added outside any context runs in the
      // emitting context, or in a fresh one.
      call(context, fn) {
        return self.#call(context || self.active || self.createContext(), fn, undefined, []);
      },
    };
  }

  /** The current context, or null. */
  get active() {
    const link = engine.valueAt(this.#slot);
    return link === undefined ? null : link.context;
  }

  /** The contexts below the active one (bottom first; null: no context), as cls-hooked's `_set`. */
  get _set() {
    const below = [];
    const top = engine.valueAt(this.#slot);
    if (top === undefined) return below;
    for (let link = top.below; link !== undefined; link = link.below) below.push(link.context);
    below.push(null);
    return below.reverse();
  }

  set(key, value) {
    const link = engine.valueAt(this.#slot);
    if (link === undefined) throw new Error(NO_CONTEXT);
    link.context[key] = value;
    return value;
  }

  get(key) {
    const link = engine.valueAt(this.#slot);
    if (link === undefined) return undefined;
    return lookup(link.context, key);
  }

  createContext() {
    const link = engine.valueAt(this.#slot);
    return Object.create(link === undefined ? this.#base : link.context);
  }

  run(fn) {
    const context = this.createContext();
    this.#run(context, fn);
    return context;
  }

  runAndReturn(fn) {
    return this.#run(this.createContext(), fn);
  }

  runPromise(fn) {
    const context = this.createContext();
    const errors = this.#errors;
    return this.#run(context, (ctx) => {
      const promise = fn(ctx);
      if (!promise || !promise.then || !promise.catch) throw new Error('fn must return a promise.');
      return promise.then(
        (result) => result,
        (error) => {
          decorate(error, context, errors);
          throw error;
        },
      );
    });
  }

  bind(fn, context) {
    if (!context) context = this.active || this.createContext();
    const self = this;
    return function clsBind() {
      return self.#call(context, fn, this, arguments);
    };
  }

  enter(context) {
    assert.ok(context, 'context must be provided for entering');
    this.#enterLink(new Link(context, engine.valueAt(this.#slot)));
  }

  exit(context) {
    assert.ok(context, 'context must be provided for exiting');
    const top = engine.valueAt(this.#slot);
    if (top !== undefined && top.context === context) {
      this.#enterLink(top.below);
      return;
    }
    // Not on top: remove it from the stack below (links are shared by frames: copy the ones
    // above it), leaving the active context in place.
    const above = [];
    let found;
    for (let link = top === undefined ? undefined : top.below; link !== undefined; link = link.below) {
      if (link.context === context) {
        found = link;
        break;
      }
    }
    if (found === undefined) {
      assert.ok(false, "context not currently entered; can't exit. \n" + util.inspect(this) + '\n' + util.inspect(context));
    }
    for (let link = top; link !== found; link = link.below) above.push(link);
    let rebuilt = found.below;
    for (let i = above.length - 1; i >= 0; i--) {
      const copy = new Link(above[i].context, rebuilt);
      copy.frame = above[i].frame;
      rebuilt = copy;
    }
    this.#enterLink(rebuilt);
  }

  bindEmitter(emitter) {
    assert.ok(emitter && emitter.on && emitter.addListener && emitter.emit, 'can only bind real EEs');
    if (!emitter.removeListener) throw new Error('can only wrap real EEs');
    const state = emitterState(emitter);
    if (!state.binders.includes(this.#binder)) state.binders.push(this.#binder);
  }

  fromException(exception) {
    if (!isObject(exception)) return undefined;
    const own = this.#errors.get(exception);
    if (own !== undefined) return own;
    const tagged = exception[ERROR_SYMBOL];
    // Decorated by another namespace of this package: not this namespace's context.
    if (isObject(tagged) && tagged[OWNER] !== undefined && tagged[OWNER] !== this.#base[OWNER]) return undefined;
    return tagged;
  }

  // A new frame with this namespace's slot set to `context`, for fn; the call's errors carry it.
  #run(context, fn) {
    if (typeof fn !== 'function') throw new TypeError('fn is not a function');
    const link = new Link(context, engine.valueAt(this.#slot));
    const frame = engine.derivePinned(this.#slot, link);
    link.frame = frame;
    try {
      return engine.runAndRelease(frame, fn, undefined, [context]);
    } catch (error) {
      decorate(error, context, this.#errors);
      throw error;
    }
  }

  #call(context, fn, thisArg, args) {
    const frame = engine.derivePinned(this.#slot, new Link(context, engine.valueAt(this.#slot)));
    try {
      return engine.runAndRelease(frame, fn, thisArg, args);
    } catch (error) {
      decorate(error, context, this.#errors);
      throw error;
    }
  }

  // Makes `link` (undefined: no context) current for the rest of this execution. The frame is
  // pinned until this synchronous execution is over, so that a watched run it is nested in
  // counts it while it may still start work, and releases it right after.
  #enterLink(link) {
    const frame = engine.derivePinned(this.#slot, link);
    engine.enter(frame);
    if (frame.tracked) queueMicrotask(() => engine.release(frame));
  }

  [RELEASE_KEY]() {
    for (const record of this.#pendingEnds) record.release();
    this.#pendingEnds.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Module functions

function getNamespace(name) {
  return namespaces[name];
}

function createNamespace(name) {
  assert.ok(name, 'namespace must be given a name.');
  const namespace = new Namespace(name);
  namespaces[name] = namespace;
  return namespace;
}

function destroyNamespace(name) {
  const namespace = getNamespace(name);
  assert.ok(namespace, `can't delete nonexistent namespace! "${name}"`);
  assert.ok(typeof namespace[RELEASE_KEY] === 'function', "don't assign to process.namespaces directly! " + util.inspect(namespace));
  namespace[RELEASE_KEY]();
  namespaces[name] = null;
}

function reset() {
  for (const name of Object.keys(namespaces)) {
    const namespace = namespaces[name];
    if (isObject(namespace) && typeof namespace[RELEASE_KEY] === 'function') namespace[RELEASE_KEY]();
    delete namespaces[name];
  }
  if (process.namespaces === undefined || process.namespaces === null) process.namespaces = namespaces;
}

module.exports = {
  getNamespace,
  createNamespace,
  destroyNamespace,
  reset,
  ERROR_SYMBOL,
};
