'use strict';
// The cost of one label publication (lib/engine/publication.js), which chose its TICK_MS: a
// thread with N live monitored contexts, each labelled by a template string, publishes them all
// (a tick's work: drain, the native list of live frames, the label and JSON size of each, the
// native copy).
//
//   node scripts/measure-publication.js [--contexts 1000,10000] [--rounds 20]

const Context = require('..');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

const sizes = option('contexts', '1000,10000').split(',').map(Number);
const rounds = Number(option('rounds', '20'));
const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');

Context.configure({ monitor: { label: (context) => `${context.method} ${context.path} ${context.requestId}` } });
const publication = globalThis[ENGINE_KEY].ensureTracker().publication;
Context.monitor({ threads: 'all' }); // all-threads reports are wanted from now on

let opened = 0;
for (const count of sizes) {
  for (; opened < count; opened++) {
    Context.run(async () => {
      await new Promise(() => {});
    }, { method: 'GET', path: `/orders/${opened}`, requestId: `r-${opened.toString(16).padStart(8, '0')}` });
  }
  publication.publishAll(); // warm-up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    publication.publishAll();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${count} live contexts: publication median ${median.toFixed(2)} ms (min ${times[0].toFixed(2)}, max ${times[times.length - 1].toFixed(2)}) over ${rounds} rounds`);
}
