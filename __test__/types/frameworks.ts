// Compiled by types.test.js: the express, koa, fastify and monitor subpaths.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyPluginCallback, type FastifyRequest } from 'fastify';
import Context from 'native-execution-context';
import { contextMiddleware as expressContext, type ContextMiddleware, type RequestContext } from 'native-execution-context/express';
import { contextMiddleware as koaContext } from 'native-execution-context/koa';
import { contextPlugin, type ContextPluginOptions } from 'native-execution-context/fastify';
import { formatMonitor, formatDuration, watchStalls, type FormatMonitorOptions } from 'native-execution-context/monitor';
import type { AllThreadsMonitorReport, MonitorReport, Stall, StallWatch } from 'native-execution-context';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

// Express (structurally: any (req, res, next) stack, plain node:http included).
const middleware: ContextMiddleware = expressContext({
  header: 'x-correlation-id',
  generateId: (req, res) => `${req.method}-${res.statusCode}`,
  context: (req) => ({ path: req.url }),
});
createServer((req, res) => middleware(req, res, () => res.end(Context.get<RequestContext>().requestId)));
expectType<Equal<typeof middleware, (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void>>();
expressContext({ header: false, generateId: () => 7 });

// A request type of the app's own (like express.Request) flows into the callbacks.
interface AppRequest extends IncomingMessage {
  user: { id: string };
}
const typedMiddleware = expressContext<AppRequest, ServerResponse>({ context: (req) => ({ user: req.user.id }) });
expectType<Equal<Parameters<typeof typedMiddleware>[0], AppRequest>>();

// Koa (structurally: anything with `headers`).
const koaMiddleware = koaContext({ context: (ctx) => ({ agent: ctx.headers['user-agent'] }) });
const chained: Promise<unknown> = koaMiddleware({ headers: {} }, async () => undefined);

// Fastify, with its own types (exactly: an unresolved fastify type would make this any).
expectType<Equal<typeof contextPlugin, FastifyPluginCallback<ContextPluginOptions>>>();
async function fastifyApp() {
  const app = Fastify();
  await app.register(contextPlugin);
  await app.register(contextPlugin, {
    header: 'x-request-id',
    generateId: (request: FastifyRequest) => request.id,
    context: (request) => ({ route: request.url }),
  });
  app.get('/', async () => Context.get<RequestContext>());
  return app;
}

// Monitor.
Context.configure({ monitor: true });
expectType<Equal<typeof formatMonitor, (report: MonitorReport | AllThreadsMonitorReport, options?: FormatMonitorOptions) => string>>();
const tree: string = formatMonitor(Context.monitor(), { now: Date.now(), stuckAfter: 10_000, maxContexts: 20, maxAges: 3, title: 'app' });
const age: string = formatDuration(1500);

// Stall watchdog: the root face's and /monitor's are the same function.
const watch: StallWatch = Context.watchStalls<RequestContext>({
  thresholdMs: 200,
  stderr: false,
  onStall(stall) {
    expectType<Equal<typeof stall, Stall<RequestContext>>>();
    const id: string | undefined = stall.context?.requestId;
    const where: string = stall.inContext ? `${stall.label ?? stall.frameId} ${stall.type} ${stall.asyncId}` : 'outside';
    const took: number = stall.durationMs + (stall.ageMs ?? 0);
    void [id, where, took];
  },
});
watch.stop();
watchStalls().stop();

export { chained, fastifyApp, tree, age };
