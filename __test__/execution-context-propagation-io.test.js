'use strict';

// Propagation through Node's I/O: fs, http (server and client), net, zlib, crypto and streams.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const fsPromises = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const net = require('node:net');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { once } = require('node:events');
const { Readable, Transform, Writable, pipeline } = require('node:stream');
const streamPromises = require('node:stream/promises');

const Context = require('..');
const { current, currentId, delay } = require('./helpers/context');

// Runs `body(done, fail)` inside a run of `context`; resolves with what `done` was called with.
function inRun(context, body) {
  return new Promise((resolve, reject) => {
    Context.run(() => {
      try {
        body(resolve, reject);
      } catch (error) {
        reject(error);
      }
    }, context);
  });
}

let tmpDir;
let sampleFile;
const SAMPLE = 'native-execution-context\n'.repeat(4096); // ~100 KB: several stream chunks

before(() => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-io-'));
  sampleFile = path.join(tmpDir, 'sample.txt');
  fs.writeFileSync(sampleFile, SAMPLE);
});

after(() => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// fs

test('fs callbacks started inside a run see the run context through a write, stat, read chain', async () => {
  const context = { id: 'fs-callbacks' };
  const file = path.join(tmpDir, 'callbacks.txt');
  const seen = await inRun(context, (done, fail) => {
    const observed = [];
    fs.writeFile(file, 'hello', (error) => {
      if (error) return fail(error);
      observed.push(current());
      fs.stat(file, (error2, stats) => {
        if (error2) return fail(error2);
        observed.push(current());
        fs.readFile(file, 'utf8', (error3, text) => {
          if (error3) return fail(error3);
          observed.push(current());
          done({ observed, size: stats.size, text });
        });
      });
    });
  });
  assert.equal(seen.text, 'hello');
  assert.equal(seen.size, 5);
  assert.equal(seen.observed.length, 3);
  for (const value of seen.observed) assert.equal(value, context);
});

test('an fs error callback started inside a run sees the run context', async () => {
  const context = { id: 'fs-error' };
  const seen = await inRun(context, (done) => {
    fs.readFile(path.join(tmpDir, 'does-not-exist'), (error) => done([error && error.code, current()]));
  });
  assert.equal(seen[0], 'ENOENT');
  assert.equal(seen[1], context);
});

test('concurrent fs.readFile callbacks of different runs each see their own context', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      inRun({ id: i }, (done, fail) => {
        fs.readFile(sampleFile, (error) => (error ? fail(error) : done(currentId())));
      }),
    ),
  );
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
});

test('fs/promises awaited inside a run, including FileHandle reads, keep the run context', async () => {
  const context = { id: 'fs-promises' };
  const file = path.join(tmpDir, 'promises.txt');
  const seen = await Context.run(async () => {
    const observed = [];
    await fsPromises.writeFile(file, 'abcdef');
    observed.push(current());
    const handle = await fsPromises.open(file, 'r');
    observed.push(current());
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    observed.push(current());
    await handle.close();
    observed.push(current());
    const text = await fsPromises.readFile(file, 'utf8');
    observed.push(current());
    return { observed, text, head: buffer.subarray(0, bytesRead).toString() };
  }, context);
  assert.equal(seen.text, 'abcdef');
  assert.equal(seen.head, 'abc');
  assert.equal(seen.observed.length, 5);
  for (const value of seen.observed) assert.equal(value, context);
});

test('fs.createReadStream events inside a run see the run context on every chunk', async () => {
  const context = { id: 'fs-stream' };
  const seen = await inRun(context, (done, fail) => {
    const observed = [];
    let bytes = 0;
    fs.createReadStream(sampleFile, { highWaterMark: 16 * 1024 })
      .on('open', () => observed.push(['open', current()]))
      .on('data', (chunk) => {
        bytes += chunk.length;
        observed.push(['data', current()]);
      })
      .on('error', fail)
      .on('end', () => observed.push(['end', current()]))
      .on('close', () => {
        observed.push(['close', current()]);
        done({ observed, bytes });
      });
  });
  assert.equal(seen.bytes, SAMPLE.length);
  const kinds = seen.observed.map(([kind]) => kind);
  assert.equal(kinds[0], 'open');
  assert.ok(kinds.filter((k) => k === 'data').length > 1, 'several chunks were read');
  assert.deepEqual(kinds.slice(-2), ['end', 'close']);
  for (const [, value] of seen.observed) assert.equal(value, context);
});

// ---------------------------------------------------------------------------------------------
// http

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

