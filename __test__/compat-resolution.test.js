'use strict';
// Tools that resolve modules their own way must still load every face. Jest before 28 ignores
// package.json "exports" (so a subpath needs a real folder: the stub folders at the package root,
// `cls/package.json` and so on) and reads `node:` built-ins as file names (so the code a user loads
// requires built-ins by their bare names). Jest 26 comes from the compat/ workspace; the package
// is copied (its `files`) into a temp project's node_modules, as a user has it.
// TypeScript's classic resolution is checked in types.test.js.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runToEnd } = require('./helpers/child');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');

// Subpaths of the exports map, as `native-execution-context/<face>` ('.' is the root). A subpath
// whose module does not exist yet (another face in the making) is left out, and said so.
const subpaths = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
const target = (subpath) => {
  const entry = pkg.exports[subpath];
  return typeof entry === 'string' ? entry : entry.require || entry.default;
};
const present = subpaths.filter((subpath) => fs.existsSync(path.join(ROOT, target(subpath))));
const pending = subpaths.filter((subpath) => !present.includes(subpath));
const specifier = (subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);

// The code a user's process loads: lib/, the root entries, the CLI.
function runtimeFiles() {
  const out = ['index.js', 'index.mjs'].map((file) => path.join(ROOT, file));
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(c|m)?js$/.test(entry.name)) out.push(full);
    }
  };
  walk(path.join(ROOT, 'lib'));
  walk(path.join(ROOT, 'bin'));
  return out;
}

