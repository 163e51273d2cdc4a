'use strict';
// Every implementation the benchmark compares, behind one shape: `run(fn, ctx)` and `get()`.
// Each benchmark process loads exactly one adapter, so hooks of one never slow another.

const path = require('node:path');

const ROOT = path.join(__dirname, '..');

const adapters = {
  // The floor: no context tracking at all; the workload passes the context by hand.
  'no tracking': () => {
    let current;
    return { run: (fn, ctx) => { current = ctx; return fn(); }, get: () => current, manual: true };
  },
  // The floor of any hook-fed engine: an empty `init` hook.
  'empty init hook': () => {
    require('node:async_hooks').createHook({ init() {} }).enable();
    let current;
    return { run: (fn, ctx) => { current = ctx; return fn(); }, get: () => current, manual: true };
  },
  // The floor of any hook-fed tracker: every hook monitoring needs (init, before, after,
  // promiseResolve), each empty, and no context library (the context is passed by hand).
  'all tracking hooks, empty': () => {
    require('node:async_hooks').createHook({ init() {}, before() {}, after() {}, promiseResolve() {} }).enable();
    let current;
    return { run: (fn, ctx) => { current = ctx; return fn(); }, get: () => current, manual: true };
  },
  // The floor of a tracker that leaves promises out of the async hook (Node 24's default strategy,
  // docs/internals.md): an async hook with `trackPromises: false` (older Nodes ignore the option
  // and still number every promise) and empty V8 promise hooks, no context library.
  'tracking hooks without promises, empty': () => {
    require('node:async_hooks').createHook({ init() {}, after() {}, trackPromises: false }).enable();
    require('node:v8').promiseHooks.createHook({ init() {}, settled() {} });
    let current;
    return { run: (fn, ctx) => { current = ctx; return fn(); }, get: () => current, manual: true };
  },
  // The floor of monitoring a request that is not tracked (sampled out): Node's own
  // AsyncLocalStorage carries the context, beside exactly the hooks our tracker installs on this
  // Node (async-hook.js), each empty. Hooks cost far more once contexts flow through the awaits
  // they watch than with the context passed by hand (the two rows above): on Node 24, callgrind of
  // this workload counted 58k instructions per request for AsyncLocalStorage alone, 79k with
  // these hooks, against 63k and 68k for the two hand-passed rows (2026-12-02).
  "AsyncLocalStorage + the tracker's hooks, empty": () => {
    const { AsyncLocalStorage, createHook } = require('node:async_hooks');
    const { promiseHooks } = require('node:v8');
    const { asyncHooksCanSkipPromises, hasAsyncContextFrame } = require(path.join(ROOT, 'lib', 'engine'));
    if (hasAsyncContextFrame() && asyncHooksCanSkipPromises()) {
      createHook({ init() {}, after() {}, trackPromises: false }).enable();
      promiseHooks.createHook({ init() {}, settled() {} });
    } else {
      createHook({ init() {}, after() {} }).enable();
      promiseHooks.onSettled(() => {});
    }
    const storage = new AsyncLocalStorage();
    return { run: (fn, ctx) => storage.run(ctx, fn), get: () => storage.getStore() };
  },
  // Monitoring on for a tenth of the requests (configure({ monitor: { sample: 0.1 } })).
  'native-execution-context (monitor on, sample 0.1)': () => {
    const Context = require(ROOT);
    const { engine } = require(path.join(ROOT, 'lib', 'engine'));
    engine().setTracking(Context, true, 0.1);
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  'native-execution-context': () => {
    const Context = require(ROOT);
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  // The strategy the default did not pick on this Node, forced: the evidence for the default.
  'native-execution-context (other strategy)': () => {
    const { hasAsyncContextFrame } = require(path.join(ROOT, 'lib', 'engine'));
    process.env.NATIVE_EXECUTION_CONTEXT_STRATEGY = hasAsyncContextFrame() ? 'resource' : 'async-context-frame';
    const Context = require(ROOT);
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  'native-execution-context (monitor on)': () => {
    const Context = require(ROOT);
    Context.configure({ monitor: true });
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  // The stall watchdog on (watchStalls), monitoring off: its cost is the `before` hook and the
  // writes at each callback start and run.
  'native-execution-context (stall watchdog on)': () => {
    const Context = require(ROOT);
    Context.watchStalls({ thresholdMs: 1000, stderr: false });
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  // The floor of any watchdog on this engine: knowing the current context at each callback start
  // takes at least a `before` hook (Node 24's default strategy otherwise runs no hook at all).
  'native-execution-context + empty before hook': () => {
    require('node:async_hooks').createHook({ before() {} }).enable();
    const Context = require(ROOT);
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  'node-execution-context 3.1.0': () => {
    const Context = require('node-execution-context');
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  'node-execution-context 3.1.0 (async_hooks mode)': () => {
    const AsyncHooksContext = require('node-execution-context/src/managers/asyncHooks');
    const Context = new AsyncHooksContext();
    return { run: (fn, ctx) => Context.run(fn, ctx), get: () => Context.get() };
  },
  'AsyncLocalStorage': () => {
    const { AsyncLocalStorage } = require('node:async_hooks');
    const als = new AsyncLocalStorage();
    return { run: (fn, ctx) => als.run(ctx, fn), get: () => als.getStore() };
  },
  'cls-hooked 4.2.2': () => {
    const cls = require('cls-hooked');
    const ns = cls.createNamespace('bench');
    return {
      run: (fn, ctx) => ns.runAndReturn(() => { ns.set('ctx', ctx); return fn(); }),
      get: () => ns.get('ctx'),
    };
  },
};

module.exports = { adapters };
