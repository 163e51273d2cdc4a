'use strict';

// native-execution-context/scoped: smartcontext's hierarchical scoped store: the root store
// outside scopes, a fresh child store inside runScoped, reads through the parent chain, delete
// that shadows without touching the parent, getAll's merged view, child data gone with the scope,
// and isolation of concurrent scopes across awaits.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { AsyncContext, AsyncStore } = require('native-execution-context/scoped');

const delay = (ms, value) => new Promise((resolve) => setTimeout(resolve, ms, value));

test('the subpath exports AsyncContext and AsyncStore', () => {
  assert.equal(require.resolve('native-execution-context/scoped'), path.resolve(__dirname, '..', 'lib', 'scoped', 'index.js'));
  assert.equal(typeof AsyncContext, 'function');
  assert.equal(typeof AsyncStore, 'function');
  assert.ok(new AsyncContext().store instanceof AsyncStore);
});

test('outside any scope, store is the same root store every time; each context has its own root', () => {
  const ctx = new AsyncContext();
  const other = new AsyncContext();
  assert.equal(ctx.store, ctx.store);
  assert.notEqual(ctx.store, other.store);
  ctx.store.add('userId', 'u_123');
  assert.equal(ctx.store.get('userId'), 'u_123');
  assert.equal(other.store.get('userId'), undefined);
});

test('runScoped gives a fresh child store that reads the parent, and returns fn\'s value', () => {
  const ctx = new AsyncContext();
  const root = ctx.store;
  root.add('requestId', 'req_abc');
  const result = ctx.runScoped(() => {
    const child = ctx.store;
    assert.notEqual(child, root);
    assert.equal(child.get('requestId'), 'req_abc');
    child.add('spanId', 'span_001');
    assert.equal(ctx.store.get('spanId'), 'span_001');
    return 'fn value';
  });
  assert.equal(result, 'fn value');
  assert.equal(ctx.store, root, 'the root again after the scope');
  assert.equal(ctx.store.get('spanId'), undefined, 'child data is gone');
  assert.equal(ctx.store.get('requestId'), 'req_abc');
});

test('each runScoped call gets its own fresh child store', () => {
  const ctx = new AsyncContext();
  const first = ctx.runScoped(() => {
    ctx.store.add('k', 'first');
    return ctx.store;
  });
  const second = ctx.runScoped(() => ctx.store);
  assert.notEqual(first, second);
  assert.equal(second.get('k'), undefined);
});

test('an async runScoped returns fn\'s promise and keeps the child store across awaits', async () => {
  const ctx = new AsyncContext();
  ctx.store.add('requestId', 'req_abc');
  const promise = ctx.runScoped(async () => {
    ctx.store.add('spanId', 'span_001');
    await delay(1);
    await null;
    return [ctx.store.get('spanId'), ctx.store.get('requestId')];
  });
  assert.ok(promise instanceof Promise);
  assert.equal(ctx.store.get('spanId'), undefined, 'the caller is back on the root at the first await');
  assert.deepEqual(await promise, ['span_001', 'req_abc']);
  assert.equal(ctx.store.get('spanId'), undefined);
});

test('delete in a child shadows the parent key for the child only; the parent keeps it', async () => {
  const ctx = new AsyncContext();
  ctx.store.add('token', 'secret_value');
  await ctx.runScoped(async () => {
    ctx.store.delete('token');
    assert.equal(ctx.store.get('token'), undefined);
    await delay(1);
    assert.equal(ctx.store.get('token'), undefined, 'still shadowed after an await');
    assert.equal('token' in ctx.store.getAll(), false);
    ctx.store.add('token', 'child_value');
    assert.equal(ctx.store.get('token'), 'child_value', 'add after delete un-shadows with the child value');
    ctx.store.delete('token');
    assert.equal(ctx.store.get('token'), undefined);
  });
  assert.equal(ctx.store.get('token'), 'secret_value', 'parent unaffected');
});

test('delete in the root removes the key', () => {
  const ctx = new AsyncContext();
  ctx.store.add('temp', 1);
  ctx.store.delete('temp');
  assert.equal(ctx.store.get('temp'), undefined);
  assert.deepEqual(ctx.store.getAll(), {});
  ctx.store.delete('never-there');
  assert.deepEqual(ctx.store.getAll(), {});
});

test('getAll merges the whole chain, child over parent, leaving deleted keys out', () => {
  const ctx = new AsyncContext();
  ctx.store.add('a', 'root-a');
  ctx.store.add('b', 'root-b');
  ctx.store.add('c', 'root-c');
  const views = ctx.runScoped(() => {
    ctx.store.add('b', 'child-b');
    ctx.store.delete('c');
    ctx.store.add('d', 'child-d');
    return ctx.runScoped(() => {
      ctx.store.add('e', 'grandchild-e');
      ctx.store.delete('a');
      const grandchild = ctx.store.getAll();
      return { grandchild };
    });
  });
  assert.deepEqual(views.grandchild, { b: 'child-b', d: 'child-d', e: 'grandchild-e' });
  assert.deepEqual(ctx.store.getAll(), { a: 'root-a', b: 'root-b', c: 'root-c' });
});

