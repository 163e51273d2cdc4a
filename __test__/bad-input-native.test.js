'use strict';

// The native boundary with bad input: every binding function called with wrong types, missing
// arguments and unknown engine ids, and the event log fed random records (unknown kinds, NaN,
// infinities, negative, fractional and huge ids, counts past the buffer). Nothing panics into
// an abort or hangs; malformed records are skipped; and whatever the sequence of well-formed
// events, the execution map and the context tree stay consistent (every live map entry is
// reported under its context) and drain to empty once every frame is released and collected
// and every resource has ended. Runs on a separate native engine of this thread.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fc = require('fast-check');

const binding = require('../binding.js');

const layout = binding.logLayout();
const KINDS = {
  frameOpen: layout.frameOpen,
  init: layout.init,
  settled: layout.settled,
  after: layout.after,
  frameRelease: layout.frameRelease,
  frameCollected: layout.frameCollected,
  frameWatch: layout.frameWatch,
};
const RUNS = Number(process.env.RELIABILITY_NATIVE_RUNS) || 600;

let engineId = binding.openTracker(0);
// An engine's ring of log buffers (native memory) and the one to write now, asked afresh each
// time: the garbage calls below may submit this engine's buffer (1.5 reads as id 1).
const logOf = (engine) => binding.openLog(engine);
const buffer = logOf(engineId).buffers[0];

// Writes `records` into the engine's current buffer, then hands it to the applier thread
// (`submit`, every other call) or applies it at once (`drain`); a drain also applies whatever
// was submitted before, so both paths must give the same tree.
let writes = 0;
function write(records) {
  const log = logOf(engineId);
  const into = log.buffers[log.current];
  into.fill(0);
  records.forEach((record, i) => {
    for (let k = 0; k < layout.stride; k++) into[i * layout.stride + k] = record[k] ?? 0;
  });
  writes += 1;
  if (writes % 2 === 0) {
    binding.submit(engineId, records.length);
    return binding.drain(engineId, 0);
  }
  return binding.drain(engineId, records.length);
}

function consistent(label) {
  const stats = binding.trackerStats(engineId);
  const report = binding.monitor(engineId);
  assert.equal(report.size, stats.mapSize, `${label}: report size`);
  assert.equal(report.contexts, stats.contexts, `${label}: report contexts`);
  assert.equal(report.entries.length, stats.contexts, `${label}: one entry per context`);
  const reported = report.entries.reduce((sum, entry) => sum + entry.children.length, 0);
  assert.equal(reported, stats.mapSize, `${label}: every live resource is reported under its context`);
  return stats;
}

const GARBAGE = [undefined, null, -1, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53, '1', {}, [], () => {}, Symbol('s'), 1n, new Float64Array(3), new Float32Array(8)];

test('every binding function with wrong types, missing arguments and unknown ids throws an Error, never aborts', () => {
  const calls = {
    drain: (a, b) => binding.drain(a, b),
    submit: (a, b) => binding.submit(a, b),
    openLog: (a) => binding.openLog(a),
    monitor: (a, b) => binding.monitor(a, b),
    trackerStats: (a) => binding.trackerStats(a),
    openTracker: (a) => binding.openTracker(a),
    setMonitoredSlots: (a, b) => binding.setMonitoredSlots(a, b),
    monitorAll: (a) => binding.monitorAll(a),
    monitoredFrames: (a) => binding.monitoredFrames(a),
    publish: (a, b, c) => binding.publish(a, b, [c], [c], b),
  };
  let threw = 0;
  for (const [name, call] of Object.entries(calls)) {
    for (const a of GARBAGE) {
      for (const b of [undefined, buffer, ...GARBAGE.slice(0, 6)]) {
        try {
          call(a, b, 10);
        } catch (error) {
          threw += 1;
          assert.ok(error instanceof Error, `${name}: threw a non-Error`);
        }
      }
    }
  }
  assert.ok(threw > 100);
  assert.throws(() => binding.trackerStats(0), /no tracker with id 0/);
  assert.throws(() => binding.drain(engineId + 100000, 1), /no tracker with id/);
  assert.throws(() => binding.submit(engineId + 100000, 1), /no tracker with id/);
  assert.throws(() => binding.openLog(engineId + 100000), /no tracker with id/);
  // Frame references belong to a tracker of this thread: an unknown id is an error, not a new table.
  assert.throws(() => binding.trackFrame(engineId + 100000, {}, 1), /no tracker with id/);
  assert.throws(() => binding.frameObjects(engineId + 100000, [1]), /no tracker with id/);
  assert.throws(() => binding.panicForTest(Symbol('not a string')), Error);
  // Counts beyond the buffer are clamped, not read out of bounds.
  assert.doesNotThrow(() => binding.drain(engineId, 4294967295));
  const log = logOf(engineId);
  const next = binding.submit(engineId, 4294967295);
  assert.ok(Number.isInteger(next) && next >= 0 && next < log.buffers.length && next !== log.current);
  // The returned typed arrays and layout are what the async hook and event log expect.
  assert.ok(log.buffers.length >= 2);
  for (const each of log.buffers) assert.ok(each instanceof Float64Array && each.length === layout.stride * layout.capacity);
  consistent('after garbage calls');
});

