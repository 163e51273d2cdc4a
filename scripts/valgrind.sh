#!/usr/bin/env bash
# npm run valgrind: runs a short workload of the native addon under valgrind's memcheck and fails
# if valgrind reports an error (invalid read/write, use of uninitialised memory, bad free, ...)
# with a frame in our addon (native-execution-context.*.node / native_execution_context).
# Errors entirely inside Node/V8/libuv (a JIT engine is noisy under memcheck) are counted and
# listed, not failed on. Node under valgrind is ~50x slower: the workload is small.
#
#   scripts/valgrind.sh [path/to/node]     (default: the node on PATH)
#
# The figures are also written to that Node's section of RELIABILITY.md (scripts/reliability-report.js;
# RELIABILITY_REPORT=off skips that).
#
# The workload: tracking on, thousands of runs/promises/timers/immediates so the event log is
# drained many times, monitor reports and engine stats, panics caught at the boundary, bad input
# at the native boundary (counts past the end of the ring's buffers, unknown trackers), and worker
# threads that open their own engine and are terminated mid-flight (the env cleanup hook), and
# stall watchdogs (a native thread reading memory JS writes): started and stopped every round,
# in workers that are terminated, stalls forced, and the process ending mid-stall.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="${1:-node}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nec-valgrind-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if ! command -v valgrind > /dev/null; then
  echo "valgrind: not installed (apt-get install valgrind)" >&2
  exit 2
fi

cat > "$WORK/workload.js" << 'EOF'
'use strict';
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const root = process.env.PACKAGE_ROOT;
const Context = require(root);
const binding = require(path.join(root, 'binding.js'));
const { AsyncLocalStorage } = require(path.join(root, 'lib', 'als', 'index.js'));
const engine = globalThis[Symbol.for('native-execution-context.engine@1')];

Context.configure({ monitor: true });
const spare = binding.openTracker(0);
const store = new AsyncLocalStorage();
let wrong = 0;
let stalls = 0;
const watchStalls = () => Context.watchStalls({ thresholdMs: 50, onStall: () => { stalls += 1; } });
let watch = watchStalls();
const spin = (ms) => { const end = Date.now() + ms; while (Date.now() < end); };

async function requests(count) {
  await Promise.all(Array.from({ length: count }, (_, i) => Context.run(() => store.run(i, async () => {
    await null;
    await new Promise((resolve) => (i % 2 ? setImmediate(resolve) : setTimeout(resolve, 0)));
    for (let p = 0; p < 20; p++) Promise.resolve(p);
    if (Context.get().i !== i || store.getStore() !== i) wrong += 1;
  }), { i })));
}

function startWorker() {
  return new Worker(`
    const Context = require(${JSON.stringify(root)});
    Context.configure({ monitor: true });
    Context.watchStalls({ thresholdMs: 20, stderr: false });
    (async () => { for (;;) await Promise.all(Array.from({ length: 20 }, (_, i) => Context.run(async () => { await null; Context.monitor(); }, { i }))); })();
  `, { eval: true });
}

