'use strict';

// Deep recursion with the engine active stays a catchable RangeError (the January 2026
// async_hooks denial of service turned a stack overflow under an async hook into an uncatchable
// exit), wherever the overflow lands (user code, inside our init hook, inside run/set/create),
// and every context is right afterwards: under both strategies, with and without tracking, on
// this Node and on the other majors cached by scripts/node-binary.js.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const Context = require('..');
const { runChild, cachedNodeBinaries } = require('./fixtures/reliability/child');

const CHILD = path.join(__dirname, 'fixtures', 'reliability', 'recursion-child.js');
const STRATEGIES = ['resource', 'async-context-frame'];

function infinite() {
  infinite();
}

test('a stack overflow inside a run is a catchable RangeError and the run keeps its context across later hops', async () => {
  const context = { id: 'deep' };
  const seen = await Context.run(async () => {
    let caught;
    try {
      infinite();
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof RangeError, `expected a RangeError, got ${caught}`);
    const sync = Context.get();
    await new Promise((resolve) => setTimeout(resolve, 1));
    const afterTimer = Context.get();
    await null;
    return [sync, afterTimer, Context.get()];
  }, context);
  assert.deepEqual(seen, [context, context, context]);
  assert.equal(Context.exists(), false);
});

test('a stack overflow inside nested runs at any depth unwinds to the right context', () => {
  const outer = { id: 'outer' };
  Context.run(() => {
    const recurse = (n) => Context.run(() => recurse(n + 1), { n });
    assert.throws(() => recurse(0), RangeError);
    assert.equal(Context.get(), outer);
    const recurseWithSet = (n) => Context.run(() => {
      Context.set({ n, set: true });
      Context.create({ n, created: true });
      return recurseWithSet(n + 1);
    }, { n });
    assert.throws(() => recurseWithSet(0), RangeError);
    assert.equal(Context.get(), outer);
  }, outer);
  assert.equal(Context.exists(), false);
});

for (const strategy of STRATEGIES) {
  for (const track of [false, true]) {
    test(`in a child (${strategy}${track ? ', tracking on' : ''}): 76 overflows at shifting depths are all catchable and leave every context right`, async () => {
      const result = await runChild(CHILD, { env: { NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy, TRACK: track ? '1' : '0' } });
      assert.equal(result.signal, null, `the child was killed by ${result.signal}: ${result.stderr}`);
      assert.equal(result.code, 0, `exit code ${result.code}: ${result.stderr}`);
      assert.equal(result.stderr, '', 'no crash output');
      assert.ok(result.json && !result.json.fatal, result.stdout);
      assert.equal(result.json.strategy, strategy);
      assert.deepEqual(result.json.problems, []);
      assert.equal(result.json.overflows, 76);
      if (track) assert.equal(result.json.size, 0, 'the native map must drain after the overflows');
    });
  }
}

test('the same on the other Node majors cached by scripts/node-binary.js', { skip: process.env.NEC_SKIP_SLOW_TESTS === '1' && 'the matrix runs this file on every major' }, async (t) => {
  const binaries = cachedNodeBinaries();
  if (binaries.length === 0) {
    t.skip('no other Node binary cached in .cache/ (node scripts/node-binary.js 24 caches one)');
    return;
  }
  for (const { major, binary } of binaries) {
    for (const strategy of STRATEGIES) {
      const result = await runChild(CHILD, { node: binary, env: { NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy, TRACK: '1' } });
      assert.equal(result.code, 0, `Node ${major} ${strategy}: exit code ${result.code}: ${result.stderr}`);
      assert.equal(result.stderr, '', `Node ${major} ${strategy}: no crash output`);
      assert.ok(result.json && result.json.node.startsWith(`v${major}.`), result.stdout);
      assert.deepEqual(result.json.problems, [], `Node ${major} ${strategy}`);
      assert.equal(result.json.overflows, 76);
      assert.equal(result.json.size, 0);
    }
  }
});
