'use strict';
// The HTTP load generator (autocannon), run as its own process.
// Usage: node load.js <port> <seconds> <connections>; prints `{"rps":R,"total":T,"errors":E}`.

const autocannon = require('autocannon');

const [port, seconds = '5', connections = '50'] = process.argv.slice(2);
autocannon({ url: `http://127.0.0.1:${port}/`, duration: Number(seconds), connections: Number(connections) }, (error, result) => {
  if (error) throw error;
  const errors = result.errors + result.non2xx + result.timeouts;
  process.stdout.write(`${JSON.stringify({ rps: result.requests.average, total: result.requests.total, errors })}\n`);
});
