'use strict';
// native-execution-context/monitor: formatMonitor on synthetic and real reports, and the
// `native-execution-context monitor <script>` CLI on a script that leaves a request stuck.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { formatMonitor, formatDuration } = require('../lib/monitor');
const { runToEnd } = require('./helpers/child');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'cli.js');
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function syntheticReport() {
  const child = (asyncId, type, ago) => ({ asyncId, type, created: NOW - ago, duration: -1 });
  return {
    size: 12,
    contexts: 4,
    byType: {},
    oldest: null,
    // Deliberately not in age order.
    entries: [
      { asyncId: 95, created: NOW - 150, duration: -1, contextSize: 20, running: true, children: [child(101, 'PROMISE', 120), child(100, 'Timeout', 140)] },
      {
        asyncId: 48,
        created: NOW - 9000,
        duration: -1,
        contextSize: 31,
        running: false,
        children: [child(60, 'PROMISE', 8900), child(70, 'TCPWRAP', 4000), child(50, 'PROMISE', 9000)],
      },
      { asyncId: 7, created: NOW - 3723000, duration: -1, contextSize: -1, running: false, children: [] },
      {
        asyncId: 8,
        created: NOW - 185000,
        duration: -1,
        contextSize: 12345,
        running: false,
        children: Array.from({ length: 7 }, (_, i) => child(200 + i, 'Immediate', 1000 * (i + 1))),
      },
    ],
  };
}

test('formatMonitor prints contexts oldest first, resources grouped by type with ages, old ones flagged stuck?', () => {
  assert.equal(
    formatMonitor(syntheticReport(), { now: NOW }),
    [
      'native-execution-context monitor 2026-01-02T03:04:05.000Z: 4 live contexts (3 stuck?), 12 live resources (Immediate 7, PROMISE 3, TCPWRAP 1, Timeout 1)',
      '├─ context 1 (async id 7): age 1h02m, size ? (not serialisable), waiting  <- stuck?',
      '│  └─ no live resources',
      '├─ context 2 (async id 8): age 3m05s, size 12.3k, waiting  <- stuck?',
      '│  └─ Immediate ×7: 7.0s, 6.0s, 5.0s, 4.0s, 3.0s, … 2 more',
      '├─ context 3 (async id 48): age 9.0s, size 31, waiting  <- stuck?',
      '│  ├─ PROMISE ×2: 9.0s, 8.9s',
      '│  └─ TCPWRAP ×1: 4.0s',
      '└─ context 4 (async id 95): age 150ms, size 20, running',
      '   ├─ Timeout ×1: 140ms',
      '   └─ PROMISE ×1: 120ms',
    ].join('\n'),
  );
});

test('formatMonitor options: stuckAfter, maxContexts, maxAges, title; an empty report', () => {
  assert.equal(
    formatMonitor(syntheticReport(), { now: NOW, stuckAfter: 60_000, maxContexts: 2, maxAges: 2, title: 'my app' }),
    [
      'my app 2026-01-02T03:04:05.000Z: 4 live contexts (2 stuck?), 12 live resources (Immediate 7, PROMISE 3, TCPWRAP 1, Timeout 1)',
      '├─ context 1 (async id 7): age 1h02m, size ? (not serialisable), waiting  <- stuck?',
      '│  └─ no live resources',
      '├─ context 2 (async id 8): age 3m05s, size 12.3k, waiting  <- stuck?',
      '│  └─ Immediate ×7: 7.0s, 6.0s, … 5 more',
      '└─ … and 2 more contexts',
    ].join('\n'),
  );
  assert.equal(
    formatMonitor({ size: 0, contexts: 0, byType: {}, oldest: null, entries: [] }, { now: NOW }),
    'native-execution-context monitor 2026-01-02T03:04:05.000Z: no live contexts',
  );
});

test('without `now`, ages are the durations the report was taken with', () => {
  const report = {
    size: 1,
    contexts: 1,
    byType: { PROMISE: 1 },
    oldest: null,
    entries: [{ asyncId: 3, created: 0, duration: 6500, contextSize: 2, running: false, children: [{ asyncId: 4, type: 'PROMISE', created: 0, duration: 6400 }] }],
  };
  const lines = formatMonitor(report).split('\n');
  assert.match(lines[0], /^native-execution-context monitor \d{4}-\d\d-\d\dT[\d:.]+Z: 1 live context \(1 stuck\?\), 1 live resource \(PROMISE 1\)$/);
  assert.deepEqual(lines.slice(1), ['└─ context 1 (async id 3): age 6.5s, size 2, waiting  <- stuck?', '   └─ PROMISE ×1: 6.4s']);
});

