'use strict';

// Propagation through promises: chains, async/await, thenables, combinators, promises that
// cross run boundaries, and async generators.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { AsyncLocalStorage } = require('node:async_hooks');

const Context = require('..');
const { current, currentId } = require('./helpers/context');

function delay(ms, value) {
  return new Promise((resolve) => setTimeout(resolve, ms, value));
}

test('then, catch and finally callbacks of a chain built inside a run all see the run context', async () => {
  const context = { id: 'chain' };
  const observed = [];
  await Context.run(
    () =>
      Promise.resolve(1)
        .then((value) => {
          observed.push(['then', value, current()]);
          return delay(1, value + 1);
        })
        .then((value) => {
          observed.push(['then', value, current()]);
          throw new Error('boom');
        })
        .then(() => observed.push(['skipped then', null, current()]))
        .catch((error) => {
          observed.push(['catch', error.message, current()]);
          return 'recovered';
        })
        .finally(() => {
          observed.push(['finally', null, current()]);
        })
        .then((value) => observed.push(['then', value, current()])),
    context,
  );
  assert.deepEqual(
    observed.map(([kind, value]) => [kind, value]),
    [
      ['then', 1],
      ['then', 2],
      ['catch', 'boom'],
      ['finally', null],
      ['then', 'recovered'],
    ],
  );
  for (const [, , ctx] of observed) assert.equal(ctx, context);
});

test('an async function keeps the run context across many awaits of different kinds', async () => {
  const context = { id: 'many-awaits' };
  const seen = await Context.run(async () => {
    const observed = [];
    for (let i = 0; i < 60; i++) {
      switch (i % 6) {
        case 0:
          await null;
          break;
        case 1:
          await Promise.resolve(i);
          break;
        case 2:
          await delay(0);
          break;
        case 3:
          await new Promise((resolve) => setImmediate(resolve));
          break;
        case 4:
          await new Promise((resolve) => process.nextTick(resolve));
          break;
        default:
          await (async () => {
            await null;
            observed.push(current());
          })();
      }
      observed.push(current());
    }
    return observed;
  }, context);
  assert.equal(seen.length, 70);
  for (const value of seen) assert.equal(value, context);
});

test('run returns the async function promise, and awaiting it outside the run sees no context', async () => {
  const context = { id: 'returned-promise' };
  const promise = Context.run(async () => {
    await delay(1);
    return current();
  }, context);
  assert.ok(promise instanceof Promise);
  assert.equal(Context.exists(), false);
  const value = await promise;
  assert.equal(value, context);
  assert.equal(Context.exists(), false, 'the awaiting code outside the run has no context');
});

test('awaiting a custom thenable that calls back from a setTimeout keeps the run context', async () => {
  const context = { id: 'thenable' };
  const seen = await Context.run(async () => {
    const observed = {};
    const thenable = {
      then(resolve) {
        observed.insideThen = current();
        setTimeout(() => {
          observed.insideTimer = current();
          resolve('thenable value');
        }, 2);
      },
    };
    observed.value = await thenable;
    observed.afterAwait = current();
    return observed;
  }, context);
  assert.equal(seen.value, 'thenable value');
  assert.equal(seen.insideThen, context);
  assert.equal(seen.insideTimer, context);
  assert.equal(seen.afterAwait, context);
});

test('a thenable created outside any run has its then called in the context of the run that awaits it', async () => {
  const seenByThen = [];
  const thenable = {
    then(resolve) {
      seenByThen.push(currentId());
      setTimeout(() => resolve(currentId()), 1);
    },
  };
  const [a, b] = await Promise.all([
    Context.run(async () => [await thenable, currentId()], { id: 'A' }),
    Context.run(async () => [await thenable, currentId()], { id: 'B' }),
  ]);
  assert.deepEqual(seenByThen.sort(), ['A', 'B']);
  assert.deepEqual(a, ['A', 'A']);
  assert.deepEqual(b, ['B', 'B']);
});

test('a thenable resolved through Promise.resolve and chained with then keeps the context', async () => {
  const context = { id: 'thenable-chain' };
  const seen = await Context.run(
    () =>
      Promise.resolve({
        then(resolve) {
          setTimeout(() => resolve(current()), 1);
        },
      }).then((fromTimer) => [fromTimer, current()]),
    context,
  );
  assert.equal(seen[0], context);
  assert.equal(seen[1], context);
});

test('Promise.all inside a run resolves in the run context and every member sees it', async () => {
  const context = { id: 'all' };
  const seen = await Context.run(async () => {
    const members = await Promise.all([
      delay(3).then(() => current()),
      new Promise((resolve) => setImmediate(() => resolve(current()))),
      (async () => {
        await null;
        return current();
      })(),
    ]);
    return { members, after: current() };
  }, context);
  assert.deepEqual(seen.members, [context, context, context]);
  for (const value of seen.members) assert.equal(value, context);
  assert.equal(seen.after, context);
});

test('Promise.all over separate runs keeps each member in its own context and the outer run in its own', async () => {
  const outer = { id: 'outer' };
  const seen = await Context.run(async () => {
    const members = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        Context.run(async () => {
          await delay(5 - i);
          const first = currentId();
          await null;
          return [first, currentId()];
        }, { id: `member-${i}` }),
      ),
    );
    return { members, after: current() };
  }, outer);
  assert.deepEqual(
    seen.members,
    [0, 1, 2, 3, 4].map((i) => [`member-${i}`, `member-${i}`]),
  );
  assert.equal(seen.after, outer);
});

