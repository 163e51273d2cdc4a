'use strict';
// native-execution-context/fastify against a real Fastify app on loopback.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');

const Fastify = require('fastify');
const Context = require('..');
const { contextPlugin } = require('../lib/fastify');

const { UUID, request, currentId, liveContextsAfterDrain, postLateBodies } = require('./helpers/frameworks');

let app;
let port;
const hooks = [];
const outside = [];

before(async () => {
  // Node creates process.stderr on first use, even from inside a socket's destroy: make it now,
  // outside every request, so it never counts as a request's resource in the native map.
  void process.stdout;
  void process.stderr;
  app = Fastify();
  await app.register(contextPlugin);
  // Hooks of every kind, callback and async, registered after the plugin.
  app.addHook('onRequest', (request, reply, done) => {
    hooks.push(['onRequest', currentId()]);
    done();
  });
  app.addHook('preParsing', async () => {
    hooks.push(['preParsing', currentId()]);
  });
  app.addHook('preHandler', async () => {
    await sleep(1);
    hooks.push(['preHandler', currentId()]);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    hooks.push(['onSend', currentId()]);
    return payload;
  });

  app.get('/echo', async () => {
    const seen = [currentId()];
    await sleep(Math.floor(Math.random() * 15));
    seen.push(currentId());
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(currentId());
    Context.update({ step: 'done' });
    return { seen, context: Context.get() };
  });
  app.post('/body', async (request) => {
    await sleep(1);
    return { id: currentId(), body: request.body };
  });
  app.get('/callback', (request, reply) => {
    setTimeout(() => reply.send({ id: currentId() }), 2);
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  port = app.server.address().port;
  app.server.on('request', () => outside.push(Context.exists()));
});

after(() => app.close());

test('concurrent requests each see their own header id in hooks and route handlers, after awaits', async () => {
  hooks.length = 0;
  const ids = Array.from({ length: 30 }, (_, i) => `fy-${i}`);
  const responses = await Promise.all(ids.map((id) => request(port, { path: '/echo', headers: { 'x-request-id': id } })));
  responses.forEach((response, i) => {
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.seen, [ids[i], ids[i], ids[i]]);
    assert.deepEqual(response.json.context, { requestId: ids[i], step: 'done' });
  });
  for (const name of ['onRequest', 'preParsing', 'preHandler', 'onSend']) {
    const seen = hooks.filter(([hook]) => hook === name).map(([, id]) => id);
    assert.deepEqual(seen.sort(), [...ids].sort(), `${name} hooks see each request's own id`);
  }
});

test('without the header each request gets its own generated UUID', async () => {
  const responses = await Promise.all(Array.from({ length: 10 }, () => request(port, { path: '/echo' })));
  const ids = responses.map((response) => response.json.context.requestId);
  for (const response of responses) {
    assert.match(response.json.seen[0], UUID);
    assert.deepEqual(response.json.seen, [response.json.seen[0], response.json.seen[0], response.json.seen[0]]);
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('the context reaches handlers after a body that arrives late and callback-style replies', async () => {
  const responses = await postLateBodies(port, ['late-a', 'late-b']);
  assert.deepEqual(responses.map((response) => response.json), [
    { id: 'late-a', body: { name: 'late-a' } },
    { id: 'late-b', body: { name: 'late-b' } },
  ]);
  assert.deepEqual((await request(port, { path: '/callback', headers: { 'x-request-id': 'cb' } })).json, { id: 'cb' });
});

test('a hook continued from a foreign context (a pool that is not context-aware) does not cost the handler its context', async () => {
  // A "connection pool" whose callbacks run from its own interval, opened outside every context.
  const queue = [];
  const pump = setInterval(() => queue.splice(0).forEach((callback) => callback()), 2);
  const own = Fastify();
  const seen = [];
  try {
    await own.register(contextPlugin, { header: 'x-trace' });
    own.addHook('onRequest', (request, reply, done) => {
      // `set` replaces the context for the whole request: the handler must see this object.
      Context.set({ requestId: Context.get().requestId, stage: 'set in onRequest' });
      queue.push(done);
    });
    own.addHook('preParsing', (request, reply, payload, done) => {
      seen.push(['preParsing', currentId()]);
      done(null, payload);
    });
    own.post('/', async (request) => {
      await sleep(1);
      return { context: Context.get(), body: request.body };
    });
    await own.listen({ port: 0, host: '127.0.0.1' });
    const ownPort = own.server.address().port;
    const responses = await Promise.all(
      ['p-1', 'p-2'].map((id) =>
        request(ownPort, { method: 'POST', headers: { 'x-trace': id, 'content-type': 'application/json' }, body: JSON.stringify({ id }) }),
      ),
    );
    assert.deepEqual(seen, [['preParsing', null], ['preParsing', null]], 'the pool really lost the context');
    assert.deepEqual(responses.map((response) => response.json), [
      { context: { requestId: 'p-1', stage: 'set in onRequest' }, body: { id: 'p-1' } },
      { context: { requestId: 'p-2', stage: 'set in onRequest' }, body: { id: 'p-2' } },
    ]);
  } finally {
    clearInterval(pump);
    await own.close();
  }
});

test('options: generateId(request, reply), context(request, reply); a throwing option is a Fastify error', async () => {
  const own = Fastify();
  try {
    await own.register(contextPlugin, {
      header: false,
      generateId: (request, reply) => {
        if (request.query.fail) throw new Error('id service down');
        return `${request.method}-${typeof reply.send}`;
      },
      context: (request) => ({ url: request.url }),
    });
    own.get('/ctx', async () => Context.get());
    await own.ready();
    const ok = await own.inject({ url: '/ctx?x=1', headers: { 'x-request-id': 'ignored' } });
    assert.deepEqual(ok.json(), { requestId: 'GET-function', url: '/ctx?x=1' });
    const failed = await own.inject({ url: '/ctx?fail=1' });
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.json().message, 'id service down');
  } finally {
    await own.close();
  }
  const bad = Fastify();
  await assert.rejects(bad.register(contextPlugin, { generateId: 7 }).ready(), {
    name: 'TypeError',
    message: /^native-execution-context\/fastify: "generateId" must be a function, got number/,
  });
  await bad.close().catch(() => {});
});

test('the plugin is not encapsulated: routes of sibling plugins run in a context too', async () => {
  const own = Fastify();
  try {
    await own.register(contextPlugin);
    await own.register(async (child) => {
      child.get('/child', async () => ({ id: currentId() }));
    }, { prefix: '/v1' });
    const response = await own.inject({ url: '/v1/child', headers: { 'x-request-id': 'child-1' } });
    assert.deepEqual(response.json(), { id: 'child-1' });
  } finally {
    await own.close();
  }
});

test('the context is gone after the response: not on the reused connection, not in the native map', async () => {
  Context.configure({ monitor: true });
  try {
    outside.length = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const responses = [];
    for (const id of ['ka-1', 'ka-2', undefined]) {
      responses.push(await request(port, { path: '/echo', headers: id === undefined ? {} : { 'x-request-id': id }, agent }));
    }
    assert.deepEqual(responses.map((response) => response.reusedSocket), [false, true, true]);
    assert.deepEqual(responses.slice(0, 2).map((response) => response.json.context.requestId), ['ka-1', 'ka-2']);
    assert.match(responses[2].json.context.requestId, UUID);
    assert.deepEqual(outside, [false, false, false], 'server listeners outside the plugin see no context');
    assert.equal(Context.exists(), false);

    agent.destroy();
    app.server.closeAllConnections();
    const live = await liveContextsAfterDrain();
    assert.equal(live, 0, `contexts left after the responses: ${JSON.stringify(Context.monitor().entries)}`);
  } finally {
    Context.configure({ monitor: false });
  }
});
