'use strict';
// The pattern node:domain's documentation recommends, on native-execution-context/domain.
//
// Every request runs in its own domain (and, for logging, its own execution context). An error
// thrown anywhere in the asynchronous work of one request (a timer, an fs callback, a stream
// listener) reaches that request's domain: it answers that request with a 500, stops accepting
// new connections (the requests in flight still finish), and tells its supervisor to start a
// fresh process, because after an unexpected throw the process state can no longer be trusted.

const http = require('node:http');
const fs = require('node:fs');
const { Readable } = require('node:stream');
const domain = require('native-execution-context/domain');
const Context = require('native-execution-context');

let lastRequestId = 0;

// Prefixes a line with the id of the request whose code is running, wherever it is called from.
function withRequestId(message) {
  const requestId = Context.exists() ? Context.get().requestId : '-';
  return `[request ${requestId}] ${message}`;
}

function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/hello') {
    setTimeout(() => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from ${process.pid}\n`);
    }, 5);
  } else if (url.pathname === '/slow') {
    setTimeout(() => res.end(`slow done after ${url.searchParams.get('ms')} ms\n`), Number(url.searchParams.get('ms')) || 200);
  } else if (url.pathname === '/crash') {
    // The documentation's chain: a tick, a timer, then an fs callback that throws.
    process.nextTick(() => {
      setTimeout(() => {
        fs.open('/this/file/does/not/exist', 'r', (error, fd) => {
          if (error) throw error;
          fs.closeSync(fd);
        });
      }, 10);
    });
  } else if (url.pathname === '/stream-error') {
    // An emitter created in the request's domain: its unhandled 'error' goes to the domain.
    const stream = new Readable({ read() {} });
    setTimeout(() => stream.destroy(new Error('the data source failed')), 5);
  } else {
    res.statusCode = 404;
    res.end('not found\n');
  }
}

/**
 * The HTTP server. `onFatal(error)` runs once the first request has failed and the server has
 * stopped listening: a cluster worker disconnects there, a standalone server arms a kill timer.
 * `log(line)` writes a line (default: stderr).
 */
function createServer({ onFatal = () => {}, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  let failed = false;
  const inFlight = new Set();
  const server = http.createServer((req, res) => {
    const requestId = String(++lastRequestId);
    // Once a request has failed, keep-alive connections close after their current response.
    if (failed) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    const requestDomain = domain.create();
    requestDomain.on('error', (error) => {
      // The domain's handler runs in the failing request's context: the log names the request.
      log(withRequestId(`failed: ${error.stack}`));
      try {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.setHeader('connection', 'close');
        res.end(`Internal Server Error (request ${requestId})\n`);
        if (!failed) {
          failed = true;
          // No new connections; the requests in flight finish, then the process can exit.
          server.close();
          for (const other of inFlight) if (!other.headersSent) other.setHeader('connection', 'close');
          onFatal(error);
        }
      } catch (error2) {
        log(withRequestId(`could not send the 500: ${error2.stack}`));
      }
    });
    // req and res were created by the server before this domain existed: bind them explicitly.
    requestDomain.add(req);
    requestDomain.add(res);
    Context.run(() => requestDomain.run(route, req, res), { requestId });
  });
  return server;
}

module.exports = { createServer };
