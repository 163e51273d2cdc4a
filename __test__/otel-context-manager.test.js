'use strict';
// native-execution-context/otel: NativeContextManager keeps OpenTelemetry's ContextManager
// contract (active/with/bind/enable/disable, as @opentelemetry/context-async-hooks' own managers
// do), and shares the engine's frame with the other faces.

const { test, describe, beforeEach, afterEach } = require('node:test');
const assert = require('assert/strict');
const { EventEmitter } = require('events');
const { setTimeout: sleep, setImmediate: immediate } = require('timers/promises');

const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const Context = require('..');
const { AsyncLocalStorage } = require('../lib/als');
const { NativeContextManager } = require('../lib/otel');

const { ROOT_CONTEXT, createContextKey } = api;
const KEY = createContextKey('test key');
const ctx = (value) => ROOT_CONTEXT.setValue(KEY, value);
const valueOf = (manager) => manager.active().getValue(KEY);

let manager;
beforeEach(() => {
  manager = new NativeContextManager().enable();
});
afterEach(() => {
  manager.disable();
});

describe('enable and disable', () => {
  test('both return the manager', () => {
    assert.equal(manager.enable(), manager);
    assert.equal(manager.disable(), manager);
    assert.equal(manager.enable(), manager);
  });

  test('outside every with(), active() is ROOT_CONTEXT', () => {
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('after disable(), active() is ROOT_CONTEXT, in callbacks scheduled before it too', async () => {
    let resolveSeen;
    const seen = new Promise((resolve) => (resolveSeen = resolve));
    manager.with(ctx('before'), () => {
      setTimeout(() => resolveSeen(manager.active()), 10);
      manager.disable();
      assert.equal(manager.active(), ROOT_CONTEXT);
    });
    assert.equal(await seen, ROOT_CONTEXT);
  });

  test('after disable(), with() still runs fn, with its context, and returns its value', () => {
    manager.disable();
    const context = ctx('after');
    const result = manager.with(context, (a, b) => {
      assert.equal(manager.active(), context);
      return a + b;
    }, undefined, 2, 3);
    assert.equal(result, 5);
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('enable() after disable() changes nothing: contexts forgotten stay forgotten, new ones work', async () => {
    const inner = ctx('old');
    let later;
    manager.with(inner, () => {
      later = sleep(5).then(() => manager.active());
    });
    manager.disable().enable();
    assert.equal(await later, ROOT_CONTEXT);
    await manager.with(ctx('new'), async () => {
      await sleep(1);
      assert.equal(valueOf(manager), 'new');
    });
  });
});

describe('with()', () => {
  test('runs fn with the context active and returns its value', () => {
    const context = ctx(1);
    assert.equal(manager.with(context, () => manager.active()), context);
    assert.equal(manager.with(ROOT_CONTEXT, () => 3.14), 3.14);
  });

  test('forwards thisArg and exactly the arguments given', () => {
    const receiver = { name: 'that' };
    function fn(a, b) {
      assert.equal(this, receiver);
      assert.equal(arguments.length, 2);
      return `${a}-${b}`;
    }
    assert.equal(manager.with(ROOT_CONTEXT, fn, receiver, 'one', 2), 'one-2');
    manager.with(ROOT_CONTEXT, function () {
      assert.equal(arguments.length, 0);
    });
  });

  test('rethrows what fn throws, and the previous context is back afterwards', () => {
    const outer = ctx('outer');
    manager.with(outer, () => {
      assert.throws(() => manager.with(ctx('inner'), () => {
        throw new Error('boom');
      }), /boom/);
      assert.equal(manager.active(), outer);
    });
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('nested with() restores each outer context when it returns', () => {
    const one = ctx(1);
    const two = ctx(2);
    manager.with(one, () => {
      manager.with(two, () => assert.equal(manager.active(), two));
      assert.equal(manager.active(), one);
    });
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('nested async with() restores each outer context across awaits', async () => {
    const scopes = [1, 2, 3, 4].map(ctx);
    const nest = async (depth) => {
      assert.equal(manager.active(), scopes[depth]);
      if (depth + 1 < scopes.length) {
        await manager.with(scopes[depth + 1], () => nest(depth + 1));
      }
      await immediate();
      assert.equal(manager.active(), scopes[depth]);
    };
    await manager.with(scopes[0], () => nest(0));
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('an async function started in a nested with() keeps the nested context; the caller gets its own back', async () => {
    const outer = ctx('outer');
    const inner = ctx('inner');
    let started;
    manager.with(outer, () => {
      started = manager.with(inner, async () => {
        await (async () => {})();
        return manager.active();
      });
      assert.equal(manager.active(), outer);
    });
    assert.equal(manager.active(), ROOT_CONTEXT);
    assert.equal(await started, inner);
  });

  test('the context follows timers, immediates, nextTick, microtasks and promises', async () => {
    const context = ctx('async');
    const seen = await manager.with(context, () => Promise.all([
      new Promise((resolve) => setTimeout(() => resolve(manager.active()), 5)),
      new Promise((resolve) => setImmediate(() => resolve(manager.active()))),
      new Promise((resolve) => process.nextTick(() => resolve(manager.active()))),
      new Promise((resolve) => queueMicrotask(() => resolve(manager.active()))),
      sleep(1).then(() => manager.active()),
    ]));
    assert.deepEqual(seen.map((active) => active === context), [true, true, true, true, true]);
  });

  test('timers due at the same time each keep the context they were scheduled in', async () => {
    const inner = ctx('inner');
    const due = [];
    manager.with(inner, () => {
      due.push(new Promise((resolve) => setTimeout(() => resolve(['inner', manager.active()]), 2)));
    });
    due.push(new Promise((resolve) => setTimeout(() => resolve(['root', manager.active()]), 2)));
    due.push(new Promise((resolve) => setTimeout(() => resolve(['root', manager.active()]), 3)));
    for (const [expected, active] of await Promise.all(due)) {
      assert.equal(active, expected === 'inner' ? inner : ROOT_CONTEXT);
    }
  });

  test('concurrent contexts never cross, across awaits and timers in random order', async () => {
    const runs = Array.from({ length: 200 }, (_, i) => manager.with(ctx(i), async () => {
      const seen = [];
      for (let step = 0; step < 5; step++) {
        await sleep((i * 7 + step * 13) % 5);
        seen.push(valueOf(manager));
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(valueOf(manager));
      }
      return seen;
    }));
    const results = await Promise.all(runs);
    results.forEach((seen, i) => assert.deepEqual(seen, Array(10).fill(i)));
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('two managers do not see each other\'s contexts', () => {
    const other = new NativeContextManager().enable();
    try {
      const mine = ctx('mine');
      const theirs = ctx('theirs');
      manager.with(mine, () => {
        assert.equal(other.active(), ROOT_CONTEXT);
        other.with(theirs, () => {
          assert.equal(manager.active(), mine);
          assert.equal(other.active(), theirs);
        });
      });
    } finally {
      other.disable();
    }
  });

  test('shares the frame with the other faces: with() keeps their contexts, and theirs keep it', async () => {
    const store = new AsyncLocalStorage();
    const context = ctx('span');
    await Context.run(async () => {
      await manager.with(context, async () => {
        await store.run('als', async () => {
          await sleep(1);
          assert.deepEqual(Context.get(), { requestId: 'r-1' });
          assert.equal(store.getStore(), 'als');
          assert.equal(manager.active(), context);
        });
        assert.equal(store.getStore(), undefined);
        assert.deepEqual(Context.get(), { requestId: 'r-1' });
      });
      assert.equal(manager.active(), ROOT_CONTEXT);
    }, { requestId: 'r-1' });
  });
});

describe('bind() a function', () => {
  test('anything but a function or an EventEmitter comes back as it is', () => {
    const target = { a: 1 };
    assert.equal(manager.bind(ROOT_CONTEXT, target), target);
    assert.equal(manager.bind(ROOT_CONTEXT, undefined), undefined);
    assert.equal(manager.bind(ROOT_CONTEXT, 'text'), 'text');
    manager.disable();
    assert.equal(manager.bind(ROOT_CONTEXT, target), target);
  });

  test('the bound function runs with the bound context, wherever it is called', () => {
    const bound = ctx('bound');
    const fn = manager.bind(bound, () => manager.active());
    assert.equal(fn(), bound);
    manager.with(ctx('caller'), () => {
      assert.equal(fn(), bound);
      assert.equal(valueOf(manager), 'caller');
    });
    assert.equal(manager.active(), ROOT_CONTEXT);
  });

  test('it forwards this, arguments and the return value, and keeps the length', () => {
    const receiver = {};
    const fn = manager.bind(ctx(1), function add(a, b) {
      assert.equal(this, receiver);
      return a + b;
    });
    assert.equal(fn.call(receiver, 2, 3), 5);
    assert.equal(fn.length, 2);
    assert.equal(fn.name, 'bound add');
  });

  test('async work started inside keeps the bound context', async () => {
    const bound = ctx('bound');
    const fn = manager.bind(bound, () => sleep(5).then(() => manager.active()));
    assert.equal(await fn(), bound);
  });

  test('it still binds after disable()', () => {
    manager.disable();
    const bound = ctx('bound');
    assert.equal(manager.bind(bound, () => manager.active())(), bound);
  });

  test('functions bound by two managers see both contexts', () => {
    const other = new NativeContextManager().enable();
    try {
      const mine = ctx('mine');
      const theirs = ctx('theirs');
      const fn = other.bind(theirs, manager.bind(mine, () => [manager.active(), other.active()]));
      const [seenMine, seenTheirs] = fn();
      assert.equal(seenMine, mine);
      assert.equal(seenTheirs, theirs);
    } finally {
      other.disable();
    }
  });
});

describe('bind() an EventEmitter', () => {
  test('returns the same emitter, enabled or disabled', () => {
    const emitter = new EventEmitter();
    assert.equal(manager.bind(ROOT_CONTEXT, emitter), emitter);
    manager.disable();
    const other = new EventEmitter();
    assert.equal(manager.bind(ROOT_CONTEXT, other), other);
  });

  test('listeners added afterwards, by every add method, run with the bound context', () => {
    const emitter = manager.bind(ctx('bound'), new EventEmitter());
    const seen = [];
    for (const method of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']) {
      emitter[method]('event', () => seen.push(`${method}:${valueOf(manager)}`));
    }
    manager.with(ctx('emitter'), () => emitter.emit('event'));
    assert.deepEqual(seen.sort(), ['addListener:bound', 'on:bound', 'once:bound', 'prependListener:bound', 'prependOnceListener:bound']);
  });

  test('a listener added before bind() keeps running in the emitting context', () => {
    const emitter = new EventEmitter();
    const seen = [];
    emitter.on('event', () => seen.push(valueOf(manager)));
    manager.bind(ctx('bound'), emitter);
    manager.with(ctx('emitter'), () => emitter.emit('event'));
    assert.deepEqual(seen, ['emitter']);
  });

  test('removeListener and off remove a listener by the function that was added', () => {
    const emitter = manager.bind(ctx(1), new EventEmitter());
    const handler = () => {};
    emitter.on('event', handler);
    assert.equal(emitter.listenerCount('event'), 1);
    assert.deepEqual(emitter.listeners('event'), [handler]);
    emitter.removeListener('event', handler);
    assert.equal(emitter.listenerCount('event'), 0);
    emitter.on('event', handler);
    emitter.off('event', handler);
    assert.equal(emitter.listenerCount('event'), 0);
  });

  test('a listener can remove itself while it runs, in the bound context', () => {
    const bound = ctx(1);
    const emitter = manager.bind(bound, new EventEmitter());
    let calls = 0;
    const handler = () => {
      calls += 1;
      assert.equal(manager.active(), bound);
      emitter.removeListener('event', handler);
      assert.equal(emitter.listeners('event').length, 0);
    };
    emitter.on('event', handler);
    emitter.emit('event');
    emitter.emit('event');
    assert.equal(calls, 1);
  });

  test('once listeners run once, with the bound context, and removeListener/off find them before they fire', () => {
    const bound = ctx('bound');
    const emitter = manager.bind(bound, new EventEmitter());
    const seen = [];
    emitter.once('event', (value) => seen.push([value, manager.active() === bound]));
    emitter.emit('event', 'first');
    emitter.emit('event', 'second');
    assert.deepEqual(seen, [['first', true]]);
    assert.equal(emitter.listenerCount('event'), 0);

    function handler() {
      assert.fail('a removed once listener ran');
    }
    emitter.once('event', handler);
    assert.deepEqual(emitter.listeners('event'), [handler]);
    emitter.removeListener('event', handler);
    assert.equal(emitter.listenerCount('event'), 0);
    emitter.prependOnceListener('event', handler);
    emitter.off('event', handler);
    assert.equal(emitter.listenerCount('event'), 0);
    emitter.emit('event');
  });

  test('removeAllListeners, for one event and for all', () => {
    const emitter = manager.bind(ctx(1), new EventEmitter());
    const handler = () => {};
    emitter.on('a', handler);
    emitter.on('b', handler);
    emitter.removeAllListeners('a');
    assert.equal(emitter.listenerCount('a'), 0);
    assert.equal(emitter.listenerCount('b'), 1);
    emitter.on('a', handler);
    emitter.removeAllListeners();
    assert.equal(emitter.listenerCount('a') + emitter.listenerCount('b'), 0);
  });

  test('the context stays with async work a listener starts', async () => {
    const bound = ctx('bound');
    const emitter = manager.bind(bound, new EventEmitter());
    const seen = new Promise((resolve) => emitter.on('event', () => setImmediate(() => resolve(manager.active()))));
    emitter.emit('event');
    assert.equal(await seen, bound);
  });

  test('binding the same emitter again keeps the first context', () => {
    const first = ctx('first');
    const emitter = manager.bind(first, new EventEmitter());
    manager.bind(ctx('second'), emitter);
    let seen;
    emitter.on('event', () => (seen = manager.active()));
    emitter.emit('event');
    assert.equal(seen, first);
  });

  test('an emitter bound by two managers gives each its own context; listeners stay removable', () => {
    const other = new NativeContextManager().enable();
    try {
      const mine = ctx('mine');
      const theirs = ctx('theirs');
      const emitter = other.bind(theirs, manager.bind(mine, new EventEmitter()));
      let seen;
      const handler = () => (seen = [manager.active(), other.active()]);
      emitter.on('event', handler);
      emitter.emit('event');
      assert.equal(seen[0], mine);
      assert.equal(seen[1], theirs);
      emitter.removeListener('event', handler);
      emitter.once('event', handler);
      emitter.off('event', handler);
      assert.equal(emitter.listenerCount('event'), 0);
    } finally {
      other.disable();
    }
  });

  test('listeners see the bound OpenTelemetry context and the emitting code\'s other contexts', () => {
    const bound = ctx('bound');
    const emitter = manager.bind(bound, new EventEmitter());
    let seen;
    emitter.on('event', () => (seen = [manager.active(), Context.get().requestId]));
    Context.run(() => emitter.emit('event'), { requestId: 'emitting request' });
    assert.equal(seen[0], bound);
    assert.equal(seen[1], 'emitting request');
  });
});

describe('as the global context manager of @opentelemetry/api', () => {
  test('context.with/active and spans of a real tracer follow the request across awaits', async () => {
    const global = new NativeContextManager();
    assert.equal(api.context.setGlobalContextManager(global), true);
    try {
      const tracer = new BasicTracerProvider().getTracer('test');
      const traceIds = await Promise.all(Array.from({ length: 20 }, (_, i) => tracer.startActiveSpan(`span ${i}`, async (span) => {
        await sleep(i % 3);
        const active = api.trace.getActiveSpan();
        const child = tracer.startSpan('child');
        await immediate();
        assert.equal(api.trace.getActiveSpan(), active);
        assert.equal(child.spanContext().traceId, span.spanContext().traceId);
        child.end();
        span.end();
        return [span.spanContext().traceId, active.spanContext().traceId];
      })));
      for (const [started, seen] of traceIds) assert.equal(seen, started);
      assert.equal(new Set(traceIds.map(([id]) => id)).size, 20);
      assert.equal(api.trace.getActiveSpan(), undefined);
      assert.equal(api.context.active(), ROOT_CONTEXT);
      const context = ctx('api');
      assert.equal(api.context.with(context, () => global.active()), context);
    } finally {
      api.context.disable();
    }
    assert.equal(api.context.active(), ROOT_CONTEXT);
  });
});