test('getAll returns a new plain object each time; changing it changes no store', () => {
  const ctx = new AsyncContext();
  ctx.store.add('x', 1);
  const all = ctx.store.getAll();
  assert.equal(Object.getPrototypeOf(all), Object.prototype);
  all.x = 2;
  all.y = 3;
  assert.deepEqual(ctx.store.getAll(), { x: 1 });
  assert.notEqual(ctx.store.getAll(), ctx.store.getAll());
  ctx.store.add('__proto__', 'safe');
  assert.equal(ctx.store.getAll().__proto__, 'safe', 'an own data property, not the prototype'); // eslint-disable-line no-proto
});

test('a nested scope reads through two levels and its deletes stay in it', () => {
  const ctx = new AsyncContext();
  ctx.store.add('level', 'root');
  ctx.store.add('shared', 'root-shared');
  ctx.runScoped(() => {
    ctx.store.add('level', 'child');
    ctx.runScoped(() => {
      assert.equal(ctx.store.get('level'), 'child');
      assert.equal(ctx.store.get('shared'), 'root-shared');
      ctx.store.delete('shared');
      assert.equal(ctx.store.get('shared'), undefined);
    });
    assert.equal(ctx.store.get('shared'), 'root-shared');
    assert.equal(ctx.store.get('level'), 'child');
  });
  assert.equal(ctx.store.get('level'), 'root');
});

test('a key deleted in a middle scope stays hidden below it unless re-added there', () => {
  const ctx = new AsyncContext();
  ctx.store.add('k', 'root');
  ctx.runScoped(() => {
    ctx.store.delete('k');
    ctx.runScoped(() => {
      assert.equal(ctx.store.get('k'), undefined);
      assert.equal('k' in ctx.store.getAll(), false);
      ctx.store.add('k', 'grandchild');
      assert.equal(ctx.store.get('k'), 'grandchild');
      assert.deepEqual(ctx.store.getAll(), { k: 'grandchild' });
    });
  });
});

test('parent values added after a child scope started are visible in it (a live chain)', async () => {
  const ctx = new AsyncContext();
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const seen = ctx.runScoped(async () => {
    await gate;
    return ctx.store.get('late');
  });
  ctx.store.add('late', 'added-later');
  release();
  assert.equal(await seen, 'added-later');
});

test('parallel scopes are isolated from each other across awaits', async () => {
  const ctx = new AsyncContext();
  ctx.store.add('app', 'shared');
  let mismatches = 0;
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => ctx.runScoped(async () => {
    ctx.store.add('requestId', `req_${i}`);
    if (i % 2) ctx.store.delete('app');
    for (let hop = 0; hop < 3; hop++) {
      await (hop === 1 ? delay(i % 4) : null);
      if (ctx.store.get('requestId') !== `req_${i}`) mismatches += 1;
      if (ctx.store.get('app') !== (i % 2 ? undefined : 'shared')) mismatches += 1;
    }
    return ctx.store.getAll();
  })));
  assert.equal(mismatches, 0);
  results.forEach((all, i) => {
    assert.deepEqual(all, i % 2 ? { requestId: `req_${i}` } : { app: 'shared', requestId: `req_${i}` });
  });
  assert.deepEqual(ctx.store.getAll(), { app: 'shared' });
});

test('two contexts scope independently', () => {
  const logs = new AsyncContext();
  const tx = new AsyncContext();
  logs.store.add('level', 'info');
  logs.runScoped(() => {
    logs.store.add('span', 's1');
    assert.equal(tx.store.get('span'), undefined);
    tx.runScoped(() => {
      tx.store.add('id', 'tx1');
      assert.deepEqual(logs.store.getAll(), { level: 'info', span: 's1' });
      assert.deepEqual(tx.store.getAll(), { id: 'tx1' });
    });
  });
});

test('a scope is left after a throw, and the error propagates', () => {
  const ctx = new AsyncContext();
  const root = ctx.store;
  assert.throws(() => ctx.runScoped(() => {
    ctx.store.add('x', 1);
    throw new Error('scope threw');
  }), /scope threw/);
  assert.equal(ctx.store, root);
  assert.equal(root.get('x'), undefined);
});

test('a scope\'s child store is garbage collected once the scope and its work are done', { skip: typeof global.gc !== 'function' && 'needs --expose-gc' }, async () => {
  const ctx = new AsyncContext();
  let ref;
  await ctx.runScoped(async () => {
    ctx.store.add('payload', 'x'.repeat(1 << 16));
    ref = new WeakRef(ctx.store);
    await delay(1);
  });
  for (let i = 0; i < 20 && ref.deref() !== undefined; i++) {
    await delay(5);
    global.gc();
  }
  assert.equal(ref.deref(), undefined, 'no frame keeps the finished scope\'s store alive');
});

test('argument validation: keys are strings, runScoped takes a function, parents are stores', () => {
  const ctx = new AsyncContext();
  for (const call of [() => ctx.store.add(1, 'v'), () => ctx.store.get(Symbol('k')), () => ctx.store.delete({})]) {
    assert.throws(call, (error) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE' && /"key"/.test(error.message));
  }
  assert.throws(() => ctx.runScoped('nope'), (error) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE');
  assert.throws(() => new AsyncStore({}), (error) => error.code === 'ERR_INVALID_ARG_TYPE');
  const parent = new AsyncStore();
  parent.add('p', 1);
  const child = new AsyncStore(parent);
  child.delete('p');
  assert.equal(child.get('p'), undefined);
  assert.equal(parent.get('p'), 1);
});
