'use strict';
// The published typings, compiled the way a user project sees them: the fixtures in
// __test__/types/ are copied into a temp project whose node_modules/native-execution-context
// links to this package (so the exports map and its `types` conditions are what resolves), then
// checked with `tsc --strict --noEmit` (module node16). Valid fixtures must compile; the invalid
// one must fail with exactly the errors its lines announce.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'types');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const pkg = require('../package.json');

// Faces written by others: their fixture is compiled when their typings exist.
const FACES = ['cls', 'als', 'async-context', 'scoped', 'otel'];

function link(target, linkPath) {
  fs.mkdirSync(path.dirname(linkPath), { recursive: true });
  fs.symlinkSync(target, linkPath, process.platform === 'win32' ? 'junction' : 'dir');
}

// A temp project with the given fixtures (names in __test__/types/, or { [name]: source });
// returns tsc's exit code and its diagnostics.
async function compile(fixtures, compilerOptions = {}) {
  const sources = Array.isArray(fixtures)
    ? Object.fromEntries(fixtures.map((name) => [name, fs.readFileSync(path.join(FIXTURES, name), 'utf8')]))
    : fixtures;
  const files = Object.keys(sources);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-types-'));
  try {
    link(ROOT, path.join(dir, 'node_modules', 'native-execution-context'));
    link(path.join(ROOT, 'node_modules', '@types'), path.join(dir, 'node_modules', '@types'));
    link(path.join(ROOT, 'node_modules', 'fastify'), path.join(dir, 'node_modules', 'fastify'));
    for (const peer of Object.keys(pkg.peerDependencies || {})) {
      if (fs.existsSync(path.join(ROOT, 'node_modules', peer))) link(path.join(ROOT, 'node_modules', peer), path.join(dir, 'node_modules', peer));
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'types-check', private: true }));
    for (const file of files) fs.writeFileSync(path.join(dir, file), sources[file]);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          esModuleInterop: true,
          skipLibCheck: false,
          types: ['node'],
          noUnusedLocals: false,
          ...compilerOptions,
        },
        files,
      }),
    );
    const { code, output } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.json'), '--strict', '--noEmit', '--pretty', 'false'], { cwd: dir });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, output: text }));
    });
    // `file(line,col): error TSxxxx: message`, then indented lines that elaborate on it.
    const diagnostics = [];
    for (const text of output.split(/\r?\n/)) {
      const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(text);
      if (match) diagnostics.push({ file: path.basename(match[1]), line: Number(match[2]), code: match[4], message: match[5] });
      else if (/^\s+\S/.test(text) && diagnostics.length > 0) diagnostics[diagnostics.length - 1].message += `\n${text.trim()}`;
    }
    return { code, output, diagnostics };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const available = FACES.filter((face) => fs.existsSync(path.join(ROOT, 'lib', face, 'index.d.ts')));
const missing = FACES.filter((face) => !available.includes(face));

// index.js is CommonJS (`module.exports = instance`, which also has `.default`). index.d.ts
// declares `export default`, which TypeScript maps to `exports.default`: `import x from` under
// esModuleInterop works (root.ts), but `require()` (`import x = require()`, JS with @ts-check,
// editors' IntelliSense) and an ES module's default import get the module namespace instead of
// the instance. Declaring the instance with `export =` (or, for ES modules only, ESM typings under
// the exports map's `import.types`) fixes them; until index.d.ts does, these two are TODO.
const indexDts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8');
const exportAssigned = /^export\s*=\s*\w+;/m.test(indexDts);
const rootImport = pkg.exports['.'].import;
const esmTypings = exportAssigned || (typeof rootImport === 'object' && rootImport !== null && typeof rootImport.types === 'string');

