'use strict';

// Error routing of native-execution-context/domain inside one process: uncaught exceptions
// thrown by the callbacks, timers and emitters of a domain reach its 'error' listeners (with the
// documented decorations), and never the process's 'uncaughtException' listeners. A routing
// failure would surface as an uncaught exception and fail the test. What happens to errors that
// are not routed (exit code and message) is checked in child processes: domain-process.test.js.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const os = require('node:os');

const domain = require('../lib/domain');
const Context = require('..');

// Resolves with the first error the domain's 'error' listener gets, and what was active then.
function nextError(d) {
  return new Promise((resolve) => {
    d.once('error', (error) => resolve({ error, active: domain.active, context: Context.exists() ? Context.get() : undefined }));
  });
}

// Fails the test as soon as the process sees an uncaught exception while `fn`'s promise is
// pending (a routing failure), instead of waiting forever for the domain's handler.
async function withoutUncaught(fn) {
  let listener;
  const failed = new Promise((resolve, reject) => {
    listener = (error) => reject(new Error(`an uncaught exception reached the process: ${error && error.stack}`));
  });
  process.prependListener('uncaughtException', listener);
  try {
    return await Promise.race([fn(), failed]);
  } finally {
    process.removeListener('uncaughtException', listener);
  }
}

test('docs example: an error thrown in fs.open\'s callback, after nextTick and setTimeout inside run, reaches the handler', async () => {
  const d = domain.create();
  const caught = nextError(d);
  d.run(() => {
    process.nextTick(() => {
      setTimeout(() => { // Simulating some various async stuff
        fs.open('non-existent file', 'r', (er, fd) => {
          if (er) throw er;
          fs.closeSync(fd);
        });
      }, 10);
    });
  });
  const { error, active } = await withoutUncaught(() => caught);
  assert.equal(error.code, 'ENOENT');
  assert.equal(error.syscall, 'open');
  assert.equal(error.domain, d);
  assert.equal(error.domainThrown, true);
  assert.equal(error.domainEmitter, undefined);
  assert.equal(error.domainBound, undefined);
  assert.equal(Object.keys(error).includes('domain'), false, 'error.domain is not enumerable');
  assert.equal(active, null, 'the handler runs outside the failing domain');
});

test('docs example (bind): a throw in a bound fs.readFile callback goes to the domain', async () => {
  const d = domain.create();
  const file = path.join(os.tmpdir(), `nec-domain-bind-${process.pid}.json`);
  fs.writeFileSync(file, 'not json');
  try {
    const caught = nextError(d);
    function readSomeFile(filename, cb) {
      fs.readFile(filename, 'utf8', d.bind((er, data) => cb(er, data ? JSON.parse(data) : null)));
    }
    readSomeFile(file, () => assert.fail('the callback must not be reached'));
    const { error } = await withoutUncaught(() => caught);
    assert.ok(error instanceof SyntaxError);
    assert.equal(error.domain, d);
    assert.equal(error.domainThrown, true);
  } finally {
    fs.unlinkSync(file);
  }
});

test('docs example (intercept): the error argument and a throw in the callback both go to the domain', async () => {
  const d = domain.create();
  const file = path.join(os.tmpdir(), `nec-domain-intercept-${process.pid}.json`);
  fs.writeFileSync(file, '{"broken": ');
  let callback;
  function readSomeFile(filename, cb) {
    callback = (data) => cb(null, JSON.parse(data));
    fs.readFile(filename, 'utf8', d.intercept(callback));
  }
  try {
    const missing = nextError(d);
    readSomeFile(path.join(os.tmpdir(), 'nec-domain-no-such-file'), () => assert.fail('not called'));
    const first = await withoutUncaught(() => missing);
    assert.equal(first.error.code, 'ENOENT');
    assert.equal(first.error.domainBound, callback);
    assert.equal(first.error.domainThrown, false);
    assert.equal(first.error.domain, d);

    const thrown = nextError(d);
    readSomeFile(file, () => assert.fail('not called'));
    const second = await withoutUncaught(() => thrown);
    assert.ok(second.error instanceof SyntaxError);
    assert.equal(second.error.domainThrown, true);
    assert.equal(second.error.domainBound, undefined);
  } finally {
    fs.unlinkSync(file);
  }
});

test('throws from setTimeout, setInterval, setImmediate, nextTick, fs and promise-started timer callbacks go to the domain', async () => {
  const sources = {
    setTimeout: (fn) => setTimeout(fn, 1),
    setInterval: (fn) => {
      const interval = setInterval(() => {
        clearInterval(interval);
        fn();
      }, 1);
    },
    setImmediate: (fn) => setImmediate(fn),
    nextTick: (fn) => process.nextTick(fn),
    fs: (fn) => fs.stat(__filename, fn),
    promiseThenTimer: (fn) => Promise.resolve().then(() => setTimeout(fn, 1)),
  };
  for (const [name, schedule] of Object.entries(sources)) {
    const d = domain.create();
    const caught = nextError(d);
    d.run(() => schedule(() => {
      throw new Error(name);
    }));
    const { error } = await withoutUncaught(() => caught);
    assert.equal(error.message, name);
    assert.equal(error.domain, d);
    assert.equal(error.domainThrown, true);
  }
});

