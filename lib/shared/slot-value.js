'use strict';
// Why: an empty slot reads as undefined, so a face whose users can store `undefined` itself (als
// run(undefined, ...), an AsyncContext.Variable run with undefined) keeps it as the engine's
// UNDEFINED_VALUE: "set to undefined" then differs from "not set" (which reads the default).

const { UNDEFINED_VALUE } = require('../engine');

// What to put in the slot for `value`.
function toSlotValue(value) {
  return value === undefined ? UNDEFINED_VALUE : value;
}

// What a slot's raw content `stored` (engine.valueAt) means: `defaultValue` when nothing is set.
function fromSlotValue(stored, defaultValue) {
  if (stored === undefined) return defaultValue;
  return stored === UNDEFINED_VALUE ? undefined : stored;
}

module.exports = { toSlotValue, fromSlotValue, UNDEFINED_VALUE };