(async () => {
  const workers = [startWorker(), startWorker()];
  for (let round = 0; round < 5; round++) {
    await requests(200);
    const report = Context.monitor();
    binding.trackerStats(engine.ensureTracker().id);
    try { binding.panicForTest('valgrind'); } catch {}
    // Bad input at the native boundary, on a spare tracker (garbage there cannot disturb the
    // real one): unknown ids, and counts past the end of its ring's buffers (clamped).
    try { binding.drain(spare + 100000, 1); } catch {}
    try { binding.submit(spare + 100000, 1); } catch {}
    binding.openLog(spare).buffers[0].fill(1.5);
    binding.drain(spare, 4294967295);
    binding.submit(spare, 4294967295);
    binding.drain(spare, 4294967295);
    if (typeof report.size !== 'number') wrong += 1;
    await Context.run(async () => { await null; spin(400); }, { i: 'stall' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the heartbeat delivers onStall
    watch.stop();
    watch = watchStalls();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  await Promise.all(workers.map((worker) => worker.terminate()));
  const finished = startWorker();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await finished.terminate();
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const stats = binding.trackerStats(engine.ensureTracker().id);
  console.log(`workload: wrong contexts ${wrong}, trackers ${stats.trackers}, events applied ${stats.eventsApplied}, map ${stats.mapSize}, stalls ${stalls}, watchdogs ${binding.stallWatchdogCount()}`);
  // Ends mid-stall, the watchdog still running: its thread is stopped at exit.
  setTimeout(() => {
    spin(300);
    process.exit(wrong === 0 && stalls > 0 ? 0 : 3);
  }, 1);
})();
EOF

echo "valgrind: $(valgrind --version), node $("$NODE" --version), workload: tracking on, 1,000 runs, 2+1 workers terminated mid-flight, stall watchdogs"
started=$(date +%s)
PACKAGE_ROOT="$ROOT" RUST_BACKTRACE=0 valgrind --tool=memcheck --error-exitcode=99 --leak-check=no --errors-for-leak-kinds=none --track-origins=no \
  --fair-sched=yes --smc-check=all-non-file --num-callers=50 --xml=yes --xml-file="$WORK/memcheck.xml" --log-file="$WORK/valgrind.log" \
  "$NODE" --expose-gc "$WORK/workload.js" 2> "$WORK/stderr.txt"
status=$?
seconds=$(( $(date +%s) - started ))
# Rust's panic hook prints each (caught) test panic; anything else on stderr is shown.
grep -v "panicked at\|^valgrind$\|RUST_BACKTRACE\|^note: \|^$\|^native-execution-context: event loop" "$WORK/stderr.txt" >&2 || true

# Split the XML into errors; an error is ours when one of its frames is in our addon.
node - "$WORK/memcheck.xml" "$status" "$seconds" "$ROOT" "$("$NODE" --version)" "$(valgrind --version)" "$@" << 'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [file, status, seconds, root, nodeVersion, valgrindVersion, ...args] = process.argv.slice(2);
const { writeSection, commandLine } = require(path.join(root, 'scripts', 'reliability-report.js'));
const lines = [];
const say = (line) => {
  console.log(line);
  lines.push(line);
};
const xml = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
// Memory errors only: leak records (printed at exit even with --leak-check=no in XML mode) are
// not what this run is for.
const errors = xml.split('<error>').slice(1).map((chunk) => chunk.split('</error>')[0]).filter((error) => !/<kind>Leak_/.test(error));
const ours = errors.filter((error) => /native-execution-context\.[^<]*\.node|native_execution_context/.test(error));
const kinds = (list) => {
  const counts = {};
  for (const error of list) {
    const kind = (/<kind>([^<]+)<\/kind>/.exec(error) || [])[1] || 'unknown';
    counts[kind] = (counts[kind] || 0) + 1;
  }
  return JSON.stringify(counts);
};
console.log(`valgrind: ${seconds} s; node exit status ${status} (99: memcheck found errors somewhere)`);
say(`${valgrindVersion} (memcheck, \`--leak-check=no\`); workload: tracking on, 1,000 runs, panics, bad native input, 2+1 workers terminated mid-flight, stall watchdogs (started and stopped each round, in the workers, stalls forced, exit mid-stall).`);
say('');
say('| errors with a frame in our addon | errors elsewhere in the process | node exit status | time |');
say('|---|---|---:|---:|');
const counted = (list) => (list.length === 0 ? '0' : `${list.length} (${Object.entries(JSON.parse(kinds(list))).map(([kind, count]) => `${kind} ${count}`).join(', ')})`);
say(`| ${counted(ours)} | ${counted(errors.filter((candidate) => !ours.includes(candidate)))} | ${status} | ${seconds} s |`);
for (const error of ours.slice(0, 5)) {
  const what = (/<what>([^<]+)<\/what>/.exec(error) || /<text>([^<]+)<\/text>/.exec(error) || [])[1];
  const frames = [...error.matchAll(/<fn>([^<]+)<\/fn>/g)].slice(0, 8).map((m) => m[1]);
  say('');
  say(`Ours: ${what}, in ${frames.map((frame) => `\`${frame}\``).join(' < ')}`);
}
for (const error of errors.filter((candidate) => !ours.includes(candidate)).slice(0, 3)) {
  const what = (/<what>([^<]+)<\/what>/.exec(error) || [])[1];
  const frames = [...error.matchAll(/<frame>([\s\S]*?)<\/frame>/g)].slice(0, 4).map((m) => {
    const fn = (/<fn>([^<]+)<\/fn>/.exec(m[1]) || [])[1] || '???';
    const obj = (/<obj>([^<]+)<\/obj>/.exec(m[1]) || [])[1] || '';
    return `${fn.slice(0, 90)} (${obj.split('/').pop()})`;
  });
  say('');
  say(`Not ours: ${what}, in ${frames.map((frame) => `\`${frame}\``).join(' < ')}`);
}
const workloadFailed = status !== '0' && status !== '99';
const failed = ours.length > 0 || workloadFailed;
say('');
say(`Result: ${failed ? `FAIL${workloadFailed ? ' (the workload itself failed)' : ''}` : 'PASS'}.`);
const major = nodeVersion.replace(/^v/, '').split('.')[0];
const written = writeSection({
  key: `valgrind node${major.padStart(2, '0')}`,
  title: `npm run valgrind: Node ${major}`,
  command: commandLine('valgrind', args.map((arg) => (path.isAbsolute(arg) && arg.startsWith(root + path.sep) ? path.relative(root, arg) : arg))),
  nodeVersion,
  body: lines.join('\n'),
});
if (written) console.log(`valgrind: figures written to ${written}`);
if (failed) {
  console.log(`valgrind: FAIL${workloadFailed ? ' (the workload itself failed)' : ''}`);
  process.exit(1);
}
console.log('valgrind: PASS');
EOF
