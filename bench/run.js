'use strict';
// `npm run bench`: interleaved rounds, one fresh process per implementation per round, medians
// and ratios; writes BENCHMARKS.md and bench/chart.svg. A benchmark, not a test.
//
//   npm run bench                          full run on Node 20, 22 and 24 (fetched into .cache/)
//   npm run bench -- --quick               a first look on this Node, well under a minute
//   npm run bench -- --nodes 20,24         choose Node majors;  --node /path/to/node  adds a binary
//   npm run bench -- --only promise,express   only these suites; the other sections of
//                                             BENCHMARKS.md are kept as they are
//   npm run bench -- --only ops            ns per operation (bench/ops.js); also rewrites the
//                                          table in lib/engine/propagation.js (see writeOpsTable)
//   npm run bench -- --only cold           the first 10,000 requests of a fresh process
//   npm run bench -- --only otel           Express with OpenTelemetry: our ContextManager against
//                                          AsyncLocalStorageContextManager beside another library
//   npm run bench -- --callgrind           instruction counts (valgrind), stable under load, of the
//                                          promise workload on the Node running this script
//   npm run bench -- --callgrind express   the same for the Express server: monitoring's cost
//                                          beside its floor (printed, not written to BENCHMARKS.md)
//   npm run bench -- --rounds 3            interleaved rounds per suite (default: the suite's own)

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { adapters } = require('./adapters');
const { warmupFor } = require('./drive');
const { barChart } = require('./chart');
const { nodeBinary } = require('../scripts/node-binary');

const ROOT = path.join(__dirname, '..');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const quick = flag('--quick');

const OURS = 'native-execution-context';
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const optionalFile = (file) => fs.existsSync(path.join(__dirname, file));

function nodes() {
  const list = [];
  const majors = option('--nodes') ?? (quick ? String(process.versions.node.split('.')[0]) : '20,22,24');
  for (const major of majors.split(',').filter(Boolean)) list.push(nodeBinary(major.trim()));
  for (let i = 0; i < args.length; i++) if (args[i] === '--node') list.push(args[i + 1]);
  return [...new Set(list)];
}

function runJson(node, file, argv, extraFlags = []) {
  const out = execFileSync(node, [...extraFlags, path.join(__dirname, file), ...argv], { encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(out.trim().split('\n').pop());
}

// Rotate the order every round so drift on a shared machine does not favour one column.
function interleave(names, rounds, measureOne, label) {
  const samples = Object.fromEntries(names.map((name) => [name, { values: [], wrong: 0 }]));
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { value, wrong } = measureOne(name);
      samples[name].values.push(value);
      samples[name].wrong += wrong;
    }
    process.stderr.write(`  ${label}: round ${round}/${rounds}\n`);
  }
  return names.map((name) => ({ name, value: median(samples[name].values), wrong: samples[name].wrong }));
}

// `extra` (optional): one more column, { title, value(row) }, shown before `wrong` (– where null).
function ratioTable(rows, ours, unit, floors, extra = null) {
  const oursValue = rows.find((row) => row.name === ours).value;
  const extraTitle = extra === null ? '' : ` ${extra.title} |`;
  const extraAlign = extra === null ? '' : '---:|';
  const lines = [`| implementation | ${unit} (median) | ${ours} / this |${extraTitle} wrong |`, `|---|---:|---:|${extraAlign}---:|`];
  for (const row of rows) {
    const name = floors.includes(row.name) ? `${row.name} *(floor)*` : row.name === ours ? `**${row.name}**` : row.name;
    const extraCell = extra === null ? '' : ` ${extra.value(row) === null ? '–' : extra.value(row).toFixed(1)} |`;
    lines.push(`| ${name} | ${fmt(row.value)} | ${(oursValue / row.value).toFixed(2)}x |${extraCell} ${row.wrong} |`);
  }
  return lines.join('\n');
}

// ---- suites -------------------------------------------------------------------------------

