'use strict';

// native-execution-context/domain at process level, in child processes:
// - Nothing is swallowed: an error thrown outside every domain, or in a domain with no 'error'
//   listener, ends the process with the same exit code and the same report (source line, message,
//   "Node.js vX") as the same script run without this module; listeners of 'uncaughtException' and
//   'unhandledRejection' get what they would get without it.
// - Compatibility: the same scripts run with real node:domain (always in its own process, never
//   next to ours) print the same thing, except for the documented differences, asserted as such.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runToEnd } = require('./helpers/child');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-domain-process-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

// Every script starts with this prelude (same length in every mode, so reports match line for
// line). IMPL: 'ours' (this package), 'node' (node:domain) or 'plain' (no domains at all: run(fn)
// just calls fn, which is what the script means without domains).
const PRELUDE = `'use strict';
const IMPL = process.env.IMPL;
const EventEmitter = require('node:events');
const fs = require('node:fs');
const plain = { create: () => Object.assign(new EventEmitter(), { run: (fn, ...args) => fn(...args), add() {}, enter() {}, exit() {} }) };
const domain = IMPL === 'ours' ? require(${JSON.stringify(path.join(PACKAGE_ROOT, 'lib', 'domain'))}) : IMPL === 'node' ? require('node:domain') : plain;
const active = () => (IMPL === 'node' ? process.domain : domain.active) || null;
const out = (...args) => console.log(...args);
`;

let scriptId = 0;
async function run(body, impl, extraEnv = {}) {
  scriptId += 1;
  const file = path.join(dir, `script-${scriptId}-${impl}.js`);
  fs.writeFileSync(file, PRELUDE + body);
  const env = { ...process.env, IMPL: impl, ...extraEnv };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const { code: status, stdout, stderr } = await runToEnd(process.execPath, [file], { env, timeout: 10_000 });
  return {
    status,
    stdout,
    // Stack frames differ by construction (our frames, node:domain's frames); the rest of the
    // report (source line, caret, message, properties, "Node.js vX") must not. The script path
    // differs only by its file name.
    stderr: stderr
      .split('\n')
      .filter((line) => !/^\s+at /.test(line))
      .join('\n')
      .replaceAll(file, 'SCRIPT'),
  };
}

// Runs the same script with this module and with no domains: same exit code, same output.
async function assertSameAsPlain(body, expectedStatus) {
  const [ours, plainRun] = await Promise.all([run(body, 'ours'), run(body, 'plain')]);
  assert.equal(plainRun.status, expectedStatus, `plain Node exit code (stderr: ${plainRun.stderr})`);
  assert.equal(ours.status, plainRun.status, `exit code; our stderr:\n${ours.stderr}`);
  assert.equal(ours.stderr, plainRun.stderr);
  assert.equal(ours.stdout, plainRun.stdout);
  return ours;
}

// Runs the same script with this module and with node:domain (each in its own process).
async function assertSameAsNodeDomain(body) {
  const [ours, node] = await Promise.all([run(body, 'ours'), run(body, 'node')]);
  assert.equal(ours.status, node.status, `exit code; our stderr:\n${ours.stderr}\nnode:domain stderr:\n${node.stderr}`);
  assert.equal(ours.stdout, node.stdout);
  assert.equal(
    ours.stderr.replace(/^.*DEP0097.*\n.*trace-deprecation.*\n/m, ''),
    node.stderr.replace(/^.*DEP0097.*\n.*trace-deprecation.*\n/m, ''),
  );
  return ours;
}

// A domain with an 'error' listener exists and is used elsewhere, so routing is installed.
const BUSY_DOMAIN = `const busy = domain.create(); busy.on('error', (e) => out('busy got', e.message)); busy.run(() => setTimeout(() => {}, 1));\n`;

