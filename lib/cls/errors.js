'use strict';
// Errors thrown in a namespace's runs carry its context, as cls-hooked's do (`error['error@context']`),
// without crashing on primitives or frozen objects.

const ERROR_SYMBOL = 'error@context';

function isObject(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

// Records `context` for `error` in the namespace's own map `byError` (what fromException reads
// first) and, where the error takes it, under ERROR_SYMBOL.
function decorate(error, context, byError) {
  if (!isObject(error)) return;
  byError.set(error, context);
  try {
    error[ERROR_SYMBOL] = context;
  } catch {
    // Frozen, sealed or hostile: the namespace's own record (fromException) still has it.
  }
}

module.exports = { ERROR_SYMBOL, isObject, decorate };