const suites = {
  promise: {
    title: 'Promise-heavy workload',
    describe: (cfg) =>
      `${fmt(cfg.requests)} logical requests, 100 at a time, ${cfg.rounds} interleaved rounds (one fresh process per implementation per round), medians; each runs in its own context and reads it after each of 20 ` +
      'awaits, a setImmediate, a nextTick and a setTimeout(0). Every process first runs an untimed warm-up of a quarter ' +
      'as many requests. node-execution-context\'s async_hooks mode runs a third of the requests: its map only grows, so its ' +
      'requests/s falls as the count grows (a flattering count for it), and at the full count it ran out of its 4 GB heap ' +
      'after about 57 s on Node 20. ' +
      '"other strategy" is native-execution-context forced onto the propagation strategy its default ' +
      'did not pick on this Node (the measurement behind the default). "all tracking hooks, empty" is an empty hook with ' +
      'every callback monitoring needs and no context library: the floor of any tracker fed by async_hooks alone, beside which monitoring on is read ' +
      'on Node 20 and 22. "tracking hooks without promises, empty" is the floor where tracking follows promises through V8\'s promise hooks ' +
      '(Node 24\'s default strategy; on older Nodes the async hook still sees promises). "AsyncLocalStorage + the tracker\'s hooks, ' +
      'empty" is Node\'s AsyncLocalStorage beside exactly the hooks our tracker installs on this Node, each empty: hooks cost more ' +
      'once contexts flow through the awaits they watch, so this is the floor of a request that monitoring does not track ' +
      '(the sample 0.1 row, nine requests in ten). ' +
      '"stall watchdog on" runs watchStalls (threshold 1 s, no stderr) with monitoring off; "+ empty before hook" is our ' +
      'engine beside an empty `before` hook: the floor of any watchdog that knows the context at each callback start. ' +
      '"JS-thread CPU": the CPU time of the JavaScript thread alone per request (Linux schedstat, median), which leaves ' +
      'out work done on other threads (the native tracker\'s applier, GC helpers); every request also waits on a timer, so ' +
      'requests/s moves less than CPU time.',
    config: () => ({ rounds: quick ? 1 : 5, requests: quick ? 5000 : 60000 }),
    run(node, cfg) {
      const names = Object.keys(adapters);
      const jsThreadCpu = Object.fromEntries(names.map((name) => [name, []]));
      const rows = interleave(names, cfg.rounds, (name) => {
        const requests = name.includes('async_hooks mode') ? Math.ceil(cfg.requests / 3) : cfg.requests;
        const r = runJson(node, 'workload-promise.js', [name, String(requests), '100']);
        if (r.jsThreadCpuPerRequest !== null) jsThreadCpu[name].push(r.jsThreadCpuPerRequest);
        return { value: r.rps, wrong: r.wrong };
      }, 'promise');
      for (const row of rows) row.jsThreadCpu = jsThreadCpu[row.name].length > 0 ? median(jsThreadCpu[row.name]) : null;
      const floors = ['no tracking', 'empty init hook', 'all tracking hooks, empty', 'tracking hooks without promises, empty', "AsyncLocalStorage + the tracker's hooks, empty", 'native-execution-context + empty before hook'];
      return { rows, table: ratioTable(rows, OURS, 'requests/s', floors, { title: 'JS-thread CPU, µs per request', value: (row) => row.jsThreadCpu }) };
    },
  },

  express: {
    title: 'Express over HTTP (loopback)',
    describe: (cfg) =>
      `Express app; a middleware runs each request in a context, the handler reads it after 3 async hops and ` +
      'answers JSON; ours also with monitoring on (every request, and `sample: 0.1`) and with the stall watchdog on ' +
      '(threshold 1 s). "AsyncLocalStorage + the tracker\'s hooks, empty" is Node\'s AsyncLocalStorage beside exactly ' +
      'the hooks our tracker installs on this Node, each empty: what monitoring costs a server before it does any work. ' +
      `Load: autocannon in a separate process, 50 connections, ${cfg.seconds} s per sample after an ` +
      'untimed second of load, ' +
      `${cfg.rounds} interleaved round(s). "server CPU per request": the server process's user + system CPU time over ` +
      'the timed load divided by the requests answered (/proc), steadier than requests/s when other work shares the cores.',
    config: () => ({ rounds: quick ? 1 : 5, seconds: quick ? 2 : 5 }),
    run: (node, cfg) => runExpress(node, cfg),
  },

  otel: {
    title: 'OpenTelemetry',
    describe: (cfg) =>
      'Express app (bench/workload-otel.js) with OpenTelemetry\'s API, a request-context middleware (a request id) and ' +
      'a middleware that starts a span (BasicTracerProvider, no exporter) and makes it the active context for the rest ' +
      'of the request; the handler reads the active span\'s trace id and the request context after 3 async hops and ' +
      'answers JSON. native-execution-context: its /otel NativeContextManager and its /express middleware, one frame ' +
      'per request for both. The others pair OpenTelemetry\'s AsyncLocalStorageContextManager ' +
      '(@opentelemetry/context-async-hooks) with node-execution-context or a plain AsyncLocalStorage behind a ' +
      'hand-written middleware doing what /express does: two engines. Load: autocannon in a separate process, ' +
      `50 connections, ${cfg.seconds} s per sample after an untimed second of load, ${cfg.rounds} interleaved round(s). ` +
      '"server CPU per request": the server process\'s user + system CPU time over the timed load divided by the requests ' +
      'answered (/proc), steadier than requests/s when other work shares the cores; both ratio columns are above 1.00x ' +
      'where native-execution-context is faster.',
    // 9 rounds: on this shared machine one pairing's median moved by up to 10% between runs of 5.
    config: () => ({ rounds: quick ? 1 : 9, seconds: quick ? 2 : 5 }),
    run: (node, cfg) => runOtel(node, cfg),
  },

  stores: {
    title: 'Many stores: 1 and 100 AsyncLocalStorage instances',
    describe: (cfg) =>
      `${fmt(cfg.requests)} logical requests with 1 store and ${fmt(cfg.manyRequests)} with 100 (Node's own ` +
      'AsyncLocalStorage with 100 stores takes too long for more), 100 at a time, after an untimed warm-up of a quarter as many; ' +
      'each runs through one nested `run` per store (1 or 100 ' +
      'instances, each given its own value), then reads the first, a middle and the last store after each of 20 awaits, ' +
      'a setImmediate, a nextTick and a setTimeout(0). Node 20/22\'s AsyncLocalStorage copies every store onto every new ' +
      'async resource and Node 24\'s copies its map of stores on every `run`; native-execution-context/als (one slot per ' +
      'store in a frame shared by all of them) carries one frame per async resource whatever the number of stores.',
    config: () => ({ rounds: quick ? 1 : 5, requests: quick ? 5000 : 60000, manyRequests: quick ? 5000 : 20000 }),
    run(node, cfg) {
      const { adapterNames } = require('./workload-stores');
      const rows = interleave(adapterNames, cfg.rounds, (name) => {
        const requests = name.includes('100 stores') ? cfg.manyRequests : cfg.requests;
        const r = runJson(node, 'workload-stores.js', [name, String(requests), '100']);
        return { value: r.rps, wrong: r.wrong };
      }, 'stores');
      return { rows, table: storesTable(rows) };
    },
  },

  namespace: {
    title: 'Namespaces: native-execution-context/cls against cls-hooked',
    describe: (cfg) =>
      `${fmt(cfg.requests)} logical requests, 500 at a time (enough to keep the CPU busy through each request's 1 ms ` +
      'timer, so that requests/s measures the library, not idle waiting); each runs in a namespace context, sets 3 keys, opens a nested ' +
      'context that shadows one of them, and reads all of them after each of 20 awaits, a setImmediate and a setTimeout. ' +
      'Measured with 1 namespace and with 20 namespaces (the same work in each; cls-hooked runs one hook per namespace).',
    config: () => ({ rounds: quick ? 1 : 5, requests: quick ? 5000 : 20000 }),
    run(node, cfg) {
      const { adapters: names } = require('./workload-namespace');
      const cases = names.flatMap((name) => [`${name}|1`, `${name}|20`]);
      const rows = interleave(cases, cfg.rounds, (key) => {
        const [name, namespaces] = key.split('|');
        const requests = namespaces === '20' ? cfg.requests / 4 : cfg.requests;
        const r = runJson(node, 'workload-namespace.js', [name, String(requests), '500', namespaces]);
        return { value: r.rps, wrong: r.wrong };
      }, 'namespace');
      const value = (key) => rows.find((row) => row.name === key);
      const lines = ['| namespaces | native-execution-context/cls (requests/s) | cls-hooked 4.2.2 (requests/s) | ours / cls-hooked | wrong |', '|---:|---:|---:|---:|---:|'];
      for (const count of ['1', '20']) {
        const ours = value(`${names[0]}|${count}`);
        const peer = value(`${names[1]}|${count}`);
        lines.push(`| ${count} | ${fmt(ours.value)} | ${fmt(peer.value)} | **${(ours.value / peer.value).toFixed(2)}x** | ${ours.wrong + peer.wrong} |`);
      }
      return { rows, table: lines.join('\n') };
    },
  },

  memory: {
    title: 'Memory: abandoned requests',
    describe: (cfg) =>
      `${fmt(cfg.requests)} requests with monitoring on, one in ten abandoned on a promise that never settles; then GC. ` +
      `Below it, what tracking holds while ${fmt(cfg.pendingRequests)} requests are each waiting on ${cfg.pending} resources ` +
      '(timers and awaited promises; bench/workload-tracking-memory.js): the V8 heap with monitoring on minus the same ' +
      `workload with it off (median of ${cfg.rounds} runs each, after GC); beside it, the same for the hooks tracking enables on this Node, ` +
      'each empty, and no monitoring (Node\'s own per-promise async ids where the async hook sees promises; on Node 24, where ' +
      'tracking leaves promises to V8\'s promise hooks, those hooks hold nothing per promise and the engine\'s own promise ' +
      'numbers are part of the monitoring row); and the native tables (the tracker\'s `nativeBytes`) per entry in its map.',
    config: () => ({ requests: quick ? 20000 : 100000, pendingRequests: 10000, pending: 10, rounds: quick ? 1 : 3 }),
    run(node, cfg) {
      const r = runJson(node, 'workload-memory.js', [String(cfg.requests)], ['--expose-gc']);
      const heap = { on: [], off: [], hooks: [] };
      let tracked;
      for (let round = 0; round < cfg.rounds; round++) {
        for (const mode of ['off', 'on', 'hooks']) {
          const t = runJson(node, 'workload-tracking-memory.js', [mode, String(cfg.pendingRequests), String(cfg.pending)], ['--expose-gc']);
          heap[mode].push(t.heapBytes);
          if (mode === 'on') tracked = t;
        }
      }
      const growth = (median(heap.on) - median(heap.off)) / 1e6;
      const hooksGrowth = (median(heap.hooks) - median(heap.off)) / 1e6;
      const table = [
        '| requests | abandoned | `monitor().size` before GC | after GC (target <= 100) | contexts after GC | heap growth after GC (target < 20 MB) |',
        '|---:|---:|---:|---:|---:|---:|',
        `| ${fmt(r.requests)} | ${fmt(r.abandoned)} | ${fmt(r.sizeBeforeGc)} | ${r.size} | ${r.contexts} | ${r.heapGrowthMB.toFixed(2)} MB |`,
        '',
        '| pending requests x resources | tracked entries in the native map | V8 heap held with monitoring on (target <= 2 MB) | of it, the empty hooks\' alone *(floor)* | native bytes | native bytes per tracked entry | map after the promises settle (only the 60 s timers and their promises left) |',
        '|---|---:|---:|---:|---:|---:|---:|',
        `| ${fmt(cfg.pendingRequests)} x ${cfg.pending} | ${fmt(tracked.mapSize)} | ${growth.toFixed(2)} MB | ${hooksGrowth.toFixed(2)} MB | ${(tracked.nativeBytes / 1e6).toFixed(2)} MB | ${Math.round(tracked.nativeBytes / tracked.mapSize)} | ${fmt(tracked.drainedMapSize)} |`,
      ].join('\n');
      return { rows: [], table };
    },
  },

  cold: {
    title: 'Cold start: the first 10,000 requests',
    describe: (cfg) =>
      `A fresh process per sample, no warm-up: the first ${fmt(cfg.requests)} requests of the promise-heavy workload ` +
      '(the same request, 100 at a time). Timed from just before the implementation is required (loading it, its ' +
      'first unoptimized requests and their compilation included) to the end of the last request, and also from ' +
      'process start (`performance.now()`: Node\'s own start-up too, the same for everyone). "require()" is the ' +
      'load alone; "CPU" is the process\'s CPU time (all threads: JIT compilers, GC) from require to the last request. ' +
      `${cfg.rounds} interleaved rounds, medians. Target: native-execution-context at least 0.95x AsyncLocalStorage.`,
    config: () => ({ rounds: quick ? 3 : 15, requests: 10000 }),
    run(node, cfg) {
      const names = [OURS, 'AsyncLocalStorage', 'node-execution-context 3.1.0', 'no tracking'];
      const samples = Object.fromEntries(names.map((name) => [name, { rps: [], rpsFromStart: [], requireMs: [], cpuMs: [], wrong: 0 }]));
      for (let round = 1; round <= cfg.rounds; round++) {
        for (let i = 0; i < names.length; i++) {
          const name = names[(i + round) % names.length];
          const r = runJson(node, 'workload-cold.js', [name, String(cfg.requests), '100']);
          for (const key of ['rps', 'rpsFromStart', 'requireMs', 'cpuMs']) samples[name][key].push(r[key]);
          samples[name].wrong += r.wrong;
        }
        process.stderr.write(`  cold: round ${round}/${cfg.rounds}\n`);
      }
      const rows = names.map((name) => ({
        name,
        value: median(samples[name].rps),
        fromStart: median(samples[name].rpsFromStart),
        requireMs: median(samples[name].requireMs),
        cpuMs: median(samples[name].cpuMs),
        wrong: samples[name].wrong,
      }));
      const ours = rows.find((row) => row.name === OURS);
      const lines = [
        `| implementation | requests/s from require (median) | ${OURS} / this | requests/s from process start | ${OURS} / this | require() (ms) | CPU (ms) | wrong |`,
        '|---|---:|---:|---:|---:|---:|---:|---:|',
      ];
      for (const row of rows) {
        const name = row.name === 'no tracking' ? 'no tracking *(floor)*' : row.name === OURS ? `**${row.name}**` : row.name;
        lines.push(`| ${name} | ${fmt(row.value)} | ${(ours.value / row.value).toFixed(2)}x | ${fmt(row.fromStart)} | ` +
          `${(ours.fromStart / row.fromStart).toFixed(2)}x | ${row.requireMs.toFixed(2)} | ${fmt(row.cpuMs)} | ${row.wrong} |`);
      }
      return { rows, table: lines.join('\n') };
    },
  },

  ops: {
    title: 'Per-operation costs',
    describe: (cfg) =>
      'Nanoseconds per operation (lower is better), bench/ops.js: `native-execution-context/als` (the `./als` export) ' +
      'against Node\'s AsyncLocalStorage, each in its own process, one loop per operation calibrated to >= 200 ms per ' +
      `sample after its calibration runs (the warm-up); ${cfg.rounds} interleaved rounds of ${cfg.samples} samples, median. ` +
      'CPU time of the process over the iterations, not wall time: on this shared machine the time a process waits ' +
      'for a core would otherwise double some samples. ' +
      'Every loop runs in a setImmediate callback inside the runs the row names. "chain": override links from the ' +
      'current frame to its flat base in ours (lib/engine/frame.js: each run of another store inside a run stacks one, ' +
      'up to MAX_OVERRIDES = 8; the next run flattens them into a new flat frame). "other strategy": ours forced onto ' +
      'the strategy its default did not pick on this Node. The last column is AsyncLocalStorage\'s ns over ours: above ' +
      '1.00x, ours is faster.',
    config: () => ({ rounds: quick ? 1 : 3, samples: quick ? 2 : 3 }),
    run(node, cfg) {
      const { OPS } = require('./ops');
      const names = ['ours', 'ours (other strategy)', 'AsyncLocalStorage'];
      const results = Object.fromEntries(names.map((name) => [name, { ops: {}, strategy: null, chains: {} }]));
      for (let round = 1; round <= cfg.rounds; round++) {
        for (let i = 0; i < names.length; i++) {
          const name = names[(i + round) % names.length];
          const r = runJson(node, 'ops.js', [name, String(cfg.samples)]);
          const into = results[name];
          into.strategy = r.strategy;
          into.chains = r.chains;
          for (const [op, ns] of Object.entries(r.ops)) (into.ops[op] ??= []).push(...ns);
        }
        process.stderr.write(`  ops: round ${round}/${cfg.rounds}\n`);
      }
      const rows = OPS.map((op) => ({
        name: op.name,
        label: op.label,
        chain: results.ours.chains[op.name],
        ours: median(results.ours.ops[op.name]),
        other: median(results['ours (other strategy)'].ops[op.name]),
        als: median(results.AsyncLocalStorage.ops[op.name]),
      }));
      const ns = (value) => (value < 100 ? value.toFixed(1) : fmt(value));
      const lines = [
        `| operation | chain | ${OURS}/als (ns) | other strategy: ${results['ours (other strategy)'].strategy} (ns) | AsyncLocalStorage (ns) | AsyncLocalStorage / ours |`,
        '|---|---:|---:|---:|---:|---:|',
      ];
      for (const row of rows) {
        lines.push(`| ${row.label} | ${row.chain ?? '-'} | ${ns(row.ours)} | ${ns(row.other)} | ${ns(row.als)} | **${(row.als / row.ours).toFixed(2)}x** |`);
      }
      return { rows, table: lines.join('\n'), strategy: results.ours.strategy };
    },
  },
};

