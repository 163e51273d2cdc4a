'use strict';
// The logical request of the promise workload, shared by workload-promise.js (steady state) and
// workload-cold.js (first requests): it runs in its own context and checks it after each of
// AWAITS awaits, an immediate, a nextTick and a timer. `promiseRequest(adapter)` returns
// `handle(id)` (one request in a fresh context) and `wrong()` (contexts seen wrong so far).

const AWAITS = 20;

function promiseRequest(adapter) {
  let wrong = 0;

  function check(expected, ctx) {
    const seen = adapter.manual ? ctx : adapter.get();
    if (seen !== expected) wrong += 1;
  }

  async function request(ctx) {
    for (let i = 0; i < AWAITS; i++) {
      await Promise.resolve(i);
      check(ctx, ctx);
    }
    await new Promise((resolve) => setImmediate(resolve));
    check(ctx, ctx);
    await new Promise((resolve) => process.nextTick(resolve));
    check(ctx, ctx);
    await new Promise((resolve) => setTimeout(resolve, 0));
    check(ctx, ctx);
  }

  return {
    handle(id) {
      const ctx = { id };
      return adapter.run(() => request(ctx), ctx);
    },
    wrong: () => wrong,
  };
}

module.exports = { promiseRequest };
