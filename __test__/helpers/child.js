'use strict';
// Runs a child process to its end and collects what it printed. Shared by the tests that spawn
// scripts, npm or the CLI and then look at the exit and the output.

const { spawn } = require('node:child_process');

// Resolves { code, signal, stdout, stderr } once the child has exited and its pipes are closed;
// a child still running after `timeout` ms is killed (SIGKILL), so a hang fails the test instead
// of stalling the suite. Other options go to `spawn` (stdin is ignored).
function runToEnd(command, args, { timeout = 60_000, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

module.exports = { runToEnd };
