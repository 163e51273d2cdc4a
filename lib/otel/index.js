'use strict';
// The `native-execution-context/otel` face: OpenTelemetry's context on the engine.
//
//   const { context } = require('@opentelemetry/api');
//   const { NativeContextManager, traceLabel } = require('native-execution-context/otel');
//   context.setGlobalContextManager(new NativeContextManager().enable());
//   Context.configure({ monitor: { label: traceLabel() } });   // monitor labels show trace ids
//
// Needs @opentelemetry/api (an optional peer dependency). See docs/otel.md.

const { NativeContextManager } = require('./context-manager');
const { traceLabel } = require('./trace-label');

module.exports = { NativeContextManager, traceLabel };
