#!/usr/bin/env node
'use strict';
// native-execution-context CLI.
//
//   npx native-execution-context monitor [--interval <ms>] [--stuck <ms>] [--stalls <ms>] <script> [script args...]
//
// Runs `node <script>` with monitoring on for the shared instance (a `--require` preload) and
// prints the live contexts to stderr every interval and when the script exits. Node flags for the
// script go in NODE_OPTIONS. The CLI exits like the script (same code, or the same signal).

const { spawn } = require('child_process');
const path = require('path');

const USAGE = `Usage: native-execution-context monitor [options] <script> [script arguments...]

Runs <script> with node, with monitoring on for the shared native-execution-context instance,
and prints its live contexts (oldest first, with their pending async resources) to stderr every
interval and when the script exits.

Options (before <script>):
  --interval <ms>   time between reports; 0 reports only at exit (default 5000)
  --stuck <ms>      age from which a context is flagged "stuck?" (default 5000)
  --stalls <ms>     also run the stall watchdog: a line on stderr names the context that
                    blocks the event loop for longer than <ms> (10 or more; default off)
  -h, --help        this help

Node flags for the script go in NODE_OPTIONS, e.g. NODE_OPTIONS=--enable-source-maps.`;

function fail(message) {
  process.stderr.write(`native-execution-context: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseMonitorArgs(args) {
  const options = { interval: 5000, stuck: 5000, stalls: 0 };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      i += 1;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!arg.startsWith('-')) break;
    const match = /^--(interval|stuck|stalls)(?:=(.*))?$/.exec(arg);
    if (match === null) fail(`unknown option ${arg}`);
    let value = match[2];
    if (value === undefined) {
      i += 1;
      value = args[i];
      if (value === undefined) fail(`--${match[1]} needs a value in milliseconds`);
    }
    const ms = Number(value);
    if (value.trim() === '' || !Number.isFinite(ms) || ms < 0) fail(`--${match[1]} must be a number of milliseconds >= 0, got ${JSON.stringify(value)}`);
    if (match[1] === 'stalls' && ms < 10) fail(`--stalls must be at least 10 ms, got ${JSON.stringify(value)}`);
    options[match[1]] = ms;
  }
  if (i >= args.length) fail('missing <script>');
  return { options, script: args[i], scriptArgs: args.slice(i + 1) };
}

function monitor(args) {
  const { options, script, scriptArgs } = parseMonitorArgs(args);
  const preload = path.join(__dirname, '..', 'lib', 'monitor', 'preload.js');
  const child = spawn(process.execPath, ['--require', preload, script, ...scriptArgs], {
    stdio: 'inherit',
    env: {
      ...process.env,
      NATIVE_EXECUTION_CONTEXT_MONITOR_INTERVAL: String(options.interval),
      NATIVE_EXECUTION_CONTEXT_MONITOR_STUCK: String(options.stuck),
      NATIVE_EXECUTION_CONTEXT_MONITOR_STALLS: String(options.stalls),
    },
  });

  // Ctrl-C reaches the script directly (same process group): the CLI only waits for it to end.
  // SIGTERM and SIGHUP are usually sent to this process alone: pass them on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

  child.on('error', (error) => {
    process.stderr.write(`native-execution-context: could not start ${process.execPath}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code);
  });
}

function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) fail('missing command');
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (command === 'monitor') monitor(rest);
  else fail(`unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2));