const id = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 12 }), weight: 8 }, { arbitrary: fc.constant(0), weight: 1 });
const wellFormed = fc.oneof(
  fc.tuple(fc.constant(KINDS.frameOpen), id, id, fc.integer({ min: 0, max: 3 }), fc.nat(100), fc.constantFrom(0, 1), fc.constant(0), fc.double()),
  // Frame 0 included: the async hook never writes it, and the tracker ignores it (see the last test).
  fc.tuple(fc.constant(KINDS.init), id.map((n) => n + 100), id, fc.nat(5), fc.constantFrom(0, 1), fc.constant(0), fc.double()),
  fc.tuple(fc.constantFrom(KINDS.settled, KINDS.after), id.map((n) => n + 100)),
  fc.tuple(fc.constantFrom(KINDS.frameRelease, KINDS.frameCollected, KINDS.frameWatch), id),
);
const junkNumber = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0.5, 2 ** 53, 2 ** 64, Number.MAX_VALUE));
const malformed = fc.oneof(
  fc.tuple(fc.oneof(junkNumber, fc.integer({ min: 8, max: 1000 })), junkNumber, junkNumber, junkNumber, junkNumber, junkNumber, junkNumber, junkNumber),
  fc.tuple(fc.constantFrom(...Object.values(KINDS)), junkNumber, junkNumber, junkNumber, junkNumber, junkNumber, junkNumber, junkNumber),
);

test('random batches of well-formed and malformed records keep the map and the tree consistent, and everything drains at the end', () => {
  let records = 0;
  fc.assert(
    fc.property(fc.array(fc.oneof({ arbitrary: wellFormed, weight: 4 }, { arbitrary: malformed, weight: 1 }), { maxLength: 300, size: 'medium' }), (batch) => {
      engineId = binding.openTracker(0); // a fresh engine per batch, so that a failure shrinks alone
      for (let i = 0; i < batch.length; i += layout.capacity) write(batch.slice(i, i + layout.capacity));
      records += batch.length;
      consistent('after a random batch');
      // Clean-up: every resource ends, every frame is released and collected.
      const cleanup = [];
      for (let n = 100; n <= 112; n++) cleanup.push([KINDS.settled, n]);
      for (let n = 0; n <= 12; n++) cleanup.push([KINDS.frameRelease, n], [KINDS.frameCollected, n]);
      write(cleanup);
      const stats = consistent('after clean-up');
      assert.equal(stats.mapSize, 0, 'the execution map drains');
      assert.equal(stats.contexts, 0, 'the context tree drains');
    }),
    { numRuns: RUNS },
  );
  assert.ok(records > RUNS * 10);
});

test('a very long chain of nested frames finishes without recursion when its root is released last', () => {
  const depth = 200000;
  for (let start = 1; start <= depth; start += layout.capacity) {
    const records = [];
    for (let frame = start; frame < start + layout.capacity && frame <= depth; frame++) records.push([KINDS.frameOpen, frame, frame - 1, 0, 1, 1, 0, 0]);
    write(records);
  }
  assert.equal(binding.trackerStats(engineId).contexts, depth);
  for (let start = depth; start >= 1; start -= layout.capacity) {
    const records = [];
    for (let frame = start; frame > start - layout.capacity && frame >= 1; frame--) records.push([KINDS.frameRelease, frame]);
    write(records);
  }
  assert.equal(binding.trackerStats(engineId).contexts, 0);
});

test('an Init record under frame 0 (never written by the async hook) is skipped or reported, not kept unreachable', () => {
  engineId = binding.openTracker(0);
  write([[KINDS.init, 101, 0, 0, 0, 0, 0]]);
  consistent('after Init under frame 0');
});
