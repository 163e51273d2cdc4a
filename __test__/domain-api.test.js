'use strict';

// native-execution-context/domain: the node:domain API as its documentation describes it
// (create, Domain, members, add, remove, bind, intercept, run, enter, exit, implicit binding,
// promise handler domains). Error routing of uncaught exceptions is in domain-errors.test.js;
// behaviour at process level (exit codes, messages) in domain-process.test.js.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const { Readable } = require('node:stream');

const domain = require('../lib/domain');
const Context = require('..');

const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

test('create() and createDomain() return Domains: EventEmitters with their own members array', () => {
  const d = domain.create();
  const e = domain.createDomain();
  assert.ok(d instanceof domain.Domain);
  assert.ok(d instanceof EventEmitter);
  assert.ok(e instanceof domain.Domain);
  assert.notEqual(d, e);
  assert.deepEqual(d.members, []);
  assert.notEqual(d.members, e.members);
  assert.equal(d.domain, null, 'a domain belongs to no other domain until added');
  assert.ok(new domain.Domain() instanceof EventEmitter);
});

test('the package resolves the subpath export to the same runtime', () => {
  assert.equal(require('native-execution-context/domain'), domain);
});

test('active is null outside every domain and the running domain inside run', () => {
  const d = domain.create();
  assert.equal(domain.active, null);
  const inside = d.run(() => domain.active);
  assert.equal(inside, d);
  assert.equal(domain.active, null);
});

test('run(fn, ...args) calls fn with the domain as this and the arguments, and returns its result', () => {
  const d = domain.create();
  const result = d.run(function (a, b) {
    assert.equal(this, d);
    return [a, b, arguments.length];
  }, 1, 'two');
  assert.deepEqual(result, [1, 'two', 2]);
});

test('run rejects a non-function with a TypeError and leaves no domain entered', () => {
  const d = domain.create();
  assert.throws(() => d.run(42), { name: 'TypeError', message: /domain\.run expects a function/ });
  assert.equal(domain.active, null);
});

test('a synchronous throw from run propagates to the caller, and the previous domain is active again', () => {
  const outer = domain.create();
  const inner = domain.create();
  outer.run(() => {
    assert.throws(() => inner.run(() => {
      throw new Error('sync');
    }), { message: 'sync' });
    assert.equal(domain.active, outer);
  });
  assert.equal(domain.active, null);
});

test('enter/exit keep a stack: exiting a domain exits the ones entered after it (node:domain docs)', () => {
  const a = domain.create();
  const b = domain.create();
  const c = domain.create();
  const names = new Map([[a, 'a'], [b, 'b'], [c, 'c'], [null, 'none']]);
  const active = () => names.get(domain.active);
  const seen = [];
  a.enter();
  b.enter();
  c.enter();
  seen.push(active());
  b.exit(); // exits c too
  seen.push(active());
  c.exit(); // not on the stack any more: nothing happens
  seen.push(active());
  a.exit();
  seen.push(active());
  a.enter();
  a.enter();
  a.exit(); // exits the last a only
  seen.push(active());
  a.exit();
  seen.push(active());
  assert.deepEqual(seen, ['c', 'a', 'a', 'none', 'a', 'none']);
});

test('exit of a domain that is not on the stack does nothing', () => {
  const a = domain.create();
  const stranger = domain.create();
  a.enter();
  stranger.exit();
  assert.equal(domain.active, a);
  a.exit();
  assert.equal(domain.active, null);
});

test('exit of an outer domain inside a nested run exits both until the nested run returns', () => {
  const outer = domain.create();
  const inner = domain.create();
  const seen = [];
  outer.run(() => {
    inner.run(() => {
      outer.exit();
      seen.push(domain.active);
    });
    seen.push(domain.active);
  });
  assert.deepEqual(seen, [null, outer]);
});

test('enter makes the domain active for work started afterwards; exit stops it for work started after it', async () => {
  const d = domain.create();
  const seen = [];
  d.enter();
  const inDomain = new Promise((resolve) => setTimeout(() => resolve(domain.active), 1));
  d.exit();
  const afterExit = new Promise((resolve) => setTimeout(() => resolve(domain.active), 1));
  seen.push(await inDomain, await afterExit);
  assert.deepEqual(seen, [d, null]);
});

