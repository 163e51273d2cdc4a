'use strict';
// configure({ monitor: { sample, label } }) on the root face: the object form and its errors,
// configure() as a no-op, labels (configured, default, a throwing or non-string label function)
// computed when a report is taken, and sampling of top-level contexts.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { ExecutionContext } = require('..');

const tick = () => new Promise((resolve) => setImmediate(resolve));

// Runs one context of `instance` per element of `contexts`, each left awaiting a promise (the
// await is what keeps it live); returns the release.
function waitingRuns(instance, contexts) {
  const releases = [];
  const done = contexts.map((context) => instance.run(async () => {
    await new Promise((resolve) => releases.push(resolve));
  }, context));
  return async () => {
    releases.forEach((release) => release());
    await Promise.all(done);
    await tick();
  };
}

test('configure() and configure(undefined) change nothing, on or off', (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure();
  instance.configure(undefined);
  assert.throws(() => instance.monitor(), (error) => error.code === 'MONITOR_MISS_CONFIGURATION', 'still off');
  instance.configure({ monitor: { label: () => 'kept' } });
  instance.configure();
  instance.configure(undefined);
  instance.run(() => {
    const [entry] = instance.monitor().entries;
    assert.equal(entry.label, 'kept', 'still on, with its label function');
  }, {});
  instance.configure({ monitor: false });
});

test('the object form turns monitoring on; { monitor: {} } with the defaults; false turns it off', (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure({ monitor: {} });
  assert.doesNotThrow(() => instance.monitor());
  instance.configure({ monitor: false });
  assert.throws(() => instance.monitor(), (error) => error.code === 'MONITOR_MISS_CONFIGURATION');
  instance.configure({ monitor: { sample: 1, label: undefined } });
  assert.doesNotThrow(() => instance.monitor());
  instance.configure({ monitor: false });
});

test('bad monitor options throw a TypeError or RangeError naming the problem, and change nothing', (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  const cases = [
    [{ sample: '0.5' }, TypeError, /"monitor\.sample" must be a number in \(0, 1\], got string/],
    [{ sample: null }, TypeError, /"monitor\.sample" must be a number in \(0, 1\], got null/],
    [{ sample: NaN }, RangeError, /"monitor\.sample" must be in \(0, 1\] \(the fraction of new top-level contexts tracked\), got NaN/],
    [{ sample: 0 }, RangeError, /got 0$/],
    [{ sample: -0.5 }, RangeError, /got -0\.5$/],
    [{ sample: 1.5 }, RangeError, /got 1\.5$/],
    [{ sample: Infinity }, RangeError, /got Infinity$/],
    [{ label: 'requestId' }, TypeError, /"monitor\.label" must be a function \(context\) => string, got string/],
    [{ label: null }, TypeError, /"monitor\.label" must be a function \(context\) => string, got null/],
    [{ sampling: 0.5 }, TypeError, /unknown "monitor" option "sampling" \(the options are sample, label\)/],
    [[], TypeError, /"monitor" must be a boolean or an options object \(\{ sample, label \}\), got an array/],
    ['yes', TypeError, /"monitor" must be a boolean or an options object/],
  ];
  for (const [monitor, type, message] of cases) {
    assert.throws(() => instance.configure({ monitor }), (error) => {
      assert.equal(error.constructor, type, `${String(monitor && JSON.stringify(monitor))}: ${error.message}`);
      assert.match(error.message, message);
      assert.match(error.message, /^ExecutionContext\.configure: /);
      return true;
    });
  }
  assert.throws(() => instance.monitor(), (error) => error.code === 'MONITOR_MISS_CONFIGURATION', 'no failed configure turned it on');

  instance.configure({ monitor: { label: () => 'first' } });
  assert.throws(() => instance.configure({ monitor: { label: 'second' } }), TypeError);
  instance.run(() => assert.equal(instance.monitor().entries[0].label, 'first', 'a failed configure keeps the previous options'), {});
  instance.configure({ monitor: false });
});

test('a configured label function names each entry with its context, when the report is taken', async (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  const seen = [];
  instance.configure({
    monitor: {
      label(context) {
        seen.push(context);
        return `user ${context.user}`;
      },
    },
  });
  const contexts = [{ user: 'ada' }, { user: 'grace' }];
  const release = waitingRuns(instance, contexts);
  assert.equal(seen.length, 0, 'never called when a context is made');

  contexts[1].user = 'grace hopper'; // the label is computed from the context as it is now
  const report = instance.monitor();
  assert.deepEqual(report.entries.map((entry) => entry.label), ['user ada', 'user grace hopper']);
  assert.equal(seen.length, 2);
  assert.equal(seen[0], contexts[0], 'called with the context itself');
  assert.equal(seen[1], contexts[1]);

  await release();
  assert.equal(instance.monitor().entries.length, 0);
  instance.configure({ monitor: false });
});

test('a label function runs outside every context, also when monitor() is called inside one', (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  let inside;
  instance.configure({
    monitor: {
      label() {
        inside = instance.exists();
        return 'x';
      },
    },
  });
  instance.run(() => {
    assert.equal(instance.monitor().entries[0].label, 'x');
  }, { requestId: 'r' });
  assert.equal(inside, false);
  instance.configure({ monitor: false });
});

