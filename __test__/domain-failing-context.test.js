'use strict';

// For every face of the library (the root Context, als, async-context, scoped) and the domain:
// inside process.on('uncaughtException') and process.on('unhandledRejection') listeners, and
// inside a domain's 'error' listener, the current context is the one of the code that failed,
// so a logger can say which request crashed. Checked in child processes (the listeners are
// process-wide), on both propagation strategies, with and without domains in use.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { runToEnd } = require('./helpers/child');

const PACKAGE_ROOT = path.resolve(__dirname, '..');

const SCRIPT = `'use strict';
const PACKAGE = ${JSON.stringify(PACKAGE_ROOT)};
const fs = require('node:fs');
const net = require('node:net');
const Context = require(PACKAGE);
const { AsyncLocalStorage } = require(PACKAGE + '/lib/als');
const { Variable } = require(PACKAGE + '/lib/async-context');
const { AsyncContext } = require(PACKAGE + '/lib/scoped');
const als = new AsyncLocalStorage();
const variable = new Variable({ defaultValue: null });
const scoped = new AsyncContext();
const USE_DOMAIN = process.env.USE_DOMAIN === '1';
const domain = USE_DOMAIN ? require(PACKAGE + '/lib/domain') : null;

// What each face says the current request is.
function faces() {
  return {
    context: Context.exists() ? Context.get().id : null,
    als: als.getStore() ?? null,
    variable: variable.get(),
    scoped: scoped.store.get('id') ?? null,
  };
}

// Runs fn with request \`id\` current in every face.
function within(id, fn) {
  Context.run(() => als.run(id, () => variable.run(id, () => scoped.runScoped(() => {
    scoped.store.add('id', id);
    fn();
  }))), { id });
}

const seen = {};
process.on('uncaughtException', (error) => { seen[error.message] = faces(); });
process.on('unhandledRejection', (reason) => { seen[reason.message] = faces(); });

if (USE_DOMAIN) {
  // Domains in use elsewhere (with a listener): routing is installed, these failures are not its.
  const busy = domain.create();
  busy.on('error', () => {});
  busy.run(() => setTimeout(() => {}, 1));
  // And a failure that is a domain's: its handler sees the failing request in every face.
  const d = domain.create();
  d.on('error', (error) => { seen[error.message] = { ...faces(), domain: domain.active === null ? 'none' : 'active' }; });
  within('domain-timer', () => d.run(() => setTimeout(() => { throw new Error('domain-timer'); }, 1)));
  within('domain-sync', () => setTimeout(() => d.run(() => { throw new Error('domain-sync'); }), 1));
}

within('timer', () => setTimeout(() => { throw new Error('timer'); }, 1));
within('interval', () => { const t = setInterval(() => { clearInterval(t); throw new Error('interval'); }, 1); });
within('immediate', () => setImmediate(() => { throw new Error('immediate'); }));
within('nextTick', () => process.nextTick(() => { throw new Error('nextTick'); }));
within('fs', () => fs.stat(__filename, () => { throw new Error('fs'); }));
within('socket', () => {
  const server = net.createServer((socket) => socket.end('x')).listen(0, '127.0.0.1', () => {
    within('socket-data', () => {
      net.connect(server.address().port, '127.0.0.1').on('data', () => { server.close(); throw new Error('socket-data'); });
    });
  });
});
within('rejection', () => { Promise.reject(new Error('rejection')); });
within('async-function', () => { (async () => { await null; throw new Error('async-function'); })(); });
within('rejection-in-timer', () => setTimeout(() => { Promise.reject(new Error('rejection-in-timer')); }, 1));

setTimeout(() => console.log(JSON.stringify(seen)), 200);
`;

async function runChild(env) {
  const childEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  delete childEnv.NODE_TEST_CONTEXT;
  const { code, stdout, stderr } = await runToEnd(process.execPath, ['-e', SCRIPT], { env: childEnv, timeout: 10_000 });
  assert.equal(code, 0, `child exited with ${code}; stderr:\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop());
}

const all = (id) => ({ context: id, als: id, variable: id, scoped: id });
const FAILURES = ['timer', 'interval', 'immediate', 'nextTick', 'fs', 'socket-data', 'rejection', 'async-function', 'rejection-in-timer'];

describe('the failing context in uncaughtException, unhandledRejection and domain error listeners', { concurrency: 4 }, () => {
  for (const strategy of ['resource', 'async-context-frame']) {
    for (const useDomain of [false, true]) {
      test(`strategy ${strategy}, ${useDomain ? 'with' : 'without'} domains in use`, async () => {
        const seen = await runChild({ NATIVE_EXECUTION_CONTEXT_STRATEGY: strategy, USE_DOMAIN: useDomain ? '1' : '0' });
        const expected = {};
        for (const id of FAILURES) expected[id] = all(id);
        if (useDomain) {
          expected['domain-timer'] = { ...all('domain-timer'), domain: 'none' };
          expected['domain-sync'] = { ...all('domain-sync'), domain: 'none' };
        }
        assert.deepEqual(seen, expected);
      });
    }
  }
});
