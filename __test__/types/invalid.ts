// Compiled by types.test.js, which expects tsc to fail: each line marked `//! TSxxxx text` must
// produce that error, its message containing `text`, and no other line may fail.
import Context, { ExecutionContextError } from 'native-execution-context';
import { contextMiddleware } from 'native-execution-context/express';
import { contextMiddleware as koaContext } from 'native-execution-context/koa';
import { formatMonitor, watchStalls } from 'native-execution-context/monitor';

Context.config({ monitor: true }); //! TS2339 Property 'config' does not exist on type 'ExecutionContextAPI'
Context.run({ requestId: 'a' }, () => 1); //! TS2353 'requestId' does not exist in type '() => unknown'
Context.run(() => 1); //! TS2554 Expected 2 arguments, but got 1
Context.update('user=ada'); //! TS2345 Argument of type 'string' is not assignable to parameter of type 'object'
Context.configure({ monitor: 'yes' }); //! TS2322 Type 'string' is not assignable to type 'boolean
Context.configure({ strategy: 'threads' }); //! TS2322 Type '"threads"' is not assignable
Context.configure({ monitor: { sample: '10%' } }); //! TS2322 Type 'string' is not assignable to type 'number'
Context.configure({ monitor: { label: (context: unknown) => 42 } }); //! TS2322 Type 'number' is not assignable to type 'string'
const count: number = Context.run(() => 'not a number', {}); //! TS2322 Type 'string' is not assignable to type 'number'
Context.monitor().entries[0].domain; //! TS2339 Property 'domain' does not exist
const codeOf = (error: ExecutionContextError): 'SOMETHING_ELSE' => error.code; //! TS2322 is not assignable to type '"SOMETHING_ELSE"'
contextMiddleware({ header: 42 }); //! TS2322 Type 'number' is not assignable to type 'string | false
contextMiddleware({ generateId: () => ({ id: 1 }) }); //! TS2322 is not assignable to type 'string | number'
koaContext({ context: () => 'fields' }); //! TS2322 Type 'string' is not assignable to type 'Record<string, unknown>'
Context.monitor({ threads: 'every' }); //! TS2769 No overload matches this call
Context.monitor({ threads: 'all' }).entries[0].value; //! TS2339 Property 'value' does not exist on type 'ThreadMonitorEntry'
Context.monitor().threads; //! TS2339 Property 'threads' does not exist on type 'MonitorReport'
formatMonitor('report'); //! TS2345 Argument of type 'string' is not assignable to parameter of type 'MonitorReport | AllThreadsMonitorReport'
Context.watchStalls({ threshold: 200 }); //! TS2561 Object literal may only specify known properties
watchStalls({ onStall: (stall) => stall.durationMs.toUpperCase() }); //! TS2339 Property 'toUpperCase' does not exist on type 'number'
Context.watchStalls().stop(true); //! TS2554 Expected 0 arguments, but got 1

export { count, codeOf };
