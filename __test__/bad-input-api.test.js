'use strict';

// Bad input to the main face (the node-execution-context drop-in): wrong types, missing
// arguments, hostile objects (throwing getters, proxies, revoked proxies, thenables, frozen,
// cyclic and huge contexts). Each gets a clear error or the documented behaviour (where the
// replaced package had one, the same one: checked against node-execution-context 3.1.0), and
// the engine is never poisoned: a canary of concurrent runs passes after every case.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Context = require('..');

const { ExecutionContext, ExecutionContextError } = Context;

async function assertEngineHealthy(label) {
  assert.equal(Context.exists(), false, `${label}: a context leaked to the top level`);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => Context.run(async () => {
    await new Promise((resolve) => setTimeout(resolve, i % 2));
    await null;
    return Context.get().i === i;
  }, { i })));
  assert.ok(results.every(Boolean), `${label}: concurrent runs saw wrong contexts`);
}

function revokedFunction() {
  const { proxy, revoke } = Proxy.revocable(function target() {}, {});
  revoke();
  return proxy;
}

function hostileProxy() {
  const trap = () => {
    throw new Error('hostile trap');
  };
  return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap, set: trap, defineProperty: trap });
}

const NOT_FUNCTIONS = [undefined, null, 0, 1n, 'fn', Symbol('fn'), {}, [], new Date(0), /re/, hostileProxy(), Object.create(null)];

test('run with anything but a function is a TypeError that names what it got, and nothing is left current', () => {
  for (const value of NOT_FUNCTIONS) {
    assert.throws(() => Context.run(value, { id: 'x' }), (error) => error instanceof TypeError && /ExecutionContext\.run expects a function as its first argument, got /.test(error.message));
  }
  assert.throws(() => Context.run(), /got undefined/);
  assert.throws(() => Context.run(null), /got null/);
  assert.throws(() => Context.run([]), /got an array/);
  assert.equal(Context.exists(), false);
});

test('run with functions that cannot be called (class, revoked proxy, throwing apply trap) rethrows their error and restores the context', async () => {
  const outer = { id: 'outer' };
  Context.run(() => {
    assert.throws(() => Context.run(class Widget {}, { id: 'inner' }), /Class constructor Widget cannot be invoked without 'new'/);
    assert.equal(Context.get(), outer);
    assert.throws(() => Context.run(revokedFunction(), { id: 'inner' }), /revoked/);
    assert.equal(Context.get(), outer);
    const trapped = new Proxy(function target() {}, {
      apply() {
        throw new Error('apply trap');
      },
    });
    assert.throws(() => Context.run(trapped, { id: 'inner' }), /apply trap/);
    assert.equal(Context.get(), outer);
  }, outer);
  await assertEngineHealthy('uncallable functions');
});

test('run with a missing context makes an existing, undefined context (as before)', () => {
  assert.deepEqual(Context.run(() => [Context.exists(), Context.get()]), [true, undefined]);
});

test('run with any value as context, including hostile ones, never touches it: get returns it by reference', async () => {
  let thenCalls = 0;
  const contexts = [
    null, 0, '', 1n, Symbol('s'), NaN, hostileProxy(), revokedFunction(), Object.freeze({ frozen: true }), Object.create(null),
    { then() { thenCalls += 1; } },
    { get boom() { throw new Error('getter'); } },
    { toJSON() { throw new Error('toJSON'); } },
  ];
  for (const context of contexts) {
    // Kept in a variable: returning it from the async function would make the promise look for
    // its `then` (JavaScript's doing, not the engine's).
    let seen;
    await Context.run(async () => {
      await null;
      await new Promise((resolve) => setImmediate(resolve));
      seen = Context.get();
    }, context);
    assert.ok(Object.is(seen, context), `context ${String(typeof context)}`);
  }
  assert.equal(thenCalls, 0, 'a context with `then` is never resolved as a thenable');
  await assertEngineHealthy('hostile contexts');
});

test('get, set, update outside any context throw CONTEXT_DOES_NOT_EXIST whatever their arguments', () => {
  for (const args of [[], [undefined], [null], [{}], [hostileProxy()], [1, 2, 3]]) {
    for (const method of ['get', 'set', 'update']) {
      assert.throws(() => Context[method](...args), (error) => error instanceof ExecutionContextError && error.code === 'CONTEXT_DOES_NOT_EXIST', `${method}(${args.length} args)`);
    }
  }
});

test('set with no argument sets undefined; set with any value keeps it by reference', () => {
  Context.run(() => {
    Context.set();
    assert.equal(Context.exists(), true);
    assert.equal(Context.get(), undefined);
    const proxy = hostileProxy();
    Context.set(proxy);
    assert.equal(Context.get(), proxy);
  }, { id: 'set' });
});

test('update: non-objects are UPDATE_BLOCKED; hostile objects throw their own error and leave the engine healthy', async () => {
  for (const value of [undefined, null, 0, 'str', true, 1n, Symbol('s'), [], [1], () => {}]) {
    Context.run(() => {
      assert.throws(() => Context.update(value), (error) => error.code === 'UPDATE_BLOCKED');
      assert.deepEqual(Context.get(), { id: 'kept' });
    }, { id: 'kept' });
  }
  Context.run(() => {
    assert.throws(() => Context.update({ get a() { throw new Error('getter'); } }), /getter/);
    assert.throws(() => Context.update(new Proxy({}, { ownKeys() { throw new Error('ownKeys'); } })), /ownKeys/);
    assert.throws(() => Context.update(hostileProxy()), /hostile trap/);
  }, { id: 'hostile' });
  // Object.assign onto the context, as before: a frozen context refuses, a primitive ignores it,
  // undefined/null throw Object.assign's TypeError (node-execution-context 3.1.0 does the same).
  Context.run(() => assert.throws(() => Context.update({ a: 1 }), /not extensible/), Object.freeze({}));
  assert.equal(Context.run(() => {
    Context.update({ a: 1 });
    return Context.get();
  }, 5), 5);
  assert.throws(() => Context.run(() => Context.update({ a: 1 })), /Cannot convert undefined or null to object/);
  assert.throws(() => Context.run(() => Context.update({ a: 1 }), null), /Cannot convert undefined or null to object/);
  await assertEngineHealthy('update');
});

