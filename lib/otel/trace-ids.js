'use strict';
// Which trace a request context belongs to, for traceLabel(). A monitor computes labels when a
// report is taken, outside every context, from the context object alone: no span is active
// there. So NativeContextManager notes, each time it makes a Context with a valid span active
// inside a request context, that context object's trace id here (a WeakMap: nothing is kept alive,
// nothing is written onto the user's object). Nothing is noted until a traceLabel() asks for it.
//
// The request contexts are those of the root face's shared instance (the one
// require('native-execution-context') returns and the /express, /koa and /fastify middleware use),
// found under its registered per-thread key (lib/execution-context/shared.js) rather than by
// importing that face, and of any other instance a traceLabel() names.

const { perThread } = require('../shared/per-thread');
const { api } = require('./api');

const STATE_KEY = Symbol.for('native-execution-context.otel.trace-ids@1');
const SHARED_INSTANCE_KEY = Symbol.for('native-execution-context.instance@1');

// Per thread, shared by every copy of this package: a manager of one copy feeds the labels of another.
const state = perThread(STATE_KEY, () => ({ watching: false, shared: false, instances: [], traceIds: new WeakMap() }));

/** From now on, note trace ids for the contexts of `instance` (undefined: the shared instance). */
function watchContexts(instance) {
  if (instance === undefined) state.shared = true;
  else if (!state.instances.includes(instance)) state.instances.push(instance);
  state.watching = true;
}

function noteIn(instance, traceId) {
  if (instance === undefined || !instance.exists()) return;
  const context = instance.get();
  if (context !== null && typeof context === 'object') state.traceIds.set(context, traceId);
}

/** Called with the Context about to be made active; cheap unless a traceLabel() is in use. */
function noteTraceId(context) {
  if (!state.watching) return;
  const spanContext = context === undefined ? undefined : api.trace.getSpanContext(context);
  if (spanContext === undefined || !api.isSpanContextValid(spanContext)) return;
  if (state.shared) noteIn(globalThis[SHARED_INSTANCE_KEY], spanContext.traceId);
  for (const instance of state.instances) noteIn(instance, spanContext.traceId);
}

/** The trace id noted for a request context object, or undefined. */
function traceIdOf(context) {
  return context !== null && typeof context === 'object' ? state.traceIds.get(context) : undefined;
}

module.exports = { watchContexts, noteTraceId, traceIdOf };