// Two programs, compiled in parallel: every fixture that must compile (diagnostics are told
// apart by file), and the ones that must fail.
const VALID = ['root.ts', 'frameworks.ts', 'monitor-threads.ts', ...available.map((face) => `face-${face}.ts`)];
const CJS = ['root-require.ts', 'root-check.js'];
const ESM = ['root-esm.mts'];
// The valid program skips checking the insides of declaration files (@types/node and fastify's
// take most of the time); the invalid one checks them, ours included (root, express, koa,
// monitor), and frameworks.ts pins the fastify face's type exactly, so it cannot decay to any.
const validRun = compile([...VALID, ...CJS, ...ESM], { allowJs: true, checkJs: true, skipLibCheck: true });

// root.ts without its @ts-expect-error on `config`: the line must then fail (a stale
// @ts-expect-error would itself be an error, so this proves the check above is live).
const rootSource = fs.readFileSync(path.join(FIXTURES, 'root.ts'), 'utf8');
const EXPECT_CONFIG = /\/\/ @ts-expect-error: `config`[^\n]*\n/;
const stripped = rootSource.replace(EXPECT_CONFIG, '');
const invalidRun = compile(
  {
    'invalid.ts': fs.readFileSync(path.join(FIXTURES, 'invalid.ts'), 'utf8'),
    'root-unguarded.ts': stripped,
  },
  { skipLibCheck: false },
);
// TypeScript's default resolution for `module: commonjs` (node10, "classic" node resolution)
// ignores the exports map: each subpath's typings are found through its stub folder
// (`cls/package.json` "types"). One import and one typed use per subpath of the exports map
// whose typings exist (a subpath without a use of its own is imported whole).
const CLASSIC_USES = {
  '.': ["import Context from 'native-execution-context';", "const root: string = Context.run(() => Context.get<{ id: string }>().id, { id: 'r-1' });"],
  './cls': ["import { createNamespace } from 'native-execution-context/cls';", "const cls: number = createNamespace('classic').runAndReturn(() => 1);"],
  './als': ["import { AsyncLocalStorage } from 'native-execution-context/als';", "const als: string | undefined = new AsyncLocalStorage<string>().getStore();"],
  './async-context': ["import { Variable } from 'native-execution-context/async-context';", "const variable: string | undefined = new Variable<string>().get();"],
  './scoped': ["import { AsyncContext } from 'native-execution-context/scoped';", "const scoped: number | undefined = new AsyncContext().store.get<number>('n');"],
  './domain': ["import { create, Domain } from 'native-execution-context/domain';", 'const domain: Domain = create();'],
  './express': ["import { contextMiddleware as expressMiddleware } from 'native-execution-context/express';", 'const express: Function = expressMiddleware();'],
  './koa': ["import { contextMiddleware as koaMiddleware } from 'native-execution-context/koa';", 'const koa: Function = koaMiddleware();'],
  './fastify': ["import { contextPlugin } from 'native-execution-context/fastify';", 'const fastify: Function = contextPlugin;'],
  './monitor': ["import { formatDuration } from 'native-execution-context/monitor';", 'const monitor: string = formatDuration(1500);'],
};
const classicSubpaths = Object.keys(pkg.exports).filter((subpath) => pkg.exports[subpath].types && fs.existsSync(path.join(ROOT, pkg.exports[subpath].types)));
const classicLines = classicSubpaths.map((subpath, index) => {
  if (CLASSIC_USES[subpath]) return CLASSIC_USES[subpath];
  const name = `${pkg.name}/${subpath.slice(2)}`;
  return [`import * as face${index} from '${name}';`, `const use${index}: object = face${index};`];
});
const classicSource = [...classicLines.map(([line]) => line), '', ...classicLines.map(([, line]) => line), ''].join('\n');
const classicRun = compile({ 'classic-resolution.ts': classicSource }, { module: 'commonjs', moduleResolution: undefined, skipLibCheck: true });

// Keep an early rejection from being reported as unhandled before a test awaits it.
validRun.catch(() => {});
invalidRun.catch(() => {});
classicRun.catch(() => {});

function diagnosticsOf(result, files) {
  return result.diagnostics.filter((d) => files.includes(d.file));
}

