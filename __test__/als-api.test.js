'use strict';

// native-execution-context/als: the synchronous API of AsyncLocalStorage as Node 24 documents it:
// options, name, run, getStore, exit, enterWith, withScope, disable, the static bind and
// snapshot, argument validation, and the package subpath (CommonJS and ESM).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const { AsyncLocalStorage } = require('native-execution-context/als');

const PACKAGE_ROOT = path.resolve(__dirname, '..');

function supportsUsing() {
  try {
    new Function('{ using scope = null; }'); // eslint-disable-line no-new-func
    return true;
  } catch {
    return false;
  }
}

test('the subpath resolves to lib/als and exports the class', () => {
  assert.equal(require.resolve('native-execution-context/als'), path.join(PACKAGE_ROOT, 'lib', 'als', 'index.js'));
  assert.equal(typeof AsyncLocalStorage, 'function');
  assert.equal(require('../lib/als').AsyncLocalStorage, AsyncLocalStorage);
});

test('ESM can import the named export from the subpath', () => {
  const script = `
    import { AsyncLocalStorage } from 'native-execution-context/als';
    const als = new AsyncLocalStorage({ name: 'esm' });
    const seen = als.run('esm-store', () => als.getStore());
    process.stdout.write(JSON.stringify([als.name, seen, als.getStore() ?? null]));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), ['esm', 'esm-store', null]);
});

test('getStore() is undefined outside any run, and defaultValue when one is given', () => {
  const plain = new AsyncLocalStorage();
  const withDefault = new AsyncLocalStorage({ defaultValue: { fallback: true } });
  assert.equal(plain.getStore(), undefined);
  assert.deepEqual(withDefault.getStore(), { fallback: true });
  assert.equal(withDefault.getStore(), withDefault.getStore(), 'the same default object every time');
});

test('name is the name option as a string, and an empty string without one', () => {
  assert.equal(new AsyncLocalStorage().name, '');
  assert.equal(new AsyncLocalStorage({}).name, '');
  assert.equal(new AsyncLocalStorage({ name: 'request' }).name, 'request');
  assert.equal(new AsyncLocalStorage({ name: 42 }).name, '42');
  assert.equal(new AsyncLocalStorage({ name: null }).name, 'null');
  const descriptor = Object.getOwnPropertyDescriptor(AsyncLocalStorage.prototype, 'name');
  assert.equal(typeof descriptor.get, 'function', 'a getter, as in Node');
  assert.equal(descriptor.set, undefined);
});

test('the constructor rejects options that are not an object, like Node 24', () => {
  for (const bad of [null, 1, 'x', true, [], () => {}]) {
    assert.throws(() => new AsyncLocalStorage(bad), (error) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.code, 'ERR_INVALID_ARG_TYPE');
      assert.match(error.message, /^The "options" argument must be of type object\. Received /);
      return true;
    }, `options ${String(bad)}`);
  }
  assert.throws(() => AsyncLocalStorage(), TypeError, 'a class: calling it without new throws');
  assert.doesNotThrow(() => new AsyncLocalStorage(undefined));
});

test('Node-style messages name the received value', () => {
  const messageFor = (value) => {
    try {
      AsyncLocalStorage.bind(value);
    } catch (error) {
      return error.message.replace('The "fn" argument must be of type function. Received ', '');
    }
    return 'no throw';
  };
  assert.equal(messageFor(5), 'type number (5)');
  assert.equal(messageFor('str'), "type string ('str')");
  assert.equal(messageFor(null), 'null');
  assert.equal(messageFor(undefined), 'undefined');
  assert.equal(messageFor({}), 'an instance of Object');
  assert.equal(messageFor([]), 'an instance of Array');
  assert.equal(messageFor(Symbol('s')), 'type symbol (Symbol(s))');
});

test('run returns the callback value, passes the extra arguments and calls it with this = null', () => {
  const als = new AsyncLocalStorage();
  const result = als.run('store', function (...args) {
    return { store: als.getStore(), args, self: this };
  }, 1, 'two', 3);
  assert.deepEqual(result, { store: 'store', args: [1, 'two', 3], self: null });
  assert.equal(als.getStore(), undefined, 'the previous frame is back after run');
});

test('run restores the previous store after a throw, and the error propagates unchanged', () => {
  const als = new AsyncLocalStorage();
  const error = new Error('boom');
  als.run('outer', () => {
    assert.throws(() => als.run('inner', () => {
      assert.equal(als.getStore(), 'inner');
      throw error;
    }), (thrown) => thrown === error);
    assert.equal(als.getStore(), 'outer');
  });
  assert.equal(als.getStore(), undefined);
});

test('run with undefined or with the default value is a real store, not "no store"', () => {
  const als = new AsyncLocalStorage({ defaultValue: 'default' });
  assert.equal(als.run(undefined, () => als.getStore()), undefined);
  assert.equal(als.run(null, () => als.getStore()), null);
  assert.equal(als.run('default', () => als.getStore()), 'default');
  assert.equal(als.getStore(), 'default');
});

test('run keeps stores by reference', () => {
  const als = new AsyncLocalStorage();
  const store = { id: 1 };
  als.run(store, () => {
    assert.equal(als.getStore(), store);
    als.getStore().touched = true;
  });
  assert.equal(store.touched, true);
});

test('run and exit reject a callback that is not a function with ERR_INVALID_ARG_TYPE', () => {
  const als = new AsyncLocalStorage();
  for (const call of [() => als.run('s', 'nope'), () => als.exit(42)]) {
    assert.throws(call, (error) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE' && /"callback"/.test(error.message));
  }
  assert.equal(als.getStore(), undefined, 'a rejected call leaves no store behind');
});

test('nested runs of two instances: each sees its own store and the other one\'s', () => {
  const a = new AsyncLocalStorage();
  const b = new AsyncLocalStorage();
  const seen = [];
  a.run('a1', () => {
    b.run('b1', () => {
      seen.push([a.getStore(), b.getStore()]);
      a.run('a2', () => {
        seen.push([a.getStore(), b.getStore()]);
        b.run('b2', () => seen.push([a.getStore(), b.getStore()]));
        seen.push([a.getStore(), b.getStore()]);
      });
      seen.push([a.getStore(), b.getStore()]);
    });
    seen.push([a.getStore(), b.getStore()]);
  });
  seen.push([a.getStore(), b.getStore()]);
  assert.deepEqual(seen, [
    ['a1', 'b1'],
    ['a2', 'b1'],
    ['a2', 'b2'],
    ['a2', 'b1'],
    ['a1', 'b1'],
    ['a1', undefined],
    [undefined, undefined],
  ]);
});

test('a run of one instance restores the whole frame: another instance\'s enterWith does not leak out of it', () => {
  const a = new AsyncLocalStorage();
  const b = new AsyncLocalStorage();
  b.run('b-outer', () => {
    a.run('a', () => {
      b.enterWith('b-entered');
      assert.equal(b.getStore(), 'b-entered');
    });
    assert.equal(b.getStore(), 'b-outer', 'Node restores only its own store here; we restore the frame');
    assert.equal(a.getStore(), undefined);
  });
});

test('exit runs the callback with getStore() undefined (not the default), returns its value, then restores', () => {
  const als = new AsyncLocalStorage({ defaultValue: 'default' });
  const other = new AsyncLocalStorage();
  other.run('other', () => {
    als.run('inside', () => {
      const result = als.exit(function (x, y) {
        return [als.getStore(), other.getStore(), x, y, this];
      }, 'x', 'y');
      assert.deepEqual(result, [undefined, 'other', 'x', 'y', null], 'exit leaves other instances alone');
      assert.equal(als.getStore(), 'inside');
    });
  });
  assert.equal(als.exit(() => als.getStore()), undefined);
  assert.throws(() => als.run('s', () => als.exit(() => {
    throw new RangeError('from exit');
  })), RangeError);
  assert.equal(als.getStore(), 'default');
});

test('enterWith sets the store for the rest of the synchronous execution', () => {
  const als = new AsyncLocalStorage();
  const outer = als.run('run', () => {
    als.enterWith('entered');
    const inside = als.getStore();
    als.enterWith('again');
    return [inside, als.getStore()];
  });
  assert.deepEqual(outer, ['entered', 'again']);
  assert.equal(als.getStore(), undefined, 'enterWith inside a run ends with the run');
});

test('enterWith in one event listener is seen by the next listener and after emit', () => {
  const { EventEmitter } = require('node:events');
  const als = new AsyncLocalStorage();
  const emitter = new EventEmitter();
  const seen = [];
  emitter.on('event', () => als.enterWith({ id: 'from-listener' }));
  emitter.on('event', () => seen.push(als.getStore()?.id));
  als.run({ id: 'run' }, () => {
    emitter.emit('event');
    seen.push(als.getStore()?.id);
  });
  assert.deepEqual(seen, ['from-listener', 'from-listener']);
  assert.equal(als.getStore(), undefined);
});

test('static bind runs the function in the frame of the bind call, with the caller\'s this and arguments', () => {
  const a = new AsyncLocalStorage();
  const b = new AsyncLocalStorage();
  function target(x, y) {
    return { a: a.getStore(), b: b.getStore(), self: this, args: [x, y] };
  }
  const bound = a.run('a-bound', () => b.run('b-bound', () => AsyncLocalStorage.bind(target)));
  const receiver = { receiver: true };
  const result = a.run('a-later', () => bound.call(receiver, 1, 2));
  assert.deepEqual(result, { a: 'a-bound', b: 'b-bound', self: receiver, args: [1, 2] });
  assert.equal(a.getStore(), undefined);
  assert.equal(bound.length, 2, 'length of the target, as in Node');
  assert.equal(bound.name, 'bound target');
  const boundOutside = AsyncLocalStorage.bind(() => a.getStore());
  assert.equal(a.run('inside', boundOutside), undefined, 'bound outside every run: no store when called inside one');
});

test('static bind rejects a non-function with ERR_INVALID_ARG_TYPE', () => {
  for (const bad of [undefined, null, 1, 'fn', {}]) {
    assert.throws(() => AsyncLocalStorage.bind(bad), (error) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_TYPE' && /"fn"/.test(error.message));
  }
});

test('static snapshot captures the frame; calling it later inside another frame runs the callback in the captured one', () => {
  const a = new AsyncLocalStorage();
  const b = new AsyncLocalStorage({ defaultValue: 'b-default' });
  const snapshot = a.run('captured', () => AsyncLocalStorage.snapshot());
  const result = a.run('current', () => b.run('b-current', () => {
    const inside = snapshot((x) => [a.getStore(), b.getStore(), x], 'arg');
    return [inside, a.getStore(), b.getStore()];
  }));
  assert.deepEqual(result, [['captured', 'b-default', 'arg'], 'current', 'b-current']);
  assert.equal(snapshot.length, 1);
  const empty = AsyncLocalStorage.snapshot();
  assert.equal(a.run('x', () => empty(() => a.getStore())), undefined);
  assert.throws(() => snapshot('not a function'), (error) => error.code === 'ERR_INVALID_ARG_TYPE');
});

test('snapshot restores the caller\'s frame after the callback returns or throws', () => {
  const als = new AsyncLocalStorage();
  const snapshot = als.run('snap', () => AsyncLocalStorage.snapshot());
  als.run('caller', () => {
    assert.throws(() => snapshot(() => {
      throw new Error('inside snapshot');
    }), /inside snapshot/);
    assert.equal(als.getStore(), 'caller');
    snapshot(() => als.enterWith('entered in snapshot'));
    assert.equal(als.getStore(), 'caller');
  });
});

test('withScope enters a store and dispose() restores this instance\'s previous one (only once)', () => {
  const a = new AsyncLocalStorage({ defaultValue: 'a-default' });
  const b = new AsyncLocalStorage();
  a.run('outer', () => {
    const scope = a.withScope('scoped');
    assert.equal(a.getStore(), 'scoped');
    b.enterWith('b-entered');
    scope.dispose();
    assert.equal(a.getStore(), 'outer');
    assert.equal(b.getStore(), 'b-entered', 'other instances are left as they are');
    a.enterWith('later');
    scope.dispose();
    assert.equal(a.getStore(), 'later', 'a second dispose does nothing');
  });
  const top = a.withScope('top');
  assert.equal(a.getStore(), 'top');
  top[Symbol.dispose]();
  assert.equal(a.getStore(), 'a-default', 'no store again: the default');
});

test('withScope works with `using`', { skip: !supportsUsing() && 'this Node has no `using` syntax' }, () => {
  const als = new AsyncLocalStorage();
  const run = new Function('als', `
    const seen = [];
    {
      using scope = als.withScope('with-using');
      seen.push(als.getStore());
    }
    seen.push(als.getStore());
    try {
      using scope = als.withScope('before-throw');
      throw new Error('x');
    } catch {
      seen.push(als.getStore());
    }
    return seen;
  `); // eslint-disable-line no-new-func
  assert.deepEqual(als.run('outer', () => run(als)), ['with-using', 'outer', 'outer']);
});

test('disable(): getStore() returns the default until the next run or enterWith, whose stores are new', () => {
  const als = new AsyncLocalStorage({ defaultValue: 'default' });
  const plain = new AsyncLocalStorage();
  als.run('first', () => {
    plain.run('plain', () => {
      als.disable();
      assert.equal(als.getStore(), 'default');
      assert.equal(plain.getStore(), 'plain', 'disable is per instance');
      assert.equal(als.run('second', () => als.getStore()), 'second', 'run works again after disable');
      assert.equal(als.getStore(), 'default', 'the disabled context stays exited after the new run');
      als.enterWith('entered');
      assert.equal(als.getStore(), 'entered');
    });
  });
  plain.disable();
  assert.equal(plain.getStore(), undefined);
  assert.equal(plain.run('again', () => plain.getStore()), 'again');
});

test('disable() twice, and disable() on an instance that never ran, are harmless', () => {
  const als = new AsyncLocalStorage();
  als.disable();
  als.disable();
  assert.equal(als.getStore(), undefined);
  assert.equal(als.run(1, () => als.getStore()), 1);
});

test('methods called on something that is not an AsyncLocalStorage throw a TypeError', () => {
  const { getStore, run } = AsyncLocalStorage.prototype;
  assert.throws(() => getStore.call({}), TypeError);
  assert.throws(() => run.call({}, 1, () => {}), TypeError);
});
