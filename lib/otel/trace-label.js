'use strict';
// traceLabel(): a label function for the root face's monitor (`configure({ monitor: { label } })`)
// that names a request context by the trace id of the spans made active inside it, so reports and
// stall warnings can be matched with traces. The trace id comes from what NativeContextManager
// noted (trace-ids.js): the label depends on its argument alone, wherever it is called.

const { watchContexts, traceIdOf } = require('./trace-ids');

const PLACEHOLDER = '-';

/**
 * @param fallback the label of a context with no trace noted: a string, or a function of the
 *   context (`(context) => context.requestId`). Default '-'.
 * @param options `instance`: the ExecutionContext instance whose contexts are labelled (default:
 *   the shared one, which `require('native-execution-context')` returns and the middleware use).
 */
function traceLabel(fallback = PLACEHOLDER, options = {}) {
  if (typeof fallback !== 'string' && typeof fallback !== 'function') {
    throw new TypeError(`native-execution-context/otel: traceLabel's fallback must be a string or a function, got ${fallback === null ? 'null' : typeof fallback}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`native-execution-context/otel: traceLabel's options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { instance } = options;
  if (instance !== undefined && (instance === null || typeof instance.exists !== 'function' || typeof instance.get !== 'function')) {
    throw new TypeError('native-execution-context/otel: traceLabel\'s instance must be an ExecutionContext (with exists() and get())');
  }
  watchContexts(instance);
  return function traceIdLabel(context) {
    const traceId = traceIdOf(context);
    if (traceId !== undefined) return traceId;
    return typeof fallback === 'function' ? String(fallback(context)) : fallback;
  };
}

module.exports = { traceLabel, PLACEHOLDER };
