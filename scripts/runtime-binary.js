'use strict';
// Prints the path of a pinned Bun or Deno binary, installing the npm registry's package of it
// into .cache/<runtime>-<version>/ on first use (as node-binary.js does for Node).
// Usage: node scripts/runtime-binary.js bun|deno

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Pinned: docs/runtimes.md describes what these versions do. Bun's default linux-x64 build needs
// AVX2; its -baseline package runs on older x64 CPUs.
const RUNTIMES = {
  bun: { label: 'Bun', version: '1.4.5', package: (avx2) => (avx2 ? '@oven/bun-linux-x64' : '@oven/bun-linux-x64-baseline'), binary: ['bin', 'bun'] },
  deno: { label: 'Deno', version: '2.9.6', package: () => '@deno/linux-x64-glibc', binary: ['deno'] },
};

function hasAvx2() {
  try {
    return /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

function runtimeBinary(name) {
  const runtime = RUNTIMES[name];
  if (runtime === undefined) throw new Error(`runtime-binary: unknown runtime ${JSON.stringify(name)}; use one of ${Object.keys(RUNTIMES).join(', ')}`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`runtime-binary: only linux-x64 binaries are fetched; install ${runtime.label} ${runtime.version} yourself`);
  }
  const pkg = runtime.package(hasAvx2());
  const dir = path.join(__dirname, '..', '.cache', `${name}-${runtime.version}`);
  const binary = path.join(dir, 'node_modules', ...pkg.split('/'), ...runtime.binary);
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg}@${runtime.version}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return binary;
}

module.exports = { runtimeBinary, RUNTIMES };

if (require.main === module) process.stdout.write(`${runtimeBinary(process.argv[2])}\n`);
