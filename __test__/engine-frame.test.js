'use strict';

// Frames (lib/engine/frame.js): flat frames and override chains must read the same values as a
// plain map of slot -> value, whatever the mix of dense and sparse slots, removals, chain depth
// and flattening. The faces' property test covers frames through the public API; this pins the
// chain's own rules (depth bound, replaced overrides, flattening) directly.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { DENSE_SLOTS, MAX_OVERRIDES, derivedFrame, readSlot } = require('../lib/engine/frame');

// Derives `frame` with each [slot, value] in turn, checking every read against a Map model.
function deriveAll(steps, slotsToCheck) {
  let frame;
  const model = new Map();
  let id = 0;
  for (const [slot, value] of steps) {
    frame = derivedFrame(++id, frame, slot, value);
    if (value === undefined) model.delete(slot);
    else model.set(slot, value);
    for (const s of slotsToCheck) assert.equal(readSlot(frame, s), model.get(s), `slot ${s} after step ${id}`);
  }
  return frame;
}

function chainLength(frame) {
  let links = 0;
  while (frame.base !== null) {
    links += 1;
    frame = frame.base;
  }
  return links;
}

test('100 nested owners read back their own values at every depth, and chains stay bounded', () => {
  const steps = Array.from({ length: 100 }, (_, slot) => [slot, `v${slot}`]);
  const frame = deriveAll(steps, [0, 1, 7, 8, 9, 50, 98, 99, 100]);
  assert.ok(chainLength(frame) <= MAX_OVERRIDES, `chain of ${chainLength(frame)} links`);
});

test('a frame with no parent is flat, and the first override on it is one link', () => {
  const first = derivedFrame(1, undefined, 3, 'a');
  assert.equal(first.base, null);
  assert.equal(first.slots.length, 4);
  const second = derivedFrame(2, first, 5, 'b');
  assert.equal(second.base, first);
  assert.equal(second.depth, 1);
  assert.equal(readSlot(second, 3), 'a');
  assert.equal(readSlot(second, 5), 'b');
  assert.equal(readSlot(first, 5), undefined, 'the parent is unchanged');
});

test('setting the slot the parent overrides replaces that override: the shadowed value is not kept', () => {
  const outer = derivedFrame(1, undefined, 0, 'outer');
  const request = derivedFrame(2, outer, 1, { request: 1 });
  const inner = derivedFrame(3, request, 1, { request: 2 });
  assert.equal(inner.base, outer, 'based on the frame under the replaced override');
  assert.equal(inner.depth, 1);
  assert.deepEqual(readSlot(inner, 1), { request: 2 });
  assert.equal(readSlot(inner, 0), 'outer');
  assert.deepEqual(readSlot(request, 1), { request: 1 }, 'the parent still reads its own value');
});

test('removing a slot in a chain and across a flattening hides the value', () => {
  const steps = [[0, 'a'], [1, 'b'], [2, 'c']];
  for (let i = 0; i < MAX_OVERRIDES + 3; i++) steps.push([3 + (i % 3), `x${i}`], [1, undefined], [1, `b${i}`]);
  steps.push([0, undefined]);
  deriveAll(steps, [0, 1, 2, 3, 4, 5, 6]);
});

test('sparse slots (beyond the dense part) take overrides, removals and flattening like dense ones', () => {
  const high = DENSE_SLOTS + 5;
  const higher = DENSE_SLOTS + 500;
  const steps = [[2, 'dense'], [high, 'h1'], [higher, 'h2']];
  for (let i = 0; i < 2 * MAX_OVERRIDES; i++) steps.push([i % 2 === 0 ? high : 10 + i, `s${i}`]);
  steps.push([high, undefined], [higher, undefined]);
  const frame = deriveAll(steps, [2, 10, 11, 25, high, higher]);
  // Flattened at least once, and the removals leave no empty sparse map behind in a flat frame.
  let base = frame;
  while (base.base !== null) base = base.base;
  assert.ok(base.sparse === undefined || base.sparse.size > 0);
});

test('a flattened frame allocates its array at the highest slot set, not beyond', () => {
  let frame;
  for (let slot = 0; slot <= MAX_OVERRIDES + 1; slot++) frame = derivedFrame(slot + 1, frame, slot, slot);
  let flat = frame;
  while (flat.base !== null) flat = flat.base;
  assert.ok(flat.slots.length <= MAX_OVERRIDES + 2, `dense part has ${flat.slots.length} entries`);
  assert.ok(flat.slots.length > 1, 'some flattening happened');
});

test('any tree of derivations reads like a map of slot -> value (property)', () => {
  const fc = require('fast-check');
  // A step derives a new frame from one of the frames made so far (or from none): branches of
  // the tree share their parents' links, as sibling runs do. Mostly from one of the newest three,
  // so that chains grow deep enough to flatten.
  const slot = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: DENSE_SLOTS, max: DENSE_SLOTS + 3 }));
  const step = fc.record({
    parent: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -3, max: -1 }) }, { weight: 1, arbitrary: fc.nat() }),
    slot,
    value: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  });
  fc.assert(fc.property(fc.array(step, { minLength: 20, maxLength: 80 }), (steps) => {
    const frames = [undefined];
    const models = [new Map()];
    steps.forEach(({ parent, slot: s, value }, i) => {
      const from = parent < 0 ? Math.max(0, frames.length + parent) : parent % frames.length;
      const frame = derivedFrame(i + 1, frames[from], s, value);
      const model = new Map(models[from]);
      if (value === undefined) model.delete(s);
      else model.set(s, value);
      frames.push(frame);
      models.push(model);
      assert.ok(chainLength(frame) <= MAX_OVERRIDES);
    });
    // Every frame still reads its own contents after all the later derivations.
    frames.forEach((frame, i) => {
      for (let s = 0; s <= 13; s++) assert.equal(readSlot(frame, s), models[i].get(s));
      for (let s = DENSE_SLOTS; s <= DENSE_SLOTS + 4; s++) assert.equal(readSlot(frame, s), models[i].get(s));
    });
  }), { numRuns: 300 });
});
