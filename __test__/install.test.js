'use strict';
// The package as users get it: `npm pack` this package and this platform's binary package,
// install both into a fresh Express app (local tarballs, express from the npm cache where it is there), let the
// install script run (it must find the prebuilt binary through the platform package and not
// build), then serve concurrent requests with per-request context from CommonJS and from ESM.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const IS_WINDOWS = process.platform === 'win32';
const NPM = IS_WINDOWS ? 'npm.cmd' : 'npm';

// Same naming as the generated loader.
const { platformArchAbi } = require('../scripts/install');
const { runToEnd } = require('./helpers/child');

// npm, run from `cwd` with an environment free of the npm_* variables of an enclosing
// `npm test` (npm_config_local_prefix would point a nested npm at this checkout), and with no
// Rust toolchain on PATH, so nothing can quietly be built from source.
function cleanEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) continue;
    if (key === 'INIT_CWD') continue;
    env[key] = value;
  }
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH') || 'PATH';
  const nodeDir = path.dirname(process.execPath);
  env[pathKey] = (env[pathKey] || '')
    .split(path.delimiter)
    .filter((dir) => dir === nodeDir || !fs.existsSync(path.join(dir, IS_WINDOWS ? 'cargo.exe' : 'cargo')))
    .join(path.delimiter);
  return env;
}

