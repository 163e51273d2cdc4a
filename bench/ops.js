'use strict';
// Per-operation costs (ns per operation) of the propagation engine, through the public face
// native-execution-context/als (the file package.json exports as "./als"), against Node's own
// AsyncLocalStorage. One process measures one implementation; bench/run.js (`npm run bench --
// --only ops`) runs them in interleaved rounds on each Node and writes the tables.
//
//   node bench/ops.js <implementation> [samples]      prints one JSON line:
//     { implementation, strategy, node, ops: { <op>: [ns per op, one per sample] }, wallOps, chains, sink }
//
// ns are CPU ns (the process's user + system time over the iterations): on a shared machine the
// time the process waits for a core does not count, where wall time (wallOps) can double.
//
// implementation: 'ours' (the default strategy on this Node), 'ours (other strategy)' (the one
// the default did not pick, forced with NATIVE_EXECUTION_CONTEXT_STRATEGY) or 'AsyncLocalStorage'.
//
// Each operation gets its own loop function (compiled from its own source text, so no two share
// type feedback), calibrated to run >= SAMPLE_MS per sample; the calibration runs are the
// warm-up. Results feed a sink that is printed, so no loop body is dead code. Every loop runs
// inside a setImmediate callback (an async resource: enterWith is not the top-level special
// case of the `resource` strategy) and inside the runs the operation needs. ns include the loop
// (an increment and a compare, well under 1 ns).

const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SAMPLE_MS = Number(process.env.OPS_SAMPLE_MS) || 200;

// Nested stores for the chain rows. In frame.js a run of the first store makes a flat frame and
// each run of another store inside it stacks one override on it, up to MAX_OVERRIDES (8); the
// next one flattens the chain into a new flat frame. So n nested stores give a chain of n - 1
// overrides until 9 stores (8), and 10 stores give a flat frame again.
const GET = 'if (s[0].getStore() === v) sink += 1;';
const OPS = [
  { name: 'run', nest: 0, body: 'sink += s[0].run(v, fn);',
    short: 'run, no store current', label: '`run(store, fn)` outside every store' },
  { name: 'get', nest: 1, body: GET,
    short: 'getStore, 1 store', label: '`getStore()` inside a run (1 store)' },
  { name: 'get-chain-1', nest: 2, body: GET,
    short: 'getStore, 2 nested (chain 1)', label: '`getStore()` of the outermost of 2 nested stores' },
  { name: 'get-chain-8', nest: 9, body: GET,
    short: 'getStore, 9 nested (chain 8)', label: '`getStore()` of the outermost of 9 nested stores' },
  { name: 'get-flattened', nest: 10, body: GET,
    short: 'getStore, 10 nested (flat)', label: '`getStore()` of the outermost of 10 nested stores (flattened)' },
  { name: 'run-chain-1', nest: 1, body: 'sink += s[1].run(v, fn);',
    short: 'run inside 1 (chain 0->1)', label: '`run` of one more store inside 1 store (chain 0 -> 1)' },
  { name: 'run-chain-8', nest: 8, body: 'sink += s[8].run(v, fn);',
    short: 'run inside 8 (chain 7->8)', label: '`run` of one more store inside 8 nested stores (chain 7 -> 8)' },
  { name: 'run-flatten', nest: 9, body: 'sink += s[9].run(v, fn);',
    short: 'run inside 9 (8->flattens)', label: '`run` of one more store inside 9 nested stores (chain 8 -> flattened)' },
  // Last: on the `resource` strategy the first enterWith adds a `before` hook for good.
  { name: 'enter', nest: 1, body: 's[0].enterWith(v); sink += 1;',
    short: 'enterWith, in a callback', label: '`enterWith(store)` inside a run, in a callback' },
];

