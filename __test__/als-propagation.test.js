'use strict';

// native-execution-context/als across async hops: the frame model (a `then` callback runs in the
// frame where `then` was called, not where the promise was resolved), thenables, enterWith that
// never leaks into sibling callbacks, snapshot/bind called later from another frame, disable with
// pending work, concurrency, interop with Node's own AsyncResource, and one frame per resource
// whatever the number of stores.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { AsyncResource, executionAsyncResource } = require('node:async_hooks');
const { EventEmitter, once } = require('node:events');

const { AsyncLocalStorage } = require('native-execution-context/als');
const Context = require('..');
const { engine, hasAsyncContextFrame } = require('../lib/engine');

const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

test('a store follows awaits, timers, immediates, ticks and microtasks', async () => {
  const als = new AsyncLocalStorage();
  const store = { id: 'hops' };
  const seen = await als.run(store, async () => {
    const observed = [];
    await null;
    observed.push(als.getStore());
    await delay(1);
    observed.push(als.getStore());
    observed.push(await new Promise((resolve) => setImmediate(() => resolve(als.getStore()))));
    observed.push(await new Promise((resolve) => process.nextTick(() => resolve(als.getStore()))));
    observed.push(await new Promise((resolve) => queueMicrotask(() => resolve(als.getStore()))));
    observed.push(await new Promise((resolve) => setTimeout(() => resolve(als.getStore()), 2)));
    return observed;
  });
  assert.equal(seen.length, 6);
  for (const value of seen) assert.equal(value, store);
  assert.equal(als.getStore(), undefined);
});

test('then callbacks run in the frame where then was called, not where the promise was made or resolved', async () => {
  const als = new AsyncLocalStorage();
  let resolveLater;
  const promise = als.run('created', () => new Promise((resolve) => {
    resolveLater = resolve;
  }));
  const reactions = [
    als.run('then-1', () => promise.then(() => als.getStore())),
    als.run('then-2', () => promise.catch(() => 'never').then(() => als.getStore())),
    als.run('finally', () => promise.finally(() => als.getStore()).then(() => als.getStore())),
  ];
  als.run('resolved', () => resolveLater('value'));
  assert.deepEqual(await Promise.all(reactions), ['then-1', 'then-2', 'finally']);
  assert.equal(await als.run('after-settled', () => promise.then(() => als.getStore())), 'after-settled');
});

test('the continuation after an await stays in the async function\'s frame, whoever resolves the promise', async () => {
  const als = new AsyncLocalStorage();
  let resolveIt;
  const gate = new Promise((resolve) => {
    resolveIt = resolve;
  });
  const waiting = als.run('waiter', async () => {
    await gate;
    return als.getStore();
  });
  als.run('resolver', () => resolveIt());
  assert.equal(await waiting, 'waiter');
});

test('thenables: then is called in the awaiting frame, and its callback resumes the awaiting function', async () => {
  const als = new AsyncLocalStorage();
  const calls = [];
  const thenable = als.run('made', () => ({
    then(resolve) {
      calls.push(als.getStore());
      setTimeout(() => resolve(als.getStore()), 1);
    },
  }));
  const result = await als.run('awaiting', async () => {
    const value = await thenable;
    return [value, als.getStore()];
  });
  assert.deepEqual(result, ['awaiting', 'awaiting']);
  assert.deepEqual(calls, ['awaiting']);

  const fromResolve = await als.run('resolving', () => Promise.resolve(thenable));
  assert.equal(fromResolve, 'resolving', 'Promise.resolve(thenable) calls then in the caller\'s frame');

  const chained = await als.run('chain', () => Promise.resolve().then(() => thenable).then((value) => [value, als.getStore()]));
  assert.deepEqual(chained, ['chain', 'chain'], 'a thenable returned from a then callback');
});

