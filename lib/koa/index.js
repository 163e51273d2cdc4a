'use strict';
// The `native-execution-context/koa` face: a middleware that runs the rest of the chain (every
// later middleware, the route, and everything they start) in a context of the shared instance.
//
//   const { contextMiddleware } = require('native-execution-context/koa');
//   app.use(contextMiddleware());                       // first, before anything that needs it
//   // anywhere below, before and after `await next()`: Context.get().requestId

const { requestContextFactory, sharedInstance } = require('../frameworks/request-context');
const { attachRequestLine } = require('../shared/request-label');

function contextMiddleware(options = {}) {
  const contextFor = requestContextFactory('koa', options);
  const instance = sharedInstance();
  // A throw here (from `generateId` or `context`) reaches Koa as a rejected middleware, like
  // any other middleware error.
  return function nativeExecutionContext(ctx, next) {
    // Method and URL kept for monitor labels (`GET /users r-1`).
    return instance.run(next, attachRequestLine(contextFor(ctx.headers, ctx), ctx.method, ctx.originalUrl));
  };
}

module.exports = { contextMiddleware };
