'use strict';
// native-execution-context/express against a real Express app on loopback.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');

const express = require('express');
const Context = require('..');
const { contextMiddleware } = require('../lib/express');

const { UUID, request, currentId, liveContextsAfterDrain, postLateBodies } = require('./helpers/frameworks');

let server;
let port;
const outside = [];

before(async () => {
  // Node creates process.stderr on first use, even from inside a socket's destroy: make it now,
  // outside every request, so it never counts as a request's resource in the native map.
  void process.stdout;
  void process.stderr;
  const app = express();
  app.use(contextMiddleware());
  app.use(express.json());

  // Several awaits with random delays, so concurrent requests interleave.
  app.get('/echo', async (req, res) => {
    const seen = [currentId()];
    await sleep(Math.floor(Math.random() * 15));
    seen.push(currentId());
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(currentId());
    await Promise.all([sleep(Math.floor(Math.random() * 10)), Promise.resolve()]);
    Context.update({ step: 'done' });
    seen.push(currentId());
    res.json({ seen, context: Context.get() });
  });

  app.post('/body', async (req, res) => {
    await sleep(2);
    res.json({ id: currentId(), body: req.body });
  });

  // Callback style, like an old driver: the context follows timers and callbacks too.
  app.get('/callback', (req, res, next) => {
    setTimeout(() => {
      process.nextTick(() => {
        res.json({ id: currentId() });
      });
    }, 3);
  });

  server = http.createServer(app);
  // Listeners of the server itself run outside the middleware: no request context there, even on
  // a keep-alive connection that already served a request.
  server.on('request', () => outside.push(Context.exists()));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('concurrent requests each see their own header id after every await', async () => {
  const ids = Array.from({ length: 30 }, (_, i) => `req-${i}`);
  const responses = await Promise.all(ids.map((id) => request(port, { path: '/echo', headers: { 'x-request-id': id } })));
  responses.forEach((response, i) => {
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.seen, [ids[i], ids[i], ids[i], ids[i]]);
    assert.deepEqual(response.json.context, { requestId: ids[i], step: 'done' });
  });
});

test('without the header each request gets its own generated UUID', async () => {
  const responses = await Promise.all(Array.from({ length: 10 }, () => request(port, { path: '/echo' })));
  const ids = responses.map((response) => response.json.context.requestId);
  for (const response of responses) {
    const [first, ...rest] = response.json.seen;
    assert.match(first, UUID);
    assert.deepEqual(rest, [first, first, first]);
  }
  assert.equal(new Set(ids).size, ids.length, 'generated ids are distinct');
});

test('an empty or oversized header id is replaced by a generated one', async () => {
  const empty = await request(port, { path: '/echo', headers: { 'x-request-id': '' } });
  assert.match(empty.json.context.requestId, UUID);
  const huge = await request(port, { path: '/echo', headers: { 'x-request-id': 'x'.repeat(201) } });
  assert.match(huge.json.context.requestId, UUID);
  const longest = await request(port, { path: '/echo', headers: { 'x-request-id': 'y'.repeat(200) } });
  assert.equal(longest.json.context.requestId, 'y'.repeat(200));
});

test('the context follows callbacks, timers and a body parsed from chunks that arrive late', async () => {
  const callback = await request(port, { path: '/callback', headers: { 'x-request-id': 'cb-1' } });
  assert.deepEqual(callback.json, { id: 'cb-1' });

  // The body's second half arrives 40 ms after the headers: express.json() finishes reading it
  // in a socket callback, and the route still runs in the request's context.
  const slow = await postLateBodies(port, ['slow-a', 'slow-b']);
  assert.deepEqual(slow.map((response) => response.json), [
    { id: 'slow-a', body: { name: 'slow-a' } },
    { id: 'slow-b', body: { name: 'slow-b' } },
  ]);
});

test('options: header name, generateId(req, res) and context(req, res) fields', async () => {
  const app = express();
  const calls = [];
  app.use(
    contextMiddleware({
      header: 'X-Correlation-Id',
      generateId: (req, res) => {
        calls.push([typeof req.get, typeof res.status]);
        return `gen-${req.query.n}`;
      },
      context: (req) => ({ method: req.method, path: req.path }),
    }),
  );
  app.get('/ctx', async (req, res) => {
    await sleep(1);
    res.json(Context.get());
  });
  const own = http.createServer(app);
  await new Promise((resolve) => own.listen(0, '127.0.0.1', resolve));
  try {
    const { port: ownPort } = own.address();
    const withHeader = await request(ownPort, { path: '/ctx?n=1', headers: { 'x-correlation-id': 'corr-7', 'x-request-id': 'ignored' } });
    assert.deepEqual(withHeader.json, { requestId: 'corr-7', method: 'GET', path: '/ctx' });
    const generated = await request(ownPort, { path: '/ctx?n=2' });
    assert.deepEqual(generated.json, { requestId: 'gen-2', method: 'GET', path: '/ctx' });
    assert.deepEqual(calls, [['function', 'function']], 'generateId is called only when no header id is given');
  } finally {
    own.closeAllConnections();
    await new Promise((resolve) => own.close(resolve));
  }
});

test('a throwing generateId reaches the Express error handler; bad options throw at creation', async () => {
  const app = express();
  app.use(
    contextMiddleware({
      header: false,
      generateId: () => {
        throw new Error('no ids today');
      },
    }),
  );
  app.get('/', (req, res) => res.send('unreachable'));
  app.use((error, req, res, next) => res.status(503).json({ message: error.message, inContext: Context.exists() }));
  const own = http.createServer(app);
  await new Promise((resolve) => own.listen(0, '127.0.0.1', resolve));
  try {
    const response = await request(own.address().port, { headers: { 'x-request-id': 'not-used-when-header-is-false' } });
    assert.equal(response.status, 503);
    assert.deepEqual(response.json, { message: 'no ids today', inContext: false });
  } finally {
    own.closeAllConnections();
    await new Promise((resolve) => own.close(resolve));
  }

  // context() must return fields synchronously: a promise or a string is a TypeError for next().
  for (const [fields, described] of [[Promise.resolve({}), 'a promise'], ['user=ada', 'string']]) {
    const errors = [];
    const middleware = contextMiddleware({ context: () => fields });
    middleware({ headers: {} }, {}, (error) => errors.push(error));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TypeError);
    assert.equal(errors[0].message, `native-execution-context/express: "context" must return a plain object (synchronously) or undefined, got ${described}`);
  }

  assert.throws(() => contextMiddleware({ header: 42 }), { name: 'TypeError', message: /"header" must be a header name or false, got number/ });
  assert.throws(() => contextMiddleware({ generateId: 'uuid' }), { name: 'TypeError', message: /"generateId" must be a function/ });
  assert.throws(() => contextMiddleware({ context: {} }), { name: 'TypeError', message: /"context" must be a function/ });
  assert.throws(() => contextMiddleware(null), { name: 'TypeError', message: /options must be an object, got null/ });
});