async function run(command, args, { cwd, timeout = 60_000 } = {}) {
  const result = await runToEnd(command, args, { cwd, timeout, env: cleanEnv(), shell: IS_WINDOWS });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

async function pack(dir, destination) {
  const result = await run(NPM, ['pack', '--json', '--pack-destination', destination], { cwd: dir });
  assert.equal(result.code, 0, `npm pack in ${dir} failed:\n${result.output}`);
  const [info] = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')));
  return { tarball: path.join(destination, info.filename), files: info.files.map((file) => file.path) };
}

// An app that requests itself concurrently; each handler awaits timers and promises and answers
// with the ids it saw. It prints one JSON line and exits.
const CLIENT = `
const ids = Array.from({ length: 20 }, (_, i) => 'r-' + i);
async function drive(port) {
  const bodies = await Promise.all(ids.map(async (id) => {
    const response = await fetch('http://127.0.0.1:' + port + '/', { headers: { 'x-request-id': id } });
    return { id, body: await response.json() };
  }));
  const anonymous = await (await fetch('http://127.0.0.1:' + port + '/')).json();
  return { bodies, anonymous };
}
async function handler(req, res) {
  const seen = [Context.get().requestId];
  await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
  seen.push(Context.get().requestId);
  await Promise.resolve();
  seen.push(Context.get().requestId);
  res.json({ seen, exists: Context.exists() });
}
`;

const CJS_APP = `'use strict';
const express = require('express');
const Context = require('native-execution-context');
Context.configure({ monitor: true }); // loads the native tracker, so the addon must be found
${CLIENT}
const app = express();
// The README's middleware, by hand.
app.use((req, res, next) => {
  Context.run(next, { requestId: req.get('x-request-id') || 'generated' });
});
app.get('/', handler);
const server = app.listen(0, '127.0.0.1', async () => {
  const result = await drive(server.address().port);
  const addon = Object.keys(require.cache).filter((file) => file.endsWith('.node'));
  server.close();
  console.log(JSON.stringify({
    ...result,
    addon,
    resolved: require.resolve('native-execution-context'),
    outside: Context.exists(),
    sameInstance: require('native-execution-context') === Context,
  }));
});
`;

const ESM_APP = `import express from 'express';
import Context, { ExecutionContext, ExecutionContextError } from 'native-execution-context';
import { contextMiddleware } from 'native-execution-context/express';
import { createRequire } from 'node:module';
${CLIENT}
const require = createRequire(import.meta.url);
const app = express();
app.use(contextMiddleware());
app.get('/', handler);
const server = app.listen(0, '127.0.0.1', async () => {
  const result = await drive(server.address().port);
  server.close();
  console.log(JSON.stringify({
    ...result,
    outside: Context.exists(),
    sameInstance: require('native-execution-context') === Context,
    classes: typeof ExecutionContext === 'function' && Context instanceof ExecutionContext && typeof ExecutionContextError === 'function',
  }));
});
`;

function checkApp(result, name) {
  assert.equal(result.code, 0, `${name} app failed:\n${result.output}`);
  const report = JSON.parse(result.stdout.trim().split('\n').pop());
  assert.equal(report.bodies.length, 20);
  for (const { id, body } of report.bodies) {
    assert.deepEqual(body, { seen: [id, id, id], exists: true }, `${name}: request ${id} saw only its own id`);
  }
  assert.equal(report.outside, false, `${name}: no context outside the requests`);
  assert.equal(report.sameInstance, true, `${name}: require and import share one instance`);
  return report;
}

const npmVersion = spawnSync(NPM, ['--version'], { encoding: 'utf8', shell: IS_WINDOWS });
const npmMissing = npmVersion.status !== 0 ? 'npm is not available on PATH' : false;

test('install from packed tarballs into a fresh Express app, then serve from CommonJS and ESM', { skip: npmMissing, timeout: 90_000 }, async (t) => {
  const abi = platformArchAbi();
  const platformDir = path.join(ROOT, 'npm', abi);
  if (!fs.existsSync(path.join(platformDir, 'package.json'))) {
    t.skip(`no platform package npm/${abi} for this platform`);
    return;
  }
  const binaryName = `native-execution-context.${abi}.node`;
  const binary = path.join(ROOT, binaryName);
  assert.ok(fs.existsSync(binary), `${binaryName} must be built first (npm install or npm run build)`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nec-install-'));
  try {
    const packs = path.join(work, 'packs');
    fs.mkdirSync(packs);

    // The package itself: no binary inside, the platform package brings it.
    const main = await pack(ROOT, packs);
    assert.ok(main.files.includes('scripts/install.js') && main.files.includes('binding.js') && main.files.includes('bin/cli.js'));
    assert.deepEqual(main.files.filter((file) => file.endsWith('.node')), [], 'the main tarball carries no binary');
    // The stub folders that resolvers ignoring "exports" (Jest < 28, TypeScript's node10) go through.
    const stubs = Object.keys(require('../package.json').exports).filter((subpath) => subpath.startsWith('./') && subpath !== './package.json');
    assert.deepEqual(stubs.map((subpath) => `${subpath.slice(2)}/package.json`).filter((file) => !main.files.includes(file)), [], 'every subpath\'s stub folder is packed');

    // The platform package, with the binary built here.
    const platformCopy = path.join(work, `platform-${abi}`);
    fs.cpSync(platformDir, platformCopy, { recursive: true });
    fs.copyFileSync(binary, path.join(platformCopy, binaryName));
    const platform = await pack(platformCopy, packs);
    assert.ok(platform.files.includes(binaryName));

    const expressVersion = require('express/package.json').version; // installed here, so in the npm cache
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'nec-install-app',
          version: '1.0.0',
          private: true,
          dependencies: {
            express: expressVersion,
            'native-execution-context': `file:${path.relative(app, main.tarball).split(path.sep).join('/')}`,
            [`native-execution-context-${abi}`]: `file:${path.relative(app, platform.tarball).split(path.sep).join('/')}`,
          },
          // npm >= 11 asks for install scripts to be approved; older npm ignores this.
          allowScripts: { 'native-execution-context': true },
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(path.join(app, 'app.cjs'), CJS_APP);
    fs.writeFileSync(path.join(app, 'app.mjs'), ESM_APP);

    const install = await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], { cwd: app, timeout: 60_000 });
    assert.equal(install.code, 0, `npm install failed:\n${install.output}`);
    assert.match(install.output, /node scripts\/install\.js/, 'the install script ran');
    assert.doesNotMatch(install.output, /building the native addon|no prebuilt binary/, `the install script found the prebuilt binary:\n${install.output}`);
    const installed = path.join(app, 'node_modules', 'native-execution-context');
    assert.deepEqual(fs.readdirSync(installed).filter((file) => file.endsWith('.node') || file === 'target'), [], 'nothing was built in the package');

    const cjs = checkApp(await run(process.execPath, ['app.cjs'], { cwd: app, timeout: 20_000 }), 'CommonJS');
    assert.equal(cjs.resolved, path.join(installed, 'index.js'));
    assert.deepEqual(cjs.anonymous.seen, ['generated', 'generated', 'generated']);
    assert.deepEqual(cjs.addon, [fs.realpathSync(path.join(app, 'node_modules', `native-execution-context-${abi}`, binaryName))], 'the addon came from the platform package');

    const esm = checkApp(await run(process.execPath, ['app.mjs'], { cwd: app, timeout: 20_000 }), 'ESM');
    assert.equal(esm.classes, true);
    const [generated] = esm.anonymous.seen;
    assert.match(generated, /^[0-9a-f-]{36}$/, 'the express face generated an id');
    assert.deepEqual(esm.anonymous.seen, [generated, generated, generated]);

    // The CLI is linked as a bin.
    const bin = path.join(app, 'node_modules', '.bin', IS_WINDOWS ? 'native-execution-context.cmd' : 'native-execution-context');
    const help = await run(bin, ['--help'], { cwd: app, timeout: 20_000 });
    assert.equal(help.code, 0, help.output);
    assert.match(help.stdout, /Usage: native-execution-context monitor/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