test('enterWith inside a callback does not leak into sibling callbacks of any kind', async () => {
  const als = new AsyncLocalStorage();
  const seen = await als.run('parent', async () => {
    const observed = {};
    await Promise.all([
      new Promise((resolve) => setTimeout(() => {
        als.enterWith('timer-1');
        observed.timer1 = als.getStore();
        setTimeout(() => {
          observed.timer1Child = als.getStore();
          resolve();
        }, 1);
      }, 1)),
      new Promise((resolve) => setTimeout(() => {
        observed.timer2 = als.getStore();
        resolve();
      }, 3)),
    ]);
    const settled = Promise.resolve();
    await Promise.all([
      settled.then(() => als.enterWith('then-1')),
      settled.then(() => {
        observed.then2 = als.getStore();
      }),
    ]);
    await new Promise((resolve) => {
      setImmediate(() => als.enterWith('immediate-1'));
      setImmediate(() => {
        observed.immediate2 = als.getStore();
        resolve();
      });
    });
    await new Promise((resolve) => {
      process.nextTick(() => als.enterWith('tick-1'));
      process.nextTick(() => {
        observed.tick2 = als.getStore();
        resolve();
      });
    });
    await new Promise((resolve) => {
      queueMicrotask(() => als.enterWith('microtask-1'));
      queueMicrotask(() => {
        observed.microtask2 = als.getStore();
        resolve();
      });
    });
    observed.after = als.getStore();
    return observed;
  });
  assert.deepEqual(seen, {
    timer1: 'timer-1',
    timer1Child: 'timer-1',
    timer2: 'parent',
    then2: 'parent',
    immediate2: 'parent',
    tick2: 'parent',
    microtask2: 'parent',
    after: 'parent',
  });
  assert.equal(als.getStore(), undefined);
});

// Each callback of a resource that fires again starts from the resource's own frame: V8's
// AsyncContextFrame does this natively, the resource strategy restores the frame after the
// callback. Only async-context-frame forced onto a Node whose AsyncLocalStorage is hook-based
// (a test configuration) keeps Node 20/22's leak.
const forcedOntoHookedStorage = engine().strategyName === 'async-context-frame' && !hasAsyncContextFrame();

test('enterWith in one tick of an interval does not reach the next tick', {
  todo: forcedOntoHookedStorage && 'Node 20/22 AsyncLocalStorage.enterWith writes onto the interval itself',
}, async () => {
  const als = new AsyncLocalStorage();
  const seen = await als.run('outer', () => new Promise((resolve) => {
    const observed = [];
    const interval = setInterval(() => {
      observed.push(als.getStore());
      als.enterWith(`tick-${observed.length}`);
      if (observed.length === 3) {
        clearInterval(interval);
        resolve(observed);
      }
    }, 1);
  }));
  assert.deepEqual(seen, ['outer', 'outer', 'outer']);
});

test('enterWith inside a callback reaches the callbacks it schedules afterwards', async () => {
  const als = new AsyncLocalStorage();
  const seen = await new Promise((resolve) => {
    setTimeout(() => {
      als.enterWith('entered');
      Promise.resolve().then(() => resolve(als.getStore()));
    }, 1);
  });
  assert.equal(seen, 'entered');
  assert.equal(als.getStore(), undefined);
});

test('nested frames of two instances survive hops, and inner runs do not disturb the outer continuation', async () => {
  const a = new AsyncLocalStorage();
  const b = new AsyncLocalStorage();
  const seen = await a.run('a-outer', () => b.run('b-outer', async () => {
    const observed = [];
    let release;
    const gate = new Promise((resolve) => {
      release = resolve;
    });
    const inner = a.run('a-inner', async () => {
      await gate;
      observed.push(['inner', a.getStore(), b.getStore()]);
      await b.run('b-inner', async () => {
        await null;
        observed.push(['innermost', a.getStore(), b.getStore()]);
      });
      observed.push(['inner-after', a.getStore(), b.getStore()]);
    });
    await delay(1);
    observed.push(['outer', a.getStore(), b.getStore()]);
    release();
    await inner;
    observed.push(['outer-after', a.getStore(), b.getStore()]);
    return observed;
  }));
  assert.deepEqual(seen, [
    ['outer', 'a-outer', 'b-outer'],
    ['inner', 'a-inner', 'b-outer'],
    ['innermost', 'a-inner', 'b-inner'],
    ['inner-after', 'a-inner', 'b-outer'],
    ['outer-after', 'a-outer', 'b-outer'],
  ]);
});

