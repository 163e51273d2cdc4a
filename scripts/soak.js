'use strict';
// npm run soak: one million requests through an Express server on loopback, with tracking on
// (configure({ monitor: true })), from keep-alive clients in a child process. Every request
// runs in its own context (Context.run in a middleware, plus an AsyncLocalStorage store); the
// handlers check after every hop (timers, immediates, awaits, a shared emitter) that they still
// see their own request, and the clients check that every response names their request. Some
// clients disconnect mid-request (the handler keeps going after the client is gone) and some
// handlers await promises that never settle (the client gives up). At the end, after the
// clients are gone and a few GCs: heap and monitor().size must be back to where they were.
//
//   node --expose-gc scripts/soak.js [--requests 1000000] [--connections 64]
//        [--abort-every 100] [--stuck-every 100] [--max-heap-growth-mb 16] [--no-report]
//
// The figures are also written to this Node's section of RELIABILITY.md (scripts/reliability-report.js;
// --no-report or RELIABILITY_REPORT=off skips that).

const { fork } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { writeSection, commandLine } = require('./reliability-report');

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const REQUESTS = option('requests', 1000000);
const CONNECTIONS = option('connections', 64);
const ABORT_EVERY = option('abort-every', 100); // client disconnects mid-request
const STUCK_EVERY = option('stuck-every', 100); // handler awaits a promise that never settles
const MAX_HEAP_GROWTH_MB = option('max-heap-growth-mb', 16);
const WARMUP = Math.min(20000, Math.max(1000, Math.floor(REQUESTS / 50)));

// Kind of request i: the same rule on both sides.
function kindOf(i) {
  if (STUCK_EVERY > 0 && i % STUCK_EVERY === STUCK_EVERY - 1) return 'stuck';
  if (ABORT_EVERY > 0 && i % ABORT_EVERY === Math.floor(ABORT_EVERY / 2)) return 'abort';
  return 'ok';
}

// -------------------------------------------------------------------------------------------
// Client (child process): CONNECTIONS loops over keep-alive sockets.