// The many-stores table: per store count, ours and Node's AsyncLocalStorage side by side.
function storesTable(rows) {
  const value = (name) => rows.find((row) => row.name === name);
  const lines = [
    '| stores | native-execution-context/als (requests/s) | AsyncLocalStorage (requests/s) | ours / AsyncLocalStorage | wrong |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const [count, label] of [[1, '1 store'], [100, '100 stores']]) {
    const ours = value(`native-execution-context/als (${label})`);
    const node = value(`AsyncLocalStorage (${label})`);
    lines.push(`| ${count} | ${fmt(ours.value)} | ${fmt(node.value)} | **${(ours.value / node.value).toFixed(2)}x** | ${ours.wrong + node.wrong} |`);
  }
  return lines.join('\n');
}

// User plus system CPU seconds of a process so far (Linux: /proc/<pid>/stat, in clock ticks);
// NaN elsewhere.
let clockTicks;
function cpuSeconds(pid) {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime: fields 14 and 15
  } catch {
    return NaN;
  }
}

// Starts a bench server (`command argv`, which prints `{"port":N}` once listening and its
// `{"served":S,"wrong":W}` stats on SIGTERM), runs `drive(port)` once it listens, stops it, and
// resolves to { result: what drive returned, stats }.
function underLoad(command, argv, stderr, drive) {
  return new Promise((resolve, reject) => {
    const server = spawn(command, argv, { stdio: ['ignore', 'pipe', stderr] });
    let out = '';
    let result;
    server.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n') || server.loadStarted) return;
      server.loadStarted = true;
      result = drive(JSON.parse(out.split('\n')[0]).port, server.pid);
      server.kill('SIGTERM');
    });
    server.on('error', reject);
    server.on('exit', () => resolve({ result, stats: JSON.parse(out.trim().split('\n').pop()) }));
  });
}

