'use strict';

// EventEmitter listeners are plain synchronous calls: they see the context of `emit`, never the
// context in which they were registered. AsyncResource is the explicit way to bind a callback
// or an emitter to the context of its creation.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter, EventEmitterAsyncResource, once, on } = require('node:events');
const { AsyncResource } = require('node:async_hooks');

const Context = require('..');

// The id of the current context, or 'none' outside any context (never throws).
function currentId() {
  return Context.exists() ? Context.get().id : 'none';
}

test('a listener registered in run B sees run A when the event is emitted inside run A', () => {
  const emitter = new EventEmitter();
  const seen = [];
  Context.run(() => {
    emitter.on('event', () => seen.push(currentId()));
  }, { id: 'B' });
  Context.run(() => emitter.emit('event'), { id: 'A' });
  assert.deepEqual(seen, ['A']);
});

test('a listener sees the very context object of the emitting run, by reference', () => {
  const emitter = new EventEmitter();
  let seen;
  emitter.on('event', () => {
    seen = Context.get();
  });
  const context = { id: 'by-reference' };
  Context.run(() => emitter.emit('event'), context);
  assert.equal(seen, context);
});

test('a listener registered inside a run sees no context when the event is emitted outside any context', () => {
  const emitter = new EventEmitter();
  const seen = [];
  Context.run(() => {
    emitter.on('event', () => seen.push(Context.exists()));
  }, { id: 'registrar' });
  emitter.emit('event');
  assert.deepEqual(seen, [false]);
});

test('the same listener sees a different context for each emit, following the emitter', () => {
  const emitter = new EventEmitter();
  const seen = [];
  emitter.on('event', (label) => seen.push([label, currentId()]));
  emitter.emit('event', 'outside');
  Context.run(() => emitter.emit('event', 'in-A'), { id: 'A' });
  Context.run(() => {
    emitter.emit('event', 'in-B');
    Context.run(() => emitter.emit('event', 'in-nested-C'), { id: 'C' });
    emitter.emit('event', 'back-in-B');
  }, { id: 'B' });
  emitter.emit('event', 'outside-again');
  assert.deepEqual(seen, [
    ['outside', 'none'],
    ['in-A', 'A'],
    ['in-B', 'B'],
    ['in-nested-C', 'C'],
    ['back-in-B', 'B'],
    ['outside-again', 'none'],
  ]);
});

test('every listener of one emit, including once listeners, sees the emitting context', () => {
  const emitter = new EventEmitter();
  const seen = [];
  Context.run(() => emitter.on('event', () => seen.push(['on', currentId()])), { id: 'reg-1' });
  Context.run(() => emitter.once('event', () => seen.push(['once', currentId()])), { id: 'reg-2' });
  Context.run(() => emitter.prependListener('event', () => seen.push(['prepended', currentId()])), { id: 'reg-3' });
  Context.run(() => emitter.emit('event'), { id: 'emitter-1' });
  Context.run(() => emitter.emit('event'), { id: 'emitter-2' });
  assert.deepEqual(seen, [
    ['prepended', 'emitter-1'],
    ['on', 'emitter-1'],
    ['once', 'emitter-1'],
    ['prepended', 'emitter-2'],
    ['on', 'emitter-2'],
  ]);
});

test('an emit from a timer scheduled inside run A reaches listeners of other runs in context A', async () => {
  const emitter = new EventEmitter();
  const seen = [];
  const received = new Promise((resolve) => {
    Context.run(() => {
      emitter.on('tick', (n) => {
        seen.push([n, currentId()]);
        if (n === 2) resolve();
      });
    }, { id: 'listener-run' });
  });
  Context.run(() => {
    setTimeout(() => emitter.emit('tick', 1), 1);
    setImmediate(() => emitter.emit('tick', 2));
  }, { id: 'A' });
  await received;
  assert.deepEqual(seen.sort(), [
    [1, 'A'],
    [2, 'A'],
  ]);
});

test('an error event listener sees the context of the emit', () => {
  const emitter = new EventEmitter();
  let seen;
  Context.run(() => emitter.on('error', (error) => {
    seen = [error.message, currentId()];
  }), { id: 'registrar' });
  Context.run(() => emitter.emit('error', new Error('bad')), { id: 'failing' });
  assert.deepEqual(seen, ['bad', 'failing']);
});

test('awaiting events.once inside a run resumes in that run even though the emit happens elsewhere', async () => {
  const emitter = new EventEmitter();
  const waiting = Context.run(async () => {
    const [value] = await once(emitter, 'ready');
    return [value, currentId()];
  }, { id: 'waiter' });
  setTimeout(() => Context.run(() => emitter.emit('ready', 'go'), { id: 'emitter' }), 1);
  assert.deepEqual(await waiting, ['go', 'waiter']);
});

test('iterating events.on inside a run resumes every iteration in that run', async () => {
  const emitter = new EventEmitter();
  const iterating = Context.run(async () => {
    const seen = [];
    for await (const [value] of on(emitter, 'item')) {
      seen.push([value, currentId()]);
      if (seen.length === 3) break;
    }
    return seen;
  }, { id: 'iterator' });
  Context.run(() => {
    let n = 0;
    const handle = setInterval(() => {
      emitter.emit('item', ++n);
      if (n === 3) clearInterval(handle);
    }, 1);
  }, { id: 'producer' });
  assert.deepEqual(await iterating, [
    [1, 'iterator'],
    [2, 'iterator'],
    [3, 'iterator'],
  ]);
});

test('a callback bound with AsyncResource.bind inside run A sees run A wherever it is called', async () => {
  let bound;
  Context.run(() => {
    bound = AsyncResource.bind(() => currentId());
  }, { id: 'A' });
  assert.equal(bound(), 'A');
  assert.equal(Context.run(() => bound(), { id: 'B' }), 'A');
  const fromTimer = await Context.run(() => new Promise((resolve) => setTimeout(() => resolve(bound()), 1)), { id: 'C' });
  assert.equal(fromTimer, 'A');
  assert.equal(Context.exists(), false, 'calling the bound function does not leak its context');
});

test('an EventEmitterAsyncResource created in run A calls its listeners in run A whoever emits', () => {
  let emitter;
  Context.run(() => {
    emitter = new EventEmitterAsyncResource({ name: 'BoundEmitter' });
  }, { id: 'A' });
  const seen = [];
  Context.run(() => emitter.on('event', () => seen.push(currentId())), { id: 'registrar' });
  Context.run(() => emitter.emit('event'), { id: 'B' });
  emitter.emit('event');
  assert.deepEqual(seen, ['A', 'A']);
  emitter.emitDestroy();
});
