'use strict';
// winston: a format that adds the current request's context fields to every line.
const winston = require('winston');
const Context = require('native-execution-context');

// The line's own fields win over the context's.
const requestContext = winston.format((info) => (Context.exists() ? { ...Context.get(), ...info } : info));

const logger = winston.createLogger({
  format: winston.format.combine(requestContext(), winston.format.json()),
  transports: [new winston.transports.Console()],
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function handle(requestId, tenant, ms) {
  await Context.run(async () => {
    logger.info('started', { step: 1 });
    await sleep(ms); // awaits, timers, callbacks: the context follows
    Context.update({ user: `user-of-${tenant}` });
    logger.info('loaded user');
  }, { requestId, tenant });
}

Promise.all([handle('r-1', 'acme', 20), handle('r-2', 'globex', 5)]).then(() => logger.info('done'));
