'use strict';
// traceLabel() of native-execution-context/otel: a monitor label function that names a request
// context by the trace id of the spans NativeContextManager made active inside it. A monitor asks
// for labels when a report is taken, outside every context, with the context object alone; the
// label must give the trace id there.

const { test, before, after } = require('node:test');
const assert = require('assert/strict');
const { setTimeout: sleep } = require('timers/promises');

const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const Context = require('..');
const { NativeContextManager, traceLabel } = require('../lib/otel');

const tracer = new BasicTracerProvider().getTracer('trace-label test');
const TRACE_ID = /^[0-9a-f]{32}$/;

// A request: its context, in which a span is made active (as a tracing middleware does), and
// whose work then waits; returns the context object and the span's trace id.
function request(fields, ms = 0) {
  return Context.run(() => tracer.startActiveSpan('request', async (span) => {
    await sleep(ms);
    span.end();
    return { context: Context.get(), traceId: span.spanContext().traceId };
  }), fields);
}

before(() => {
  assert.equal(api.context.setGlobalContextManager(new NativeContextManager()), true);
});
after(() => {
  api.context.disable();
});

test('outside every context, the label of a request context is the trace id of the span made active in it', async () => {
  const label = traceLabel();
  const { context, traceId } = await request({ requestId: 'r-1' });
  assert.match(traceId, TRACE_ID);
  assert.equal(label(context), traceId);
  // As a monitor calls it: outside every context, no span active.
  assert.equal(Context.exists(), false);
  assert.equal(api.trace.getActiveSpan(), undefined);
  assert.equal(label(context), traceId);
});

test('concurrent requests each get their own trace id', async () => {
  const label = traceLabel();
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => request({ requestId: `r-${i}` }, i % 4)));
  for (const { context, traceId } of results) assert.equal(label(context), traceId);
  assert.equal(new Set(results.map((result) => result.traceId)).size, 50);
});

test('a context with no span made active in it gets the placeholder \'-\' or the fallback given', () => {
  const context = Context.run(() => Context.get(), { requestId: 'r-plain' });
  assert.equal(traceLabel()(context), '-');
  assert.equal(traceLabel('no trace')(context), 'no trace');
  assert.equal(traceLabel((labelled) => `request ${labelled.requestId}`)(context), 'request r-plain');
  assert.equal(traceLabel()(undefined), '-');
});

test('a span active before the context opened is not the context\'s: the fallback is used', async () => {
  const label = traceLabel((context) => context.requestId);
  const context = await tracer.startActiveSpan('outer', async (span) => {
    const inner = Context.run(() => Context.get(), { requestId: 'r-inside-a-span' });
    span.end();
    return inner;
  });
  assert.equal(label(context), 'r-inside-a-span');
});

test('an invalid span context is no trace', () => {
  const invalid = api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
  const context = Context.run(() => api.context.with(api.trace.setSpan(api.context.active(), invalid), () => Context.get()), { requestId: 'r-invalid' });
  assert.equal(traceLabel('none')(context), 'none');
});

test('spans made active through bind() count too', () => {
  const span = tracer.startSpan('bound');
  const bound = api.context.bind(api.trace.setSpan(api.ROOT_CONTEXT, span), () => Context.get());
  const context = Context.run(bound, { requestId: 'r-bound' });
  span.end();
  assert.equal(traceLabel()(context), span.spanContext().traceId);
});

test('the instance option labels the contexts of another ExecutionContext instance', async () => {
  const other = new Context.ExecutionContext();
  const label = traceLabel('-', { instance: other });
  const { context, traceId } = await other.run(() => tracer.startActiveSpan('other', async (span) => {
    await sleep(1);
    span.end();
    return { context: other.get(), traceId: span.spanContext().traceId };
  }), { requestId: 'r-other' });
  assert.equal(label(context), traceId);
});

// The root face's `configure({ monitor: { label } })`, where it exists: a report taken after the
// requests' spans were made active names each entry by its trace id.
let labelsSupported = true;
try {
  const probe = new Context.ExecutionContext();
  probe.configure({ monitor: { label: () => '' } });
  probe.configure({ monitor: false });
} catch {
  labelsSupported = false;
}
test('as the monitor\'s label: each live request context is named by its trace id', { skip: !labelsSupported && 'configure({ monitor: { label } }) is not there yet' }, async () => {
  const instance = new Context.ExecutionContext();
  instance.configure({ monitor: { label: traceLabel('-', { instance }) } });
  try {
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const traceIds = [];
    const pending = [1, 2, 3].map((i) => instance.run(() => tracer.startActiveSpan(`stuck ${i}`, async (span) => {
      traceIds.push(span.spanContext().traceId);
      await gate;
      span.end();
    }), { requestId: `stuck-${i}` }));
    await sleep(5);
    const labels = instance.monitor().entries.map((entry) => entry.label);
    assert.deepEqual([...labels].sort(), [...traceIds].sort());
    release();
    await Promise.all(pending);
  } finally {
    instance.configure({ monitor: false });
  }
});

test('bad arguments throw a TypeError when the label is made', () => {
  assert.throws(() => traceLabel(42), { name: 'TypeError', message: /fallback must be a string or a function, got number/ });
  assert.throws(() => traceLabel(null), { name: 'TypeError', message: /got null/ });
  assert.throws(() => traceLabel('-', null), { name: 'TypeError', message: /options must be an object, got null/ });
  assert.throws(() => traceLabel('-', { instance: {} }), { name: 'TypeError', message: /instance must be an ExecutionContext/ });
});
