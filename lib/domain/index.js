'use strict';
// The `native-execution-context/domain` face: node:domain's API, as its documentation describes
// it, over the shared engine. It never loads node:domain and never touches `process.domain`.
//
// - The active domain lives in one slot of the engine's frames, so timers, I/O callbacks, ticks
//   and promise handlers started in a domain run in it, with no hook of our own: the engine
//   already carries the frame. The slot holds an Entry: the active domain on top of the stack of
//   domains entered in the synchronous execution that created the entry (enter/exit semantics;
//   the stack is made of ../shared/entered-stack.js entries). An async continuation starts with
//   only its own domain entered, as under node:domain, whose `before` hook pushes one domain onto
//   an empty stack.
// - Errors: a router on the engine's failure context (its one `process.emit` wrapper) sees every
//   real 'uncaughtException' before its listeners and routes it to the domain that was active
//   where it was thrown when a domain on that stack listens for 'error'. Anything else gets
//   Node's own handling (listeners, or the report and exit code), exactly as without this
//   module. A throw that escapes a domain callback (run, bind, intercept, a bound emitter's
//   listener) adds its domain stack to the engine's escape record on its way out, because the
//   engine restores the previous frame while the stack unwinds; node:domain never exits on a
//   throw, so such errors still reach it.
// - EventEmitters created while a domain is active get a non-enumerable `domain` property (the
//   node:domain convention); `emit` runs their listeners in that domain and routes their
//   unhandled 'error' events to it.
//
// Cost: nothing is patched until the first Domain is constructed. From then on (for the life of
// the thread; nothing is restored) `EventEmitter.init` reads one slot, `EventEmitter.prototype.emit`
// checks `this.domain`, and `process.emit` checks the event name. No async hook is added.
//
// One runtime per thread, shared by every copy of this package (kept on globalThis under a
// registered symbol), so two copies never patch twice and their domains are one class.

const EventEmitter = require('events');
const { engine: getEngine, runtimeWithoutAsyncHooks } = require('../engine');
const { describeType } = require('../shared/describe');
const { perThread } = require('../shared/per-thread');
const { EnteredEntry, findEntry, someEntered } = require('../shared/entered-stack');

const RUNTIME_KEY = Symbol.for('native-execution-context.domain@1');

