// @ts-check
// Compiled by types.test.js (allowJs, checkJs): plain JavaScript with `require`, the way most
// users (and their editors' IntelliSense) see the package.
'use strict';
const Context = require('native-execution-context');

/** @type {number} */
const value = Context.run(() => 1, { requestId: 'js' });
Context.configure({ monitor: true });
/** @type {{ requestId: string }} */
const current = Context.get();
const own = new Context.ExecutionContext();
own.run(() => own.exists(), {});

module.exports = { value, current };
