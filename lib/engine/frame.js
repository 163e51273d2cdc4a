'use strict';
// A frame is the unit of propagation: the values of every owner (ExecutionContext instance,
// namespace, store, variable) current together, immutable and copied on write. Resources and
// the strategy carry one reference to it, so propagating costs the same with 1 owner or 100.
//
// The first DENSE_SLOTS owners (module-level stores, in any real app) live in an array indexed
// by slot: the fastest read. Owners beyond that (apps that create stores per request) live in a
// Map, so a frame never costs memory proportional to the number of owners ever created.

const DENSE_SLOTS = 128;
const EMPTY_SLOTS = [];

class Frame {
  constructor(id, slots, sparse) {
    this.id = id;
    this.slots = slots;
    // Map of slot -> value for slots >= DENSE_SLOTS, or undefined when there are none.
    this.sparse = sparse;
    // Tracked frames are known to the native tree; untracked ones cost nothing there.
    this.tracked = false;
    // Slot of the owner that opened it (for reports).
    this.owner = 0;
    // True while the synchronous part of the `run` that opened it is on the stack.
    this.pinned = false;
  }
}

function readSlot(frame, slot) {
  if (frame === undefined) return undefined;
  if (slot < DENSE_SLOTS) return frame.slots[slot];
  return frame.sparse === undefined ? undefined : frame.sparse.get(slot);
}

// A copy of `slots` with `slot` set to `value`, allocated once at its final length: `slice()`
// followed by a write past the end copies twice (V8 grows the copy's backing store).
function withDenseSlot(slots, slot, value) {
  const length = slots.length;
  if (slot < length) {
    const copy = slots.slice();
    copy[slot] = value;
    return copy;
  }
  const copy = new Array(slot + 1);
  for (let i = 0; i < length; i++) copy[i] = slots[i];
  copy[slot] = value;
  return copy;
}

// The parts of a new frame: `parent` (may be undefined) with `slot` set to `value`
// (`undefined` removes it). Unchanged parts are shared with the parent: frames are immutable.
function frameParts(parent, slot, value) {
  const slots = parent === undefined ? EMPTY_SLOTS : parent.slots;
  const sparse = parent === undefined ? undefined : parent.sparse;
  if (slot < DENSE_SLOTS) return { slots: withDenseSlot(slots, slot, value), sparse };
  const copy = new Map(sparse);
  if (value === undefined) copy.delete(slot);
  else copy.set(slot, value);
  return { slots, sparse: copy.size === 0 ? undefined : copy };
}

module.exports = { Frame, DENSE_SLOTS, frameParts, readSlot };
