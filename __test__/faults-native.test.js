'use strict';

// Native safety, statically and under load: the Rust sources have no `unsafe` without a
// `// SAFETY:` comment (lib.rs denies unsafe code outright), every function exported to JS
// catches panics, the release profile unwinds (an abort profile would make catch_unwind
// useless), and thousands of panics, in the main thread and in workers, inside tracked nested
// runs, each become a JS Error without aborting, leaking or poisoning the engine.
// (The basic panic-to-Error test is in native-core-safety.test.js.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');

const { runChild, PACKAGE_ROOT } = require('./fixtures/reliability/child');

const SRC = path.join(PACKAGE_ROOT, 'src');
const sources = fs.readdirSync(SRC).filter((file) => file.endsWith('.rs')).map((file) => ({ file, text: fs.readFileSync(path.join(SRC, file), 'utf8') }));

// The code without comments and string literals, line by line (line numbers kept).
function codeLines(text) {
  const stripped = text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, ''));
  return stripped;
}

test('the Rust sources have no unsafe code without a SAFETY comment, and lib.rs denies it for the crate', () => {
  assert.ok(sources.length >= 5, 'the sources were found');
  const lib = sources.find(({ file }) => file === 'lib.rs');
  assert.match(lib.text, /^#!\[(deny|forbid)\(unsafe_code\)\]/m, 'lib.rs must carry #![deny(unsafe_code)] or #![forbid(unsafe_code)]');
  const unjustified = [];
  for (const { file, text } of sources) {
    const raw = text.split('\n');
    codeLines(text).forEach((line, index) => {
      if (!/\bunsafe\b/.test(line)) return;
      // Allowed only with a SAFETY comment on one of the three lines above (and an explicit allow).
      const above = raw.slice(Math.max(0, index - 3), index).join('\n');
      if (!/\/\/\s*SAFETY:/.test(above)) unjustified.push(`${file}:${index + 1}: ${raw[index].trim()}`);
    });
  }
  assert.deepEqual(unjustified, [], 'every unsafe block needs a // SAFETY: comment proving it sound');
});

test('every function exported to JS catches panics (#[napi(catch_unwind)])', () => {
  const exported = [];
  for (const { file, text } of sources) {
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      const attribute = /^\s*#\[napi(\((.*)\))?\]/.exec(line);
      if (!attribute) return;
      const next = lines.slice(index + 1).find((candidate) => candidate.trim() !== '' && !candidate.trim().startsWith('#[') && !candidate.trim().startsWith('///'));
      if (!/\bfn\b/.test(next)) return; // #[napi(object)] structs
      exported.push({ where: `${file}:${index + 1}`, fn: next.trim(), catches: /\bcatch_unwind\b/.test(attribute[2] || '') });
    });
  }
  assert.ok(exported.length >= 6, `found ${exported.length} exported functions`);
  assert.deepEqual(exported.filter((entry) => !entry.catches).map((entry) => `${entry.where} ${entry.fn}`), []);
});

test('the release profile unwinds on panic (an abort profile would turn every panic into a crash)', () => {
  const cargo = fs.readFileSync(path.join(PACKAGE_ROOT, 'Cargo.toml'), 'utf8');
  const release = /\[profile\.release\]([\s\S]*?)(\n\[|$)/.exec(cargo);
  assert.ok(release, 'Cargo.toml has a release profile');
  assert.doesNotMatch(cargo, /panic\s*=\s*"abort"/);
  assert.match(release[1], /panic\s*=\s*"unwind"/);
});

test('10,000 panics in tracked nested runs and 4 workers panicking meanwhile: each is an Error, the process neither aborts nor leaks', async () => {
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nec-panics-')), 'panics.js');
  fs.writeFileSync(script, `
    const path = require('node:path');
    const { Worker } = require('node:worker_threads');
    const root = ${JSON.stringify(PACKAGE_ROOT)};
    const Context = require(root);
    const binding = require(path.join(root, 'binding.js'));
    Context.configure({ monitor: true });
    // Panics print through Rust's default hook; silence that noise (stderr must stay otherwise empty).
    const workers = Array.from({ length: 4 }, () => new Worker(\`
      const binding = require(\${JSON.stringify(path.join(root, 'binding.js'))});
      let errors = 0;
      for (let i = 0; i < 500; i++) { try { binding.panicForTest('worker ' + i); } catch (e) { if (e instanceof Error) errors++; } }
      require('node:worker_threads').parentPort.postMessage(errors);
    \`, { eval: true }));
    const fromWorkers = Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    (async () => {
      let errors = 0;
      let wrong = 0;
      global.gc();
      const rssBefore = process.memoryUsage().rss;
      for (let round = 0; round < 100; round++) {
        await Context.run(async () => {
          for (let i = 0; i < 100; i++) {
            try { Context.run(() => binding.panicForTest('x'.repeat(i * 100)), { round, i }); } catch (e) { if (e instanceof Error && e.message.length >= i * 100) errors++; }
            if (Context.get().round !== round) wrong++;
          }
          await null;
          if (Context.get().round !== round) wrong++;
        }, { round });
      }
      global.gc();
      const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1048576;
      const workerErrors = await fromWorkers;
      process.stdout.write(JSON.stringify({ errors, wrong, workerErrors, rssGrowthMb, size: Context.monitor().size }) + '\\n');
    })();
  `);
  try {
    const result = await runChild(script, { env: { RUST_BACKTRACE: '0' } });
    assert.equal(result.signal, null, `killed by ${result.signal}`);
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.ok(result.json, result.stdout);
    assert.equal(result.json.errors, 10000);
    assert.equal(result.json.wrong, 0);
    assert.deepEqual(result.json.workerErrors, [500, 500, 500, 500]);
    assert.ok(result.json.rssGrowthMb < 64, `rss grew by ${result.json.rssGrowthMb.toFixed(1)} MB over 12,000 panics`);
    // stderr holds Rust's panic reports (threads interleave them), and no sign of a crash.
    assert.match(result.stderr, /panicked at/);
    assert.doesNotMatch(result.stderr, /abort|FATAL|Fatal error|napi_fatal|Segmentation|core dumped|panic in a function that cannot unwind|Assertion failed/i);
  } finally {
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }
});
