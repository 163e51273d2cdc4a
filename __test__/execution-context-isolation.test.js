'use strict';

// Isolation: concurrent runs never see each other, nested runs and `create` branches stay in
// their own scope, `set` reaches exactly the continuations of its own run, and a throw never
// leaves a context behind.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const Context = require('..');
const { current, currentId, delay } = require('./helpers/context');

// Small seeded PRNG so that a failing interleaving can be replayed.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One asynchronous hop of a randomly chosen kind.
function hop(random) {
  switch (Math.floor(random() * 6)) {
    case 0:
      return delay(Math.floor(random() * 4));
    case 1:
      return new Promise((resolve) => setImmediate(resolve));
    case 2:
      return new Promise((resolve) => process.nextTick(resolve));
    case 3:
      return new Promise((resolve) => queueMicrotask(resolve));
    case 4:
      return Promise.resolve();
    default:
      return (async () => {
        await null;
        await null;
      })();
  }
}

test('1,000 interleaved concurrent runs never see each other\'s context', async () => {
  const seed = 0xc0ffee;
  const random = mulberry32(seed);
  const RUNS = 1000;
  const mismatches = [];
  let checks = 0;

  const check = (expected, where) => {
    checks += 1;
    const seen = current();
    if (seen !== expected) {
      mismatches.push({ where, expected: expected.id, seen: seen === undefined ? 'none' : seen.id });
    }
  };

  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const context = { id: i };
    const hops = 3 + Math.floor(random() * 5);
    const plan = Array.from({ length: hops }, () => random());
    runs.push(
      Context.run(async () => {
        const planned = mulberry32(seed + i + 1);
        check(context, `run ${i} start`);
        // A callback-style branch scheduled alongside the awaited path.
        const branch = new Promise((resolve) => {
          setTimeout(() => {
            check(context, `run ${i} timer branch`);
            setImmediate(() => {
              check(context, `run ${i} immediate branch`);
              resolve();
            });
          }, Math.floor(plan[0] * 4));
        });
        for (let step = 0; step < plan.length; step++) {
          await hop(planned);
          check(context, `run ${i} hop ${step}`);
        }
        await branch;
        check(context, `run ${i} end`);
        return context.id;
      }, context),
    );
  }
  assert.equal(Context.exists(), false, 'starting runs leaves no context behind');

  const ids = await Promise.all(runs);
  assert.deepEqual(ids, Array.from({ length: RUNS }, (_, i) => i));
  assert.deepEqual(mismatches.slice(0, 10), [], `seed ${seed}: contexts leaked between runs`);
  assert.ok(checks > RUNS * 6, `expected many checks, got ${checks}`);
  assert.equal(Context.exists(), false);
});

test('1,000 concurrent runs that set and update their own context mid-way stay isolated', async () => {
  const random = mulberry32(42);
  const mismatches = [];
  const runs = Array.from({ length: 1000 }, (_, i) =>
    Context.run(async () => {
      await delay(Math.floor(random() * 3));
      if (currentId() !== i) mismatches.push([i, 'before set', currentId()]);
      const replacement = { id: i, generation: 2 };
      Context.set(replacement);
      await new Promise((resolve) => setImmediate(resolve));
      if (Context.get() !== replacement) mismatches.push([i, 'after set', currentId()]);
      Context.update({ updatedBy: i });
      await delay(Math.floor(random() * 3));
      const last = Context.get();
      if (last !== replacement || last.updatedBy !== i || last.generation !== 2) {
        mismatches.push([i, 'after update', last]);
      }
    }, { id: i, generation: 1 }),
  );
  await Promise.all(runs);
  assert.deepEqual(mismatches.slice(0, 10), []);
});

test('a nested run is isolated from the outer run and the outer context is back when it returns', () => {
  const outer = { id: 'outer' };
  const inner = { id: 'inner' };
  const replacement = { id: 'inner-replaced' };
  const seen = Context.run(() => {
    const before = Context.get();
    const insideInner = Context.run(() => {
      const first = Context.get();
      Context.set(replacement);
      return [first, Context.get()];
    }, inner);
    return { before, insideInner, after: Context.get() };
  }, outer);
  assert.equal(seen.before, outer);
  assert.equal(seen.insideInner[0], inner);
  assert.equal(seen.insideInner[1], replacement);
  assert.equal(seen.after, outer, 'the inner set did not change the outer context');
  assert.deepEqual(outer, { id: 'outer' });
  assert.equal(Context.exists(), false);
});

test('an inner update changes only the inner context object', () => {
  const outer = { id: 'outer' };
  const inner = { id: 'inner' };
  Context.run(() => {
    Context.run(() => Context.update({ touched: true }), inner);
  }, outer);
  assert.deepEqual(inner, { id: 'inner', touched: true });
  assert.deepEqual(outer, { id: 'outer' });
});