function loadImplementation(name) {
  if (name === 'AsyncLocalStorage') return { AsyncLocalStorage: require('node:async_hooks').AsyncLocalStorage, engine: null };
  const { engine, hasAsyncContextFrame } = require(path.join(ROOT, 'lib', 'engine'));
  if (name === 'ours (other strategy)') {
    process.env.NATIVE_EXECUTION_CONTEXT_STRATEGY = hasAsyncContextFrame() ? 'resource' : 'async-context-frame';
  } else if (name !== 'ours') {
    throw new Error(`ops.js: unknown implementation ${JSON.stringify(name)}`);
  }
  // The public `./als` subpath, as package.json exports it.
  const alsExport = require(path.join(ROOT, 'package.json')).exports['./als'].default;
  const { AsyncLocalStorage } = require(path.join(ROOT, alsExport));
  return { AsyncLocalStorage, engine: engine() };
}

// Override links from the current frame down to its flat base (null: not ours, or unknown shape).
function chainLength(engine) {
  if (engine === null) return null;
  let frame = engine.current();
  if (frame === undefined || !('base' in frame)) return null;
  let links = 0;
  while (frame.base !== null && frame.base !== undefined) {
    links += 1;
    frame = frame.base;
  }
  return links;
}

function makeLoop(op) {
  // The op's name in the source keeps V8 from sharing one compiled function between loops.
  return new Function('s', 'v', 'fn', 'n', `'use strict'; // ops.js: ${op.name}
    let sink = 0;
    for (let i = 0; i < n; i++) { ${op.body} }
    return sink;`);
}

// Runs `inner` inside nested runs of stores[0 .. nest - 1], each with its own value.
function nested(stores, values, nest, inner) {
  if (nest === 0) return inner();
  let call = inner;
  for (let i = nest - 1; i >= 0; i--) {
    const next = call;
    call = () => stores[i].run(values[i], next);
  }
  return call();
}

function inCallback(fn) {
  return new Promise((resolve, reject) => setImmediate(() => {
    try {
      resolve(fn());
    } catch (error) {
      reject(error);
    }
  }));
}

async function measure(impl, stores, op, samples) {
  const values = stores.map((_, i) => ({ store: i }));
  const loop = makeLoop(op);
  const fn = () => 1;
  // The value the loop reads or sets: the outermost store's (a new, different store for `run`).
  const v = op.name.startsWith('run') ? { run: true } : values[0];
  let sink = 0;
  let chain = null;
  // Wall ms and CPU ms of n iterations.
  const timed = (n) => inCallback(() => nested(stores, values, op.nest, () => {
    chain = chainLength(impl.engine);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    sink += loop(stores, v, fn, n);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  }));
  // Calibration (and warm-up): grow n until a run takes >= a quarter of a sample.
  let n = 1000;
  for (;;) {
    const { ms } = await timed(n);
    if (ms >= SAMPLE_MS / 4) {
      n = Math.ceil((n * SAMPLE_MS) / ms);
      break;
    }
    n *= ms < SAMPLE_MS / 40 ? 10 : 2;
  }
  const ns = [];
  const wallNs = [];
  while (ns.length < samples) {
    const { ms, cpuMs } = await timed(n);
    // Faster after tier-up: stretch n and take the sample again, so every sample is >= SAMPLE_MS.
    if (ms < SAMPLE_MS) {
      n = Math.ceil((n * SAMPLE_MS * 1.1) / ms);
      continue;
    }
    ns.push((cpuMs * 1e6) / n);
    wallNs.push((ms * 1e6) / n);
  }
  return { ns, wallNs, sink, chain };
}

async function main() {
  const [name = 'ours', samplesArg = '3'] = process.argv.slice(2);
  const impl = loadImplementation(name);
  const result = {
    implementation: name,
    strategy: impl.engine === null ? null : impl.engine.strategyName,
    node: process.version,
    ops: {},
    wallOps: {},
    chains: {},
    sink: 0,
  };
  // One set of stores for every op: our slots stay 0..11, so flat frames stay as small as an
  // app's with a few stores.
  const stores = Array.from({ length: 12 }, () => new impl.AsyncLocalStorage());
  for (const op of OPS) {
    const { ns, wallNs, sink, chain } = await measure(impl, stores, op, Number(samplesArg));
    result.ops[op.name] = ns;
    result.wallOps[op.name] = wallNs;
    result.chains[op.name] = chain;
    result.sink += sink;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

module.exports = { OPS };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
