'use strict';
// The memory workload: many requests with monitoring on, one in ten abandoned on a promise that
// never settles. After GC, the native map must have let go of the abandoned ones.
// Usage: node --expose-gc workload-memory.js <requests>; prints one JSON line.

const Context = require('..');

Context.configure({ monitor: true });
const requests = Number(process.argv[2] || 100000);
const CONCURRENCY = 100;
const never = () => new Promise(() => {});
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function settle() {
  for (let i = 0; i < 6; i++) {
    global.gc();
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function request(id) {
  await Promise.resolve();
  if (id % 10 === 0) {
    // Abandoned: nobody awaits this run's promise, and it never settles.
    Context.run(async () => {
      await tick();
      await never();
    }, { id, payload: 'x'.repeat(64) });
    return;
  }
  await Context.run(async () => {
    await tick();
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (Context.get().id !== id) throw new Error('wrong context');
  }, { id, payload: 'x'.repeat(64) });
}

async function main() {
  await settle();
  const heapBefore = process.memoryUsage().heapUsed;
  let issued = 0;
  const worker = async () => {
    while (issued < requests) await request(issued++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const peak = Context.monitor();
  const peakSize = peak.size;
  await settle();
  const after = Context.monitor();
  const heapAfter = process.memoryUsage().heapUsed;
  process.stdout.write(
    `${JSON.stringify({
      requests,
      abandoned: Math.ceil(requests / 10),
      sizeBeforeGc: peakSize,
      size: after.size,
      contexts: after.contexts,
      heapGrowthMB: (heapAfter - heapBefore) / 2 ** 20,
    })}\n`,
  );
}

main();
