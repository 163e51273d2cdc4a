'use strict';
// Preloaded (`node --require`) by `native-execution-context monitor <script>`: turns monitoring on
// for the shared instance before the script runs, then writes `formatMonitor(monitor())` to
// stderr every interval and once more when the process exits (or is stopped by SIGINT/SIGTERM).
// Settings come from the CLI through the environment:
//   NATIVE_EXECUTION_CONTEXT_MONITOR_INTERVAL   ms between reports (0: only at exit; default 5000)
//   NATIVE_EXECUTION_CONTEXT_MONITOR_STUCK      age in ms from which a context is `stuck?` (5000)
//   NATIVE_EXECUTION_CONTEXT_MONITOR_STALLS     stall watchdog threshold in ms (0: no watchdog)
// The main thread reports every thread (monitor({ threads: 'all' })): its own contexts and those
// of each worker thread that turned monitoring on for itself (workers have instances of their
// own; this preload, which workers inherit, changes nothing in them). The first report wakes
// them to publish their contexts and labels (lib/engine/publication.js): from the second report
// on they are current.

const fs = require('fs');
const { isMainThread } = require('worker_threads');

function milliseconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

if (isMainThread) {
  const { sharedInstance } = require('../execution-context/shared');
  const { formatMonitor } = require('./index');

  // Node creates the stdout and stderr streams on first use, which can be inside a request (a
  // console.log, or Node itself on a socket's destroy): their handle would then count as that
  // request's for good. Create them here, outside every context.
  void process.stdout;
  void process.stderr;

  const instance = sharedInstance();
  instance.configure({ monitor: true });
  const interval = milliseconds('NATIVE_EXECUTION_CONTEXT_MONITOR_INTERVAL', 5000);
  const stuckAfter = milliseconds('NATIVE_EXECUTION_CONTEXT_MONITOR_STUCK', 5000);
  const stalls = milliseconds('NATIVE_EXECUTION_CONTEXT_MONITOR_STALLS', 0);
  // Its line goes to stderr from the watchdog's own thread, while the script is blocked.
  if (stalls > 0) instance.watchStalls({ thresholdMs: stalls });

  const print = (when) => {
    let text;
    try {
      text = formatMonitor(instance.monitor({ threads: 'all' }), { stuckAfter, title: `native-execution-context monitor (${when})` });
    } catch (error) {
      text = `native-execution-context monitor: no report (${error && error.message})`;
    }
    // Synchronous, so the report at exit is complete before the process goes.
    fs.writeSync(2, `${text}\n`);
  };

  // Opened here, outside every context: never counted as anyone's work, never keeps the
  // process alive.
  if (interval > 0) setInterval(() => print(`every ${interval}ms`), interval).unref();
  process.on('exit', () => print('at exit'));

  // A stuck server is usually stopped with Ctrl-C, which skips 'exit': report first. When the
  // script has no handler of its own, do what Node would have done without ours.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, function reportOnSignal() {
      print(signal);
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, reportOnSignal);
        process.kill(process.pid, signal);
      }
    });
  }
}
