'use strict';

// Propagation of the run's context through every kind of timer and tick queue.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const timersPromises = require('node:timers/promises');

const Context = require('..');
const { current } = require('./helpers/context');

// Runs `body(done)` inside a run of `context`; resolves with what `done` was called with.
function inRun(context, body) {
  return new Promise((resolve, reject) => {
    Context.run(() => {
      try {
        body(resolve);
      } catch (error) {
        reject(error);
      }
    }, context);
  });
}

test('a setTimeout callback scheduled inside a run sees the run context', async () => {
  const context = { id: 'timeout' };
  const seen = await inRun(context, (done) => {
    setTimeout(() => done(current()), 1);
  });
  assert.equal(seen, context);
});

test('setTimeout extra arguments reach the callback together with the context', async () => {
  const context = { id: 'timeout-args' };
  const seen = await inRun(context, (done) => {
    setTimeout((a, b) => done([a, b, current()]), 1, 'first', 'second');
  });
  assert.deepEqual(seen, ['first', 'second', context]);
  assert.equal(seen[2], context);
});

test('a chain of nested setTimeout callbacks keeps the context at every depth', async () => {
  const context = { id: 'deep-timeouts' };
  const seen = await inRun(context, (done) => {
    const observed = [];
    const step = (depth) => {
      observed.push(current());
      if (depth === 10) done(observed);
      else setTimeout(step, 0, depth + 1);
    };
    setTimeout(step, 0, 1);
  });
  assert.equal(seen.length, 10);
  for (const value of seen) assert.equal(value, context);
});

test('every tick of a setInterval sees the run context until clearInterval stops it', async () => {
  const context = { id: 'interval' };
  const ticks = await inRun(context, (done) => {
    const observed = [];
    const handle = setInterval(() => {
      observed.push(current());
      if (observed.length === 5) {
        clearInterval(handle);
        // Leave room for a sixth tick that must not come.
        setTimeout(() => done(observed), 20);
      }
    }, 1);
  });
  assert.equal(ticks.length, 5, 'clearInterval stopped the ticks after the fifth');
  for (const value of ticks) assert.equal(value, context);
});

test('two interleaved setIntervals in different runs each see only their own context', async () => {
  const a = { id: 'interval-a' };
  const b = { id: 'interval-b' };
  const collect = (context) =>
    inRun(context, (done) => {
      const observed = [];
      const handle = setInterval(() => {
        observed.push(current());
        if (observed.length === 4) {
          clearInterval(handle);
          done(observed);
        }
      }, 1);
    });
  const [seenA, seenB] = await Promise.all([collect(a), collect(b)]);
  assert.deepEqual(seenA, [a, a, a, a]);
  assert.deepEqual(seenB, [b, b, b, b]);
  for (const value of seenA) assert.equal(value, a);
  for (const value of seenB) assert.equal(value, b);
});

test('a setImmediate callback scheduled inside a run sees the run context', async () => {
  const context = { id: 'immediate' };
  const seen = await inRun(context, (done) => {
    setImmediate((arg) => done([arg, current()]), 'arg');
  });
  assert.equal(seen[0], 'arg');
  assert.equal(seen[1], context);
});

test('a process.nextTick callback scheduled inside a run sees the run context', async () => {
  const context = { id: 'next-tick' };
  const seen = await inRun(context, (done) => {
    process.nextTick((arg) => done([arg, current()]), 'arg');
  });
  assert.equal(seen[0], 'arg');
  assert.equal(seen[1], context);
});

test('a queueMicrotask callback scheduled inside a run sees the run context', async () => {
  const context = { id: 'microtask' };
  const seen = await inRun(context, (done) => {
    queueMicrotask(() => done(current()));
  });
  assert.equal(seen, context);
});

test('mixed timer, immediate, tick and microtask hops keep the context across the whole path', async () => {
  const context = { id: 'mixed-hops' };
  const seen = await inRun(context, (done) => {
    const observed = [];
    setTimeout(() => {
      observed.push(current());
      setImmediate(() => {
        observed.push(current());
        process.nextTick(() => {
          observed.push(current());
          queueMicrotask(() => {
            observed.push(current());
            setTimeout(() => {
              observed.push(current());
              done(observed);
            }, 0);
          });
        });
      });
    }, 0);
  });
  assert.equal(seen.length, 5);
  for (const value of seen) assert.equal(value, context);
});