async function measureExpress(node, name, seconds, workload = 'workload-express.js') {
  const { result, stats } = await underLoad(node, [path.join(__dirname, workload), name], 'inherit', (port, pid) => {
    const loadFor = (duration) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'load.js'), String(port), String(duration), '50'], { encoding: 'utf8' }));
    // An untimed second of load first, as in the other workloads: steady state, not JIT warm-up.
    const warmup = loadFor(1);
    const cpuBefore = cpuSeconds(pid);
    const load = loadFor(seconds);
    // The server's CPU time per request: steadier than requests/s when other work shares the cores.
    const cpuMicros = ((cpuSeconds(pid) - cpuBefore) * 1e6) / (load.total || NaN);
    return { load, errors: warmup.errors + load.errors, cpuMicros };
  });
  return { value: result.load.rps, wrong: stats.wrong + result.errors, cpuMicros: result.cpuMicros };
}

function runSuites(selected) {
  return (async () => {
    const results = [];
    for (const node of nodes()) {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      process.stderr.write(`Node.js ${version}\n`);
      const perNode = { version, suites: {} };
      for (const key of selected) {
        const suite = suites[key];
        const cfg = suite.config();
        // --rounds N: fewer (or more) interleaved rounds than the suite's default, said in its text.
        if (option('--rounds') !== undefined && cfg.rounds !== undefined) cfg.rounds = Math.max(1, Number(option('--rounds')));
        perNode.suites[key] = { ...(await suite.run(node, cfg)), cfg };
      }
      results.push(perNode);
    }
    return results;
  })();
}

