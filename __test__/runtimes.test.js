'use strict';

// Runtimes (docs/runtimes.md). Runs on Node with the rest of the suite, and under Bun and Deno
// through scripts/test-runtimes.js (`bun test` and `deno test` run node:test files). Pins the
// strategy each runtime gets, that every face carries its value across each kind of async hop
// with concurrent contexts kept apart, and that where the runtime cannot track (no promise or I/O
// events from async_hooks.createHook), monitoring, /cls 'end' and the resource strategy throw one
// error naming the runtime instead of crashing or reporting nothing; so does /domain, which
// cannot catch errors there.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const Context = require('..');
const { ExecutionContext } = require('..');
const { createNamespace } = require('native-execution-context/cls');
const { AsyncLocalStorage } = require('native-execution-context/als');
const { Variable } = require('native-execution-context/async-context');
const { AsyncContext } = require('native-execution-context/scoped');
const { engine, hasAsyncContextFrame } = require('../lib/engine');

const ROOT = path.resolve(__dirname, '..');
const major = (version) => version.split('.')[0];
// The runtime as the library's errors name it; null on Node.
const RUNTIME =
  process.versions.bun !== undefined ? `Bun ${major(process.versions.bun)}.x`
  : process.versions.deno !== undefined ? `Deno ${major(process.versions.deno)}.x`
  : null;

test('the engine runs on the strategy that works on this runtime', () => {
  const forced = process.env.NATIVE_EXECUTION_CONTEXT_STRATEGY;
  let expected;
  if (RUNTIME !== null) expected = 'async-context-frame';
  else if (forced === 'resource' || forced === 'async-context-frame') expected = forced;
  else expected = hasAsyncContextFrame() ? 'async-context-frame' : 'resource';
  assert.equal(engine().strategyName, expected);
});

// Each face as (run a function with a value, read the value here).
const ns = createNamespace('runtimes-test');
const als = new AsyncLocalStorage();
const variable = new Variable();
const scoped = new AsyncContext();
const FACES = {
  root: {
    run: (value, fn) => Context.run(fn, { value }),
    read: () => (Context.exists() ? Context.get().value : undefined),
  },
  cls: {
    run: (value, fn) => ns.runAndReturn(() => {
      ns.set('value', value);
      return fn();
    }),
    read: () => ns.get('value'),
  },
  als: {
    run: (value, fn) => als.run(value, fn),
    read: () => als.getStore(),
  },
  'async-context': {
    run: (value, fn) => variable.run(value, fn),
    read: () => variable.get(),
  },
  scoped: {
    run: (value, fn) => scoped.runScoped(() => {
      scoped.store.add('value', value);
      return fn();
    }),
    read: () => scoped.store.get('value'),
  },
};

// Each hop reads the value inside the callback it schedules.
const HOPS = {
  await: async (read) => {
    await null;
    return read();
  },
  'promise then': (read) => Promise.resolve().then(read),
  setTimeout: (read) => new Promise((resolve) => setTimeout(() => resolve(read()), 1)),
  setImmediate: (read) => new Promise((resolve) => setImmediate(() => resolve(read()))),
  'process.nextTick': (read) => new Promise((resolve) => process.nextTick(() => resolve(read()))),
  queueMicrotask: (read) => new Promise((resolve) => queueMicrotask(() => resolve(read()))),
  'setInterval (second tick)': (read) => new Promise((resolve) => {
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
      if (ticks === 2) {
        clearInterval(interval);
        resolve(read());
      }
    }, 1);
  }),
};

const CONCURRENT = 12;

for (const [faceName, face] of Object.entries(FACES)) {
  for (const [hopName, hop] of Object.entries(HOPS)) {
    test(`${faceName}: ${hopName} carries each of ${CONCURRENT} concurrent contexts`, async () => {
      const runs = [];
      for (let i = 0; i < CONCURRENT; i++) {
        const value = `${faceName}-${i}`;
        runs.push(face.run(value, async () => {
          // Staggered starts, so the contexts' hops interleave.
          await new Promise((resolve) => setTimeout(resolve, i % 4));
          const inCallback = await hop(face.read);
          return { value, inCallback, afterwards: face.read() };
        }));
      }
      for (const { value, inCallback, afterwards } of await Promise.all(runs)) {
        assert.equal(inCallback, value);
        assert.equal(afterwards, value);
      }
      assert.equal(face.read(), undefined, 'no context outside the runs');
    });
  }
}

test('every face at once: nested runs, each face reads its own value after timers and awaits', async () => {
  const names = Object.keys(FACES);
  const nest = (index, fn) => (index === names.length ? fn() : FACES[names[index]].run(`${names[index]}!`, () => nest(index + 1, fn)));
  const seen = await nest(0, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setImmediate(resolve));
    return names.map((name) => FACES[name].read());
  });
  assert.deepEqual(seen, names.map((name) => `${name}!`));
});