test('continuations of a nested run and of the outer run keep their own contexts, whatever set does in either', async () => {
  const outer = { id: 'outer' };
  const seen = await Context.run(async () => {
    const innerDone = Context.run(async () => {
      await delay(2);
      const first = currentId();
      Context.set({ id: 'inner-set' });
      await delay(2);
      return [first, currentId()];
    }, { id: 'inner' });
    // The outer run goes on concurrently with the inner one.
    await delay(1);
    const outerBeforeSet = currentId();
    await delay(2);
    const outerAfterInnerSet = currentId();
    Context.set({ id: 'outer-set' });
    const innerSeen = await innerDone;
    return { innerSeen, outerBeforeSet, outerAfterInnerSet, outerEnd: currentId() };
  }, outer);
  assert.deepEqual(seen, {
    innerSeen: ['inner', 'inner-set'],
    outerBeforeSet: 'outer',
    outerAfterInnerSet: 'outer',
    outerEnd: 'outer-set',
  });
});

test('a nested run started from an async continuation restores the outer context when it returns', async () => {
  const seen = await Context.run(async () => {
    await delay(1);
    const nested = Context.run(() => currentId(), { id: 'nested' });
    const after = currentId();
    await null;
    return [nested, after, currentId()];
  }, { id: 'outer' });
  assert.deepEqual(seen, ['nested', 'outer', 'outer']);
});

test('create in one setTimeout branch does not leak to a sibling branch of the same run', async () => {
  const runContext = { id: 'run' };
  const created = { id: 'created' };
  const seen = await new Promise((resolve) => {
    Context.run(() => {
      const observed = {};
      let pending = 3;
      const finish = () => {
        if (--pending === 0) resolve(observed);
      };
      setTimeout(() => {
        Context.create(created);
        observed.branchAfterCreate = current();
        setTimeout(() => {
          observed.branchChild = current();
          finish();
        }, 1);
        Promise.resolve().then(() => {
          observed.branchMicrotask = current();
        });
      }, 1);
      setTimeout(() => {
        observed.sibling = current();
        setImmediate(() => {
          observed.siblingChild = current();
          finish();
        });
      }, 5);
      setImmediate(() => {
        observed.earlierSibling = current();
        finish();
      });
    }, runContext);
  });
  assert.equal(seen.branchAfterCreate, created);
  assert.equal(seen.branchChild, created);
  assert.equal(seen.branchMicrotask, created);
  assert.equal(seen.sibling, runContext);
  assert.equal(seen.siblingChild, runContext);
  assert.equal(seen.earlierSibling, runContext);
});

test('create in one promise branch does not leak to a sibling promise branch', async () => {
  const runContext = { id: 'run' };
  const seen = await Context.run(() => {
    const start = Promise.resolve();
    const branchA = start.then(async () => {
      Context.create({ id: 'created-in-A' });
      await delay(2);
      return currentId();
    });
    const branchB = start.then(async () => {
      await delay(3);
      return currentId();
    });
    return Promise.all([branchA, branchB]).then((ids) => [...ids, current()]);
  }, runContext);
  assert.equal(seen[0], 'created-in-A');
  assert.equal(seen[1], 'run');
  assert.equal(seen[2], runContext);
});

test('create inside a run body reaches only continuations started after it and ends when the run returns', async () => {
  const runContext = { id: 'run' };
  let before;
  let afterCreate;
  const syncAfterCreate = Context.run(() => {
    before = new Promise((resolve) => setTimeout(() => resolve(currentId()), 1));
    Context.create({ id: 'created' });
    afterCreate = new Promise((resolve) => setTimeout(() => resolve(currentId()), 1));
    return currentId();
  }, runContext);
  assert.equal(syncAfterCreate, 'created');
  assert.equal(Context.exists(), false, 'the created context did not outlive the run');
  assert.equal(await before, 'run', 'a continuation scheduled before create keeps the run context');
  assert.equal(await afterCreate, 'created');
});

test('set after create changes only the created branch, and set in the run does not reach the created branch', async () => {
  const seen = await new Promise((resolve) => {
    Context.run(() => {
      const observed = {};
      let pending = 2;
      const finish = () => {
        if (--pending === 0) resolve(observed);
      };
      setTimeout(() => {
        Context.create({ id: 'branch' });
        setTimeout(() => {
          Context.set({ id: 'branch-set' });
          setTimeout(() => {
            observed.branchLater = currentId();
            finish();
          }, 10);
        }, 1);
      }, 1);
      setTimeout(() => {
        observed.siblingBeforeRunSet = currentId();
        Context.set({ id: 'run-set' });
      }, 5);
      setTimeout(() => {
        observed.siblingAfterRunSet = currentId();
        finish();
      }, 8);
    }, { id: 'run' });
  });
  assert.deepEqual(seen, {
    siblingBeforeRunSet: 'run',
    siblingAfterRunSet: 'run-set',
    branchLater: 'branch-set',
  });
});

