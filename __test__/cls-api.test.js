'use strict';

// native-execution-context/cls: the module functions, the registry, and the synchronous API of a
// namespace (set/get/active, contexts, nesting and shadowing, run/runAndReturn, bind,
// enter/exit), with cls-hooked 4.2.2's exact messages.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { AssertionError } = require('node:assert');

const cls = require('../lib/cls');

let serial = 0;
// A fresh namespace per test, so that tests never see each other's registrations.
const fresh = (label = 'ns') => cls.createNamespace(`${label}-${++serial}`);

// Asserts an AssertionError with exactly `message` (cls-hooked throws these through assert.ok).
function assertAssertion(fn, message) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof AssertionError, `expected an AssertionError, got ${error && error.name}`);
    assert.equal(error.message, message);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Module functions and the registry

test('the module exports exactly what cls-hooked 4.2.2 exports', () => {
  assert.deepEqual(Object.keys(cls).sort(), ['ERROR_SYMBOL', 'createNamespace', 'destroyNamespace', 'getNamespace', 'reset']);
  assert.equal(cls.ERROR_SYMBOL, 'error@context');
});

test('the subpath native-execution-context/cls resolves to this module', () => {
  assert.equal(require('native-execution-context/cls'), cls);
});

test('createNamespace without a (truthy) name throws cls-hooked\'s assertion', () => {
  for (const name of [undefined, null, '', 0]) {
    assertAssertion(() => cls.createNamespace(name), 'namespace must be given a name.');
  }
});

test('createNamespace registers the namespace: getNamespace and process.namespaces return it', () => {
  const ns = cls.createNamespace('registered');
  assert.equal(ns.name, 'registered');
  assert.equal(cls.getNamespace('registered'), ns);
  assert.equal(process.namespaces.registered, ns);
  assert.equal(cls.getNamespace('never-created'), undefined);
});

test('process.namespaces is the registry object shared under a global symbol', () => {
  const shared = globalThis[Symbol.for('native-execution-context.cls.namespaces@1')];
  assert.equal(process.namespaces, shared);
  assert.equal(Object.getPrototypeOf(shared), null, 'no inherited names such as "constructor"');
  assert.equal(cls.getNamespace('constructor'), undefined);
});

test('creating a namespace with a taken name replaces the registration; the old one keeps working', () => {
  const first = cls.createNamespace('taken');
  const second = cls.createNamespace('taken');
  assert.notEqual(first, second);
  assert.equal(cls.getNamespace('taken'), second);
  first.run(() => {
    first.set('k', 'first');
    assert.equal(first.get('k'), 'first');
    assert.equal(second.get('k'), undefined);
  });
});

test('destroyNamespace unregisters: getNamespace returns null afterwards, as in cls-hooked', () => {
  cls.createNamespace('to-destroy');
  cls.destroyNamespace('to-destroy');
  assert.equal(cls.getNamespace('to-destroy'), null);
  assert.equal(process.namespaces['to-destroy'], null);
});

test('destroyNamespace of an unknown or already destroyed name throws cls-hooked\'s assertion', () => {
  assertAssertion(() => cls.destroyNamespace('nope'), 'can\'t delete nonexistent namespace! "nope"');
  cls.createNamespace('twice');
  cls.destroyNamespace('twice');
  assertAssertion(() => cls.destroyNamespace('twice'), 'can\'t delete nonexistent namespace! "twice"');
});

