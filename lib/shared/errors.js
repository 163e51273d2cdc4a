'use strict';
// Node-style argument errors for every face that follows Node's conventions: a TypeError with `code` ERR_INVALID_ARG_TYPE
// and Node's message shape ('The "fn" argument must be of type function. Received type number (5)'),
// so code that matches on Node's errors keeps working.

const { inspect } = require('util');

function truncate(text) {
  return text.length > 28 ? `${text.slice(0, 25)}...` : text;
}

// What Node's ERR_INVALID_ARG_TYPE says after "Received".
function describeReceived(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'function':
      return `function ${value.name}`;
    case 'object':
      if (value.constructor && typeof value.constructor.name === 'string' && value.constructor.name !== '') {
        return `an instance of ${value.constructor.name}`;
      }
      return inspect(value, { depth: -1 });
    case 'string': {
      const text = truncate(value);
      return text.includes("'") ? `type string (${JSON.stringify(text)})` : `type string ('${text}')`;
    }
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'bigint':
      return `type bigint (${value}n)`;
    default:
      return `type ${typeof value} (${truncate(inspect(value, { colors: false }))})`;
  }
}

function invalidArgType(name, expected, value) {
  const error = new TypeError(`The "${name}" argument must be of type ${expected}. Received ${describeReceived(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function validateFunction(value, name) {
  if (typeof value !== 'function') throw invalidArgType(name, 'function', value);
}

module.exports = { invalidArgType, validateFunction, describeReceived };
