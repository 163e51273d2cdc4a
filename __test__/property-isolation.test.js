'use strict';

// Isolation under interleaving, as a property: fast-check generates random programs (nested
// runs, sets, creates, timers, immediates, ticks, microtasks, promise chains, awaits of
// promises, thenables, timers, foreign resolutions and Promise.all, emitters, bound emitters,
// bound functions, intervals) across every face the engine serves (the shared instance, an
// ExecutionContext instance, an AsyncLocalStorage store, an AsyncContext.Variable, a cls
// namespace, whichever exist), runs batches of them concurrently against the engine and
// against a pure-JS reference model (__test__/fixtures/reliability/programs.js), and compares
// every value read. Any divergence fails with a shrunk, minimal program.
//
// RELIABILITY_RUNS (batches per test) and RELIABILITY_SEED replay or widen a run; the longer
// version is `npm run stress`.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Context = require('..');
const { checkIsolation } = require('./fixtures/reliability/property');
const { createOwners } = require('./fixtures/reliability/programs');

const RUNS = Number(process.env.RELIABILITY_RUNS) || 900;
const SEED = process.env.RELIABILITY_SEED === undefined ? undefined : Number(process.env.RELIABILITY_SEED);
const owners = createOwners();

// Op and await kinds every run of the property must have exercised, so that a generator
// change cannot silently stop testing one of them.
const MUST_COVER = [
  'read', 'set', 'create', 'run', 'throwRun', 'timeout', 'immediate', 'tick', 'microtask', 'chain',
  'async', 'listen', 'emit', 'boundListen', 'boundEmit', 'bind', 'interval', 'thenDeferred', 'resolve',
  'await:null', 'await:resolved', 'await:rejected', 'await:timer', 'await:foreign', 'await:thenable',
  'await:all', 'await:deferred',
];

function assertCoverage(result) {
  for (const kind of MUST_COVER) {
    assert.ok((result.kinds[kind] || 0) > 0, `the generated programs never executed "${kind}"`);
  }
  assert.ok(result.programs >= RUNS, `expected at least ${RUNS} programs, ran ${result.programs}`);
  assert.ok(result.reads > result.programs * owners.length, `expected several reads per program, got ${result.reads}`);
}

async function settle() {
  for (let i = 0; i < 6; i++) {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('the shared instance, instances, stores, variables and namespaces are all under test', () => {
  const names = owners.map((owner) => owner.name);
  assert.ok(names.includes('shared') && names.includes('instance'), `owners: ${names}`);
  // Every face present in lib/ must be in the generator (a face added later joins automatically).
  const fs = require('node:fs');
  const path = require('node:path');
  for (const [dir, name] of [['als', 'als'], ['async-context', 'variable'], ['cls', 'cls']]) {
    if (fs.existsSync(path.join(__dirname, '..', 'lib', dir, 'index.js'))) assert.ok(names.includes(name), `lib/${dir} exists but ${name} is not generated`);
  }
});

test('thousands of random interleaved programs: the engine never disagrees with the reference model', async () => {
  const result = await checkIsolation({ numRuns: RUNS, seed: SEED, owners });
  assertCoverage(result);
  assert.equal(Context.exists(), false);
});

test('the same with native tracking on (configure({ monitor: true })), and the native map drains to empty', async () => {
  const tracker = new Context.ExecutionContext();
  tracker.configure({ monitor: true });
  try {
    const result = await checkIsolation({ numRuns: RUNS, seed: SEED === undefined ? undefined : SEED + 1, owners });
    assertCoverage(result);
    await settle();
    const report = tracker.monitor();
    assert.equal(report.size, 0, `live async resources left in the execution map: ${JSON.stringify(report.entries.slice(0, 3))}`);
    assert.equal(report.contexts, 0, 'every context of every finished program must have left the context tree');
  } finally {
    tracker.configure({ monitor: false });
  }
});