test('snapshot and bind made in one request and called from another run in the first request\'s frame', async () => {
  const als = new AsyncLocalStorage();
  const { snapshot, bound } = await als.run({ id: 'maker' }, async () => {
    await null;
    return { snapshot: AsyncLocalStorage.snapshot(), bound: AsyncLocalStorage.bind(() => als.getStore()) };
  });
  const seen = await als.run({ id: 'caller' }, async () => {
    await delay(1);
    const fromSnapshot = snapshot(async () => {
      await delay(1);
      return als.getStore().id;
    });
    return [await fromSnapshot, bound().id, als.getStore().id];
  });
  assert.deepEqual(seen, ['maker', 'maker', 'caller']);
});

test('a bound listener keeps the frame of the bind call when the emitter fires from elsewhere', async () => {
  const als = new AsyncLocalStorage();
  const emitter = new EventEmitter();
  const seen = [];
  als.run('subscriber', () => {
    emitter.on('event', AsyncLocalStorage.bind(() => seen.push(['bound', als.getStore()])));
    emitter.on('event', () => seen.push(['plain', als.getStore()]));
  });
  als.run('emitter', () => setTimeout(() => emitter.emit('event'), 1));
  await once(emitter, 'event');
  assert.deepEqual(seen, [['bound', 'subscriber'], ['plain', 'emitter']]);
});

test('disable() exits the store in continuations that were already pending, in every frame', async () => {
  const als = new AsyncLocalStorage({ defaultValue: 'default' });
  const pendingHere = als.run('live', () => delay(2).then(() => als.getStore()));
  const pendingNested = als.run('other', () => als.run('nested', () => delay(3).then(() => als.getStore())));
  als.disable();
  const fresh = als.run('fresh', () => delay(1).then(() => als.getStore()));
  assert.deepEqual(await Promise.all([pendingHere, pendingNested, fresh]), ['default', 'default', 'fresh']);
});

test('1,000 concurrent runs over two instances never see each other\'s stores', async () => {
  const request = new AsyncLocalStorage();
  const tenant = new AsyncLocalStorage();
  let mismatches = 0;
  await Promise.all(Array.from({ length: 1000 }, (_, i) => request.run({ i }, () => tenant.run(`t${i % 7}`, async () => {
    for (let hop = 0; hop < 4; hop++) {
      if (hop % 2) await delay(i % 3);
      else await null;
      if (request.getStore().i !== i || tenant.getStore() !== `t${i % 7}`) mismatches += 1;
    }
  }))));
  assert.equal(mismatches, 0);
});

test('Node\'s AsyncResource and AsyncResource.bind carry our stores', async () => {
  const als = new AsyncLocalStorage();
  const resource = als.run('resource-made', () => new AsyncResource('TEST'));
  assert.equal(als.run('elsewhere', () => resource.runInAsyncScope(() => als.getStore())), 'resource-made');
  const nodeBound = als.run('node-bound', () => AsyncResource.bind(() => als.getStore()));
  assert.equal(await als.run('caller', () => delay(1).then(nodeBound)), 'node-bound');
});

test('every face shares one frame: an ExecutionContext run and a store run nest both ways', async () => {
  const als = new AsyncLocalStorage();
  const seen = await Context.run(() => als.run('store', async () => {
    await delay(1);
    return [Context.get().id, als.getStore()];
  }), { id: 'context' });
  assert.deepEqual(seen, ['context', 'store']);
  const snapshot = Context.run(() => als.run('both', () => AsyncLocalStorage.snapshot()), { id: 'snap' });
  assert.deepEqual(snapshot(() => [Context.get().id, als.getStore()]), ['snap', 'both'], 'a snapshot captures every face');
});

