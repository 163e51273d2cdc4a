'use strict';
// `watchStalls` options, validated whole before anything starts.

const { describe } = require('../shared/describe');

const STALL_OPTIONS = ['thresholdMs', 'onStall', 'stderr'];
const DEFAULT_THRESHOLD_MS = 200;
// The native thread polls at least every 50 ms and sleeps between heartbeats: thresholds below
// 10 ms would report the machine's own scheduling noise.
const MIN_THRESHOLD_MS = 10;

function stallOptions(options) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`ExecutionContext.watchStalls expects an options object ({ thresholdMs, onStall, stderr }), got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!STALL_OPTIONS.includes(key)) {
      throw new TypeError(`ExecutionContext.watchStalls: unknown option ${JSON.stringify(key)} (the options are ${STALL_OPTIONS.join(', ')})`);
    }
  }
  const { thresholdMs = DEFAULT_THRESHOLD_MS, onStall, stderr = true } = options;
  if (typeof thresholdMs !== 'number' || Number.isNaN(thresholdMs)) {
    throw new TypeError(`ExecutionContext.watchStalls: "thresholdMs" must be a number of milliseconds, got ${describe(thresholdMs)}`);
  }
  if (!(thresholdMs >= MIN_THRESHOLD_MS && thresholdMs <= 2 ** 31 - 1)) {
    throw new RangeError(`ExecutionContext.watchStalls: "thresholdMs" must be between ${MIN_THRESHOLD_MS} and ${2 ** 31 - 1}, got ${thresholdMs}`);
  }
  if (onStall !== undefined && typeof onStall !== 'function') {
    throw new TypeError(`ExecutionContext.watchStalls: "onStall" must be a function (stall) => void, got ${describe(onStall)}`);
  }
  if (typeof stderr !== 'boolean') {
    throw new TypeError(`ExecutionContext.watchStalls: "stderr" must be a boolean, got ${describe(stderr)}`);
  }
  return { thresholdMs, onStall, stderr };
}

module.exports = { stallOptions, DEFAULT_THRESHOLD_MS };