test('create with any value, at the top of a callback and inside a run, never leaks past its execution', async () => {
  for (const value of [undefined, null, hostileProxy(), { then() {} }]) {
    await new Promise((resolve) => setImmediate(() => {
      Context.create(value);
      assert.ok(Object.is(Context.get(), value));
      resolve();
    }));
    Context.run(() => {
      Context.create(value);
    }, { id: 'run' });
    assert.equal(Context.exists(), false);
  }
  await assertEngineHealthy('create');
});

test('configure: non-objects and a monitor neither boolean nor object are TypeErrors; unknown strategies, late strategies and throwing getters leave monitoring off', () => {
  const instance = new ExecutionContext();
  for (const value of [null, 0, 'monitor', true, [], [true], () => {}]) {
    assert.throws(() => instance.configure(value), (error) => error instanceof TypeError && /expects an options object/.test(error.message));
  }
  for (const monitor of [1, 'true', null, [], Symbol('m'), () => {}]) {
    assert.throws(() => instance.configure({ monitor }), (error) => error instanceof TypeError && /"monitor" must be a boolean/.test(error.message));
  }
  assert.throws(() => instance.configure({ strategy: 'bogus', monitor: true }), /unknown strategy "bogus"; use one of resource, async-context-frame/);
  const other = globalThis[Symbol.for('native-execution-context.engine@1')].strategyName === 'resource' ? 'async-context-frame' : 'resource';
  Context.run(() => {}, {}); // a frame exists now
  assert.throws(() => instance.configure({ strategy: other, monitor: true }), /can only be chosen before the first context is created/);
  assert.throws(() => instance.configure({ get monitor() { throw new Error('getter'); } }), /getter/);
  assert.throws(() => instance.configure(new Proxy({}, { get() { throw new Error('proxy get'); } })), /proxy get/);
  assert.throws(() => instance.monitor(), (error) => error.code === 'MONITOR_MISS_CONFIGURATION', 'no failed configure turned monitoring on');
  assert.doesNotThrow(() => instance.configure({}));
  assert.doesNotThrow(() => instance.configure({ monitor: undefined, unknown: 1 }));
});

test('methods called without their instance fail with a TypeError (as node-execution-context 3.1.0)', () => {
  const { run, get, set, update, exists, create, configure, monitor } = Context;
  for (const method of [run, get, set, update, exists, create, configure, monitor]) {
    assert.throws(() => method(() => {}, {}), TypeError);
    assert.throws(() => method.call({}, () => {}, {}), TypeError);
  }
  assert.throws(() => ExecutionContext(), /cannot be invoked without 'new'/);
  assert.equal(Context.exists(), false);
});

test('monitor with cyclic, BigInt, throwing-toJSON, proxy and thenable contexts reports contextSize -1 or the size, and never calls then', () => {
  const instance = new ExecutionContext();
  instance.configure({ monitor: true });
  const timers = [];
  const cyclic = { id: 'cyclic' };
  cyclic.self = cyclic;
  let thenCalls = 0;
  const contexts = [cyclic, { big: 1n }, { toJSON() { throw new Error('toJSON'); } }, hostileProxy(), { then() { thenCalls += 1; } }];
  try {
    for (const context of contexts) instance.run(() => timers.push(setTimeout(() => {}, 60000)), context);
    const sizes = instance.monitor().entries.map((entry) => entry.contextSize);
    assert.deepEqual(sizes, [-1, -1, -1, -1, 2]);
    assert.equal(thenCalls, 0);
  } finally {
    timers.forEach(clearTimeout);
    instance.configure({ monitor: false });
  }
});

test('a huge context (2 million entries) is carried by reference: runs stay fast and monitor reports its JSON size', async () => {
  const huge = { items: new Array(2e6).fill(7) };
  const started = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) Context.run(() => Context.get(), huge);
  const perRunMicros = Number(process.hrtime.bigint() - started) / 1000 / 1000;
  assert.ok(perRunMicros < 100, `a run with a huge context must not copy it (${perRunMicros.toFixed(1)} µs per run)`);
  const instance = new ExecutionContext();
  instance.configure({ monitor: true });
  let timer;
  try {
    instance.run(() => {
      timer = setTimeout(() => {}, 60000);
    }, huge);
    assert.deepEqual(instance.monitor().entries.map((entry) => entry.contextSize), [JSON.stringify(huge).length]);
  } finally {
    clearTimeout(timer);
    instance.configure({ monitor: false });
  }
  await assertEngineHealthy('huge context');
});

test('ExecutionContextError with an unknown code is still an Error with that code', () => {
  const error = new ExecutionContextError('SOMETHING_ELSE');
  assert.ok(error instanceof Error);
  assert.equal(error.code, 'SOMETHING_ELSE');
  assert.equal(error.name, 'ExecutionContextError');
});
