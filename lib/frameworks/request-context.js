'use strict';
// What the Express, Koa and Fastify faces share: their options and the context object of one
// request. Each request runs in a context of the shared instance (the one
// `require('native-execution-context')` returns), so `Context.get()` works anywhere below the
// middleware with no `req` in sight.

const { randomUUID } = require('crypto');
const { sharedInstance } = require('../execution-context/shared');
const { describe } = require('../shared/describe');

// Longest incoming id that is honoured; longer (or empty) header values get a generated id, so a
// client cannot make every log line carry kilobytes of its choosing.
const MAX_ID_LENGTH = 200;

// Validates the options once, at middleware creation, and returns
// `contextFor(headers, first, second)`: the new context of one request. `first` and `second` are
// what the framework hands a middleware ((req, res), (ctx) or (request, reply)); `generateId` and
// `context` get them (named, not a rest parameter: no array per request; Koa's one argument is
// passed alone). The default id is `randomUUID()` called with no arguments (it takes an options
// object, which a request is not).
function requestContextFactory(face, options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`native-execution-context/${face}: options must be an object, got ${describe(options)}`);
  }
  const { header = 'x-request-id', generateId, context: extraFields } = options;
  if (header !== false && (typeof header !== 'string' || header.length === 0)) {
    throw new TypeError(`native-execution-context/${face}: "header" must be a header name or false, got ${describe(header)}`);
  }
  if (generateId !== undefined && typeof generateId !== 'function') {
    throw new TypeError(`native-execution-context/${face}: "generateId" must be a function, got ${describe(generateId)}`);
  }
  if (extraFields !== undefined && typeof extraFields !== 'function') {
    throw new TypeError(`native-execution-context/${face}: "context" must be a function, got ${describe(extraFields)}`);
  }
  const headerName = header === false ? false : header.toLowerCase();

  return function contextFor(headers, first, second) {
    let requestId;
    if (headerName !== false) {
      let value = headers[headerName];
      if (Array.isArray(value)) value = value[0];
      if (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) requestId = value;
    }
    if (requestId === undefined && generateId === undefined) {
      requestId = randomUUID();
    } else if (requestId === undefined) {
      const id = second === undefined ? generateId(first) : generateId(first, second);
      if (typeof id === 'string') requestId = id;
      else if (typeof id === 'number') requestId = String(id); // a counter is a fine id
      else throw new TypeError(`native-execution-context/${face}: "generateId" must return a string or a number, got ${describe(id)}`);
    }
    const context = { requestId };
    if (extraFields !== undefined) {
      const fields = second === undefined ? extraFields(first) : extraFields(first, second);
      if (fields !== undefined && fields !== null) {
        if (typeof fields !== 'object' || Array.isArray(fields) || typeof fields.then === 'function') {
          throw new TypeError(
            `native-execution-context/${face}: "context" must return a plain object (synchronously) or undefined, got ${typeof fields.then === 'function' ? 'a promise' : describe(fields)}`,
          );
        }
        Object.assign(context, fields);
      }
    }
    return context;
  };
}

module.exports = { requestContextFactory, sharedInstance, MAX_ID_LENGTH };
