'use strict';
// A standalone server: after the first failed request it stops accepting connections, lets the
// requests in flight finish and exits, so that its supervisor (systemd, a container runtime,
// `cluster.js` next to this file) starts a fresh process.
//   PORT=3000 node examples/domain-server/server.js

const { createServer } = require('./app');

const server = createServer({
  onFatal() {
    // Requests that never finish must not keep a broken process alive.
    setTimeout(() => process.exit(1), 30_000).unref();
    process.exitCode = 1;
  },
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on http://${address}:${port}`);
});
