'use strict';
// An Express app whose logger knows the current request without being passed it, driven by
// its own concurrent load, followed by a monitor report of the contexts still alive.
// Run from the repository root: `npm run demo`.

const crypto = require('node:crypto');
const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');
const express = require('express');
const Context = require('..'); // in an app: require('native-execution-context')
const { log, setEnabled } = require('./logger');

// Monitoring tracks every context and the async work started under it, so that work a
// request left behind can be found later. It costs throughput: turn it on when you need it.
Context.configure({ monitor: true });

// The stall watchdog: a native thread that notices when the event loop stops turning for 100 ms,
// names the request that blocks it on stderr while it is blocked, and reports it here afterwards.
Context.watchStalls({
  thresholdMs: 100,
  onStall({ durationMs, context, label }) {
    console.log(`stall: request ${label} (${context.method} ${context.path}) blocked the event loop for ${Math.round(durationMs)} ms`);
  },
});

// ---- A fake data layer, callback-based like an old driver, with random latency so that
// concurrent requests interleave and a context mix-up would show.
const USERS = { 'token-ada': 'ada', 'token-linus': 'linus', 'token-grace': 'grace' };
const jitter = () => 2 + Math.floor(Math.random() * 15);
function dbQuery(result) {
  return new Promise((resolve) => setTimeout(() => resolve(result), jitter()));
}

// A job queue that nobody drains: whoever waits on it waits forever.
const stuckJobs = [];
function enqueueJob(name) {
  return new Promise((resolve) => stuckJobs.push({ name, resolve }));
}

// The context of the current request, as the routes report it back (the load checks it).
function whoAmI() {
  const { requestId, user } = Context.get();
  return { requestId, user };
}

const app = express();

// First middleware: everything after `next` (other middleware, routes, and every await,
// timer or callback they start) runs inside this request's context.
app.use((req, res, next) => {
  const requestId = req.get('x-request-id') || crypto.randomUUID().slice(0, 8); // short ids read better
  res.set('x-request-id', requestId);
  Context.run(next, { requestId, method: req.method, path: req.path, startedAt: Date.now() });
});

// Authentication looks the user up asynchronously, then adds it to the context: downstream
// code reads it from there, no `req.user` threading needed.
async function authenticate(req, res, next) {
  const user = await dbQuery(USERS[req.get('authorization')] || 'anonymous');
  Context.update({ user });
  log(`authenticated as ${user}`);
  next();
}

app.get('/orders/:id', async (req, res) => {
  log(`loading order ${req.params.id}`);
  const order = await dbQuery({ id: req.params.id, total: 42 });
  await new Promise(setImmediate); // another kind of async hop, same context
  log(`order ${order.id} loaded`);
  res.json({ ...whoAmI(), order });
});

app.get('/me', authenticate, async (req, res) => {
  await sleep(jitter());
  log(`hello ${Context.get().user}`);
  res.json(whoAmI());
});

// An abandoned request: it answers 202 but leaves a promise that never settles. Its context
// stays alive, and that is what the monitor report below is for.
app.get('/export', authenticate, (req, res) => {
  enqueueJob('export').then(() => log('export done')); // never runs
  log('export queued');
  res.status(202).json(whoAmI());
});

// A handler that blocks the event loop: synchronous CPU work (a 300 ms busy loop standing in
// for a huge JSON.parse or a slow regex). Every other request waits for it.
app.get('/slow', (req, res) => {
  const end = Date.now() + 300;
  while (Date.now() < end);
  res.json(whoAmI());
});

// ---- The load: concurrent requests, each checking it got its own context back.

function request(port, path, headers) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ headers: res.headers, body: JSON.parse(body) }));
    }).on('error', reject);
  });
}

// Request i: a mix of routes and users; odd ones bring their own id, even ones get one.
function plan(i, prefix) {
  const route = ['/orders/' + (100 + i), '/me', '/export'][i % 3];
  const name = ['ada', 'linus', 'grace'][i % 3];
  const headers = { authorization: `token-${name}` };
  if (i % 2 === 1) headers['x-request-id'] = `${prefix}-${i}`;
  return { route, headers, user: route.startsWith('/orders') ? undefined : name };
}

async function fire(port, count, prefix) {
  const plans = Array.from({ length: count }, (_, i) => plan(i, prefix));
  const results = await Promise.all(plans.map((p) => request(port, p.route, p.headers)));
  // Right means: the id the route saw after its awaits is the one this request started with
  // (sent by us, or generated and echoed in the header), and so is the user.
  return results.filter(({ headers, body }, i) => {
    const expectedId = plans[i].headers['x-request-id'] || headers['x-request-id'];
    return body.requestId !== expectedId || body.user !== plans[i].user;
  }).length;
}

// Every request has returned and idle keep-alive sockets are closed (their keep-alive timers
// were armed inside the last request of each socket), so a context still listed is one whose
// async work is not finished.
function printMonitor() {
  const report = Context.monitor();
  const types = Object.entries(report.byType).map(([type, n]) => `${type} ${n}`).join(', ');
  const resources = report.entries.reduce((sum, entry) => sum + entry.children.length, 0);
  console.log(`\nmonitor: ${report.entries.length} live contexts, ${resources} live resources (${types || 'none'})`);
  for (const entry of report.entries.slice(0, 5)) {
    const kinds = entry.children.map((child) => child.type).join(', ') || 'nothing';
    const state = entry.running ? 'still running' : 'returned';
    console.log(`  async id ${entry.asyncId}: ${entry.duration} ms old, ${entry.contextSize} B, ${state}, holds ${kinds}`);
  }
  if (report.entries.length > 5) console.log(`  ... and ${report.entries.length - 5} more`);
  if (report.oldest) console.log(`  oldest: async id ${report.oldest.asyncId}, ${report.oldest.duration} ms old`);
  // A promise that never settles is the mark of the abandoned /export requests.
  const waiting = report.entries.filter((entry) => entry.children.some((child) => child.type === 'PROMISE'));
  console.log(`  waiting on a promise: ${waiting.length} contexts (the abandoned /export requests)`);
}

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  log(`listening on 127.0.0.1:${port}`); // no request here: the logger prints [-]

  console.log('\n3 concurrent requests, logs interleave but each line knows its request:');
  let wrong = await fire(port, 3, 'demo');

  console.log('\n30 more concurrent requests (logging off)...');
  setEnabled(false);
  wrong += await fire(port, 30, 'load');
  console.log(`requests: 33, wrong contexts: ${wrong}, exports stuck in the queue: ${stuckJobs.length}`);

  console.log('\n1 request to /slow, which blocks the event loop for 300 ms:');
  await request(port, '/slow', { 'x-request-id': 'slow-1' });

  server.closeIdleConnections();
  await new Promise(setImmediate);
  printMonitor();
  process.exitCode = wrong === 0 ? 0 : 1;
  server.close(); // nothing else keeps the process alive: it exits by itself
});
