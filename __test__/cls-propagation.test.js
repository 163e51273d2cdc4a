'use strict';

// Values of a namespace follow the code they were set for across every kind of async hop:
// timers, nextTick, microtasks, promises, fs, net, http (including keep-alive agents), zlib and
// crypto; concurrent contexts never see each other's values; many namespaces share one hook.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const fsPromises = require('node:fs/promises');
const net = require('node:net');
const http = require('node:http');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { once } = require('node:events');
const { createHook } = require('node:async_hooks');

const cls = require('../lib/cls');

let serial = 0;
const fresh = (label = 'ns') => cls.createNamespace(`${label}-${++serial}`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs body(done, fail) in a new context of ns where `k` is `value`; resolves with done's value.
function inContext(ns, value, body) {
  return new Promise((resolve, reject) => {
    ns.run(() => {
      ns.set('k', value);
      try {
        body(resolve, reject);
      } catch (error) {
        reject(error);
      }
    });
  });
}

// Many concurrent contexts of the same scenario: each must see only its own value.
async function concurrently(ns, count, body) {
  const values = Array.from({ length: count }, (_, i) => `ctx-${i}`);
  const seen = await Promise.all(values.map((value) => inContext(ns, value, body)));
  assert.deepEqual(seen, values.map((value) => [value, value]));
}

// ---------------------------------------------------------------------------------------------
// Timers, ticks, microtasks, promises

test('setTimeout, setImmediate, process.nextTick and queueMicrotask carry the context', async () => {
  const ns = fresh();
  await concurrently(ns, 20, (done) => {
    const start = ns.get('k');
    setTimeout(() => {
      setImmediate(() => {
        process.nextTick(() => {
          queueMicrotask(() => done([start, ns.get('k')]));
        });
      });
    }, Math.floor(Math.random() * 5));
  });
});

test('setInterval callbacks see the context they were scheduled in, every time', async () => {
  const ns = fresh();
  const seen = await inContext(ns, 'interval', (done) => {
    const values = [];
    const interval = setInterval(() => {
      values.push(ns.get('k'));
      if (values.length === 3) {
        clearInterval(interval);
        done(values);
      }
    }, 1);
  });
  assert.deepEqual(seen, ['interval', 'interval', 'interval']);
});

test('promise continuations (then chains, await, Promise.all, async iteration) carry the context', async () => {
  const ns = fresh();
  await concurrently(ns, 30, (done, fail) => {
    const start = ns.get('k');
    (async () => {
      await Promise.resolve();
      await Promise.all([delay(1), Promise.resolve().then(() => ns.get('k'))]);
      async function* generate() {
        yield ns.get('k');
        await delay(1);
        yield ns.get('k');
      }
      const yielded = [];
      for await (const value of generate()) yielded.push(value);
      assert.deepEqual(yielded, [start, start]);
      return new Promise((resolve) => setTimeout(resolve, 1)).then(() => ns.get('k'));
    })().then((value) => done([start, value]), fail);
  });
});

test('a context set after an await is seen by the rest of that async function only', async () => {
  const ns = fresh();
  await ns.runPromise(async () => {
    ns.set('k', 'outer');
    const child = ns.runPromise(async () => {
      await delay(1);
      ns.set('k', 'child');
      await delay(1);
      return ns.get('k');
    });
    assert.equal(await child, 'child');
    assert.equal(ns.get('k'), 'outer');
  });
});

// ---------------------------------------------------------------------------------------------
// fs, zlib, crypto

test('fs callbacks and fs/promises carry the context', async () => {
  const ns = fresh();
  await concurrently(ns, 10, (done, fail) => {
    const start = ns.get('k');
    fs.readFile(__filename, (error) => {
      if (error) return fail(error);
      fs.stat(__filename, async (error2) => {
        if (error2) return fail(error2);
        try {
          await fsPromises.readFile(__filename);
          const handle = await fsPromises.open(__filename);
          await handle.close();
          done([start, ns.get('k')]);
        } catch (error3) {
          fail(error3);
        }
      });
    });
  });
});

test('zlib (callback and stream) and crypto (randomBytes, pbkdf2, scrypt) carry the context', async () => {
  const ns = fresh();
  await concurrently(ns, 8, (done, fail) => {
    const start = ns.get('k');
    zlib.gzip(Buffer.from(start), (error, zipped) => {
      if (error) return fail(error);
      const gunzip = zlib.createGunzip();
      gunzip.on('data', () => {});
      gunzip.on('end', () => {
        crypto.randomBytes(8, (error2) => {
          if (error2) return fail(error2);
          crypto.pbkdf2('secret', 'salt', 1, 16, 'sha256', (error3) => {
            if (error3) return fail(error3);
            crypto.scrypt('secret', 'salt', 16, (error4) => {
              if (error4) return fail(error4);
              done([start, ns.get('k')]);
            });
          });
        });
      });
      gunzip.end(zipped);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// net

test('net client: connect, data and close callbacks see the context the client was made in', async () => {
  const ns = fresh();
  const server = net.createServer((socket) => socket.end('hello'));
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address();
  try {
    await concurrently(ns, 5, (done, fail) => {
      const start = ns.get('k');
      const values = [];
      const client = net.connect(port, '127.0.0.1', () => values.push(ns.get('k')));
      client.on('data', () => values.push(ns.get('k')));
      client.on('error', fail);
      client.on('close', () => {
        assert.deepEqual(values, [start, start]);
        done([start, ns.get('k')]);
      });
    });
  } finally {
    server.close();
  }
});

test('net server created in a context: connection callbacks see it', async () => {
  const ns = fresh();
  const seen = await inContext(ns, 'server', (done, fail) => {
    const server = net.createServer((socket) => {
      const value = ns.get('k');
      socket.end();
      server.close(() => done(value));
    });
    server.on('error', fail);
    server.listen(0, () => {
      ns.run(() => {
        ns.set('k', 'client');
        net.connect(server.address().port, '127.0.0.1').resume();
      });
    });
  });
  assert.equal(seen, 'server');
});

// Accepted sockets are created by the native accept path, outside every callback: their events
// (like AsyncLocalStorage's) see no context of their own, whatever context the server was made
// in. bindEmitter in the connection handler is the way to give them one.
test('net server sockets: a plain data listener sees no context; after bindEmitter, the handler\'s', async () => {
  const ns = fresh();
  const seen = {};
  const server = net.createServer((socket) => {
    ns.run(() => {
      ns.set('k', 'connection');
      socket.on('data', () => {
        seen.plain = ns.get('k');
      });
      ns.bindEmitter(socket);
      socket.on('data', () => {
        seen.bound = ns.get('k');
        socket.end();
      });
    });
  });
  ns.run(() => {
    ns.set('k', 'where the server was made');
    server.listen(0);
  });
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  client.end('ping');
  client.resume();
  await once(client, 'close');
  server.close();
  assert.deepEqual(seen, { plain: undefined, bound: 'connection' });
});

test('net server sockets: one shared listener function gets each connection\'s own context (cls-hooked mixes them)', async () => {
  const ns = fresh();
  const seen = {};
  function onData(data) {
    seen[data.toString()] = ns.get('conn');
    this.end();
  }
  let count = 0;
  const server = net.createServer((socket) => {
    const id = ++count;
    ns.run(() => {
      ns.set('conn', `conn-${id}`);
      ns.bindEmitter(socket);
      socket.once('data', (data) => {
        seen[`greeting-${id}`] = [data.toString(), ns.get('conn')];
        socket.on('data', onData); // the same function for every socket
        socket.prependListener('end', () => {
          seen[`end-${id}`] = ns.get('conn'); // prependListener is not bound by cls-hooked
        });
        socket.write('go');
      });
    });
  });
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address();
  await Promise.all([1, 2, 3].map(async (id) => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    // Identify this client to the server by the order of connections.
    while (count < id) await delay(1); // eslint-disable-line no-await-in-loop
    client.write(`hello-${id}`);
    await once(client, 'data');
    client.end(`from-${id}`);
    client.resume();
    await once(client, 'close');
  }));
  server.close();
  for (const id of [1, 2, 3]) {
    assert.equal(seen[`from-${id}`], `conn-${id}`);
    assert.equal(seen[`end-${id}`], `conn-${id}`);
    assert.equal(seen[`greeting-${id}`][1], `conn-${id}`);
  }
});

// ---------------------------------------------------------------------------------------------
// http

test('http server: each request handled in its own ns.run sees its own values, through I/O and bound req/res', async () => {
  const ns = fresh();
  const server = http.createServer((req, res) => {
    ns.run(() => {
      ns.set('k', req.headers['x-id']);
      ns.bindEmitter(req);
      ns.bindEmitter(res);
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const atEnd = ns.get('k');
        setTimeout(() => {
          fs.stat(__filename, () => {
            res.on('finish', () => assert.equal(ns.get('k'), atEnd));
            res.end(JSON.stringify([body, atEnd, ns.get('k')]));
          });
        }, Math.floor(Math.random() * 5));
      });
    });
  });
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address();
  try {
    const ids = Array.from({ length: 20 }, (_, i) => `req-${i}`);
    const responses = await Promise.all(ids.map(async (id) => {
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'x-id': id }, body: `body-${id}` });
      return response.json();
    }));
    assert.deepEqual(responses, ids.map((id) => [`body-${id}`, id, id]));
  } finally {
    server.close();
  }
});

test('http client: response callbacks see the requesting context', async () => {
  const ns = fresh();
  const server = http.createServer((req, res) => setTimeout(() => res.end('ok'), Math.floor(Math.random() * 5)));
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address();
  try {
    await concurrently(ns, 10, (done, fail) => {
      const start = ns.get('k');
      http.get({ port, host: '127.0.0.1' }, (res) => {
        const atResponse = ns.get('k');
        res.resume();
        res.on('end', () => {
          assert.equal(atResponse, start);
          done([start, ns.get('k')]);
        });
      }).on('error', fail);
    });
  } finally {
    server.close();
  }
});

test('http keep-alive agent reusing one socket: every request gets its own context in its callbacks', async () => {
  const ns = fresh();
  const server = http.createServer((req, res) => res.end('ok'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  server.listen(0);
  await once(server, 'listening');
  const { port } = server.address();
  const sockets = new Set();
  const request = (id) => new Promise((resolve, reject) => {
    ns.run(() => {
      ns.set('xid', id);
      const req = http.get({ port, host: '127.0.0.1', agent }, (res) => {
        const atResponse = ns.get('xid');
        res.resume();
        res.on('end', () => resolve([atResponse, ns.get('xid')]));
      });
      req.on('socket', (socket) => sockets.add(socket));
      req.on('error', reject);
    });
  });
  try {
    assert.deepEqual(await request('first'), ['first', 'first']);
    assert.deepEqual(await request('second'), ['second', 'second']);
    // Queued on the one socket, back to back.
    const queued = await Promise.all(['third', 'fourth', 'fifth'].map(request));
    assert.deepEqual(queued, [['third', 'third'], ['fourth', 'fourth'], ['fifth', 'fifth']]);
    assert.equal(sockets.size, 1, 'all requests reused one socket');
  } finally {
    agent.destroy();
    server.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Several namespaces

test('two namespaces keep independent values across awaits, interleaved with each other', async () => {
  const a = fresh('a');
  const b = fresh('b');
  const run = (id) => a.runPromise(async () => {
    a.set('k', `a-${id}`);
    await delay(Math.floor(Math.random() * 3));
    return b.runPromise(async () => {
      b.set('k', `b-${id}`);
      await delay(Math.floor(Math.random() * 3));
      return [a.get('k'), b.get('k')];
    });
  });
  const results = await Promise.all(Array.from({ length: 20 }, (_, id) => run(id)));
  assert.deepEqual(results, Array.from({ length: 20 }, (_, id) => [`a-${id}`, `b-${id}`]));
});

test('namespaces install no async hook of their own (cls-hooked installs one per namespace)', async () => {
  let hooksCreated = 0;
  const asyncHooks = require('node:async_hooks');
  const original = asyncHooks.createHook;
  asyncHooks.createHook = (...args) => {
    hooksCreated += 1;
    return original(...args);
  };
  try {
    const many = Array.from({ length: 20 }, (_, i) => fresh(`many-${i}`));
    const values = await Promise.all(many.map((ns, i) => ns.runPromise(async () => {
      ns.set('k', i);
      await delay(1);
      return ns.get('k');
    })));
    assert.deepEqual(values, many.map((_, i) => i));
    assert.equal(hooksCreated, 0, 'the engine\'s one hook carries every namespace');
  } finally {
    asyncHooks.createHook = original;
  }
  assert.equal(asyncHooks.createHook, createHook);
});

test('many namespaces, nested: each value is found after async hops at every depth', async () => {
  const many = Array.from({ length: 20 }, (_, i) => fresh(`nested-${i}`));
  const nest = (index) => {
    if (index === many.length) {
      return delay(1).then(() => many.map((ns) => ns.get('k')));
    }
    return many[index].runPromise(async () => {
      many[index].set('k', index);
      await Promise.resolve();
      return nest(index + 1);
    });
  };
  assert.deepEqual(await nest(0), many.map((_, i) => i));
  for (const ns of many) assert.equal(ns.active, null);
});