test('formatMonitor shows each entry\'s label after its async id; control characters as spaces, long labels cut at maxLabel', () => {
  const entry = (asyncId, ago, label) => ({ asyncId, created: NOW - ago, duration: -1, contextSize: 2, running: false, children: [], ...(label === undefined ? {} : { label }) });
  const report = {
    size: 4,
    contexts: 4,
    byType: {},
    oldest: null,
    entries: [entry(1, 9000, 'GET /users 7f3a'), entry(2, 800, 'line\nbreak\tand\u2028more'), entry(3, 700, 'x'.repeat(200)), entry(4, 600), entry(5, 500, ' \n ')],
  };
  assert.equal(
    formatMonitor(report, { now: NOW, maxLabel: 12 }),
    [
      'native-execution-context monitor 2026-01-02T03:04:05.000Z: 5 live contexts (1 stuck?), 0 live resources',
      '├─ context 1 (async id 1) GET /users…: age 9.0s, size 2, waiting  <- stuck?',
      '│  └─ no live resources',
      '├─ context 2 (async id 2) line break…: age 800ms, size 2, waiting',
      '│  └─ no live resources',
      '├─ context 3 (async id 3) xxxxxxxxxxx…: age 700ms, size 2, waiting',
      '│  └─ no live resources',
      '├─ context 4 (async id 4): age 600ms, size 2, waiting',
      '│  └─ no live resources',
      '└─ context 5 (async id 5): age 500ms, size 2, waiting',
      '   └─ no live resources',
    ].join('\n'),
  );
  const lines = formatMonitor(report, { now: NOW }).split('\n');
  assert.equal(lines[1], '├─ context 1 (async id 1) GET /users 7f3a: age 9.0s, size 2, waiting  <- stuck?');
  assert.equal(lines[3], '├─ context 2 (async id 2) line break and more: age 800ms, size 2, waiting');
  assert.equal(lines[5], `├─ context 3 (async id 3) ${'x'.repeat(119)}…: age 700ms, size 2, waiting`, 'maxLabel defaults to 120');
  assert.throws(() => formatMonitor(report, { maxLabel: 'short' }), { name: 'TypeError', message: /"maxLabel" must be a non-negative number/ });
});

// An all-threads report (monitor({ threads: 'all' })) of the main thread and two workers.
function threadsReport() {
  const entry = (threadId, asyncId, ago, extra) => ({ threadId, asyncId, created: NOW - ago, duration: -1, contextSize: 9, running: false, children: [], ...extra });
  const promise = (asyncId, ago) => ({ asyncId, type: 'PROMISE', created: NOW - ago, duration: -1 });
  const threads = [
    { threadId: 0, size: 3, contexts: 2, byType: {}, oldest: null, entries: [entry(0, 4, 700, { label: 'GET /a', children: [promise(9, 600)] }), entry(0, 5, 6000, { label: 'GET /b' })] },
    // Worker 3's second context: not yet published by its thread (no label, no size).
    { threadId: 3, size: 3, contexts: 2, byType: {}, oldest: null, entries: [entry(3, 2, 300, { label: 'job 17', children: [promise(8, 250)] }), { threadId: 3, asyncId: 6, created: NOW - 100, duration: -1, running: true, children: [] }] },
    { threadId: 5, size: 0, contexts: 0, byType: {}, oldest: null, entries: [] },
  ];
  return { size: 6, contexts: 4, byType: {}, oldest: null, entries: threads.flatMap((thread) => thread.entries), threads };
}