test('runtime code requires and imports built-ins by their bare names, never `node:`', () => {
  const offenders = [];
  for (const file of runtimeFiles()) {
    const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const match of source.matchAll(/(?:require\s*\(|import\s*\(|\bfrom)\s*(['"])node:[^'"]*\1/g)) {
      offenders.push(`${path.relative(ROOT, file)}: ${match[0]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('every subpath has a stub folder for resolvers that ignore "exports", and `files` ships it', (t) => {
  if (pending.length > 0) t.diagnostic(`not checked, their module does not exist yet: ${pending.join(', ')}`);
  for (const subpath of present.filter((s) => s !== '.')) {
    const folder = subpath.slice(2);
    const stubFile = path.join(ROOT, folder, 'package.json');
    assert.ok(fs.existsSync(stubFile), `${folder}/package.json is missing`);
    const stub = JSON.parse(fs.readFileSync(stubFile, 'utf8'));
    const entry = pkg.exports[subpath];
    const fromStub = (file) => path.posix.relative(folder, path.posix.normalize(file));
    assert.deepEqual(stub, { main: fromStub(target(subpath)), types: fromStub(entry.types) }, `${folder}/package.json points at the exports map's files`);
    assert.ok(pkg.files.includes(`${folder}/`), `package.json "files" ships ${folder}/`);
  }
});

// One test per subpath in the spec file: require it by name and use it once, across an await.
const USES = {
  '.': `
    const Context = require(NAME);
    const seen = await Context.run(async () => { await tick(); return Context.get().id; }, { id: 'r-1' });
    expect(seen).toBe('r-1');`,
  './cls': `
    const { createNamespace, destroyNamespace } = require(NAME);
    const ns = createNamespace('jest-26');
    const seen = await ns.runPromise(async () => { ns.set('id', 'r-1'); await tick(); return ns.get('id'); });
    expect(seen).toBe('r-1');
    destroyNamespace('jest-26');`,
  './als': `
    const { AsyncLocalStorage } = require(NAME);
    const als = new AsyncLocalStorage();
    expect(await als.run('r-1', async () => { await tick(); return als.getStore(); })).toBe('r-1');`,
  './async-context': `
    const { Variable } = require(NAME);
    const variable = new Variable();
    expect(await variable.run('r-1', async () => { await tick(); return variable.get(); })).toBe('r-1');`,
  './scoped': `
    const { AsyncContext } = require(NAME);
    const ctx = new AsyncContext();
    const seen = await ctx.runScoped(async () => { ctx.store.add('id', 'r-1'); await tick(); return ctx.store.get('id'); });
    expect(seen).toBe('r-1');`,
  './domain': `
    const domain = require(NAME);
    const d = domain.create();
    expect(await d.run(async () => { await tick(); return domain.active === d; })).toBe(true);`,
  './express': `
    expect(typeof require(NAME).contextMiddleware()).toBe('function');`,
  './koa': `
    expect(typeof require(NAME).contextMiddleware()).toBe('function');`,
  './fastify': `
    expect(typeof require(NAME).contextPlugin).toBe('function');`,
  './monitor': `
    expect(typeof require(NAME).formatDuration(1500)).toBe('string');`,
};
const GENERIC_USE = `
    expect(Object.keys(require(NAME)).length).toBeGreaterThan(0);`;

function specSource() {
  const tests = present.map((subpath) => {
    const body = (USES[subpath] || GENERIC_USE).replace(/\bNAME\b/g, JSON.stringify(specifier(subpath)));
    return `test(${JSON.stringify(specifier(subpath))}, async () => {${body}\n});`;
  });
  return `const tick = () => new Promise((resolve) => setTimeout(resolve, 1));\n\n${tests.join('\n\n')}\n`;
}

function jestPaths() {
  const options = { paths: [path.join(ROOT, 'compat')] };
  try {
    return { bin: require.resolve('jest/bin/jest', options), version: require(require.resolve('jest/package.json', options)).version };
  } catch {
    return undefined;
  }
}

test('Jest 26 (ignores "exports", reads `node:` as files) loads every face by its subpath', { timeout: 120_000 }, async (t) => {
  const jest = jestPaths();
  assert.ok(jest, 'jest is not installed: `npm install` at the root installs the compat/ workspace');
  assert.match(jest.version, /^26\./, `compat/ declares jest 26, found ${jest.version}`);
  if (pending.length > 0) t.diagnostic(`not loaded, their module does not exist yet: ${pending.join(', ')}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-jest26-'));
  try {
    // The package as installed: its `files` (the native binary is not needed: tracking stays off).
    const installed = path.join(dir, 'node_modules', pkg.name);
    fs.mkdirSync(installed, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(installed, 'package.json'));
    for (const entry of pkg.files) {
      const from = path.join(ROOT, entry);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(installed, entry), { recursive: true });
    }
    // Peer dependencies, as the application would have them (from this checkout's node_modules).
    for (const peer of Object.keys(pkg.peerDependencies || {})) {
      const linkPath = path.join(dir, 'node_modules', peer);
      fs.mkdirSync(path.dirname(linkPath), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', peer), linkPath, process.platform === 'win32' ? 'junction' : 'dir');
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'jest-26-check', private: true, jest: { testEnvironment: 'node' } }));
    fs.writeFileSync(path.join(dir, 'faces.test.js'), specSource());

    const results = path.join(dir, 'results.json');
    const run = await runToEnd(
      process.execPath,
      [jest.bin, '--ci', '--runInBand', '--json', `--outputFile=${results}`, `--cacheDirectory=${path.join(dir, '.jest-cache')}`],
      { cwd: dir, timeout: 100_000 },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    assert.ok(fs.existsSync(results), `jest wrote no results:\n${output}`);
    const [suite] = JSON.parse(fs.readFileSync(results, 'utf8')).testResults;
    assert.ok(suite, output);
    assert.notEqual(suite.assertionResults.length, 0, `the spec file itself failed:\n${suite.message}`);
    const outcomes = Object.fromEntries(suite.assertionResults.map((result) => [result.title, result.status === 'passed' ? 'passed' : result.failureMessages.join('\n').split('\n')[0]]));
    assert.deepEqual(outcomes, Object.fromEntries(present.map((subpath) => [specifier(subpath), 'passed'])));
    assert.equal(run.code, 0, output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
