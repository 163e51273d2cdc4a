'use strict';

// An exception never corrupts the current context afterwards: thrown inside run (sync and
// async, nested across faces), inside a bound emitter listener (EventEmitterAsyncResource, cls
// bindEmitter), inside bound functions (AsyncResource.bind, AsyncLocalStorage.bind,
// AsyncContext.Snapshot.wrap, ns.bind), inside callbacks the hook drives (timers, immediates,
// ticks, microtasks, promise reactions, fs; they reach uncaughtException/unhandledRejection),
// inside a cls 'end' listener, and inside the native drain that runs in the hook.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { EventEmitter, EventEmitterAsyncResource } = require('node:events');
const { AsyncResource } = require('node:async_hooks');

const Context = require('..');
const { AsyncLocalStorage } = require('../lib/als');
const { Snapshot, Variable } = require('../lib/async-context');
const cls = require('../lib/cls');
const { runChild } = require('./fixtures/reliability/child');

const CHILD = path.join(__dirname, 'fixtures', 'reliability', 'exceptions-child.js');

const store = new AsyncLocalStorage();
const variable = new Variable();
const ns = cls.createNamespace('faults-exceptions');

// Everything current, across all faces.
function snapshot() {
  return {
    context: Context.exists() ? Context.get() : '<none>',
    store: store.getStore(),
    variable: variable.get(),
    ns: ns.active ? ns.get('who') : '<none>',
  };
}

// Runs fn inside a context of every face and returns what was current after fn threw.
function insideEveryFace(label, fn) {
  const context = { id: label };
  let expected;
  let after;
  Context.run(() => store.run(`store:${label}`, () => variable.run(`var:${label}`, () => ns.run(() => {
    ns.set('who', `ns:${label}`);
    expected = snapshot();
    assert.throws(fn, /planned/);
    after = snapshot();
  }))), context);
  assert.equal(expected.context, context);
  return { expected, after };
}

const boom = () => {
  throw new Error('planned');
};

test('a throw inside nested runs of every face restores each face, at every level', () => {
  const { expected, after } = insideEveryFace('nested', () => {
    Context.run(() => store.run('inner', () => variable.run('inner', () => ns.run(() => {
      ns.set('who', 'inner');
      Context.set('replaced');
      Context.create('created');
      store.enterWith('entered');
      boom();
    }))), 'inner');
  });
  assert.deepEqual(after, expected);
  assert.equal(Context.exists(), false);
  assert.equal(store.getStore(), undefined);
});

test('a rejected async run restores the caller synchronously and its continuations keep their own context', async () => {
  const outer = { id: 'outer' };
  const seen = await Context.run(async () => {
    const failing = Context.run(async () => {
      await null;
      throw new Error('planned');
    }, { id: 'failing' });
    const right = Context.get();
    await assert.rejects(failing, /planned/);
    return [right, Context.get()];
  }, outer);
  assert.deepEqual(seen, [outer, outer]);
});

test('a throwing listener of an EventEmitterAsyncResource: the emitter\'s caller keeps its context, the next emit sees the birth context', () => {
  const emitter = Context.run(() => store.run('birth', () => new EventEmitterAsyncResource({ name: 'faults' })), { id: 'birth' });
  const seen = [];
  emitter.on('event', () => {
    seen.push([Context.get().id, store.getStore()]);
    boom();
  });
  const { expected, after } = insideEveryFace('emitter-caller', () => emitter.emit('event'));
  assert.deepEqual(after, expected);
  const second = insideEveryFace('second-caller', () => emitter.emit('event'));
  assert.deepEqual(second.after, second.expected);
  assert.deepEqual(seen, [['birth', 'birth'], ['birth', 'birth']]);
  emitter.emitDestroy();
});

test('a throwing listener of a cls-bound emitter: the caller keeps its namespace context, the listener saw the binder\'s', () => {
  const emitter = new EventEmitter();
  const seen = [];
  ns.run(() => {
    ns.set('who', 'binder');
    ns.bindEmitter(emitter);
    emitter.on('event', () => {
      seen.push(ns.get('who'));
      boom();
    });
  });
  const { expected, after } = insideEveryFace('cls-caller', () => emitter.emit('event'));
  assert.deepEqual(after, expected);
  assert.deepEqual(seen, ['binder']);
});

