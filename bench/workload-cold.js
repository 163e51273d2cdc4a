'use strict';
// One cold benchmark process: the first requests of the promise workload under one adapter,
// with no warm-up. Usage: node workload-cold.js <adapter name> [requests] [concurrency]
//
// Timed from before the adapter's require() (the library's load and its first, unoptimized
// requests are what a freshly started server pays) to the end of the last request, and also
// from process start (performance.now(): Node's own bootstrap, the same for every adapter).
// Prints one JSON line: { requireMs, totalMs, sinceStartMs, rps, rpsFromStart, cpuMs, wrong,
// requests }; cpuMs is the CPU time of the whole process (every thread: JIT, GC) over totalMs.
//
// The request is workload-promise.js's (bench/promise-request.js). The harness (adapters.js,
// promise-request.js, node:path) is loaded before the clock starts.

const { performance } = require('node:perf_hooks');
const { adapters } = require('./adapters');
const { promiseRequest } = require('./promise-request');

const [name, requestsArg = '10000', concurrencyArg = '100'] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const adapter = adapters[name]();
const required = process.hrtime.bigint();

const { handle, wrong } = promiseRequest(adapter);

async function main() {
  let issued = 0;
  const worker = async () => {
    while (issued < requests) await handle(issued++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ended = process.hrtime.bigint();
  const sinceStartMs = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const totalMs = Number(ended - started) / 1e6;
  process.stdout.write(`${JSON.stringify({
    requireMs: Number(required - started) / 1e6,
    totalMs,
    sinceStartMs,
    rps: requests / (totalMs / 1000),
    rpsFromStart: requests / (sinceStartMs / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000,
    wrong: wrong(),
    requests,
  })}\n`);
}

main();
