'use strict';

// The context life cycle: ctx.on('end', fn) fires once, when the context's run has returned and
// the last async work started under it has finished, read from the engine's native context tree.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const cls = require('../lib/cls');

let serial = 0;
const fresh = (label = 'ns') => cls.createNamespace(`${label}-${++serial}`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A promise and its resolver. Waiting on it is bounded by a ref'd timer created here, outside
// every context (so it keeps the process alive and never counts as anyone's work).
function signal(limitMs = 3000, label = 'end') {
  let resolve;
  const promise = new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${label} did not happen within ${limitMs} ms`)), limitMs);
    resolve = (value) => {
      clearTimeout(timer);
      done(value);
    };
  });
  return { promise, resolve };
}

// An 'end' listener that records 'end' in `events`, and `ended`, which resolves when it ran.
function endRecorder(events) {
  const done = signal();
  return {
    listener() {
      events.push('end');
      done.resolve();
    },
    ended: done.promise,
  };
}

async function collectGarbage(until, rounds = 20) {
  for (let i = 0; i < rounds && !until(); i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
    await delay(5);
  }
}

const CLS = JSON.stringify(path.join(__dirname, '..', 'lib', 'cls'));
function runScript(source, nodeFlags = []) {
  return execFileSync(process.execPath, [...nodeFlags, '-e', source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('end fires once, after the last timer of the run, not before', async () => {
  const ns = fresh();
  const events = [];
  const ended = signal();
  let context;
  ns.run((ctx) => {
    context = ctx;
    ctx.on('end', () => {
      events.push('end');
      ended.resolve(Date.now());
    });
    setTimeout(() => {
      events.push('timer 10');
      setTimeout(() => events.push('timer 10+25'), 25);
    }, 10);
    setTimeout(() => events.push('timer 20'), 20);
    events.push('run returned');
  });
  const endedAt = await ended.promise;
  assert.deepEqual(events, ['run returned', 'timer 10', 'timer 20', 'timer 10+25', 'end']);
  await delay(30);
  assert.equal(events.filter((event) => event === 'end').length, 1, 'fires once');
  assert.ok(endedAt >= 0);
  assert.ok(context);
});

test('end is not emitted while the context\'s work is pending', async () => {
  const ns = fresh();
  let ended = false;
  let timerFired = false;
  const done = signal();
  ns.run((ctx) => {
    ctx.on('end', () => {
      ended = true;
      done.resolve(timerFired);
    });
    setTimeout(() => {
      timerFired = true;
    }, 120);
  });
  await delay(60);
  assert.equal(ended, false, 'a timer of the run is still pending');
  assert.equal(await done.promise, true, 'end came after the timer');
});

test('a run with no async work ends shortly after it returns, never synchronously', async () => {
  const ns = fresh();
  const events = [];
  const end = endRecorder(events);
  ns.run((ctx) => {
    ctx.on('end', end.listener);
  });
  events.push('after run');
  await end.ended;
  assert.deepEqual(events, ['after run', 'end']);
});

test('end waits for promise chains, awaits, immediates, ticks and microtasks of the run', async () => {
  const ns = fresh();
  const events = [];
  const done = signal();
  ns.run((ctx) => {
    ctx.on('end', () => {
      events.push('end');
      done.resolve();
    });
    (async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve(i);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => process.nextTick(resolve));
      await new Promise((resolve) => queueMicrotask(resolve));
      await delay(15);
      events.push('async work done');
    })();
  });
  await done.promise;
  assert.deepEqual(events, ['async work done', 'end']);
});

test('end waits for I/O started in the run (fs callbacks)', async () => {
  const ns = fresh();
  const events = [];
  const done = signal();
  ns.run((ctx) => {
    ctx.on('end', () => {
      events.push('end');
      done.resolve();
    });
    fs.readFile(__filename, () => {
      fs.stat(__filename, () => events.push('read and stat done'));
    });
  });
  await done.promise;
  assert.deepEqual(events, ['read and stat done', 'end']);
});

test('a nested context ends first; its parent waits for the nested context\'s work', async () => {
  const ns = fresh();
  const events = [];
  const done = signal();
  ns.run((outer) => {
    outer.on('end', () => {
      events.push('outer end');
      done.resolve();
    });
    setTimeout(() => events.push('outer timer'), 5);
    ns.run((inner) => {
      inner.on('end', () => events.push('inner end'));
      setTimeout(() => events.push('inner timer'), 40);
    });
  });
  await done.promise;
  assert.deepEqual(events, ['outer timer', 'inner timer', 'inner end', 'outer end']);
});

test('a nested context started later, from a continuation of the run, also holds the run open', async () => {
  const ns = fresh();
  const events = [];
  const end = endRecorder(events);
  ns.run((ctx) => {
    ctx.on('end', end.listener);
    setTimeout(() => {
      ns.run(() => setTimeout(() => events.push('late nested timer'), 30));
    }, 5);
  });
  await end.ended;
  assert.deepEqual(events, ['late nested timer', 'end']);
});

test('a nested context of another namespace counts as work of the run; an unrelated run does not', async () => {
  const a = fresh('a');
  const b = fresh('b');
  const events = [];
  const done = signal();
  a.run((ctx) => {
    ctx.on('end', () => {
      events.push('a end');
      done.resolve();
    });
    b.run(() => setTimeout(() => events.push('b nested timer'), 30));
  });
  let unrelated;
  b.run(() => {
    unrelated = setTimeout(() => events.push('b unrelated timer'), 60_000);
  });
  await done.promise;
  clearTimeout(unrelated);
  assert.deepEqual(events, ['b nested timer', 'a end']);
});

test('clearing the run\'s last pending timer or interval ends it', async () => {
  const ns = fresh();
  const events = [];
  const end = endRecorder(events);
  ns.run((ctx) => {
    ctx.on('end', end.listener);
    const never = setTimeout(() => events.push('never'), 60_000);
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
      if (ticks === 3) {
        clearInterval(interval);
        clearTimeout(never);
        events.push('cleared');
      }
    }, 5);
  });
  await end.ended;
  assert.deepEqual(events, ['cleared', 'end']);
});

test('runPromise contexts end after the promise settles; so do runs whose fn threw', async () => {
  const ns = fresh();
  const events = [];
  const both = signal();
  let count = 0;
  const finish = (label) => () => {
    events.push(label);
    if (++count === 2) both.resolve();
  };
  const result = ns.runPromise(async (ctx) => {
    ctx.on('end', finish('runPromise end'));
    await delay(20);
    events.push('runPromise settled');
    return 'value';
  });
  assert.throws(() => ns.run((ctx) => {
    ctx.on('end', finish('throwing run end'));
    setTimeout(() => events.push('throwing run timer'), 5);
    throw new Error('thrown after starting work');
  }));
  assert.equal(await result, 'value');
  await both.promise;
  assert.ok(events.indexOf('runPromise settled') < events.indexOf('runPromise end'));
  assert.ok(events.indexOf('throwing run timer') < events.indexOf('throwing run end'));
});

test('listeners get the context (as argument and this), run outside any context, in order', async () => {
  const ns = fresh();
  const calls = [];
  const done = signal();
  let context;
  ns.run((ctx) => {
    context = ctx;
    ns.set('user', 'ada');
    assert.equal(ctx.on('end', function (arg) {
      calls.push(['first', this === ctx, arg === ctx, ns.active, arg.user]);
    }), ctx, 'on returns the context');
    ctx.once('end', () => calls.push(['second']));
    ctx.on('end', () => done.resolve());
  });
  await done.promise;
  assert.deepEqual(calls, [['first', true, true, null, 'ada'], ['second']]);
  assert.ok(context);
});

test('off removes an end listener', async () => {
  const ns = fresh();
  const calls = [];
  const done = signal();
  ns.run((ctx) => {
    const removed = () => calls.push('removed');
    ctx.on('end', removed);
    ctx.on('end', () => {
      calls.push('kept');
      done.resolve();
    });
    assert.equal(ctx.off('end', removed), ctx);
    ctx.off('end', () => {}); // unknown listener: nothing happens
  });
  await done.promise;
  assert.deepEqual(calls, ['kept']);
});

test('a listener added after the end is called later, once, on its own turn', async () => {
  const ns = fresh();
  const first = signal();
  let context;
  ns.run((ctx) => {
    context = ctx;
    ctx.on('end', () => first.resolve());
  });
  await first.promise;
  const late = signal();
  const calls = [];
  context.on('end', (ctx) => {
    calls.push(ctx === context);
    late.resolve();
  });
  assert.deepEqual(calls, [], 'not synchronously');
  await late.promise;
  await delay(10);
  assert.deepEqual(calls, [true]);
});

test('a listener added from a continuation after the run returned fires once the run\'s frame is collected', async (t) => {
  if (typeof global.gc !== 'function') return t.skip('needs --expose-gc');
  const ns = fresh();
  let ended = false;
  let timerDone = false;
  await new Promise((resolve) => {
    ns.run((ctx) => {
      setTimeout(() => {
        ctx.on('end', () => {
          ended = true;
        });
        setTimeout(() => {
          timerDone = true;
          resolve();
        }, 20);
      }, 5);
    });
  });
  assert.equal(timerDone, true);
  await collectGarbage(() => ended);
  assert.equal(ended, true);
});

test('work started before the first end listener is not counted (register first thing in the run)', async () => {
  const ns = fresh();
  const events = [];
  const end = endRecorder(events);
  let before;
  ns.run((ctx) => {
    before = setTimeout(() => events.push('timer started before'), 60_000);
    ctx.on('end', end.listener);
  });
  await end.ended;
  clearTimeout(before);
  assert.deepEqual(events, ['end']);
});

test('an abandoned run (a promise that never settles) ends once it is garbage-collected', async (t) => {
  if (typeof global.gc !== 'function') return t.skip('needs --expose-gc');
  const ns = fresh();
  let ended = false;
  ns.run((ctx) => {
    ctx.on('end', () => {
      ended = true;
    });
    (async () => {
      await new Promise(() => {}); // never settles
    })();
  });
  await delay(30);
  assert.equal(ended, false, 'still pending on the promise');
  await collectGarbage(() => ended);
  assert.equal(ended, true, 'the engine drops the collected frame and reports its end');
});

test('on with an event other than "end" or a non-function listener throws a TypeError', () => {
  const ns = fresh();
  ns.run((ctx) => {
    assert.throws(() => ctx.on('finish', () => {}), { name: 'TypeError', message: "A context emits only 'end', not 'finish'" });
    assert.throws(() => ctx.on('end', 'nope'), { name: 'TypeError' });
    assert.throws(() => ctx.once('end'), { name: 'TypeError' });
  });
});

test('on("end") where the context is not active, or on a context that was never run, throws', () => {
  const ns = fresh();
  const context = ns.run(() => {});
  assert.throws(() => context.on('end', () => {}), /must be called where the context is active/);
  const made = ns.createContext();
  assert.throws(() => made.on('end', () => {}), /createContext\(\) or bind\(\) have no run/);
  ns.enter(made);
  assert.throws(() => made.on('end', () => {}), /must be called where the context is active/);
  ns.exit(made);
});

test('inside the run, end listeners can be added from nested contexts and other namespaces\' runs', async () => {
  const a = fresh('a');
  const b = fresh('b');
  const events = [];
  const done = signal();
  a.run((outer) => {
    a.run(() => b.run(() => {
      outer.on('end', () => {
        events.push('outer end');
        done.resolve();
      });
    }));
    setTimeout(() => events.push('outer timer'), 15);
  });
  await done.promise;
  assert.deepEqual(events, ['outer timer', 'outer end']);
});

test('a run\'s context still has its end after a context entered below it is exited inside the run', async () => {
  const ns = fresh();
  const events = [];
  const end = endRecorder(events);
  const entered = ns.createContext();
  ns.enter(entered);
  ns.run((ctx) => {
    ns.exit(entered); // rebuilds the stack under the run's context
    assert.equal(ns.active, ctx);
    ctx.on('end', end.listener);
    events.push('run returns');
  });
  ns.exit(entered);
  await end.ended;
  assert.deepEqual(events, ['run returns', 'end']);
});

test('two namespaces: each context ends on its own work', async () => {
  const a = fresh('a');
  const b = fresh('b');
  const events = [];
  const done = signal();
  let bEnded = false;
  // A's work stays pending until it has seen B's end: B must not wait for A.
  a.run((ctx) => {
    ctx.on('end', () => {
      events.push('a end');
      done.resolve();
    });
    const poll = () => {
      if (bEnded) events.push('a saw b end');
      else setTimeout(poll, 2);
    };
    setTimeout(poll, 2);
  });
  b.run((ctx) => {
    ctx.on('end', () => {
      bEnded = true;
      events.push('b end');
    });
    setTimeout(() => events.push('b timer'), 5);
  });
  await done.promise;
  assert.deepEqual(events, ['b timer', 'b end', 'a saw b end', 'a end']);
});

test('destroyNamespace drops pending end listeners; the namespace can still watch new runs', async () => {
  const ns = cls.createNamespace('destroyed-with-pending-ends');
  const events = [];
  ns.run((ctx) => {
    ctx.on('end', () => events.push('released listener'));
    setTimeout(() => events.push('timer'), 10);
  });
  cls.destroyNamespace('destroyed-with-pending-ends');
  await delay(60);
  assert.deepEqual(events, ['timer'], 'the released listener never fires');

  const done = signal();
  ns.run((ctx) => {
    ctx.on('end', () => done.resolve('new run ended'));
  });
  assert.equal(await done.promise, 'new run ended');
});

test('reset drops the pending end listeners of every namespace', async () => {
  const a = cls.createNamespace('reset-a');
  const b = cls.createNamespace('reset-b');
  const events = [];
  for (const ns of [a, b]) {
    ns.run((ctx) => {
      ctx.on('end', () => events.push(`${ns.name} end`));
      setTimeout(() => events.push(`${ns.name} timer`), 5);
    });
  }
  cls.reset();
  await delay(60);
  assert.deepEqual(events.sort(), ['reset-a timer', 'reset-b timer']);
});

test('a throwing end listener is reported as uncaught; the other listeners still run', () => {
  const out = runScript(`
    const cls = require(${CLS});
    const ns = cls.createNamespace('x');
    process.on('uncaughtException', (error) => console.log('uncaught:', error.message));
    ns.run((ctx) => {
      ctx.on('end', () => { throw new Error('listener bug'); });
      ctx.on('end', () => console.log('second listener ran'));
      setTimeout(() => {}, 5);
    });
  `);
  assert.deepEqual(out.trim().split('\n').sort(), ['second listener ran', 'uncaught: listener bug']);
});

// The child's first console.log happens inside the run: stdout's handle must not count as work.
test('end is delivered before the process exits when the run\'s last work ends the event loop', () => {
  const out = runScript(`
    const cls = require(${CLS});
    const ns = cls.createNamespace('x');
    ns.run((ctx) => {
      ctx.on('end', () => console.log('end'));
      setImmediate(() => require('node:fs').stat(__filename, () => console.log('last work')));
    });
  `);
  assert.equal(out, 'last work\nend\n');
});

// In a fresh process the native core is loaded by the first run that watches an end, and loading
// it makes Node create a native resource that keeps the context frame current at that moment for
// good. The second run is collected while nothing else is tracked: no record reaches the event
// log, and its end must still come from the collection alone.
test('abandoned runs end once collected: the very first tracked run, and one collected while the log is empty', () => {
  const out = runScript(`
    const cls = require(${CLS});
    const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    async function abandoned(name) {
      const ns = cls.createNamespace(name);
      let ended = false;
      ns.run((ctx) => {
        ctx.on('end', () => { ended = true; });
        (async () => { await new Promise(() => {}); })();
      });
      await delay(20);
      for (let i = 0; i < 40 && !ended; i++) {
        global.gc();
        await new Promise((resolve) => setImmediate(resolve));
        await delay(5);
      }
      console.log(name, ended ? 'ended' : 'still pending');
    }
    (async () => { await abandoned('first'); await abandoned('second'); })();
  `, ['--expose-gc']);
  assert.equal(out, 'first ended\nsecond ended\n');
});
