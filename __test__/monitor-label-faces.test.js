'use strict';
// A label function configured on the shared root instance (monitoring on for the whole thread)
// leaves the other faces alone: a /cls context still announces its 'end', and an error thrown in
// a /domain's timer still reaches the domain. The label is asked for only by reports, which see
// the cls and domain work under the root context it runs in.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');

const Context = require('..');
const cls = require('../lib/cls');
const domain = require('../lib/domain');

const labelled = [];
Context.configure({
  monitor: {
    label(context) {
      labelled.push(context.requestId);
      return `request ${context.requestId}`;
    },
  },
});
after(() => Context.configure({ monitor: false }));

// A promise bounded by a ref'd timer made here, outside every context.
function within(promise, what, ms = 3000) {
  let timer;
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

test('with a label function on the shared root: a cls end fires, a domain error is routed, the report is labelled', async () => {
  const ns = cls.createNamespace('monitor-label-faces');
  const d = domain.create();
  let ended;
  const end = new Promise((resolve) => (ended = resolve));
  const caught = new Promise((resolve) => d.once('error', resolve));
  let report;

  Context.run(() => {
    ns.run((ctx) => {
      ctx.on('end', () => ended('ended'));
      setTimeout(() => {}, 5);
    });
    d.run(() => {
      setTimeout(() => {
        throw new Error('from the domain');
      }, 1);
    });
    report = Context.monitor();
  }, { requestId: 'r-faces' });

  assert.deepEqual(report.entries.map((entry) => entry.label), ['request r-faces']);
  assert.deepEqual(labelled, ['r-faces']);
  assert.equal(await within(end, 'the cls end'), 'ended');
  const error = await within(caught, 'the domain error');
  assert.equal(error.message, 'from the domain');
  assert.equal(error.domain, d);
  assert.deepEqual(labelled, ['r-faces'], 'the label function is never called but by a report');
});
