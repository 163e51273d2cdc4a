'use strict';
// The `native-execution-context/async-context` face: the TC39 AsyncContext proposal's
// `AsyncContext.Variable` and `AsyncContext.Snapshot`, following the proposal's spec text
// (tc39/proposal-async-context, spec.html) step by step, over the shared engine.
//
// Each Variable owns one slot of the engine's frames, holding its value (`undefined` kept as the
// engine's UNDEFINED_VALUE): a Variable run with `undefined` reads `undefined`, and only a
// Variable with nothing in the frame reads its default. A Snapshot is an engine frame, so it captures every Variable (and every store of the
// other faces) at once, in O(1).

const { engine: getEngine } = require('../engine');
const { describeType } = require('../shared/describe');
const { toSlotValue, fromSlotValue } = require('../shared/slot-value');
const { copyNameAndLength } = require('../shared/function-shape');

const engine = getEngine();

function requireCallable(fn, what) {
  if (typeof fn !== 'function') {
    throw new TypeError(`${what} must be a function, got ${describeType(fn)}`);
  }
}

class Variable {
  #slot = engine.allocateSlot();
  #name = '';
  #defaultValue = undefined;

  /** @param {{ name?: unknown, defaultValue?: unknown }} [options] non-objects are ignored. */
  constructor(options) {
    if ((typeof options === 'object' && options !== null) || typeof options === 'function') {
      if ('name' in options) this.#name = `${options.name}`; // ToString: throws on a symbol
      this.#defaultValue = options.defaultValue;
    }
  }

  get name() {
    return this.#name;
  }

  /** Runs `fn(...args)` with this variable set to `value`; the previous mapping is restored afterwards, even after a throw. */
  run(value, fn, ...args) {
    requireCallable(fn, 'AsyncContext.Variable.prototype.run: the callback');
    return engine.runNew(this.#slot, toSlotValue(value), fn, undefined, args);
  }

  /** The value in the current mapping, else the default value. */
  get() {
    return fromSlotValue(engine.valueAt(this.#slot), this.#defaultValue);
  }
}

class Snapshot {
  #frame = engine.current();

  /** Runs `fn(...args)` with the mapping captured when this snapshot was made. */
  run(fn, ...args) {
    requireCallable(fn, 'AsyncContext.Snapshot.prototype.run: the callback');
    return engine.runIn(this.#frame, fn, undefined, args);
  }

  /** A function that calls `fn` with the caller's `this` and arguments in the mapping current now. */
  static wrap(fn) {
    requireCallable(fn, 'AsyncContext.Snapshot.wrap: the argument');
    const frame = engine.current();
    // A method: like the spec's built-in function, it is not a constructor and has no prototype.
    const { wrapped } = {
      wrapped(...args) {
        return engine.runIn(frame, fn, this, args);
      },
    };
    copyNameAndLength(wrapped, fn, 'wrapped');
    return wrapped;
  }
}

for (const [target, tag] of [
  [Variable.prototype, 'AsyncContext.Variable'],
  [Snapshot.prototype, 'AsyncContext.Snapshot'],
]) {
  Object.defineProperty(target, Symbol.toStringTag, { value: tag, writable: false, enumerable: false, configurable: true });
}

// The namespace object: an ordinary object, not a constructor (like `Math`).
const AsyncContext = {};
Object.defineProperties(AsyncContext, {
  Variable: { value: Variable, writable: true, enumerable: false, configurable: true },
  Snapshot: { value: Snapshot, writable: true, enumerable: false, configurable: true },
  [Symbol.toStringTag]: { value: 'AsyncContext', writable: false, enumerable: false, configurable: true },
});

module.exports = { AsyncContext, Variable, Snapshot };