test('throwing bound functions (AsyncResource.bind, AsyncLocalStorage.bind and snapshot, Snapshot.wrap, ns.bind) restore the caller', () => {
  const binders = {
    'AsyncResource.bind': (fn) => AsyncResource.bind(fn),
    'AsyncLocalStorage.bind': (fn) => AsyncLocalStorage.bind(fn),
    'AsyncLocalStorage.snapshot': (fn) => {
      const run = AsyncLocalStorage.snapshot();
      return () => run(fn);
    },
    'Snapshot.wrap': (fn) => Snapshot.wrap(fn),
    'Snapshot.run': (fn) => {
      const captured = new Snapshot();
      return () => captured.run(fn);
    },
    'ns.bind': (fn) => ns.bind(fn),
  };
  for (const [name, bind] of Object.entries(binders)) {
    let bound;
    const seen = [];
    Context.run(() => store.run(`bound:${name}`, () => ns.run(() => {
      ns.set('who', `bound:${name}`);
      bound = bind(() => {
        // ns.bind binds its namespace only (as cls-hooked): the other faces follow the caller.
        seen.push(name === 'ns.bind' ? ns.get('who') : [Context.get().id, store.getStore()]);
        boom();
      });
    })), { id: `bound:${name}` });
    const { expected, after } = insideEveryFace(`caller of ${name}`, bound);
    assert.deepEqual(after, expected, name);
    assert.deepEqual(seen, [name === 'ns.bind' ? `bound:${name}` : [`bound:${name}`, `bound:${name}`]], name);
  }
});

test('after thousands of throws in every position the engine still isolates concurrent runs', async () => {
  for (let i = 0; i < 2000; i++) {
    try {
      Context.run(() => store.run(i, () => (i % 2 ? boom() : Context.run(boom, i))), { id: i });
    } catch {
      // planned
    }
  }
  assert.equal(Context.exists(), false);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => Context.run(() => store.run(i, async () => {
    await new Promise((resolve) => setTimeout(resolve, i % 3));
    return Context.get().id === i && store.getStore() === i;
  }), { id: i })));
  assert.ok(results.every(Boolean));
});

for (const track of [false, true]) {
  test(`uncaught exceptions from timers, immediates, ticks, microtasks, promises, intervals and fs callbacks inside a run${track ? ' (tracking on)' : ''} leave every later context right`, async () => {
    const result = await runChild(CHILD, { env: { SCENARIO: 'uncaught', TRACK: track ? '1' : '0' } });
    assert.equal(result.code, 0, `exit code ${result.code}: ${result.stderr}`);
    assert.equal(result.stderr, '');
    assert.ok(result.json && !result.json.fatal, result.stdout);
    assert.deepEqual(result.json.problems, []);
    assert.deepEqual(result.json.events.sort(), ['B timer sees B', 'plain timer sees none']);
    const messages = result.json.uncaught.map((entry) => entry.message).sort();
    assert.deepEqual(messages, ['async', 'fs callback', 'immediate', 'interval', 'microtask', 'then', 'tick', 'timeout']);
    // Handlers see the throwing run's context, or none (a queueMicrotask under the resource
    // strategy): never another run's.
    for (const entry of result.json.uncaught) assert.ok(['A', 'none'].includes(entry.handlerSees), JSON.stringify(entry));
    if (track) assert.equal(result.json.size, 0, 'callbacks that threw must not stay in the native map');
  });
}

test('a throwing cls end listener is reported as uncaught, the other end listeners still run and later ends still fire', async () => {
  const result = await runChild(CHILD, { env: { SCENARIO: 'end', TRACK: '1' } });
  assert.equal(result.code, 0, `exit code ${result.code}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.ok(result.json && !result.json.fatal, result.stdout);
  assert.deepEqual(result.json.problems, []);
  assert.deepEqual(result.json.uncaught, [{ message: 'end listener', handlerSees: 'none' }]);
  assert.ok(result.json.events.includes('ends delivered after the throw: 2'), JSON.stringify(result.json.events));
  assert.equal(result.json.size, 0);
});

test('a native drain that fails inside the hook never throws into Node: one warning, tracking stops, contexts stay right', async () => {
  const result = await runChild(CHILD, { env: { SCENARIO: 'drain' } });
  assert.equal(result.code, 0, `exit code ${result.code}: ${result.stderr}`);
  assert.ok(result.json && !result.json.fatal, result.stdout);
  assert.deepEqual(result.json.problems, []);
  assert.deepEqual(result.json.uncaught, [], 'nothing may escape from the hook');
  assert.equal(result.json.warnings.length, 1, 'exactly one warning');
  assert.match(result.json.warnings[0], /tracking stopped: .*no tracker with id/);
  assert.match(result.stderr, /Warning: native-execution-context: tracking stopped/);
});
