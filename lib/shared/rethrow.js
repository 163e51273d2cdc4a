'use strict';
// Why: a listener that throws has a bug of its own: its error is reported as uncaught (on the next
// tick) while the caller goes on delivering to the other listeners.
//
// The engine's tracker (lib/engine/tracking.js, flush) does the same for its watchers with its own
// copy: it is the floor below this one and cannot require it.

function rethrowLater(error) {
  process.nextTick(() => {
    throw error;
  });
}

module.exports = { rethrowLater };