async function client() {
  const [port, from, count] = process.argv.slice(3).map(Number);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = from;
  const end = from + count;
  const stats = { ok: 0, aborted: 0, stuck: 0, wrong: 0, errors: 0, answeredBeforeAbort: 0 };
  let localHost = 2;

  function request(i) {
    const kind = kindOf(i);
    return new Promise((resolve) => {
      let settled = false;
      const done = () => {
        settled = true;
        resolve();
      };
      const options = { port, host: '127.0.0.1', path: kind === 'ok' ? `/ok/${i}` : `/${kind}/${i}`, headers: { 'x-request-id': String(i) } };
      // Requests we abort get their own connection, from a rotating loopback address, so that
      // the TIME_WAIT sockets they leave do not exhaust one address's ephemeral ports.
      if (kind === 'ok') options.agent = agent;
      else {
        options.agent = false;
        options.localAddress = `127.0.0.${localHost}`;
        localHost = localHost === 250 ? 2 : localHost + 1;
      }
      const req = http.get(options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          if (settled) return;
          try {
            const json = JSON.parse(body);
            // /ok answers { id, store, wrong }; /abort (when it answers before the client gave up,
            // under load) answers { id }.
            const right = kind === 'ok' ? json.id === String(i) && json.store === String(i) && json.wrong === 0 : json.id === String(i);
            if (!right) {
              stats.wrong += 1;
              if (stats.wrong <= 5) console.error(`soak client: request ${i} (${kind}) got ${body}`);
            } else if (kind === 'ok') stats.ok += 1;
            else stats.answeredBeforeAbort += 1;
          } catch {
            stats.errors += 1;
          }
          done();
        });
        res.on('error', () => done());
      });
      req.on('error', (error) => {
        if (settled) return;
        if (kind === 'ok') {
          stats.errors += 1;
          if (stats.errors < 5) console.error(`soak client: request ${i}: ${error.message}`);
        }
        done();
      });
      if (kind !== 'ok') {
        // Disconnect mid-flight: after the handler started (abort) or while it waits forever (stuck).
        setTimeout(() => {
          if (settled) return;
          stats[kind === 'abort' ? 'aborted' : 'stuck'] += 1;
          req.destroy();
          done();
        }, kind === 'abort' ? 5 : 15);
      }
    });
  }

  async function loop() {
    while (next < end) {
      const i = next;
      next += 1;
      await request(i);
      if (i % 5000 === 0) process.send({ progress: next - from });
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  agent.destroy();
  process.send({ done: stats });
}

// -------------------------------------------------------------------------------------------
// Server (main process).

function server() {
  const express = require('express');
  const Context = require(ROOT);
  const { AsyncLocalStorage } = require(path.join(ROOT, 'lib', 'als', 'index.js'));
  const { EventEmitter } = require('node:events');

  Context.configure({ monitor: true });
  const store = new AsyncLocalStorage();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const counters = { handled: 0, wrong: 0, abortedFinished: 0, stuckStarted: 0 };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => {
    const id = req.get('x-request-id');
    store.run(id, () => Context.run(next, { id, wrong: 0 }));
  });

  // Counts (and marks on the context) any hop where the current request is not this one.
  function expect(id) {
    const context = Context.exists() ? Context.get() : undefined;
    if (context === undefined || context.id !== id || store.getStore() !== id) {
      counters.wrong += 1;
      if (context !== undefined) context.wrong += 1;
    }
  }

  app.get('/ok/:i', async (req, res) => {
    const id = req.params.i;
    expect(id);
    const n = Number(id);
    await sleep(n % 3);
    expect(id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(id);
    // An emitter shared by all requests: its listener sees the emitting request.
    bus.emit('hop', id);
    await null;
    Context.update({ step: 'done' });
    expect(id);
    counters.handled += 1;
    res.json({ id: Context.get().id, store: store.getStore(), wrong: Context.get().wrong });
  });

  app.get('/abort/:i', async (req, res) => {
    const id = req.params.i;
    expect(id);
    await sleep(20); // the client is gone by now
    expect(id);
    counters.abortedFinished += 1;
    if (!res.destroyed) res.json({ id });
  });

  app.get('/stuck/:i', async (req) => {
    expect(req.params.i);
    counters.stuckStarted += 1;
    await new Promise(() => {}); // never settles: this request is abandoned
  });

  bus.on('hop', (id) => expect(id));

  const httpServer = app.listen(0, '127.0.0.1');
  httpServer.keepAliveTimeout = 60000;
  return { Context, httpServer, counters };
}

async function settle(rounds = 10) {
  for (let i = 0; i < rounds; i++) {
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runClients(port, from, count, onProgress) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--client', port, from, count].map(String).concat(process.argv.slice(2)), { stdio: 'inherit' });
    let result;
    child.on('message', (message) => {
      if (message.progress !== undefined) onProgress(message.progress);
      if (message.done) result = message.done;
    });
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`client exited with ${code}`))));
  });
}

function mb(bytes) {
  return (bytes / 1048576).toFixed(1);
}