test('enter and exit leave the values of the other faces (Context) as they are', () => {
  const d = domain.create();
  Context.run(() => {
    d.enter();
    assert.deepEqual(Context.get(), { id: 'ctx' });
    Context.update({ more: true });
    d.exit();
    assert.deepEqual(Context.get(), { id: 'ctx', more: true });
    d.run(() => assert.deepEqual(Context.get(), { id: 'ctx', more: true }));
  }, { id: 'ctx' });
});

test('an async continuation starts with only its own domain entered (as node:domain)', async () => {
  const outer = domain.create();
  const inner = domain.create();
  const seen = await new Promise((resolve) => {
    outer.run(() => inner.run(() => setTimeout(() => {
      const result = [domain.active === inner];
      outer.exit(); // outer is not on this continuation's stack: nothing happens
      result.push(domain.active === inner);
      inner.exit();
      result.push(domain.active);
      resolve(result);
    }, 1)));
  });
  assert.deepEqual(seen, [true, true, null]);
});

test('timers, immediates, ticks, fs and socket callbacks started in run run in the domain', async () => {
  const d = domain.create();
  const seen = {};
  await new Promise((resolve) => {
    d.run(() => {
      let pending = 6;
      const done = (name) => {
        seen[name] = domain.active === d;
        if (--pending === 0) resolve();
      };
      setTimeout(() => done('setTimeout'), 1);
      const interval = setInterval(() => {
        clearInterval(interval);
        done('setInterval');
      }, 1);
      setImmediate(() => done('setImmediate'));
      process.nextTick(() => done('nextTick'));
      fs.stat(__filename, () => done('fs.stat'));
      const server = net.createServer((socket) => socket.end('x')).listen(0, '127.0.0.1', () => {
        net.connect(server.address().port, '127.0.0.1').on('data', () => {}).on('close', () => {
          server.close();
          done('socket');
        });
      });
    });
  });
  assert.deepEqual(seen, {
    setTimeout: true, setInterval: true, setImmediate: true, nextTick: true, 'fs.stat': true, socket: true,
  });
  assert.equal(domain.active, null);
});

test('promise handlers run in the domain where then() was called, not where the promise was made', async () => {
  const d1 = domain.create();
  const d2 = domain.create();
  let p;
  d1.run(() => {
    p = Promise.resolve(42);
  });
  const seen = await new Promise((resolve) => {
    d2.run(() => {
      p.then((value) => resolve([value, domain.active]));
    });
  });
  assert.deepEqual(seen, [42, d2]);
});

test('a promise handler bound with d1.bind runs in d1 whatever domain called then() (docs example)', async () => {
  const d1 = domain.create();
  const d2 = domain.create();
  const p = d1.run(() => Promise.resolve(42));
  const seen = await new Promise((resolve) => {
    d2.run(() => {
      p.then(d1.bind((value) => resolve([value, domain.active])));
    });
  });
  assert.deepEqual(seen, [42, d1]);
});

test('await continuations of an async function started in run stay in the domain', async () => {
  const d = domain.create();
  const seen = await d.run(async () => {
    const before = domain.active;
    await tick();
    const afterTimer = domain.active;
    await null;
    return [before, afterTimer, domain.active];
  });
  assert.deepEqual(seen, [d, d, d]);
  assert.equal(domain.active, null);
});

test('bind returns runBound: calls the callback in the domain with this and arguments; .domain is the domain', () => {
  const d = domain.create();
  const receiver = { name: 'receiver' };
  const bound = d.bind(function (a, b) {
    return { self: this, args: [a, b], active: domain.active };
  });
  assert.equal(typeof bound, 'function');
  assert.equal(bound.name, 'runBound');
  assert.equal(bound.domain, d);
  assert.equal(Object.keys(bound).includes('domain'), false, 'domain is not enumerable');
  const result = bound.call(receiver, 1, 2);
  assert.equal(result.self, receiver);
  assert.deepEqual(result.args, [1, 2]);
  assert.equal(result.active, d);
  assert.equal(domain.active, null);
});

test('work started by a bound callback belongs to the domain', async () => {
  const d = domain.create();
  const bound = d.bind((resolve) => setTimeout(() => resolve(domain.active), 1));
  assert.equal(await new Promise((resolve) => bound(resolve)), d);
});

