'use strict';
// One benchmark process: the promise-heavy workload under one adapter.
// Usage: node workload-promise.js <adapter name> <requests> <concurrency>
// Each logical request runs in its own context and checks it after every await, an immediate,
// a nextTick and a timer. Prints one JSON line: { rps, wrong, requests }.

const { adapters } = require('./adapters');
const { drive } = require('./drive');

const [name, requestsArg = '20000', concurrencyArg = '100'] = process.argv.slice(2);
const adapter = adapters[name]();
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const AWAITS = 20;

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

drive({
  requests,
  concurrency,
  wrong: () => wrong,
  handle(id) {
    const ctx = { id };
    return adapter.run(() => request(ctx), ctx);
  },
});
