'use strict';

// Loading: two copies of the package (a real copy of the addon file too) share one engine and
// never have more than one async hook enabled; process.exit at every point of loading the
// package (each module, the addon's dlopen), in a worker as well, and in the middle of tracked
// work exits with the code asked for and prints nothing.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { runChild, PACKAGE_ROOT } = require('./fixtures/reliability/child');

const FIXTURES = path.join(__dirname, 'fixtures', 'reliability');
const TWICE = path.join(FIXTURES, 'load-twice-child.js');
const EXIT = path.join(FIXTURES, 'exit-child.js');
const STRATEGIES = ['resource', 'async-context-frame'];

function copyPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-twice-'));
  for (const file of ['index.js', 'binding.js', 'package.json']) fs.copyFileSync(path.join(PACKAGE_ROOT, file), path.join(dir, file));
  for (const file of fs.readdirSync(PACKAGE_ROOT).filter((name) => name.endsWith('.node'))) {
    fs.copyFileSync(path.join(PACKAGE_ROOT, file), path.join(dir, file)); // a second shared object, not a link
  }
  fs.cpSync(path.join(PACKAGE_ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
  return dir;
}

test('two copies of the package loaded side by side: one engine, one instance, one namespace registry, at most one hook', async (t) => {
  const copy = copyPackage();
  t.after(() => fs.rmSync(copy, { recursive: true, force: true }));
  for (const order of ['original-first', 'copy-first']) {
    for (const strategy of STRATEGIES) {
      const label = `${order}, ${strategy}`;
      const result = await runChild(TWICE, { env: { COPY_DIR: copy, ORDER: order, NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy } });
      assert.equal(result.code, 0, `${label}: exit code ${result.code}: ${result.stderr}`);
      assert.equal(result.stderr, '', label);
      assert.ok(result.json && !result.json.fatal, `${label}: ${result.stdout}`);
      assert.deepEqual(result.json.problems, [], label);
      assert.equal(result.json.strategy, strategy);
      assert.equal(result.json.maxEnabled, 1, `${label}: never more than one hook of ours enabled at once`);
      assert.equal(result.json.enabledWhileTracking, 1, `${label}: while tracking, exactly one hook is on`);
      assert.ok(result.json.enabledNow <= 1, `${label}: at most one hook at the end`);
      // Only the copy loaded first creates hooks: the second reuses its engine.
      const firstLoaded = order === 'original-first' ? 'original' : 'copy';
      for (const hook of result.json.hooksCreated) assert.equal(hook.from, firstLoaded, `${label}: ${JSON.stringify(result.json.hooksCreated)}`);
      // Propagation alone needs at most an init hook (plus `before` once create/enterWith has been
      // used); tracking, one hook with after too, which learns of settled promises from V8's
      // `settled` promise hook (or from its own promiseResolve, where Node's async id symbol cannot
      // be found: a short-lived init probe looks), or (where Node can leave promises out of a hook,
      // which another probe finds out) one that leaves promises to V8's promise hooks altogether.
      const kinds = result.json.hooksCreated.map((hook) => hook.callbacks.join(','));
      assert.ok(kinds.some((kind) => kind.includes('promiseResolve') || kind.startsWith('after')), `${label}: a tracking hook was created: ${kinds}`);
      const allowed = [
        'init', 'before,init', 'after,init', 'after,before,init', 'after,init,promiseResolve', 'after,before,init,promiseResolve',
        'init,trackPromises', 'after,before,init,trackPromises',
      ];
      for (const kind of kinds) assert.ok(allowed.includes(kind), `${label}: unexpected hook ${kind}`);
    }
  }
});

test('process.exit at every point of loading the package exits cleanly with code 0', async () => {
  const { json } = await runChild(EXIT, { env: { MODE: 'count-loads' } });
  assert.ok(json && json.loads >= 8, `loading the package loads several modules: ${JSON.stringify(json)}`);
  const points = [...Array.from({ length: json.loads }, (_, i) => String(i)), 'dlopen'];
  const results = await Promise.all(points.map(async (point) => [point, await runChild(EXIT, { env: { MODE: 'load-point', EXIT_AT: point } })]));
  for (const [point, result] of results) {
    assert.equal(result.signal, null, `exit at ${point}: killed by ${result.signal}`);
    assert.equal(result.code, 0, `exit at ${point}: code ${result.code} (9: the exit point was never reached): ${result.stderr}`);
    assert.equal(result.stderr, '', `exit at ${point}: no crash output`);
  }
});

test('process.exit inside workers at every point of loading the package ends only those workers; the main thread keeps one engine', async () => {
  const { json } = await runChild(EXIT, { env: { MODE: 'count-loads' } });
  const points = [...Array.from({ length: json.loads }, (_, i) => i), 'dlopen'];
  const result = await runChild(EXIT, { env: { MODE: 'workers-load-points', POINTS: JSON.stringify(points) } });
  assert.equal(result.code, 0, `exit code ${result.code}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.ok(result.json, result.stdout);
  assert.deepEqual(result.json.codes.map(([, code]) => code), points.map(() => 0), JSON.stringify(result.json.codes));
  assert.equal(result.json.seen, 'main');
  assert.equal(result.json.engines, 1, 'every worker engine must be dropped');
});

test('process.exit right after require, inside a run, inside a tracked continuation with pending log records, and with an exit handler that uses the engine', async () => {
  for (const mode of ['after-require', 'inside-run', 'inside-tracked-continuation', 'in-exit-handler']) {
    for (const strategy of STRATEGIES) {
      const result = await runChild(EXIT, { env: { MODE: mode, NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy } });
      assert.equal(result.signal, null, `${mode} (${strategy}): killed by ${result.signal}`);
      assert.equal(result.code, 0, `${mode} (${strategy}): exit code ${result.code}: ${result.stderr}`);
      assert.equal(result.stderr, '', `${mode} (${strategy}): no crash output`);
      if (mode === 'in-exit-handler') assert.deepEqual(result.json, { code: 0, seen: 'in-exit-handler', size: 'number' });
      else assert.equal(result.stdout, '');
    }
  }
});

test('the exit code given inside an async continuation of a run is the process exit code', async () => {
  const result = await runChild(EXIT, { env: { MODE: 'exit-code' } });
  assert.equal(result.code, 3);
  assert.equal(result.stderr, '');
});
