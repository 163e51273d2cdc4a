'use strict';

// Errors coming out of a namespace carry their context at error['error@context'] (cls-hooked's
// decoration), whatever is thrown; runPromise leaves nothing entered (cls-hooked issue #63).

const { test } = require('node:test');
const assert = require('node:assert/strict');

const cls = require('../lib/cls');

let serial = 0;
const fresh = (label = 'ns') => cls.createNamespace(`${label}-${++serial}`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls fn and returns what it threw (fails if it did not throw).
function thrownBy(fn) {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected a throw');
}

// ---------------------------------------------------------------------------------------------
// Decoration

test('an error thrown out of run carries the run\'s context at error["error@context"]', () => {
  const ns = fresh();
  let context;
  const error = thrownBy(() => ns.run((ctx) => {
    context = ctx;
    ns.set('value', 'transaction set');
    throw new Error('boom');
  }));
  assert.equal(error.message, 'boom');
  assert.equal(error[cls.ERROR_SYMBOL], context);
  assert.equal(error['error@context'].value, 'transaction set');
  assert.equal(ns.fromException(error), context);
  assert.equal(ns.active, null);
});

test('errors thrown out of runAndReturn and bound functions carry their context too', () => {
  const ns = fresh();
  let context;
  const fromRunAndReturn = thrownBy(() => ns.runAndReturn((ctx) => {
    context = ctx;
    throw new TypeError('from runAndReturn');
  }));
  assert.equal(fromRunAndReturn['error@context'], context);

  const bindContext = ns.createContext();
  const bound = ns.bind(() => {
    throw new RangeError('from bind');
  }, bindContext);
  const fromBind = thrownBy(bound);
  assert.equal(fromBind['error@context'], bindContext);
  assert.equal(ns.fromException(fromBind), bindContext);
});

test('decoration is an ordinary enumerable property, as in cls-hooked', () => {
  const ns = fresh();
  const error = thrownBy(() => ns.run(() => {
    throw new Error('visible');
  }));
  assert.ok(Object.keys(error).includes('error@context'));
});

test('the context caught between nested runs is the inner one; after both, the outer one (cls-hooked order)', () => {
  const ns = fresh();
  let caughtInside;
  const outerContext = ns.run(() => {
    ns.set('value', 'transaction clear');
    try {
      ns.run(() => {
        ns.set('value', 'transaction set');
        throw new Error('inner');
      });
    } catch (error) {
      caughtInside = ns.fromException(error);
      assert.equal(ns.get('value'), 'transaction clear', 'everything was reset');
    }
  });
  assert.equal(caughtInside.value, 'transaction set');

  assert.equal(outerContext.value, 'transaction clear');

  let outer;
  let inner;
  const error = thrownBy(() => ns.run((ctxOuter) => {
    outer = ctxOuter;
    ns.run((ctxInner) => {
      inner = ctxInner;
      throw new Error('through both');
    });
  }));
  assert.notEqual(inner, outer);
  assert.equal(ns.fromException(error), outer, 'the outermost context, decorated last');
});

test('thrown non-objects are rethrown untouched: a string, null, undefined, a number, a symbol', () => {
  const ns = fresh();
  const symbol = Symbol('thrown');
  for (const value of ['boom', null, undefined, 42, symbol, false]) {
    let caught = 'nothing caught';
    try {
      ns.run(() => {
        throw value;
      });
    } catch (error) {
      caught = error;
    }
    assert.equal(caught, value, `${String(value)} is rethrown as is (cls-hooked turns a string into a TypeError)`);
    assert.equal(ns.active, null);
    assert.equal(ns.fromException(value), undefined);
  }
  const bound = ns.bind(() => {
    throw 'from a bound function';
  });
  assert.throws(bound, (error) => error === 'from a bound function');
});

test('a frozen error is rethrown untouched, and fromException still finds its context', () => {
  const ns = fresh();
  const frozen = Object.freeze(new Error('frozen'));
  let context;
  let caught;
  try {
    ns.run((ctx) => {
      context = ctx;
      throw frozen;
    });
  } catch (error) {
    caught = error;
  }
  assert.equal(caught, frozen, 'cls-hooked throws "Cannot add property error@context" instead');
  assert.equal(Object.hasOwn(frozen, 'error@context'), false);
  assert.equal(ns.fromException(frozen), context);
});

test('fromException of a namespace never returns another namespace\'s context', () => {
  const a = fresh('a');
  const b = fresh('b');
  let contextA;
  let contextB;
  const error = thrownBy(() => a.run((ctxA) => {
    contextA = ctxA;
    b.run((ctxB) => {
      contextB = ctxB;
      throw new Error('through two namespaces');
    });
  }));
  assert.equal(error['error@context'], contextA, 'the property holds the last decoration, as in cls-hooked');
  assert.equal(a.fromException(error), contextA);
  assert.equal(b.fromException(error), contextB, 'cls-hooked would return A\'s context here');

  const onlyB = thrownBy(() => b.run(() => {
    throw new Error('only b');
  }));
  assert.equal(a.fromException(onlyB), undefined);
});

test('fromException returns a hand-made decoration, and undefined for anything undecorated', () => {
  const ns = fresh();
  const manual = { some: 'context' };
  const error = new Error('manual');
  error['error@context'] = manual;
  assert.equal(ns.fromException(error), manual);
  assert.equal(ns.fromException(new Error('plain')), undefined);
  assert.equal(ns.fromException(null), undefined, 'cls-hooked throws a TypeError on null');
  assert.equal(ns.fromException(undefined), undefined);
  assert.equal(ns.fromException('string'), undefined);
});

// ---------------------------------------------------------------------------------------------
// runPromise

test('runPromise resolves with fn\'s value, inside a new context that fn sees across awaits', async () => {
  const ns = fresh();
  let context;
  const value = await ns.runPromise(async (ctx) => {
    context = ctx;
    ns.set('k', 'v');
    await delay(1);
    assert.equal(ns.active, ctx);
    return ns.get('k');
  });
  assert.equal(value, 'v');
  assert.equal(context.k, 'v');
});

test('runPromise leaves nothing entered: in the caller, after the await, on the next turn (issue #63)', async () => {
  const ns = fresh();
  const promise = ns.runPromise(async () => {
    ns.set('leak', 'yes');
    await delay(2);
    return 'done';
  });
  assert.equal(ns.active, null, 'not entered in the caller right after the call');
  assert.equal(ns.get('leak'), undefined);
  assert.equal(await promise, 'done');
  assert.equal(ns.active, null, 'not entered after awaiting it');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ns.active, null, 'not entered on a later turn');
});

