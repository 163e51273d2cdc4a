'use strict';
// The floors of lib/ (docs/internals.md): every require points down, never sideways between
// faces. integrations -> faces -> shared -> engine -> native core (binding.js), and inside the
// engine only tracking (with its event log and label publication) loads the native core. bench/ reaches lib/ only through public entry
// points (package.json "exports") or the one engine entry, lib/engine/index.js.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

const FLOORS = {
  integration: 4, // built on the root face's shared instance
  face: 3,
  shared: 2,
  engine: 1,
  native: 0,
};
const INTEGRATIONS = ['express', 'koa', 'fastify', 'monitor', 'frameworks'];
const FACES = ['execution-context', 'cls', 'als', 'async-context', 'scoped', 'domain', 'otel'];

// { floor, unit } of a file: unit is the top folder under lib/ (one face, the engine, ...).
function placeOf(file) {
  if (file === path.join(ROOT, 'binding.js')) return { floor: 'native', unit: 'binding' };
  const relative = path.relative(LIB, file);
  if (relative.startsWith('..')) return { floor: 'outside', unit: relative };
  const unit = relative.split(path.sep)[0];
  if (unit === 'engine') return { floor: 'engine', unit };
  if (unit === 'shared') return { floor: 'shared', unit };
  if (FACES.includes(unit)) return { floor: 'face', unit };
  if (INTEGRATIONS.includes(unit)) return { floor: 'integration', unit };
  return { floor: 'unknown', unit };
}

function jsFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsFiles(full));
    else if (entry.name.endsWith('.js')) out.push(full);
  }
  return out;
}

// Relative requires of a file, resolved to files (comments are stripped first, so usage examples
// in comments do not count).
function relativeRequires(file) {
  const source = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const targets = [];
  for (const match of source.matchAll(/require\(\s*(['"])([^'"]+)\1\s*\)/g)) {
    const request = match[2];
    if (!request.startsWith('.')) continue;
    targets.push({ request, resolved: require.resolve(path.resolve(path.dirname(file), request)) });
  }
  return targets;
}

const edges = jsFiles(LIB).flatMap((file) => relativeRequires(file).map((target) => ({ from: file, ...target })));
const show = (edge) => `${path.relative(ROOT, edge.from)} -> ${edge.request}`;

test('every file under lib/ sits on a known floor', () => {
  const unknown = jsFiles(LIB).filter((file) => placeOf(file).floor === 'unknown');
  assert.deepEqual(unknown.map((file) => path.relative(ROOT, file)), []);
});

test('every require under lib/ points down a floor or stays inside its own unit', () => {
  const wrong = edges.filter((edge) => {
    const from = placeOf(edge.from);
    const to = placeOf(edge.resolved);
    if (to.floor === 'outside' || from.floor === 'unknown' || to.floor === 'unknown') return true;
    if (from.unit === to.unit) return false;
    // The framework integrations share their request-context helper, one floor with them.
    if (from.floor === 'integration' && to.unit === 'frameworks') return false;
    return FLOORS[to.floor] >= FLOORS[from.floor];
  });
  assert.deepEqual(wrong.map(show), []);
});

test('no face imports another face', () => {
  const sideways = edges.filter((edge) => {
    const from = placeOf(edge.from);
    const to = placeOf(edge.resolved);
    return from.floor === 'face' && to.floor === 'face' && from.unit !== to.unit;
  });
  assert.deepEqual(sideways.map(show), []);
});

test('the shared floor and the engine never reach up into faces or integrations', () => {
  const up = edges.filter((edge) => {
    const from = placeOf(edge.from).floor;
    const to = placeOf(edge.resolved).floor;
    return (from === 'shared' || from === 'engine') && (to === 'face' || to === 'integration');
  });
  assert.deepEqual(up.map(show), []);
});

test('only the engine\'s tracking and stall watchdog load the native core; only tracking the event log', () => {
  const engineFile = (name) => path.join(LIB, 'engine', name);
  const allowed = new Map([
    [path.join(ROOT, 'binding.js'), [engineFile('native.js')]],
    [engineFile('native.js'), [engineFile('tracking.js'), engineFile('event-log.js'), engineFile('publication.js'), engineFile('stall-watchdog.js')]],
    [engineFile('event-log.js'), [engineFile('tracking.js')]],
    // Tracking's label publication for other threads' reports: loaded with tracking, never before.
    [engineFile('publication.js'), [engineFile('tracking.js')]],
  ]);
  const wrong = edges.filter((edge) => allowed.has(edge.resolved) && !allowed.get(edge.resolved).includes(edge.from));
  assert.deepEqual(wrong.map(show), []);
});

test('outside lib/engine, only its index is required', () => {
  const inside = edges.filter((edge) => {
    const from = placeOf(edge.from);
    return from.unit !== 'engine' && placeOf(edge.resolved).unit === 'engine' && edge.resolved !== path.join(LIB, 'engine', 'index.js');
  });
  assert.deepEqual(inside.map(show), []);
});

// The argument texts of every require(...) call in `source`, joined (parentheses balanced).
function requireArguments(source) {
  const parts = [];
  for (const match of source.matchAll(/\brequire\(/g)) {
    let depth = 1;
    let i = match.index + match[0].length;
    const start = i;
    for (; i < source.length && depth > 0; i++) {
      if (source[i] === '(') depth += 1;
      else if (source[i] === ')') depth -= 1;
    }
    parts.push(source.slice(start, i - 1));
  }
  return parts.join('\n');
}

test('bench/ reaches lib/ only through public entry points or the engine entry', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const publicFiles = new Set(
    Object.values(pkg.exports)
      .flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
      .filter((target) => target.endsWith('.js'))
      .map((target) => path.join(ROOT, target)),
  );
  publicFiles.add(path.join(LIB, 'engine', 'index.js'));
  const wrong = [];
  for (const file of jsFiles(path.join(ROOT, 'bench'))) {
    const source = requireArguments(fs.readFileSync(file, 'utf8'));
    // 'lib/x/y' strings and path.join(..., 'lib', 'x', 'y') sequences inside require(...).
    const mentions = [
      ...[...source.matchAll(/['"`](?:\.\.\/)*lib\/([\w./-]+)['"`]/g)].map((m) => m[1]),
      ...[...source.matchAll(/['"]lib['"]((?:\s*,\s*['"][\w.-]+['"])+)/g)].map((m) => [...m[1].matchAll(/['"]([\w.-]+)['"]/g)].map((p) => p[1]).join('/')),
    ];
    for (const mention of mentions) {
      let resolved;
      try {
        resolved = require.resolve(path.join(LIB, mention));
      } catch {
        continue; // not a module path (a folder name in prose, say)
      }
      if (!publicFiles.has(resolved)) wrong.push(`${path.relative(ROOT, file)} -> lib/${mention}`);
    }
  }
  assert.deepEqual(wrong, []);
});
