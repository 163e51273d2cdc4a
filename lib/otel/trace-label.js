'use strict';
// traceLabel(): a label function for the root face's monitor (`configure({ monitor: { label } })`)
// that names a context by the trace id of the span active where it is called, so the monitor's
// report and its stall warnings can be matched with traces.

const { api } = require('./api');

const PLACEHOLDER = '-';

/**
 * @param fallback what the label is where no valid span is active: a string, or a function of the
 *   labelled context (`(context) => context.requestId`). Default '-'.
 * @param contextManager where the active Context is read (default: OpenTelemetry's global
 *   `context` API, i.e. the registered NativeContextManager).
 */
function traceLabel(fallback = PLACEHOLDER, contextManager = api.context) {
  if (typeof fallback !== 'string' && typeof fallback !== 'function') {
    throw new TypeError(`native-execution-context/otel: traceLabel's fallback must be a string or a function, got ${fallback === null ? 'null' : typeof fallback}`);
  }
  if (contextManager === null || typeof contextManager !== 'object' || typeof contextManager.active !== 'function') {
    throw new TypeError('native-execution-context/otel: traceLabel\'s contextManager must have an active() method');
  }
  return function traceIdLabel(context) {
    const spanContext = api.trace.getSpanContext(contextManager.active());
    if (spanContext !== undefined && api.isSpanContextValid(spanContext)) return spanContext.traceId;
    return typeof fallback === 'function' ? String(fallback(context)) : fallback;
  };
}

module.exports = { traceLabel, PLACEHOLDER };
