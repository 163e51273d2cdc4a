// Compiled by types.test.js: the root API from an ES module (module node16), where the
// `import` condition of the exports map applies.
import Context, { ExecutionContext, ExecutionContextError } from 'native-execution-context';
import type { MonitorReport } from 'native-execution-context';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

const value = Context.run(() => 1, { requestId: 'esm' });
expectType<Equal<typeof value, number>>();
const id = Context.get<{ requestId: string }>().requestId;
expectType<Equal<typeof id, string>>();
Context.configure({ monitor: true });
const report: MonitorReport = Context.monitor();
const own: ExecutionContext = new ExecutionContext();
const isError = (error: unknown): boolean => error instanceof ExecutionContextError;

export { report, own, isError };
