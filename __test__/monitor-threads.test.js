'use strict';
// monitor({ threads: 'all' }) on the root face: every monitoring thread's contexts, tagged with
// their threadId and labelled by the label function of the thread that owns them (published off
// the propagation path once an all-threads report wakes them: lib/engine/publication.js), from the main thread
// and from a worker; threads that only track for /cls 'end' are not listed; reports taken from
// two threads at once are consistent per thread; workers terminated while reports are being
// taken simply disappear. monitor() itself keeps its shape.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const Context = require('..');

const ROOT = path.join(__dirname, '..');
const WORKER = path.join(__dirname, 'fixtures', 'threads', 'monitor-worker.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A worker of the fixture; resolves once it is ready, with a `request(message, type)` helper.
async function startWorker(mode, contexts) {
  const worker = new Worker(WORKER, { workerData: { root: ROOT, mode, contexts } });
  const errors = [];
  worker.on('error', (error) => errors.push(error));
  const ready = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${errors.join(', ')}`)));
  });
  const request = (message, type) => new Promise((resolve) => {
    const onMessage = (reply) => {
      if (reply.type !== type) return;
      worker.off('message', onMessage);
      resolve(reply);
    };
    worker.on('message', onMessage);
    worker.postMessage(message);
  });
  return { worker, threadId: ready.threadId, own: ready.own, contexts, errors, request };
}

// Takes all-threads reports until `done(report)` holds (other threads publish their contexts and
// labels a moment after the first all-threads report wakes them); returns the last one.
async function reportUntil(take, done, what) {
  let report;
  for (let i = 0; i < 100; i++) {
    report = await take();
    if (done(report)) return report;
    await sleep(50);
  }
  assert.fail(`${what} never held; last report: ${JSON.stringify(report, null, 1).slice(0, 2000)}`);
}

// Durations grow between two reports; everything else must be equal.
const withoutDurations = ({ duration, children, ...rest }) => ({ ...rest, children: children.map(({ duration: _, ...child }) => child) });
const labelsOf = (thread) => thread.entries.map((entry) => entry.label).sort();
const expectedLabels = (worker) => Array.from({ length: worker.contexts }, (_, n) => `w${worker.threadId}-${n}`).sort();

const workers = [];
let clsWorker;
// The main thread's own contexts, labelled m-<n>, waiting forever.
const MAIN_CONTEXTS = 2;
// Their resolvers, held (as a stuck request's are by what it waits on): an unreachable promise
// and its context would be collected.
const stuck = [];

before(async () => {
  Context.configure({ monitor: { label: (context) => `m-${context.n}` } });
  for (let n = 0; n < MAIN_CONTEXTS; n++) {
    Context.run(async () => {
      await new Promise((resolve) => stuck.push(resolve));
    }, { n });
  }
  // Different counts per worker, so that a thread's entries cannot pass for another's.
  workers.push(...await Promise.all([3, 4, 5, 6].map((contexts) => startWorker('monitor', contexts))));
  clsWorker = await startWorker('cls', 0);
});

after(async () => {
  await Promise.all([...workers, clsWorker].filter(Boolean).map(({ worker }) => worker.terminate()));
  Context.configure({ monitor: false });
});

test('monitor() keeps its shape; bad options throw TypeError or RangeError before anything is read', () => {
  const report = Context.monitor();
  const publication = globalThis[Symbol.for('native-execution-context.engine@1')].tracker.publication;
  assert.equal(publication.timer, null, 'no publication runs while nobody asked for an all-threads report');
  assert.deepEqual(Object.keys(report), ['size', 'contexts', 'byType', 'oldest', 'entries']);
  assert.equal(report.entries.length, MAIN_CONTEXTS);
  for (const entry of report.entries) assert.equal('threadId' in entry, false);
  assert.deepEqual(Object.keys(Context.monitor({ threads: 'current' })), Object.keys(report));
  assert.deepEqual(Object.keys(Context.monitor({})), Object.keys(report));

  assert.throws(() => Context.monitor(null), { name: 'TypeError', message: /expects nothing or an options object \(\{ threads: 'all' \}\), got null/ });
  assert.throws(() => Context.monitor('all'), { name: 'TypeError', message: /got string/ });
  assert.throws(() => Context.monitor({ thread: 'all' }), { name: 'TypeError', message: /unknown option "thread" \(the only option is threads\)/ });
  assert.throws(() => Context.monitor({ threads: true }), { name: 'TypeError', message: /"threads" must be 'all' or 'current', got boolean/ });
  assert.throws(() => Context.monitor({ threads: 'every' }), { name: 'RangeError', message: /"threads" must be 'all' .* got "every"/ });
  const off = new Context.ExecutionContext();
  assert.throws(() => off.monitor({ threads: 'al' }), RangeError, 'options are checked first');
  assert.throws(() => off.monitor({ threads: 'all' }), (error) => error.code === 'MONITOR_MISS_CONFIGURATION');
  assert.equal(publication.timer, null);
});

test('from the main thread: each of 4 workers\' contexts, tagged with its threadId and labelled by its own label function', async () => {
  for (const worker of workers) assert.equal(worker.own, worker.contexts, 'each worker sees its own contexts');
  const report = await reportUntil(
    () => Context.monitor({ threads: 'all' }),
    (candidate) => workers.every((worker) => {
      const thread = candidate.threads.find((t) => t.threadId === worker.threadId);
      return thread !== undefined && labelsOf(thread).join() === expectedLabels(worker).join();
    }),
    'every worker listed with its labels',
  );

  // The main thread first (id 0), then the monitoring workers by id; the /cls-only one is absent.
  const ids = report.threads.map((thread) => thread.threadId);
  assert.deepEqual(ids, [0, ...workers.map((worker) => worker.threadId).sort((a, b) => a - b)]);
  assert.ok(!ids.includes(clsWorker.threadId), 'a thread tracking only for /cls end is not listed');

  for (const worker of workers) {
    const thread = report.threads.find((t) => t.threadId === worker.threadId);
    assert.equal(thread.entries.length, worker.own, 'as many entries as its own report');
    assert.equal(thread.size, worker.own * 2, 'each context and its one pending promise');
    assert.deepEqual(thread.byType, { PROMISE: worker.own });
    for (const entry of thread.entries) {
      assert.equal(entry.threadId, worker.threadId);
      assert.equal(entry.contextSize, JSON.stringify({ n: 0 }).length);
      assert.equal(entry.running, false);
      assert.deepEqual(entry.children.map((child) => child.type), ['PROMISE']);
      assert.equal('value' in entry, false, 'the context object lives in the other isolate');
    }
  }

  // This thread's entries are monitor()'s, tagged with threadId 0.
  const own = report.threads[0];
  const single = Context.monitor();
  assert.deepEqual(own.entries.map(withoutDurations), single.entries.map((entry) => withoutDurations({ threadId: 0, ...entry })));
  assert.deepEqual(labelsOf(own), ['m-0', 'm-1']);

  // The whole: every thread's entries, in thread order, and their sums.
  assert.deepEqual(report.entries, report.threads.flatMap((thread) => thread.entries));
  assert.equal(report.size, report.threads.reduce((sum, thread) => sum + thread.size, 0));
  assert.equal(report.contexts, report.threads.reduce((sum, thread) => sum + thread.contexts, 0));
  assert.equal(report.byType.PROMISE, report.entries.length);
  assert.equal(report.oldest.created, Math.min(...report.entries.map((entry) => entry.created)));
});

test('from a worker: the main thread\'s and the other workers\' contexts, with their labels', async () => {
  const [asker, ...others] = workers;
  const { report } = await reportUntil(
    () => asker.request('all', 'all'),
    ({ report: candidate }) => candidate.threads.find((t) => t.threadId === 0)?.labels.join() === 'm-0,m-1'
      && others.every((worker) => candidate.threads.find((t) => t.threadId === worker.threadId)?.labels.join() === expectedLabels(worker).join()),
    'the worker sees every thread with its labels',
  );
  assert.ok(report.everyEntryTagged);
  for (const thread of report.threads) assert.ok(thread.tagged, `thread ${thread.threadId}'s entries carry its id`);
  const mine = report.threads.find((thread) => thread.threadId === asker.threadId);
  assert.deepEqual(mine.labels, expectedLabels(asker), 'its own contexts, labelled as in its own monitor()');
  assert.deepEqual(mine.labels, (await asker.request('own', 'own')).labels);
  assert.equal(report.entries, MAIN_CONTEXTS + workers.reduce((sum, worker) => sum + worker.contexts, 0));
  assert.ok(!report.threads.some((thread) => thread.threadId === clsWorker.threadId));
});