test(`valid fixtures compile: root, express/koa/fastify/monitor, monitor threads${available.length ? `, ${available.join('/')}` : ''}`, async (t) => {
  if (missing.length > 0) t.diagnostic(`skipped faces without typings yet: ${missing.join(', ')}`);
  const result = await validRun;
  const unexpected = result.diagnostics.filter((d) => !CJS.includes(d.file) && !ESM.includes(d.file));
  assert.deepEqual(unexpected, [], result.output);
  // Nothing but per-file diagnostics (no config or resolution errors).
  assert.equal(result.output.split('\n').filter((line) => line.trim() && !/^\S+\(\d+,\d+\): error TS\d+/.test(line) && !/^\s/.test(line)).length, 0, result.output);
  if (result.diagnostics.length === 0) assert.equal(result.code, 0);
});

test('@ts-expect-error on `config` is live: without it, tsc reports the missing method', async () => {
  assert.match(rootSource, /\/\/ @ts-expect-error: `config`[^\n]*\nContext\.config\(/);
  const expectedLine = stripped.slice(0, stripped.indexOf('Context.config(')).split('\n').length;
  const result = await invalidRun;
  const diagnostics = diagnosticsOf(result, ['root-unguarded.ts']);
  assert.deepEqual(diagnostics.map(({ line, code }) => [line, code]), [[expectedLine, 'TS2339']], result.output);
  assert.match(diagnostics[0].message, /Property 'config' does not exist on type 'ExecutionContextAPI'/);
});

test(
  'the root API the CommonJS way: import = require, and plain JavaScript with @ts-check',
  { todo: exportAssigned ? false : 'index.d.ts declares `export default`, not `export =`: see the report of issue 6' },
  async () => {
    const result = await validRun;
    assert.deepEqual(diagnosticsOf(result, CJS).map((d) => `${d.file}(${d.line}): ${d.message}`), []);
  },
);

test(
  'the root API from an ES module (.mts, module node16)',
  { todo: esmTypings ? false : 'no ESM-compatible typings for "." yet: see the report of issue 6' },
  async () => {
    const result = await validRun;
    assert.deepEqual(diagnosticsOf(result, ESM).map((d) => `${d.file}(${d.line}): ${d.message}`), []);
  },
);

test('misuse fails to compile, with the expected error on each marked line and nowhere else', async () => {
  const source = fs.readFileSync(path.join(FIXTURES, 'invalid.ts'), 'utf8').split('\n');
  const expected = [];
  source.forEach((text, index) => {
    const match = /\/\/! (TS\d+) (.+)$/.exec(text);
    if (match) expected.push({ line: index + 1, code: match[1], fragment: match[2].trim() });
  });
  assert.ok(expected.length >= 10, 'the fixture marks its misuses');

  const result = await invalidRun;
  assert.notEqual(result.code, 0, 'tsc must fail');
  const diagnostics = diagnosticsOf(result, ['invalid.ts']);
  assert.deepEqual(
    diagnostics.map(({ line, code }) => `${line}:${code}`),
    expected.map(({ line, code }) => `${line}:${code}`),
    `one error per marked line, nothing else:\n${result.output}`,
  );
  for (const { line, fragment } of expected) {
    const diagnostic = diagnostics.find((d) => d.line === line);
    assert.ok(diagnostic.message.includes(fragment), `line ${line}: "${diagnostic.message}" should mention "${fragment}"`);
  }
});

test('every subpath typechecks under `--module commonjs` with its default resolution (node10: no exports map)', async () => {
  assert.deepEqual(Object.keys(CLASSIC_USES).filter((subpath) => !classicSubpaths.includes(subpath)), [], 'every use is of a subpath with typings');
  const result = await classicRun;
  assert.deepEqual(result.diagnostics.map((d) => `${d.file}(${d.line}) ${d.code}: ${d.message}`), [], `${classicSource}\n${result.output}`);
  assert.equal(result.code, 0, result.output);
});
