'use strict';
// A frame is the unit of propagation: an immutable array of per-owner values (one slot per
// ExecutionContext instance, namespace or store), copied on write. Resources and the strategy
// carry one reference to it, so propagating costs the same with 1 owner or 100.

class Frame {
  constructor(id, slots, tracked) {
    this.id = id;
    this.slots = slots;
    // Tracked frames are known to the native tree; untracked ones cost nothing there.
    this.tracked = tracked;
    // Slot of the owner that opened it (for reports).
    this.owner = 0;
    // True while the synchronous part of the `run` that opened it is on the stack.
    this.pinned = false;
  }
}

module.exports = { Frame };
