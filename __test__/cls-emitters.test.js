'use strict';

// bindEmitter: listeners added after the binding run in the context that was active when they
// were added (per namespace); listeners stay removable with the original function.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter, once } = require('node:events');
const { Readable, PassThrough } = require('node:stream');
const { AssertionError } = require('node:assert');

const cls = require('../lib/cls');

let serial = 0;
const fresh = (label = 'ns') => cls.createNamespace(`${label}-${++serial}`);

// Runs fn inside a new context of ns with key `k` set to `value`.
function within(ns, value, fn) {
  return ns.runAndReturn(() => {
    ns.set('k', value);
    return fn();
  });
}

test('bindEmitter rejects what is not an event emitter with cls-hooked\'s messages', () => {
  const ns = fresh();
  assert.throws(() => ns.bindEmitter({}), (error) => error instanceof AssertionError && error.message === 'can only bind real EEs');
  assert.throws(() => ns.bindEmitter(undefined), (error) => error instanceof AssertionError && error.message === 'can only bind real EEs');
  assert.throws(() => ns.bindEmitter({ on() {}, addListener() {}, emit() {} }), { message: 'can only wrap real EEs' });
});

test('added in a context, emitted outside any: the listener runs in the context it was added in', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  within(ns, 'added', () => emitter.on('event', () => seen.push(ns.get('k'))));
  const seen = [];
  emitter.emit('event');
  assert.deepEqual(seen, ['added']);
  assert.equal(ns.active, null, 'nothing stays entered after the emit');
});

test('added in a context, emitted in another: the listener sees the adding context, the emitter keeps its own', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const seen = [];
  within(ns, 'added', () => emitter.on('event', () => seen.push(ns.get('k'))));
  within(ns, 'emitting', () => {
    emitter.emit('event');
    seen.push(`after emit: ${ns.get('k')}`);
  });
  assert.deepEqual(seen, ['added', 'after emit: emitting']);
});

test('added outside any context: the listener runs in the emitting context (cls-hooked\'s rule)', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const seen = [];
  emitter.on('event', () => seen.push(ns.get('k')));
  within(ns, 'emitting', () => emitter.emit('event'));
  assert.deepEqual(seen, ['emitting']);
});

test('added and emitted outside any context: the listener gets a fresh, writable context', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const seen = [];
  emitter.on('event', () => {
    seen.push(ns.active !== null);
    ns.set('written', true); // works, as in cls-hooked
    seen.push(ns.get('written'));
  });
  emitter.emit('event');
  assert.deepEqual(seen, [true, true]);
  assert.equal(ns.active, null);
});

test('listeners added before bindEmitter are not bound: they see the emitting context', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  const seen = [];
  within(ns, 'added-before', () => emitter.on('event', () => seen.push(ns.get('k'))));
  ns.bindEmitter(emitter);
  within(ns, 'emitting', () => emitter.emit('event'));
  assert.deepEqual(seen, ['emitting']);
});

test('on, addListener, prependListener, once and prependOnceListener are all bound', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const seen = [];
  within(ns, 'on', () => emitter.on('event', () => seen.push(['on', ns.get('k')])));
  within(ns, 'addListener', () => emitter.addListener('event', () => seen.push(['addListener', ns.get('k')])));
  within(ns, 'prepend', () => emitter.prependListener('event', () => seen.push(['prepend', ns.get('k')])));
  within(ns, 'once', () => emitter.once('event', () => seen.push(['once', ns.get('k')])));
  within(ns, 'prependOnce', () => emitter.prependOnceListener('event', () => seen.push(['prependOnce', ns.get('k')])));
  within(ns, 'emitting', () => emitter.emit('event'));
  within(ns, 'emitting-again', () => emitter.emit('event'));
  assert.deepEqual(seen, [
    ['prependOnce', 'prependOnce'],
    ['prepend', 'prepend'],
    ['on', 'on'],
    ['addListener', 'addListener'],
    ['once', 'once'],
    ['prepend', 'prepend'],
    ['on', 'on'],
    ['addListener', 'addListener'],
  ]);
});

test('once listeners fire once, even when the event is re-emitted from inside a listener', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  let calls = 0;
  let reentered = false;
  emitter.on('event', () => {
    if (!reentered) {
      reentered = true;
      emitter.emit('event');
    }
  });
  within(ns, 'once', () => emitter.once('event', () => {
    calls += 1;
  }));
  emitter.emit('event');
  emitter.emit('event');
  assert.equal(calls, 1);
  assert.equal(emitter.listenerCount('event'), 1);
});

test('bound listeners are removable with the original function: removeListener, off, once, prepend', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const calls = [];
  const onListener = () => calls.push('on');
  const onceListener = () => calls.push('once');
  const prependListener = () => calls.push('prepend');
  within(ns, 'x', () => {
    emitter.on('event', onListener);
    emitter.once('event', onceListener);
    emitter.prependListener('event', prependListener);
  });
  assert.deepEqual(emitter.listeners('event'), [prependListener, onListener, onceListener], 'listeners() lists the originals');
  assert.equal(emitter.listenerCount('event'), 3);
  emitter.removeListener('event', onListener);
  emitter.off('event', onceListener);
  emitter.removeListener('event', prependListener);
  assert.equal(emitter.listenerCount('event'), 0);
  emitter.emit('event');
  assert.deepEqual(calls, []);
});

test('newListener and removeListener events report the original listener', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const reported = [];
  emitter.on('newListener', (event, listener) => event === 'event' && reported.push(['new', event, listener]));
  emitter.on('removeListener', (event, listener) => event === 'event' && reported.push(['removed', event, listener]));
  const listener = () => {};
  within(ns, 'x', () => emitter.on('event', listener));
  emitter.removeListener('event', listener);
  assert.deepEqual(reported, [['new', 'event', listener], ['removed', 'event', listener]]);
});