test('a resource carries one frame whatever the number of stores', { skip: engine().strategyName !== 'resource' && 'the resource strategy writes frames on resources' }, () => {
  const stores = Array.from({ length: 100 }, () => new AsyncLocalStorage());
  const ownSymbols = (object) => Object.getOwnPropertySymbols(object).length;
  const withOne = stores[0].run(0, () => new AsyncResource('ONE'));
  const runAll = (i) => (i === stores.length ? new AsyncResource('HUNDRED') : stores[i].run(i, runAll, i + 1));
  const withHundred = runAll(0);
  assert.equal(ownSymbols(withHundred), ownSymbols(withOne), 'no per-store property on resources');
  assert.equal(withHundred.runInAsyncScope(() => stores[99].getStore()), 99);
  assert.equal(withHundred.runInAsyncScope(() => stores[0].getStore()), 0);
  assert.ok(executionAsyncResource() !== withHundred);
});

test('stores, variables and scoped contexts add no async hook: the engine\'s one hook serves them all', () => {
  const { spawnSync } = require('node:child_process');
  const path = require('node:path');
  const root = path.resolve(__dirname, '..');
  const script = `
    const hooks = require('node:async_hooks');
    // Counts hooks enabled (Node 22 creates, and leaves disabled, its own AsyncLocalStorage hook
    // when the class is first read).
    const created = [];
    const createHook = hooks.createHook;
    hooks.createHook = function (callbacks) {
      const hook = createHook.call(this, callbacks);
      const enable = hook.enable;
      hook.enable = function () {
        created.push(Object.keys(callbacks).sort().join('+'));
        return enable.call(this);
      };
      return hook;
    };
    const { AsyncLocalStorage } = require(${JSON.stringify(path.join(root, 'lib', 'als'))});
    const { AsyncContext } = require(${JSON.stringify(path.join(root, 'lib', 'async-context'))});
    const scoped = require(${JSON.stringify(path.join(root, 'lib', 'scoped'))});
    const afterLoad = created.length;
    const stores = Array.from({ length: 100 }, () => new AsyncLocalStorage());
    const variables = Array.from({ length: 100 }, () => new AsyncContext.Variable());
    const contexts = Array.from({ length: 100 }, () => new scoped.AsyncContext());
    const nest = (i, fn) => (i === 100 ? fn() : stores[i].run(i, () => variables[i].run(-i, () => contexts[i].runScoped(() => {
      contexts[i].store.add('i', i);
      return nest(i + 1, fn);
    }))));
    nest(0, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await null;
      const ok = stores.every((s, i) => s.getStore() === i) && variables.every((v, i) => v.get() === -i)
        && contexts.every((c, i) => c.store.get('i') === i);
      process.stdout.write(JSON.stringify({ afterLoad, afterUse: created.length, ok,
        engines: Object.getOwnPropertySymbols(globalThis).filter((s) => String(s).includes('native-execution-context.engine')).length }));
    });
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: process.env });
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.ok, true, 'every value seen through a timer and an await');
  // The engine's one hook (none at all on Node 24's AsyncContextFrame; with the forced
  // async-context-frame strategy on Node 20/22 it is the internal AsyncLocalStorage's, enabled at first use).
  assert.ok(report.afterLoad <= 1, `at most the engine's hook enabled at load, got ${report.afterLoad}`);
  assert.ok(report.afterUse <= 1, `one hook for 300 owners, got ${report.afterUse}: no hook per store, variable or context`);
  assert.equal(report.engines, 1);
});

test('diagnostics_channel bindStore/runStores drives our stores like Node\'s', async () => {
  const diagnosticsChannel = require('node:diagnostics_channel');
  const als = new AsyncLocalStorage();
  const channel = diagnosticsChannel.channel('native-execution-context:test:als-bind-store');
  channel.bindStore(als, (message) => ({ span: message.id }));
  const seen = await channel.runStores({ id: 42 }, async () => {
    await delay(1);
    return als.getStore();
  });
  assert.deepEqual(seen, { span: 42 });
  assert.equal(als.getStore(), undefined);
  channel.unbindStore(als);
});