test('the context is gone after the response: not on the reused connection, not in the native map', async () => {
  Context.configure({ monitor: true });
  try {
    outside.length = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const responses = [];
    for (const id of ['ka-1', 'ka-2', 'ka-3']) {
      responses.push(await request(port, { path: '/echo', headers: { 'x-request-id': id }, agent }));
    }
    responses.push(await request(port, { path: '/echo', agent }));
    assert.deepEqual(responses.map((response) => response.reusedSocket), [false, true, true, true], 'one keep-alive connection');
    assert.deepEqual(responses.slice(0, 3).map((response) => response.json.context.requestId), ['ka-1', 'ka-2', 'ka-3']);
    assert.match(responses[3].json.context.requestId, UUID, 'the next request on the connection does not inherit an id');
    assert.deepEqual(outside, [false, false, false, false], 'server listeners outside the middleware see no context');
    assert.equal(Context.exists(), false);

    // Once the connection is closed, nothing the requests started is left under their contexts
    // (the http date cache's timer, started by whichever request came first in that second, runs
    // within a second).
    agent.destroy();
    server.closeAllConnections();
    const live = await liveContextsAfterDrain();
    assert.equal(live, 0, `contexts left after the responses: ${JSON.stringify(Context.monitor().entries)}`);
  } finally {
    Context.configure({ monitor: false });
  }
});