test('formatMonitor groups an all-threads report by thread, numbering contexts across the report', () => {
  assert.equal(
    formatMonitor(threadsReport(), { now: NOW }),
    [
      'native-execution-context monitor 2026-01-02T03:04:05.000Z: 3 threads, 4 live contexts (1 stuck?), 2 live resources (PROMISE 2)',
      '├─ thread 0 (main): 2 live contexts (1 stuck?), 1 live resource (PROMISE 1)',
      '│  ├─ context 1 (async id 5) GET /b: age 6.0s, size 9, waiting  <- stuck?',
      '│  │  └─ no live resources',
      '│  └─ context 2 (async id 4) GET /a: age 700ms, size 9, waiting',
      '│     └─ PROMISE ×1: 600ms',
      '├─ thread 3 (worker): 2 live contexts, 1 live resource (PROMISE 1)',
      '│  ├─ context 3 (async id 2) job 17: age 300ms, size 9, waiting',
      '│  │  └─ PROMISE ×1: 250ms',
      '│  └─ context 4 (async id 6): age 100ms, size ?, running',
      '│     └─ no live resources',
      '└─ thread 5 (worker): no live contexts',
    ].join('\n'),
  );
  // maxContexts applies per thread.
  const lines = formatMonitor(threadsReport(), { now: NOW, maxContexts: 1 }).split('\n');
  assert.deepEqual(lines.filter((line) => /… and/.test(line)), ['│  └─ … and 1 more context', '│  └─ … and 1 more context']);
  assert.match(lines.join('\n'), /context 2 \(async id 2\) job 17/);
});

test('an all-threads report of a single thread reads as that thread\'s report; a bad threads field is a TypeError', () => {
  const single = syntheticReport();
  const [only] = threadsReport().threads;
  const alone = { ...only, threads: [only] };
  assert.equal(formatMonitor(alone, { now: NOW }), formatMonitor({ ...only }, { now: NOW }));
  assert.doesNotMatch(formatMonitor(alone, { now: NOW }), /thread/);
  assert.throws(() => formatMonitor({ ...single, threads: {} }), { name: 'TypeError', message: /"threads" must be the array monitor\(\{ threads: 'all' \}\) returns, got/ });
});

test('formatDuration boundaries, and bad input is rejected with a TypeError', () => {
  assert.deepEqual([0, 999, 1000, 1049, 59_999, 60_000, 61_000, 3_599_999, 3_600_000, 7_260_000, -5].map(formatDuration), [
    '0ms',
    '999ms',
    '1.0s',
    '1.0s',
    '59.9s',
    '1m00s',
    '1m01s',
    '59m59s',
    '1h00m',
    '2h01m',
    '0ms',
  ]);
  assert.throws(() => formatMonitor(undefined), { name: 'TypeError', message: /expects the report returned by monitor\(\), got undefined/ });
  assert.throws(() => formatMonitor({ entries: 'no' }), TypeError);
  assert.throws(() => formatMonitor(syntheticReport(), { stuckAfter: -1 }), { name: 'TypeError', message: /"stuckAfter" must be a non-negative number/ });
});

test('formatMonitor on a real report of a monitored instance', async () => {
  const Context = require('..');
  const instance = new Context.ExecutionContext();
  instance.configure({ monitor: true });
  let release;
  const done = instance.run(async () => {
    await new Promise((resolve) => {
      release = resolve;
    });
  }, { requestId: 'real' });
  const lines = formatMonitor(instance.monitor(), { stuckAfter: 0 }).split('\n');
  assert.match(lines[0], /: 1 live context \(1 stuck\?\), \d+ live resources? \(PROMISE \d+\)$/);
  // Its label: the default, the context's requestId.
  assert.match(lines[1], /^└─ context 1 \(async id \d+\) real: age \d+ms, size 20, waiting {2}<- stuck\?$/);
  assert.match(lines[2], /^ {3}└─ PROMISE ×\d+: \d+ms/);
  release();
  await done;
  instance.configure({ monitor: false });
});

// Runs the CLI; resolves with its exit code, signal, stdout and stderr.
function runCli(args, { timeout = 15_000 } = {}) {
  return runToEnd(process.execPath, [CLI, ...args], { timeout });
}

