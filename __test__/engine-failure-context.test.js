'use strict';

// Engine: 'uncaughtException' and 'uncaughtExceptionMonitor' listeners run in the frame where
// the exception was thrown, also when it escaped nested runs (which restore their previous frame
// while the stack unwinds) and at top level; Node's report and exit code are unchanged.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-engine-failure-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const PRELUDE = `'use strict';
const Context = process.env.PLAIN ? { run: (fn) => fn(), exists: () => false } : require(${JSON.stringify(PACKAGE_ROOT)});
const { AsyncLocalStorage } = require(${JSON.stringify(path.join(PACKAGE_ROOT, 'lib', 'als'))});
const als = new AsyncLocalStorage();
const id = () => (Context.exists() ? Context.get().id : 'none') + '/' + (als.getStore() ?? 'none');
const both = (name, fn) => Context.run(() => als.run(name, fn), { id: name });
`;

let n = 0;
function run(body, env = {}) {
  n += 1;
  const file = path.join(dir, `script-${n}.js`);
  fs.writeFileSync(file, PRELUDE + body);
  const childEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  delete childEnv.NODE_TEST_CONTEXT;
  const result = spawnSync(process.execPath, [file], { env: childEnv, encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.split('\n').filter((l) => !/^\s+at /.test(l)).join('\n').replaceAll(file, 'SCRIPT') };
}

test('a throw escaping nested runs inside a callback: listeners see the innermost run', () => {
  const { stdout, status } = run(`process.on('uncaughtExceptionMonitor', (e) => console.log('monitor', e.message, id()));
process.on('uncaughtException', (e) => console.log('listener', e.message, id()));
both('callback', () => setTimeout(() => both('nested', () => both('innermost', () => { throw new Error('deep'); })), 1));`);
  assert.equal(status, 0);
  assert.equal(stdout, 'monitor deep innermost/innermost\nlistener deep innermost/innermost\n');
});

test('a synchronous throw inside run at top level: the listener sees that run', () => {
  const { stdout } = run(`process.on('uncaughtException', (e) => console.log('listener', e.message, id()));
both('top', () => { throw new Error('sync'); });`);
  assert.equal(stdout, 'listener sync top/top\n');
});

test('an exception caught from a run is forgotten: a later unrelated one is reported in its own frame', () => {
  const { stdout } = run(`process.on('uncaughtException', (e) => console.log('listener', e.message, id()));
setTimeout(() => { try { both('caught', () => { throw new Error('a'); }); } catch {} }, 1);
setTimeout(() => { throw new Error('b'); }, 5);
both('other', () => setTimeout(() => { throw new Error('c'); }, 10));`);
  assert.equal(stdout, 'listener b none/none\nlistener c other/other\n');
});

test('the report and exit code of an uncaught exception thrown in a run are those of plain Node', () => {
  const body = `setTimeout(() => Context.run(() => { throw new TypeError('reported'); }, { id: 'x' }), 1);`;
  const ours = run(body);
  const plain = run(body, { PLAIN: '1' });
  assert.equal(ours.status, 1);
  assert.equal(plain.status, 1);
  assert.equal(ours.stderr, plain.stderr, 'same source line, caret and message');
  assert.match(ours.stderr, /throw new TypeError\('reported'\)/);
});

test('process.emit stays non-enumerable and other events pass through untouched', () => {
  const { stdout } = run(`process.on('custom', (a, b) => console.log('custom', a, b, id()));
console.log(Object.keys(process).includes('emit'), process.emit('custom', 1, 2), process.listenerCount('uncaughtException'));`);
  assert.equal(stdout, 'custom 1 2 none/none\nfalse true 0\n');
});
