'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const Context = require('..');
const binding = require('../binding.js');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');

function engineId() {
  const engine = globalThis[ENGINE_KEY];
  assert.ok(engine, 'requiring the package must register its engine on globalThis');
  return engine.ensureTracker().id;
}

async function waitFor(predicate, { timeout = 3000, interval = 10 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

// Each worker requires the package itself, checks it has its own engine, then runs `runs`
// concurrent runs with awaits and timers. `mode: 'finish'` waits for a go, reports once and
// exits; `mode: 'forever'`
// reports that it is mid-flight and keeps going until terminated.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Context = require(workerData.packageRoot);
const binding = require(workerData.packageRoot + '/binding.js');
const engine = globalThis[Symbol.for('native-execution-context.engine@1')];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function batch(runs, tag) {
  const results = await Promise.all(Array.from({ length: runs }, (_, i) => Context.run(async () => {
    const context = Context.get();
    await sleep(i % 3);
    if (Context.get() !== context || context.i !== i) return false;
    await null;
    const fromTimer = await new Promise((resolve) => setTimeout(() => resolve(Context.get()), i % 4));
    if (fromTimer !== context) return false;
    const fromImmediate = await new Promise((resolve) => setImmediate(() => resolve(Context.get())));
    Context.update({ checked: true });
    return fromImmediate === context && Context.get().checked === true && Context.get().tag === tag;
  }, { i, tag })));
  return results.every(Boolean) && results.length === runs && !Context.exists();
}

let panicked = false;
try {
  binding.panicForTest('worker boom');
} catch (error) {
  panicked = error instanceof Error && error.message.includes('worker boom');
}

parentPort.postMessage({
  type: 'ready',
  engineId: engine.ensureTracker().id,
  trackers: binding.trackerStats(engine.ensureTracker().id).trackers,
  panicked,
});

(async () => {
  if (workerData.mode === 'finish') {
    await new Promise((resolve) => parentPort.once('message', resolve)); // 'go'
    const allRight = await batch(workerData.runs, 'finish-' + workerData.index);
    parentPort.postMessage({ type: 'done', allRight });
    return;
  }
  let round = 0;
  for (;;) {
    const pending = batch(workerData.runs, 'forever-' + round);
    if (round === 0) parentPort.postMessage({ type: 'mid-flight' });
    if (!(await pending)) parentPort.postMessage({ type: 'wrong', round });
    round += 1;
  }
})();
`;

function startWorker(index, mode, runs = 200) {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { packageRoot: PACKAGE_ROOT, index, mode, runs },
    env: { ...process.env, NODE_ENV: 'test' },
  });
  const messages = [];
  const waiters = [];
  worker.on('message', (message) => {
    messages.push(message);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const errors = [];
  worker.on('error', (error) => errors.push(error));
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const next = async (type) => {
    for (;;) {
      const found = messages.find((message) => message.type === type);
      if (found) return found;
      const stopped = await Promise.race([
        new Promise((resolve) => waiters.push(() => resolve(false))),
        exited.then(() => true),
      ]);
      if (stopped) {
        const late = messages.find((message) => message.type === type);
        if (late) return late;
        throw new Error(`worker ${index} exited before sending "${type}": ${errors.map(String).join('; ')}`);
      }
    }
  };
  return { worker, messages, errors, exited, next };
}

test('a Rust panic becomes a JavaScript Error instead of aborting the process', () => {
  assert.throws(
    () => binding.panicForTest('boom'),
    (error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /boom/);
      return true;
    },
  );
  // and again: the first panic must not have poisoned anything
  assert.throws(() => binding.panicForTest('boom again'), /boom again/);
});

test('the process keeps working normally after a panic, even one raised inside a run', async () => {
  const outer = { level: 'outer' };
  const seen = await Context.run(async () => {
    assert.throws(() => Context.run(() => binding.panicForTest('inside run'), { level: 'inner' }), /inside run/);
    const afterPanic = Context.get();
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { afterPanic, later: Context.get() };
  }, outer);
  assert.equal(seen.afterPanic, outer);
  assert.equal(seen.later, outer);
  assert.equal(Context.exists(), false);

  const instance = new Context.ExecutionContext();
  instance.configure({ monitor: true });
  assert.doesNotThrow(() => instance.monitor());
  instance.configure({ monitor: false });
  assert.equal(binding.trackerStats(engineId()).trackers, 1);
});

test('trackerStats reports the trackers and the sizes of this thread\'s tracker', () => {
  const id = engineId();
  assert.equal(typeof id, 'number');
  const stats = binding.trackerStats(id);
  assert.deepEqual(Object.keys(stats).sort(), ['contexts', 'eventsApplied', 'eventsAppliedOffThread', 'mapSize', 'nativeBytes', 'trackers']);
  assert.equal(stats.trackers, 1, 'only the main thread has a tracker here');
  for (const key of ['mapSize', 'contexts', 'eventsApplied', 'eventsAppliedOffThread', 'nativeBytes']) {
    assert.ok(Number.isInteger(stats[key]) && stats[key] >= 0, `${key} must be a non-negative integer`);
  }
  assert.throws(() => binding.trackerStats(id + 1000), Error, 'an unknown engine id is an error, not a crash');
});

test('full event-log buffers are applied by the native applier thread, and a report still sees every event before it', async () => {
  const id = engineId();
  const instance = new Context.ExecutionContext();
  instance.configure({ monitor: true });
  const before = binding.trackerStats(id).eventsAppliedOffThread;
  // Several full buffers' worth of events (1,024 records each), and no report in between.
  for (let round = 0; round < 5; round++) {
    await Promise.all(Array.from({ length: 200 }, (_, i) => instance.run(async () => {
      for (let k = 0; k < 5; k++) await Promise.resolve(k);
    }, { i })));
  }
  // trackerStats straight from the binding applies nothing itself: only the applier can raise this.
  const applied = await waitFor(() => binding.trackerStats(id).eventsAppliedOffThread > before, { timeout: 10000 });
  assert.ok(applied, 'no event was applied off the JavaScript thread');
  // A run still pending, written after those buffers: the report applies what is queued first.
  let release;
  const pending = instance.run(() => new Promise((resolve) => { release = resolve; }).then(() => 'done'), { requestId: 'still pending' });
  const report = instance.monitor();
  assert.deepEqual(report.entries.map((entry) => entry.label), ['still pending']);
  release();
  assert.equal(await pending, 'done');
  instance.configure({ monitor: false });
});

test('workers each get their own engine, keep contexts right under load and the main thread survives terminations', async () => {
  const id = engineId();
  assert.equal(binding.trackerStats(id).trackers, 1);

  const finishing = [0, 1].map((index) => startWorker(index, 'finish'));
  const terminated = [2, 3].map((index) => startWorker(index, 'forever'));
  const all = [...finishing, ...terminated];

  try {
    const ready = await Promise.all(all.map((w) => w.next('ready')));
    const workerEngineIds = ready.map((message) => message.engineId);
    assert.equal(new Set([id, ...workerEngineIds]).size, 5, 'every thread must have its own engine id');
    for (const message of ready) {
      assert.ok(message.trackers >= 2, 'a worker sees at least the main tracker and its own');
      assert.equal(message.panicked, true, 'a panic in a worker must surface as an Error there');
    }

    // Terminate two workers while their runs, awaits and timers are in flight.
    await Promise.all(terminated.map((w) => w.next('mid-flight')));
    assert.equal(binding.trackerStats(id).trackers, 5, 'the main engine plus one per live worker');
    for (const w of finishing) w.worker.postMessage('go');
    const codes = await Promise.all(terminated.map(async (w) => {
      await w.worker.terminate();
      return w.exited;
    }));
    assert.deepEqual(codes, [1, 1], 'terminated workers exit with code 1');

    // The main thread still works while the others finish.
    const context = { main: true };
    const seen = await Context.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return Context.get();
    }, context);
    assert.equal(seen, context);

    const done = await Promise.all(finishing.map((w) => w.next('done')));
    assert.deepEqual(done.map((message) => message.allRight), [true, true], 'every context in the workers must be right');
    const exitCodes = await Promise.all(finishing.map((w) => w.exited));
    assert.deepEqual(exitCodes, [0, 0]);

    for (const w of all) {
      assert.deepEqual(w.errors, [], 'no worker may fail');
      assert.equal(w.messages.some((message) => message.type === 'wrong'), false, 'a mid-flight batch saw a wrong context');
    }

    await waitFor(() => binding.trackerStats(id).trackers === 1);
    assert.equal(binding.trackerStats(id).trackers, 1, 'the workers\' engines must be dropped when they exit');
  } finally {
    await Promise.all(all.map((w) => w.worker.terminate()));
  }

  assert.equal(Context.run(() => Context.get(), 'alive'), 'alive');
});
