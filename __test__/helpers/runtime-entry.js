'use strict';
// The entry through which scripts/test-runtimes.js runs one test file under Bun or Deno (both run
// node:test files). Loads the file named by NEC_RUNTIME_TEST_FILE with the top-level tests named
// in NEC_RUNTIME_LEFT_OUT (JSON: [[name, reason], ...]) skipped with their reason, then adds a
// test that fails when a left-out name matched no test (renamed or removed: the list is stale).

const nodeTest = require('node:test');
const path = require('node:path');

const file = path.resolve(process.env.NEC_RUNTIME_TEST_FILE);
const leftOut = new Map(JSON.parse(process.env.NEC_RUNTIME_LEFT_OUT || '[]'));
const matched = new Set();

const original = nodeTest.test;
function test(name, options, fn) {
  if (typeof name === 'string' && leftOut.has(name)) {
    matched.add(name);
    const skip = `left out on this runtime: ${leftOut.get(name)}`;
    if (typeof options === 'function') return original(name, { skip }, options);
    return original(name, { ...options, skip }, fn);
  }
  return Reflect.apply(original, this, arguments);
}
Object.assign(test, original); // test.skip, test.todo, ... as they were

nodeTest.test = test;
try {
  require(file);
} finally {
  nodeTest.test = original;
}

original(`every test left out of ${path.basename(file)} exists`, () => {
  const stale = [...leftOut.keys()].filter((name) => !matched.has(name));
  if (stale.length > 0) throw new Error(`no test is named: ${stale.map((name) => JSON.stringify(name)).join(', ')}`);
});