async function main() {
  if (typeof global.gc !== 'function') {
    console.error('soak: run with node --expose-gc (npm run soak does)');
    process.exit(2);
  }
  const { Context, httpServer, counters } = server();
  await new Promise((resolve) => httpServer.once('listening', resolve));
  const { port } = httpServer.address();
  const engine = globalThis[Symbol.for('native-execution-context.engine@1')];
  console.log(`soak: Node ${process.version}, strategy ${engine.strategyName}, tracking on, Express ${require('express/package.json').version}`);
  console.log(`soak: ${REQUESTS.toLocaleString('en-US')} requests over ${CONNECTIONS} keep-alive connections; every ${ABORT_EVERY}th disconnects mid-request, every ${STUCK_EVERY}th awaits a never-settling promise`);

  // Warm-up, then the baseline.
  await runClients(port, 0, WARMUP, () => {});
  await settle();
  const before = { heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss, external: process.memoryUsage().external, ...Context.monitor() };
  console.log(`soak: after ${WARMUP} warm-up requests and GC: heap ${mb(before.heap)} MB, monitor().size ${before.size}, contexts ${before.contexts}`);

  const samples = [];
  let lastSample = 0;
  const started = Date.now();
  const stats = await runClients(port, WARMUP, REQUESTS, (done) => {
    if (done - lastSample >= REQUESTS / 10 || done === REQUESTS) {
      lastSample = done;
      const report = Context.monitor();
      const memory = process.memoryUsage();
      samples.push({ done, seconds: (Date.now() - started) / 1000, heap: memory.heapUsed, rss: memory.rss, external: memory.external, size: report.size, contexts: report.contexts });
      process.stderr.write(`\rsoak: ${done.toLocaleString('en-US')} requests, heap ${mb(process.memoryUsage().heapUsed)} MB, monitor().size ${report.size}   `);
    }
  });
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write('\n');

  // Every client is gone; slow handlers finish; abandoned ones become garbage.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await settle(20);
  const after = { heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss, external: process.memoryUsage().external, ...Context.monitor() };
  httpServer.close();
  httpServer.closeAllConnections?.();

  const growth = (after.heap - before.heap) / 1048576;
  const wrong = counters.wrong + stats.wrong;
  const failures = [];
  if (wrong !== 0) failures.push(`${wrong} wrong contexts`);
  if (after.size > before.size) failures.push(`monitor().size grew from ${before.size} to ${after.size}`);
  if (after.contexts > before.contexts) failures.push(`native contexts grew from ${before.contexts} to ${after.contexts}`);
  if (growth > MAX_HEAP_GROWTH_MB) failures.push(`heap grew by ${growth.toFixed(1)} MB (limit ${MAX_HEAP_GROWTH_MB})`);
  if (stats.errors > 0) failures.push(`${stats.errors} client errors`);

  const lines = [];
  lines.push(`Strategy ${engine.strategyName}, tracking on, Express ${require('express/package.json').version}; ${REQUESTS.toLocaleString('en-US')} requests (after ${WARMUP.toLocaleString('en-US')} warm-up requests) over ${CONNECTIONS} keep-alive connections; every ${ABORT_EVERY}th disconnects mid-request, every ${STUCK_EVERY}th awaits a never-settling promise.`);
  lines.push('', '| requests | req/s | ok | client disconnects | never-settling | wrong contexts (server + client) | client errors | heap before -> after (GC) | monitor().size before -> after | time |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---|---|---:|');
  lines.push(`| ${REQUESTS.toLocaleString('en-US')} | ${Math.round(REQUESTS / seconds).toLocaleString('en-US')} | ${stats.ok.toLocaleString('en-US')} | ${stats.aborted.toLocaleString('en-US')} | ${stats.stuck.toLocaleString('en-US')} | ${counters.wrong} + ${stats.wrong} | ${stats.errors} | ${mb(before.heap)} -> ${mb(after.heap)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}) | ${before.size} -> ${after.size} | ${seconds.toFixed(1)} s |`);
  if (stats.answeredBeforeAbort > 0) lines.push('', `${stats.answeredBeforeAbort} disconnecting requests were answered (right) before the client gave up.`);
  lines.push('', `Contexts in the native tree ${before.contexts} -> ${after.contexts}; rss ${mb(before.rss)} -> ${mb(after.rss)} MB; external memory (ArrayBuffers, native) ${mb(before.external)} -> ${mb(after.external)} MB. The server handled ${counters.handled.toLocaleString('en-US')} ok, ${counters.abortedFinished} aborted-then-finished, ${counters.stuckStarted} stuck.`);
  lines.push('', `During the run (not after GC): ${samples.map((s) => `${Math.round(s.done / 1000)}k: heap ${mb(s.heap)} MB, rss ${mb(s.rss)} MB, external ${mb(s.external)} MB, size ${s.size}`).join('; ')}.`);
  lines.push('', `Result: ${failures.length > 0 ? `FAIL (${failures.join('; ')})` : 'PASS'}.`);

  console.log(`\nsoak: Node ${process.version}\n\n${lines.join('\n')}`);
  const major = process.versions.node.split('.')[0];
  const written = writeSection({
    key: `soak node${major.padStart(2, '0')} ${engine.strategyName}`,
    title: `npm run soak: Node ${major}, ${engine.strategyName}`,
    command: commandLine('soak'),
    body: lines.join('\n'),
  });
  if (written) console.log(`\nsoak: figures written to ${written}`);

  if (failures.length > 0) {
    console.error(`soak: FAIL: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log('soak: PASS');
  }
}

if (process.argv[2] === '--client') {
  client().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
