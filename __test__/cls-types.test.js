'use strict';

// lib/cls/index.d.ts matches the runtime: every export, namespace member and context method is
// declared; and, where TypeScript is installed, a strict example program type-checks against
// the package's `exports` (with @ts-expect-error lines proving wrong uses are rejected).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const cls = require('../lib/cls');

const ROOT = path.join(__dirname, '..');
const DTS = fs.readFileSync(path.join(ROOT, 'lib', 'cls', 'index.d.ts'), 'utf8');

// The body of `export interface <name> ... { ... }` in the .d.ts (interfaces are not nested).
function interfaceBody(name) {
  const start = DTS.search(new RegExp(`export interface ${name}\\b[^{]*\\{`));
  assert.notEqual(start, -1, `interface ${name} is declared`);
  const open = DTS.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < DTS.length; i++) {
    if (DTS[i] === '{') depth += 1;
    if (DTS[i] === '}' && --depth === 0) return DTS.slice(open + 1, i);
  }
  throw new Error(`unterminated interface ${name}`);
}

// Member names declared at the top level of an interface body (methods and properties).
function declaredMembers(body) {
  const names = new Set();
  for (const line of body.split('\n')) {
    const match = /^ {2}(?:readonly )?([A-Za-z_$][\w$]*)\??(?:<[^(]*>)?[(:]/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}

test('the package declares these typings for the ./cls subpath', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.deepEqual(pkg.exports['./cls'], { types: './lib/cls/index.d.ts', import: './lib/cls/index.mjs', default: './lib/cls/index.js' });
});

test('every runtime export is declared, with the right kind', () => {
  for (const [name, value] of Object.entries(cls)) {
    const pattern = typeof value === 'function' ? `export function ${name}\\b` : `export const ${name}\\b`;
    assert.match(DTS, new RegExp(pattern), `${name} is declared`);
  }
  assert.match(DTS, /export const ERROR_SYMBOL: 'error@context';/);
});

test('every public namespace member is declared on Namespace, and nothing that does not exist', () => {
  const ns = cls.createNamespace('typed-members');
  const runtime = new Set([
    ...Object.keys(ns),
    ...Object.getOwnPropertyNames(Object.getPrototypeOf(ns)).filter((name) => name !== 'constructor'),
  ]);
  // cls-hooked internals kept for code that peeks at them; untyped, as in @types/cls-hooked.
  const internals = ['id', '_set'];
  for (const name of internals) assert.ok(runtime.has(name), `${name} exists at runtime`);
  const declared = declaredMembers(interfaceBody('Namespace'));
  const publicNames = [...runtime].filter((name) => !internals.includes(name)).sort();
  assert.deepEqual([...declared].sort(), publicNames);
});

test('the life-cycle methods of contexts are declared on Context', () => {
  const ns = cls.createNamespace('typed-context');
  ns.run((context) => {
    for (const name of ['on', 'once', 'off']) assert.equal(typeof context[name], 'function');
  });
  assert.deepEqual([...declaredMembers(interfaceBody('Context'))].sort(), ['off', 'on', 'once']);
});

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
  require.resolve('@types/node/package.json');
} catch {
  tsc = undefined;
}

test('a strict TypeScript program using the subpath type-checks (wrong uses are rejected)', { skip: tsc === undefined && 'typescript or @types/node is not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-cls-types-'));
  try {
    // Resolve the package by name through its `exports`, as a dependent project would.
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'native-execution-context'), 'dir');
    fs.writeFileSync(path.join(dir, 'example.ts'), `
import { createNamespace, getNamespace, destroyNamespace, reset, ERROR_SYMBOL } from 'native-execution-context/cls';
import type { Namespace, Context, ContextEndListener } from 'native-execution-context/cls';
import { EventEmitter } from 'node:events';

const ns: Namespace = createNamespace('app');
const context: Context = ns.run((ctx) => {
  ns.set('user', 'ada');
  const onEnd: ContextEndListener = function (this: Context, ended: Context) { void this.user; void ended.user; };
  ctx.on('end', onEnd).once('end', () => {}).off('end', onEnd);
});
const answer: number = ns.runAndReturn((ctx: Context) => (ctx.user ? 42 : 0));
const later: Promise<string> = ns.runPromise(async () => 'done');
const bound: (a: number) => string = ns.bind((a: number) => String(a), context);
ns.bindEmitter(new EventEmitter());
ns.enter(context);
ns.exit(context);
const fromError: Context | undefined = ns.fromException(new Error('x'));
const active: Context | null = ns.active;
const found: Namespace | null | undefined = getNamespace('app');
const key: 'error@context' = ERROR_SYMBOL;

// The value map of @types/cls-hooked still works.
interface Values { requestId: string; attempts: number }
const typed = createNamespace<Values>('typed');
typed.run(() => {
  typed.set('attempts', 1);
  const attempts: number | undefined = typed.get('attempts');
  void attempts;
  // @ts-expect-error a string is not a number
  typed.set('attempts', 'one');
  // @ts-expect-error unknown key
  typed.get('nope');
});
// @ts-expect-error contexts emit only 'end'
context.on('finish', () => {});
// @ts-expect-error run returns the context, not fn's value
const wrong: number = ns.run(() => 1);
// @ts-expect-error active may be null
ns.active.user;
// @ts-expect-error the name is read-only
ns.name = 'renamed';

destroyNamespace('typed');
reset();
void answer; void later; void bound; void fromError; void active; void found; void key; void wrong;
`);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      files: ['example.ts'],
    }));
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      assert.fail(`tsc reported errors:\n${error.stdout}${error.stderr}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
