'use strict';
// Every thread's contexts in one report: the main thread has a request stuck on a promise, and
// each of two worker threads runs jobs under its own label function, one of them stuck. The main
// thread asks for an all-threads report, which wakes the workers, and prints the next one, taken
// once they have published their contexts and labels (a moment later: one message away).
//
//   node examples/monitor-threads.js

const { Worker, isMainThread, parentPort, threadId } = require('node:worker_threads');
const Context = require('native-execution-context');
const { formatMonitor } = require('native-execution-context/monitor');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A queue nobody drains: whoever waits on it waits forever (an unreachable promise would be
// garbage collected, and its context with it).
const queue = [];

if (isMainThread) {
  Context.configure({ monitor: { label: (context) => `${context.method} ${context.path}` } });
  Context.run(async () => {
    await new Promise((resolve) => queue.push(resolve)); // stuck: nobody drains the queue
  }, { method: 'GET', path: '/orders/42' });

  const workers = [new Worker(__filename), new Worker(__filename)];
  Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve)))).then(async () => {
    Context.monitor({ threads: 'all' }); // wakes the workers: from now on they publish their labels
    await sleep(200);
    const report = Context.monitor({ threads: 'all' });
    console.log(report.threads.map((thread) => `thread ${thread.threadId}: ${thread.entries.map((entry) => entry.label).join(', ')}`).join('\n'));
    console.log(formatMonitor(report));
    await Promise.all(workers.map((worker) => worker.terminate()));
  });
} else {
  Context.configure({ monitor: { label: (context) => `job ${context.job} (${context.queue})` } });
  Context.run(async () => {
    await new Promise((resolve) => queue.push(resolve)); // stuck
  }, { job: threadId * 100 + 1, queue: 'emails' });
  Context.run(async () => {
    await sleep(60_000); // waiting on a timer
  }, { job: threadId * 100 + 2, queue: 'reports' });
  parentPort.postMessage('ready');
}