test('a listener of an emitter created in the domain throws: the error goes to the domain', async () => {
  const d = domain.create();
  const emitter = d.run(() => new EventEmitter());
  emitter.on('data', () => {
    throw new Error('listener');
  });
  const caught = nextError(d);
  setTimeout(() => emitter.emit('data'), 1); // emitted from outside every domain
  const { error, active } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'listener');
  assert.equal(error.domain, d);
  assert.equal(error.domainThrown, true);
  assert.equal(active, null);
});

test('a socket created in the domain: its unhandled \'error\' event goes to the domain with domainEmitter', async () => {
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const d = domain.create();
  const caught = nextError(d);
  let socket;
  d.run(() => {
    socket = net.connect(port, '127.0.0.1'); // nothing listens: ECONNREFUSED, no 'error' listener
  });
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.domain, d);
  assert.equal(error.domainEmitter, socket);
  assert.equal(error.domainThrown, false);
});

test('a synchronous throw inside run, inside a callback outside the domain, goes to the domain', async () => {
  const d = domain.create();
  const caught = nextError(d);
  setTimeout(() => {
    Context.run(() => d.run(() => {
      throw new Error('sync in run');
    }), { id: 'failing' });
  }, 1);
  const { error, context } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'sync in run');
  assert.equal(error.domain, d);
  assert.deepEqual(context, { id: 'failing' }, 'the handler runs in the failing context');
});

test('nested synchronous runs: an inner domain with no listener passes the error to the outer one', async () => {
  const outer = domain.create();
  const inner = domain.create();
  const caught = nextError(outer);
  setTimeout(() => outer.run(() => inner.run(() => {
    throw new Error('inner');
  })), 1);
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'inner');
  assert.equal(error.domain, outer);
});

test('an error handler that throws passes its error to the domain below it on the stack', async () => {
  const outer = domain.create();
  const inner = domain.create();
  inner.on('error', () => {
    throw new Error('from the inner handler');
  });
  const caught = nextError(outer);
  setTimeout(() => outer.run(() => inner.run(() => {
    throw new Error('original');
  })), 1);
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'from the inner handler');
  assert.equal(error.domain, outer);
});

test('the handler sees the failing request\'s context (Context.get) and no active domain', async () => {
  const d = domain.create();
  const caught = nextError(d);
  Context.run(() => d.run(() => setTimeout(() => {
    throw new Error('request failed');
  }, 1)), { requestId: 'r-42' });
  const { context, active } = await withoutUncaught(() => caught);
  assert.deepEqual(context, { requestId: 'r-42' });
  assert.equal(active, null);
});

test('errors of concurrent domains go to their own handlers', async () => {
  const domains = [domain.create(), domain.create(), domain.create()];
  const caught = domains.map((d) => nextError(d));
  domains.forEach((d, index) => d.run(() => setTimeout(() => {
    throw new Error(`domain ${index}`);
  }, 3 - index)));
  const results = await withoutUncaught(() => Promise.all(caught));
  assert.deepEqual(results.map(({ error }) => error.message), ['domain 0', 'domain 1', 'domain 2']);
  results.forEach(({ error }, index) => assert.equal(error.domain, domains[index]));
});

test('a promise handler runs in the domain where then() was called: its async throws go there', async () => {
  const d1 = domain.create();
  const d2 = domain.create();
  const wrong = [];
  d1.on('error', (error) => wrong.push(error));
  const caught = nextError(d2);
  let p;
  d1.run(() => {
    p = new Promise((resolve) => setTimeout(resolve, 1));
  });
  d2.run(() => p.then(() => setTimeout(() => {
    throw new Error('from then');
  }, 1)));
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.domain, d2);
  assert.deepEqual(wrong, []);
});

test('primitives thrown in a domain reach its handler as they are', async () => {
  const d = domain.create();
  const caught = nextError(d);
  d.run(() => setTimeout(() => {
    throw 'a string'; // eslint-disable-line no-throw-literal
  }, 1));
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error, 'a string');
});

test('a timer added with add() throws: the error goes to the domain (as documented)', async () => {
  const d = domain.create();
  const caught = nextError(d);
  const timer = setTimeout(() => {
    throw new Error('added timer');
  }, 1);
  d.add(timer);
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'added timer');
  assert.equal(error.domain, d);
  assert.equal(error.domainThrown, true);
});

test('an error thrown in an explicitly added request-like emitter\'s listener goes to its domain', async () => {
  const d = domain.create();
  const req = new EventEmitter();
  d.add(req);
  req.on('data', () => {
    throw new Error('bad chunk');
  });
  const caught = nextError(d);
  setImmediate(() => req.emit('data', 'chunk'));
  const { error } = await withoutUncaught(() => caught);
  assert.equal(error.message, 'bad chunk');
  assert.equal(error.domain, d);
});

test('the domain can keep working after an error: later errors are routed too', async () => {
  const d = domain.create();
  for (const label of ['first', 'second']) {
    const caught = nextError(d);
    d.run(() => setTimeout(() => {
      throw new Error(label);
    }, 1));
    const { error } = await withoutUncaught(() => caught);
    assert.equal(error.message, label);
  }
});
