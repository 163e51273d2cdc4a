'use strict';
// Small helpers shared by the test files of the node-execution-context face.

const { before, after } = require('node:test');
const Context = require('../..');

// The context object current here, or undefined outside any context (never throws).
function current() {
  return Context.exists() ? Context.get() : undefined;
}

// The id of the current context, or 'none' outside any context.
function currentId() {
  return Context.exists() ? Context.get().id : 'none';
}

function delay(ms, value) {
  return new Promise((resolve) => setTimeout(resolve, ms, value));
}

// Misuse throws only outside production: pin NODE_ENV for the file, restore it afterwards.
function useNodeEnv(value) {
  const saved = process.env.NODE_ENV;
  before(() => {
    process.env.NODE_ENV = value;
  });
  after(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });
}

module.exports = { current, currentId, delay, useNodeEnv };
