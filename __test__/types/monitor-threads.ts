// Compiled by types.test.js (tsc --strict, module node16): monitor({ threads: 'all' }) and its
// report types, and formatMonitor taking either report.
import Context, { ExecutionContext } from 'native-execution-context';
import type { AllThreadsMonitorReport, MonitorCallOptions, MonitorReport, ThreadMonitorEntry, ThreadMonitorReport } from 'native-execution-context';
import { formatMonitor } from 'native-execution-context/monitor';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

// The option picks the report type; without one, or with 'current', monitor() is unchanged.
const all = Context.monitor({ threads: 'all' });
expectType<Equal<typeof all, AllThreadsMonitorReport>>();
const current = Context.monitor({ threads: 'current' });
expectType<Equal<typeof current, MonitorReport>>();
expectType<Equal<ReturnType<typeof Context.monitor>, MonitorReport | AllThreadsMonitorReport>>();
const plain: MonitorReport = Context.monitor();
const options: MonitorCallOptions = Math.random() > 0.5 ? { threads: 'all' } : {};
const either: MonitorReport | AllThreadsMonitorReport = new ExecutionContext().monitor(options);

// Every entry carries its thread; another thread's label and size may be missing (not published yet).
const thread: ThreadMonitorReport = all.threads[0];
const threadId: number = thread.threadId;
const entry: ThreadMonitorEntry = all.entries[0];
const size: number | undefined = entry.contextSize;
const label: string | undefined = entry.label;
const types: string[] = entry.children.map((child) => child.type);
const workers = all.threads.filter((t) => t.threadId !== 0).map((t) => t.entries.length);

// formatMonitor takes either report.
const text: string = formatMonitor(all, { maxContexts: 10 });
const same: string = formatMonitor(plain);
const maybe: string = formatMonitor(either);

export { current, threadId, size, label, types, workers, text, same, maybe };
