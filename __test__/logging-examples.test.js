'use strict';
// The logging examples of docs/logging.md, run: examples/logging/*.js are executed and their
// log lines checked (each line stamped with its own request's context fields), and the code
// blocks of docs/logging.md must be those files, byte for byte, so the docs cannot rot.

const { test } = require('node:test');
const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');
const { runToEnd } = require('./helpers/child');

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples', 'logging');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// The example's stdout as parsed JSON lines (it must exit 0 and print nothing else).
async function logLines(file) {
  const { code, stdout, stderr } = await runToEnd(process.execPath, [path.join(EXAMPLES, file)], { cwd: ROOT, timeout: 30_000 });
  assert.equal(code, 0, stderr);
  assert.equal(stderr, '');
  return stdout.trim().split('\n').map((line) => JSON.parse(line));
}

// The lines of two interleaved requests, r-1 (tenant acme) and r-2 (tenant globex), then 'done'
// outside any request; `messageOf` reads the logger's message field.
function checkTwoRequests(lines, messageOf) {
  const pick = (requestId, message) => lines.filter((line) => line.requestId === requestId && messageOf(line) === message);
  for (const [requestId, tenant] of [['r-1', 'acme'], ['r-2', 'globex']]) {
    const [started] = pick(requestId, 'started');
    const [loaded] = pick(requestId, 'loaded user');
    assert.equal(started.tenant, tenant);
    assert.equal(started.step, 1);
    assert.equal(started.user, undefined);
    assert.equal(loaded.tenant, tenant);
    assert.equal(loaded.user, `user-of-${tenant}`);
    // A line's own fields never stick to the context (pino merges them into mixin's object).
    assert.equal(loaded.step, undefined);
  }
  // r-2 (5 ms) finished loading before r-1 (20 ms): the lines interleave, each with its own fields.
  assert.deepEqual(lines.map((line) => `${line.requestId ?? '-'} ${messageOf(line)}`), [
    'r-1 started',
    'r-2 started',
    'r-2 loaded user',
    'r-1 loaded user',
    '- done',
  ]);
}

test('pino: mixin stamps every line with the context of the request that logged it', async () => {
  checkTwoRequests(await logLines('pino.js'), (line) => line.msg);
});

test('winston: the format stamps every line with the context of the request that logged it', async () => {
  const lines = await logLines('winston.js');
  checkTwoRequests(lines, (line) => line.message);
  assert.ok(lines.every((line) => line.level === 'info'));
});

test('pino-http with Express: req.id is the context\'s request id, and lines logged without req carry it', async () => {
  const lines = await logLines('pino-http.js');
  const loaded = lines.filter((line) => line.msg === 'order loaded');
  const completed = lines.filter((line) => line.msg === 'request completed');
  assert.equal(loaded.length, 2);
  assert.equal(completed.length, 2);
  const byOrder = Object.fromEntries(loaded.map((line) => [line.order, line.requestId]));
  assert.equal(byOrder['7'], 'r-1'); // the x-request-id header
  assert.match(byOrder['8'], UUID); // none sent: /express made one
  for (const line of completed) {
    const order = line.req.url.split('/').pop();
    assert.equal(line.req.id, byOrder[order]);
    assert.equal(line.requestId, byOrder[order]);
    assert.equal(line.res.statusCode, 200);
    assert.equal(line.order, undefined);
  }
});

test('docs/logging.md shows every example, identical to its file', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'logging.md'), 'utf8');
  const shown = new Map();
  for (const match of doc.matchAll(/^\[examples\/logging\/([\w.-]+\.js)\]\(\.\.\/examples\/logging\/\1\)[^\n]*\n\n```js\n([\s\S]*?)^```$/gm)) {
    shown.set(match[1], match[2]);
  }
  const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.js')).sort();
  assert.deepEqual([...shown.keys()].sort(), files);
  for (const file of files) {
    assert.equal(shown.get(file), fs.readFileSync(path.join(EXAMPLES, file), 'utf8'), `docs/logging.md's copy of ${file}`);
  }
});