test('Promise.race inside a run resolves in the run context and the losers keep it too', async () => {
  const context = { id: 'race' };
  let loserSeen;
  const loserDone = new Promise((resolve) => {
    loserSeen = resolve;
  });
  const seen = await Context.run(async () => {
    const winner = await Promise.race([
      delay(1).then(() => ['fast', current()]),
      delay(15).then(() => {
        loserSeen(current());
        return ['slow', current()];
      }),
    ]);
    return { winner, after: current() };
  }, context);
  assert.equal(seen.winner[0], 'fast');
  assert.equal(seen.winner[1], context);
  assert.equal(seen.after, context);
  assert.equal(await loserDone, context);
});

test('Promise.allSettled and Promise.any inside a run resolve in the run context', async () => {
  const context = { id: 'settled-any' };
  const seen = await Context.run(async () => {
    const settled = await Promise.allSettled([delay(1, 'ok'), Promise.reject(new Error('no'))]);
    const afterSettled = current();
    const any = await Promise.any([Promise.reject(new Error('no')), delay(1, 'any')]);
    return { settled: settled.map((r) => r.status), afterSettled, any, afterAny: current() };
  }, context);
  assert.deepEqual(seen.settled, ['fulfilled', 'rejected']);
  assert.equal(seen.any, 'any');
  assert.equal(seen.afterSettled, context);
  assert.equal(seen.afterAny, context);
});

test('a promise created inside a run and awaited outside it: the executor work sees the run, the awaiting code does not', async () => {
  let promise;
  Context.run(() => {
    promise = new Promise((resolve) => setTimeout(() => resolve(currentId()), 2));
  }, { id: 'creator' });
  assert.equal(Context.exists(), false);
  const resolvedWith = await promise;
  assert.equal(resolvedWith, 'creator', 'the timer started by the executor ran in the creating run');
  assert.equal(Context.exists(), false, 'the continuation after await belongs to the awaiting code');
});

test('then callbacks run in the context where then was called, not where the promise was created or resolved', async () => {
  // Pinned behaviour: a then callback belongs to the code that registered it.
  let resolveLater;
  let created;
  Context.run(() => {
    created = new Promise((resolve) => {
      resolveLater = resolve;
    });
  }, { id: 'creator' });

  const registrations = [];
  registrations.push(created.then(() => ['outside', currentId()]));
  Context.run(() => {
    registrations.push(created.then(() => ['registrar-A', currentId()]));
  }, { id: 'registrar-A' });
  Context.run(() => {
    registrations.push(created.finally(() => {}).then(() => ['registrar-B', currentId()]));
  }, { id: 'registrar-B' });

  // Resolve from yet another run: the resolver's context must not leak into the callbacks.
  setTimeout(() => Context.run(() => resolveLater(), { id: 'resolver' }), 2);

  assert.deepEqual(await Promise.all(registrations), [
    ['outside', 'none'],
    ['registrar-A', 'registrar-A'],
    ['registrar-B', 'registrar-B'],
  ]);
});

test('the pinned then semantics match AsyncLocalStorage for a promise that crosses runs', async () => {
  // Reference: Node's own AsyncLocalStorage run in lockstep with this library.
  const storage = new AsyncLocalStorage();
  const both = (id, fn) => Context.run(() => storage.run(id, fn), { id });
  const pair = () => [currentId(), storage.getStore() ?? 'none'];

  let promise;
  both('creator', () => {
    promise = delay(1, 'value');
  });
  const seen = await Promise.all([
    promise.then(pair),
    both('other', () => promise.then(pair)),
    (async () => {
      await promise;
      return pair();
    })(),
  ]);
  assert.deepEqual(seen, [
    ['none', 'none'],
    ['other', 'other'],
    ['none', 'none'],
  ]);
});

test('an async generator iterated with for await inside a run sees the context in its body and in the loop', async () => {
  const context = { id: 'async-generator' };
  const seen = await Context.run(async () => {
    async function* produce() {
      for (let i = 0; i < 4; i++) {
        await delay(1);
        const inBody = current();
        await new Promise((resolve) => setImmediate(resolve));
        yield [i, inBody, current()];
      }
    }
    const observed = [];
    for await (const [i, inBody, beforeYield] of produce()) {
      observed.push([i, inBody, beforeYield, current()]);
      await null;
    }
    observed.push(['done', current(), current(), current()]);
    return observed;
  }, context);
  assert.equal(seen.length, 5);
  assert.deepEqual(
    seen.map(([i]) => i),
    [0, 1, 2, 3, 'done'],
  );
  for (const [, ...contexts] of seen) for (const value of contexts) assert.equal(value, context);
});

test('an async generator body runs in the context of whoever calls next, not where the generator was created', async () => {
  // Pinned behaviour: a generator body is lazy, so each next() resumes it in the caller's context.
  let generator;
  Context.run(() => {
    generator = (async function* () {
      const first = currentId();
      await delay(1);
      yield [first, currentId()];
      const second = currentId();
      await delay(1);
      yield [second, currentId()];
    })();
  }, { id: 'creator' });

  const first = await Context.run(() => generator.next(), { id: 'caller-1' });
  const second = await Context.run(() => generator.next(), { id: 'caller-2' });
  const last = await generator.next();
  assert.deepEqual(first, { value: ['caller-1', 'caller-1'], done: false });
  assert.deepEqual(second, { value: ['caller-2', 'caller-2'], done: false });
  assert.deepEqual(last, { value: undefined, done: true });
});

test('a rejection inside a run is caught by an awaiting try/catch that still sees the context', async () => {
  const context = { id: 'rejection' };
  const seen = await Context.run(async () => {
    try {
      await delay(1).then(() => {
        throw new Error('fail');
      });
      return ['not reached'];
    } catch (error) {
      const inCatch = current();
      await null;
      return [error.message, inCatch, current()];
    }
  }, context);
  assert.equal(seen[0], 'fail');
  assert.equal(seen[1], context);
  assert.equal(seen[2], context);
});
