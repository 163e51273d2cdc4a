'use strict';
// Context across a service boundary: two Express apps on loopback, each with our /express
// middleware and OpenTelemetry on our NativeContextManager. A puts a tenant and a request id into
// its request context, and its call to B carries `traceparent` and `baggage` written by
// OpenTelemetry's own W3C propagators; B's middleware extracts them into B's request context, so
// B's handler reads A's trace id and tenant with Context.get(). 200 requests at once, none crossed.

const { test, before, after } = require('node:test');
const assert = require('assert/strict');
const http = require('http');
const { setTimeout: sleep } = require('timers/promises');

const express = require('express');
const api = require('@opentelemetry/api');
const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } = require('@opentelemetry/core');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const Context = require('..');
const { contextMiddleware } = require('../lib/express');
const { NativeContextManager } = require('../lib/otel');

const { context, propagation, trace, SpanKind, ROOT_CONTEXT } = api;
const tracer = new BasicTracerProvider().getTracer('cross-service test');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CONCURRENT = 200;

// Pooled keep-alive sockets on both hops, fewer than the requests: sockets are reused and
// requests wait for one, so a context that stuck to a socket would show up as a crossed value.
const toA = new http.Agent({ keepAlive: true, maxSockets: 50 });
const toB = new http.Agent({ keepAlive: true, maxSockets: 20 });

function getJson(port, path, headers, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, json: JSON.parse(body) });
        } catch (error) {
          reject(new Error(`${res.statusCode} ${body}`, { cause: error }));
        }
      });
    });
    req.on('error', reject);
  });
}

// A server span around the rest of the request, with `parent` as its parent context.
function serverSpan(name, parent) {
  return (req, res, next) => {
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent(req));
    res.on('finish', () => span.end());
    context.with(trace.setSpan(parent(req), span), next);
  };
}

// Service B: its request context holds what A sent, extracted by OpenTelemetry's propagators.
const upstream = (req) => propagation.extract(ROOT_CONTEXT, req.headers);
const serviceB = express();
serviceB.use(contextMiddleware({
  context: (req) => {
    const extracted = upstream(req);
    const baggage = propagation.getBaggage(extracted);
    return {
      traceId: trace.getSpanContext(extracted)?.traceId,
      tenant: baggage?.getEntry('tenant')?.value,
      upstreamRequestId: baggage?.getEntry('request.id')?.value,
    };
  },
}));
serviceB.use(serverSpan('B GET /quote', upstream));
serviceB.get('/quote', async (req, res) => {
  await sleep(Math.floor(Math.random() * 5));
  await new Promise((resolve) => setImmediate(resolve));
  const span = trace.getActiveSpan();
  res.json({
    ...Context.get(),
    activeTraceId: span.spanContext().traceId,
    parentSpanId: span.parentSpanContext?.spanId,
  });
});

// Service A: its request context holds the caller's tenant; its span and baggage go to B.
let portB;
const serviceA = express();
serviceA.use(contextMiddleware({ context: (req) => ({ tenant: req.headers['x-tenant'] }) }));
serviceA.use(serverSpan('A GET /order', () => {
  const { tenant, requestId } = Context.get();
  const baggage = propagation.createBaggage({ tenant: { value: tenant }, 'request.id': { value: requestId } });
  return propagation.setBaggage(context.active(), baggage);
}));
serviceA.get('/order', async (req, res, next) => {
  try {
    await sleep(Math.floor(Math.random() * 5));
    const fromB = await tracer.startActiveSpan('A -> B', { kind: SpanKind.CLIENT }, async (span) => {
      const headers = {};
      propagation.inject(context.active(), headers);
      try {
        return { headers, clientSpanId: span.spanContext().spanId, response: await getJson(portB, '/quote', headers, toB) };
      } finally {
        span.end();
      }
    });
    res.json({
      a: { ...Context.get(), traceId: trace.getActiveSpan().spanContext().traceId },
      ...fromB,
    });
  } catch (error) {
    next(error);
  }
});

let servers = [];
let portA;
const listen = (app) => new Promise((resolve) => {
  const server = app.listen(0, '127.0.0.1', () => resolve(server));
});

before(async () => {
  assert.equal(context.setGlobalContextManager(new NativeContextManager()), true);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  servers = [await listen(serviceA), await listen(serviceB)];
  [portA, portB] = servers.map((server) => server.address().port);
});

after(async () => {
  toA.destroy();
  toB.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  context.disable();
  propagation.disable();
});

test('B\'s handler sees A\'s trace id and tenant through Context.get(), 200 requests at once, none crossed', async () => {
  const sent = Array.from({ length: CONCURRENT }, (_, i) => ({ requestId: `req-${i}`, tenant: `tenant-${i % 37}-${i}` }));
  const responses = await Promise.all(sent.map(({ requestId, tenant }) => getJson(portA, '/order', { 'x-request-id': requestId, 'x-tenant': tenant }, toA)));

  const traceIds = new Set();
  responses.forEach(({ status, json }, i) => {
    const { requestId, tenant } = sent[i];
    assert.equal(status, 200);
    const { a, headers, clientSpanId, response } = json;
    assert.equal(response.status, 200);
    const b = response.json;
    // A's own request context, and its trace.
    assert.deepEqual({ requestId: a.requestId, tenant: a.tenant }, { requestId, tenant });
    assert.match(a.traceId, /^[0-9a-f]{32}$/);
    traceIds.add(a.traceId);
    // What went over the wire, written by the W3C propagators.
    assert.equal(headers.traceparent, `00-${a.traceId}-${clientSpanId}-01`);
    assert.deepEqual(headers.baggage.split(',').sort(), [`request.id=${requestId}`, `tenant=${tenant}`]);
    // B's request context: A's trace id, tenant and request id, beside B's own request id.
    assert.equal(b.traceId, a.traceId);
    assert.equal(b.tenant, tenant);
    assert.equal(b.upstreamRequestId, requestId);
    assert.match(b.requestId, UUID);
    // B's own span continues A's trace, under A's client span.
    assert.equal(b.activeTraceId, a.traceId);
    assert.equal(b.parentSpanId, clientSpanId);
  });
  assert.equal(traceIds.size, CONCURRENT, 'every request has its own trace');
  assert.equal(context.active(), ROOT_CONTEXT);
  assert.equal(Context.exists(), false);
});
