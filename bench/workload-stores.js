'use strict';
// One benchmark process: the many-stores workload under one adapter.
// Usage: node workload-stores.js <adapter name> <requests> <concurrency>
// Each logical request runs through one nested `run` per store (1 or 100 AsyncLocalStorage
// instances, each given its own value), then reads the first, a middle and the last store after
// each of 20 awaits, an immediate, a nextTick and a timer. Prints one JSON line:
// { rps, wrong, requests }. `require`d, it exports the adapter names for a runner.
//
// It shows what sharing one frame per async resource buys: Node 20's AsyncLocalStorage copies
// every store onto every new async resource, so its cost grows with the number of stores; here
// (and with Node 24's AsyncContextFrame) a hop costs the same with 1 store or 100.

const path = require('node:path');
const { drive } = require('./drive');

const ROOT = path.join(__dirname, '..');
const AWAITS = 20;

// Adapters load their implementation only when picked: our engine's hook must never run (and
// cost) in a process that measures Node's AsyncLocalStorage.
function storesOf(load, count) {
  return () => {
    const AsyncLocalStorage = load();
    return Array.from({ length: count }, (_, i) => new AsyncLocalStorage({ name: `store-${i}` }));
  };
}

const ours = () => require(path.join(ROOT, 'lib', 'als')).AsyncLocalStorage;
const node = () => require('node:async_hooks').AsyncLocalStorage;

const adapters = {
  'native-execution-context/als (1 store)': storesOf(ours, 1),
  'native-execution-context/als (100 stores)': storesOf(ours, 100),
  'AsyncLocalStorage (1 store)': storesOf(node, 1),
  'AsyncLocalStorage (100 stores)': storesOf(node, 100),
};

function main() {
  const [name, requestsArg = '20000', concurrencyArg = '100'] = process.argv.slice(2);
  if (!(name in adapters)) {
    process.stderr.write(`unknown adapter ${JSON.stringify(name)}; one of: ${Object.keys(adapters).join(', ')}\n`);
    process.exit(2);
  }
  const stores = adapters[name]();
  const requests = Number(requestsArg);
  const concurrency = Number(concurrencyArg);
  const count = stores.length;
  const probes = [...new Set([0, count >> 1, count - 1])];
  let wrong = 0;

  // Store i of request `id` holds id * 1000 + i: a small integer, so no allocation per store.
  const check = (id) => {
    for (const i of probes) if (stores[i].getStore() !== id * 1000 + i) wrong += 1;
  };

  async function request(id) {
    for (let i = 0; i < AWAITS; i++) {
      await Promise.resolve(i);
      check(id);
    }
    await new Promise((resolve) => setImmediate(resolve));
    check(id);
    await new Promise((resolve) => process.nextTick(resolve));
    check(id);
    await new Promise((resolve) => setTimeout(resolve, 0));
    check(id);
  }

  // One nested run per store: stores[0].run(v0, () => stores[1].run(v1, ... request(id))).
  function runFrom(i, id) {
    if (i === count) return request(id);
    return stores[i].run(id * 1000 + i, runFrom, i + 1, id);
  }

  drive({ requests, concurrency, handle: (id) => runFrom(0, id), wrong: () => wrong });
}

if (require.main === module) main();

module.exports = { adapterNames: Object.keys(adapters) };