describe('domain at process level', { concurrency: 8 }, () => {
  test('not swallowed: a throw in a timer outside every domain crashes exactly as plain Node (exit 1)', async () => {
    const { stderr } = await assertSameAsPlain(`${BUSY_DOMAIN}setTimeout(() => { throw new Error('outside'); }, 5);`, 1);
    assert.match(stderr, /Error: outside/);
    assert.match(stderr, /Node\.js v\d+/);
  });

  test('not swallowed: a throw in a domain with no \'error\' listener crashes exactly as plain Node', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); d.run(() => setTimeout(() => { throw new Error('no listener'); }, 5));`, 1);
  });

  test('not swallowed: an inner domain without listener, started inside one with a listener, crashes asynchronously', async () => {
    // The continuation has only the inner domain entered (as under node:domain).
    await assertSameAsPlain(`${BUSY_DOMAIN}const outer = domain.create(); outer.on('error', () => out('outer must not get it'));
  const inner = domain.create();
  outer.run(() => inner.run(() => setTimeout(() => { throw new Error('inner async'); }, 5)));`, 1);
  });

  test('not swallowed: a synchronous throw inside run with no listener, at top level, crashes as plain Node', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); d.run(() => { throw new TypeError('sync top level'); });`, 1);
  });

  test('not swallowed: an emitter of a domain with no listener emits \'error\': Node\'s own unhandled-error report', async () => {
    const { stderr } = await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); let ee; d.run(() => { ee = new EventEmitter(); });
  setTimeout(() => ee.emit('error', new Error('emitted')), 5);`, 1);
    assert.match(stderr, /Unhandled 'error' event/);
  });

  test('not swallowed: a listener of an emitter of a domain with no listener throws: crash as plain Node', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); let ee; d.run(() => { ee = new EventEmitter(); });
  ee.on('data', () => { throw new RangeError('listener'); });
  setTimeout(() => ee.emit('data'), 5);`, 1);
  });

  test('not swallowed: primitives thrown outside every domain are reported as plain Node does', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}setTimeout(() => { throw 42; }, 5);`, 1);
  });

  test('not swallowed: an unhandled rejection inside a domain with a listener is left to Node (crash, same report)', async () => {
    const { stderr } = await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); d.on('error', (e) => out('domain must not get it', e.message));
  d.run(() => { Promise.reject(new Error('rejected')); });`, 1);
    assert.match(stderr, /Error: rejected/);
  });

  test('not swallowed: an async function throwing inside a domain is an unhandled rejection, left to Node', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}const d = domain.create(); d.on('error', (e) => out('domain must not get it', e.message));
  d.run(() => setTimeout(async () => { await null; throw new Error('async'); }, 5));`, 1);
  });

  test('unhandledRejection listeners get rejections from inside domains, as without domains (exit 0)', async () => {
    const { stdout } = await assertSameAsPlain(`${BUSY_DOMAIN}process.on('unhandledRejection', (reason) => out('unhandledRejection', reason.message));
  const d = domain.create(); d.on('error', (e) => out('domain must not get it', e.message));
  d.run(() => { Promise.reject(new Error('rejected')); });`, 0);
    assert.match(stdout, /unhandledRejection rejected/);
  });

  test('uncaughtException listeners get errors thrown outside domains, as without domains (exit 0)', async () => {
    const { stdout } = await assertSameAsPlain(`${BUSY_DOMAIN}process.on('uncaughtException', (error, origin) => out('uncaughtException', error.message, origin));
  setTimeout(() => { throw new Error('outside'); }, 5);
  setTimeout(() => out('still running'), 20);`, 0);
    assert.match(stdout, /uncaughtException outside uncaughtException\nstill running/);
  });

  test('uncaughtExceptionMonitor and exit listeners see a crash outside domains as without domains', async () => {
    await assertSameAsPlain(`${BUSY_DOMAIN}process.on('uncaughtExceptionMonitor', (error, origin) => out('monitor', error.message, origin));
  process.on('exit', (code) => out('exit', code));
  setTimeout(() => { throw new Error('outside'); }, 5);`, 1);
  });

  test('routed errors do not reach uncaughtException listeners; errors outside domains do (ours = node:domain)', async () => {
    const { stdout, status } = await assertSameAsNodeDomain(`process.on('uncaughtException', (e) => out('process got', e.message));
  const d = domain.create(); d.on('error', (e) => out('domain got', e.message));
  d.run(() => setTimeout(() => { throw new Error('inside'); }, 1));
  setTimeout(() => { throw new Error('outside'); }, 10);`);
    assert.equal(status, 0);
    assert.equal(stdout, 'domain got inside\nprocess got outside\n');
  });

  test('an error handler that throws: reported as thrown in the fatal exception handler, exit 7 (ours = node:domain)', async () => {
    const { status, stderr } = await assertSameAsNodeDomain(`const d = domain.create();
  d.on('error', () => { throw new Error('from the handler'); });
  d.run(() => setTimeout(() => { throw new Error('original'); }, 1));`);
    assert.equal(status, 7);
    assert.match(stderr, /d\.on\('error', \(\) => \{ throw new Error\('from the handler'\); \}\);\n\s+\^/, 'the report points at the handler\'s throw');
    assert.match(stderr, /Error: from the handler/);
  });

  test('the docs\' run example prints the same as node:domain (nextTick -> setTimeout -> fs.open)', async () => {
    const { stdout, status } = await assertSameAsNodeDomain(`const d = domain.create();
  d.on('error', (er) => { out('Caught error!', er.code, er.domainThrown, er.domain === d, Object.keys(er).join()); });
  d.run(() => {
    process.nextTick(() => {
      setTimeout(() => {
        fs.open('non-existent file', 'r', (er, fd) => {
          if (er) throw er;
        });
      }, 100);
    });
  });`);
    assert.equal(status, 0);
    assert.equal(stdout, 'Caught error! ENOENT true true errno,code,syscall,path,domainThrown\n');
  });

  const COMPATIBLE = {
    'emitter error and listener throw decorations': `const d = domain.create();
  d.on('error', (e) => out('routed', e.message, e.domain === d, e.domainEmitter === ee, e.domainThrown, Object.keys(e).join(), active()));
  let ee; d.run(() => { ee = new EventEmitter(); });
  out('bound', ee.domain === d, Object.keys(ee).includes('domain'), d.members.length);
  out('emit returns', ee.emit('error', new Error('ee-err')));
  ee.on('x', () => { out('listener active', active() === d); throw new Error('listener'); });
  ee.emit('x');`,
    'error event without argument and with a primitive': `const d = domain.create();
  d.on('error', (e) => out('routed', typeof e === 'string' ? e : [e.message, e.code, e.domainEmitter === ee].join()));
  let ee; d.run(() => { ee = new EventEmitter(); });
  ee.emit('error'); ee.emit('error', 'str');`,
    'own error listener first': `const d = domain.create(); d.on('error', (e) => out('domain', e.message));
  let ee; d.run(() => { ee = new EventEmitter(); });
  ee.on('error', (e) => out('own', e.message, e.domain)); ee.emit('error', new Error('x'));`,
    'emitter created outside, emitted inside: not bound': `const d = domain.create(); d.on('error', (e) => out('routed', e.message));
  const ee = new EventEmitter();
  d.run(() => { try { ee.emit('error', new Error('x')); } catch (e) { out('threw', e.message, e.domain); } });`,
    'synchronous throw at top level inside run': `const d = domain.create();
  d.on('error', (e) => out('routed', e.message, e.domainThrown, e.domain === d, active()));
  d.run(() => { throw new Error('sync'); });`,
    'bind': `const d = domain.create();
  d.on('error', (e) => out('routed', e.message, e.domainThrown, e.domainBound, e.domain === d));
  const f = d.bind(function (a, b) { out('bound', this.x, a, b, active() === d); throw new Error('b'); });
  out(f.domain === d, f.name, f.length);
  setTimeout(() => f.call({ x: 1 }, 2, 3));`,
    'intercept': `const d = domain.create();
  const cb = function (a, b) { out('cb', this && this.x, a, b, active() === d, arguments.length); };
  d.on('error', (e) => out('routed', e.message, e.domainThrown, e.domainBound === cb, e.domain === d, Object.keys(e).join()));
  const f = d.intercept(cb);
  out(f.domain, f.name, f.length);
  f.call({ x: 1 }, null, 2, 3); f(new Error('ie')); f(undefined, 'u'); f('notError', 1);`,
    'enter and exit stack': `const [a, b, c] = [domain.create(), domain.create(), domain.create()];
  const which = () => [a, b, c].indexOf(active());
  a.enter(); b.enter(); c.enter(); out(which());
  b.exit(); out(which()); c.exit(); out(which()); a.exit(); out(which());
  a.enter(); a.enter(); a.exit(); out(which()); a.exit(); out(which());`,
    'nested synchronous runs: inner without listener': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1 routed', e.message, e.domain === d1));
  setTimeout(() => d1.run(() => d2.run(() => { throw new Error('n'); })));`,
    'nested synchronous runs: inner handler throws': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1 routed', e.message));
  d2.on('error', () => { throw new Error('d2 handler'); });
  setTimeout(() => d1.run(() => d2.run(() => { throw new Error('n'); })));`,
    'nested asynchronous: inner without listener crashes': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1 routed', e.message));
  d1.run(() => d2.run(() => setTimeout(() => { throw new Error('n'); })));`,
    'domains created in a domain are not members': `const d1 = domain.create(); let d2; d1.run(() => { d2 = domain.create(); });
  out(d2.domain, d1.members.length);`,
    'explicit nesting routes emitted errors to the parent': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1 got', e.message, e.domain === d1, e.domainEmitter === d2, e.domainThrown));
  d1.add(d2); out(d2.domain === d1, d1.members.length);
  d2.emit('error', new Error('direct'));`,
    'explicit nesting does not catch what the child throws': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1 got', e.message));
  d1.add(d2);
  d2.run(() => setTimeout(() => { throw new Error('child'); }));`,
    'promise handlers run in the domain of then()': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1', e.message)); d2.on('error', (e) => out('d2', e.message));
  let p; d1.run(() => { p = new Promise((r) => setTimeout(r, 5)); });
  d2.run(() => p.then(() => { out('then in d2', active() === d2); setTimeout(() => { throw new Error('from then'); }); }));`,
    'remove': `const d = domain.create(); d.on('error', (e) => out('routed', e.message));
  let ee; d.run(() => { ee = new EventEmitter(); });
  d.add(ee); out(d.members.length); d.remove(ee); out(d.members.length, ee.domain);
  try { ee.emit('error', new Error('gone')); } catch (e) { out('threw', e.message); }`,
    'run arguments, this and result': `const d = domain.create();
  out(d.run(function (a, b) { out(this === d, a, b, active() === d); return 42; }, 1, 2), active());`,
    'the process keeps running after a routed error': `const d = domain.create(); d.on('error', (e) => out('routed', e.message));
  process.on('exit', (code) => out('exit', code));
  d.run(() => setTimeout(() => { throw new Error('x'); }));
  setTimeout(() => out('still alive'), 20);`,
    'an error routed while another domain is active in the same tick': `const d1 = domain.create(), d2 = domain.create();
  d1.on('error', (e) => out('d1', e.message)); d2.on('error', (e) => out('d2', e.message));
  d1.run(() => setTimeout(() => { d2.run(() => {}); throw new Error('after d2 ran'); }));`,
  };

  for (const [name, body] of Object.entries(COMPATIBLE)) {
    test(`same as node:domain: ${name}`, async () => {
      await assertSameAsNodeDomain(body);
    });
  }

  test('documented difference: an error of a timer added with add() reaches the domain (node:domain 20/24 crashes)', async () => {
    const body = `const d = domain.create(); d.on('error', (e) => out('routed', e.message, active()));
  const t = setTimeout(() => { out('in domain', active() === d); throw new Error('t'); }, 5); d.add(t);`;
    const [ours, node] = await Promise.all([run(body, 'ours'), run(body, 'node')]);
    assert.equal(ours.status, 0);
    assert.equal(ours.stdout, 'in domain true\nrouted t null\n');
    assert.equal(node.status, 1, 'node:domain does not run added timers in the domain, whatever its docs say');
    assert.match(node.stdout, /in domain false/);
  });

  test('documented difference: run restores the previous domain when fn throws (node:domain leaves it entered)', async () => {
    const body = `const d = domain.create(); d.on('error', (e) => out('routed', e.message));
  try { d.run(() => { throw new Error('sync'); }); } catch (e) { out('caught', e.message, active() === d); }
  setTimeout(() => out('timer in d', active() === d));`;
    assert.equal((await run(body, 'ours')).stdout, 'caught sync false\ntimer in d false\n');
    assert.equal((await run(body, 'node')).stdout, 'caught sync true\ntimer in d true\n');
  });

  test('documented difference: unhandled rejections never reach a domain (its docs); node:domain 20/24 emits them', async () => {
    const body = `process.on('unhandledRejection', (r) => out('unhandledRejection', r.message));
  const d = domain.create(); d.on('error', (e) => out('domain error', e.message));
  d.run(() => { Promise.reject(new Error('rejected')); });`;
    const [ours, node] = await Promise.all([run(body, 'ours'), run(body, 'node')]);
    assert.equal(ours.stdout, 'unhandledRejection rejected\n');
    assert.equal(node.stdout, 'domain error rejected\n');
  });

  test('recipe: route unhandled rejections to the domain that made them, with one unhandledRejection listener', async () => {
    // In an unhandledRejection listener, `domain.active` is the domain of the rejected promise.
    const body = `process.on('unhandledRejection', (reason) => { if (domain.active) domain.active.emit('error', reason); else throw reason; });
  const d = domain.create(); d.on('error', (e) => out('domain error', e.message));
  d.run(() => setTimeout(async () => { await null; throw new Error('async handler failed'); }, 1));`;
    const ours = await run(body, 'ours');
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, 'domain error async handler failed\n');
  });
});
