'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { setTimeout: sleep } = require('node:timers/promises');

const Context = require('..');
const { useNodeEnv } = require('./helpers/context');

// Misuse must throw here (outside production) so a wrong path cannot pass silently.
useNodeEnv('test');

function nextTimer(ms = 1) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('run returns the return value of a synchronous function', () => {
  const result = Context.run(() => 'the result', { id: 1 });
  assert.equal(result, 'the result');

  const object = { nested: true };
  assert.equal(Context.run(() => object, {}), object);
});

test('run passes the context to the function through get', () => {
  const context = { user: 'alice' };
  const seen = Context.run(() => Context.get(), context);
  assert.equal(seen, context);
});

test('run returns a promise for an async function that resolves to its return value', async () => {
  const context = { request: 42 };
  const returned = Context.run(async () => {
    await null;
    await nextTimer();
    return { value: 'async result', context: Context.get() };
  }, context);

  assert.ok(returned instanceof Promise, 'run should hand back the promise of the async function');
  const { value, context: seen } = await returned;
  assert.equal(value, 'async result');
  assert.equal(seen, context);
});

test('run returns a promise that rejects when the async function throws', async () => {
  const failure = new Error('async failure');
  await assert.rejects(
    Context.run(async () => {
      await nextTimer();
      throw failure;
    }, {}),
    (error) => error === failure,
  );
  assert.equal(Context.exists(), false);
});

test('exceptions thrown by the function propagate out of run unchanged', () => {
  const failure = new RangeError('sync failure');
  assert.throws(
    () => Context.run(() => {
      throw failure;
    }, { id: 'thrower' }),
    (error) => error === failure,
  );
});

test('after a throwing run at the top level no context remains', () => {
  assert.equal(Context.exists(), false);
  assert.throws(() => Context.run(() => {
    assert.equal(Context.exists(), true);
    throw new Error('x');
  }, { id: 1 }));
  assert.equal(Context.exists(), false);
});

test('after a throwing nested run the outer context is restored', () => {
  const outer = { level: 'outer' };
  const inner = { level: 'inner' };
  Context.run(() => {
    assert.throws(() => Context.run(() => {
      assert.equal(Context.get(), inner);
      throw new Error('inner failure');
    }, inner), /inner failure/);
    assert.equal(Context.get(), outer, 'the outer context must be current again after the inner run threw');
  }, outer);
  assert.equal(Context.exists(), false);
});

test('get returns the very object passed to run, not a copy', async () => {
  const context = { list: [1, 2, 3], nested: { deep: true } };
  await Context.run(async () => {
    const first = Context.get();
    assert.equal(first, context);
    first.mutated = true;
    await nextTimer();
    const second = Context.get();
    assert.equal(second, context);
    assert.equal(second.mutated, true);
  }, context);
  assert.equal(context.mutated, true);
});

test('the context follows awaits, timers, immediates, next ticks and promise callbacks', async () => {
  const context = { id: 'propagated' };
  const seen = await Context.run(async () => {
    const results = {};
    await nextTimer();
    results.afterAwait = Context.get();
    results.timeout = await new Promise((resolve) => setTimeout(() => resolve(Context.get()), 1));
    results.immediate = await new Promise((resolve) => setImmediate(() => resolve(Context.get())));
    results.tick = await new Promise((resolve) => process.nextTick(() => resolve(Context.get())));
    results.then = await Promise.resolve().then(() => Context.get());
    return results;
  }, context);

  for (const [where, value] of Object.entries(seen)) {
    assert.equal(value, context, `context lost after ${where}`);
  }
});

test('concurrent runs each keep their own context across awaits', async () => {
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => Context.run(async () => {
      await nextTimer((i * 7) % 5);
      await null;
      const { i: seen } = Context.get();
      await sleep(1);
      return seen === i && Context.get().i === i;
    }, { i })),
  );
  assert.deepEqual(results, Array(50).fill(true));
});

test('run with a non-function throws a TypeError', () => {
  for (const value of [undefined, null, 42, 'str', {}]) {
    assert.throws(() => Context.run(value, { id: 1 }), TypeError, `run(${String(value)}) should throw a TypeError`);
  }
  assert.equal(Context.exists(), false, 'a rejected run must not leave a context behind');
});

test('exists is false outside any run', () => {
  assert.equal(Context.exists(), false);
});

