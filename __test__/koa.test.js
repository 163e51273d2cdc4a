'use strict';
// native-execution-context/koa against a real Koa app on loopback.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');

const Koa = require('koa');
const Context = require('..');
const { contextMiddleware } = require('../lib/koa');

const { UUID, request, currentId, liveContextsAfterDrain } = require('./helpers/frameworks');

let server;
let port;
const upstream = [];
const afterNext = [];

function listen(app) {
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function close(s) {
  s.closeAllConnections();
  await new Promise((resolve) => s.close(resolve));
}

before(async () => {
  // Node creates process.stderr on first use, even from inside a socket's destroy: make it now,
  // outside every request, so it never counts as a request's resource in the native map.
  void process.stdout;
  void process.stderr;
  const app = new Koa();
  // Registered before the context middleware: outside the request's context, before and after.
  app.use(async (ctx, next) => {
    upstream.push(['before', Context.exists()]);
    await next();
    upstream.push(['after', Context.exists()]);
  });
  app.use(contextMiddleware());
  // Downstream: the same context before and after `await next()`.
  app.use(async (ctx, next) => {
    const before = currentId();
    await next();
    await sleep(Math.floor(Math.random() * 5));
    afterNext.push([before, currentId()]);
    ctx.set('x-seen-after-next', String(currentId()));
  });
  app.use(async (ctx) => {
    if (ctx.path === '/body') {
      let raw = '';
      for await (const chunk of ctx.req) raw += chunk;
      await sleep(1);
      ctx.body = { id: currentId(), body: JSON.parse(raw) };
      return;
    }
    const seen = [currentId()];
    await sleep(Math.floor(Math.random() * 15));
    seen.push(currentId());
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 5)));
    seen.push(currentId());
    Context.update({ step: 'done' });
    ctx.body = { seen, context: Context.get() };
  });
  server = await listen(app);
  port = server.address().port;
});

after(() => close(server));

test('concurrent requests each see their own header id after awaits, downstream and after await next()', async () => {
  afterNext.length = 0;
  const ids = Array.from({ length: 30 }, (_, i) => `koa-${i}`);
  const responses = await Promise.all(
    ids.map((id) =>
      request(port, { headers: { 'x-request-id': id } }).then((response) => ({ ...response, id })),
    ),
  );
  for (const response of responses) {
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.seen, [response.id, response.id, response.id]);
    assert.deepEqual(response.json.context, { requestId: response.id, step: 'done' });
  }
  assert.equal(afterNext.length, ids.length);
  for (const [before, after] of afterNext) assert.equal(after, before);
  assert.deepEqual(afterNext.map(([before]) => before).sort(), [...ids].sort());
});

test('without the header each request gets its own generated UUID', async () => {
  const responses = await Promise.all(Array.from({ length: 10 }, () => request(port)));
  const ids = responses.map((response) => response.json.context.requestId);
  for (const response of responses) {
    assert.match(response.json.seen[0], UUID);
    assert.deepEqual(response.json.seen, [response.json.seen[0], response.json.seen[0], response.json.seen[0]]);
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('a request body read with for await keeps the context', async () => {
  const responses = await Promise.all(
    ['b-1', 'b-2', 'b-3'].map((id) =>
      request(port, { path: '/body', method: 'POST', headers: { 'x-request-id': id }, body: JSON.stringify({ id }) }),
    ),
  );
  assert.deepEqual(responses.map((response) => response.json), [
    { id: 'b-1', body: { id: 'b-1' } },
    { id: 'b-2', body: { id: 'b-2' } },
    { id: 'b-3', body: { id: 'b-3' } },
  ]);
});

test('options: header, generateId(ctx) and context(ctx) fields; a throwing option is a Koa error', async () => {
  const app = new Koa();
  const argCounts = [];
  app.use(
    contextMiddleware({
      header: 'x-trace',
      generateId: (...args) => {
        const [ctx] = args;
        argCounts.push(args.length);
        if (ctx.query.fail) throw new Error('id service down');
        return `koa-gen-${ctx.query.n}`;
      },
      context: (ctx) => ({ path: ctx.path }),
    }),
  );
  app.use(async (ctx) => {
    await sleep(1);
    ctx.body = Context.get();
  });
  const errors = [];
  app.on('error', (error) => errors.push(error.message));
  const own = await listen(app);
  try {
    const ownPort = own.address().port;
    assert.deepEqual((await request(ownPort, { path: '/a', headers: { 'x-trace': 't-1' } })).json, { requestId: 't-1', path: '/a' });
    assert.deepEqual((await request(ownPort, { path: '/b?n=5' })).json, { requestId: 'koa-gen-5', path: '/b' });
    const failed = await request(ownPort, { path: '/c?fail=1' });
    assert.equal(failed.status, 500);
    assert.deepEqual(errors, ['id service down']);
    assert.deepEqual(argCounts, [1, 1], 'generateId gets Koa\'s one argument alone');
  } finally {
    await close(own);
  }
  assert.throws(() => contextMiddleware({ header: '' }), { name: 'TypeError', message: /^native-execution-context\/koa: "header"/ });
});

test('the context is gone after the response: upstream middleware, the reused connection and the native map', async () => {
  Context.configure({ monitor: true });
  try {
    upstream.length = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const responses = [];
    for (const id of ['ka-1', 'ka-2', undefined]) {
      responses.push(await request(port, { headers: id === undefined ? {} : { 'x-request-id': id }, agent }));
    }
    assert.deepEqual(responses.map((response) => response.reusedSocket), [false, true, true]);
    assert.deepEqual(responses.slice(0, 2).map((response) => response.json.context.requestId), ['ka-1', 'ka-2']);
    assert.match(responses[2].json.context.requestId, UUID);
    assert.deepEqual(upstream, [
      ['before', false],
      ['after', false],
      ['before', false],
      ['after', false],
      ['before', false],
      ['after', false],
    ]);
    assert.equal(Context.exists(), false);

    agent.destroy();
    server.closeAllConnections();
    const live = await liveContextsAfterDrain();
    assert.equal(live, 0, `contexts left after the responses: ${JSON.stringify(Context.monitor().entries)}`);
  } finally {
    Context.configure({ monitor: false });
  }
});