// A plain request from outside any run; resolves with { status, body }.
function request(port, { method = 'GET', path: urlPath = '/', body, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('an http server handler that runs per request sees its own context after awaits and timers', async () => {
  const server = http.createServer((req, res) => {
    const id = req.url.slice(1);
    Context.run(async () => {
      const seen = [currentId()];
      await delay(Number(id) % 4);
      seen.push(currentId());
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(currentId());
      seen.push(await new Promise((resolve) => setTimeout(() => resolve(currentId()), 1)));
      if (req.method === 'POST') {
        req.resume();
        await once(req, 'end');
        seen.push(currentId());
      }
      res.end(JSON.stringify(seen));
    }, { id });
  });
  const port = await listen(server);
  try {
    const ids = Array.from({ length: 30 }, (_, i) => String(i));
    const responses = await Promise.all(
      ids.map((id, i) =>
        i % 2 === 0 ? request(port, { path: `/${id}` }) : request(port, { method: 'POST', path: `/${id}`, body: 'x'.repeat(100) }),
      ),
    );
    responses.forEach((response, i) => {
      assert.equal(response.status, 200);
      const expected = i % 2 === 0 ? [ids[i], ids[i], ids[i], ids[i]] : [ids[i], ids[i], ids[i], ids[i], ids[i]];
      assert.deepEqual(JSON.parse(response.body), expected);
    });
  } finally {
    await close(server);
  }
  assert.equal(Context.exists(), false);
});

test('an http server handler outside any run sees no context', async () => {
  const server = http.createServer((req, res) => {
    const seen = [Context.exists()];
    setTimeout(() => {
      seen.push(Context.exists());
      res.end(JSON.stringify(seen));
    }, 1);
  });
  const port = await listen(server);
  try {
    // The request is made from inside a run: the server side must not inherit it.
    const response = await Context.run(() => request(port), { id: 'client' });
    assert.deepEqual(JSON.parse(response.body), [false, false]);
  } finally {
    await close(server);
  }
});

test('an http client request made inside a run sees its context in the response callback and in data and end events', async () => {
  const server = http.createServer((req, res) => {
    res.write('first-');
    setTimeout(() => res.end('second'), 5);
  });
  const port = await listen(server);
  const clientRequest = (id) =>
    inRun({ id }, (done, fail) => {
      const observed = [];
      let body = '';
      const req = http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        observed.push(['response', currentId()]);
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
          observed.push(['data', currentId()]);
        });
        res.on('end', () => {
          observed.push(['end', currentId()]);
          done({ observed, body });
        });
      });
      req.on('error', fail);
    });
  try {
    const results = await Promise.all(['c1', 'c2', 'c3', 'c4'].map(clientRequest));
    results.forEach(({ observed, body }, i) => {
      const id = `c${i + 1}`;
      assert.equal(body, 'first-second');
      assert.equal(observed[0][0], 'response');
      assert.equal(observed.at(-1)[0], 'end');
      assert.ok(observed.some(([kind]) => kind === 'data'));
      for (const [, seen] of observed) assert.equal(seen, id);
    });
  } finally {
    await close(server);
  }
});

test('http client requests on a reused keep-alive socket see the context of the run that made each request', async () => {
  const server = http.createServer((req, res) => setTimeout(() => res.end(req.url), 1));
  const port = await listen(server);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const clientRequest = (id) =>
    inRun({ id }, (done, fail) => {
      const observed = [];
      http
        .get({ host: '127.0.0.1', port, agent, path: `/${id}` }, (res) => {
          observed.push(currentId());
          res.on('data', () => observed.push(currentId()));
          res.on('end', () => {
            observed.push(currentId());
            done(observed);
          });
        })
        .on('error', fail);
    });
  try {
    // maxSockets 1: all requests share one socket, created inside the first run.
    const concurrent = await Promise.all(['k1', 'k2', 'k3'].map(clientRequest));
    const later = await clientRequest('k4');
    ['k1', 'k2', 'k3'].forEach((id, i) => {
      assert.ok(concurrent[i].length >= 2);
      for (const seen of concurrent[i]) assert.equal(seen, id);
    });
    for (const seen of later) assert.equal(seen, 'k4');
  } finally {
    agent.destroy();
    await close(server);
  }
});

