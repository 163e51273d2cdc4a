'use strict';
// The driver every workload shares: ids 0..requests-1 handed to `concurrency` workers, each
// awaiting `handle(id)` before taking the next; prints one JSON line `{ rps, wrong, requests }`.

async function drive({ requests, concurrency, handle, wrong }) {
  let issued = 0;
  const worker = async () => {
    while (issued < requests) await handle(issued++);
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ rps: requests / seconds, wrong: wrong(), requests })}\n`);
}

module.exports = { drive };
