'use strict';
// Runs the runtime-independent test files under Bun and Deno (docs/runtimes.md), with `bun test`
// and `deno test`, which both run node:test files; one process per file. Part of `npm test`;
// the pinned binaries come from the npm registry (scripts/runtime-binary.js), cached in .cache/.
// TEST_RUNTIMES=off skips it; TEST_RUNTIMES=bun (or deno) runs one runtime.

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { runtimeBinary, RUNTIMES } = require('./runtime-binary');

const ROOT = path.join(__dirname, '..');
const ENTRY = path.join(ROOT, '__test__', 'helpers', 'runtime-entry.js');

// What does not depend on the runtime: propagation of every face across promises, timers,
// immediates, ticks, emitters and I/O; isolation of concurrent contexts; each face's API and
// errors; the frameworks' middleware. Left out: monitoring, /cls 'end', the native map, /domain
// and the process-level failure context (see docs/runtimes.md), and what spawns Node itself.
const FILES = [
  'runtimes',
  'execution-context-run-get',
  'execution-context-errors',
  'execution-context-instances',
  'execution-context-isolation',
  'execution-context-propagation-promises',
  'execution-context-propagation-timers',
  'execution-context-propagation-emitters',
  'execution-context-propagation-io',
  'regressions-isolation',
  'cls-api',
  'cls-emitters',
  'cls-errors',
  'cls-propagation',
  'als-api',
  'als-propagation',
  'async-context-snapshot',
  'async-context-variable',
  'scoped-store',
  'engine-frame',
  'express',
  'koa',
  'fastify',
];

// Tests of those files left out, per runtime, each with the reason.
const NO_TRACKING = 'monitoring and the native map throw on this runtime (docs/runtimes.md)';
const ESM_CHILD = 'spawns process.execPath with Node flags';
const DENO_SOCKETS = "Deno runs net socket callbacks outside the caller's context (its own AsyncLocalStorage loses it too)";
const DENO_SOCKET_ENTER = "Deno leaves an enterWith inside a net socket callback current afterwards (its own AsyncLocalStorage too)";
const BOTH = {
  'execution-context-isolation': { 'concurrent runs stay isolated while monitoring is enabled': NO_TRACKING },
  'regressions-isolation': { 'after a failed native drain, monitor() does not return a stale report as if it were current': NO_TRACKING },
  express: { 'the context is gone after the response: not on the reused connection, not in the native map': NO_TRACKING },
  koa: { 'the context is gone after the response: upstream middleware, the reused connection and the native map': NO_TRACKING },
  fastify: { 'the context is gone after the response: not on the reused connection, not in the native map': NO_TRACKING },
};
const LEFT_OUT = {
  bun: {
    'execution-context-propagation-emitters': {
      'an emit from a timer scheduled inside run A reaches listeners of other runs in context A': 'Bun may run the immediate before the 1 ms timer; the test awaits the immediate',
    },
    'cls-propagation': {
      "net server sockets: a plain data listener sees no context; after bindEmitter, the handler's": "Bun runs a server socket's data listeners in the context listen() was called in",
    },
  },
  deno: {
    'execution-context-instances': { 'ESM import gives the same default instance and named ExecutionContext as require': ESM_CHILD },
    'als-api': { 'ESM can import the named export from the subpath': ESM_CHILD },
    'execution-context-propagation-emitters': {
      'an emit from a timer scheduled inside run A reaches listeners of other runs in context A': 'Deno may run the immediate before the 1 ms timer; the test awaits the immediate',
    },
    'execution-context-propagation-io': {
      'net socket connect, data and close events of a socket opened inside a run see the run context': DENO_SOCKETS,
      'a net server connection handler that runs per connection resumes in its context after awaiting socket data': DENO_SOCKETS,
    },
    'cls-propagation': {
      'net client: connect, data and close callbacks see the context the client was made in': DENO_SOCKETS,
    },
    'regressions-isolation': {
      'a create in a socket data listener (one tenant per message) does not reach the next message on the socket': DENO_SOCKET_ENTER,
    },
  },
};

function leftOut(runtime, file) {
  return Object.entries({ ...BOTH[file], ...LEFT_OUT[runtime][file] });
}

const COMMANDS = {
  bun: (entry) => ['test', entry],
  deno: (entry) => ['test', '--allow-all', '--unstable-detect-cjs', entry],
};

// "12 pass" / "ok | 12 passed": the count of passing tests in the runner's summary.
function passed(output) {
  const match = /^\s*(\d+) pass$/m.exec(output) || /\| (\d+) passed/.exec(output);
  return match === null ? 0 : Number(match[1]);
}

function main() {
  const choice = process.env.TEST_RUNTIMES || 'bun,deno';
  if (choice === 'off' || process.argv.includes('--quick')) {
    console.log('test-runtimes: skipped');
    return 0;
  }
  const failures = [];
  for (const name of choice.split(',')) {
    const label = `${RUNTIMES[name] ? RUNTIMES[name].label : name} ${RUNTIMES[name] ? RUNTIMES[name].version : ''}`.trim();
    let binary;
    try {
      binary = runtimeBinary(name);
    } catch (error) {
      failures.push(`${label}: no binary (${error.message})`);
      continue;
    }
    const started = Date.now();
    let tests = 0;
    let skipped = 0;
    for (const file of FILES) {
      const left = leftOut(name, file);
      skipped += left.length;
      const env = {
        ...process.env,
        NEC_RUNTIME_TEST_FILE: path.join(ROOT, '__test__', `${file}.test.js`),
        NEC_RUNTIME_LEFT_OUT: JSON.stringify(left),
        NEC_SKIP_SLOW_TESTS: '1',
        NO_COLOR: '1',
        DENO_NO_UPDATE_CHECK: '1',
      };
      delete env.NATIVE_EXECUTION_CONTEXT_STRATEGY; // each runtime gets its own default
      const run = spawnSync(binary, COMMANDS[name](ENTRY), { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
      const output = `${run.stdout}\n${run.stderr}`;
      if (run.status !== 0) {
        console.log(`test-runtimes: ${label}: ${file}: FAIL${run.signal ? ` (killed: ${run.signal})` : ''}\n${output}`);
        failures.push(`${label}: ${file}`);
      }
      tests += passed(output);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`test-runtimes: ${label}: ${FILES.length} files, ${tests} tests passed, ${skipped} left out (${seconds} s)`);
  }
  if (failures.length > 0) {
    console.error(`test-runtimes: failed: ${failures.join('; ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
