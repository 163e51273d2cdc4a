// Compiled by types.test.js when lib/otel/index.d.ts exists: the OpenTelemetry face, against
// @opentelemetry/api's own types (linked as a peer dependency).
import { EventEmitter } from 'node:events';
import { context, createContextKey, ROOT_CONTEXT, type ContextManager } from '@opentelemetry/api';
import Context from 'native-execution-context';
import { NativeContextManager, traceLabel } from 'native-execution-context/otel';

const manager: ContextManager = new NativeContextManager().enable();
context.setGlobalContextManager(manager);

const key = createContextKey('tenant');
const length: number = manager.with(ROOT_CONTEXT.setValue(key, 'acme'), (prefix: string, n: number) => prefix.length + n, undefined, 'x', 1);
const bound: (id: number) => string = manager.bind(ROOT_CONTEXT, (id: number) => String(id));
const emitter: EventEmitter = manager.bind(ROOT_CONTEXT, new EventEmitter());
const disabled: NativeContextManager = new NativeContextManager().disable();

const label: (context: { requestId: string }) => string = traceLabel((labelled: { requestId: string }) => labelled.requestId);
const other = traceLabel('-', { instance: new Context.ExecutionContext() });
Context.configure({ monitor: { label: traceLabel() } });

export { length, bound, emitter, disabled, label, other };
