'use strict';

// Workers terminated mid-flight, at random moments: while loading the package (possibly inside
// the addon's dlopen or openEngine), while tracked work fills the event log, while drains, cls
// end deliveries and monitor reports run. The main thread never crashes, keeps right contexts
// and its own tracking, and every worker's native engine is dropped.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const Context = require('..');
const binding = require('../binding.js');
const { PACKAGE_ROOT } = require('./fixtures/reliability/child');

const WORKER = path.join(__dirname, 'fixtures', 'reliability', 'busy-worker.js');
const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function engines() {
  return binding.trackerStats(globalThis[ENGINE_KEY].ensureTracker().id).trackers;
}

async function enginesBackTo(count) {
  for (let i = 0; i < 300 && engines() !== count; i++) await sleep(10);
  return engines();
}

function start(track) {
  const worker = new Worker(WORKER, { workerData: { root: PACKAGE_ROOT, track } });
  const state = { worker, busy: false, wrong: 0, errors: [] };
  state.busyPromise = new Promise((resolve) => {
    worker.on('message', (message) => {
      if (message === 'busy') {
        state.busy = true;
        resolve();
      }
      if (message === 'wrong') state.wrong += 1;
    });
    worker.once('exit', resolve);
  });
  worker.on('error', (error) => state.errors.push(error));
  state.exit = new Promise((resolve) => worker.once('exit', resolve));
  return state;
}

// A tracked run of the main thread that spans the whole test: its work must stay right.
async function mainThreadWork(stop) {
  let rounds = 0;
  let wrong = 0;
  while (!stop.done) {
    const ok = await Promise.all(Array.from({ length: 10 }, (_, i) => Context.run(async () => {
      await sleep(i % 2);
      await null;
      return Context.get().i === i;
    }, { i })));
    if (!ok.every(Boolean)) wrong += 1;
    rounds += 1;
  }
  return { rounds, wrong };
}

test('60 workers terminated at random moments from load to busy tracked work: no crash, right contexts, engines dropped', async (t) => {
  const tracker = new Context.ExecutionContext();
  tracker.configure({ monitor: true });
  assert.equal(await enginesBackTo(1), 1);
  const stop = { done: false };
  const all = [];
  // Whatever fails, no worker and no loop may outlive the test (they would keep the file running).
  t.after(async () => {
    stop.done = true;
    await Promise.all(all.map((state) => state.worker.terminate()));
    tracker.configure({ monitor: false });
  });
  const main = mainThreadWork(stop);

  // Deterministic spread of termination delays (0 to 59 ms).
  const delays = Array.from({ length: 60 }, (_, i) => (i * 37) % 60);
  const outcomes = [];
  for (let wave = 0; wave < delays.length; wave += 10) {
    const workers = delays.slice(wave, wave + 10).map((delay, k) => ({ delay, state: start((wave + k) % 2 === 0) }));
    all.push(...workers.map(({ state }) => state));
    outcomes.push(...await Promise.all(workers.map(async ({ delay, state }, k) => {
      // Half are terminated after a delay (often mid-load), half once busy plus a delay.
      if (k % 2 === 1) await state.busyPromise;
      await sleep(delay);
      const busy = state.busy;
      await state.worker.terminate();
      return { busy, code: await state.exit, errors: state.errors, wrong: state.wrong };
    })));
  }
  stop.done = true;
  const { rounds, wrong } = await main;

  for (const outcome of outcomes) {
    // 1: terminated while running; 0: terminated before its event loop started.
    assert.ok([0, 1].includes(outcome.code), `exit code ${outcome.code}`);
    assert.deepEqual(outcome.errors, [], 'a worker must not fail');
    assert.equal(outcome.wrong, 0, 'a worker saw a wrong context');
  }
  assert.ok(outcomes.some((outcome) => !outcome.busy), 'some workers must be terminated while loading');
  assert.ok(outcomes.some((outcome) => outcome.busy), 'some workers must be terminated while busy');
  assert.equal(wrong, 0, 'the main thread saw a wrong context');
  assert.ok(rounds > 0);
  assert.equal(await enginesBackTo(1), 1, 'every worker engine must be dropped');

  // The main thread's tracking still works and drains.
  await Context.run(() => sleep(1), { id: 'after' });
  for (let i = 0; i < 5; i++) {
    global.gc();
    await sleep(5);
  }
  const report = tracker.monitor();
  assert.equal(report.size, 0, JSON.stringify(report.entries.slice(0, 3)));
});

test('a busy tracked worker terminated while the main thread asks for monitor reports in a loop', async (t) => {
  const tracker = new Context.ExecutionContext();
  tracker.configure({ monitor: true });
  const all = [];
  t.after(async () => {
    await Promise.all(all.map((state) => state.worker.terminate()));
    tracker.configure({ monitor: false });
  });
  for (let round = 0; round < 5; round++) {
    const state = start(true);
    all.push(state);
    await state.busyPromise;
    const reports = [];
    const terminated = state.worker.terminate();
    for (let i = 0; i < 20; i++) {
      reports.push(tracker.monitor().size);
      await null;
    }
    await terminated;
    assert.equal(await state.exit, 1);
    assert.ok(reports.every((size) => Number.isInteger(size) && size >= 0));
    assert.equal(state.wrong, 0);
  }
  assert.equal(await enginesBackTo(1), 1);
});
