'use strict';
// The propagation strategy contract, written once. A strategy carries the current frame across
// async hops; the engine (propagation.js) and the async hook (async-hook.js) are its only callers.
// Each strategy module exports a factory `create…Strategy()` returning an object of this shape;
// the engine makes one per thread and may replace it (useStrategy) before the first frame.
//
// Two exist (see docs/internals.md for why each is the default where it is):
//   resource.js             writes the frame onto every new async resource (Node 20/22)
//   async-context-frame.js  one internal AsyncLocalStorage on V8's AsyncContextFrame (Node 24)

/**
 * @typedef {import('../frame').Frame} Frame
 *
 * @typedef {object} PropagationStrategy
 * @property {string} name                 'resource' | 'async-context-frame'
 * @property {boolean} needsInitHook       the async hook must call `propagate(resource)` from `init`
 * @property {boolean} needsBeforeHook     the async hook must call `before()`; may turn true later,
 *                                         and then the strategy calls `onNeedsBeforeHook()`
 * @property {(() => void) | null} onNeedsBeforeHook  set by the async hook that serves the strategy
 * @property {() => Frame | undefined} current          the frame of the running code (undefined: none)
 * @property {(resource: object) => Frame | undefined} propagate  gives a new resource the current
 *                                         frame; returns it (tracking reads it)
 * @property {((resource: object) => Frame | undefined) | undefined} frameOfResource  only where frames
 *   ride on resources (`resource`): the frame `resource` carries; the stall watchdog reads it beside
 *   the resource's type from one executionAsyncResource() call
 * @property {() => void} before           called before a resource's callback (when needsBeforeHook)
 * @property {(frame: Frame | undefined, fn: Function, thisArg: unknown, args: ArrayLike<unknown>) => unknown} runIn
 *                                         fn with `frame` current; the previous frame is back afterwards
 * @property {(prior: Frame | undefined, frame: Frame | undefined, fn: Function, thisArg: unknown, args: ArrayLike<unknown>) => unknown} runFrom
 *                                         runIn, called with the frame current now (`prior`, just read
 *                                         by the caller through `current()`), which it may restore
 *                                         instead of reading it again
 * @property {(frame: Frame | undefined) => void} enter  `frame` current for the rest of this
 *                                         callback and what it starts (not the resource's next callback)
 * @property {(enabled: boolean) => void} recordSettlements  start/stop recording the frame each
 *                                         promise is settled in (for 'unhandledRejection' listeners)
 * @property {(promise: unknown) => { frame: Frame | undefined } | undefined} settledFrame
 *                                         the recorded frame a promise was settled in, if any
 */

module.exports = {};
