'use strict';

// The typings of native-execution-context/domain (lib/domain/index.d.ts), resolved through the
// package's `exports` like a user's project would: a strict TypeScript program using the whole
// API must compile, and misuses marked @ts-expect-error must be errors.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const TSC = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const PROGRAM = `
import * as domain from 'native-execution-context/domain';
import { Domain, DomainError, DomainMember, create, createDomain } from 'native-execution-context/domain';
import domainRequired = require('native-execution-context/domain');
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';

const d: Domain = domain.create();
const other: Domain = createDomain();
const third: Domain = create();
const sameModule: typeof domain.create = domainRequired.create;
const isEmitter: EventEmitter = d;

d.on('error', (error) => {
  const asError: Error = error;
  const routedBy: Domain | undefined = error.domain;
  const emitter: EventEmitter | undefined = error.domainEmitter;
  const callback: Function | undefined = error.domainBound;
  const thrown: boolean | undefined = error.domainThrown;
  console.error(asError.message, routedBy, emitter, callback, thrown);
});
d.once('error', (error: DomainError) => void error);
d.on('other', (a: number, b: string) => void [a, b]);

const answer: number = d.run(() => 42);
const joined: string = d.run((a: string, b: number) => a + b, 'x', 1);
const self: Domain = d.run(function () { return this; });
d.enter();
d.exit();

const emitter = new EventEmitter();
d.add(emitter);
d.remove(emitter);
const timer = setTimeout(() => {}, 1);
d.add(timer);
d.remove(timer);
other.add(d);
const members: DomainMember[] = d.members;
const parent: Domain | null = d.domain;

const bound = d.bind((value: number) => value * 2);
const doubled: number = bound(2);
const boundTo: Domain = bound.domain;
fs.readFile(__filename, 'utf8', d.intercept((data: string) => data.length));
const intercepted: (error: Error | null, data: string) => number | undefined = d.intercept((data: string) => data.length);
// @ts-expect-error the intercepted callback gets the arguments after the error
intercepted(null, 42);

const active: Domain | null = domain.active;

// @ts-expect-error run needs a function
d.run(42);
// @ts-expect-error add takes emitters and timers only
d.add('not an emitter');
// @ts-expect-error the wrapped function keeps its parameter types
bound('two');
// @ts-expect-error dispose() was removed from node:domain (DEP0012) and is not provided
d.dispose();
// @ts-expect-error active is read-only
domain.active = d;
d.on('error', (error) => {
  // @ts-expect-error a routed error is an Error, not a string
  const text: string = error;
  void text;
});

export { answer, joined, self, members, parent, doubled, boundTo, intercepted, active, third, sameModule, isEmitter };
`;

test('the typings compile a strict program using the whole API and reject misuses', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-domain-types-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(PACKAGE_ROOT, path.join(dir, 'node_modules', 'native-execution-context'), 'dir');
    fs.writeFileSync(path.join(dir, 'program.ts'), PROGRAM);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'node16',
        moduleResolution: 'node16',
        target: 'es2022',
        types: ['node'],
        typeRoots: [path.join(PACKAGE_ROOT, 'node_modules', '@types')],
        noUnusedLocals: false,
        skipLibCheck: false,
      },
      files: ['program.ts'],
    }));
    const result = spawnSync(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.error, undefined);
    assert.equal(result.status, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
