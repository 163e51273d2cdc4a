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

// The resource strategy restores a resource's frame after the callback that called create (a
// microtask), and, once create/enterWith has been used, when the same resource is entered again
// synchronously (a `before` hook). Only async-context-frame forced onto a Node whose
// AsyncLocalStorage is hook-based (a test configuration) inherits Node 20/22's enterWith leak.
const FORCED_ONTO_HOOKED_STORAGE = ENGINE.strategyName === 'async-context-frame' && typeof require('node:async_hooks').AsyncLocalStorage.prototype._propagate === 'function';
const CREATE_LEAK = FORCED_ONTO_HOOKED_STORAGE && 'Node 20/22 AsyncLocalStorage.enterWith writes onto a resource that runs again';
const SYNC_REENTRY_LEAK = CREATE_LEAK;

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
    engine.ensureTracker().log.trackerId = 0x7fffffff;
    for (let i = 0; i < 3000; i++) Context.run(() => Promise.resolve(i), { id: i });
    setTimeout(() => {
      hold.splice(0).forEach(clearTimeout);
      Context.run(() => { for (let i = 0; i < 50; i++) hold.push(setTimeout(() => {}, 60000)); }, { id: 'after' });
      let outcome;
      try { outcome = { size: Context.monitor().size, tracking: engine.asyncHook.tracking }; } catch (error) { outcome = { threw: error.message, tracking: engine.asyncHook.tracking }; }
      hold.forEach(clearTimeout);
      process.stdout.write(JSON.stringify(outcome) + '\\n');
    }, 10);
  `;
  const file = require('node:path').join(require('node:os').tmpdir(), `nec-stale-${process.pid}.js`);
  require('node:fs').writeFileSync(file, script);
  try {
    const { json } = await runChild(file);
    // Either monitor() says tracking stopped, or it tells the truth (the 'after' context and its
    // 50 live timers: size 51).
    assert.ok(json.threw !== undefined || json.size === 51, `monitor() after the failure: ${JSON.stringify(json)}`);
    assert.equal(json.tracking, false, 'the tracking hook must be off after the failure');
  } finally {
    require('node:fs').rmSync(file, { force: true });
  }
});

// Shrunk by the property (size large, creates allowed in bound listeners) from a random batch:
// the minimal program for the synchronous re-entry leak above.
test('program: a create in a bound listener is not seen by the second of two synchronous emits', { todo: SYNC_REENTRY_LEAK }, async () => {
  const programs = [
    { body: [{ t: 'run', o: 0, undef: false, body: [{ t: 'boundListen', e: 1, body: [{ t: 'read' }, { t: 'create', o: 0 }] }] }, { t: 'chain', bodies: [[{ t: 'async', head: [{ t: 'boundEmit', e: 1, times: 2 }], steps: [{ kind: 'null', body: [] }] }]] }] },
    { body: [] },
  ];
  const result = await runPrograms(owners, programs, { skipCreate: { interval: false, bound: false } });
  assert.deepEqual(result.divergences, []);
});

// Two HTTP/1.1 requests pipelined in one TCP packet are parsed in one synchronous callback; with
// node-execution-context's documented middleware pattern (create per request), request B must
// not start in request A's context. V8's AsyncContextFrame (Node 24) keeps them apart.
const NATIVE_FRAMES = ENGINE.strategyName === 'async-context-frame' && typeof require('node:async_hooks').AsyncLocalStorage.prototype._propagate !== 'function';
test('pipelined HTTP requests: a create in request A\'s middleware is not current when request B starts', { todo: CREATE_LEAK }, async () => {
  const express = require('express');
  const seen = [];
  const app = express();
  app.use((req, res, next) => {
    seen.push(Context.exists() ? Context.get().tenant : 'none');
    Context.create({ tenant: req.get('x-tenant') });
    next();
  });
  app.get('/', (req, res) => res.end(Context.get().tenant));
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const bodies = await new Promise((resolve, reject) => {
      const socket = net.connect(server.address().port, '127.0.0.1', () => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nx-tenant: A\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nx-tenant: B\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
        if ((data.match(/HTTP\/1\.1 200/g) || []).length === 2) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
    });
    assert.match(bodies, /\r\n\r\nA[\s\S]*\r\n\r\nB/, 'each response is served in its own tenant');
  } finally {
    server.close();
  }
  assert.deepEqual(seen, ['none', 'none'], 'request B started in tenant A\'s context');
});

// Found by bad-input-fuzz.test.js (fixed since): runInFrame(frame) when `frame` is already
// current went through Node's AsyncLocalStorage.run, which returns early without save/restore
// when the store is unchanged (`if (ObjectIs(prior, data)) return fn()`), so a create inside a
// bound function called in its own context stayed current for the caller.
// Fixed: a same-frame run gets its own AsyncContextFrame scope (Node skips one for an unchanged store).
const SAME_FRAME_LEAK = false;

test('a create inside a function bound in the current context and called there does not leak to the caller', { todo: SAME_FRAME_LEAK }, async () => {
  const { AsyncLocalStorage } = require('../lib/als');
  const { Snapshot } = require('../lib/async-context');
  const seen = await new Promise((resolve) => setImmediate(() => {
    const results = [];
    AsyncLocalStorage.bind(() => Context.create({ tenant: 'inside bound' }))();
    results.push(Context.exists() ? Context.get().tenant : 'none');
    Context.run(() => {
      new Snapshot().run(() => Context.create({ tenant: 'inside snapshot' }));
      results.push(Context.get().tenant);
      Snapshot.wrap(() => Context.create({ tenant: 'inside wrapped' }))();
      results.push(Context.get().tenant);
    }, { tenant: 'A' });
    const run = AsyncLocalStorage.snapshot();
    run(() => Context.create({ tenant: 'inside snapshot()' }));
    setTimeout(() => resolve([...results, Context.exists() ? Context.get().tenant : 'none']), 0);
  }));
  assert.deepEqual(seen, ['none', 'A', 'A', 'none']);
});

test('program: a create in a function bound and called in the same frame stays inside it', { todo: SAME_FRAME_LEAK }, async () => {
  const programs = [{ body: [{ t: 'bind', how: 'alsSnapshot', now: true, body: [{ t: 'create', o: 0 }] }, { t: 'read' }] }];
  const result = await runPrograms(owners, programs, { skipCreate: { interval: false, bound: true, sameFrame: false } });
  assert.deepEqual(result.divergences, []);
});

// Found by scripts/stress.js (shrunk; fixed since): the resource strategy's restore of entered
// frames kept one record per resource per callback; a second create in the same callback (one
// inside a nested run, one at the top, in either order) left the record inconsistent, and the
// resource's next callback started in a stale frame. Still open where async-context-frame is
// forced onto a hook-based AsyncLocalStorage (every interval create leaks there, see above).
// Fixed for the resource strategy: the restore keeps the frame the resource had before the
// outermost run of the callback. Forced onto hook-based AsyncLocalStorage it is Node's enterWith.
const RESTORE_MIXUP = CREATE_LEAK;

for (const [order, body] of [
  ['nested run first', [{ t: 'run', o: 0, undef: false, body: [{ t: 'create', o: 0 }] }, { t: 'create', o: 0 }]],
  ['top-level create first', [{ t: 'create', o: 0 }, { t: 'run', o: 0, undef: false, body: [{ t: 'create', o: 0 }] }]],
]) {
  test(`program: two creates in one interval tick (${order}) do not reach the next tick`, { todo: RESTORE_MIXUP }, async () => {
    const programs = [{ body: [{ t: 'interval', ms: 0, times: 2, body: [{ t: 'read' }, ...body, { t: 'read' }] }] }, { body: [] }];
    const result = await runPrograms(owners, programs, { skipCreate: { interval: false, bound: true, sameFrame: false } });
    assert.deepEqual(result.divergences, []);
  });
}

test('plain: an interval tick that creates inside a nested run and at the top hands the next tick nothing', { todo: RESTORE_MIXUP }, async () => {
  const seen = await new Promise((resolve) => {
    const results = [];
    let tick = 0;
    const interval = setInterval(() => {
      results.push(Context.exists() ? Context.get() : 'none');
      Context.run(() => Context.create('created inside a nested run'), `nested run of tick ${tick}`);
      Context.create(`created at the top of tick ${tick}`);
      tick += 1;
      if (tick === 3) {
        clearInterval(interval);
        resolve(results);
      }
    }, 1);
  });
  assert.deepEqual(seen, ['none', 'none', 'none']);
});
