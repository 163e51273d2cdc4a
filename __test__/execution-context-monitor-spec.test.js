'use strict';
// node-execution-context 3.1.0's own `monitor` spec (src/lib/spec.js, `monitorMap`), in our own
// words, against the root face: the report's `size` counts the live contexts plus their live
// resources (their `executionContextMap.size`), an open context with nothing pending is one entry
// without children, and a pending timer shows up as its child.

const { test } = require('node:test');
const assert = require('node:assert/strict');

const { ExecutionContext, ExecutionContextError } = require('..');

// A fresh instance per case (their spec reuses one): a created context that started nothing stays
// in the native tree until its frame is garbage collected, so one case's context could still be
// listed in the next case's report.
function fresh() {
  return new ExecutionContext();
}

// `fn` right after `Context.create(...)`, in a callback of its own: the created context is current
// for the rest of that callback and what it starts, not for the test runner's continuations.
function insideCreated(Context, context, fn) {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        Context.create(context);
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}

test('before configure, monitor() throws the miss-configuration error', () => {
  const Context = fresh();
  assert.throws(() => Context.monitor(), (error) => {
    assert.ok(error instanceof ExecutionContextError);
    assert.equal(error.code, 'MONITOR_MISS_CONFIGURATION');
    assert.equal(error.message, 'Monitoring option is off by default, please call `configure` with the proper options.');
    return true;
  });
});

test('configured, with no context open: size 0 and an empty entries array', () => {
  const Context = fresh();
  Context.configure({ monitor: true });
  const report = Context.monitor();
  assert.equal(report.size, 0);
  assert.ok(Array.isArray(report.entries));
  assert.equal(report.entries.length, 0);
  Context.configure({ monitor: false });
});

test('a created context with nothing pending: size 1, one entry, no children', async () => {
  const Context = fresh();
  Context.configure({ monitor: true });
  const report = await insideCreated(Context, { value: true }, () => Context.monitor());
  assert.equal(report.size, 1);
  assert.equal(report.entries.length, 1);
  assert.deepEqual(report.entries[0].children, []);
  assert.equal(report.entries[0].contextSize, JSON.stringify({ value: true }).length);
  Context.configure({ monitor: false });
});

test('a created context with a pending timer: the entry and the timer under it (size 2)', async () => {
  const Context = fresh();
  Context.configure({ monitor: true });
  let spawned;
  const report = await insideCreated(Context, { value: true }, () => {
    spawned = new Promise((resolve) => setTimeout(resolve, 100)); // their `spwan()`
    return Context.monitor();
  });
  assert.ok(report.size > 0);
  assert.ok(report.entries.length > 0);
  assert.equal(report.entries.length, 1);
  assert.deepEqual(report.entries[0].children.map((child) => child.type), ['Timeout']);
  assert.equal(report.size, 2);
  await spawned;
  Context.configure({ monitor: false });
});

test('size counts only this instance\'s contexts and their resources, not another instance\'s', async () => {
  const Context = fresh();
  Context.configure({ monitor: true });
  const other = new ExecutionContext();
  other.configure({ monitor: true });
  let release;
  const pending = other.run(() => new Promise((resolve) => {
    release = resolve;
    setTimeout(() => {}, 1);
  }), { other: true });
  assert.equal(other.monitor().entries.length, 1);
  assert.ok(other.monitor().size >= 2);
  assert.equal(Context.monitor().size, 0);
  release();
  await pending;
  other.configure({ monitor: false });
  Context.configure({ monitor: false });
});
