'use strict';
// A frame is the unit of propagation: the values of every owner (ExecutionContext instance,
// namespace, store, variable) current together, immutable. Resources and the strategy carry one
// reference to it, so propagating costs the same with 1 owner or 100.
//
// A frame is either flat or an override:
// - flat: the first DENSE_SLOTS owners (module-level stores, in any real app) live in an array
//   indexed by slot, the fastest read; owners beyond that (apps that create stores per request)
//   live in a Map, so a frame never costs memory proportional to the number of owners ever made.
// - override: one slot's value on top of a `base` frame. Nested runs of different owners
//   (100 stores each entering its own value) would otherwise copy the whole array once per run,
//   quadratic in the number of owners; an override costs the same with 1 owner or 100. Reads
//   walk at most MAX_OVERRIDES links, then the next derive flattens the chain into a new array.

const DENSE_SLOTS = 128;
// Chosen with `npm run bench -- --only stores`: 8 keeps 100 nested stores ~2x faster than
// copying each time, and a read of a slot outside the chain costs at most 8 compares.
const MAX_OVERRIDES = 8;
const EMPTY_SLOTS = [];
// A slot set to `undefined` is a removed slot. Owners that must tell "set to undefined" from "not
// set" (AsyncLocalStorage.run(undefined, ...), a Variable run with undefined) store this instead.
const UNDEFINED_VALUE = Symbol('native-execution-context: set to undefined');

class Frame {
  constructor(id, slots, sparse, base, slot, value, depth) {
    this.id = id;
    // Flat frames: the dense slots, and a Map of slot -> value for slots >= DENSE_SLOTS (or
    // undefined). Override frames: null and undefined, read through `base`.
    this.slots = slots;
    this.sparse = sparse;
    // Override frames: the frame underneath, the one slot set here and its value (undefined:
    // removed), and how many overrides are stacked up to here. Flat frames: null, -1, undefined, 0.
    this.base = base;
    this.slot = slot;
    this.value = value;
    this.depth = depth;
    // Tracked frames are known to the native tree; untracked ones cost nothing there.
    this.tracked = false;
    // The slot of the owner whose run or enter opened it (for reports).
    this.openerSlot = 0;
    // True while the synchronous part of the `run` that opened it is on the stack.
    this.pinned = false;
    // Set only while a stall watchdog runs (stall-watchdog.js): when its context began
    // (performance.now(), 0 if unknown) and the id of the frame whose label names it.
    this.bornAt = 0;
    this.labelFrame = 0;
  }
}

function flatFrame(id, slots, sparse) {
  return new Frame(id, slots, sparse, null, -1, undefined, 0);
}

function readSlot(frame, slot) {
  if (frame === undefined) return undefined;
  while (frame.base !== null) {
    if (frame.slot === slot) return frame.value;
    frame = frame.base;
  }
  if (slot < DENSE_SLOTS) return frame.slots[slot];
  return frame.sparse === undefined ? undefined : frame.sparse.get(slot);
}

// The flat contents of `frame` with `slot` set to `value`, as a new frame. Overrides are applied
// from the base upward, so the newest wins. Unchanged parts are shared: frames are immutable.
function flattened(id, frame, slot, value) {
  const overrides = [];
  while (frame !== undefined && frame.base !== null) {
    overrides.push(frame);
    frame = frame.base;
  }
  const from = frame === undefined ? EMPTY_SLOTS : frame.slots;
  let sparse = frame === undefined ? undefined : frame.sparse;
  let length = from.length;
  let sparseCopied = false;
  const set = (s, v) => {
    if (s < DENSE_SLOTS) {
      if (s >= length) length = s + 1;
      return;
    }
    if (!sparseCopied) {
      sparse = new Map(sparse);
      sparseCopied = true;
    }
    if (v === undefined) sparse.delete(s);
    else sparse.set(s, v);
  };
  for (let i = overrides.length - 1; i >= 0; i--) set(overrides[i].slot, overrides[i].value);
  set(slot, value);
  // Allocated once at its final length: `slice()` followed by a write past the end copies twice.
  const slots = new Array(length);
  for (let i = 0; i < from.length; i++) slots[i] = from[i];
  for (let i = overrides.length - 1; i >= 0; i--) {
    const s = overrides[i].slot;
    if (s < DENSE_SLOTS) slots[s] = overrides[i].value;
  }
  if (slot < DENSE_SLOTS) slots[slot] = value;
  return flatFrame(id, slots, sparseCopied && sparse.size === 0 ? undefined : sparse);
}

// A new frame `id`: `parent` (undefined: no frame) with `slot` set to `value` (undefined removes
// it). An override while the chain is short, otherwise a flat copy.
function derivedFrame(id, parent, slot, value) {
  if (parent === undefined) {
    if (slot >= DENSE_SLOTS) return flattened(id, undefined, slot, value);
    // The common first frame of a request: one array at its final length.
    const slots = new Array(slot + 1);
    slots[slot] = value;
    return flatFrame(id, slots, undefined);
  }
  // Setting the slot the parent overrides replaces that override instead of stacking on it, so a
  // chain never keeps a shadowed value reachable (a request's store inside a long-lived one).
  const base = parent.base !== null && parent.slot === slot ? parent.base : parent;
  if (base.depth >= MAX_OVERRIDES) return flattened(id, base, slot, value);
  return new Frame(id, null, undefined, base, slot, value, base.depth + 1);
}

module.exports = { Frame, DENSE_SLOTS, MAX_OVERRIDES, UNDEFINED_VALUE, derivedFrame, flatFrame, readSlot };
