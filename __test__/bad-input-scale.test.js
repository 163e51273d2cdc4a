'use strict';

// Very many owners: tens of thousands of ExecutionContext instances, AsyncLocalStorage stores,
// AsyncContext Variables and scoped contexts and thousands of cls namespaces in one thread. All
// keep their own values across async hops, the first and the newest alike, and a run stays
// cheap. (Slots are allocated in order and never reused; see the todo test for what a frame
// costs once an owner's slot is in the hundreds.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const Context = require('..');
const { AsyncLocalStorage } = require('../lib/als');
const { Variable } = require('../lib/async-context');
const cls = require('../lib/cls');
const { runChild } = require('./fixtures/reliability/child');

const MANY = 20000;

test(`${MANY} instances, ${MANY} stores, ${MANY} variables and 2,000 namespaces each keep their own values`, async () => {
  const instances = Array.from({ length: MANY }, () => new Context.ExecutionContext());
  const stores = Array.from({ length: MANY }, () => new AsyncLocalStorage());
  const variables = Array.from({ length: MANY }, () => new Variable());
  const namespaces = Array.from({ length: 2000 }, (_, i) => cls.createNamespace(`scale-${i}`));
  try {
    // A sample across the range, first and last included, nested in one frame.
    const picks = [0, 1, 777, MANY / 2, MANY - 2, MANY - 1];
    const nsPicks = [0, 999, 1999];
    const run = (depth, fn) => {
      if (depth === picks.length) return fn();
      const k = picks[depth];
      return instances[k].run(() => stores[k].run(`store ${k}`, () => variables[k].run(`variable ${k}`, () => run(depth + 1, fn))), `instance ${k}`);
    };
    const withNamespaces = (depth, fn) => {
      if (depth === nsPicks.length) return fn();
      const ns = namespaces[nsPicks[depth]];
      return ns.runAndReturn(() => {
        ns.set('k', `ns ${nsPicks[depth]}`);
        return withNamespaces(depth + 1, fn);
      });
    };
    const read = () => [
      ...picks.map((k) => [instances[k].get(), stores[k].getStore(), variables[k].get()]),
      ...nsPicks.map((k) => namespaces[k].get('k')),
    ];
    const expected = [...picks.map((k) => [`instance ${k}`, `store ${k}`, `variable ${k}`]), ...nsPicks.map((k) => `ns ${k}`)];
    const seen = await run(0, () => withNamespaces(0, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await null;
      return new Promise((resolve) => setImmediate(() => resolve(read())));
    }));
    assert.deepEqual(seen, expected);
    // Owners that were not set read as unset.
    assert.equal(instances[5].exists(), false);
    assert.equal(stores[5].getStore(), undefined);
    assert.equal(namespaces[5].get('k'), undefined);
    // Concurrent runs through the newest store stay isolated.
    const last = stores[MANY - 1];
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => last.run(i, async () => {
      await new Promise((resolve) => setTimeout(resolve, i % 3));
      return last.getStore() === i;
    })));
    assert.ok(results.every(Boolean));
  } finally {
    for (let i = 0; i < namespaces.length; i++) cls.destroyNamespace(`scale-${i}`);
  }
});

test('a run through the newest of 60,000 owners builds a frame whose size does not depend on the number of owners', () => {
  const { engine } = require('../lib/engine');
  const { DENSE_SLOTS } = require('../lib/engine/frame');
  const store = new AsyncLocalStorage();
  const frame = store.run('value', () => engine().current());
  assert.equal(store.run('value', () => store.getStore()), 'value');
  assert.ok(frame.slots.length <= DENSE_SLOTS, `dense part has ${frame.slots.length} entries`);
  assert.ok(frame.sparse === undefined || frame.sparse.size <= 2, `sparse part has ${frame.sparse && frame.sparse.size} entries`);
});

test('memory per pending context does not depend on how many owners were created before', async () => {
  const result = await runChild(path.join(__dirname, 'fixtures', 'reliability', 'slots-child.js'), { env: { OWNERS: '1000' } });
  assert.equal(result.code, 0, result.stderr);
  const { firstBytes, lastBytes } = result.json;
  assert.ok(lastBytes < firstBytes * 3, `first owner: ${firstBytes} bytes per pending context; owner #1001: ${lastBytes} bytes`);
});
