'use strict';
// class Namespace: one namespace of context-sensitive values. It owns one engine slot, which holds
// a Link: the active context (`value`) plus the link that was active below it (the per-execution
// stack that enter/exit walk, shared/entered-stack.js). Frames carry the links across async hops.

const assert = require('assert');
const util = require('util');
const { executionAsyncId } = require('async_hooks');
const { engine: getEngine } = require('../engine');
const { BASE, NAMESPACE_STATE, lookup } = require('./end');
const { bindEmitter } = require('../shared/emitter-binding');
const { ERROR_SYMBOL, isObject, decorate } = require('./errors');
const { EnteredEntry, findEntry, enteredValues, withoutEntry } = require('../shared/entered-stack');

const engine = getEngine();

// A versioned protocol name: destroyNamespace/reset of any copy of this package release a
// namespace through it.
const RELEASE_KEY = Symbol.for('native-execution-context.cls.release@1');
// The versioned protocol name under which every copy of this package finds an emitter's patch.
const EMITTER_KEY = Symbol.for('native-execution-context.cls.emitter@1');

const NO_CONTEXT = 'No context available. ns.run() or ns.bind() must be called first.';

// The value of a namespace's slot: an entered context (`value`) on the links below it.
class Link extends EnteredEntry {
  constructor(context, below) {
    super(context, below);
    // The frame of the run that created `context` (runs only: not enter, bind or emitters), set
    // once, right after the run's frame is made with this link in it.
    this.frame = undefined;
  }
}

// A copy of `link` on another stack (exit from the middle), still knowing its run's frame.
function relink(link, below) {
  const copy = new Link(link.value, below);
  copy.frame = link.frame;
  return copy;
}

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
    const state = {
      pendingEnds: this.#pendingEnds,
      // The frame of the run that made `context`, found on the current execution's stack of
      // links (so no per-run bookkeeping): undefined outside its run and its continuations.
      runFrameOf(context) {
        for (let link = engine.valueAt(slot); link !== undefined; link = link.below) {
          if (link.value === context && link.frame !== undefined) return link.frame;
        }
        return undefined;
      },
    };
    this.#base = Object.create(BASE, {
      [NAMESPACE_STATE]: { value: state },
      _ns_name: { value: name, writable: true, configurable: true, enumerable: false },
    });
    const self = this;
    this.#binder = {
      owner: this,
      capture: () => self.active,
      // Like cls-hooked's bind at emit time: a listener added outside any context runs in the
      // emitting context, or in a fresh one.
      run(context, fn, thisArg, args) {
        return self.#call(context || self.active || self.createContext(), fn, thisArg, args);
      },
    };
  }

  /** The current context, or null. */
  get active() {
    const link = engine.valueAt(this.#slot);
    return link === undefined ? null : link.value;
  }

  /** The contexts below the active one (bottom first; null: no context), as cls-hooked's `_set`. */
  get _set() {
    const top = engine.valueAt(this.#slot);
    if (top === undefined) return [];
    const below = enteredValues(top.below);
    below.unshift(null);
    return below;
  }

  set(key, value) {
    const link = engine.valueAt(this.#slot);
    if (link === undefined) throw new Error(NO_CONTEXT);
    link.value[key] = value;
    return value;
  }

  get(key) {
    const link = engine.valueAt(this.#slot);
    if (link === undefined) return undefined;
    return lookup(link.value, key);
  }

  createContext() {
    const link = engine.valueAt(this.#slot);
    return Object.create(link === undefined ? this.#base : link.value);
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
    if (top !== undefined && top.value === context) {
      this.#enterLink(top.below);
      return;
    }
    // Not on top: remove it from the stack below (links are shared by frames: copy the ones
    // above it), leaving the active context in place.
    const found = top === undefined ? undefined : findEntry(top.below, context);
    if (found === undefined) {
      assert.ok(false, "context not currently entered; can't exit. \n" + util.inspect(this) + '\n' + util.inspect(context));
    }
    this.#enterLink(withoutEntry(top, found, relink));
  }

  bindEmitter(emitter) {
    assert.ok(emitter && emitter.on && emitter.addListener && emitter.emit, 'can only bind real EEs');
    if (!emitter.removeListener) throw new Error('can only wrap real EEs');
    bindEmitter(EMITTER_KEY, emitter, this.#binder);
  }

  fromException(exception) {
    if (!isObject(exception)) return undefined;
    const own = this.#errors.get(exception);
    if (own !== undefined) return own;
    const tagged = exception[ERROR_SYMBOL];
    // Decorated by another namespace of this package: not this namespace's context.
    if (isObject(tagged) && tagged[NAMESPACE_STATE] !== undefined && tagged[NAMESPACE_STATE] !== this.#base[NAMESPACE_STATE]) return undefined;
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

module.exports = { Namespace, RELEASE_KEY };
