'use strict';
// Express with pino-http: the request id comes from the request's context (the x-request-id
// header, or a new UUID), pino-http's request lines carry it as req.id, and every line logged
// anywhere below, with no `req` in sight, carries the context's fields.
const express = require('express');
const pino = require('pino');
const pinoHttp = require('pino-http');
const Context = require('native-execution-context');
const { contextMiddleware } = require('native-execution-context/express');

const logger = pino({ mixin: () => (Context.exists() ? { ...Context.get() } : {}) }); // a copy: see pino.js

async function loadOrder(id) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  logger.info({ order: id }, 'order loaded'); // no req here: the mixin adds requestId
  return { id, status: 'shipped' };
}

const app = express();
app.use(contextMiddleware()); // first: everything after it runs in the request's context
app.use(pinoHttp({ logger, genReqId: () => Context.get().requestId }));
app.get('/orders/:id', async (req, res) => {
  res.json(await loadOrder(req.params.id));
});

const server = app.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  await Promise.all([
    fetch(`${base}/orders/7`, { headers: { 'x-request-id': 'r-1' } }),
    fetch(`${base}/orders/8`), // no header: /express makes a UUID
  ]).then((responses) => Promise.all(responses.map((res) => res.json())));
  server.close();
});
