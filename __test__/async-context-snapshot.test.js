'use strict';

// native-execution-context/async-context: AsyncContext.Snapshot captures every variable at once;
// snapshot.run and Snapshot.wrap run later (inside other mappings) in the captured one, restore the
// caller's mapping afterwards even after a throw, and wrap keeps the caller's this.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { AsyncContext } = require('native-execution-context/async-context');
const { AsyncLocalStorage } = require('native-execution-context/als');

const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

test('a snapshot captures all variables, including ones that were unset (they read their default)', () => {
  const a = new AsyncContext.Variable({ defaultValue: 'a-default' });
  const b = new AsyncContext.Variable({ defaultValue: 'b-default' });
  const c = new AsyncContext.Variable({ defaultValue: 'c-default' });
  const snapshot = a.run('a1', () => b.run(undefined, () => new AsyncContext.Snapshot()));
  const seen = c.run('c-now', () => a.run('a-now', () => snapshot.run(() => [a.get(), b.get(), c.get()])));
  assert.deepEqual(seen, ['a1', undefined, 'c-default']);
});

test('snapshot.run later inside another mapping: captured values inside, caller\'s values after', () => {
  const variable = new AsyncContext.Variable();
  const snapshot = variable.run('captured', () => new AsyncContext.Snapshot());
  variable.run('caller', () => {
    const result = snapshot.run((x, y) => [variable.get(), x, y], 1, 2);
    assert.deepEqual(result, ['captured', 1, 2]);
    assert.equal(variable.get(), 'caller');
  });
});

test('snapshot.run restores the caller\'s mapping after a throw', () => {
  const variable = new AsyncContext.Variable();
  const snapshot = variable.run('captured', () => new AsyncContext.Snapshot());
  const error = new Error('from snapshot');
  variable.run('caller', () => {
    assert.throws(() => snapshot.run(() => {
      throw error;
    }), (thrown) => thrown === error);
    assert.equal(variable.get(), 'caller');
    assert.throws(() => snapshot.run('not callable'), TypeError);
    assert.equal(variable.get(), 'caller');
  });
});

test('snapshot.run calls fn with this undefined and returns its value', () => {
  const snapshot = new AsyncContext.Snapshot();
  const self = snapshot.run(function () {
    return this;
  });
  assert.equal(self, undefined);
  assert.equal(AsyncContext.Snapshot.prototype.run.length, 1);
  assert.equal(Object.prototype.toString.call(snapshot), '[object AsyncContext.Snapshot]');
  assert.throws(() => AsyncContext.Snapshot.prototype.run.call({}, () => {}), TypeError);
});

test('a snapshot taken outside every run empties the mapping for its callback', () => {
  const variable = new AsyncContext.Variable({ defaultValue: 'default' });
  const empty = new AsyncContext.Snapshot();
  assert.equal(variable.run('set', () => empty.run(() => variable.get())), 'default');
});

test('Snapshot.wrap keeps the caller\'s this and arguments and runs in the mapping of the wrap call', () => {
  const variable = new AsyncContext.Variable();
  const wrapped = variable.run('wrapped', () => AsyncContext.Snapshot.wrap(function method(x, y) {
    return [variable.get(), this, x, y];
  }));
  const receiver = { wrapped };
  assert.deepEqual(variable.run('caller', () => receiver.wrapped(1, 2)), ['wrapped', receiver, 1, 2]);
  assert.equal(variable.get(), undefined);
});

test('Snapshot.wrap copies name and length, and its result is not a constructor', () => {
  function handler(a, b, c) {
    return a + b + c;
  }
  const wrapped = AsyncContext.Snapshot.wrap(handler);
  assert.equal(wrapped.name, 'wrapped handler');
  assert.equal(wrapped.length, 3);
  assert.equal(AsyncContext.Snapshot.wrap(() => {}).name, 'wrapped ');
  assert.throws(() => new wrapped(), TypeError); // eslint-disable-line new-cap
  assert.equal(Object.prototype.hasOwnProperty.call(wrapped, 'prototype'), false);
});

test('Snapshot.wrap restores the caller\'s mapping after a throw and rejects non-callables', () => {
  const variable = new AsyncContext.Variable();
  const wrapped = variable.run('wrapped', () => AsyncContext.Snapshot.wrap(() => {
    throw new RangeError('wrapped threw');
  }));
  variable.run('caller', () => {
    assert.throws(() => wrapped(), RangeError);
    assert.equal(variable.get(), 'caller');
  });
  for (const bad of [undefined, null, 1, 'f', {}]) assert.throws(() => AsyncContext.Snapshot.wrap(bad), TypeError);
});

test('a snapshot taken in one request and run from another carries the first request\'s values across awaits', async () => {
  const requestId = new AsyncContext.Variable({ name: 'requestId' });
  const snapshot = await requestId.run('req-1', async () => {
    await delay(1);
    return new AsyncContext.Snapshot();
  });
  const seen = await requestId.run('req-2', async () => {
    await null;
    const inside = await snapshot.run(async () => {
      await delay(1);
      return requestId.get();
    });
    return [inside, requestId.get()];
  });
  assert.deepEqual(seen, ['req-1', 'req-2']);
});

test('wrapped callbacks queued by a scheduler run in their own request\'s mapping', async () => {
  const requestId = new AsyncContext.Variable();
  const queue = [];
  for (const id of ['a', 'b', 'c']) requestId.run(id, () => queue.push(AsyncContext.Snapshot.wrap(() => requestId.get())));
  const seen = await requestId.run('scheduler', async () => {
    await delay(1);
    return queue.map((task) => task());
  });
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('a snapshot captures the stores of the other faces too (one frame for all)', () => {
  const variable = new AsyncContext.Variable();
  const store = new AsyncLocalStorage();
  const snapshot = variable.run('v', () => store.run('s', () => new AsyncContext.Snapshot()));
  assert.deepEqual(snapshot.run(() => [variable.get(), store.getStore()]), ['v', 's']);
});
