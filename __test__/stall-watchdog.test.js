'use strict';

// The stall watchdog (watchStalls): a native thread notices an event loop that has not turned for
// the threshold, blames the context that was running, writes a line while the stall lasts, and
// calls onStall once the loop turns again. Each scenario runs in its own process
// (fixtures/stalls/scenario.js): the watchdog watches a whole thread's loop.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const Context = require('..');
const { engine } = require('../lib/engine');
const { runToEnd } = require('./helpers/child');

// The callback's type is recorded under the `resource` strategy only (on `async-context-frame`
// it would cost a resource lookup per callback): the children run with this process's strategy.
const TYPED = engine().strategyName === 'resource';
const typed = (type) => (TYPED ? type : undefined);
const callback = (type) => (TYPED ? `\\(callback: async id \\d+, ${type}\\)` : '\\(callback: async id \\d+\\)');

const SCENARIO = path.join(__dirname, 'fixtures', 'stalls', 'scenario.js');
const THRESHOLD = 200;

async function run(scenario, threshold = THRESHOLD) {
  const result = await runToEnd(process.execPath, [SCENARIO, scenario, String(threshold)], { timeout: 30_000 });
  const records = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('native-execution-context: event loop'));
  return { ...result, records, lines };
}

function blockedFor(line) {
  return Number(/blocked for (\d+) ms/.exec(line)[1]);
}

test('the request that spins is the one blamed, among 50 awaiting timers, every time', async () => {
  const { code, records, stdout } = await run('blame');
  assert.equal(code, 0, stdout);
  assert.deepEqual(records.map((r) => r.context), [{ requestId: 'r0-7' }, { requestId: 'r1-20' }, { requestId: 'r2-33' }]);
  for (const record of records) {
    assert.equal(record.inContext, true);
    assert.equal(record.label, record.context.requestId, 'the default label is the requestId');
    assert.equal(record.type, typed('PROMISE'), 'the spin runs after an await');
    assert.ok(record.asyncId > 0);
    assert.ok(record.durationMs >= THRESHOLD && record.durationMs < 1500, `duration ${record.durationMs}`);
    assert.ok(record.ageMs >= record.durationMs, 'the context is older than its stall');
  }
});

test('a stall outside every context is reported as such, on stderr and to onStall', async () => {
  const { code, records, lines } = await run('outside');
  assert.equal(code, 0);
  assert.equal(records.length, 2, JSON.stringify(records));
  const [topLevel, timer] = records;
  assert.deepEqual([topLevel.inContext, topLevel.context, topLevel.label, topLevel.asyncId], [false, undefined, undefined, 0]);
  assert.deepEqual([timer.inContext, timer.context, timer.type], [false, undefined, typed('Timeout')]);
  assert.equal(lines.length, 2, lines.join('\n'));
  for (const line of lines) assert.match(line, /outside any context/);
  assert.match(lines[1], new RegExp(`${callback('Timeout')}$`));
});

test('stalls shorter than the threshold are never reported', async () => {
  const { code, records, lines } = await run('short');
  assert.equal(code, 0);
  assert.deepEqual(records, []);
  assert.deepEqual(lines, []);
});

