'use strict';
// One Express server under one adapter, for the HTTP benchmark. Prints `{"port":N}` once
// listening; on SIGTERM prints `{"served":S,"wrong":W}` and exits. The load comes from
// bench/load.js in another process, so the server's CPU is not shared with the client's.
// Usage: node workload-express.js <adapter name>

const express = require('express');
const { adapters } = require('./adapters');

const adapter = adapters[process.argv[2]]();
const app = express();
let served = 0;
let wrong = 0;
let nextId = 0;

app.use((req, res, next) => {
  const ctx = { id: nextId++ };
  req.expected = ctx;
  adapter.run(next, ctx);
});

app.get('/', async (req, res) => {
  await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.resolve();
  const seen = adapter.manual ? req.expected : adapter.get();
  if (seen !== req.expected) wrong += 1;
  served += 1;
  res.json({ id: seen.id });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ served, wrong })}\n`);
  process.exit(0);
});