async function runExpress(node, cfg) {
  // Ours with monitoring on (all requests, and one in ten) and with the stall watchdog on: their
  // cost on a real server, beside monitoring off.
  // The floor of monitoring on a server: the hooks our tracker installs, each empty, beside Node's
  // own store (any tracker fed by these hooks pays it before doing any work).
  const hooksFloor = "AsyncLocalStorage + the tracker's hooks, empty";
  const names = ['no tracking', hooksFloor, OURS, `${OURS} (monitor on)`, `${OURS} (monitor on, sample 0.1)`, `${OURS} (stall watchdog on)`, 'node-execution-context 3.1.0', 'AsyncLocalStorage'];
  return runHttp(node, cfg, names, 'express', 'workload-express.js', { 'no tracking': 'no context at all *(floor)*', [hooksFloor]: `${hooksFloor} *(floor)*` });
}

async function runOtel(node, cfg) {
  const { pairingNames } = require('./workload-otel');
  return runHttp(node, cfg, pairingNames, 'otel', 'workload-otel.js', {});
}

// Interleaved rounds of one server per implementation under HTTP load: requests/s and the
// server's CPU per request (steadier when other work shares the cores), medians. `shownAs`
// renames rows in the table (floors).
async function runHttp(node, cfg, names, label, workload, shownAs) {
  const samples = Object.fromEntries(names.map((name) => [name, { values: [], cpu: [], wrong: 0 }]));
  for (let round = 1; round <= cfg.rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { value, wrong, cpuMicros } = await measureExpress(node, name, cfg.seconds, workload);
      samples[name].values.push(value);
      samples[name].cpu.push(cpuMicros);
      samples[name].wrong += wrong;
    }
    process.stderr.write(`  ${label}: round ${round}/${cfg.rounds}\n`);
  }
  const rows = names.map((name) => ({ name, value: median(samples[name].values), cpu: median(samples[name].cpu), wrong: samples[name].wrong }));
  const ours = rows.find((row) => row.name === OURS);
  const lines = [
    `| implementation | requests/s (median) | ${OURS} / this | server CPU per request (µs, median) | this / ${OURS} | wrong |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const name = shownAs[row.name] ?? (row.name === OURS ? `**${row.name}**` : row.name);
    lines.push(`| ${name} | ${fmt(row.value)} | ${(ours.value / row.value).toFixed(2)}x | ${row.cpu.toFixed(1)} | ${(row.cpu / ours.cpu).toFixed(2)}x | ${row.wrong} |`);
  }
  return { rows, table: lines.join('\n') };
}

// Instructions per request (valgrind's callgrind), repeatable under load, unlike seconds.
// `--callgrind`: the promise workload, from runs with 0, 4,000 and 12,000 requests (each plus the
// driver's warm-up): steady state is the difference between the two longer runs, so start-up and
// most JIT compilation cancel out; "first requests" is the 4,000-request run minus start-up,
// compilation included.
// `--callgrind express`: the Express server under callgrind, sent 2,000 and then 8,000 requests by
// autocannon in another process (not counted); steady state is the difference. The server's
// native threads (the tracker's applier) are counted too. Where requests/s cannot resolve a few
// percent on a shared machine, this can (repeated runs of one build scatter by about 1%).
function callgrind() {
  if (option('--callgrind') === 'express') return callgrindExpress();
  const names = [OURS, 'AsyncLocalStorage', 'node-execution-context 3.1.0', 'cls-hooked 4.2.2', 'no tracking'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-callgrind-'));
  const SHORT = 4000;
  const LONG = 12000;
  const handled = (requests) => requests + (requests === 0 ? 0 : warmupFor(requests));
  const count = (name, requests) => {
    const outFile = path.join(dir, `${name.replace(/\W+/g, '_')}-${requests}.out`);
    execFileSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, process.execPath, '--single-threaded',
      path.join(__dirname, 'workload-promise.js'), name, String(requests), '100'], { stdio: ['ignore', 'ignore', 'ignore'] });
    return instructionsIn(outFile);
  };
  const lines = [
    '| implementation | instructions per request, steady state | per request, first requests (JIT included) | start-up instructions |',
    '|---|---:|---:|---:|',
  ];
  for (const name of names) {
    const startup = count(name, 0);
    const short = count(name, SHORT);
    const long = count(name, LONG);
    const steady = (long - short) / (handled(LONG) - handled(SHORT));
    const first = (short - startup) / handled(SHORT);
    lines.push(`| ${name} | ${fmt(steady)} | ${fmt(first)} | ${fmt(startup)} |`);
    process.stderr.write(`  callgrind: ${name} done\n`);
  }
  process.stdout.write(`Instruction counts (valgrind --tool=callgrind, Node.js ${process.version} --single-threaded, promise workload):\n\n${lines.join('\n')}\n`);
}

const instructionsIn = (outFile) => Number(fs.readFileSync(outFile, 'utf8').match(/^(?:totals|summary): (\d+)/m)[1]);

// Monitoring's cost on a server, beside its floor (see callgrind above).
async function callgrindExpress() {
  const hooksFloor = "AsyncLocalStorage + the tracker's hooks, empty";
  const names = ['no tracking', hooksFloor, OURS, `${OURS} (monitor on, sample 0.1)`, `${OURS} (monitor on)`];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-callgrind-'));
  const SHORT = 2000;
  const LONG = 8000;
  const count = async (name, requests) => {
    const outFile = path.join(dir, `${name.replace(/\W+/g, '_')}-${requests}.out`);
    const argv = ['--tool=callgrind', `--callgrind-out-file=${outFile}`, process.execPath, '--single-threaded', path.join(__dirname, 'workload-express.js'), name];
    // 4 connections: under callgrind the server answers a few hundred requests a second.
    const { stats } = await underLoad('valgrind', argv, 'ignore', (port) => execFileSync(process.execPath, [path.join(__dirname, 'load.js'), String(port), '0', '4', String(requests)]));
    if (stats.served !== requests || stats.wrong !== 0) throw new Error(`${name}: served ${stats.served} of ${requests}, ${stats.wrong} wrong`);
    return instructionsIn(outFile);
  };
  const lines = ['| implementation | instructions per request, steady state | this / ours |', '|---|---:|---:|'];
  const steady = {};
  for (const name of names) {
    steady[name] = ((await count(name, LONG)) - (await count(name, SHORT))) / (LONG - SHORT);
    process.stderr.write(`  callgrind: ${name} done\n`);
  }
  for (const name of names) lines.push(`| ${name} | ${fmt(steady[name])} | ${(steady[name] / steady[OURS]).toFixed(3)} |`);
  process.stdout.write(`Instruction counts (valgrind --tool=callgrind, Node.js ${process.version} --single-threaded, Express server, ${SHORT} vs ${LONG} requests):\n\n${lines.join('\n')}\n`);
}

// The commit measured, and whether the library had uncommitted changes then.
function revision() {
  try {
    const git = (...argv) => execFileSync('git', argv, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'lib', 'src', 'index.js', 'binding.js') !== '';
    return dirty ? `${head} plus uncommitted changes to lib/ or src/` : head;
  } catch {
    return 'an unknown revision';
  }
}

// A BENCHMARKS.md as its header (everything before the first '## ') and its '## ' sections by
// title, each from its heading up to the next.
function splitSections(text) {
  const parts = text.split(/^(?=## )/m);
  const header = parts[0].startsWith('## ') ? '' : parts.shift();
  return { header, sections: new Map(parts.map((part) => [part.slice(3, part.indexOf('\n')).trim(), part])) };
}

// Sections of the suites just run replace their namesakes; every other section is kept as it
// was (a run of some suites never wipes the others). Known suites in suite order, then any
// section no suite knows.
function mergeSections(previous, header, fresh) {
  const { header: oldHeader, sections } = splitSections(previous);
  const blocks = [];
  for (const suite of Object.values(suites)) {
    const block = fresh.get(suite.title) ?? sections.get(suite.title);
    if (block !== undefined) blocks.push(block);
    sections.delete(suite.title);
  }
  blocks.push(...sections.values());
  const trim = (block) => block.replace(/\s*$/, '\n');
  return [trim(header ?? oldHeader), ...blocks.map(trim)].join('\n');
}

// The compact ops table: one column pair (ours, AsyncLocalStorage) per Node, in ns per operation.
// Lines stay within 96 characters (a '// ' prefix in propagation.js keeps them under 100).
function compactOpsTable(results, cfg, command, date, measuredAt) {
  const { OPS } = require('./ops');
  const strategyShort = { resource: 'resource', 'async-context-frame': 'acf' };
  const labelWidth = Math.max(...OPS.map((op) => op.short.length)) + 2;
  const groupWidth = 18;
  const cell = (text) => String(text).padStart(7);
  const words = [
    `ns per operation (lower is better), median of ${cfg.rounds} rounds x ${cfg.samples} samples, bench/ops.js;`,
    "ALS: Node's AsyncLocalStorage; chain: overrides on the frame (MAX_OVERRIDES 8, then flat);",
    `\`${command}\` on ${date} at ${measuredAt}.`,
  ].join(' ').split(' ');
  const lines = [''];
  for (const word of words) {
    const last = lines.length - 1;
    if (lines[last] !== '' && lines[last].length + 1 + word.length > 96) lines.push(word);
    else lines[last] = lines[last] === '' ? word : `${lines[last]} ${word}`;
  }
  const group = (r) => `${r.version.replace(/^v/, '')} ${strategyShort[r.suites.ops.strategy] ?? r.suites.ops.strategy}`;
  lines.push(
    ' '.repeat(labelWidth) + results.map((r) => group(r).padStart(14).padEnd(groupWidth)).join('').trimEnd(),
    'operation'.padEnd(labelWidth) + results.map(() => `${cell('ours')}${cell('ALS')}`.padEnd(groupWidth)).join('').trimEnd(),
  );
  for (const op of OPS) {
    const cells = results.map((r) => {
      const row = r.suites.ops.rows.find((x) => x.name === op.name);
      return `${cell(Math.round(row.ours))}${cell(Math.round(row.als))}`.padEnd(groupWidth);
    });
    lines.push(`${op.short.padEnd(labelWidth)}${cells.join('').trimEnd()}`);
  }
  return lines;
}

