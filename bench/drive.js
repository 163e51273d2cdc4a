'use strict';
// The driver every workload shares: ids handed to `concurrency` workers, each awaiting
// `handle(id)` before taking the next; prints one JSON line
// `{ rps, wrong, requests, cpuPerRequest, jsThreadCpuPerRequest }`.
//
// A warm-up of a quarter of the requests (ids after the measured ones) runs first and is not
// timed: the tables compare steady-state throughput, as a server sees it after its first
// second, not how fast each implementation's code gets compiled. Wrong contexts count in both.

const fs = require('node:fs');

// CPU time of the JS thread alone so far, in nanoseconds (Linux: the first field of its
// schedstat), or null where that cannot be read. Work moved to other threads (the native
// tracker's applier, GC helpers) leaves it; process.cpuUsage() counts every thread.
function jsThreadCpuNs() {
  try {
    return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

function warmupFor(requests) {
  return Math.ceil(requests / 4);
}

async function drive({ requests, concurrency, handle, wrong }) {
  const warmup = warmupFor(requests);
  await pass(requests, warmup, concurrency, handle);
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const jsThreadBefore = jsThreadCpuNs();
  await pass(0, requests, concurrency, handle);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const jsThreadAfter = jsThreadCpuNs();
  // CPU time of the whole process (every thread: JIT, GC helpers) per request, in microseconds.
  const cpuPerRequest = (cpu.user + cpu.system) / requests;
  // The JS thread's alone, in microseconds (null where it cannot be read).
  const jsThreadCpuPerRequest = jsThreadBefore === null || jsThreadAfter === null ? null : (jsThreadAfter - jsThreadBefore) / 1000 / requests;
  process.stdout.write(`${JSON.stringify({ rps: requests / seconds, wrong: wrong(), requests, cpuPerRequest, jsThreadCpuPerRequest })}\n`);
}

// Handles ids first .. first + count - 1 with `concurrency` workers.
async function pass(first, count, concurrency, handle) {
  let issued = 0;
  const worker = async () => {
    while (issued < count) await handle(first + issued++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

module.exports = { drive, warmupFor };