test('the same function added in two contexts runs once in each (cls-hooked keeps only the last context)', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const seen = [];
  function shared() {
    seen.push(ns.get('k'));
  }
  within(ns, 'first', () => emitter.on('event', shared));
  within(ns, 'second', () => emitter.on('event', shared));
  emitter.emit('event');
  assert.deepEqual(seen, ['first', 'second']);
});

test('events.once (the promise helper) works on a bound emitter and resolves in the waiting context', async () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  const waited = ns.runPromise(async () => {
    ns.set('k', 'waiter');
    const [value] = await once(emitter, 'ready');
    return [value, ns.get('k')];
  });
  within(ns, 'emitter', () => emitter.emit('ready', 42));
  assert.deepEqual(await waited, [42, 'waiter']);
  assert.equal(emitter.listenerCount('ready'), 0);
});

test('several namespaces on one emitter: each listener sees each namespace\'s adding context', () => {
  const a = fresh('a');
  const b = fresh('b');
  const c = fresh('c'); // never binds the emitter
  const emitter = new EventEmitter();
  a.bindEmitter(emitter);
  b.bindEmitter(emitter);
  a.bindEmitter(emitter); // binding twice changes nothing
  const seen = [];
  a.run(() => {
    a.set('k', 'a-add');
    b.run(() => {
      b.set('k', 'b-add');
      c.run(() => {
        c.set('k', 'c-add');
        emitter.on('event', () => seen.push([a.get('k'), b.get('k'), c.get('k')]));
      });
    });
  });
  c.run(() => {
    c.set('k', 'c-emit');
    a.run(() => {
      a.set('k', 'a-emit');
      emitter.emit('event');
      seen.push(['after', a.get('k'), c.get('k')]);
    });
  });
  assert.deepEqual(seen, [
    ['a-add', 'b-add', 'c-emit'],
    ['after', 'a-emit', 'c-emit'],
  ]);
});

test('a namespace bound after another only applies to listeners added after its own binding', () => {
  const a = fresh('a');
  const b = fresh('b');
  const emitter = new EventEmitter();
  a.bindEmitter(emitter);
  const seen = [];
  a.run(() => b.run(() => {
    a.set('k', 'a-add-1');
    b.set('k', 'b-add-1');
    emitter.on('event', () => seen.push(['first', a.get('k'), b.get('k')]));
  }));
  b.bindEmitter(emitter);
  a.run(() => b.run(() => {
    a.set('k', 'a-add-2');
    b.set('k', 'b-add-2');
    emitter.on('event', () => seen.push(['second', a.get('k'), b.get('k')]));
  }));
  b.run(() => {
    b.set('k', 'b-emit');
    emitter.emit('event');
  });
  assert.deepEqual(seen, [
    ['first', 'a-add-1', 'b-emit'],
    ['second', 'a-add-2', 'b-add-2'],
  ]);
});

test('an error thrown by a bound listener carries the listener\'s context', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  let context;
  within(ns, 'x', () => {
    context = ns.active;
    emitter.on('event', () => {
      throw new Error('listener failed');
    });
  });
  assert.throws(() => emitter.emit('event'), (error) => {
    assert.equal(error.message, 'listener failed');
    assert.equal(error['error@context'], context);
    return true;
  });
});

test('listener arguments and this are passed through, and emit still returns whether it had listeners', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  let received;
  within(ns, 'x', () => emitter.on('event', function (...args) {
    received = [this, args];
  }));
  assert.equal(emitter.emit('event', 1, 'two', { three: 3 }), true);
  assert.equal(received[0], emitter);
  assert.deepEqual(received[1], [1, 'two', { three: 3 }]);
  assert.equal(emitter.emit('nothing-here'), false);
});

test('a bad listener is still reported by the emitter itself', () => {
  const ns = fresh();
  const emitter = new EventEmitter();
  ns.bindEmitter(emitter);
  assert.throws(() => emitter.on('event', 'not a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => emitter.once('event', null), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('bound streams: data and end listeners added in a context see it while the stream flows later', async () => {
  const ns = fresh();
  const stream = new PassThrough();
  const seen = [];
  const finished = new Promise((resolve) => {
    ns.run(() => {
      ns.set('k', 'consumer');
      ns.bindEmitter(stream);
      stream.on('data', (chunk) => seen.push([chunk.toString(), ns.get('k')]));
      stream.on('end', () => resolve(ns.get('k')));
    });
  });
  within(ns, 'producer', () => {
    setImmediate(() => {
      stream.write('a');
      stream.end('b');
    });
  });
  assert.equal(await finished, 'consumer');
  assert.deepEqual(seen, [['a', 'consumer'], ['b', 'consumer']]);
});

test('piping a bound readable still works (internal listeners are added and removed through the patch)', async () => {
  const ns = fresh();
  const source = Readable.from(['x', 'y', 'z']);
  ns.bindEmitter(source);
  const sink = new PassThrough();
  const chunks = [];
  sink.on('data', (chunk) => chunks.push(chunk.toString()));
  await new Promise((resolve, reject) => {
    within(ns, 'pipe', () => {
      source.pipe(sink);
      sink.on('end', resolve);
      sink.on('error', reject);
    });
  });
  assert.deepEqual(chunks, ['x', 'y', 'z']);
  assert.equal(source.listenerCount('data'), 0, 'unpipe removed its data listener');
});