test('intercept: an Error first argument goes to the domain (decorated) and the callback is not called', () => {
  const d = domain.create();
  const errors = [];
  d.on('error', (error) => errors.push(error));
  let called = 0;
  const callback = () => {
    called += 1;
  };
  const intercepted = d.intercept(callback);
  assert.equal(intercepted.name, 'runIntercepted');
  const error = new Error('intercepted');
  assert.equal(intercepted(error, 'data'), undefined);
  assert.equal(called, 0);
  assert.deepEqual(errors, [error]);
  assert.equal(error.domain, d);
  assert.equal(error.domainBound, callback);
  assert.equal(error.domainThrown, false);
  assert.equal(Object.keys(error).includes('domain'), false, 'error.domain is not enumerable');
  assert.deepEqual(Object.keys(error).sort(), ['domainBound', 'domainThrown']);
});

test('intercept: otherwise the callback gets the arguments after the first, with this, in the domain', () => {
  const d = domain.create();
  const receiver = {};
  const calls = [];
  const intercepted = d.intercept(function (...args) {
    calls.push({ self: this, args, active: domain.active });
    return 'result';
  });
  assert.equal(intercepted.call(receiver, null, 'a', 'b'), 'result');
  intercepted(undefined, 'u');
  intercepted('not an Error', 1);
  intercepted();
  assert.deepEqual(calls.map((call) => call.args), [['a', 'b'], ['u'], [1], []]);
  assert.equal(calls[0].self, receiver);
  assert.ok(calls.every((call) => call.active === d));
});

test('add binds an emitter explicitly: members lists it, emitter.domain (not enumerable) is the domain', () => {
  const d = domain.create();
  const emitter = new EventEmitter();
  d.add(emitter);
  assert.deepEqual(d.members, [emitter]);
  assert.equal(emitter.domain, d);
  assert.equal(Object.keys(emitter).includes('domain'), false);
  d.add(emitter);
  assert.deepEqual(d.members, [emitter], 'adding twice adds once');
});

test('add moves an emitter from its previous domain; remove unbinds it', () => {
  const d1 = domain.create();
  const d2 = domain.create();
  const emitter = new EventEmitter();
  d1.add(emitter);
  d2.add(emitter);
  assert.deepEqual(d1.members, []);
  assert.deepEqual(d2.members, [emitter]);
  assert.equal(emitter.domain, d2);
  d2.remove(emitter);
  assert.deepEqual(d2.members, []);
  assert.equal(emitter.domain, null);
});

test('listeners of an added emitter run in its domain, wherever emit is called', () => {
  const d = domain.create();
  const emitter = new EventEmitter();
  const seen = [];
  emitter.on('event', (value) => seen.push([value, domain.active]));
  d.add(emitter);
  assert.equal(emitter.emit('event', 1), true);
  d.remove(emitter);
  emitter.emit('event', 2);
  assert.deepEqual(seen, [[1, d], [2, null]]);
});

test('an added emitter\'s unhandled \'error\' event goes to the domain, decorated', () => {
  const d = domain.create();
  const errors = [];
  d.on('error', (error) => errors.push([error, domain.active]));
  const emitter = new EventEmitter();
  d.add(emitter);
  const error = new Error('emitted');
  assert.equal(emitter.emit('error', error), false);
  assert.equal(errors.length, 1);
  assert.equal(errors[0][0], error);
  assert.equal(errors[0][1], null, 'the handler does not run in the failing domain');
  assert.equal(error.domain, d);
  assert.equal(error.domainEmitter, emitter);
  assert.equal(error.domainThrown, false);
  assert.deepEqual(Object.keys(error).sort(), ['domainEmitter', 'domainThrown']);
});

test('an emitter\'s own \'error\' listener gets the error first, undecorated', () => {
  const d = domain.create();
  const domainErrors = [];
  d.on('error', (error) => domainErrors.push(error));
  const emitter = d.run(() => new EventEmitter());
  const own = [];
  emitter.on('error', (error) => own.push(error));
  const error = new Error('own');
  emitter.emit('error', error);
  assert.deepEqual(own, [error]);
  assert.deepEqual(domainErrors, []);
  assert.equal(error.domain, undefined);
});

test('\'error\' with no argument reaches the domain as ERR_UNHANDLED_ERROR; a primitive as is', () => {
  const d = domain.create();
  const errors = [];
  d.on('error', (error) => errors.push(error));
  const emitter = d.run(() => new EventEmitter());
  emitter.emit('error');
  emitter.emit('error', 'a string');
  assert.equal(errors[0].code, 'ERR_UNHANDLED_ERROR');
  assert.equal(errors[0].message, 'Unhandled error.');
  assert.equal(errors[0].domainEmitter, emitter);
  assert.equal(errors[1], 'a string');
});