// Writes the compact ops table to bench/ops-table.txt and, when lib/engine/propagation.js has
// the marker lines `<ops-table>` and `</ops-table>`, between them (each line with the opening
// marker's prefix, e.g. '// '). Nothing else in that file is touched. Returns the files written.
function writeOpsTable(lines, outDir) {
  const written = [];
  const txt = path.join(outDir, 'ops-table.txt');
  fs.writeFileSync(txt, `${lines.join('\n')}\n`);
  written.push(path.relative(ROOT, txt));
  if (quick) return written;
  const file = path.join(ROOT, 'lib', 'engine', 'propagation.js');
  if (!fs.existsSync(file)) return written;
  const source = fs.readFileSync(file, 'utf8').split('\n');
  const open = source.findIndex((line) => line.includes('<ops-table>'));
  const close = source.findIndex((line, i) => i > open && line.includes('</ops-table>'));
  if (open === -1 || close === -1) return written;
  const prefix = source[open].slice(0, source[open].indexOf('<ops-table>'));
  const block = lines.map((line) => `${prefix}${line}`.trimEnd());
  const updated = [...source.slice(0, open + 1), ...block, ...source.slice(close)].join('\n');
  if (updated !== source.join('\n')) fs.writeFileSync(file, updated);
  written.push(path.relative(ROOT, file));
  return written;
}

