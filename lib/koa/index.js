'use strict';
// The `native-execution-context/koa` face: a middleware that runs the rest of the chain (every
// later middleware, the route, and everything they start) in a context of the shared instance.
//
//   const { contextMiddleware } = require('native-execution-context/koa');
//   app.use(contextMiddleware());                       // first, before anything that needs it
//   // anywhere below, before and after `await next()`: Context.get().requestId

const { requestContextFactory, sharedInstance } = require('../frameworks/request-context');

function contextMiddleware(options = {}) {
  const contextFor = requestContextFactory('koa', options);
  const instance = sharedInstance();
  // A throw here (from `generateId` or `context`) reaches Koa as a rejected middleware, like
  // any other middleware error.
  return function nativeExecutionContext(ctx, next) {
    return instance.run(next, contextFor(ctx.headers, ctx));
  };
}

module.exports = { contextMiddleware };
