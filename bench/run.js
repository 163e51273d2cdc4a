'use strict';
// `npm run bench`: interleaved rounds, one fresh process per implementation per round, medians
// and ratios; writes BENCHMARKS.md and bench/chart.svg. A benchmark, not a test.
//
//   npm run bench                          full run on Node 20, 22 and 24 (fetched into .cache/)
//   npm run bench -- --quick               a first look on this Node, well under a minute
//   npm run bench -- --nodes 20,24         choose Node majors;  --node /path/to/node  adds a binary
//   npm run bench -- --only promise,express
//   npm run bench -- --callgrind           instruction counts (valgrind), stable under load

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { adapters } = require('./adapters');
const { warmupFor } = require('./drive');
const { barChart } = require('./chart');
const { nodeBinary } = require('../scripts/node-binary');

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

function ratioTable(rows, ours, unit, floors) {
  const oursValue = rows.find((row) => row.name === ours).value;
  const lines = [`| implementation | ${unit} (median) | ${ours} / this | wrong |`, '|---|---:|---:|---:|'];
  for (const row of rows) {
    const name = floors.includes(row.name) ? `${row.name} *(floor)*` : row.name === ours ? `**${row.name}**` : row.name;
    lines.push(`| ${name} | ${fmt(row.value)} | ${(oursValue / row.value).toFixed(2)}x | ${row.wrong} |`);
  }
  return lines.join('\n');
}

// ---- suites -------------------------------------------------------------------------------

const suites = {
  promise: {
    title: 'Promise-heavy workload',
    describe: (cfg) =>
      `${fmt(cfg.requests)} logical requests, 100 at a time; each runs in its own context and reads it after each of 20 ` +
      'awaits, a setImmediate, a nextTick and a setTimeout(0). Every process first runs an untimed warm-up of a quarter ' +
      'as many requests. node-execution-context\'s async_hooks mode runs a third of the requests: its map only grows, so its ' +
      'requests/s falls as the count grows (a flattering count for it), and at the full count it ran out of its 4 GB heap ' +
      'after about 57 s on Node 20. ' +
      '"other strategy" is native-execution-context forced onto the propagation strategy its default ' +
      'did not pick on this Node (the measurement behind the default).',
    config: () => ({ rounds: quick ? 1 : 5, requests: quick ? 5000 : 60000 }),
    run(node, cfg) {
      const names = Object.keys(adapters);
      const rows = interleave(names, cfg.rounds, (name) => {
        const requests = name.includes('async_hooks mode') ? Math.ceil(cfg.requests / 3) : cfg.requests;
        const r = runJson(node, 'workload-promise.js', [name, String(requests), '100']);
        return { value: r.rps, wrong: r.wrong };
      }, 'promise');
      return { rows, table: ratioTable(rows, OURS, 'requests/s', ['no tracking', 'empty init hook']) };
    },
  },

  express: {
    title: 'Express over HTTP (loopback)',
    describe: (cfg) =>
      `Express app; a middleware runs each request in a context, the handler reads it after 3 async hops and ` +
      `answers JSON. Load: autocannon in a separate process, 50 connections, ${cfg.seconds} s per sample after an ` +
      'untimed second of load, ' +
      `${cfg.rounds} interleaved round(s).`,
    config: () => ({ rounds: quick ? 1 : 5, seconds: quick ? 2 : 5 }),
    run: (node, cfg) => runExpress(node, cfg),
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
      `${fmt(cfg.requests)} requests with monitoring on, one in ten abandoned on a promise that never settles; then GC.`,
    config: () => ({ requests: quick ? 20000 : 100000 }),
    run(node, cfg) {
      const r = runJson(node, 'workload-memory.js', [String(cfg.requests)], ['--expose-gc']);
      const table = [
        '| requests | abandoned | `monitor().size` before GC | after GC (target <= 100) | contexts after GC | heap growth after GC (target < 20 MB) |',
        '|---:|---:|---:|---:|---:|---:|',
        `| ${fmt(r.requests)} | ${fmt(r.abandoned)} | ${fmt(r.sizeBeforeGc)} | ${r.size} | ${r.contexts} | ${r.heapGrowthMB.toFixed(2)} MB |`,
      ].join('\n');
      return { rows: [], table };
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

function measureExpress(node, name, seconds) {
  return new Promise((resolve, reject) => {
    const server = spawn(node, [path.join(__dirname, 'workload-express.js'), name], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n') || server.loadStarted) return;
      server.loadStarted = true;
      const { port } = JSON.parse(out.split('\n')[0]);
      const loadFor = (duration) => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'load.js'), String(port), String(duration), '50'], { encoding: 'utf8' }));
      // An untimed second of load first, as in the other workloads: steady state, not JIT warm-up.
      const warmup = loadFor(1);
      const load = loadFor(seconds);
      load.errors += warmup.errors;
      server.kill('SIGTERM');
      server.on('exit', () => {
        const stats = JSON.parse(out.trim().split('\n').pop());
        resolve({ value: load.rps, wrong: stats.wrong + load.errors });
      });
    });
    server.on('error', reject);
  });
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
        perNode.suites[key] = { ...(await suite.run(node, cfg)), cfg };
      }
      results.push(perNode);
    }
    return results;
  })();
}

