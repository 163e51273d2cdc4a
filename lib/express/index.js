'use strict';
// The `native-execution-context/express` face: a middleware that runs each request (every later
// middleware, the route, and everything they start) in its own context of the shared instance.
//
//   const { contextMiddleware } = require('native-execution-context/express');
//   app.use(contextMiddleware());                       // first, before anything that needs it
//   // anywhere below: require('native-execution-context').get().requestId

const { requestContextFactory, sharedInstance } = require('../frameworks/request-context');
const { attachRequestLine } = require('../shared/request-label');

function contextMiddleware(options = {}) {
  const contextFor = requestContextFactory('express', options);
  const instance = sharedInstance();
  return function nativeExecutionContext(req, res, next) {
    let context;
    try {
      context = contextFor(req.headers, req, res);
    } catch (error) {
      next(error);
      return;
    }
    // Method and URL kept for monitor labels (`GET /users r-1`); originalUrl: the full path, also
    // when the middleware is mounted under a prefix.
    instance.run(next, attachRequestLine(context, req.method, req.originalUrl || req.url));
  };
}

module.exports = { contextMiddleware };
