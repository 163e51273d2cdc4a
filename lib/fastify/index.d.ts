// Typings of native-execution-context/fastify (they use fastify's own types).
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';

/** The context each request runs in: `requestId` plus whatever `context()` returns. */
export interface RequestContext {
  requestId: string;
  [field: string]: unknown;
}

export interface ContextPluginOptions {
  /**
   * Request header the id is taken from (default 'x-request-id'); `false` always generates one.
   * Empty values and values longer than 200 characters are ignored.
   */
  header?: string | false;
  /** Makes the id of a request without one (default `crypto.randomUUID`). */
  generateId?: (request: FastifyRequest, reply: FastifyReply) => string | number;
  /** Extra fields of the context, merged after `requestId`. Synchronous. */
  context?: (request: FastifyRequest, reply: FastifyReply) => Record<string, unknown> | undefined;
}

/**
 * A Fastify plugin (not encapsulated, like fastify-plugin's) that runs each request's hooks from
 * onRequest on and its route handler in its own context of the shared instance:
 * `await app.register(contextPlugin, { header: 'x-request-id' })`.
 */
export declare const contextPlugin: FastifyPluginCallback<ContextPluginOptions>;
