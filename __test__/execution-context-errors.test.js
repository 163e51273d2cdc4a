'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const Context = require('..');
const { useNodeEnv } = require('./helpers/context');

const PACKAGE_ROOT = path.resolve(__dirname, '..');

const MESSAGES = {
  CONTEXT_DOES_NOT_EXIST: 'Execution context does not exists, please ensure to call create/run before.',
  UPDATE_BLOCKED: 'Calling "update" API is allowed only when provided context is a plain `object`.',
  MONITOR_MISS_CONFIGURATION: 'Monitoring option is off by default, please call `configure` with the proper options.',
};

useNodeEnv('test');

function isContextError(code) {
  return (error) => {
    assert.ok(error instanceof Error, 'must be an Error');
    assert.ok(error instanceof Context.ExecutionContextError, 'must be an ExecutionContextError');
    assert.equal(error.code, code);
    assert.equal(error.message, MESSAGES[code]);
    return true;
  };
}

// Runs `code` in a fresh Node.js process with the package resolvable as PACKAGE and the given
// NODE_ENV (undefined removes it). The script prints one JSON line on stdout.
function runChild(code, nodeEnv) {
  const env = { ...process.env };
  delete env.NODE_ENV;
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  if (nodeEnv !== undefined) env.NODE_ENV = nodeEnv;
  const result = spawnSync(process.execPath, ['-e', `const PACKAGE = ${JSON.stringify(PACKAGE_ROOT)};\n${code}`], {
    env,
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(result.error, undefined, `child failed to start: ${result.error}`);
  assert.equal(result.status, 0, `child exited with ${result.status}; stderr:\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return { output: JSON.parse(lines[lines.length - 1]), stderr: result.stderr };
}

test('ExecutionContextError is exposed on the instance and is an Error subclass with a code', () => {
  const { ExecutionContextError } = Context;
  assert.equal(typeof ExecutionContextError, 'function');
  let caught;
  try {
    Context.get();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ExecutionContextError);
  assert.ok(caught instanceof Error);
  assert.equal(typeof caught.code, 'string');
  assert.equal(typeof caught.stack, 'string');
});

test('get outside a context throws CONTEXT_DOES_NOT_EXIST with the exact message', () => {
  assert.throws(() => Context.get(), isContextError('CONTEXT_DOES_NOT_EXIST'));
});

test('set outside a context throws CONTEXT_DOES_NOT_EXIST with the exact message', () => {
  assert.throws(() => Context.set({ a: 1 }), isContextError('CONTEXT_DOES_NOT_EXIST'));
});

test('update outside a context throws CONTEXT_DOES_NOT_EXIST with the exact message', () => {
  assert.throws(() => Context.update({ a: 1 }), isContextError('CONTEXT_DOES_NOT_EXIST'));
});

test('get after a run has returned throws CONTEXT_DOES_NOT_EXIST again', () => {
  Context.run(() => Context.get(), { id: 1 });
  assert.throws(() => Context.get(), isContextError('CONTEXT_DOES_NOT_EXIST'));
});

test('update with a value that is not a plain object throws UPDATE_BLOCKED and leaves the context intact', () => {
  const context = { untouched: true };
  Context.run(() => {
    for (const value of [null, 5, 'x', [1]]) {
      assert.throws(() => Context.update(value), isContextError('UPDATE_BLOCKED'), `update(${JSON.stringify(value)})`);
    }
    assert.equal(Context.get(), context);
  }, context);
  assert.deepEqual(context, { untouched: true });
});

test('monitor before configure({ monitor: true }) throws MONITOR_MISS_CONFIGURATION', () => {
  const instance = new Context.ExecutionContext();
  assert.throws(() => instance.monitor(), isContextError('MONITOR_MISS_CONFIGURATION'));
});

test('configure with a non-object throws a TypeError (configure() and configure(undefined) are no-ops)', () => {
  const instance = new Context.ExecutionContext();
  assert.equal(instance.configure(), undefined);
  assert.equal(instance.configure(undefined), undefined);
  for (const value of [null, 5, 'monitor', true, [{ monitor: true }]]) {
    assert.throws(() => instance.configure(value), TypeError, `configure(${JSON.stringify(value)})`);
  }
  assert.throws(() => instance.monitor(), isContextError('MONITOR_MISS_CONFIGURATION'));
});

test('configure with a non-boolean monitor option throws a TypeError and does not turn monitoring on', () => {
  const instance = new Context.ExecutionContext();
  assert.throws(() => instance.configure({ monitor: 'yes' }), TypeError);
  assert.throws(() => instance.configure({ monitor: 1 }), TypeError);
  assert.throws(() => instance.monitor(), isContextError('MONITOR_MISS_CONFIGURATION'));
});

const MISUSE_SCRIPT = `
const Context = require(PACKAGE);
const results = {};
results.get = String(Context.get());
results.set = String(Context.set({ a: 1 }));
results.update = String(Context.update({ a: 1 }));
results.updateBlocked = Context.run(() => {
  const returned = String(Context.update(5));
  return { returned, context: Context.get() };
}, { kept: true });
try {
  new Context.ExecutionContext().monitor();
  results.monitor = 'did not throw';
} catch (error) {
  results.monitor = { message: error.message, code: error.code, isError: error instanceof Error };
}
results.alive = Context.run(() => Context.get().ok, { ok: 'still working' });
console.log(JSON.stringify(results));
`;

test('in production get/set/update misuse is logged with console.error and returns undefined', () => {
  const { output, stderr } = runChild(MISUSE_SCRIPT, 'production');

  assert.equal(output.get, 'undefined');
  assert.equal(output.set, 'undefined');
  assert.equal(output.update, 'undefined');
  assert.deepEqual(output.updateBlocked, { returned: 'undefined', context: { kept: true } });
  assert.equal(output.alive, 'still working');

  const missing = stderr.split(MESSAGES.CONTEXT_DOES_NOT_EXIST).length - 1;
  assert.equal(missing, 3, `expected three CONTEXT_DOES_NOT_EXIST reports on stderr, got:\n${stderr}`);
  assert.ok(stderr.includes(MESSAGES.UPDATE_BLOCKED), `expected an UPDATE_BLOCKED report on stderr, got:\n${stderr}`);
});

test('in production monitor without configure still throws MONITOR_MISS_CONFIGURATION', () => {
  const { output } = runChild(MISUSE_SCRIPT, 'production');
  assert.deepEqual(output.monitor, {
    message: MESSAGES.MONITOR_MISS_CONFIGURATION,
    code: 'MONITOR_MISS_CONFIGURATION',
    isError: true,
  });
});

test('outside production get/set/update misuse throws instead of logging', () => {
  const { output, stderr } = runChild(`
const Context = require(PACKAGE);
const attempt = (fn) => {
  try {
    return { returned: String(fn()) };
  } catch (error) {
    return { code: error.code, message: error.message };
  }
};
console.log(JSON.stringify({
  get: attempt(() => Context.get()),
  set: attempt(() => Context.set({})),
  update: attempt(() => Context.update({})),
  updateBlocked: Context.run(() => attempt(() => Context.update('x')), {}),
}));
`, 'development');

  const missing = { code: 'CONTEXT_DOES_NOT_EXIST', message: MESSAGES.CONTEXT_DOES_NOT_EXIST };
  assert.deepEqual(output, {
    get: missing,
    set: missing,
    update: missing,
    updateBlocked: { code: 'UPDATE_BLOCKED', message: MESSAGES.UPDATE_BLOCKED },
  });
  assert.equal(stderr.includes(MESSAGES.CONTEXT_DOES_NOT_EXIST), false, 'nothing should be logged when throwing');
});
