'use strict';
// An OpenTelemetry ContextManager (active/with/bind/enable/disable) on the engine. The active
// OpenTelemetry Context is the value of one engine slot, so it lives in the same frame as every
// other face's context (the request context of the root face and /express, an
// AsyncLocalStorage of /als, ...): one frame crosses each async hop for all of them, where
// OpenTelemetry's AsyncLocalStorageContextManager beside another context library means two.

const { EventEmitter } = require('events');
const { engine: getEngine } = require('../engine');
const { copyNameAndLength } = require('../shared/function-shape');
const { api } = require('./api');
const { bindEmitter } = require('../shared/emitter-binding');

// The versioned protocol name under which every copy of this package finds an emitter's patch.
const EMITTER_KEY = Symbol.for('native-execution-context.otel.emitter@1');
const { noteTraceId } = require('./trace-ids');

const engine = getEngine();
const { ROOT_CONTEXT } = api;
const NO_ARGS = [];

class NativeContextManager {
  #slot = engine.allocateSlot();

  /** The active Context: the innermost `with` (or bound function) around this code, else ROOT_CONTEXT. */
  active() {
    const context = engine.valueAt(this.#slot);
    return context === undefined ? ROOT_CONTEXT : context;
  }

  /**
   * Calls `fn` with `thisArg` and `args`, `context` active for it and for everything it starts;
   * returns what fn returns (errors propagate). Every other face's context is left as it is.
   */
  with(context, fn, thisArg, ...args) {
    noteTraceId(context);
    return engine.runNew(this.#slot, context, fn, thisArg, args);
  }

  /**
   * A function: `target` called with `context` active (and the caller's `this` and arguments);
   * an EventEmitter: the same emitter, whose listeners added from now on run with `context`
   * active (the first bind of an emitter by this manager wins). Anything else comes back as is.
   */
  bind(context, target) {
    if (target instanceof EventEmitter) {
      return bindEmitter(EMITTER_KEY, target, { owner: this, capture: () => undefined, run: (_, fn, thisArg, args) => this.#run(context, fn, thisArg, args) });
    }
    if (typeof target !== 'function') return target;
    const manager = this;
    const bound = function bound(...args) {
      return manager.#run(context, target, this, args);
    };
    copyNameAndLength(bound, target, 'bound');
    return bound;
  }

  /** Nothing to turn on: contexts travel with the engine's frames. Returns the manager. */
  enable() {
    return this;
  }

  /**
   * Forgets every active context at once: active() is ROOT_CONTEXT everywhere, in pending
   * callbacks too, until the next `with` (which still works). The manager moves to a new engine
   * slot (slots are never reused), so this is for shutdown and tests. Returns the manager.
   */
  disable() {
    this.#slot = engine.allocateSlot();
    return this;
  }

  #run(context, fn, thisArg, args = NO_ARGS) {
    noteTraceId(context);
    return engine.runNew(this.#slot, context, fn, thisArg, args);
  }
}

module.exports = { NativeContextManager };
