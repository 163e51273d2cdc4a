'use strict';
// One benchmark process: the namespace workload (cls API) under one adapter.
// Usage: node workload-namespace.js <adapter name> <requests> <concurrency> [namespaces]
// Adapters: 'native-execution-context/cls', 'cls-hooked 4.2.2' (both expose the cls-hooked API).
// Each logical request runs in a context of the main namespace, sets 3 keys, opens a nested
// context that shadows one of them, and reads all of them after each of 20 awaits, a
// setImmediate and a setTimeout(0), inside and outside the nested context; every value that is
// not the request's own is counted as wrong. With [namespaces] > 1, every request also runs
// inside a context of each extra namespace (one key each), as when several libraries each keep
// a namespace: it shows how the cost of a hop grows with the number of namespaces.
// Prints one JSON line: { rps, wrong, requests }. `require` it for the adapter names only.

const path = require('node:path');
const { drive } = require('./drive');

const ROOT = path.join(__dirname, '..');

const adapters = {
  'native-execution-context/cls': () => require(path.join(ROOT, 'lib', 'cls')),
  'cls-hooked 4.2.2': () => require('cls-hooked'),
};

function runWorkload([name, requestsArg = '20000', concurrencyArg = '100', namespacesArg = '1']) {
  if (!adapters[name]) {
    process.stderr.write(`unknown adapter ${JSON.stringify(name)}; one of: ${Object.keys(adapters).join(', ')}\n`);
    process.exit(2);
  }
  const cls = adapters[name]();
  const requests = Number(requestsArg);
  const concurrency = Number(concurrencyArg);
  const namespaceCount = Math.max(1, Number(namespacesArg));
  const AWAITS = 20;

  const ns = cls.createNamespace('bench-main');
  const extras = Array.from({ length: namespaceCount - 1 }, (_, i) => cls.createNamespace(`bench-extra-${i}`));

  let wrong = 0;
  const expect = (actual, expected) => {
    if (actual !== expected) wrong += 1;
  };

  // Reads every key: requestId and user fall through from the request context in the nested one.
  function check(id, role) {
    expect(ns.get('requestId'), id);
    expect(ns.get('user'), `user-${id}`);
    expect(ns.get('role'), role);
  }

  async function handle(id) {
    ns.set('requestId', id);
    ns.set('user', `user-${id}`);
    ns.set('role', 'reader');
    for (let i = 0; i < AWAITS / 2; i++) {
      await Promise.resolve(i);
      check(id, 'reader');
    }
    await ns.runAndReturn(async () => {
      ns.set('role', `admin-${id}`);
      for (let i = 0; i < AWAITS / 2; i++) {
        await Promise.resolve(i);
        check(id, `admin-${id}`);
      }
      await new Promise((resolve) => setImmediate(resolve));
      check(id, `admin-${id}`);
    });
    check(id, 'reader');
    await new Promise((resolve) => setTimeout(resolve, 0));
    check(id, 'reader');
    for (let i = 0; i < extras.length; i++) expect(extras[i].get('n'), id);
  }

  // The request inside a context of every extra namespace, then of the main one.
  function request(id, index = 0) {
    if (index < extras.length) {
      return extras[index].runAndReturn(() => {
        extras[index].set('n', id);
        return request(id, index + 1);
      });
    }
    return new Promise((resolve, reject) => {
      ns.run(() => {
        handle(id).then(resolve, reject);
      });
    });
  }

  drive({ requests, concurrency, handle: request, wrong: () => wrong });
}

module.exports = { adapters: Object.keys(adapters) };

if (require.main === module) runWorkload(process.argv.slice(2));