// An HTTP server whose /stuck request waits on a queue nobody drains, and a /quick one that
// answers. The script asks for both, then exits with code 7 after `lifetime` ms.
function stuckScript(dir, lifetime) {
  const file = path.join(dir, 'stuck-server.js');
  fs.writeFileSync(
    file,
    `'use strict';
const http = require('node:http');
const Context = require(${JSON.stringify(ROOT)});
const waiting = [];
const server = http.createServer((req, res) => {
  Context.run(async () => {
    if (req.url === '/stuck') await new Promise((resolve) => waiting.push(resolve));
    await new Promise((resolve) => setTimeout(resolve, 2));
    res.sendDate = false; // no date-cache timer started under this request
    res.end(Context.get().requestId);
  }, { requestId: req.url === '/stuck' ? 'the-stuck-one-with-a-long-id' : 'quick' });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const get = (path, onBody) =>
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk)).on('end', () => onBody && onBody(body));
    }).on('error', () => {});
  get('/stuck');
  get('/quick', (body) => console.log('quick answered: ' + body));
  console.log('script args: ' + process.argv.slice(2).join(' '));
  setTimeout(() => process.exit(7), ${lifetime});
});
`,
  );
  return file;
}

test('CLI: monitor <script> reports every interval and at exit, flags the stuck request, exits like the script', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-cli-'));
  try {
    const script = stuckScript(dir, 900);
    const { code, signal, stdout, stderr } = await runCli(['monitor', '--interval', '200', '--stuck=400', script, 'one', '--two']);
    assert.equal(signal, null);
    assert.equal(code, 7, `exit code of the script; stderr:\n${stderr}`);
    assert.match(stdout, /^script args: one --two$/m, 'arguments after the script reach it');
    assert.match(stdout, /^quick answered: quick$/m);

    const reports = stderr.split(/^(?=native-execution-context monitor \()/m).filter((text) => text.trim() !== '');
    const periodic = reports.filter((text) => text.startsWith('native-execution-context monitor (every 200ms)'));
    const atExit = reports.filter((text) => text.startsWith('native-execution-context monitor (at exit)'));
    assert.ok(periodic.length >= 2, `at least two periodic reports in:\n${stderr}`);
    assert.equal(atExit.length, 1, `one report at exit in:\n${stderr}`);
    assert.equal(reports.length, periodic.length + atExit.length, `only reports on stderr:\n${stderr}`);

    // At exit only the stuck request is alive (the quick one answered and left the map), older
    // than --stuck, waiting on promises. Its context is {"requestId":"the-stuck-one-with-a-long-id"},
    // and its label (the default) that requestId.
    const size = JSON.stringify({ requestId: 'the-stuck-one-with-a-long-id' }).length;
    const final = atExit[0].trimEnd().split('\n');
    assert.match(final[0], /: 1 live context \(1 stuck\?\), \d+ live resources? \(PROMISE \d+\)$/, final[0]);
    assert.match(final[1], new RegExp(`^└─ context 1 \\(async id \\d+\\) the-stuck-one-with-a-long-id: age \\d+ms, size ${size}, waiting {2}<- stuck\\?$`), final[1]);
    const age = Number(/age (\d+)ms/.exec(final[1])[1]);
    assert.ok(age >= 800 && age < 5000, `the stuck request is as old as the script (${age} ms)`);
    assert.match(final[2], /^ {3}└─ PROMISE ×\d+: \d+ms/);
    assert.equal(final.length, 3);
    // Before it crossed --stuck it was not flagged.
    assert.doesNotMatch(periodic[0], /stuck\?/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: a stuck request of the /express middleware is labelled <METHOD> <path> <requestId>', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-cli-'));
  try {
    const script = path.join(dir, 'express-server.js');
    fs.writeFileSync(
      script,
      `'use strict';
const http = require('node:http');
const express = require(${JSON.stringify(require.resolve('express'))});
const { contextMiddleware } = require(${JSON.stringify(path.join(ROOT, 'lib', 'express'))});
const app = express();
app.use(contextMiddleware());
const pending = []; // a queue nobody drains
app.get('/orders/:id', async (req, res) => {
  await new Promise((resolve) => pending.push(resolve)); // waits on something that never comes
});
const server = app.listen(0, '127.0.0.1', () => {
  http.get({ host: '127.0.0.1', port: server.address().port, path: '/orders/42?token=secret', agent: false, headers: { 'x-request-id': 'order-req-1' } }).on('error', () => {});
  setTimeout(() => process.exit(0), 500);
});
`,
    );
    const { code, stderr } = await runCli(['monitor', '--interval', '0', '--stuck', '200', script]);
    assert.equal(code, 0, stderr);
    const report = stderr.split(/^(?=native-execution-context monitor \()/m).filter((text) => text.startsWith('native-execution-context monitor (at exit)'));
    assert.equal(report.length, 1, stderr);
    // The request's path without its query string, then its id.
    assert.match(report[0], /^└─ context 1 \(async id \d+\) GET \/orders\/42 order-req-1: age \d+ms, size \d+, waiting {2}<- stuck\?$/m, report[0]);
    assert.doesNotMatch(stderr, /secret/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: reports from the main thread list a worker that turned monitoring on, with its labels', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-cli-'));
  try {
    const script = path.join(dir, 'with-worker.js');
    fs.writeFileSync(
      script,
      `'use strict';
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const Context = require(${JSON.stringify(ROOT)});
const pending = []; // a queue nobody drains
if (isMainThread) {
  Context.run(async () => { await new Promise((resolve) => pending.push(resolve)); }, { requestId: 'main-request' });
  const worker = new Worker(__filename);
  worker.once('message', () => setTimeout(() => process.exit(0), 2500));
} else {
  Context.configure({ monitor: { label: (context) => 'job ' + context.job } });
  Context.run(async () => { await new Promise((resolve) => pending.push(resolve)); }, { job: 17 });
  parentPort.on('message', () => {}); // stays alive until the process exits
  parentPort.postMessage('ready');
}
`,
    );
    const { code, stderr } = await runCli(['monitor', '--interval', '300', script]);
    assert.equal(code, 0, stderr);
    const report = stderr.split(/^(?=native-execution-context monitor \()/m).filter((text) => text.startsWith('native-execution-context monitor (at exit)'));
    assert.equal(report.length, 1, stderr);
    const lines = report[0].trimEnd().split('\n');
    assert.match(lines[0], /: 2 threads, 2 live contexts, \d+ live resources/, report[0]);
    assert.match(lines[1], /^├─ thread 0 \(main\): 1 live context/, report[0]);
    assert.match(lines[2], /^│  └─ context 1 \(async id \d+\) main-request: age/, report[0]);
    assert.match(lines[4], /^└─ thread [1-9]\d* \(worker\): 1 live context/, report[0]);
    assert.match(lines[5], /^ {3}└─ context 2 \(async id \d+\) job 17: age \d+(ms|\.\ds), size 10, waiting$/, report[0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: Ctrl-C (SIGINT) on a script without its own handler prints a last report and ends by the signal', { skip: process.platform === 'win32' && 'POSIX signals' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-cli-'));
  try {
    const script = path.join(dir, 'forever.js');
    fs.writeFileSync(
      script,
      `const Context = require(${JSON.stringify(ROOT)});
Context.run(() => setInterval(() => {}, 1000), { job: 'forever' });
setTimeout(() => process.kill(process.pid, 'SIGINT'), 300);
`,
    );
    const { code, signal, stderr } = await runCli(['monitor', '--interval', '0', script]);
    assert.equal(code, null);
    assert.equal(signal, 'SIGINT');
    const reports = stderr.split(/^(?=native-execution-context monitor \()/m).filter((text) => text.trim() !== '');
    assert.equal(reports.length, 1, `--interval 0: one report, on the signal:\n${stderr}`);
    assert.match(reports[0], /^native-execution-context monitor \(SIGINT\) .*: 1 live context, 1 live resource \(Timeout 1\)\n/);
    assert.match(reports[0], /^ {3}└─ Timeout ×1: \d+ms$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: usage errors exit with 2 and say what is wrong; --help exits with 0', async () => {
  const missing = await runCli(['monitor']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^native-execution-context: missing <script>\n\nUsage: native-execution-context monitor/);
  const badInterval = await runCli(['monitor', '--interval', 'soon', 'x.js']);
  assert.equal(badInterval.code, 2);
  assert.match(badInterval.stderr, /--interval must be a number of milliseconds >= 0, got "soon"/);
  const unknown = await runCli(['watch', 'x.js']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "watch"/);
  const unknownOption = await runCli(['monitor', '--every', '5', 'x.js']);
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.stderr, /unknown option --every/);
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--interval <ms>/);
  assert.match(help.stdout, /--stuck <ms>/);
});
