'use strict';
// One Express server with OpenTelemetry context under one pairing, for the OpenTelemetry
// benchmark. Each request: a request-context middleware (a request id), then a middleware that
// starts a span (BasicTracerProvider, no exporter) and makes it active for the rest of the
// request; the handler reads the trace id and the request context after 3 async hops.
// Prints `{"port":N}` once listening; on SIGTERM prints `{"served":S,"wrong":W}` and exits.
// Usage: node workload-otel.js <pairing name>

const { randomUUID } = require('crypto');
const path = require('path');
const express = require('express');
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');

const ROOT = path.join(__dirname, '..');

// Each pairing: the OpenTelemetry ContextManager, the request-context middleware and how the
// handler reads the request context.
const pairings = {
  // One engine: our ContextManager and our /express middleware share one frame per request.
  'native-execution-context': () => {
    const { NativeContextManager } = require(path.join(ROOT, 'lib', 'otel'));
    const { contextMiddleware } = require(path.join(ROOT, 'lib', 'express'));
    const Context = require(ROOT);
    return { manager: new NativeContextManager(), middleware: contextMiddleware(), get: () => Context.get() };
  },
  // Two engines: OpenTelemetry's own manager beside node-execution-context, with the same
  // middleware as /express written by hand (an x-request-id header or a random UUID).
  'node-execution-context 3.1.0 + AsyncLocalStorageContextManager': () => {
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
    const Context = require('node-execution-context');
    const middleware = (req, res, next) => Context.run(next, { requestId: req.headers['x-request-id'] || randomUUID() });
    return { manager: new AsyncLocalStorageContextManager(), middleware, get: () => Context.get() };
  },
  // Two stores of Node's own: OpenTelemetry's manager beside a plain AsyncLocalStorage.
  'AsyncLocalStorage + AsyncLocalStorageContextManager': () => {
    const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
    const { AsyncLocalStorage } = require('async_hooks');
    const als = new AsyncLocalStorage();
    const middleware = (req, res, next) => als.run({ requestId: req.headers['x-request-id'] || randomUUID() }, next);
    return { manager: new AsyncLocalStorageContextManager(), middleware, get: () => als.getStore() };
  },
};

function main(name) {
  const pairing = pairings[name]();
  api.context.setGlobalContextManager(pairing.manager.enable());
  const tracer = new BasicTracerProvider().getTracer('bench');

  const app = express();
  let served = 0;
  let wrong = 0;

  app.use(pairing.middleware);
  app.use((req, res, next) => {
    const span = tracer.startSpan('GET /');
    req.expected = { context: pairing.get(), traceId: span.spanContext().traceId };
    res.on('finish', () => span.end());
    api.context.with(api.trace.setSpan(api.context.active(), span), next);
  });

  app.get('/', async (req, res) => {
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.resolve();
    const context = pairing.get();
    const traceId = api.trace.getActiveSpan()?.spanContext().traceId;
    if (context !== req.expected.context || traceId !== req.expected.traceId) wrong += 1;
    served += 1;
    res.json({ requestId: context.requestId, traceId });
  });

  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });

  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ served, wrong })}\n`);
    process.exit(0);
  });
}

module.exports = { pairingNames: Object.keys(pairings) };

if (require.main === module) main(process.argv[2]);