const TRACKING_ERROR = RUNTIME === null ? null : `native-execution-context: monitoring and /cls 'end' events need async_hooks.createHook to see promises and I/O, which ${RUNTIME} does not implement`;

test(`monitoring ${RUNTIME === null ? 'works' : `throws one error naming ${RUNTIME}`}`, () => {
  const instance = new ExecutionContext();
  if (TRACKING_ERROR === null) {
    instance.configure({ monitor: true });
    let timer;
    try {
      instance.run(() => {
        timer = setTimeout(() => {}, 60_000);
      }, { id: 'monitored' });
      const report = instance.monitor();
      assert.equal(report.entries.length, 1);
      assert.deepEqual(report.entries[0].children.map((child) => child.type), ['Timeout']);
    } finally {
      clearTimeout(timer);
      instance.configure({ monitor: false });
    }
    return;
  }
  assert.throws(() => instance.configure({ monitor: true }), { message: TRACKING_ERROR });
  // Asked again, it says so again: never an empty report.
  assert.throws(() => instance.monitor(), { message: TRACKING_ERROR });
  assert.throws(() => instance.configure({ monitor: true }), { message: TRACKING_ERROR });
  instance.configure({ monitor: false }); // turning it off is always fine
});

test(`a /cls context's 'end' ${RUNTIME === null ? 'fires' : `listener throws one error naming ${RUNTIME}, every time`}`, async () => {
  if (TRACKING_ERROR === null) {
    // The end is delivered by an unref'd timer: a ref'd one, made outside every context, keeps
    // the process alive meanwhile (and bounds the wait).
    let ended;
    const end = new Promise((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('no end within 10 s')), 10_000);
      ended = () => {
        clearTimeout(bound);
        resolve('end');
      };
    });
    ns.run((context) => {
      context.on('end', ended);
      setTimeout(() => {}, 1);
    });
    assert.equal(await end, 'end');
    return;
  }
  ns.run((context) => {
    assert.throws(() => context.on('end', () => {}), { message: TRACKING_ERROR });
    // The failed registration left nothing behind that would take a listener silently.
    assert.throws(() => context.once('end', () => {}), { message: TRACKING_ERROR });
  });
});

test(`the stall watchdog ${RUNTIME === null ? 'starts and stops' : `throws one error naming ${RUNTIME}`}`, () => {
  const instance = new ExecutionContext();
  if (RUNTIME === null) {
    const watch = instance.watchStalls({ thresholdMs: 1000, stderr: false });
    watch.stop();
    return;
  }
  const message = `native-execution-context: the stall watchdog needs async_hooks.createHook to see callbacks start, which ${RUNTIME} does not implement`;
  assert.throws(() => instance.watchStalls({ thresholdMs: 1000 }), { message });
  assert.throws(() => instance.watchStalls({ thresholdMs: 1000 }), { message });
});

test(`/domain ${RUNTIME === null ? 'makes domains' : `refuses to make a domain, with one error naming ${RUNTIME}, every time`}`, () => {
  const domain = require('native-execution-context/domain');
  if (RUNTIME === null) {
    const made = domain.create();
    assert.equal(made.run(() => domain.active), made);
    return;
  }
  const why = RUNTIME.startsWith('Bun')
    ? `${RUNTIME} reports uncaught exceptions without calling process.emit('uncaughtException')`
    : `${RUNTIME} reports an uncaught exception outside the context of the callback that threw it`;
  const message = `native-execution-context/domain: a domain cannot catch errors here: ${why}`;
  assert.throws(() => domain.create(), { message });
  assert.throws(() => domain.createDomain(), { message });
  assert.throws(() => new domain.Domain(), { message });
  assert.equal(domain.active, null);
});

test(`forcing the resource strategy ${RUNTIME === null ? 'works' : `throws one error naming ${RUNTIME}`}`, () => {
  // A fresh process: the strategy is chosen when the engine is made.
  const script = `
    try {
      const Context = require(${JSON.stringify(ROOT)});
      const { engine } = require(${JSON.stringify(path.join(ROOT, 'lib', 'engine'))});
      Context.run(() => setTimeout(() => console.log(engine().strategyName + ' ' + Context.get().id), 1), { id: 'timer' });
    } catch (error) {
      console.log(error.message);
    }
  `;
  const child = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, NATIVE_EXECUTION_CONTEXT_STRATEGY: 'resource' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const expected = RUNTIME === null ? 'resource timer' : `native-execution-context: the resource strategy needs async_hooks.createHook, which ${RUNTIME} does not implement; use async-context-frame`;
  assert.equal(child.stdout.trim(), expected);
});
