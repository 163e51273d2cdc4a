'use strict';
// The cluster version: the primary keeps WORKERS workers running; a worker whose request failed
// disconnects (it stops accepting connections, finishes the requests in flight and exits) and
// the primary forks a replacement.
//   PORT=3000 WORKERS=2 node examples/domain-server/cluster.js

const cluster = require('node:cluster');

const PORT = Number(process.env.PORT) || 0;
const HOST = process.env.HOST || '127.0.0.1';

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS) || 2;
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('listening', (worker, address) => {
    console.log(`worker ${worker.process.pid} listening on http://${address.address}:${address.port}`);
  });
  cluster.on('disconnect', (worker) => {
    console.log(`worker ${worker.process.pid} disconnected; forking a replacement`);
    cluster.fork();
  });
  process.on('SIGTERM', () => {
    cluster.removeAllListeners('disconnect');
    for (const worker of Object.values(cluster.workers)) worker.process.kill();
    process.exit(0);
  });
} else {
  const { createServer } = require('./app');
  const server = createServer({
    onFatal() {
      setTimeout(() => process.exit(1), 30_000).unref();
      // Stops this worker's share of the listening socket; the primary forks a new worker.
      cluster.worker.disconnect();
    },
  });
  server.listen(PORT, HOST);
}
