'use strict';
// ESM named imports: every face offers, as named exports, the names of the module it replaces
// (`import { create } from 'native-execution-context/domain'` as from 'node:domain'), and every
// ESM value is the CommonJS one (one copy of each face, one engine per thread). The replaced
// modules' names are read in a child process, so node:domain, cls-hooked and
// node-execution-context never load in this one.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');

const specifier = (subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);
const target = (entry) => (typeof entry === 'string' ? entry : entry.require || entry.default);
const present = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json' && fs.existsSync(path.join(ROOT, target(pkg.exports[subpath]))));

// node:domain names we deliberately do not offer, each with the reason (docs/domain.md,
// "Differences from node:domain").
const DOMAIN_NOT_OFFERED = {
  _stack: 'no domain stack export: domains travel in the engine frames, there is no module-level stack',
};
// Names a face offers on top of the module it replaces.
const EXTRA = {
  '.': ['ExecutionContext', 'ExecutionContextError'], // the class and the error class, for independent instances
};

// The ESM names of the replaced modules. For the npm packages only names with a value count:
// node-execution-context is a bundle in which Node's CommonJS export detection also finds names
// that are never set (they import as undefined).
const REFERENCE_PROGRAM = `
  const { createRequire } = require('node:module');
  const { pathToFileURL } = require('node:url');
  const fromBench = createRequire(${JSON.stringify(path.join(ROOT, 'bench', 'package.json'))});
  const names = (ns) => Object.keys(ns).filter((name) => name !== 'default' && name !== 'module.exports').sort();
  const defined = (ns) => names(ns).filter((name) => ns[name] !== undefined);
  (async () => {
    const of = async (request) => import(pathToFileURL(fromBench.resolve(request)).href);
    const out = {
      domain: names(await import('node:domain')),
      asyncHooks: names(await import('node:async_hooks')),
      clsHooked: defined(await of('cls-hooked')),
      necDefined: defined(await of('node-execution-context')),
      necHasDefault: typeof (await of('node-execution-context')).default,
    };
    process.stdout.write(JSON.stringify(out));
  })();
`;
let reference;
function referenceNames() {
  reference ??= JSON.parse(execFileSync(process.execPath, ['-e', REFERENCE_PROGRAM], { cwd: ROOT, encoding: 'utf8' }));
  return reference;
}

// Names that are not the API's: the default export, and the 'module.exports' export that Node 23+
// adds to every CommonJS module imported from ESM.
const named = (ns) => Object.keys(ns).filter((name) => name !== 'default' && name !== 'module.exports').sort();

// The ESM names of a face, in this process (self-reference: the package imports itself by name).
async function esmNames(subpath) {
  return named(await import(specifier(subpath)));
}

test('the reported case: a named import of /domain, as from node:domain', async () => {
  const program = `import { create, createDomain, Domain, active } from '${pkg.name}/domain';
    const d = create();
    console.log(JSON.stringify([d instanceof Domain, createDomain === create, active]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: ROOT, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [true, true, null]);
});

test('every subpath: its ESM names are its CommonJS names, and each value is the CommonJS one', async () => {
  for (const subpath of present) {
    const name = specifier(subpath);
    const cjs = require(name);
    const ns = await import(name);
    assert.equal(ns.default, cjs, `${name}: the default export is the CommonJS module`);
    const cjsNames = subpath === '.' ? EXTRA['.'] : Object.keys(cjs);
    assert.deepEqual(named(ns), [...cjsNames].sort(), `${name}: ESM names`);
    for (const key of cjsNames) assert.equal(ns[key], cjs[key], `${name}: ${key} is the CommonJS value`);
  }
});

test('/domain: node:domain names, but for those deliberately not offered', async () => {
  const { domain } = referenceNames();
  for (const name of Object.keys(DOMAIN_NOT_OFFERED)) assert.ok(domain.includes(name), `node:domain no longer exports ${name}: drop it from the list`);
  assert.deepEqual(await esmNames('./domain'), domain.filter((name) => !(name in DOMAIN_NOT_OFFERED)));
});

test('/domain: the named `active` is, as node:domain\'s, the value at import (null), and the default export\'s is live', async () => {
  const domain = await import(`${pkg.name}/domain`);
  assert.equal(domain.active, null);
  const d = domain.create();
  d.run(() => {
    assert.equal(domain.default.active, d);
    assert.equal(domain.active, null);
  });
});

test('/als: AsyncLocalStorage, as node:async_hooks exports it', async () => {
  const { asyncHooks } = referenceNames();
  assert.ok(asyncHooks.includes('AsyncLocalStorage'));
  assert.deepEqual(await esmNames('./als'), ['AsyncLocalStorage']);
});

test('/cls: the names of cls-hooked 4.2.2', async () => {
  const { clsHooked } = referenceNames();
  assert.deepEqual(clsHooked, ['ERROR_SYMBOL', 'createNamespace', 'destroyNamespace', 'getNamespace', 'reset']);
  assert.deepEqual(await esmNames('./cls'), clsHooked);
});

test('the root: what node-execution-context 3.1.0 offers to ESM (a default export), plus the classes', async () => {
  const { necDefined, necHasDefault } = referenceNames();
  assert.deepEqual(necDefined, []);
  assert.equal(necHasDefault, 'object');
  const root = await import(pkg.name);
  assert.equal(typeof root.default.run, 'function');
  assert.deepEqual(await esmNames('.'), [...necDefined, ...EXTRA['.']].sort());
});

test('/async-context: AsyncContext and its Variable and Snapshot, also as named exports', async () => {
  const ns = await import(`${pkg.name}/async-context`);
  assert.deepEqual(await esmNames('./async-context'), ['AsyncContext', 'Snapshot', 'Variable']);
  assert.equal(ns.Variable, ns.AsyncContext.Variable);
  assert.equal(ns.Snapshot, ns.AsyncContext.Snapshot);
});

test('/scoped: AsyncContext and AsyncStore', async () => {
  assert.deepEqual(await esmNames('./scoped'), ['AsyncContext', 'AsyncStore']);
});

test('ESM and CommonJS share one engine: a store run from ESM is seen through require', async () => {
  const { AsyncLocalStorage } = await import(`${pkg.name}/als`);
  const Context = await import(pkg.name);
  const store = new AsyncLocalStorage();
  const seen = await Context.default.run(
    () => store.run('s-1', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return [store.getStore(), require(pkg.name).get().id];
    }),
    { id: 'c-1' },
  );
  assert.deepEqual(seen, ['s-1', 'c-1']);
});