test('a label function that throws or returns no string gives a placeholder label, never a crash', async (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure({
    monitor: {
      label(context) {
        return context.make();
      },
    },
  });
  const hostile = Object.create(null);
  Object.defineProperty(hostile, 'message', {
    get() {
      throw new Error('nope');
    },
  });
  const release = waitingRuns(instance, [
    { make: () => { throw new Error('no user yet'); } },
    { make: () => { throw 'a string'; } }, // eslint-disable-line no-throw-literal
    { make: () => { throw hostile; } },
    { make: () => 42 },
    { make: () => undefined },
    { make: () => null },
    { make: () => ({ toString: () => 'an object' }) },
    { make: () => instance.monitor() }, // asking for a report from a label
    {}, // context.make is not a function
  ]);
  let report;
  assert.doesNotThrow(() => {
    report = instance.monitor();
  });
  assert.deepEqual(report.entries.map((entry) => entry.label), [
    '<label threw: no user yet>',
    '<label threw: a string>',
    '<label threw: unprintable>',
    '<label not a string: number>',
    '<label not a string: undefined>',
    '<label not a string: null>',
    '<label not a string: object>',
    '<label threw: ExecutionContext.monitor cannot be called from a monitor label function>',
    '<label threw: context.make is not a function>',
  ]);
  assert.doesNotThrow(() => instance.monitor(), 'monitor() works again after a label asked for it');
  await release();
  instance.configure({ monitor: false });
});

test('the default label is a string requestId; no requestId (or not a string): no label key', async (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure({ monitor: true });
  const release = waitingRuns(instance, [{ requestId: 'r-1', user: 'ada' }, { requestId: 7 }, { user: 'grace' }, undefined, 'plain', null]);
  const { entries } = instance.monitor();
  assert.equal(entries.length, 6);
  assert.equal(entries[0].label, 'r-1');
  for (const entry of entries.slice(1)) assert.equal('label' in entry, false, JSON.stringify(entry));

  // configure({ monitor: true }) after a label function: back to the default label.
  instance.configure({ monitor: { label: () => 'custom' } });
  assert.equal(instance.monitor().entries[1].label, 'custom');
  instance.configure({ monitor: true });
  assert.equal(instance.monitor().entries[0].label, 'r-1');
  assert.equal('label' in instance.monitor().entries[1], false);
  await release();
  instance.configure({ monitor: false });
});

test('created contexts are labelled too', async (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure({ monitor: { label: (context) => `job ${context.job}` } });
  const labels = await new Promise((resolve) => {
    setImmediate(() => {
      instance.create({ job: 'nightly' });
      resolve(instance.monitor().entries.map((entry) => entry.label));
    });
  });
  assert.deepEqual(labels, ['job nightly']);
  instance.configure({ monitor: false });
});

test('sample: 0.25 tracks about a quarter of 2,000 top-level runs; runs nested in an untracked run are never tracked', (t) => {
  const instance = new ExecutionContext();
  t.after(() => instance.configure({ monitor: false })); // also when an assertion fails
  instance.configure({ monitor: { sample: 0.25, label: (context) => context.name } });
  const RUNS = 2000;
  const timers = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      instance.run(() => {
        timers.push(setTimeout(() => {}, 60_000));
        instance.run(() => {
          timers.push(setTimeout(() => {}, 60_000));
        }, { name: `nested ${i}` });
      }, { name: `top ${i}` });
    }
    const labels = instance.monitor().entries.map((entry) => entry.label);
    const top = labels.filter((label) => label.startsWith('top ')).map((label) => label.slice(4));
    const nested = labels.filter((label) => label.startsWith('nested ')).map((label) => label.slice(7));
    assert.equal(top.length + nested.length, labels.length);
    // Binomial(2000, 0.25): mean 500, standard deviation ~19; 300..700 is more than 10 of them.
    assert.ok(top.length >= 300 && top.length <= 700, `${top.length} of ${RUNS} top-level runs tracked`);
    // A nested run is tracked exactly when the run around it is.
    assert.deepEqual(nested.sort(), top.sort());
  } finally {
    timers.forEach(clearTimeout);
    instance.configure({ monitor: false });
  }

  // Without sample, every run is tracked again.
  instance.configure({ monitor: true });
  const all = [];
  try {
    for (let i = 0; i < 50; i++) instance.run(() => all.push(setTimeout(() => {}, 60_000)), { name: `all ${i}` });
    assert.equal(instance.monitor().entries.length, 50);
  } finally {
    all.forEach(clearTimeout);
    instance.configure({ monitor: false });
  }
});

test('docs/monitor.md: the labels example prints the labels it shows', async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { runToEnd } = require('./helpers/child');
  const ROOT = path.join(__dirname, '..');
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'monitor.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Labels'));
  const code = /```js\n([\s\S]*?)```/.exec(section)[1];
  const shown = /\nprints\n\n((?: {4}.*\n)+)/.exec(section)[1].split('\n').map((line) => line.slice(4));
  const { code: exitCode, stdout, stderr } = await runToEnd(process.execPath, ['-e', code], { cwd: ROOT, timeout: 30_000 });
  assert.equal(exitCode, 0, stderr);
  const printed = stdout.trimEnd().split('\n');
  assert.equal(printed[0], shown[0]);
  // The tree as shown, but for the time it was taken and the ages.
  const timeless = (line) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, 'T').replace(/\d+ms/g, 'N');
  assert.deepEqual(printed.slice(1).map(timeless), shown.slice(1, printed.length).map(timeless));
  assert.equal(printed.length, shown.filter((line) => line !== '').length);
});