test('exists is true inside a run, including its async continuations', async () => {
  assert.equal(Context.run(() => Context.exists(), { id: 1 }), true);
  const later = await Context.run(async () => {
    await nextTimer();
    return Context.exists();
  }, { id: 2 });
  assert.equal(later, true);
  assert.equal(Context.exists(), false);
});

test('inside run(fn, undefined) exists is true and get returns undefined', () => {
  const observed = Context.run(() => ({ exists: Context.exists(), value: Context.get() }), undefined);
  assert.deepEqual(observed, { exists: true, value: undefined });

  const withoutArgument = Context.run(() => ({ exists: Context.exists(), value: Context.get() }));
  assert.deepEqual(withoutArgument, { exists: true, value: undefined });
});

test('set replaces the context for the whole run, including continuations started before it', async () => {
  const original = { version: 1 };
  const replacement = { version: 2 };
  const seen = await Context.run(async () => {
    const early = new Promise((resolve) => setTimeout(() => resolve(Context.get()), 5));
    Context.set(replacement);
    assert.equal(Context.get(), replacement);
    await nextTimer();
    const afterAwait = Context.get();
    return { early: await early, afterAwait };
  }, original);

  assert.equal(seen.early, replacement, 'a timer created before set must see the new context');
  assert.equal(seen.afterAwait, replacement);
  assert.deepEqual(original, { version: 1 }, 'set must not mutate the original object');
});

test('set inside a nested run does not change the outer run', () => {
  const outer = { level: 'outer' };
  Context.run(() => {
    Context.run(() => {
      Context.set({ level: 'replaced' });
      assert.equal(Context.get().level, 'replaced');
    }, { level: 'inner' });
    assert.equal(Context.get(), outer);
  }, outer);
});

test('set accepts any value, including primitives', () => {
  Context.run(() => {
    Context.set(7);
    assert.equal(Context.get(), 7);
    Context.set(undefined);
    assert.equal(Context.get(), undefined);
    assert.equal(Context.exists(), true);
  }, { id: 1 });
});

test('update merges into the same context object with Object.assign', async () => {
  const context = { keep: 'yes', change: 'old' };
  await Context.run(async () => {
    Context.update({ change: 'new', added: 1 });
    const current = Context.get();
    assert.equal(current, context, 'update must keep the identity of the context');
    assert.deepEqual(current, { keep: 'yes', change: 'new', added: 1 });
    await nextTimer();
    Context.update({ later: true });
  }, context);
  assert.deepEqual(context, { keep: 'yes', change: 'new', added: 1, later: true });
});

test('create starts a context for the current branch and leaves the sibling branch alone', async () => {
  const root = { branch: 'root' };
  const created = { branch: 'created' };
  const observations = await Context.run(() => new Promise((resolve) => {
    const seen = {};
    let pending = 2;
    const done = () => {
      pending -= 1;
      if (pending === 0) resolve(seen);
    };

    setTimeout(() => {
      Context.create(created);
      seen.branchAfterCreate = Context.get();
      setTimeout(() => {
        seen.branchContinuation = Context.get();
        done();
      }, 1);
    }, 1);

    setTimeout(() => {
      setTimeout(() => {
        seen.sibling = Context.get();
        done();
      }, 5);
    }, 1);

    seen.runBody = Context.get();
  }), root);

  assert.equal(observations.runBody, root);
  assert.equal(observations.branchAfterCreate, created);
  assert.equal(observations.branchContinuation, created, 'work started after create must see the created context');
  assert.equal(observations.sibling, root, 'the sibling branch must keep the run context');
});

test('create does not replace the context of the run it was called from once control returns to it', async () => {
  const root = { branch: 'root' };
  const seen = await Context.run(async () => {
    await new Promise((resolve) => setTimeout(() => {
      Context.create({ branch: 'child' });
      resolve();
    }, 1));
    return Context.get();
  }, root);
  assert.equal(seen, root);
});

test('create outside any run makes a context for the current execution and what it starts', async () => {
  assert.equal(Context.exists(), false);
  const context = { origin: 'create' };
  const seen = await new Promise((resolve) => {
    setImmediate(() => {
      const before = Context.exists();
      Context.create(context);
      const now = Context.get();
      setTimeout(() => resolve({ before, now, later: Context.get() }), 1);
    });
  });
  assert.equal(seen.before, false);
  assert.equal(seen.now, context);
  assert.equal(seen.later, context);
  assert.equal(Context.exists(), false, 'create inside a callback must not leak into the caller');
});
