'use strict';
// A /cls context's 'end' is never lost: when the context's last work is the last thing keeping
// the process alive, 'end' still fires before the process exits and before a test runner that
// awaits it sees an empty loop. Each case runs 50 times, in child processes, 10 at a time.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { runToEnd } = require('./helpers/child');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'end');
const RUNS = 50;

async function runMany(args) {
  const results = [];
  for (let start = 0; start < RUNS; start += 10) {
    const batch = Array.from({ length: Math.min(10, RUNS - start) }, () =>
      runToEnd(process.execPath, args, { env: { ...process.env, PACKAGE_ROOT, NODE_TEST_CONTEXT: undefined } }),
    );
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

test('end fires when its timers are the last work of the process, 50 runs of 50', async () => {
  const results = await runMany([path.join(FIXTURES, 'last-work-process.js')]);
  const missing = results.filter((result) => result.code !== 0 || result.stdout !== 'end\n');
  assert.deepEqual(missing.map((result) => ({ code: result.code, stdout: result.stdout, stderr: result.stderr })), []);
});

test('a node:test file awaiting end as its last work passes, 50 runs of 50', async () => {
  const results = await runMany(['--test', '--test-reporter=tap', path.join(FIXTURES, 'last-work-node-test.js')]);
  const failed = results.filter((result) => result.code !== 0 || !/^# pass 1$/m.test(result.stdout) || /^# cancelled [1-9]/m.test(result.stdout));
  assert.deepEqual(failed.map((result) => ({ code: result.code, tail: result.stdout.split('\n').filter((line) => line.startsWith('#')).join(' ') })), []);
});