test('set in a run is seen by continuations scheduled before the set when they fire', async () => {
  const original = { id: 'original' };
  const replacement = { id: 'replacement' };
  const seen = await new Promise((resolve) => {
    Context.run(() => {
      const observed = {};
      const timer = new Promise((r) => setTimeout(() => r(current()), 2));
      const immediate = new Promise((r) => setImmediate(() => r(current())));
      const tick = new Promise((r) => process.nextTick(() => r(current())));
      const then = Promise.resolve().then(() => current());
      observed.beforeSet = current();
      Context.set(replacement);
      observed.afterSet = current();
      Promise.all([timer, immediate, tick, then]).then(([t, i, n, p]) => resolve({ ...observed, t, i, n, p }));
    }, original);
  });
  assert.equal(seen.beforeSet, original);
  assert.equal(seen.afterSet, replacement);
  assert.equal(seen.t, replacement, 'setTimeout scheduled before set');
  assert.equal(seen.i, replacement, 'setImmediate scheduled before set');
  assert.equal(seen.n, replacement, 'nextTick scheduled before set');
  assert.equal(seen.p, replacement, 'then registered before set');
});

test('set from one continuation of a run is seen by its sibling continuations', async () => {
  const seen = await Context.run(async () => {
    const sibling = new Promise((resolve) => setTimeout(() => resolve(currentId()), 5));
    setTimeout(() => Context.set({ id: 'set-by-first-timer' }), 1);
    return [await sibling, currentId()];
  }, { id: 'run' });
  assert.deepEqual(seen, ['set-by-first-timer', 'set-by-first-timer']);
});

test('set in one run is never seen by a concurrent run', async () => {
  const [a, b] = await Promise.all([
    Context.run(async () => {
      Context.set({ id: 'A-set' });
      await delay(2);
      return currentId();
    }, { id: 'A' }),
    Context.run(async () => {
      await delay(1);
      const first = currentId();
      await delay(2);
      return [first, currentId()];
    }, { id: 'B' }),
  ]);
  assert.equal(a, 'A-set');
  assert.deepEqual(b, ['B', 'B']);
});

test('a run whose function throws restores the previous context, at top level and nested', () => {
  assert.throws(
    () =>
      Context.run(() => {
        throw new Error('top-level failure');
      }, { id: 'failing' }),
    { message: 'top-level failure' },
  );
  assert.equal(Context.exists(), false, 'no context left behind at top level');

  const outer = { id: 'outer' };
  const seen = Context.run(() => {
    const observed = [];
    for (let i = 0; i < 3; i++) {
      try {
        Context.run(() => {
          Context.run(() => {
            Context.set({ id: 'deep-set' });
            throw new Error('deep failure');
          }, { id: 'deep' });
        }, { id: 'middle' });
      } catch (error) {
        observed.push([error.message, Context.get()]);
      }
    }
    return observed;
  }, outer);
  assert.equal(seen.length, 3);
  for (const [message, context] of seen) {
    assert.equal(message, 'deep failure');
    assert.equal(context, outer);
  }
  assert.equal(Context.exists(), false);
});

test('a throw after create inside a run leaves no created context behind', () => {
  assert.throws(() =>
    Context.run(() => {
      Context.create({ id: 'created-then-thrown' });
      throw new Error('after create');
    }, { id: 'run' }),
  );
  assert.equal(Context.exists(), false);
});

test('work scheduled after a run threw sees no context, while work scheduled inside the failed run still sees it', async () => {
  let inside;
  try {
    Context.run(() => {
      inside = new Promise((resolve) => setTimeout(() => resolve(currentId()), 1));
      throw new Error('fail');
    }, { id: 'failed-run' });
  } catch {
    // expected
  }
  const outside = new Promise((resolve) => setTimeout(() => resolve(currentId()), 1));
  assert.equal(await inside, 'failed-run');
  assert.equal(await outside, 'none');
});

test('a rejected async run restores the caller immediately and its rejection is handled without a context', async () => {
  const promise = Context.run(async () => {
    await delay(1);
    throw new Error('async failure');
  }, { id: 'async-failing' });
  assert.equal(Context.exists(), false);
  await assert.rejects(promise, { message: 'async failure' });
  assert.equal(Context.exists(), false);
});

test('concurrent runs stay isolated while monitoring is enabled', async (t) => {
  Context.configure({ monitor: true });
  t.after(() => Context.configure({ monitor: false }));
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      Context.run(async () => {
        await delay(i % 4);
        const afterTimer = currentId();
        await new Promise((resolve) => setImmediate(resolve));
        Context.set({ id: `${i}-set` });
        await null;
        return [afterTimer, currentId()];
      }, { id: i }),
    ),
  );
  results.forEach((pair, i) => assert.deepEqual(pair, [i, `${i}-set`]));
});

test('after all runs are done, fresh work outside any run sees no context', async () => {
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      Context.run(async () => {
        await delay(i % 3);
        Context.create({ id: `created-${i}` });
        await null;
      }, { id: i }),
    ),
  );
  const seen = await new Promise((resolve) => {
    const observed = [Context.exists()];
    setTimeout(() => {
      observed.push(Context.exists());
      setImmediate(() => {
        observed.push(Context.exists());
        Promise.resolve().then(() => {
          observed.push(Context.exists());
          resolve(observed);
        });
      });
    }, 1);
  });
  assert.deepEqual(seen, [false, false, false, false]);
});