test('an endless loop in a request handler is reported on stderr within twice the threshold, with its label', async () => {
  const child = spawn(process.execPath, [SCENARIO, 'endless', String(THRESHOLD)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let line;
  try {
    line = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stall line; stderr: ${stderr}`)), 20_000);
      child.stderr.setEncoding('utf8').on('data', (chunk) => {
        stderr += chunk;
        const found = stderr.split('\n').find((l) => l.startsWith('native-execution-context: event loop') && l.includes('GET /slow'));
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
  } finally {
    // Also when no line came: the scenario loops forever, and would hold the test run open.
    child.kill('SIGKILL');
  }
  assert.match(line, new RegExp(`in context \\d+ GET /slow req-42, age \\d+ ms ${callback('HTTPINCOMINGMESSAGE')}$`));
  // How long the loop had been blocked when the line was written, by the watchdog's own clock.
  const blocked = blockedFor(line);
  assert.ok(blocked >= THRESHOLD && blocked < 2 * THRESHOLD, line);
});

test('an onStall that throws is reported as a warning; the watchdog goes on', async () => {
  const { code, records, stderr } = await run('throwing');
  assert.equal(code, 0);
  assert.deepEqual(records.map((r) => r.context.requestId), ['first', 'second']);
  assert.match(stderr, /StallWatchdogWarning: native-execution-context: onStall threw: Error: listener bug/);
});

test('a label function that throws or returns a non-string gives a placeholder, never a crash', async () => {
  const { code, records, lines } = await run('badLabels');
  assert.equal(code, 0);
  assert.deepEqual(records.map((r) => r.label), ['<label threw: no label>', '<label not a string: number>']);
  assert.match(lines[0], /in context \d+ <label threw: no label>,/);
  assert.match(lines[1], /in context \d+ <label not a string: number>,/);
});

test('stop() ends the watchdog and its thread; one per thread; a new one after stop', async () => {
  const { code, records, stdout } = await run('stopAndRestart');
  assert.equal(code, 0);
  const states = stdout.split('\n').filter((l) => l.startsWith('{"r')).map((l) => JSON.parse(l));
  assert.match(states[0].refused, /a stall watchdog already runs on this thread; stop it first/);
  assert.equal(states[0].running, 1);
  assert.equal(states[1].running, 0);
  assert.deepEqual(records.filter((r) => r.context).map((r) => r.context.requestId), ['watched']);
});

test('the process exits cleanly during a stall and when its loop empties with the watchdog on', async () => {
  const during = await run('exitDuringStall');
  assert.deepEqual([during.code, during.signal], [0, null]);
  assert.match(during.stdout, /exiting/);
  assert.equal(during.lines.length, 1, during.stderr);
  const natural = await run('naturalExit');
  assert.deepEqual([natural.code, natural.signal], [0, null]);
  assert.match(natural.stdout, /idle\ndone/);
});

test('workers have their own watchdogs; terminated ones, even mid-stall, stop theirs', async () => {
  const { code, stdout } = await run('workers');
  assert.equal(code, 0, stdout);
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(lines.filter((l) => l.workerError), []);
  assert.equal(lines.find((l) => 'running' in l).running, 5, 'the main thread and four workers');
  const stalls = lines.filter((l) => 'thread' in l);
  assert.deepEqual(stalls.map((s) => `${s.thread}:${s.context.requestId}`).sort(), ['1:worker-0', '2:worker-1']);
  assert.equal(lines.find((l) => 'runningAfter' in l).runningAfter, 0);
});

test('the strategy cannot be switched under a running watchdog', () => {
  const { spawnSync } = require('node:child_process');
  const script = `
    const Context = require(${JSON.stringify(path.join(__dirname, '..'))});
    const watch = Context.watchStalls({ thresholdMs: 1000, stderr: false });
    const other = Context.ExecutionContext && require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'engine'))}).engine().strategyName === 'resource' ? 'async-context-frame' : 'resource';
    try { Context.configure({ strategy: other }); console.log('switched'); } catch (error) { console.log(error.message); }
    watch.stop();
  `;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /the strategy can only be chosen before the stall watchdog starts/);
});

test('watchStalls rejects bad options with clear errors', () => {
  assert.throws(() => Context.watchStalls(5), { name: 'TypeError', message: /expects an options object/ });
  assert.throws(() => Context.watchStalls({ threshold: 5 }), { name: 'TypeError', message: /unknown option "threshold"/ });
  assert.throws(() => Context.watchStalls({ thresholdMs: '200' }), { name: 'TypeError', message: /"thresholdMs" must be a number/ });
  assert.throws(() => Context.watchStalls({ thresholdMs: 1 }), { name: 'RangeError', message: /between 10 and/ });
  assert.throws(() => Context.watchStalls({ thresholdMs: Infinity }), { name: 'RangeError' });
  assert.throws(() => Context.watchStalls({ onStall: 'log' }), { name: 'TypeError', message: /"onStall" must be a function/ });
  assert.throws(() => Context.watchStalls({ stderr: 'no' }), { name: 'TypeError', message: /"stderr" must be a boolean/ });
});

test('CLI: monitor --stalls <ms> names the blocking Express request on stderr, with its label', async () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-stalls-'));
  try {
    const script = path.join(dir, 'slow-server.js');
    fs.writeFileSync(
      script,
      `'use strict';
const http = require('node:http');
const express = require(${JSON.stringify(require.resolve('express'))});
const { contextMiddleware } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'express'))});
const app = express();
app.use(contextMiddleware());
app.get('/slow', (req, res) => {
  const end = Date.now() + 600;
  while (Date.now() < end);
  res.end('done');
});
const server = app.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/slow?token=secret', agent: false, headers: { 'x-request-id': 'slow-req-7' } }, (res) => {
    res.resume();
    res.on('end', () => process.exit(0));
  });
});
`,
    );
    const cli = path.join(__dirname, '..', 'bin', 'cli.js');
    const { code, stderr } = await runToEnd(process.execPath, [cli, 'monitor', '--interval', '0', '--stalls', '150', script], { timeout: 30_000 });
    assert.equal(code, 0, stderr);
    const lines = stderr.split('\n').filter((line) => line.startsWith('native-execution-context: event loop'));
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`blocked for \\d+ ms \\(threshold 150 ms\\), in context \\d+ GET /slow slow-req-7, age \\d+ ms ${callback('HTTPINCOMINGMESSAGE')}$`));
    assert.doesNotMatch(stderr, /secret/);

    const bad = await runToEnd(process.execPath, [cli, 'monitor', '--stalls', '5', script], { timeout: 30_000 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--stalls must be at least 10 ms/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