test('an http client request awaited with events.once inside a run resumes in the run context', async () => {
  const server = http.createServer((req, res) => res.end('ok'));
  const port = await listen(server);
  try {
    const context = { id: 'once-client' };
    const seen = await Context.run(async () => {
      const req = http.get({ host: '127.0.0.1', port, agent: false });
      const [res] = await once(req, 'response');
      const afterResponse = current();
      res.resume();
      await once(res, 'end');
      return [afterResponse, current()];
    }, context);
    assert.equal(seen[0], context);
    assert.equal(seen[1], context);
  } finally {
    await close(server);
  }
});

// ---------------------------------------------------------------------------------------------
// net

test('net socket connect, data and close events of a socket opened inside a run see the run context', async () => {
  const server = net.createServer((socket) => {
    socket.write('hello ');
    setTimeout(() => socket.end('world'), 3);
  });
  const port = await listen(server);
  const connect = (id) =>
    inRun({ id }, (done, fail) => {
      const observed = [];
      let text = '';
      const socket = net.connect(port, '127.0.0.1', () => observed.push(['connect', currentId()]));
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        text += chunk;
        observed.push(['data', currentId()]);
      });
      socket.on('end', () => observed.push(['end', currentId()]));
      socket.on('error', fail);
      socket.on('close', () => {
        observed.push(['close', currentId()]);
        done({ observed, text });
      });
    });
  try {
    const results = await Promise.all(['n1', 'n2', 'n3'].map(connect));
    results.forEach(({ observed, text }, i) => {
      const id = `n${i + 1}`;
      assert.equal(text, 'hello world');
      const kinds = observed.map(([kind]) => kind);
      assert.equal(kinds[0], 'connect');
      assert.ok(kinds.includes('data'));
      assert.deepEqual(kinds.slice(-2), ['end', 'close']);
      for (const [, seen] of observed) assert.equal(seen, id);
    });
  } finally {
    await close(server);
  }
});

test('a net server connection handler that runs per connection resumes in its context after awaiting socket data', async () => {
  // The server-side socket belongs to the connection, created outside any run: its 'data'
  // listeners see the context of the emitting socket (none), while code that awaits the data
  // inside the run resumes in the run.
  const server = net.createServer((socket) => {
    Context.run(async () => {
      socket.setEncoding('utf8');
      let listenerSaw;
      socket.once('data', () => {
        listenerSaw = currentId();
      });
      const [id] = await once(socket, 'data');
      const afterAwait = currentId();
      await delay(1);
      socket.end(`${id}|${listenerSaw}|${afterAwait}|${currentId()}`);
    }, { id: 'connection' });
  });
  const port = await listen(server);
  try {
    const reply = await Context.run(
      () =>
        new Promise((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => setTimeout(() => socket.write('ping'), 2));
          let text = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk) => (text += chunk));
          socket.on('error', reject);
          socket.on('close', () => resolve([text, currentId()]));
        }),
      { id: 'client' },
    );
    assert.deepEqual(reply, ['ping|none|connection|connection', 'client']);
  } finally {
    await close(server);
  }
});

// ---------------------------------------------------------------------------------------------
// zlib

test('zlib gzip and gunzip callbacks started inside a run see the run context', async () => {
  const context = { id: 'zlib-callback' };
  const seen = await inRun(context, (done, fail) => {
    zlib.gzip(SAMPLE, (error, compressed) => {
      if (error) return fail(error);
      const afterGzip = current();
      zlib.gunzip(compressed, (error2, plain) => {
        if (error2) return fail(error2);
        done({ afterGzip, afterGunzip: current(), plain: plain.toString() });
      });
    });
  });
  assert.equal(seen.plain, SAMPLE);
  assert.equal(seen.afterGzip, context);
  assert.equal(seen.afterGunzip, context);
});

test('zlib gzip stream events inside a run see the run context', async () => {
  const context = { id: 'zlib-stream' };
  const seen = await inRun(context, (done, fail) => {
    const observed = [];
    const chunks = [];
    const gzip = zlib.createGzip();
    gzip.on('data', (chunk) => {
      chunks.push(chunk);
      observed.push(current());
    });
    gzip.on('error', fail);
    gzip.on('end', () => {
      observed.push(current());
      done({ observed, compressed: Buffer.concat(chunks) });
    });
    gzip.write(SAMPLE.slice(0, 1000));
    setTimeout(() => gzip.end(SAMPLE.slice(1000)), 1);
  });
  assert.equal(zlib.gunzipSync(seen.compressed).toString(), SAMPLE);
  assert.ok(seen.observed.length >= 2);
  for (const value of seen.observed) assert.equal(value, context);
});