test('the next runPromise starts from the caller\'s context, not from the previous call\'s', async () => {
  const ns = fresh();
  let first;
  await ns.runPromise(async (ctx) => {
    first = ctx;
    ns.set('first', 'call one');
  });
  const [value, parent] = await ns.runPromise(async (ctx) => [ns.get('first'), Object.getPrototypeOf(ctx)]);
  assert.equal(value, undefined, 'with cls-hooked the second call inherits "call one"');
  assert.notEqual(parent, first);
  // Inside an outer run, a runPromise nests under that run and nothing else.
  await ns.runPromise(async () => {
    ns.set('outer', 'o');
    const inner = await ns.runPromise(async () => [ns.get('outer'), ns.get('first')]);
    assert.deepEqual(inner, ['o', undefined]);
  });
});

test('a rejection out of runPromise carries its context; the caller keeps its own', async () => {
  const ns = fresh();
  let context;
  await ns.runPromise(async (outer) => {
    await assert.rejects(
      ns.runPromise(async (ctx) => {
        context = ctx;
        await delay(1);
        throw new Error('rejected');
      }),
      (error) => {
        assert.equal(error['error@context'], context);
        assert.equal(ns.fromException(error), context);
        return true;
      },
    );
    assert.equal(ns.active, outer);
  });
});

test('runPromise rejections with non-objects are passed through untouched', async () => {
  const ns = fresh();
  for (const value of [undefined, null, 'a string', 7]) {
    // cls-hooked replaces these rejections with a TypeError from its decoration.
    await assert.rejects(ns.runPromise(() => Promise.reject(value)), (error) => error === value);
  }
});

test('runPromise with fn not returning a promise throws "fn must return a promise." and enters nothing', () => {
  const ns = fresh();
  for (const result of [undefined, 1, { then() {} }]) {
    assert.throws(() => ns.runPromise(() => result), { message: 'fn must return a promise.' });
    assert.equal(ns.active, null, 'cls-hooked leaves the context entered here');
  }
});

test('a synchronous throw in runPromise\'s fn is thrown synchronously, decorated, and enters nothing', () => {
  const ns = fresh();
  let context;
  const error = thrownBy(() => ns.runPromise((ctx) => {
    context = ctx;
    throw new Error('sync');
  }));
  assert.equal(error.message, 'sync');
  assert.equal(error['error@context'], context);
  assert.equal(ns.active, null);
});

test('runPromise accepts any promise-like with then and catch, and returns a native promise', async () => {
  const ns = fresh();
  const thenable = {
    then(onFulfilled, onRejected) {
      return Promise.resolve('from thenable').then(onFulfilled, onRejected);
    },
    catch() {},
  };
  const result = ns.runPromise(() => thenable);
  assert.ok(result instanceof Promise);
  assert.equal(await result, 'from thenable');
});
