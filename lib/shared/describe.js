'use strict';
// Why: the faces' own argument messages ("..., got null") name a wrong value the same short way;
// Node-style ERR_INVALID_ARG_TYPE messages use errors.js's describeReceived instead.

// 'null' or the typeof: what async-context's and domain's messages say (an array is 'object').
function describeType(value) {
  return value === null ? 'null' : typeof value;
}

// Like describeType, but an array is 'an array': the root face's, the framework integrations'
// and formatMonitor's messages (their options must be plain objects, so arrays are named).
function describe(value) {
  if (Array.isArray(value)) return 'an array';
  return describeType(value);
}

module.exports = { describe, describeType };
