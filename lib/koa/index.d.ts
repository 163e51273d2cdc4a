// Typings of native-execution-context/koa. Structural, so they need neither @types/koa nor koa's
// own types, and they accept Koa's context.
import type { IncomingHttpHeaders } from 'node:http';

/** What the middleware reads from Koa's `ctx`. */
export interface KoaLikeContext {
  headers: IncomingHttpHeaders;
}

/** The context each request runs in: `requestId` plus whatever `context()` returns. */
export interface RequestContext {
  requestId: string;
  [field: string]: unknown;
}

export interface ContextMiddlewareOptions<Ctx extends KoaLikeContext = KoaLikeContext> {
  /**
   * Request header the id is taken from (default 'x-request-id'); `false` always generates one.
   * Empty values and values longer than 200 characters are ignored.
   */
  header?: string | false;
  /** Makes the id of a request without one (default `crypto.randomUUID`). */
  generateId?: (ctx: Ctx) => string | number;
  /** Extra fields of the context, merged after `requestId`. Synchronous. */
  context?: (ctx: Ctx) => Record<string, unknown> | undefined;
}

export type ContextMiddleware<Ctx extends KoaLikeContext = KoaLikeContext> = (ctx: Ctx, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * A Koa middleware that runs the rest of the chain in its own context of the shared instance,
 * before and after `await next()`. Register it first: `app.use(contextMiddleware())`.
 */
export declare function contextMiddleware<Ctx extends KoaLikeContext = KoaLikeContext>(options?: ContextMiddlewareOptions<Ctx>): ContextMiddleware<Ctx>;
