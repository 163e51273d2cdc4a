'use strict';
// The package root: the node-execution-context drop-in. `require()` returns one ready instance,
// shared by every copy of this package loaded in the same thread.

module.exports = require('./lib/execution-context/shared').sharedInstance();
