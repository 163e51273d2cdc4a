'use strict';
// The `native-execution-context/fastify` face: a plugin whose hooks run each request (later
// hooks, the route handler, and everything they start) in a context of the shared instance.
//
//   const { contextPlugin } = require('native-execution-context/fastify');
//   await app.register(contextPlugin, { header: 'x-request-id' });
//   // in any hook after onRequest and in every route: Context.get().requestId
//
// Fastify runs its hook chain as callbacks: `onRequest` opens the context and the chain follows
// it as long as every step continues from where it was called. Fastify 5 also runs body parsers
// in an AsyncResource of the request, but a step that continues from somewhere else (a parser of
// an older Fastify, a hook whose `done` is called back by a pool that is not context-aware) would
// lose it. `preValidation`, the first hook after the body is parsed, therefore puts the request's
// frame back: the same frame, so a `set` made in an earlier hook is still what the handler sees.

const { engine: getEngine } = require('../engine');
const { requestContextFactory, sharedInstance } = require('../frameworks/request-context');
const { attachRequestLine } = require('../shared/request-label');

const engine = getEngine();
const FRAME = Symbol('native-execution-context.frame');

function contextPlugin(fastify, options, done) {
  let contextFor;
  try {
    contextFor = requestContextFactory('fastify', pluginOptions(options));
  } catch (error) {
    done(error);
    return;
  }
  const instance = sharedInstance();

  fastify.addHook('onRequest', function nativeExecutionContextOpen(request, reply, next) {
    let context;
    try {
      context = contextFor(request.headers, request, reply);
    } catch (error) {
      next(error);
      return;
    }
    // Method and URL kept for monitor labels (`GET /users r-1`): the URL as the client sent it.
    const { raw } = request;
    instance.run(() => {
      request[FRAME] = engine.current();
      next();
    }, attachRequestLine(context, raw.method, raw.originalUrl || raw.url));
  });

  fastify.addHook('preValidation', function nativeExecutionContextRestore(request, reply, next) {
    const frame = request[FRAME];
    if (frame === undefined) next();
    else engine.runIn(frame, next);
  });

  done();
}

// Fastify passes register's options with its own keys (prefix, logLevel, ...) mixed in: keep ours.
function pluginOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') return options; // rejected with a message by the factory
  const { header, generateId, context } = options;
  const picked = {};
  if (header !== undefined) picked.header = header;
  if (generateId !== undefined) picked.generateId = generateId;
  if (context !== undefined) picked.context = context;
  return picked;
}

// What fastify-plugin would set: no encapsulation (the hooks apply to the whole application, not
// only to routes registered inside this plugin), a name for errors and the supported versions.
contextPlugin[Symbol.for('skip-override')] = true;
contextPlugin[Symbol.for('fastify.display-name')] = 'native-execution-context';
contextPlugin[Symbol.for('plugin-meta')] = { name: 'native-execution-context', fastify: '>=4.0.0' };

module.exports = { contextPlugin };
