'use strict';
// npm run stress: the long version of __test__/property-isolation.test.js. Generates tens of
// thousands of random programs (nested runs, sets, creates, timers, immediates, ticks,
// microtasks, promise chains, awaits of promises/thenables/timers/foreign resolutions/
// Promise.all/deferreds, emitters, bound emitters, bound functions, intervals) across every
// face (shared instance, ExecutionContext instance, AsyncLocalStorage, AsyncContext.Variable,
// cls namespace), runs them in concurrent batches against the engine and the reference model,
// first with tracking off, then with tracking on (and checks the native map drains), and
// prints the figures. Exits 1 on the first divergence, with fast-check's shrunk program.
//
//   node --expose-gc scripts/stress.js [--programs 20000] [--seed N] [--size small|medium|large (default large)]
//                                      [--max-batch 8] [--max-depth 6] [--only off|on] [--no-report]
//
// The figures are also written to this Node's section of RELIABILITY.md (scripts/reliability-report.js;
// --no-report or RELIABILITY_REPORT=off skips that).

const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { checkIsolation } = require(path.join(ROOT, '__test__', 'fixtures', 'reliability', 'property'));
const { createOwners } = require(path.join(ROOT, '__test__', 'fixtures', 'reliability', 'programs'));
const Context = require(ROOT);
const { writeSection, commandLine } = require('./reliability-report');

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

const PROGRAMS = Number(option('programs', 20000));
const SEED = option('seed', undefined);
const SIZE = option('size', 'large');
const MAX_BATCH = Number(option('max-batch', 8));
const MAX_DEPTH = Number(option('max-depth', 6));
const ONLY = option('only', 'both');

if (typeof global.gc !== 'function') {
  console.error('stress: run with node --expose-gc (npm run stress does)');
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs the property in chunks until `programs` programs have run (one seed per chunk, printed).
async function phase(label, owners, programs) {
  const total = { batches: 0, programs: 0, reads: 0, steps: 0, ms: 0, kinds: {}, seeds: [] };
  let chunk = 0;
  while (total.programs < programs) {
    const seed = SEED === undefined ? undefined : Number(SEED) + chunk;
    const result = await checkIsolation({ numRuns: 500, maxBatch: MAX_BATCH, maxDepth: MAX_DEPTH, size: SIZE, seed, owners, timeout: 20000 });
    chunk += 1;
    total.batches += result.batches;
    total.programs += result.programs;
    total.reads += result.reads;
    total.steps += result.steps;
    total.ms += result.ms;
    total.seeds.push(result.seed);
    for (const [kind, count] of Object.entries(result.kinds)) total.kinds[kind] = (total.kinds[kind] || 0) + count;
    process.stderr.write(`\r${label}: ${total.programs} programs, ${total.reads} reads, 0 divergences`);
  }
  process.stderr.write('\n');
  return total;
}

async function main() {
  const owners = createOwners();
  const engine = globalThis[Symbol.for('native-execution-context.engine@1')];
  const rows = [];
  if (ONLY !== 'on') rows.push(['tracking off', await phase('tracking off', owners, PROGRAMS)]);
  let drained = null;
  if (ONLY !== 'off') {
    const tracker = new Context.ExecutionContext();
    tracker.configure({ monitor: true });
    rows.push(['tracking on', await phase('tracking on', owners, PROGRAMS)]);
    for (let i = 0; i < 8; i++) {
      global.gc();
      await sleep(10);
    }
    const report = tracker.monitor();
    drained = { size: report.size, contexts: report.contexts };
  }

  const lines = [];
  lines.push(`Strategy ${engine.strategyName}; owners: ${owners.map((owner) => owner.name).join(', ')}.`);
  lines.push(`Generator: size ${SIZE}, batches of 1-${MAX_BATCH} concurrent programs, nesting depth <= ${MAX_DEPTH}.`);
  lines.push('', '| tracking | programs | batches | values compared | ops executed | divergences | time | programs/s |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, total] of rows) {
    lines.push(`| ${label} | ${total.programs.toLocaleString('en-US')} | ${total.batches.toLocaleString('en-US')} | ${total.reads.toLocaleString('en-US')} | ${total.steps.toLocaleString('en-US')} | 0 | ${(total.ms / 1000).toFixed(1)} s | ${Math.round(total.programs / (total.ms / 1000)).toLocaleString('en-US')} |`);
  }
  if (drained) lines.push('', `After the tracked phase and GC: \`monitor().size\` ${drained.size}, native contexts ${drained.contexts}.`);
  const kinds = {};
  for (const [, total] of rows) for (const [kind, count] of Object.entries(total.kinds)) kinds[kind] = (kinds[kind] || 0) + count;
  lines.push('', `Ops executed by kind: ${Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind} ${count}`).join(', ')}.`);
  lines.push('', `fast-check seeds (\`--seed\` replays a chunk): ${rows.map(([label, total]) => `${label}: ${total.seeds.join(',')}`).join('; ')}.`);
  const drainFailed = drained && (drained.size !== 0 || drained.contexts !== 0);
  lines.push('', `Result: ${drainFailed ? 'FAIL (the native map did not drain)' : 'PASS'}.`);

  console.log(`\nstress: Node ${process.version}\n\n${lines.join('\n')}`);
  // The section key: what is checked (generator shape, phases), not how much (programs, seed).
  const shape = [SIZE !== 'large' && `--size ${SIZE}`, MAX_BATCH !== 8 && `--max-batch ${MAX_BATCH}`, MAX_DEPTH !== 6 && `--max-depth ${MAX_DEPTH}`, ONLY !== 'both' && `--only ${ONLY}`].filter(Boolean).join(' ');
  const major = process.versions.node.split('.')[0];
  const written = writeSection({
    key: `stress node${major.padStart(2, '0')} ${engine.strategyName}${shape ? ` ${shape}` : ''}`,
    title: `npm run stress: Node ${major}, ${engine.strategyName}${shape ? `, ${shape}` : ''}`,
    command: commandLine('stress'),
    body: lines.join('\n'),
  });
  if (written) console.log(`\nstress: figures written to ${written}`);
  if (drainFailed) {
    console.error('stress: FAIL: the native map did not drain');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`\nstress: FAIL\n${error && error.message}`);
  process.exitCode = 1;
});
