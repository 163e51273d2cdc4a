'use strict';
// pino: every line carries the current request's context fields, through `mixin`.
const pino = require('pino');
const Context = require('native-execution-context');

const logger = pino({
  // Called for every line: the fields of the context current where the line is logged. A copy:
  // pino merges the line's own fields into the object mixin returns.
  mixin: () => (Context.exists() ? { ...Context.get() } : {}),
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handle(requestId, tenant, ms) {
  await Context.run(async () => {
    logger.info({ step: 1 }, 'started');
    await sleep(ms); // awaits, timers, callbacks: the context follows
    Context.update({ user: `user-of-${tenant}` });
    logger.info('loaded user');
  }, { requestId, tenant });
}

Promise.all([handle('r-1', 'acme', 20), handle('r-2', 'globex', 5)]).then(() => logger.info('done'));
