'use strict';
// One benchmark process: the promise-heavy workload under one adapter.
// Usage: node workload-promise.js <adapter name> <requests> <concurrency>
// Each logical request runs in its own context and checks it after every await, an immediate,
// a nextTick and a timer. Prints one JSON line: { rps, wrong, requests }.

const { adapters } = require('./adapters');
const { drive } = require('./drive');
const { promiseRequest } = require('./promise-request');

const [name, requestsArg = '20000', concurrencyArg = '100'] = process.argv.slice(2);
const adapter = adapters[name]();
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
const { handle, wrong } = promiseRequest(adapter);

drive({ requests, concurrency, wrong, handle });
