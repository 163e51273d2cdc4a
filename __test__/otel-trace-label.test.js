'use strict';
// traceLabel() of native-execution-context/otel: a monitor label function that names a context
// by the trace id of the span active where it is asked, through our ContextManager.

const { test, before, after } = require('node:test');
const assert = require('assert/strict');
const { setTimeout: sleep } = require('timers/promises');

const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const Context = require('..');
const { NativeContextManager, traceLabel } = require('../lib/otel');

const tracer = new BasicTracerProvider().getTracer('trace-label test');
const TRACE_ID = /^[0-9a-f]{32}$/;

before(() => {
  assert.equal(api.context.setGlobalContextManager(new NativeContextManager()), true);
});
after(() => {
  api.context.disable();
});

test('inside an active span, the label is the span\'s trace id, after awaits too', async () => {
  const label = traceLabel();
  await tracer.startActiveSpan('request', async (span) => {
    assert.match(label({ requestId: 'r-1' }), TRACE_ID);
    await sleep(1);
    assert.equal(label({ requestId: 'r-1' }), span.spanContext().traceId);
    span.end();
  });
});

test('outside any span, the label is the placeholder \'-\' or the fallback given', () => {
  assert.equal(traceLabel()({ requestId: 'r-1' }), '-');
  assert.equal(traceLabel('no trace')({ requestId: 'r-1' }), 'no trace');
  assert.equal(traceLabel((context) => `request ${context.requestId}`)({ requestId: 'r-1' }), 'request r-1');
});

test('an invalid span context is no trace: the fallback is used', () => {
  const invalid = api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
  const label = traceLabel('none');
  assert.equal(api.context.with(api.trace.setSpan(api.context.active(), invalid), () => label({})), 'none');
});

test('concurrent requests each get their own trace id, with the request context beside it', async () => {
  const label = traceLabel((context) => context.requestId);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => Context.run(() => tracer.startActiveSpan(`request ${i}`, async (span) => {
    await sleep(i % 4);
    const seen = { id: span.spanContext().traceId, label: label(Context.get()) };
    span.end();
    return seen;
  }), { requestId: `r-${i}` })));
  for (const { id, label: seen } of results) assert.equal(seen, id);
  assert.equal(new Set(results.map((result) => result.id)).size, 50);
  assert.equal(Context.run(() => label(Context.get()), { requestId: 'r-outside' }), 'r-outside');
});

test('the contextManager argument reads another manager than the global one', () => {
  const own = new NativeContextManager();
  const label = traceLabel('-', own);
  tracer.startActiveSpan('global only', (span) => {
    assert.equal(label({}), '-');
    span.end();
  });
  const span = tracer.startSpan('own');
  assert.equal(own.with(api.trace.setSpan(api.ROOT_CONTEXT, span), () => label({})), span.spanContext().traceId);
  span.end();
  own.disable();
});

test('bad arguments throw a TypeError when the label is made', () => {
  assert.throws(() => traceLabel(42), { name: 'TypeError', message: /fallback must be a string or a function, got number/ });
  assert.throws(() => traceLabel(null), { name: 'TypeError', message: /got null/ });
  assert.throws(() => traceLabel('-', {}), { name: 'TypeError', message: /contextManager must have an active\(\) method/ });
});