test('timers scheduled outside any run see no context even when they fire while a run is active', async () => {
  const observed = [];
  const outside = new Promise((resolve) => {
    setTimeout(() => {
      observed.push(Context.exists());
      setImmediate(() => {
        observed.push(Context.exists());
        process.nextTick(() => {
          observed.push(Context.exists());
          queueMicrotask(() => {
            observed.push(Context.exists());
            resolve();
          });
        });
      });
    }, 2);
  });
  // A run that keeps itself busy across the same period.
  const busy = inRun({ id: 'busy' }, (done) => {
    let n = 0;
    const handle = setInterval(() => {
      if (++n === 5) {
        clearInterval(handle);
        done();
      }
    }, 1);
  });
  await Promise.all([outside, busy]);
  assert.deepEqual(observed, [false, false, false, false]);
});

test('timers/promises setTimeout resumes the awaiting run with its context and resolves its value', async () => {
  const context = { id: 'promises-timeout' };
  const seen = await Context.run(async () => {
    const value = await timersPromises.setTimeout(2, 'value');
    return [value, current()];
  }, context);
  assert.equal(seen[0], 'value');
  assert.equal(seen[1], context);
});

test('timers/promises setImmediate resumes the awaiting run with its context', async () => {
  const context = { id: 'promises-immediate' };
  const seen = await Context.run(async () => {
    const value = await timersPromises.setImmediate('value');
    return [value, current()];
  }, context);
  assert.equal(seen[0], 'value');
  assert.equal(seen[1], context);
});

test('timers/promises setInterval iterated with for await sees the context on every tick', async () => {
  const context = { id: 'promises-interval' };
  const seen = await Context.run(async () => {
    const observed = [];
    for await (const value of timersPromises.setInterval(1, 'tick')) {
      observed.push([value, current()]);
      if (observed.length === 4) break;
    }
    observed.push(['after', current()]);
    return observed;
  }, context);
  assert.equal(seen.length, 5);
  for (const [value, ctx] of seen.slice(0, 4)) {
    assert.equal(value, 'tick');
    assert.equal(ctx, context);
  }
  assert.deepEqual(seen[4], ['after', context]);
});

test('concurrent runs awaiting timers/promises each resume in their own context', async () => {
  const contexts = Array.from({ length: 20 }, (_, i) => ({ id: i }));
  const results = await Promise.all(
    contexts.map((context, i) =>
      Context.run(async () => {
        await timersPromises.setTimeout((i * 7) % 5);
        const afterTimeout = current();
        await timersPromises.setImmediate();
        return [afterTimeout, current()];
      }, context),
    ),
  );
  results.forEach(([afterTimeout, afterImmediate], i) => {
    assert.equal(afterTimeout, contexts[i]);
    assert.equal(afterImmediate, contexts[i]);
  });
});

test('a pending timer keeps its context through a forced garbage collection', { skip: typeof global.gc !== 'function' && 'needs --expose-gc' }, async () => {
  const pending = inRun({ id: 'survives-gc', payload: 'x'.repeat(1024) }, (done) => {
    setTimeout(() => setImmediate(() => done(current())), 30);
  });
  // The run has returned; only the pending timer still references its frame.
  for (let i = 0; i < 3; i++) {
    global.gc();
    await timersPromises.setTimeout(2);
  }
  const seen = await pending;
  assert.equal(seen.id, 'survives-gc');
  assert.equal(seen.payload.length, 1024);
});

test('a cleared setTimeout never runs, and a sibling timer of the same run still sees the context', async () => {
  const context = { id: 'cleared' };
  let clearedRan = false;
  const seen = await inRun(context, (done) => {
    const cleared = setTimeout(() => {
      clearedRan = true;
    }, 1);
    setTimeout(() => done(current()), 10);
    clearTimeout(cleared);
  });
  assert.equal(clearedRan, false);
  assert.equal(seen, context);
});
