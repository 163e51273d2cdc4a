'use strict';
// The HTTP load generator (autocannon), run as its own process.
// Usage: node load.js <port> <seconds> <connections> [requests]; prints
// `{"rps":R,"total":T,"errors":E}`. With `requests`, exactly that many are sent (the seconds are
// then ignored): instruction counts compare runs by the requests they served, not by time.

const autocannon = require('autocannon');

const [port, seconds = '5', connections = '50', requests] = process.argv.slice(2);
const limit = requests === undefined ? { duration: Number(seconds) } : { amount: Number(requests) };
autocannon({ url: `http://127.0.0.1:${port}/`, connections: Number(connections), ...limit }, (error, result) => {
  if (error) throw error;
  const errors = result.errors + result.non2xx + result.timeouts;
  process.stdout.write(`${JSON.stringify({ rps: result.requests.average, total: result.requests.total, errors })}\n`);
});
