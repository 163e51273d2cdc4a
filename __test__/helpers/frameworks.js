'use strict';
// What the framework tests share: a loopback client, the id a logger would print, and the
// number of live contexts once the event loop and the GC had their turn.

const http = require('node:http');
const { setTimeout: sleep } = require('node:timers/promises');
const Context = require('../..');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// A request on loopback; `body` may be a list of chunks, sent `gap` ms apart.
function request(port, { path = '/', method = 'GET', headers = {}, body, gap = 0, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(data);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, json, text: data, reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', reject);
    const chunks = body === undefined ? [] : [].concat(body);
    (async () => {
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0 && gap > 0) await sleep(gap);
        if (i === 0) req.flushHeaders();
        req.write(chunks[i]);
      }
      req.end();
    })().catch(reject);
  });
}

// What a logger deep in the app would print: the current request id, with no `req` in sight.
const currentId = () => (Context.exists() ? Context.get().requestId : null);

// POSTs {"name": id} to /body for each id at once, the second half of each body 40 ms after the
// headers (so the framework finishes reading it in a later socket callback); the responses.
function postLateBodies(port, ids) {
  return Promise.all(ids.map((id) => request(port, {
    path: '/body',
    method: 'POST',
    headers: { 'x-request-id': id, 'content-type': 'application/json', 'content-length': 11 + id.length },
    body: ['{"name":', `"${id}"}`],
    gap: 40,
  })));
}

// Live contexts of the shared instance, after the event loop and the GC had their turn.
async function liveContexts() {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    global.gc();
    await sleep(5);
  }
  await new Promise((resolve) => setImmediate(resolve));
  return Context.monitor().entries.length;
}

// Live contexts once they have drained to 0, or the count still live after `limitMs`.
async function liveContextsAfterDrain(limitMs = 3000) {
  const deadline = Date.now() + limitMs;
  let live = await liveContexts();
  while (live > 0 && Date.now() < deadline) {
    await sleep(50);
    live = await liveContexts();
  }
  return live;
}

module.exports = { UUID, request, currentId, liveContextsAfterDrain, postLateBodies };