function createRuntime() {
  const engine = getEngine();
  const slot = engine.allocateSlot();
  const ReflectApply = Reflect.apply;
  const ObjectDefineProperty = Object.defineProperty;
  const kTimerCallback = Symbol('native-execution-context.domain.timerCallback');
  // The escape record's detail for a throw where no domain was entered (undefined there would
  // let an outer domain callback give its own stack instead).
  const NOTHING_ENTERED = Symbol('native-execution-context.domain.nothingEntered');

  // A stack of entered domains is its top entry (`value` the active domain, `below` the domains
  // entered before it), undefined when none is. What the slot holds is an Entry: a new one for
  // each enter and run, even of a stack that exists already, because liveEntry tells them apart
  // by identity.
  class Entry extends EnteredEntry {
    constructor(top) {
      super(top.value, top.below);
      // The stack a continuation of this entry sees: its own domain alone.
      this.single = top.below === undefined ? this : undefined;
    }
  }

  // The entry whose whole stack belongs to the synchronous execution running now. Any other
  // entry met in a frame comes from a continuation, where only its own domain is entered.
  let liveEntry;
  let installed = false;
  let originalEmit;

  function currentStack() {
    const entry = engine.valueAt(slot);
    if (entry === undefined || entry === liveEntry) return entry;
    if (entry.single === undefined) entry.single = new EnteredEntry(entry.value, undefined);
    return entry.single;
  }

  function pushed(stack, domain) {
    return new EnteredEntry(domain, stack);
  }

  // Makes `stack` the entered domains for the rest of this execution (enter/exit).
  function enterStack(stack) {
    const entry = stack === undefined ? undefined : new Entry(stack);
    engine.enter(entry === undefined ? engine.deriveWithout(slot) : engine.derive(slot, entry));
    liveEntry = entry;
  }

  // Runs fn with `stack` entered; the previous frame and stack are back afterwards, even after a
  // throw. A throw is recorded on its way out (never caught and rethrown: Node must still report
  // the place it was thrown) so that it can be routed if it ends up uncaught.
  function runInStack(stack, fn, thisArg, args) {
    const entry = stack === undefined ? undefined : new Entry(stack);
    const frame = entry === undefined ? engine.deriveWithout(slot) : engine.derivePinned(slot, entry);
    const previousLive = liveEntry;
    liveEntry = entry;
    try {
      const result = engine.runAndRelease(frame, invoke, undefined, [fn, thisArg, args]);
      engine.failure.clearEscape();
      return result;
    } finally {
      liveEntry = previousLive;
    }
  }

  // The innermost domain callback a throw escapes adds the domains entered where it was thrown
  // to the engine's escape record (failure-context.js); outer ones keep it. A throw that was
  // caught has its record dropped at the next microtask checkpoint, or when a domain callback
  // returns normally.
  function invoke(fn, thisArg, args) {
    let returned = false;
    try {
      const result = ReflectApply(fn, thisArg, args);
      returned = true;
      return result;
    } finally {
      if (!returned) {
        const stack = currentStack();
        engine.failure.noteEscape(engine.current(), stack === undefined ? NOTHING_ENTERED : stack);
      }
    }
  }

  function defineDomain(target, domain) {
    try {
      ObjectDefineProperty(target, 'domain', { configurable: true, enumerable: false, value: domain, writable: true });
    } catch {
      // A frozen or exotic value keeps what it has.
    }
  }

  function decorate(error, properties) {
    for (const key of Object.keys(properties)) {
      try {
        error[key] = properties[key];
      } catch {
        // Frozen errors are routed undecorated.
      }
    }
  }

  function isObjectLike(value) {
    return (typeof value === 'object' && value !== null) || typeof value === 'function';
  }

  function hasErrorListener(domain) {
    return domain.listenerCount('error') > 0;
  }

  // Whether an 'error' emitted on `domain` reaches a listener: its own, or one of the domains it
  // was explicitly added to.
  function routable(domain) {
    for (let current = domain; isDomain(current); current = current.domain) {
      if (hasErrorListener(current)) return true;
    }
    return false;
  }

  // The stack without the domains on top equal to `domain`: a domain's error handler never runs
  // inside that domain (an error it throws must not come back to it).
  function below(stack, domain) {
    let rest = stack;
    while (rest !== undefined && rest.value === domain) rest = rest.below;
    return rest;
  }

  // node:domain's _errorHandler: `domain` is the top of `stack`; its 'error' listeners run in
  // the failing frame with the domains below it entered. If they throw and domains remain
  // below, the new error goes to the next one; otherwise it propagates out of process.emit and
  // Node reports it as an error in its fatal exception handler (exit code 7, as node:domain).
  function handleError(domain, stack, error, frame) {
    if (isObjectLike(error)) {
      defineDomain(error, domain);
      decorate(error, { domainThrown: true });
    }
    const rest = below(stack, domain);
    if (rest === undefined) {
      if (!hasErrorListener(domain)) return false;
      return emitErrorIn(frame, rest, domain, error);
    }
    try {
      return emitErrorIn(frame, rest, domain, error);
    } catch (error2) {
      return handleError(rest.value, rest, error2, frame);
    }
  }

  function emitErrorIn(frame, stack, domain, error) {
    return engine.runIn(frame, runInStack, undefined, [stack, domain.emit, domain, ['error', error]]);
  }

  // An uncaught exception (a router of the engine's failure context): routed when a domain
  // entered where it was thrown listens for 'error'. `frame` is where it was thrown; `detail`,
  // when a domain callback was on the way out, the domains entered there.
  function routeUncaught(error, frame, detail) {
    let stack;
    if (detail === undefined) stack = engine.runIn(frame, currentStack);
    else if (detail !== NOTHING_ENTERED) stack = detail;
    if (!someEntered(stack, hasErrorListener)) return false;
    try {
      return handleError(stack.value, stack, error, frame);
    } finally {
      // Node ends the failing tick here: nothing stays entered.
      engine.failure.clearEscape();
      liveEntry = undefined;
    }
  }

  function unhandledErrorEvent() {
    const error = new Error('Unhandled error.');
    error.code = 'ERR_UNHANDLED_ERROR';
    if (typeof error.stack === 'string') error.stack = error.stack.replace(/^Error/, 'Error [ERR_UNHANDLED_ERROR]');
    return error;
  }

  function isDomain(value) {
    return value instanceof Domain;
  }

  // Timers added with `add` run their callback in the domain they belong to at that time.
  function isTimer(value) {
    return isObjectLike(value) && typeof value._onTimeout === 'function' && '_idleTimeout' in value;
  }

  function timerInDomain(...args) {
    const callback = this[kTimerCallback];
    const domain = this.domain;
    if (!isDomain(domain)) return ReflectApply(callback, this, args);
    return runInStack(new EnteredEntry(domain, undefined), callback, this, args);
  }

  function bindTimer(timer) {
    if (timer[kTimerCallback] !== undefined) return;
    timer[kTimerCallback] = timer._onTimeout;
    timer._onTimeout = timerInDomain;
  }

  function unbindTimer(timer) {
    const callback = timer[kTimerCallback];
    if (callback === undefined) return;
    if (timer._onTimeout === timerInDomain) timer._onTimeout = callback;
    delete timer[kTimerCallback];
  }

  function install() {
    if (installed) return;
    // A domain is found from the context the uncaught exception was thrown in, seen by the
    // engine's process.emit wrapper. Bun reports uncaught exceptions without process.emit, and
    // Deno reports them outside the context of the callback that threw (its own
    // AsyncLocalStorage is empty there too): a domain would promise to catch errors and let every
    // one of them end the process, so it refuses (docs/runtimes.md).
    const runtime = runtimeWithoutAsyncHooks();
    if (runtime !== null) {
      const why = runtime.startsWith('Bun')
        ? `${runtime} reports uncaught exceptions without calling process.emit('uncaughtException')`
        : `${runtime} reports an uncaught exception outside the context of the callback that threw it`;
      throw new Error(`native-execution-context/domain: a domain cannot catch errors here: ${why}`);
    }
    installed = true;

    const originalInit = EventEmitter.init;
    originalEmit = EventEmitter.prototype.emit;

    // Implicit binding: emitters (not domains) created while a domain is active belong to it.
    EventEmitter.init = function init(opts) {
      const entry = engine.valueAt(slot);
      if (entry !== undefined && !(this instanceof Domain)) defineDomain(this, entry.value);
      return ReflectApply(originalInit, this, arguments);
    };

    EventEmitter.prototype.emit = function emit(type) {
      const domain = this.domain;
      if (domain === undefined || domain === null || this === process || !isDomain(domain)) {
        return ReflectApply(originalEmit, this, arguments);
      }
      if (type !== 'error') return runInStack(pushed(currentStack(), domain), originalEmit, this, arguments);
      // Its own listeners first; and when no domain up its chain listens, Node's own
      // "Unhandled 'error' event" throw, undecorated, exactly as without domains.
      if (this.listenerCount('error') > 0 || !routable(domain)) return ReflectApply(originalEmit, this, arguments);
      const error = arguments.length > 1 && arguments[1] ? arguments[1] : unhandledErrorEvent();
      if (typeof error === 'object') {
        decorate(error, { domainEmitter: this });
        defineDomain(error, domain);
        decorate(error, { domainThrown: false });
      }
      // The domain's handler runs without the active domain (and its duplicates) entered.
      const stack = currentStack();
      runInStack(stack === undefined ? undefined : below(stack, stack.value), domain.emit, domain, ['error', error]);
      return false;
    };

    // Sees each real uncaught exception before its listeners; what is not routed to a domain
    // gets Node's own handling, untouched.
    engine.failure.addRouter(routeUncaught);
  }

  class Domain extends EventEmitter {
    constructor() {
      install();
      super();
      /** Timers and emitters explicitly added with `add`. */
      this.members = [];
      // A domain belongs to no other domain until one adds it (domains never nest implicitly).
      defineDomain(this, null);
    }

    /** Makes this domain active for the rest of this execution and what it starts; pushes it on the stack. */
    enter() {
      enterStack(pushed(currentStack(), this));
    }

    /** Exits this domain and every domain entered after it; does nothing if it is not on the stack. */
    exit() {
      const entered = findEntry(currentStack(), this);
      if (entered === undefined) return;
      enterStack(entered.below);
    }

    /** Explicitly binds an emitter or a timer to this domain (removing it from its previous one). */
    add(emitter) {
      if (emitter.domain === this) return;
      if (isDomain(emitter.domain)) emitter.domain.remove(emitter);
      // No circular Domain -> Domain links.
      if (this.domain && emitter instanceof Domain) {
        for (let parent = this.domain; parent; parent = parent.domain) {
          if (emitter === parent) return;
        }
      }
      defineDomain(emitter, this);
      this.members.push(emitter);
      if (isTimer(emitter)) bindTimer(emitter);
    }

    /** Removes an emitter or timer from this domain: it no longer belongs to any domain. */
    remove(emitter) {
      defineDomain(emitter, null);
      const index = this.members.indexOf(emitter);
      if (index !== -1) this.members.splice(index, 1);
      if (isTimer(emitter)) unbindTimer(emitter);
    }

    /** Runs fn(...args) with this domain active (`this` is the domain); returns what fn returns. */
    run(fn, ...args) {
      if (typeof fn !== 'function') {
        throw new TypeError(`domain.run expects a function as its first argument, got ${describeType(fn)}`);
      }
      return runInStack(pushed(currentStack(), this), fn, this, args);
    }

    /** A function that calls callback in this domain; what it throws goes to this domain. */
    bind(callback) {
      const domain = this;
      function runBound(...args) {
        return runInStack(pushed(currentStack(), domain), callback, this, args);
      }
      defineDomain(runBound, domain);
      return runBound;
    }

    /**
     * Like bind, but an Error as first argument is emitted as this domain's 'error' (with
     * `domainBound` set to callback) instead of calling callback, which otherwise gets the
     * remaining arguments.
     */
    intercept(callback) {
      const domain = this;
      function runIntercepted(...args) {
        const first = args[0];
        if (first && first instanceof Error) {
          decorate(first, { domainBound: callback, domainThrown: false });
          defineDomain(first, domain);
          domain.emit('error', first);
          return undefined;
        }
        return runInStack(pushed(currentStack(), domain), callback, this, args.slice(1));
      }
      return runIntercepted;
    }
  }

  function create() {
    return new Domain();
  }

  return Object.freeze({
    Domain,
    create,
    createDomain: create,
    /** The active domain here (in this synchronous execution or continuation), or null. */
    get active() {
      const entry = engine.valueAt(slot);
      return entry === undefined ? null : entry.value;
    },
  });
}

module.exports = perThread(RUNTIME_KEY, createRuntime);
