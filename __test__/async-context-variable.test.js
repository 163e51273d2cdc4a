'use strict';

// native-execution-context/async-context: AsyncContext.Variable as the TC39 proposal specifies
// it: constructor options, name, run/get, undefined versus the default value, the
// restore-after-throw rule, propagation, and brand checks.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { AsyncContext, Variable, Snapshot } = require('native-execution-context/async-context');

const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

test('the subpath exports the AsyncContext namespace with Variable and Snapshot', () => {
  assert.equal(require.resolve('native-execution-context/async-context'), path.resolve(__dirname, '..', 'lib', 'async-context', 'index.js'));
  assert.equal(AsyncContext.Variable, Variable);
  assert.equal(AsyncContext.Snapshot, Snapshot);
  assert.equal(Object.prototype.toString.call(AsyncContext), '[object AsyncContext]');
  assert.equal(typeof AsyncContext, 'object', 'a namespace object, not a constructor');
  assert.deepEqual(Object.keys(AsyncContext), [], 'its properties are not enumerable, like built-ins');
});

test('Variable and Snapshot throw a TypeError when called without new', () => {
  assert.throws(() => AsyncContext.Variable(), TypeError);
  assert.throws(() => AsyncContext.Variable({ name: 'x' }), TypeError);
  assert.throws(() => AsyncContext.Snapshot(), TypeError);
  assert.ok(new AsyncContext.Variable() instanceof AsyncContext.Variable);
  assert.ok(new AsyncContext.Snapshot() instanceof AsyncContext.Snapshot);
});

test('name: empty by default, ToString of the option when present (even undefined), read-only', () => {
  assert.equal(new Variable().name, '');
  assert.equal(new Variable({}).name, '');
  assert.equal(new Variable({ name: 'request' }).name, 'request');
  assert.equal(new Variable({ name: 7 }).name, '7');
  assert.equal(new Variable({ name: undefined }).name, 'undefined', 'HasProperty, then ToString');
  assert.equal(new Variable(Object.create({ name: 'inherited' })).name, 'inherited');
  assert.throws(() => new Variable({ name: Symbol('s') }), TypeError, 'ToString of a symbol throws');
  const variable = new Variable({ name: 'fixed' });
  assert.throws(() => {
    variable.name = 'changed';
  }, TypeError);
  assert.equal(variable.name, 'fixed');
});

test('options that are not objects are ignored', () => {
  for (const options of [undefined, null, 'name', 42, true]) {
    const variable = new Variable(options);
    assert.equal(variable.name, '');
    assert.equal(variable.get(), undefined);
  }
  const fromFunction = Object.assign(() => {}, { defaultValue: 'fn-default' });
  assert.equal(new Variable(fromFunction).get(), 'fn-default', 'a function is an object');
});

test('get() is the default value outside any run, and the run value inside', () => {
  const variable = new Variable({ defaultValue: 'default' });
  assert.equal(variable.get(), 'default');
  assert.equal(variable.run('value', () => variable.get()), 'value');
  assert.equal(variable.get(), 'default');
});

test('a variable run with undefined reads undefined, not the default', () => {
  const variable = new Variable({ defaultValue: 'default' });
  assert.equal(variable.run(undefined, () => variable.get()), undefined);
  assert.equal(variable.run('outer', () => variable.run(undefined, () => variable.get())), undefined);
  assert.equal(variable.run(null, () => variable.get()), null);
});

test('run passes the extra arguments, calls fn with this undefined and returns its value', () => {
  const variable = new Variable();
  const result = variable.run('v', function (...args) {
    return [this, args, variable.get()];
  }, 'a', 'b');
  assert.deepEqual(result, [undefined, ['a', 'b'], 'v']);
  assert.equal(Variable.prototype.run.length, 2);
  assert.equal(Variable.length, 1);
});

test('restore after throw: the previous mapping is back after a run throws, at every depth', () => {
  const a = new Variable({ defaultValue: 'a0' });
  const b = new Variable({ defaultValue: 'b0' });
  const error = new Error('thrown');
  a.run('a1', () => {
    b.run('b1', () => {
      assert.throws(() => a.run('a2', () => b.run('b2', () => {
        assert.deepEqual([a.get(), b.get()], ['a2', 'b2']);
        throw error;
      })), (thrown) => thrown === error);
      assert.deepEqual([a.get(), b.get()], ['a1', 'b1']);
    });
    assert.deepEqual([a.get(), b.get()], ['a1', 'b0']);
  });
  assert.deepEqual([a.get(), b.get()], ['a0', 'b0']);
});

test('run with a non-callable throws a TypeError and leaves the mapping as it was', () => {
  const variable = new Variable();
  variable.run('outer', () => {
    for (const bad of [undefined, null, 1, 'fn', {}]) {
      assert.throws(() => variable.run('inner', bad), TypeError);
      assert.equal(variable.get(), 'outer');
    }
  });
});

test('variables are independent: running one leaves the others as they are', () => {
  const a = new Variable();
  const b = new Variable({ defaultValue: 'b-default' });
  const seen = a.run('a', () => [a.get(), b.get(), b.run('b', () => [a.get(), b.get()])]);
  assert.deepEqual(seen, ['a', 'b-default', ['a', 'b']]);
});

test('values follow awaits, timers and promise callbacks, and concurrent runs stay isolated', async () => {
  const variable = new Variable();
  let mismatches = 0;
  await Promise.all(Array.from({ length: 200 }, (_, i) => variable.run(i, async () => {
    await null;
    if (variable.get() !== i) mismatches += 1;
    await delay(i % 3);
    if (variable.get() !== i) mismatches += 1;
    const fromThen = await Promise.resolve().then(() => variable.get());
    if (fromThen !== i) mismatches += 1;
    const fromTimer = await new Promise((resolve) => setTimeout(() => resolve(variable.get()), 1));
    if (fromTimer !== i) mismatches += 1;
  })));
  assert.equal(mismatches, 0);
  assert.equal(variable.get(), undefined);
});

test('an async function run restores the caller\'s mapping at its first await', async () => {
  const variable = new Variable({ defaultValue: 'caller' });
  const pending = variable.run('callee', async () => {
    await null;
    return variable.get();
  });
  assert.equal(variable.get(), 'caller');
  assert.equal(await pending, 'callee');
  assert.equal(variable.get(), 'caller');
});

test('toStringTag and brand checks', () => {
  const variable = new Variable();
  assert.equal(Object.prototype.toString.call(variable), '[object AsyncContext.Variable]');
  assert.throws(() => Variable.prototype.get.call({}), TypeError);
  assert.throws(() => Variable.prototype.run.call({}, 1, () => {}), TypeError);
  assert.throws(() => Object.getOwnPropertyDescriptor(Variable.prototype, 'name').get.call({}), TypeError);
  class Named extends Variable {
    describe() {
      return `${this.name}=${this.get()}`;
    }
  }
  const sub = new Named({ name: 'sub', defaultValue: 'd' });
  assert.equal(sub.run('x', () => sub.describe()), 'sub=x', 'subclassable');
});
