'use strict';
// One benchmark process: what tracking costs in memory. Opens `requests` concurrent requests,
// each in its own context and holding `pending` pending resources (timers and awaited promises),
// measures the V8 heap and the tracker's native bytes while all are pending, releases them and
// checks the native map drains to 0. Run with --expose-gc. Prints one JSON line:
//   { heapBytes, nativeBytes, mapSize, drainedMapSize, tracked }
// Usage: node --expose-gc workload-tracking-memory.js <on|off|hooks> [requests] [pending]
//   hooks: monitoring off, but the hooks tracking enables on this Node, each empty (see
//   enableEmptyTrackingHooks): what Node's own hook machinery holds (per-promise async ids).

const path = require('path');

const ROOT = path.join(__dirname, '..');
const [mode = 'on', requestsArg = '10000', pendingArg = '10'] = process.argv.slice(2);
const requests = Number(requestsArg);
const pending = Number(pendingArg);
const Context = require(ROOT);
const { engine } = require(path.join(ROOT, 'lib', 'engine'));

function heapUsed() {
  for (let i = 0; i < 4; i++) global.gc();
  return process.memoryUsage().heapUsed;
}

// The hooks tracking itself would enable here, each empty: where it follows promises through V8's
// promise hooks (Node 24's default strategy, docs/internals.md), an async hook that leaves promises
// out plus empty promise hooks; elsewhere one async hook with every callback.
function enableEmptyTrackingHooks() {
  const { asyncHooksCanSkipPromises } = require(path.join(ROOT, 'lib', 'engine'));
  if (engine().strategyName === 'async-context-frame' && asyncHooksCanSkipPromises()) {
    require('async_hooks').createHook({ init() {}, after() {}, trackPromises: false }).enable();
    require('v8').promiseHooks.createHook({ init() {}, settled() {} });
  } else {
    require('async_hooks').createHook({ init() {}, before() {}, after() {}, promiseResolve() {} }).enable();
  }
}

async function main() {
  if (mode === 'on') Context.configure({ monitor: true });
  if (mode === 'hooks') enableEmptyTrackingHooks();
  const releases = [];
  const before = heapUsed();
  const done = [];
  for (let r = 0; r < requests; r++) {
    done.push(Context.run(async () => {
      const waits = [];
      for (let p = 0; p < pending; p++) {
        if (p % 2 === 0) waits.push(new Promise((resolve) => setTimeout(resolve, 60_000)));
        else waits.push(new Promise((resolve) => releases.push(resolve)).then(() => undefined));
      }
      await Promise.race(waits.concat(new Promise((resolve) => releases.push(resolve))));
    }, { id: r }));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const during = heapUsed();
  const stats = mode === 'on' ? engine().stats() : { nativeBytes: 0, mapSize: 0 };
  for (const release of releases) release();
  await Promise.all(done);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const drained = mode === 'on' ? engine().stats().mapSize : 0;
  process.stdout.write(`${JSON.stringify({ heapBytes: during - before, nativeBytes: stats.nativeBytes, mapSize: stats.mapSize, drainedMapSize: drained })}\n`);
  process.exit(0); // the 60 s timers are not waited for
}

main();
