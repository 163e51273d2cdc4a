'use strict';
// The `native-execution-context/als` face: Node's AsyncLocalStorage API (as documented for
// Node 24) over the shared engine. Each instance owns one slot of the engine's frames and keeps
// the store itself there (no wrapper object per run); a store of `undefined` (run(undefined, ...),
// exit) is kept as the engine's UNDEFINED_VALUE, so it differs from "not set" (getStore() falls back to
// defaultValue). `disable()` exits every context of the instance at once by moving the instance
// to a new slot: values in the old one are never read again.
//
// Propagation costs the same with 1 instance or 100: every instance shares the engine's one hook
// and one frame per async resource, where Node 20's AsyncLocalStorage copies every store onto
// every new resource.

const { engine: getEngine } = require('../engine');
const { invalidArgType, validateFunction } = require('../shared/errors');
const { toSlotValue, fromSlotValue, UNDEFINED_VALUE } = require('../shared/slot-value');
const { copyNameAndLength } = require('../shared/function-shape');

const engine = getEngine();

// What `withScope` returns: `dispose()` (or `using`) puts back the instance's previous value.
class RunScope {
  #restore;

  constructor(restore) {
    this.#restore = restore;
  }

  /** Restores the store that was current when the scope was opened; later calls do nothing. */
  dispose() {
    const restore = this.#restore;
    if (restore === null) return;
    this.#restore = null;
    restore();
  }

  [Symbol.dispose]() {
    this.dispose();
  }
}

class AsyncLocalStorage {
  #slot = engine.allocateSlot();
  #defaultValue;
  #name = '';

  /**
   * @param {{ name?: unknown, defaultValue?: unknown }} [options] Node 24's options: `name`
   *   (coerced to a string) and `defaultValue` (what getStore() returns where no store is set).
   */
  constructor(options = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw invalidArgType('options', 'object', options);
    }
    this.#defaultValue = options.defaultValue;
    if (options.name !== undefined) this.#name = `${options.name}`;
  }

  /** The `name` option as a string ('' when none was given). */
  get name() {
    return this.#name;
  }

  /**
   * A function that runs `fn` in the frame current now (every store of every face), with the
   * caller's `this` and arguments. Named `bound <name>`, with fn's length counted as
   * Function.prototype.bind counts it (its own `length`, a whole number).
   */
  static bind(fn) {
    validateFunction(fn, 'fn');
    const frame = engine.current();
    const bound = function bound(...args) {
      return engine.runIn(frame, fn, this, args);
    };
    copyNameAndLength(bound, fn, 'bound');
    return bound;
  }

  /**
   * Captures the current frame; the returned `runInAsyncScope(fn, ...args)` runs `fn` in it and
   * returns its value.
   */
  static snapshot() {
    const frame = engine.current();
    return function runInAsyncScope(fn, ...args) {
      validateFunction(fn, 'fn');
      return engine.runIn(frame, fn, undefined, args);
    };
  }

  /** The store, or `defaultValue` where this instance has none (or after `disable()`). */
  getStore() {
    return fromSlotValue(engine.valueAt(this.#slot), this.#defaultValue);
  }

  /**
   * Runs `callback(...args)` with `store` current for it and everything it starts; the whole
   * previous frame is back after it returns or throws. Returns what `callback` returns.
   */
  run(store, callback, ...args) {
    validateFunction(callback, 'callback');
    return engine.runNew(this.#slot, toSlotValue(store), callback, null, args);
  }

  /** Runs `callback(...args)` outside this instance's context: getStore() is undefined there. */
  exit(callback, ...args) {
    validateFunction(callback, 'callback');
    return engine.runNew(this.#slot, UNDEFINED_VALUE, callback, null, args);
  }

  /**
   * Makes `store` current for the rest of this synchronous execution and everything it starts
   * afterwards; sibling callbacks keep their own.
   */
  enterWith(store) {
    engine.enter(engine.derive(this.#slot, toSlotValue(store)));
  }

  /**
   * Like `enterWith`, and the returned scope's `dispose()` (or `using`) restores this instance's
   * previous store. Other instances are left as they are then.
   */
  withScope(store) {
    const previous = engine.valueAt(this.#slot);
    this.enterWith(store);
    const slot = this.#slot;
    return new RunScope(() => {
      engine.enter(previous === undefined ? engine.deriveWithout(slot) : engine.derive(slot, previous));
    });
  }

  /**
   * Exits every context of this instance: getStore() returns `defaultValue` everywhere, in
   * pending callbacks too, until the next `run`/`enterWith`/`withScope`, whose contexts are new.
   * Each call takes a new engine slot (slots are never reused), so it is meant for shutdown and
   * tests, not for every request.
   */
  disable() {
    this.#slot = engine.allocateSlot();
  }
}

module.exports = { AsyncLocalStorage };
