// Compiled by types.test.js: the root API the CommonJS way, `import = require`, as index.js
// exports it (`module.exports = instance`).
import Context = require('native-execution-context');

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): void {}

const value = Context.run(() => 'x', { requestId: 'cjs' });
expectType<Equal<typeof value, string>>();
Context.configure({ monitor: true });
const report: Context.MonitorReport = Context.monitor();
const own = new Context.ExecutionContext();
const same: Context.ExecutionContextAPI = Context.default;

export { report, own, same };
