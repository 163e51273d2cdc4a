'use strict';

// Regressions: minimal programs shrunk by the isolation property (property-isolation.test.js)
// while it was built, each replayed against the reference model, with the semantics it pins
// spelled out as a plain test; and the bugs found by the reliability work, as todo tests that
// fail until fixed (npm test stays green; node --test lists them as todo).
//
// To add one: paste fast-check's counterexample (a batch of programs) into PROGRAMS.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { EventEmitterAsyncResource } = require('node:events');

const Context = require('..');
const { createOwners, runPrograms } = require('./fixtures/reliability/programs');

// Owner indices in the programs below: 0 shared, 1 instance, 2 als, 3 variable, 4 cls.
const owners = createOwners();
const ENGINE = globalThis[Symbol.for('native-execution-context.engine@1')];

const PROGRAMS = {
  // The reference model first captured an await's frame before evaluating its operand; the
  // engine was right (on Node 20 and 24, both strategies): the task's head runs in the
  // awaiting function's execution, so its create reaches the continuation.
  'a create in the head of an awaited Promise.all task reaches the awaiting continuation': [
    { body: [{ t: 'async', head: [], steps: [{ kind: 'all', tasks: [{ t: 'async', head: [{ t: 'create', o: 0 }], steps: [{ kind: 'null', body: [] }] }], body: [] }] }] },
    { body: [] },
  ],
  // Shrunk from an injected bug (set behaving like create): set in a bound function must reach
  // the cell of the created context that every later bound function shares.
  'a set inside a bound function changes the created cell seen by a later bound function': [
    { body: [{ t: 'create', o: 1 }, { t: 'bind', how: 'asyncResource', body: [{ t: 'set', o: 1 }] }, { t: 'bind', how: 'asyncResource', body: [{ t: 'read' }] }] },
    { body: [] },
  ],
  // Shrunk from an injected bug (runIn not restoring on a throw).
  'a throwing run nested three deep restores each level': [
    { body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'throwRun', o: 0, body: [] }] }] }] }] },
    { body: [] },
  ],
  // Shrunk from an injected bug (some promises not propagating).
  'an awaited rejection inside a run resumes in the run, after an emit in the async head': [
    { body: [{ t: 'timeout', ms: 2, body: [] }, { t: 'run', o: 0, undef: false, body: [{ t: 'async', head: [{ t: 'emit', e: 0 }], steps: [{ kind: 'rejected', body: [{ t: 'read' }, { t: 'read' }] }] }, { t: 'bind', how: 'alsSnapshot', body: [] }] }] },
    { body: [] }, { body: [] }, { body: [] },
  ],
  // Hand-written: each interesting construct once, across faces.
  'a thenable is called in the awaiting run and the continuation stays there, whoever resolves': [
    { body: [{ t: 'run', o: 2, undef: false, body: [{ t: 'async', head: [{ t: 'create', o: 0 }], steps: [{ kind: 'thenable', then: [{ t: 'read' }, { t: 'set', o: 0 }], body: [{ t: 'read' }] }, { kind: 'foreign', body: [{ t: 'read' }] }] }] }] },
  ],
  'then callbacks run where then was called, not where the deferred is resolved': [
    { body: [{ t: 'run', o: 1, undef: false, body: [{ t: 'thenDeferred', d: 0, body: [{ t: 'read' }] }] }, { t: 'run', o: 4, undef: false, body: [{ t: 'resolve', d: 0 }] }] },
  ],
  'listeners run in the emitting context; bound emitters in their birth context': [
    { body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'listen', e: 0, body: [{ t: 'read' }] }, { t: 'boundListen', e: 1, body: [{ t: 'read' }] }] }, { t: 'run', o: 3, undef: false, body: [{ t: 'emit', e: 0 }, { t: 'boundEmit', e: 1 }] }] },
  ],
  'interval ticks each see the scheduling context; a create inside a nested run stays there': [
    { body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'interval', ms: 0, times: 3, body: [{ t: 'read' }, { t: 'run', o: 1, undef: false, body: [{ t: 'create', o: 0 }, { t: 'read' }] }, { t: 'read' }] }] }] },
  ],
  'nested runs of every face, sets in each, continuations in all': [
    { body: [{ t: 'run', o: 0, undef: true, body: [{ t: 'run', o: 4, undef: false, body: [{ t: 'set', o: 4 }, { t: 'run', o: 2, undef: false, body: [{ t: 'run', o: 3, undef: false, body: [{ t: 'set', o: 0 }, { t: 'tick', body: [{ t: 'read' }] }, { t: 'chain', bodies: [[{ t: 'read' }], [{ t: 'create', o: 1 }, { t: 'read' }]] }] }, { t: 'immediate', body: [{ t: 'read' }] }] }, { t: 'set', o: 4 }] }, { t: 'read' }] }] },
  ],
};

test('the owners of the regression programs are the five faces in order', () => {
  assert.deepEqual(owners.map((owner) => owner.name), ['shared', 'instance', 'als', 'variable', 'cls']);
});

for (const [name, programs] of Object.entries(PROGRAMS)) {
  test(`program: ${name}`, async () => {
    const result = await runPrograms(owners, programs);
    assert.deepEqual(result.divergences, []);
    assert.ok(result.reads > 0);
  });
}

