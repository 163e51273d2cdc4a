'use strict';
// A logger that knows which request it is logging for without ever being handed the request:
// it reads the current execution context. This is the whole point of the library.

const Context = require('..'); // in an app: require('native-execution-context')

let enabled = true;

function log(message) {
  if (!enabled) return;
  // Outside a request (startup, the load driver) there is no context: get() would throw.
  const id = Context.exists() ? Context.get().requestId : '-';
  console.log(`[${id}] ${message}`);
}

// The demo silences per-request lines during the big load so the output stays readable.
function setEnabled(value) {
  enabled = value;
}

module.exports = { log, setEnabled };
