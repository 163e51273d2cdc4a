'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Context = require('..');

function monitored() {
  const instance = new Context.ExecutionContext();
  instance.configure({ monitor: true });
  return instance;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

// FinalizationRegistry callbacks run on their own task after a collection: alternate GCs with
// turns of the event loop. The report is read only afterwards, in a fresh job (reading it
// dereferences the WeakRefs of live frames, which keeps them alive until the job ends).
async function collectGarbage(rounds = 4) {
  for (let i = 0; i < rounds; i++) {
    await tick();
    global.gc();
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function assertReportShape(report) {
  assert.equal(typeof report, 'object');
  assert.equal(typeof report.size, 'number');
  assert.ok(Number.isInteger(report.size) && report.size >= 0);
  assert.ok(Array.isArray(report.entries));
  for (const entry of report.entries) {
    for (const key of ['asyncId', 'created', 'duration', 'contextSize']) {
      assert.equal(typeof entry[key], 'number', `entry.${key} must be a number`);
      assert.ok(Number.isFinite(entry[key]), `entry.${key} must be finite`);
    }
    assert.ok(entry.duration >= 0);
    assert.ok(Array.isArray(entry.children));
    for (const child of entry.children) {
      for (const key of ['asyncId', 'created', 'duration']) {
        assert.equal(typeof child[key], 'number', `child.${key} must be a number`);
        assert.ok(Number.isFinite(child[key]), `child.${key} must be finite`);
      }
      assert.equal(typeof child.type, 'string');
      assert.ok(child.type.length > 0);
      assert.ok(child.duration >= 0);
    }
  }
}

test('monitor on an instance that was never configured throws MONITOR_MISS_CONFIGURATION', () => {
  const other = monitored(); // monitoring on for someone else must not enable it here
  const instance = new Context.ExecutionContext();
  assert.throws(() => instance.monitor(), (error) => {
    assert.ok(error instanceof Context.ExecutionContextError);
    assert.equal(error.code, 'MONITOR_MISS_CONFIGURATION');
    return true;
  });
  assert.doesNotThrow(() => other.monitor());
  other.configure({ monitor: false });
});

test('configure({ monitor: false }) turns monitoring off again', () => {
  const instance = monitored();
  assert.doesNotThrow(() => instance.monitor());
  instance.configure({ monitor: false });
  assert.throws(() => instance.monitor(), (error) => error.code === 'MONITOR_MISS_CONFIGURATION');
});

test('monitor returns a report with size and entries, each with asyncId, created, duration, contextSize and typed children', async () => {
  const instance = monitored();
  const before = Date.now();
  let release;
  const finished = instance.run(async () => {
    await new Promise((resolve) => {
      release = resolve;
      setTimeout(() => {}, 10);
    });
  }, { shape: true });

  const report = instance.monitor();
  assertReportShape(report);
  assert.ok(report.size >= 2, `the pending promise and timer must be counted, size=${report.size}`);
  assert.equal(report.entries.length, 1);
  const [entry] = report.entries;
  assert.ok(entry.created >= before - 1 && entry.created <= Date.now() + 1, 'created must be a Date.now() timestamp');
  assert.ok(entry.children.length >= 2);
  const types = entry.children.map((child) => child.type);
  assert.ok(types.includes('PROMISE'), `expected a PROMISE child, got ${types}`);
  assert.ok(types.includes('Timeout'), `expected a Timeout child, got ${types}`);
  for (const child of entry.children) {
    assert.ok(child.created >= before - 1 && child.created <= Date.now() + 1);
  }

  release();
  await finished;
  await new Promise((resolve) => setTimeout(resolve, 15));
  instance.configure({ monitor: false });
});

// Where Node can leave promises out of an async hook (Node 24) and the strategy needs no hook of
// its own (async-context-frame), tracking follows promises through V8's promise hooks: Node then
// numbers none of them, and a report shows the engine's own numbers, negated so that they can
// never be mistaken for Node's async ids. Elsewhere a promise child carries Node's async id.
test('promise children carry Node\'s async id, or a negative engine number where Node gives promises none', async () => {
  const { engine } = require('../lib/engine');
  const ownNumbers = engine().strategyName === 'async-context-frame' && Number(process.versions.node.split('.')[0]) >= 24;
  const instance = monitored();
  const releases = [];
  let resumed = 0;
  const finished = instance.run(async () => {
    await new Promise((resolve) => releases.push(resolve));
    resumed += 1;
    await new Promise((resolve) => releases.push(resolve));
    resumed += 1;
  }, { promises: true });

  const [waiting] = instance.monitor().entries;
  const promises = waiting.children.filter((child) => child.type === 'PROMISE');
  assert.ok(promises.length >= 1, `the awaiting continuation: ${JSON.stringify(waiting.children)}`);
  for (const { asyncId } of promises) {
    assert.equal(asyncId < 0, ownNumbers, `asyncId ${asyncId}`);
    assert.ok(Number.isSafeInteger(asyncId) && asyncId !== 0);
  }

  releases[0]();
  await tick();
  const [resumedEntry] = instance.monitor().entries;
  assert.equal(resumed, 1);
  const next = resumedEntry.children.filter((child) => child.type === 'PROMISE');
  const before = new Set(promises.map((child) => child.asyncId));
  const fresh = next.filter((child) => !before.has(child.asyncId));
  assert.equal(fresh.length, 1, `the first await's promise settled and left; the next await is pending: ${JSON.stringify(next)}`);
  assert.equal(next.length, promises.length, 'as many promises pending as before');
  if (ownNumbers) assert.ok(fresh[0].asyncId < Math.min(...before), 'the engine numbers promises in creation order');

  releases[1]();
  await finished;
  assert.equal(resumed, 2);
  await tick();
  assert.equal(instance.monitor().entries.length, 0);
  instance.configure({ monitor: false });
});

test('a run with a pending setTimeout shows a Timeout child until the timer fires, then disappears', async () => {
  const instance = monitored();
  const context = { timer: 'pending' };
  let fired;
  const firedPromise = new Promise((resolve) => {
    fired = resolve;
  });
  instance.run(() => {
    setTimeout(() => fired(instance.get()), 30);
  }, context);

  const pending = instance.monitor();
  assert.equal(pending.entries.length, 1, 'the run with a pending timer must be reported');
  const [entry] = pending.entries;
  assert.equal(entry.contextSize, JSON.stringify(context).length);
  assert.deepEqual(entry.children.map((child) => child.type), ['Timeout']);
  assert.ok(pending.size >= 1);

  assert.equal(await firedPromise, context);
  await tick();

  const after = instance.monitor();
  assert.equal(after.entries.length, 0, 'the entry must be gone once the timer has fired');
  assert.equal(
    after.entries.some((e) => e.children.some((child) => child.asyncId === entry.children[0].asyncId)),
    false,
  );
  instance.configure({ monitor: false });
});

test('a run that finished synchronously or asynchronously leaves no entry behind', async () => {
  const instance = monitored();
  instance.run(() => 1, { sync: true });
  assert.equal(instance.monitor().entries.length, 0);

  await instance.run(async () => {
    await null;
    await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
  }, { async: true });
  await tick();
  assert.equal(instance.monitor().entries.length, 0);
  instance.configure({ monitor: false });
});

test('contextSize equals JSON.stringify(context).length of the live context', async () => {
  const instance = monitored();
  const context = { name: 'x'.repeat(57), list: [1, 2, 3], nested: { ok: true } };
  let release;
  const done = instance.run(async () => {
    await new Promise((resolve) => {
      release = resolve;
    });
  }, context);

  const size = () => {
    const { entries } = instance.monitor();
    assert.equal(entries.length, 1);
    return entries[0].contextSize;
  };

  assert.equal(size(), JSON.stringify(context).length);

  instance.run(() => {}, {}); // an unrelated finished run must not change anything
  assert.equal(size(), JSON.stringify(context).length);

  release();
  await done;
  await tick();
  assert.equal(instance.monitor().entries.length, 0);
  instance.configure({ monitor: false });
});

test('contextSize reflects a context replaced with set or grown with update during the run', async () => {
  const instance = monitored();
  let step;
  const steps = [];
  const finished = instance.run(async () => {
    for (;;) {
      const action = await new Promise((resolve) => {
        step = resolve;
      });
      if (action === 'stop') return;
      action();
    }
  }, { start: true });

  const contextSize = () => instance.monitor().entries.map((entry) => entry.contextSize);
  steps.push(contextSize());

  const replacement = { replaced: 'z'.repeat(123) };
  const replacementSize = JSON.stringify(replacement).length;
  step(() => instance.set(replacement));
  await tick();
  steps.push(contextSize());

  step(() => instance.update({ more: [1, 2, 3, 4, 5] }));
  await tick();
  steps.push(contextSize());

  step('stop');
  await finished;

  assert.deepEqual(steps, [
    [JSON.stringify({ start: true }).length],
    [replacementSize],
    [JSON.stringify({ replaced: 'z'.repeat(123), more: [1, 2, 3, 4, 5] }).length],
  ]);
  assert.equal(replacement.more.length, 5, 'update must have merged into the object given to set');
  instance.configure({ monitor: false });
});

test('a cyclic context does not make monitor throw', async () => {
  const instance = monitored();
  const context = { name: 'cyclic' };
  context.self = context;
  let release;
  const done = instance.run(async () => {
    await new Promise((resolve) => {
      release = resolve;
    });
  }, context);

  let report;
  assert.doesNotThrow(() => {
    report = instance.monitor();
  });
  assertReportShape(report);
  assert.equal(report.entries.length, 1);
  assert.equal(typeof report.entries[0].contextSize, 'number');

  const big = {};
  big.value = 1n; // BigInt cannot be serialised either
  instance.run(() => {
    setTimeout(() => {}, 1);
  }, big);
  assert.doesNotThrow(() => instance.monitor());

  release();
  await done;
  await new Promise((resolve) => setTimeout(resolve, 5));
  instance.configure({ monitor: false });
});

test('runs stuck on never-settling promises are released once garbage collected', async () => {
  assert.equal(typeof global.gc, 'function', 'run with --expose-gc');
  const instance = monitored();
  const RUNS = 3000;

  // Until the first report the stuck runs are held on purpose, so that no incidental GC
  // can release them before we have seen them reported.
  let held = [];
  const finishing = [];
  for (let i = 0; i < RUNS; i++) {
    const result = instance.run(async () => {
      await null;
      if (i % 10 === 0) {
        const never = new Promise(() => {}); // never settles
        held.push(never);
        await never;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
      return i;
    }, { i, payload: 'p'.repeat(32) });
    if (i % 10 === 0) held.push(result);
    else finishing.push(result);
  }
  const results = await Promise.all(finishing);
  assert.equal(results.length, RUNS - RUNS / 10);
  finishing.length = 0;
  await tick();

  const stuck = instance.monitor();
  assert.ok(stuck.entries.length >= RUNS / 10, `the ${RUNS / 10} stuck runs must be reported, got ${stuck.entries.length}`);
  assert.ok(stuck.size >= RUNS / 10, `their pending promises must be in the map, size=${stuck.size}`);

  assert.equal(held.length, 2 * (RUNS / 10));
  held = null; // drop every reference to the stuck runs
  await collectGarbage();

  const report = instance.monitor();
  assert.ok(report.size < 50, `execution map should be near empty after GC, size=${report.size}`);
  assert.ok(report.entries.length < 50, `entries should be near empty after GC, got ${report.entries.length}`);
  instance.configure({ monitor: false });
});