test('plain: a create in the head of an awaited task is seen after the await (the semantics of the first program)', async () => {
  let after;
  await new Promise((resolve) => setImmediate(async () => {
    await Promise.all([(async () => {
      Context.create({ id: 'task head' });
      await null;
    })()]);
    after = Context.get();
    resolve();
  }));
  assert.deepEqual(after, { id: 'task head' });
});

// ---------------------------------------------------------------------------------------------
// Bugs found, as todo tests.

// The resource strategy restores a resource's frame after the callback that called create, so
// its next callback starts clean. Two gaps remain, both kept as todo tests:
// - async-context-frame forced onto a Node whose AsyncLocalStorage is hook-based (a test
//   configuration) inherits Node 20/22's enterWith leak;
// - under the resource strategy, a second *synchronous* entry into the same AsyncResource (two
//   emits of an EventEmitterAsyncResource in one callback) still sees the create: the restore
//   runs at the end of the callback, observed by a microtask, without an `after` hook.
const FORCED_ONTO_HOOKED_STORAGE = ENGINE.strategyName === 'async-context-frame' && typeof require('node:async_hooks').AsyncLocalStorage.prototype._propagate === 'function';
const CREATE_LEAK = FORCED_ONTO_HOOKED_STORAGE && 'Node 20/22 AsyncLocalStorage.enterWith writes onto a resource that runs again';
const SYNC_REENTRY_LEAK = (ENGINE.strategyName === 'resource' || FORCED_ONTO_HOOKED_STORAGE) &&
  'bug: a create inside one synchronous runInAsyncScope of an AsyncResource is still current in the next synchronous runInAsyncScope of the same resource (the restore waits for a microtask)';

test('a create in an interval tick does not reach the next tick', { todo: CREATE_LEAK }, async () => {
  const seen = [];
  await new Promise((resolve) => {
    let ticks = 0;
    const interval = setInterval(() => {
      seen.push(Context.exists() ? Context.get() : 'none');
      Context.create(`tick ${ticks}`);
      ticks += 1;
      if (ticks === 3) {
        clearInterval(interval);
        resolve();
      }
    }, 1);
  });
  assert.deepEqual(seen, ['none', 'none', 'none']);
});

test('a create in a bound emitter listener does not reach the next emit', { todo: SYNC_REENTRY_LEAK }, () => {
  const emitter = Context.run(() => new EventEmitterAsyncResource({ name: 'regression' }), 'birth');
  const seen = [];
  emitter.on('event', (n) => {
    seen.push(Context.get());
    Context.create(`created by emit ${n}`);
  });
  emitter.emit('event', 1);
  emitter.emit('event', 2);
  emitter.emitDestroy();
  assert.deepEqual(seen, ['birth', 'birth']);
});

test('a create in a socket data listener (one tenant per message) does not reach the next message on the socket', { todo: CREATE_LEAK }, async () => {
  const seen = [];
  const server = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      for (const tenant of chunk.toString().split('\n').filter(Boolean)) {
        seen.push(Context.exists() ? Context.get().tenant : 'none');
        Context.create({ tenant });
        if (tenant === 'B') socket.end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await new Promise((resolve, reject) => {
      const client = net.connect(server.address().port, '127.0.0.1', () => {
        client.write('A\n');
        setTimeout(() => client.write('B\n'), 20);
      });
      client.on('error', reject);
      client.on('close', resolve);
      client.resume();
    });
  } finally {
    server.close();
  }
  assert.deepEqual(seen, ['none', 'none'], 'the message of tenant B started in tenant A\'s context');
});

test('after a failed native drain, monitor() does not return a stale report as if it were current', async () => {
  const { runChild } = require('./fixtures/reliability/child');
  const script = `
    const Context = require(${JSON.stringify(require('node:path').resolve(__dirname, '..'))});
    const engine = globalThis[Symbol.for('native-execution-context.engine@1')];
    Context.configure({ monitor: true });
    const hold = [];
    Context.run(() => { for (let i = 0; i < 10; i++) hold.push(setTimeout(() => {}, 60000)); }, { id: 'before' });
    Context.monitor();
    engine.log.engineId = 0x7fffffff;
    for (let i = 0; i < 3000; i++) Context.run(() => Promise.resolve(i), { id: i });
    setTimeout(() => {
      hold.splice(0).forEach(clearTimeout);
      Context.run(() => { for (let i = 0; i < 50; i++) hold.push(setTimeout(() => {}, 60000)); }, { id: 'after' });
      let outcome;
      try { outcome = { size: Context.monitor().size, tracking: engine.bridge.tracking }; } catch (error) { outcome = { threw: error.message, tracking: engine.bridge.tracking }; }
      hold.forEach(clearTimeout);
      process.stdout.write(JSON.stringify(outcome) + '\\n');
    }, 10);
  `;
  const file = require('node:path').join(require('node:os').tmpdir(), `nec-stale-${process.pid}.js`);
  require('node:fs').writeFileSync(file, script);
  try {
    const { json } = await runChild(file);
    // Either monitor() says tracking stopped, or it tells the truth (50 live timers).
    assert.ok(json.threw !== undefined || json.size === 50, `monitor() after the failure: ${JSON.stringify(json)}`);
    assert.equal(json.tracking, false, 'the tracking hook must be off after the failure');
  } finally {
    require('node:fs').rmSync(file, { force: true });
  }
});
