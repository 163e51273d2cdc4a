'use strict';
// The default monitor label of a context made by the /express, /koa and /fastify middleware:
// `<METHOD> <path> <requestId>`, read from the request line the middleware keeps on the context
// in a private field that JSON, Reflect.ownKeys, spreads and deep equality do not see. Real
// requests on loopback, reported while their handler waits.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const express = require('express');
const Koa = require('koa');
const Fastify = require('fastify');
const Context = require('..');
const { contextMiddleware: expressContext } = require('../lib/express');
const { contextMiddleware: koaContext } = require('../lib/koa');
const { contextPlugin } = require('../lib/fastify');

const { request } = require('./helpers/frameworks');

// Requests that wait in their handler until the test lets them go: arrived(id) resolves when the
// request `id` is in its handler, release(id) lets it answer.
const waiting = new Map();
function gate(id) {
  let entry = waiting.get(id);
  if (entry === undefined) {
    entry = {};
    entry.arrived = new Promise((resolve) => (entry.arrive = resolve));
    entry.released = new Promise((resolve) => (entry.release = resolve));
    waiting.set(id, entry);
  }
  return entry;
}
async function handle(id, mutate) {
  if (mutate !== undefined) mutate();
  const entry = gate(id);
  entry.arrive();
  await entry.released;
  return Context.get();
}

// Sends a request, waits until its handler waits, returns the labels of the report taken then and
// the context the handler answered with.
async function labelsWhileWaiting(port, path, id, method = 'GET') {
  const response = request(port, { path, method, headers: { 'x-request-id': id } });
  await gate(id).arrived;
  const labels = Context.monitor().entries.map((entry) => entry.label);
  gate(id).release();
  const { status, json } = await response;
  assert.equal(status, 200);
  return { labels, context: json };
}

const servers = [];
const ports = {};

before(async () => {
  void process.stdout;
  void process.stderr;
  Context.configure({ monitor: true });

  const expressApp = express();
  expressApp.use('/api', expressContext());
  expressApp.all('/api/orders/:id', async (req, res) => {
    const mutate = {
      set: () => Context.set({ requestId: 'replaced' }),
      update: () => Context.update({ requestId: 5 }),
    }[req.query.mutate];
    const context = await handle(req.get('x-request-id'), mutate);
    res.json({ context, keys: Object.keys(context), ownKeys: Reflect.ownKeys(context).map(String), spread: Object.getOwnPropertySymbols({ ...context }).length, assigned: Object.getOwnPropertySymbols(Object.assign({}, context)).length, deep: deepEqualsPlain(context) });
  });
  servers.push(await new Promise((resolve) => {
    const server = expressApp.listen(0, '127.0.0.1', () => resolve(server));
  }));
  ports.express = servers[0].address().port;

  const koaApp = new Koa();
  koaApp.use(koaContext());
  koaApp.use(async (ctx) => {
    ctx.body = { context: await handle(ctx.get('x-request-id')) };
  });
  servers.push(await new Promise((resolve) => {
    const server = koaApp.listen(0, '127.0.0.1', () => resolve(server));
  }));
  ports.koa = servers[1].address().port;

  const fastifyApp = Fastify();
  await fastifyApp.register(contextPlugin);
  fastifyApp.route({
    method: ['GET', 'DELETE'],
    url: '/items/:id',
    handler: async (req) => ({ context: await handle(req.headers['x-request-id']) }),
  });
  await fastifyApp.listen({ port: 0, host: '127.0.0.1' });
  ports.fastify = fastifyApp.server.address().port;
  servers.push({ close: (done) => fastifyApp.close().then(() => done()), closeAllConnections: () => {} });
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  Context.configure({ monitor: false });
});

// The middleware's context, as the handler sees it, compared with a plain object of its fields.
function deepEqualsPlain(context) {
  try {
    assert.deepStrictEqual(context, { ...context });
    return true;
  } catch {
    return false;
  }
}

test('express: GET <full path without the query> <requestId>, also mounted under a prefix', async () => {
  const { labels, context } = await labelsWhileWaiting(ports.express, '/api/orders/42?token=secret', 'ex-1');
  assert.deepEqual(labels, ['GET /api/orders/42 ex-1']);
  assert.deepEqual(context.context, { requestId: 'ex-1' }, 'JSON does not see the request line');
  assert.deepEqual(context.keys, ['requestId'], 'Object.keys does not see it');
  assert.deepEqual(context.ownKeys, ['requestId'], 'Reflect.ownKeys does not see it');
  assert.equal(context.spread, 0, 'a spread does not copy it');
  assert.equal(context.assigned, 0, 'Object.assign does not copy it');
  assert.equal(context.deep, true, 'deepStrictEqual with a plain copy holds');
  const post = await labelsWhileWaiting(ports.express, '/api/orders/7', 'ex-2', 'POST');
  assert.deepEqual(post.labels, ['POST /api/orders/7 ex-2']);
});

test('express: a context replaced with set() has only its requestId; a non-string requestId drops the id', async () => {
  assert.deepEqual((await labelsWhileWaiting(ports.express, '/api/orders/1?mutate=set', 'ex-3')).labels, ['replaced']);
  assert.deepEqual((await labelsWhileWaiting(ports.express, '/api/orders/1?mutate=update', 'ex-4')).labels, ['GET /api/orders/1']);
});

test('koa: GET <path without the query> <requestId>', async () => {
  const { labels, context } = await labelsWhileWaiting(ports.koa, '/reports/monthly?year=2026', 'koa-1');
  assert.deepEqual(labels, ['GET /reports/monthly koa-1']);
  assert.deepEqual(context.context, { requestId: 'koa-1' });
});

test('fastify: <METHOD> <path without the query> <requestId>', async () => {
  const { labels, context } = await labelsWhileWaiting(ports.fastify, '/items/9?verbose=1', 'fa-1');
  assert.deepEqual(labels, ['GET /items/9 fa-1']);
  assert.deepEqual(context.context, { requestId: 'fa-1' });
  assert.deepEqual((await labelsWhileWaiting(ports.fastify, '/items/10', 'fa-2', 'DELETE')).labels, ['DELETE /items/10 fa-2']);
});

test('a configured label function replaces the default and gets the middleware\'s context', async () => {
  Context.configure({ monitor: { label: (context) => `request ${context.requestId}` } });
  try {
    assert.deepEqual((await labelsWhileWaiting(ports.koa, '/x', 'koa-2')).labels, ['request koa-2']);
  } finally {
    Context.configure({ monitor: true });
  }
});

test('a request line written by one copy of the package is read by another copy loaded beside it', () => {
  const file = require.resolve('../lib/shared/request-label');
  const first = require(file);
  const firstModule = require.cache[file];
  delete require.cache[file];
  let second;
  try {
    second = require(file);
  } finally {
    require.cache[file] = firstModule;
  }
  assert.notEqual(first, second, 'two module instances');
  const context = first.attachRequestLine({ requestId: 'r-9' }, 'PUT', '/carts/3?x=1');
  assert.equal(second.defaultLabel(context), 'PUT /carts/3 r-9');
  // Written twice (the same object through both copies): the last line wins, no throw.
  second.attachRequestLine(context, 'GET', '/carts/4');
  assert.equal(first.defaultLabel(context), 'GET /carts/4 r-9');
  assert.equal(first.defaultLabel({ requestId: 'plain' }), 'plain');
});
