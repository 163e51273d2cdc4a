// Typings of native-execution-context/express. Structural (node:http types only), so they need
// neither express nor @types/express, and they accept express's own Request and Response.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The context each request runs in: `requestId` plus whatever `context()` returns. */
export interface RequestContext {
  requestId: string;
  [field: string]: unknown;
}

export interface ContextMiddlewareOptions<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  /**
   * Request header the id is taken from (default 'x-request-id'); `false` always generates one.
   * Empty values and values longer than 200 characters are ignored.
   */
  header?: string | false;
  /** Makes the id of a request without one (default `crypto.randomUUID`). */
  generateId?: (req: Req, res: Res) => string | number;
  /** Extra fields of the context, merged after `requestId`. Synchronous. */
  context?: (req: Req, res: Res) => Record<string, unknown> | undefined;
}

/** An Express (or Connect, or plain `http`) middleware. */
export type ContextMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> = (
  req: Req,
  res: Res,
  next: (error?: unknown) => void,
) => void;

/**
 * A middleware that runs the rest of each request in its own context of the shared instance:
 * `require('native-execution-context').get()` returns `{ requestId, ...fields }` anywhere below it.
 * Register it first: `app.use(contextMiddleware())`.
 */
export declare function contextMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  options?: ContextMiddlewareOptions<Req, Res>,
): ContextMiddleware<Req, Res>;