test('destroyNamespace refuses an object assigned to process.namespaces by hand', () => {
  process.namespaces.handmade = { name: 'handmade' };
  assert.throws(() => cls.destroyNamespace('handmade'), (error) => {
    assert.ok(error instanceof AssertionError);
    assert.match(error.message, /^don't assign to process\.namespaces directly! /);
    return true;
  });
  delete process.namespaces.handmade;
});

test('reset() unregisters every namespace, keeping the same registry object', () => {
  const registry = process.namespaces;
  cls.createNamespace('r1');
  cls.createNamespace('r2');
  cls.reset();
  assert.equal(process.namespaces, registry);
  assert.deepEqual(Object.keys(process.namespaces), []);
  assert.equal(cls.getNamespace('r1'), undefined);
});

test('reset() after destroyNamespace() works (cls-hooked throws "can\'t delete nonexistent namespace!")', () => {
  cls.createNamespace('destroyed-then-reset');
  cls.createNamespace('still-there');
  cls.destroyNamespace('destroyed-then-reset');
  assert.doesNotThrow(() => cls.reset());
  assert.deepEqual(Object.keys(process.namespaces), []);
  assert.doesNotThrow(() => cls.reset(), 'reset is idempotent');
});

test('a namespace keeps working after it is destroyed or reset, as in cls-hooked', () => {
  const ns = cls.createNamespace('kept-by-a-module');
  cls.reset();
  const value = ns.runAndReturn(() => {
    ns.set('k', 'v');
    return ns.get('k');
  });
  assert.equal(value, 'v');
});

test('a second copy of the package shares the registry: it neither wipes nor hides the first one\'s namespaces', () => {
  const first = cls.createNamespace('from-first-copy');
  const registry = process.namespaces;
  const clsDir = path.dirname(require.resolve('../lib/cls'));
  const engineDir = path.dirname(require.resolve('../lib/engine'));
  const saved = {};
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(clsDir) || key.startsWith(engineDir)) {
      saved[key] = require.cache[key];
      delete require.cache[key];
    }
  }
  try {
    const copy = require('../lib/cls');
    assert.notEqual(copy, cls, 'really a second copy of the module');
    assert.equal(process.namespaces, registry, 'loading a copy does not replace process.namespaces');
    assert.equal(copy.getNamespace('from-first-copy'), first);
    const second = copy.createNamespace('from-second-copy');
    assert.equal(cls.getNamespace('from-second-copy'), second);
    // Both copies' namespaces work side by side, on the one shared engine.
    first.run(() => {
      first.set('who', 'first');
      second.run(() => {
        second.set('who', 'second');
        assert.equal(first.get('who'), 'first');
        assert.equal(second.get('who'), 'second');
      });
    });
    cls.destroyNamespace('from-second-copy');
    assert.equal(copy.getNamespace('from-second-copy'), null);
  } finally {
    Object.assign(require.cache, saved);
  }
});

// ---------------------------------------------------------------------------------------------
// set / get / active

test('outside any context: active is null, get is undefined, set throws cls-hooked\'s message', () => {
  const ns = fresh();
  assert.equal(ns.active, null);
  assert.equal(ns.get('anything'), undefined);
  assert.throws(() => ns.set('k', 1), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'No context available. ns.run() or ns.bind() must be called first.');
    return true;
  });
});

test('set returns the value and get reads it back; active is the run\'s context', () => {
  const ns = fresh();
  ns.run((context) => {
    assert.equal(ns.active, context);
    const object = { deep: true };
    assert.equal(ns.set('object', object), object);
    assert.equal(ns.set('zero', 0), 0);
    assert.equal(ns.get('object'), object);
    assert.equal(ns.get('zero'), 0);
    assert.equal(ns.get('missing'), undefined);
  });
  assert.equal(ns.active, null);
});

test('contexts expose their values as properties; bookkeeping never shows among them', () => {
  const ns = fresh();
  const context = ns.run(() => {
    ns.set('a', 1);
    ns.set('b', 'two');
  });
  assert.equal(context.a, 1);
  assert.equal(context.b, 'two');
  assert.deepEqual(Object.keys(context), ['a', 'b']);
  assert.equal(JSON.stringify(context), '{"a":1,"b":"two"}');
  assert.deepEqual({ ...context }, { a: 1, b: 'two' });
  const inherited = [];
  for (const key in context) inherited.push(key); // eslint-disable-line guard-for-in
  assert.deepEqual(inherited, ['a', 'b']);
  assert.equal(typeof context.on, 'function', 'the life-cycle methods are reachable');
  assert.equal(context._ns_name, ns.name, 'the namespace name is readable, as in cls-hooked');
  assert.ok(context instanceof Object, 'contexts are plain objects (Object.prototype in the chain)');
  assert.equal(context.hasOwnProperty('a'), true);
});

test('get("on"/"once"/"off") is undefined unless set, like any other key', () => {
  const ns = fresh();
  ns.run(() => {
    assert.equal(ns.get('on'), undefined);
    assert.equal(ns.get('once'), undefined);
    assert.equal(ns.get('off'), undefined);
    ns.set('on', 'yes');
    assert.equal(ns.get('on'), 'yes');
  });
});