test('reports taken in two threads at once: each thread\'s entries always match its own report in count', async () => {
  const expected = { 0: MAIN_CONTEXTS };
  for (const worker of workers) expected[worker.threadId] = worker.own;
  const looping = workers[1].request({ type: 'loop', ms: 1500, expected }, 'looped');
  const until = Date.now() + 1500;
  let reports = 0;
  while (Date.now() < until) {
    for (const thread of Context.monitor({ threads: 'all' }).threads) {
      assert.equal(thread.entries.length, expected[thread.threadId], `thread ${thread.threadId}`);
    }
    reports += 1;
    if (reports % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const worker = await looping;
  assert.deepEqual(worker.mismatches, []);
  assert.ok(worker.reports > 0 && reports > 0);
});

test('2 workers terminated while the main thread and a worker take reports in a loop disappear, without a crash', async () => {
  const doomed = await Promise.all([startWorker('monitor', 2), startWorker('monitor', 3)]);
  const expected = { 0: MAIN_CONTEXTS };
  for (const worker of [...workers, ...doomed]) expected[worker.threadId] = worker.own;
  await reportUntil(
    () => Context.monitor({ threads: 'all' }),
    (report) => doomed.every((worker) => report.threads.some((t) => t.threadId === worker.threadId)),
    'the new workers are listed',
  );
  const looping = workers[2].request({ type: 'loop', ms: 1200, expected }, 'looped');
  const terminated = Promise.all(doomed.map(async ({ worker }, i) => {
    await sleep(100 + 150 * i);
    return worker.terminate();
  }));
  const seen = new Set();
  const until = Date.now() + 1200;
  while (Date.now() < until) {
    for (const thread of Context.monitor({ threads: 'all' }).threads) {
      seen.add(thread.threadId);
      assert.equal(thread.entries.length, expected[thread.threadId], `thread ${thread.threadId}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(await terminated, [1, 1]);
  const worker = await looping;
  assert.deepEqual(worker.mismatches, []);
  for (const { threadId } of doomed) assert.ok(seen.has(threadId), `thread ${threadId} was listed before its end`);
  const report = await reportUntil(
    () => Context.monitor({ threads: 'all' }),
    (candidate) => !candidate.threads.some((t) => doomed.some((worker) => worker.threadId === t.threadId)),
    'terminated workers leave the report',
  );
  assert.deepEqual(report.threads.map((thread) => thread.threadId), [0, ...workers.map((w) => w.threadId).sort((a, b) => a - b)]);
  for (const { errors } of [...workers, ...doomed]) assert.deepEqual(errors, []);
});

test('docs/monitor.md\'s example prints every thread\'s contexts with their own labels', async () => {
  const { runToEnd } = require('./helpers/child');
  const { code, stdout, stderr } = await runToEnd(process.execPath, [path.join(ROOT, 'examples', 'monitor-threads.js')], { timeout: 15_000, cwd: ROOT });
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['thread 0: GET /orders/42', 'thread 1: job 101 (emails), job 102 (reports)', 'thread 2: job 201 (emails), job 202 (reports)']);
  assert.match(lines[3], /: 3 threads, 5 live contexts, 7 live resources \(PROMISE 5, Timeout 2\)$/);
  assert.match(stdout, /^└─ thread 2 \(worker\): 2 live contexts, 3 live resources \(PROMISE 2, Timeout 1\)$/m);
});
