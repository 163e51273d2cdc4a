'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const Context = require('..');
const { useNodeEnv } = require('./helpers/context');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const temporaryDirectories = [];

// Misuse must throw here (outside production) so a wrong path cannot pass silently.
useNodeEnv('test');

after(() => {
  for (const directory of temporaryDirectories) fs.rmSync(directory, { recursive: true, force: true });
});

function makeTempDir(prefix) {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

function nextTimer(ms = 1) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('ExecutionContext is exposed as a class whose instances have the full API', () => {
  const { ExecutionContext } = Context;
  assert.equal(typeof ExecutionContext, 'function');
  assert.match(Function.prototype.toString.call(ExecutionContext), /^class\b/);
  assert.throws(() => ExecutionContext(), TypeError, 'a class cannot be called without new');

  const instance = new ExecutionContext();
  assert.ok(instance instanceof ExecutionContext);
  assert.ok(Context instanceof ExecutionContext, 'the default export is itself an ExecutionContext');
  for (const method of ['run', 'get', 'set', 'update', 'exists', 'create', 'configure', 'monitor']) {
    assert.equal(typeof instance[method], 'function', `missing ${method}`);
  }
  assert.equal(instance.run(() => instance.get(), 'own'), 'own');
});

test('independent instances do not see each other\'s contexts', async () => {
  const a = new Context.ExecutionContext();
  const b = new Context.ExecutionContext();
  const contextA = { owner: 'a' };

  const seen = await a.run(async () => {
    const sync = { aExists: a.exists(), bExists: b.exists(), defaultExists: Context.exists() };
    assert.throws(() => b.get(), (error) => error.code === 'CONTEXT_DOES_NOT_EXIST');
    await nextTimer();
    return { sync, later: { a: a.get(), bExists: b.exists() } };
  }, contextA);

  assert.deepEqual(seen.sync, { aExists: true, bExists: false, defaultExists: false });
  assert.equal(seen.later.a, contextA);
  assert.equal(seen.later.bExists, false);
});

test('nested runs of two instances each see their own context, across awaits', async () => {
  const a = new Context.ExecutionContext();
  const b = new Context.ExecutionContext();
  const contextA = { owner: 'a' };
  const contextB = { owner: 'b' };

  const seen = await a.run(() => b.run(async () => {
    const first = [a.get(), b.get()];
    b.set({ owner: 'b2' });
    await nextTimer();
    const second = [a.get(), b.get()];
    return { first, second };
  }, contextB), contextA);

  assert.equal(seen.first[0], contextA);
  assert.equal(seen.first[1], contextB);
  assert.equal(seen.second[0], contextA, 'setting b must not touch a');
  assert.deepEqual(seen.second[1], { owner: 'b2' });

  // and in the other order, with the inner instance still isolated from the outer one
  b.run(() => {
    a.run(() => {
      assert.deepEqual([a.get(), b.get()], [contextA, contextB]);
    }, contextA);
    assert.equal(a.exists(), false);
    assert.equal(b.get(), contextB);
  }, contextB);
});

test('requiring the package again after clearing the require cache returns the same instance', () => {
  const prefix = PACKAGE_ROOT + path.sep;
  const isOwnJsFile = (file) => file.startsWith(prefix)
    && !file.startsWith(path.join(PACKAGE_ROOT, 'node_modules') + path.sep)
    && !file.startsWith(path.join(PACKAGE_ROOT, '__test__') + path.sep)
    && file.endsWith('.js');

  const cleared = Object.keys(require.cache).filter(isOwnJsFile);
  assert.ok(cleared.includes(path.join(PACKAGE_ROOT, 'index.js')));
  assert.ok(cleared.some((file) => file.includes(`${path.sep}lib${path.sep}`)));
  for (const file of cleared) delete require.cache[file];

  const again = require('..');
  assert.notEqual(require.cache[path.join(PACKAGE_ROOT, 'index.js')], undefined, 'index.js must have been reloaded');
  assert.equal(again, Context);

  const context = { shared: true };
  assert.equal(Context.run(() => again.get(), context), context);
});

test('a second copy of the package loaded from another path returns the same instance and engine', () => {
  const copy = makeTempDir('nec-copy-');
  for (const file of ['index.js', 'binding.js', 'package.json']) {
    fs.copyFileSync(path.join(PACKAGE_ROOT, file), path.join(copy, file));
  }
  fs.cpSync(path.join(PACKAGE_ROOT, 'lib'), path.join(copy, 'lib'), { recursive: true });
  for (const file of fs.readdirSync(PACKAGE_ROOT).filter((name) => name.endsWith('.node'))) {
    fs.symlinkSync(path.join(PACKAGE_ROOT, file), path.join(copy, file));
  }

  const ENGINE_KEY = Symbol.for('native-execution-context.engine@1');
  const engineBefore = globalThis[ENGINE_KEY];
  const second = require(copy);

  assert.ok(Object.keys(require.cache).some((file) => file.startsWith(copy)), 'the copy must really have been loaded');
  assert.equal(second, Context);
  assert.equal(globalThis[ENGINE_KEY], engineBefore, 'the copy must reuse the engine');

  // An instance made from the copy's own class works alongside the original one.
  const { ExecutionContext: CopyClass } = require(path.join(copy, 'lib', 'execution-context'));
  const fromCopy = new CopyClass();
  const context = { from: 'original' };
  const observed = Context.run(() => fromCopy.run(() => [Context.get(), fromCopy.get()], 'copy'), context);
  assert.deepEqual(observed, [context, 'copy']);
  assert.equal(fromCopy.exists(), false);
});

test('ESM import gives the same default instance and named ExecutionContext as require', () => {
  const directory = makeTempDir('nec-esm-');
  fs.mkdirSync(path.join(directory, 'node_modules'));
  fs.symlinkSync(PACKAGE_ROOT, path.join(directory, 'node_modules', 'native-execution-context'), 'dir');

  const script = `
import Context, { ExecutionContext, ExecutionContextError } from 'native-execution-context';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const cjs = require('native-execution-context');
const instance = new ExecutionContext();
const inner = await Context.run(async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return Context.get().value;
}, { value: 'esm context' });
let errorCode;
try { Context.get(); } catch (error) { errorCode = error instanceof ExecutionContextError && error.code; }
console.log(JSON.stringify({
  sameDefault: Context === cjs,
  sameClass: ExecutionContext === cjs.ExecutionContext,
  sameError: ExecutionContextError === cjs.ExecutionContextError,
  isClass: typeof ExecutionContext === 'function' && instance instanceof ExecutionContext,
  instanceWorks: instance.run(() => instance.get(), 42),
  inner,
  errorCode,
}));
`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_ENV;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: directory,
    env,
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(result.status, 0, `child failed:\n${result.stderr}`);
  assert.deepEqual(JSON.parse(result.stdout.trim()), {
    sameDefault: true,
    sameClass: true,
    sameError: true,
    isClass: true,
    instanceWorks: 42,
    inner: 'esm context',
    errorCode: 'CONTEXT_DOES_NOT_EXIST',
  });
});