test('with no \'error\' listener in its domain, an emitter throws its \'error\' exactly as without domains', () => {
  const d = domain.create();
  const emitter = d.run(() => new EventEmitter());
  const error = new Error('nobody listens');
  assert.throws(() => emitter.emit('error', error), (thrown) => thrown === error);
  assert.equal(error.domain, undefined);
  assert.equal(error.domainEmitter, undefined);
});

test('implicit binding: emitters created in a domain belong to it (not as members), others do not', async () => {
  const d = domain.create();
  const inside = d.run(() => new EventEmitter());
  const stream = d.run(() => new Readable({ read() {} }));
  const later = await new Promise((resolve) => d.run(() => setTimeout(() => resolve(new EventEmitter()), 1)));
  const outside = new EventEmitter();
  assert.equal(inside.domain, d);
  assert.equal(stream.domain, d);
  assert.equal(later.domain, d);
  assert.equal(Object.keys(inside).includes('domain'), false);
  assert.equal(outside.domain, undefined);
  assert.deepEqual(d.members, [], 'implicitly bound emitters are not members');
});

test('domains created inside a domain are not implicitly nested', () => {
  const parent = domain.create();
  const child = parent.run(() => domain.create());
  assert.equal(child.domain, null);
  assert.deepEqual(parent.members, []);
});

test('explicit nesting: an added domain\'s unhandled \'error\' goes to its parent', () => {
  const parent = domain.create();
  const child = domain.create();
  const errors = [];
  parent.on('error', (error) => errors.push(error));
  parent.add(child);
  assert.equal(child.domain, parent);
  assert.deepEqual(parent.members, [child]);
  const error = new Error('from child');
  child.emit('error', error);
  assert.deepEqual(errors, [error]);
  assert.equal(error.domain, parent);
  assert.equal(error.domainEmitter, child);
});

test('circular domain membership is refused', () => {
  const a = domain.create();
  const b = domain.create();
  a.add(b);
  b.add(a); // would make a the child of its own child
  assert.equal(a.domain, null);
  assert.deepEqual(b.members, []);
});

test('add(timer): the timer\'s callback runs in the domain (docs); remove(timer) unbinds it', async () => {
  const d = domain.create();
  const seen = [];
  const first = setTimeout(() => seen.push(['added', domain.active]), 1);
  d.add(first);
  assert.deepEqual(d.members, [first]);
  assert.equal(first.domain, d);
  const second = setTimeout(() => seen.push(['removed', domain.active]), 2);
  d.add(second);
  d.remove(second);
  assert.deepEqual(d.members, [first]);
  await tick(10);
  assert.deepEqual(seen, [['added', d], ['removed', null]]);
});

test('add(interval): every repetition runs in the domain', async () => {
  const d = domain.create();
  const seen = [];
  await new Promise((resolve) => {
    const interval = setInterval(() => {
      seen.push(domain.active);
      if (seen.length === 3) {
        clearInterval(interval);
        resolve();
      }
    }, 1);
    d.add(interval);
  });
  assert.deepEqual(seen, [d, d, d]);
});

test('Context and the other faces keep their values inside domain callbacks and emitters', async () => {
  const d = domain.create();
  const emitter = new EventEmitter();
  d.add(emitter);
  const seen = [];
  emitter.on('event', () => seen.push(Context.get().id));
  await Context.run(async () => {
    d.run(() => seen.push(Context.get().id));
    d.bind(() => seen.push(Context.get().id))();
    emitter.emit('event');
    await new Promise((resolve) => d.run(() => setTimeout(() => {
      seen.push(Context.get().id);
      resolve();
    }, 1)));
  }, { id: 'request-1' });
  assert.deepEqual(seen, ['request-1', 'request-1', 'request-1', 'request-1']);
});

test('the runtime is shared by every copy of the module in the thread', () => {
  const key = Symbol.for('native-execution-context.domain@1');
  assert.equal(globalThis[key], domain);
  const path = require.resolve('../lib/domain');
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    assert.equal(require('../lib/domain'), domain);
  } finally {
    require.cache[path] = cached;
  }
});