test('a user key "id" is not shadowed in nested contexts (cls-hooked gives nested contexts their own id)', () => {
  const ns = fresh();
  ns.run(() => {
    ns.set('id', 'request-1');
    ns.set('_ns_name', 'mine');
    ns.run(() => {
      assert.equal(ns.get('id'), 'request-1');
      assert.equal(ns.get('_ns_name'), 'mine');
      assert.deepEqual(Object.keys(ns.active), []);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Contexts, nesting and shadowing

test('nested runs fall through from the innermost to the outermost context and shadow locally', () => {
  const ns = fresh();
  const seen = [];
  ns.run(() => {
    ns.set('level', 'outer');
    ns.set('outerOnly', 'o');
    ns.run(() => {
      ns.set('middleOnly', 'm');
      ns.run(() => {
        ns.set('level', 'inner');
        seen.push([ns.get('level'), ns.get('middleOnly'), ns.get('outerOnly')]);
      });
      seen.push([ns.get('level'), ns.get('middleOnly'), ns.get('outerOnly')]);
    });
    seen.push([ns.get('level'), ns.get('middleOnly'), ns.get('outerOnly')]);
  });
  assert.deepEqual(seen, [
    ['inner', 'm', 'o'],
    ['outer', 'm', 'o'],
    ['outer', undefined, 'o'],
  ]);
});

test('a nested context inherits by prototype: later changes of the outer context show through', () => {
  const ns = fresh();
  ns.run((outer) => {
    ns.set('k', 'before');
    ns.run((inner) => {
      assert.equal(Object.getPrototypeOf(inner), outer);
      outer.k = 'after';
      assert.equal(ns.get('k'), 'after');
    });
  });
});

test('createContext makes a context inheriting from the active one, without entering it', () => {
  const ns = fresh();
  const root = ns.createContext();
  assert.deepEqual(Object.keys(root), []);
  assert.equal(ns.active, null);
  ns.run((outer) => {
    ns.set('k', 'outer');
    const child = ns.createContext();
    assert.equal(Object.getPrototypeOf(child), outer);
    assert.equal(child.k, 'outer');
    assert.equal(ns.active, outer);
  });
});

test('run calls fn(context) once, with no this, and returns the context; runAndReturn returns fn\'s value', () => {
  const ns = fresh();
  const calls = [];
  const returned = ns.run(function (context) {
    calls.push([this, context]);
    return 'ignored';
  });
  assert.equal(calls.length, 1);
  assert.equal(calls[0][0], undefined);
  assert.equal(calls[0][1], returned);
  let context;
  const value = ns.runAndReturn((ctx) => {
    context = ctx;
    ns.set('x', 1);
    return { fromFn: true };
  });
  assert.deepEqual(value, { fromFn: true });
  assert.equal(context.x, 1);
});

test('run with a non-function throws "fn is not a function", as in cls-hooked', () => {
  const ns = fresh();
  assert.throws(() => ns.run(undefined), { name: 'TypeError', message: 'fn is not a function' });
  assert.equal(ns.active, null);
});

test('the previous context is back after a run, even when fn throws', () => {
  const ns = fresh();
  ns.run((outer) => {
    assert.throws(() => ns.run(() => {
      throw new Error('inner');
    }));
    assert.equal(ns.active, outer);
  });
  assert.equal(ns.active, null);
});

test('two namespaces are independent: their contexts, values and nesting never mix', () => {
  const a = fresh('a');
  const b = fresh('b');
  a.run(() => {
    a.set('k', 'a1');
    assert.equal(b.active, null);
    assert.equal(b.get('k'), undefined);
    b.run(() => {
      b.set('k', 'b1');
      assert.equal(a.get('k'), 'a1');
      a.run(() => {
        a.set('k', 'a2');
        assert.equal(b.get('k'), 'b1');
      });
      assert.equal(a.get('k'), 'a1');
    });
    assert.equal(b.active, null);
  });
});

// ---------------------------------------------------------------------------------------------
// bind

test('bind(fn, context) runs fn in that context with its this and arguments, and returns its value', () => {
  const ns = fresh();
  const context = ns.createContext();
  context.k = 'bound';
  const bound = ns.bind(function (a, b) {
    return [this.tag, a, b, ns.get('k'), ns.active === context];
  }, context);
  assert.deepEqual(bound.call({ tag: 'this' }, 1, 2), ['this', 1, 2, 'bound', true]);
  assert.equal(ns.active, null);
});

test('bind(fn) binds to the active context at bind time, not at call time', () => {
  const ns = fresh();
  let bound;
  ns.run(() => {
    ns.set('k', 'at-bind');
    bound = ns.bind(() => ns.get('k'));
  });
  ns.run(() => {
    ns.set('k', 'at-call');
    assert.equal(bound(), 'at-bind');
    assert.equal(ns.get('k'), 'at-call');
  });
  assert.equal(bound(), 'at-bind');
});

test('bind(fn) outside any context binds to a fresh context that lives across calls', () => {
  const ns = fresh();
  const bound = ns.bind(() => {
    const before = ns.get('count') || 0;
    ns.set('count', before + 1);
    return [ns.active, ns.get('count')];
  });
  const [first, one] = bound();
  const [second, two] = bound();
  assert.equal(first, second);
  assert.deepEqual([one, two], [1, 2]);
  assert.equal(ns.active, null);
});

test('a bound function only changes its own namespace: others keep the calling context', () => {
  const a = fresh('a');
  const b = fresh('b');
  let bound;
  a.run(() => {
    a.set('k', 'a-at-bind');
    b.run(() => {
      b.set('k', 'b-at-bind');
      bound = a.bind(() => [a.get('k'), b.get('k')]);
    });
  });
  b.run(() => {
    b.set('k', 'b-at-call');
    assert.deepEqual(bound(), ['a-at-bind', 'b-at-call']);
  });
});

// ---------------------------------------------------------------------------------------------
// enter / exit

test('enter and exit without a context throw cls-hooked\'s assertions', () => {
  const ns = fresh();
  assertAssertion(() => ns.enter(), 'context must be provided for entering');
  assertAssertion(() => ns.exit(), 'context must be provided for exiting');
});

test('exit of a context that is not entered throws "context not currently entered; can\'t exit."', () => {
  const ns = fresh();
  const context = ns.createContext();
  assert.throws(() => ns.exit(context), (error) => {
    assert.ok(error instanceof AssertionError);
    assert.match(error.message, /^context not currently entered; can't exit\. \n/);
    return true;
  });
});

test('enter makes a context active and exit restores the previous one', () => {
  const ns = fresh();
  const outer = ns.createContext();
  const inner = ns.createContext();
  ns.enter(outer);
  assert.equal(ns.active, outer);
  ns.enter(inner);
  assert.equal(ns.active, inner);
  ns.exit(inner);
  assert.equal(ns.active, outer);
  ns.exit(outer);
  assert.equal(ns.active, null);
});

test('interleaved enter/exit follows cls-hooked: exiting a context below the top removes it, the top stays', () => {
  const ns = fresh();
  const [a, b, c] = ['A', 'B', 'C'].map((label) => Object.assign(ns.createContext(), { label }));
  const label = () => (ns.active === null ? null : ns.active.label);
  ns.enter(a);
  ns.enter(b);
  ns.enter(c);
  assert.equal(ns._set.length, 3);
  ns.exit(b);
  assert.equal(label(), 'C');
  assert.equal(ns._set.length, 2);
  ns.exit(c);
  assert.equal(label(), 'A', 'B was removed, so exiting C goes back to A');
  ns.exit(a);
  assert.equal(label(), null);
  assert.throws(() => ns.exit(a), AssertionError);
});

test('staggered enters and exits (enter 1, enter 2, exit 1, exit 2) never throw and end with no context', () => {
  const ns = fresh();
  const one = ns.createContext();
  ns.enter(one);
  const two = ns.createContext(); // inherits from one
  ns.enter(two);
  ns.exit(one);
  assert.equal(ns.active, two);
  ns.exit(two);
  assert.equal(ns.active, null);
});

test('inside a run over an entered context, _set has both, and the entered one can be exited', () => {
  const ns = fresh();
  const entered = ns.createContext();
  ns.enter(entered);
  ns.run((context) => {
    assert.equal(ns._set.length, 2);
    assert.doesNotThrow(() => ns.exit(entered));
    assert.equal(ns.active, context);
    assert.equal(ns._set.length, 1);
  });
  ns.exit(entered);
  assert.equal(ns.active, null);
});

test('enter/exit inside a run are scoped to it: the run restores the contexts active when it began', () => {
  const ns = fresh();
  const outside = ns.createContext();
  const leaked = ns.createContext();
  ns.enter(outside);
  ns.run(() => {
    ns.enter(leaked); // never exited: cls-hooked leaves it active after the run
    assert.equal(ns.active, leaked);
  });
  assert.equal(ns.active, outside);
  ns.exit(outside);
  assert.equal(ns.active, null);
});

test('an entered context stays active for the rest of the execution and what it starts, not for siblings', async () => {
  const ns = fresh();
  const seen = [];
  const entered = ns.createContext();
  entered.k = 'entered';
  await new Promise((resolve) => {
    setImmediate(() => {
      ns.enter(entered);
      setImmediate(() => {
        seen.push(['child', ns.get('k')]);
        resolve();
      });
    });
    setImmediate(() => seen.push(['sibling', ns.get('k')]));
  });
  assert.deepEqual(seen, [['sibling', undefined], ['child', 'entered']]);
  assert.equal(ns.active, null);
});