test('concurrent zlib callbacks of different runs each see their own context', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      inRun({ id: i }, (done, fail) => {
        zlib.deflate(`payload ${i}`, (error) => (error ? fail(error) : done(currentId())));
      }),
    ),
  );
  assert.deepEqual(results, Array.from({ length: 10 }, (_, i) => i));
});

// ---------------------------------------------------------------------------------------------
// crypto

test('crypto randomBytes, pbkdf2 and scrypt callbacks started inside a run see the run context', async () => {
  const context = { id: 'crypto' };
  const seen = await inRun(context, (done, fail) => {
    const observed = {};
    let pending = 3;
    const finish = (name) => (error, value) => {
      if (error) return fail(error);
      observed[name] = [current(), value.length];
      if (--pending === 0) done(observed);
    };
    crypto.randomBytes(16, finish('randomBytes'));
    crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', finish('pbkdf2'));
    crypto.scrypt('secret', 'salt', 32, { N: 1024 }, finish('scrypt'));
  });
  assert.deepEqual(Object.keys(seen).sort(), ['pbkdf2', 'randomBytes', 'scrypt']);
  assert.equal(seen.randomBytes[1], 16);
  assert.equal(seen.pbkdf2[1], 32);
  assert.equal(seen.scrypt[1], 32);
  for (const [value] of Object.values(seen)) assert.equal(value, context);
});

test('concurrent crypto callbacks of different runs each see their own context', async () => {
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      inRun({ id: i }, (done, fail) => {
        const callback = (error) => (error ? fail(error) : done(currentId()));
        if (i % 3 === 0) crypto.randomBytes(8, callback);
        else if (i % 3 === 1) crypto.pbkdf2('p', `s${i}`, 100, 16, 'sha256', callback);
        else crypto.scrypt('p', `s${i}`, 16, { N: 256 }, callback);
      }),
    ),
  );
  assert.deepEqual(results, Array.from({ length: 12 }, (_, i) => i));
});

// ---------------------------------------------------------------------------------------------
// streams

test('Readable data and end events of a stream consumed inside a run see the run context', async () => {
  const context = { id: 'readable' };
  const seen = await inRun(context, (done, fail) => {
    const observed = [];
    const readable = new Readable({
      read() {
        const n = observed.length;
        // Produce asynchronously so that every chunk comes from a later tick.
        setTimeout(() => this.push(n < 4 ? `chunk${n}` : null), 1);
      },
    });
    readable.on('data', () => observed.push(current()));
    readable.on('error', fail);
    readable.on('end', () => done({ observed, atEnd: current() }));
  });
  assert.equal(seen.observed.length, 4);
  for (const value of seen.observed) assert.equal(value, context);
  assert.equal(seen.atEnd, context);
});

test('a Transform in a pipeline started inside a run sees the context in transform, flush and the pipeline callback', async () => {
  const context = { id: 'pipeline' };
  const seen = await inRun(context, (done) => {
    const observed = { transform: [], flush: [], write: [] };
    let output = '';
    const upper = new Transform({
      transform(chunk, encoding, callback) {
        observed.transform.push(current());
        setImmediate(() => callback(null, chunk.toString().toUpperCase()));
      },
      flush(callback) {
        observed.flush.push(current());
        callback();
      },
    });
    const sink = new Writable({
      write(chunk, encoding, callback) {
        output += chunk;
        observed.write.push(current());
        setTimeout(callback, 0);
      },
    });
    pipeline(Readable.from(['a', 'b', 'c']), upper, sink, (error) => {
      done({ error, observed, output, inCallback: current() });
    });
  });
  assert.equal(seen.error, undefined);
  assert.equal(seen.output, 'ABC');
  assert.equal(seen.observed.transform.length, 3);
  assert.equal(seen.observed.flush.length, 1);
  assert.equal(seen.observed.write.length, 3);
  for (const list of Object.values(seen.observed)) for (const value of list) assert.equal(value, context);
  assert.equal(seen.inCallback, context);
});

test('concurrent stream pipelines of different runs each see their own context', async () => {
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      Context.run(async () => {
        const observed = [];
        await streamPromises.pipeline(
          Readable.from(['x', 'y']),
          new Transform({
            transform(chunk, encoding, callback) {
              setTimeout(() => {
                observed.push(currentId());
                callback(null, chunk);
              }, i % 3);
            },
          }),
          zlib.createGzip(),
          new Writable({
            write(chunk, encoding, callback) {
              callback();
            },
          }),
        );
        observed.push(currentId());
        return observed;
      }, { id: i }),
    ),
  );
  results.forEach((observed, i) => assert.deepEqual(observed, [i, i, i]));
});
