'use strict';

// Differential tests against the real cls-hooked 4.2.2 (a dev dependency of the benchmarks):
// the same scenario runs in a child process under each implementation, and their transcripts
// must be identical; then each documented difference is shown on both.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const OURS = path.join(__dirname, '..', 'lib', 'cls');
let HOOKED;
try {
  HOOKED = require.resolve('cls-hooked');
} catch {
  HOOKED = undefined;
}
const skip = HOOKED === undefined ? 'cls-hooked is not installed (npm install at the root installs it)' : false;

// Runs `scenario` (the source of an async function taking `cls` and `record(label, value)`) in a
// fresh process under the implementation at `modulePath`; returns the recorded transcript.
function transcript(modulePath, scenario) {
  const program = `
    const cls = require(${JSON.stringify(modulePath)});
    const entries = [];
    const describe = (value) => {
      if (value instanceof Error) return { error: value.constructor.name, message: value.message.split('\\n')[0] };
      if (value === undefined) return { undefined: true };
      return value;
    };
    const record = (label, value) => entries.push([label, describe(value)]);
    const attempt = (label, fn) => { try { record(label, fn()); } catch (error) { record(label, error instanceof Error ? error : { thrown: String(error) }); } };
    (${scenario})(cls, record, attempt).then(
      () => process.stdout.write(JSON.stringify(entries)),
      (error) => { process.stderr.write(String(error && error.stack)); process.exit(1); },
    );
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', program], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

const both = (scenario) => [transcript(HOOKED, scenario), transcript(OURS, scenario)];

test('same exports, messages and assertion errors as cls-hooked', { skip }, () => {
  const [theirs, ours] = both(async (cls, record, attempt) => {
    record('exports', Object.keys(cls).sort());
    record('ERROR_SYMBOL', cls.ERROR_SYMBOL);
    attempt('createNamespace()', () => cls.createNamespace());
    const ns = cls.createNamespace('compat');
    record('name', ns.name);
    record('getNamespace', cls.getNamespace('compat') === ns);
    record('process.namespaces', process.namespaces.compat === ns);
    record('active outside', ns.active);
    record('get outside', ns.get('k'));
    attempt('set outside', () => ns.set('k', 1));
    attempt('enter()', () => ns.enter());
    attempt('exit()', () => ns.exit());
    attempt('exit(not entered)', () => ns.exit(ns.createContext()));
    attempt('runPromise(not a promise)', () => ns.runPromise(() => 42));
    attempt('bindEmitter({})', () => ns.bindEmitter({}));
    attempt('bindEmitter(no removeListener)', () => ns.bindEmitter({ on() {}, addListener() {}, emit() {} }));
    attempt('destroy unknown', () => cls.destroyNamespace('unknown'));
    cls.destroyNamespace('compat');
    record('getNamespace after destroy', cls.getNamespace('compat'));
    attempt('destroy twice', () => cls.destroyNamespace('compat'));
  });
  assert.deepEqual(ours, theirs);
});

test('same values: set/get, nesting and shadowing, run/runAndReturn, bind, interleaved enter/exit', { skip }, () => {
  const [theirs, ours] = both(async (cls, record, attempt) => {
    const ns = cls.createNamespace('values');
    const ctx = ns.run((context) => {
      record('set returns', ns.set('user', 'ada'));
      ns.set('level', 'outer');
      ns.run(() => {
        ns.set('level', 'inner');
        record('inner', [ns.get('user'), ns.get('level')]);
      });
      record('outer again', ns.get('level'));
      record('active is context', ns.active === context);
      record('runAndReturn', ns.runAndReturn(() => ns.get('user') + '!'));
    });
    record('run returns context', [ctx.user, ctx.level]);
    record('after run', ns.active);

    const bindCtx = ns.createContext();
    bindCtx.k = 'bound';
    const bound = ns.bind(function (a) { return [this.t, a, ns.get('k')]; }, bindCtx);
    record('bind', bound.call({ t: 'this' }, 'arg'));
    let late;
    ns.run(() => { ns.set('k', 'at bind'); late = ns.bind(() => ns.get('k')); });
    ns.run(() => { ns.set('k', 'at call'); record('bind uses bind-time context', late()); });

    const [a, b, c] = ['A', 'B', 'C'].map((label) => Object.assign(ns.createContext(), { label }));
    const label = () => (ns.active ? ns.active.label : null);
    ns.enter(a); ns.enter(b); ns.enter(c);
    ns.exit(b); record('exit B keeps C', label());
    ns.exit(c); record('exit C goes to A', label());
    ns.exit(a); record('exit A', label());

    const e = ns.createContext();
    ns.enter(e);
    ns.run(() => { record('_set in run', ns._set.length); attempt('exit entered from run', () => ns.exit(e)); });

    const errCtx = [];
    attempt('error decoration', () => ns.run((context) => { errCtx.push(context); ns.set('v', 1); throw new Error('boom'); }));
    try { ns.run(() => { throw new Error('x'); }); } catch (error) { record('fromException', ns.fromException(error) === error['error@context']); }
    record('async value', await ns.runPromise(async () => { ns.set('p', 'promised'); await null; return ns.get('p'); }));
  });
  assert.deepEqual(ours, theirs);
});

test('same bindEmitter behaviour for on/once listeners added in and out of context', { skip }, () => {
  const [theirs, ours] = both(async (cls, record) => {
    const { EventEmitter } = require('node:events');
    const ns = cls.createNamespace('emitters');
    const emitter = new EventEmitter();
    ns.bindEmitter(emitter);
    const seen = [];
    ns.run(() => { ns.set('k', 'added'); emitter.on('e', () => seen.push(['on', ns.get('k')])); });
    ns.run(() => { ns.set('k', 'added once'); emitter.once('e', () => seen.push(['once', ns.get('k')])); });
    emitter.on('e', () => seen.push(['outside', ns.get('k')]));
    ns.run(() => { ns.set('k', 'emitting'); emitter.emit('e'); });
    emitter.emit('e');
    record('seen', seen);
    record('listeners', emitter.listenerCount('e'));
    const fn = () => seen.push('removed?');
    ns.run(() => emitter.on('e', fn));
    emitter.removeListener('e', fn);
    record('removable', emitter.listenerCount('e'));
  });
  assert.deepEqual(ours, theirs);
});

test('documented differences, shown on both implementations', { skip }, () => {
  const [theirs, ours] = both(async (cls, record, attempt) => {
    const ns = cls.createNamespace('differences');
    // 1. A thrown string crashes cls-hooked's decoration.
    try { ns.run(() => { throw 'a string'; }); } catch (error) { record('thrown string', typeof error === 'string' ? error : error.message); }
    // 2. runPromise leaves its context entered in the caller (cls-hooked issue #63).
    const pending = ns.runPromise(async () => { ns.set('leak', 1); await null; });
    record('after runPromise', ns.get('leak'));
    await pending;
    // 3. reset() after destroyNamespace().
    cls.createNamespace('gone');
    cls.destroyNamespace('gone');
    attempt('reset after destroy', () => cls.reset());
    // 4. Nested contexts get an own `id`, shadowing a user key.
    const ns2 = cls.createNamespace('ids');
    ns2.run(() => { ns2.set('id', 'request-1'); ns2.run(() => record('nested id', typeof ns2.get('id'))); });
    // 5. fromException across namespaces.
    const other = cls.createNamespace('other');
    let inner;
    try { ns2.run(() => other.run((context) => { inner = context; throw new Error('x'); })); } catch (error) { record('other.fromException', other.fromException(error) === inner); }
    // 6. A rejection with undefined.
    try { await ns2.runPromise(() => Promise.reject(undefined)); } catch (error) { record('reject undefined', error === undefined ? 'undefined' : error.message); }
  });
  const expectedTheirs = [
    ['thrown string', "Cannot create property 'error@context' on string 'a string'"],
    ['after runPromise', 1],
    ['reset after destroy', { error: 'AssertionError', message: 'can\'t delete nonexistent namespace! "gone"' }],
    ['nested id', 'number'],
    ['other.fromException', false],
    ['reject undefined', "Cannot set properties of undefined (setting 'error@context')"],
  ];
  const expectedOurs = [
    ['thrown string', 'a string'],
    ['after runPromise', { undefined: true }],
    ['reset after destroy', { undefined: true }],
    ['nested id', 'string'],
    ['other.fromException', true],
    ['reject undefined', 'undefined'],
  ];
  assert.deepEqual(theirs, expectedTheirs);
  assert.deepEqual(ours, expectedOurs);
});

test('loaded next to cls-hooked, in either order: neither registry is wiped by us, ours keeps working', { skip }, () => {
  const run = (first, second) => JSON.parse(execFileSync(process.execPath, ['-e', `
    const a = require(${JSON.stringify(first)});
    const nsA = a.createNamespace('from-first');
    const b = require(${JSON.stringify(second)});
    const nsB = b.createNamespace('from-second');
    const ours = ${JSON.stringify(first)} === ${JSON.stringify(OURS)} ? a : b;
    const oursNs = ours === a ? nsA : nsB;
    process.stdout.write(JSON.stringify({
      listed: Object.keys(process.namespaces).sort(),
      oursFound: ours.getNamespace(oursNs.name) === oursNs,
      oursWorks: oursNs.runAndReturn(() => { oursNs.set('k', 'v'); return oursNs.get('k'); }),
    }));
  `], { encoding: 'utf8' }));
  // cls-hooked first: we leave its process.namespaces in place (it stays the one listed there).
  assert.deepEqual(run(HOOKED, OURS), { listed: ['from-first'], oursFound: true, oursWorks: 'v' });
  // Ours first: cls-hooked replaces process.namespaces on load (its behaviour); ours still works.
  assert.deepEqual(run(OURS, HOOKED), { listed: ['from-second'], oursFound: true, oursWorks: 'v' });
});
