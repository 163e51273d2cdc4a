// Compiled by types.test.js (tsc --strict, module node16, CommonJS). The root API, as a user
// project imports it from node_modules.
import Context, { ExecutionContext, ExecutionContextError } from 'native-execution-context';
import type { ExecutionContextAPI, ExecutionContextConfig, MonitorOptions, MonitorReport, MonitorEntry, MonitorChild, ExecutionContextErrorCode } from 'native-execution-context';

// Exact type equality: Equal<A, B> is true only when A and B are the same type.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

interface RequestContext {
  requestId: string;
  user?: string;
}

// run<T>(fn: () => T, context): T, for sync and async functions.
const sync = Context.run(() => 42, { requestId: 'a' });
expectType<Equal<typeof sync, number>>();
const async = Context.run(async () => 'done', { requestId: 'b' });
expectType<Equal<typeof async, Promise<string>>>();
const nothing = Context.run(() => {}, undefined);
expectType<Equal<typeof nothing, void>>();

// get<T>() infers the asked type, any without one.
const typed = Context.get<RequestContext>();
expectType<Equal<typeof typed, RequestContext>>();
const loose = Context.get();
expectType<Equal<typeof loose, any>>();

Context.set({ requestId: 'c' });
Context.update({ user: 'ada' });
Context.create({ requestId: 'd' });
const exists: boolean = Context.exists();

// configure exists (with the documented options); the replaced package's `config` does not.
Context.configure({ monitor: true });
Context.configure({ strategy: 'async-context-frame' });
const config: ExecutionContextConfig = { monitor: false, strategy: 'resource' };
Context.configure(config);
// configure() with no argument changes nothing; the monitor option's object form.
Context.configure();
Context.configure({ monitor: { sample: 0.1, label: (context: RequestContext) => `${context.requestId} ${context.user ?? '-'}` } });
Context.configure({ monitor: {} });
const options: MonitorOptions<RequestContext> = { label: (context) => context.requestId };
Context.configure({ monitor: options });
// @ts-expect-error: `config` was the replaced package's typo; the method is `configure`.
Context.config({ monitor: true });

// The monitor report is typed all the way down.
const report: MonitorReport = Context.monitor();
const entry: MonitorEntry | undefined = report.entries[0];
const child: MonitorChild | undefined = entry?.children[0];
const fields: [number, number, Record<string, number>, boolean | undefined, string | undefined, number | undefined, string | undefined] = [
  report.size,
  report.contexts,
  report.byType,
  entry?.running,
  child?.type,
  report.oldest?.duration,
  entry?.label,
];

// Independent instances and the error class.
const own: ExecutionContext = new Context.ExecutionContext();
const other = new ExecutionContext();
expectType<Equal<ReturnType<typeof other.run<string>>, string>>();
own.run(() => own.get<RequestContext>().requestId, { requestId: 'e' });
try {
  Context.get();
} catch (error) {
  if (error instanceof ExecutionContextError) {
    const code: ExecutionContextErrorCode = error.code;
    expectType<Equal<typeof code, 'CONTEXT_DOES_NOT_EXIST' | 'UPDATE_BLOCKED' | 'MONITOR_MISS_CONFIGURATION'>>();
    const name: 'ExecutionContextError' = error.name;
  }
}

// `default` is the instance itself.
const api: ExecutionContextAPI = Context.default;

export { sync, async, nothing, typed, loose, exists, fields, api };
