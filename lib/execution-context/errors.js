'use strict';
// Errors of the node-execution-context face, with the exact messages of node-execution-context
// 3.1.0 so that code matching on them keeps working; `.code` is our addition.

const MESSAGES = Object.freeze({
  CONTEXT_DOES_NOT_EXIST: 'Execution context does not exists, please ensure to call create/run before.',
  UPDATE_BLOCKED: 'Calling "update" API is allowed only when provided context is a plain `object`.',
  MONITOR_MISS_CONFIGURATION: 'Monitoring option is off by default, please call `configure` with the proper options.',
});

class ExecutionContextError extends Error {
  constructor(code) {
    super(MESSAGES[code]);
    this.name = 'ExecutionContextError';
    this.code = code;
  }
}

// In production the replaced package logged these and returned undefined instead of throwing.
function reportMisuse(code) {
  const error = new ExecutionContextError(code);
  if (process.env.NODE_ENV !== 'production') throw error;
  console.error(error);
  return undefined;
}

module.exports = { ExecutionContextError, MESSAGES, reportMisuse };
