'use strict';
// @opentelemetry/api is an optional peer dependency: only this face needs it, and it must be the
// application's own copy (its ROOT_CONTEXT and context keys are what every tracer compares).

function loadApi() {
  try {
    return require('@opentelemetry/api');
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND' && /@opentelemetry\/api/.test(error.message)) {
      const missing = new Error('native-execution-context/otel needs @opentelemetry/api (an optional peer dependency): npm install @opentelemetry/api');
      missing.code = 'MODULE_NOT_FOUND';
      missing.cause = error;
      throw missing;
    }
    throw error;
  }
}

module.exports = { api: loadApi() };