async function runExpress(node, cfg) {
  const names = ['no tracking', OURS, 'node-execution-context 3.1.0', 'AsyncLocalStorage'];
  const samples = Object.fromEntries(names.map((name) => [name, { values: [], wrong: 0 }]));
  for (let round = 1; round <= cfg.rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { value, wrong } = await measureExpress(node, name, cfg.seconds);
      samples[name].values.push(value);
      samples[name].wrong += wrong;
    }
    process.stderr.write(`  express: round ${round}/${cfg.rounds}\n`);
  }
  const rows = names.map((name) => ({ name, value: median(samples[name].values), wrong: samples[name].wrong }));
  const table = ratioTable(rows, OURS, 'requests/s', ['no tracking']).replace('no tracking *(floor)*', 'no context at all *(floor)*');
  return { rows, table };
}

// Instructions per request, from instruction counts of runs with 0, 4,000 and 12,000 requests
// (each plus the driver's warm-up): steady state is the difference between the two longer runs,
// so start-up and most JIT compilation cancel out; "first requests" is the 4,000-request run
// minus start-up, compilation included. Repeatable under load, unlike seconds.
function callgrind() {
  const names = [OURS, 'AsyncLocalStorage', 'node-execution-context 3.1.0', 'cls-hooked 4.2.2', 'no tracking'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-callgrind-'));
  const SHORT = 4000;
  const LONG = 12000;
  const handled = (requests) => requests + (requests === 0 ? 0 : warmupFor(requests));
  const count = (name, requests) => {
    const outFile = path.join(dir, `${name.replace(/\W+/g, '_')}-${requests}.out`);
    execFileSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${outFile}`, process.execPath, '--single-threaded',
      path.join(__dirname, 'workload-promise.js'), name, String(requests), '100'], { stdio: ['ignore', 'ignore', 'ignore'] });
    return Number(fs.readFileSync(outFile, 'utf8').match(/^(?:totals|summary): (\d+)/m)[1]);
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

async function main() {
  if (flag('--callgrind')) return callgrind();
  const selected = (option('--only') ?? Object.keys(suites).join(',')).split(',').filter((key) => suites[key]);
  const results = await runSuites(selected);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  const doc = [
    '# Benchmarks',
    '',
    `Generated by \`${command}\` (bench/run.js) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.`,
    `Machine: ${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, shared and noisy:`,
    'compare ratios measured in the same run, not absolute numbers across runs.',
    '',
    'Each sample is a fresh process running one implementation; rounds are interleaved in rotating order and the median',
    'is shown. "ours / this" above 1.00x means native-execution-context is faster. Floors are not context libraries:',
    'they pass the context by hand, with no tracking at all or under an empty `async_hooks` `init` hook.',
    '',
    '![requests per second, promise-heavy workload](bench/chart.svg)',
    '',
  ];
  for (const key of selected) {
    doc.push(`## ${suites[key].title}`, '', suites[key].describe(results[0].suites[key].cfg), '');
    for (const perNode of results) {
      const strategy = execFileSync(nodes()[results.indexOf(perNode)], ['-p', "require('./lib/engine').engine().strategyName"], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
      doc.push(`### Node.js ${perNode.version} (strategy: ${strategy})`, '', perNode.suites[key].table, '');
    }
  }
  // A quick look never replaces the published tables: it goes to .bench-out/ (git-ignored).
  const outFile = quick ? path.join(__dirname, '..', '.bench-out', 'BENCHMARKS-quick.md') : path.join(__dirname, '..', 'BENCHMARKS.md');
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${doc.join('\n')}\n`);
  if (!quick && selected.includes('promise')) {
    const groups = results.map((perNode) => ({ name: `Node.js ${perNode.version}`, rows: perNode.suites.promise.rows }));
    fs.writeFileSync(path.join(__dirname, 'chart.svg'), barChart({ title: 'Promise-heavy workload: requests/s (higher is better)', groups, highlight: OURS }));
  }
  process.stdout.write(`${doc.join('\n')}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
