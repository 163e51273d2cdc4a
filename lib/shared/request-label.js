'use strict';
// Why: a monitor report names a context opened by the /express, /koa or /fastify middleware
// `<METHOD> <path> <requestId>`, and that string is built when a report is taken, never per
// request. The middleware keeps the request line (the method and URL strings the framework already
// has) on the request's context under REQUEST_LINE; the root face's default label reads it there,
// without importing an integration.
//
// REQUEST_LINE is registered (Symbol.for), so two copies of this package loaded side by side share
// it as they share the instance. The property is non-enumerable: JSON.stringify, Object.keys,
// spreads, Object.assign and assert.deepStrictEqual do not see it. Only the two strings are kept,
// not the request object: a context that outlives its request (held by a timer it started, or by
// the application) does not keep the request, its body and its response alive.

const REQUEST_LINE = Symbol.for('native-execution-context.request-line@1');

class RequestLine {
  constructor(method, url) {
    this.method = method;
    this.url = url;
  }
}

// One descriptor reused for every request (filled, used, emptied synchronously): no allocation
// but the RequestLine itself.
const DESCRIPTOR = { value: undefined, configurable: true, enumerable: false, writable: false };

/** Keeps `method` and `url` on `context` (the middleware's own new context object); returns it. */
function attachRequestLine(context, method, url) {
  DESCRIPTOR.value = new RequestLine(method, url);
  Object.defineProperty(context, REQUEST_LINE, DESCRIPTOR);
  DESCRIPTOR.value = undefined;
  return context;
}

/**
 * The label a monitor report gives a context when no label function is configured:
 * `<METHOD> <path> <requestId>` for a context made by a framework middleware (the path without its
 * query string, which may carry secrets; without the id when `requestId` is no longer a string),
 * otherwise `requestId` when it is a string, otherwise undefined (no label).
 */
function defaultLabel(context) {
  if (context === null || typeof context !== 'object') return undefined;
  const requestId = typeof context.requestId === 'string' ? context.requestId : undefined;
  const line = context[REQUEST_LINE];
  if (line === undefined || line === null || typeof line.method !== 'string' || typeof line.url !== 'string') return requestId;
  const query = line.url.indexOf('?');
  const path = query === -1 ? line.url : line.url.slice(0, query);
  return requestId === undefined ? `${line.method} ${path}` : `${line.method} ${path} ${requestId}`;
}

module.exports = { REQUEST_LINE, attachRequestLine, defaultLabel };