async function main() {
  if (flag('--callgrind')) return callgrind();
  const selected = (option('--only') ?? Object.keys(suites).join(',')).split(',').filter((key) => suites[key]);
  const results = await runSuites(selected);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  const date = new Date().toISOString().slice(0, 10);
  const measuredAt = revision();
  const everySuite = selected.length === Object.keys(suites).length;
  const machine = `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`;
  // A quick look never replaces the published tables: it goes to .bench-out/ (git-ignored).
  const outFile = quick ? path.join(ROOT, '.bench-out', 'BENCHMARKS-quick.md') : path.join(ROOT, 'BENCHMARKS.md');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const previous = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  // The header says which run made the file: rewritten by a run of every suite (or when there is
  // no file yet); a run of some suites keeps it and stamps each of its sections instead.
  const header = everySuite || !previous.includes('\n## ') ? [
    '# Benchmarks',
    '',
    `Generated by \`${command}\` (bench/run.js) on ${date} at ${measuredAt}; do not edit by hand.`,
    `Machine: ${machine}, shared and noisy:`,
    'compare ratios measured in the same run, not absolute numbers across runs.',
    '',
    'Each sample is a fresh process running one implementation; rounds are interleaved in rotating order and the median',
    'is shown. "ours / this" above 1.00x means native-execution-context is faster. Rows marked *(floor)* are not',
    'context libraries: most pass the context by hand, with no tracking at all or under empty `async_hooks` hooks; one',
    "carries it in Node's AsyncLocalStorage beside the empty hooks our tracker installs.",
    '',
    '![requests per second, promise-heavy workload](bench/chart.svg)',
    '',
  ].join('\n') : undefined;
  const fresh = new Map();
  for (const key of selected) {
    const doc = [`## ${suites[key].title}`, ''];
    // A section kept from an earlier run may come from another machine (the shared machine has
    // changed under us): each stamp names its own.
    if (!everySuite) doc.push(`*Measured by \`${command}\` on ${date} at ${measuredAt}, on ${machine}.*`, '');
    doc.push(suites[key].describe(results[0].suites[key].cfg), '');
    for (const perNode of results) {
      const strategy = execFileSync(nodes()[results.indexOf(perNode)], ['-p', "require('./lib/engine').engine().strategyName"], { cwd: ROOT, encoding: 'utf8' }).trim();
      doc.push(`### Node.js ${perNode.version} (strategy: ${strategy})`, '', perNode.suites[key].table, '');
    }
    fresh.set(suites[key].title, doc.join('\n'));
  }
  fs.writeFileSync(outFile, mergeSections(previous, header, fresh));
  if (!quick && selected.includes('promise')) {
    const groups = results.map((perNode) => ({ name: `Node.js ${perNode.version}`, rows: perNode.suites.promise.rows }));
    fs.writeFileSync(path.join(__dirname, 'chart.svg'), barChart({ title: 'Promise-heavy workload: requests/s (higher is better)', groups, highlight: OURS }));
  }
  if (selected.includes('ops')) {
    const lines = compactOpsTable(results, results[0].suites.ops.cfg, command, date, measuredAt);
    const written = writeOpsTable(lines, quick ? path.dirname(outFile) : __dirname);
    process.stderr.write(`ops table written to ${written.join(' and ')}\n`);
  }
  process.stdout.write([...fresh.values()].join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
