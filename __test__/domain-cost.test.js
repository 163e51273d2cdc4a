'use strict';

// Domains cost nothing to code that never creates one: requiring the module patches nothing and
// adds no hook or listener. The first Domain patches EventEmitter.init, EventEmitter.prototype.emit
// and process.emit (documented), still without any async hook or process listener, and emitters
// created outside domains stay untouched. Checked in a fresh child process.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');

const SCRIPT = `'use strict';
const PACKAGE = ${JSON.stringify(PACKAGE_ROOT)};
const EventEmitter = require('node:events');
const asyncHooks = require('node:async_hooks');
const Context = require(PACKAGE); // the engine and its one hook exist before we start counting

let hooksCreated = 0;
const createHook = asyncHooks.createHook;
asyncHooks.createHook = function (...args) { hooksCreated += 1; return createHook.apply(this, args); };

const original = { init: EventEmitter.init, emit: EventEmitter.prototype.emit, processEmit: process.emit };
const state = () => ({
  initPatched: EventEmitter.init !== original.init,
  emitPatched: EventEmitter.prototype.emit !== original.emit,
  processEmitPatched: process.emit !== original.processEmit,
  processHasOwnEmit: Object.prototype.hasOwnProperty.call(process, 'emit'),
  processEmitEnumerable: Object.keys(process).includes('emit'),
  usingDomains: EventEmitter.usingDomains,
  hooksCreated,
  uncaughtListeners: process.listenerCount('uncaughtException'),
  rejectionListeners: process.listenerCount('unhandledRejection'),
  // Node defines process.domain = null itself; node:domain would turn it into an accessor.
  processDomain: JSON.stringify(Object.getOwnPropertyDescriptor(process, 'domain') ?? 'absent'),
});
const emitterState = (emitter) => ({ ownDomain: Object.prototype.hasOwnProperty.call(emitter, 'domain'), keys: Object.getOwnPropertyNames(emitter).sort() });

const result = { before: state() };
const domain = require(PACKAGE + '/lib/domain');
result.afterRequire = state();
result.emitterAfterRequire = emitterState(Context.run(() => new EventEmitter(), {}));

const d = domain.create();
result.afterCreate = state();
const outside = new EventEmitter();
let received;
outside.on('event', (value) => { received = value; });
result.emitterOutside = emitterState(outside);
result.emitOutside = [outside.emit('event', 7), received, outside.emit('nothing')];
result.emitterInside = emitterState(d.run(() => new EventEmitter()));
console.log(JSON.stringify(result));
`;

test('requiring the module changes nothing; creating a domain patches three functions and adds no hook', () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, ['-e', SCRIPT], { env, encoding: 'utf8', timeout: 10_000 });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').pop());
  // The state once the package (and its engine) is loaded, before the domain module.
  const { before } = result;
  assert.equal(before.initPatched, false);
  assert.equal(before.emitPatched, false);
  assert.equal(before.usingDomains, false);
  assert.equal(before.hooksCreated, 0);
  assert.equal(before.uncaughtListeners, 0);
  assert.equal(before.rejectionListeners, 0);
  assert.doesNotMatch(before.processDomain, /"get"/, 'process.domain is Node\'s plain value');
  assert.deepEqual(result.afterRequire, before, 'require alone patches nothing');
  assert.equal(result.emitterAfterRequire.ownDomain, false);
  assert.deepEqual(result.afterCreate, {
    ...before,
    initPatched: true,
    emitPatched: true,
    processEmitPatched: true,
    processHasOwnEmit: true,
  }, 'no async hook, no process listener, no process.domain, process.emit not enumerable');
  assert.equal(result.emitterOutside.ownDomain, false, 'emitters created outside domains get no property');
  assert.deepEqual(result.emitterOutside.keys, ['_events', '_eventsCount', '_maxListeners']);
  assert.deepEqual(result.emitOutside, [true, 7, false]);
  assert.equal(result.emitterInside.ownDomain, true);
});
