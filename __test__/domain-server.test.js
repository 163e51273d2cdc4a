'use strict';

// The pattern node:domain's documentation recommends, as shipped in examples/domain-server: an
// HTTP server on loopback where one request's asynchronous error is routed to its request
// domain. That request gets a 500, the other requests in flight finish normally, and the server
// stops accepting new connections so that a supervisor can restart it. Then the cluster version
// end to end: the failed worker is replaced and the service keeps answering.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { once } = require('node:events');
const { spawn } = require('node:child_process');

const { createServer } = require('../examples/domain-server/app');
const domain = require('../lib/domain');

const EXAMPLE_DIR = path.resolve(__dirname, '..', 'examples', 'domain-server');

// One request on a fresh connection (no keep-alive): { status, headers, body } or the error.
function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

async function startServer() {
  const fatal = [];
  const logs = [];
  const requests = [];
  const server = createServer({ onFatal: (error) => fatal.push(error), log: (line) => logs.push(line) });
  server.on('request', (req) => requests.push(req.url));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: server.address().port, fatal, logs, requests };
}

async function until(condition, what) {
  for (let i = 0; i < 500; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the example server answers normal requests', async () => {
  const { server, port, fatal } = await startServer();
  const response = await get(port, '/hello');
  assert.equal(response.status, 200);
  assert.equal(response.body, `hello from ${process.pid}\n`);
  assert.deepEqual(fatal, []);
  server.close();
  await once(server, 'close');
});

test('an async error in one request: that request gets a 500, the one in flight finishes, no new connections', async () => {
  const { server, port, fatal, logs, requests } = await startServer();
  const closed = once(server, 'close');
  const slow = get(port, '/slow?ms=300');
  await until(() => requests.includes('/slow?ms=300'), 'the slow request to be in flight');

  const crash = await get(port, '/crash');
  assert.equal(crash.status, 500);
  assert.match(crash.body, /^Internal Server Error \(request \d+\)\n$/);
  assert.equal(crash.headers.connection, 'close');

  // The server stopped listening: a new connection is refused.
  await assert.rejects(get(port, '/hello'), { code: 'ECONNREFUSED' });

  // The request in flight was not disturbed.
  const slowResponse = await slow;
  assert.equal(slowResponse.status, 200);
  assert.equal(slowResponse.body, 'slow done after 300 ms\n');
  assert.equal(slowResponse.headers.connection, 'close', 'its connection closes after it: the server can drain');

  // The server closes once the requests in flight are done; the supervisor hook ran once.
  await closed;
  assert.equal(fatal.length, 1);
  const [error] = fatal;
  assert.equal(error.code, 'ENOENT');
  assert.ok(error.domain instanceof domain.Domain);
  assert.equal(error.domainThrown, true);

  // The handler ran in the failing request's context: the log line names it.
  const crashId = crash.body.match(/request (\d+)/)[1];
  assert.equal(logs.length, 1);
  assert.match(logs[0], new RegExp(`^\\[request ${crashId}\\] failed: Error: ENOENT`));
});

test('an unhandled \'error\' of a stream created in the request reaches the request domain: 500', async () => {
  const { server, port, fatal } = await startServer();
  const closed = once(server, 'close');
  const response = await get(port, '/stream-error');
  assert.equal(response.status, 500);
  await closed;
  assert.equal(fatal.length, 1);
  assert.equal(fatal[0].message, 'the data source failed');
  assert.equal(fatal[0].domainThrown, false);
  assert.ok(fatal[0].domainEmitter, 'the stream that emitted it');
});

test('two failing requests in flight both get a 500; the server closes once', async () => {
  const { server, port, fatal } = await startServer();
  const closed = once(server, 'close');
  const [first, second] = await Promise.all([get(port, '/crash'), get(port, '/crash')]);
  assert.deepEqual([first.status, second.status], [500, 500]);
  await closed;
  assert.equal(fatal.length, 1);
});

test('cluster example: the worker whose request failed is replaced and the service keeps answering', { timeout: 60_000 }, async () => {
  const env = { ...process.env, PORT: '0', WORKERS: '2', HOST: '127.0.0.1' };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const primary = spawn(process.execPath, [path.join(EXAMPLE_DIR, 'cluster.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  primary.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  primary.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
  const exited = once(primary, 'exit');
  const listening = () => [...stdout.matchAll(/worker (\d+) listening on http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => ({ pid: m[1], port: Number(m[2]) }));
  try {
    await until(() => listening().length >= 2, `two workers listening (stdout: ${stdout})`);
    const { port } = listening()[0];
    const original = new Set(listening().map((worker) => worker.pid));

    const crash = await get(port, '/crash');
    assert.equal(crash.status, 500);
    await until(() => /worker \d+ disconnected; forking a replacement/.test(stdout), 'the failed worker to disconnect');
    await until(() => listening().length >= 3, 'a replacement worker to listen');
    const replacement = listening()[2];
    assert.equal(original.has(replacement.pid), false);
    assert.equal(replacement.port, port, 'the replacement shares the port');

    // The service keeps answering, and the replacement takes its share of the requests.
    const answeredBy = new Set();
    for (let i = 0; i < 20 && !answeredBy.has(replacement.pid); i += 1) {
      const response = await get(port, '/hello');
      assert.equal(response.status, 200);
      answeredBy.add(response.body.match(/hello from (\d+)/)[1]);
    }
    assert.ok(answeredBy.has(replacement.pid), `the replacement answered (answers from ${[...answeredBy]})`);
    assert.match(stderr, /\[request \d+\] failed: Error: ENOENT/);
  } finally {
    primary.kill('SIGTERM');
    await exited;
  }
});
