//! The stall watchdog: a native thread per watched environment that notices when the event loop
//! has not turned for a threshold, while JavaScript on that thread cannot speak.
//!
//! JS and this thread share a few `f64` cells in native memory (an external ArrayBuffer over
//! `Shared::cells`), so that writing them costs JS a typed-array store, not a call:
//! - JS bumps `BEAT` from an unref'd interval every `beat_ms`: while it changes, the loop turns.
//! - At every callback start (an async_hooks `before`) and every synchronous context switch (a
//!   face's `run`), JS writes the frame now current, the callback's async id and type code, the
//!   context's birth time and the frame that names it, and bumps `SEQ`.
//! - This thread wakes every `poll_ms`. When `BEAT` has not changed for more than
//!   `threshold_ms + beat_ms`, the loop is stalled: the heartbeat can lag a turn by at most
//!   `beat_ms`, so a stall shorter than the threshold is never reported. It then snapshots the
//!   cells (JS is blocked, so they hold still), writes one line to stderr, and bumps `STALLS`, which
//!   the blocked thread reads at its next callback to call `onStall` with the context's value.
//!
//! This thread never touches V8 or the environment: everything it reads is in `Shared`, which it
//! co-owns (an `Arc`), so neither the ArrayBuffer's collection nor the environment's teardown can
//! free memory under it. `stop` wakes it at once through a condition variable and joins it.

// SAFETY: this module's one unsafe block is `cells` below (an external ArrayBuffer over memory
// this module owns); lib.rs denies unsafe code everywhere but here, applier.rs and frame_refs.rs.
#![allow(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use napi::bindgen_prelude::Float64Array;
use napi::{Env, Error, Result, Status};

// Cell indexes (exported to JS by `stall_layout`, so the two sides cannot drift).
pub const MAGIC: usize = 0; // written here at open; JS checks it sees it (the memory is shared)
pub const ACK: usize = 1; // written by JS with MAGIC's value; checked here before the thread starts
pub const BEAT: usize = 2;
pub const SEQ: usize = 3;
pub const FRAME: usize = 4;
pub const ASYNC_ID: usize = 5;
pub const TYPE: usize = 6;
pub const BORN: usize = 7;
pub const LABEL_FRAME: usize = 8;
pub const STALLS: usize = 9;
pub const STALL_FRAME: usize = 10;
pub const STALL_START: usize = 11;
pub const STALL_ASYNC_ID: usize = 12;
pub const STALL_TYPE: usize = 13;
pub const STALL_BORN: usize = 14;
pub const CELLS: usize = 15;

/// Labels kept for stderr lines; the oldest go first (a label is only needed while its context runs).
const MAX_LABELS: usize = 4096;

struct Labels {
  by_frame: HashMap<u64, String>,
  order: VecDeque<u64>,
}

struct Shared {
  cells: Box<[AtomicU64]>,
  stop: Mutex<bool>,
  wake: Condvar,
  threshold_ms: f64,
  beat_ms: f64,
  poll_ms: f64,
  stderr: bool,
  thread_id: u32,
  /// `performance.now()` on the watched thread at `clock_base`: both read CLOCK_MONOTONIC, so
  /// this thread can stamp times in JS's clock.
  clock_base_ms: f64,
  clock_base: Instant,
  labels: Mutex<Labels>,
  type_names: Mutex<Vec<String>>,
}

impl Shared {
  fn get(&self, cell: usize) -> f64 {
    f64::from_bits(self.cells[cell].load(Ordering::Relaxed))
  }

  fn set(&self, cell: usize, value: f64) {
    self.cells[cell].store(value.to_bits(), Ordering::Relaxed);
  }

  fn now_ms(&self) -> f64 {
    self.clock_base_ms + self.clock_base.elapsed().as_secs_f64() * 1000.0
  }

  fn stopped(&self) -> bool {
    *lock(&self.stop)
  }

  /// Sleeps `poll_ms` or until `stop`; returns whether to stop.
  fn sleep(&self) -> bool {
    let guard = lock(&self.stop);
    if *guard {
      return true;
    }
    let (guard, _) = self
      .wake
      .wait_timeout(guard, Duration::from_secs_f64(self.poll_ms / 1000.0))
      .unwrap_or_else(|poisoned| poisoned.into_inner());
    *guard
  }

  fn label(&self, frame: u64) -> Option<String> {
    let labels = lock(&self.labels);
    labels.by_frame.get(&frame).cloned()
  }

  fn type_name(&self, code: f64) -> String {
    let names = lock(&self.type_names);
    if code >= 0.0 && (code as usize) < names.len() {
      names[code as usize].clone()
    } else {
      "unknown type".to_owned()
    }
  }
}

/// A mutex's guard, poisoned or not: a panic elsewhere must not stop the watchdog or its stop.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
  mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Watchdog {
  shared: Arc<Shared>,
  thread: Option<JoinHandle<()>>,
}

impl Watchdog {
  fn stop(&mut self) {
    *lock(&self.shared.stop) = true;
    self.shared.wake.notify_all();
    if let Some(thread) = self.thread.take() {
      let _ = thread.join();
    }
  }
}

static WATCHDOGS: LazyLock<DashMap<u32, Watchdog>> = LazyLock::new(DashMap::new);
static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

pub struct Options {
  pub threshold_ms: f64,
  pub beat_ms: f64,
  pub poll_ms: f64,
  pub stderr: bool,
  pub thread_id: u32,
  pub clock_now_ms: f64,
}

/// Opens a watchdog (its thread starts with `start`, once JS has acknowledged the shared cells).
pub fn open(env: &Env, options: Options) -> Result<u32> {
  for (name, value) in [("threshold", options.threshold_ms), ("beat", options.beat_ms), ("poll", options.poll_ms)] {
    if !(value.is_finite() && value > 0.0) {
      return Err(Error::new(Status::InvalidArg, format!("native-execution-context: stall watchdog {name} must be a positive number of ms, got {value}")));
    }
  }
  let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
  let cells: Box<[AtomicU64]> = (0..CELLS).map(|_| AtomicU64::new(0)).collect();
  let shared = Arc::new(Shared {
    cells,
    stop: Mutex::new(false),
    wake: Condvar::new(),
    threshold_ms: options.threshold_ms,
    beat_ms: options.beat_ms,
    poll_ms: options.poll_ms,
    stderr: options.stderr,
    thread_id: options.thread_id,
    clock_base_ms: options.clock_now_ms,
    clock_base: Instant::now(),
    labels: Mutex::new(Labels { by_frame: HashMap::new(), order: VecDeque::new() }),
    type_names: Mutex::new(Vec::new()),
  });
  shared.set(MAGIC, f64::from(id) + 0.5);
  shared.set(TYPE, -1.0);
  WATCHDOGS.insert(id, Watchdog { shared, thread: None });
  // A worker's termination (or the main thread's teardown) stops the thread before the
  // environment goes; `stop` from JS removes the hook's target first, making this a no-op.
  env.add_env_cleanup_hook(id, |id| {
    if let Some((_, mut watchdog)) = WATCHDOGS.remove(&id) {
      watchdog.stop();
    }
  })?;
  Ok(id)
}

fn with<T>(id: u32, f: impl FnOnce(&mut Watchdog) -> Result<T>) -> Result<T> {
  let mut watchdog = WATCHDOGS
    .get_mut(&id)
    .ok_or_else(|| Error::new(Status::InvalidArg, format!("native-execution-context: no stall watchdog with id {id}")))?;
  f(&mut watchdog)
}

/// The shared cells as a Float64Array over native memory. The ArrayBuffer co-owns them.
pub fn cells(id: u32) -> Result<Float64Array> {
  with(id, |watchdog| {
    // `data` points to CELLS 8-byte cells owned by `keep`, which the finalizer drops, so the
    // memory lives as long as the ArrayBuffer (and as long as the thread, which holds its own
    // Arc). AtomicU64 has u64's layout; JS stores whole aligned 8-byte values, which this side
    // reads with atomic loads.
    let keep = Arc::clone(&watchdog.shared);
    let data = keep.cells.as_ptr() as *mut f64;
    // SAFETY: see above: valid, aligned, CELLS long, and alive until the finalizer runs.
    Ok(unsafe { Float64Array::with_external_data(data, CELLS, move |_, _| drop(keep)) })
  })
}

/// Starts the thread, once JS has written MAGIC's value to ACK through its view: if the runtime
/// copied the buffer instead of sharing it, the thread would see no heartbeat and cry wolf.
pub fn start(id: u32) -> Result<()> {
  with(id, |watchdog| {
    let shared = Arc::clone(&watchdog.shared);
    if shared.get(ACK) != shared.get(MAGIC) {
      return Err(Error::new(Status::GenericFailure, "native-execution-context: this runtime copies external buffers, so the stall watchdog cannot share memory with JavaScript".to_owned()));
    }
    if watchdog.thread.is_some() {
      return Ok(());
    }
    let thread = std::thread::Builder::new()
      .name("nec-stall-watchdog".to_owned())
      .spawn(move || watch(&shared))
      .map_err(|error| Error::new(Status::GenericFailure, format!("native-execution-context: cannot start the stall watchdog thread: {error}")))?;
    watchdog.thread = Some(thread);
    Ok(())
  })
}

pub fn stop(id: u32) -> Result<()> {
  if let Some((_, mut watchdog)) = WATCHDOGS.remove(&id) {
    watchdog.stop();
  }
  Ok(())
}

pub fn set_label(id: u32, frame: f64, label: String) -> Result<()> {
  with(id, |watchdog| {
    let mut labels = lock(&watchdog.shared.labels);
    let frame = frame as u64;
    if labels.by_frame.insert(frame, label).is_none() {
      labels.order.push_back(frame);
      while labels.order.len() > MAX_LABELS {
        if let Some(oldest) = labels.order.pop_front() {
          labels.by_frame.remove(&oldest);
        }
      }
    }
    Ok(())
  })
}

pub fn set_type_name(id: u32, code: u32, name: String) -> Result<()> {
  with(id, |watchdog| {
    let mut names = lock(&watchdog.shared.type_names);
    let code = code as usize;
    if names.len() <= code {
      names.resize(code + 1, String::new());
    }
    names[code] = name;
    Ok(())
  })
}

pub fn count() -> u32 {
  u32::try_from(WATCHDOGS.len()).unwrap_or(u32::MAX)
}

/// The watchdog thread's loop.
fn watch(shared: &Shared) {
  let mut beat = shared.get(BEAT);
  let mut beat_seen = Instant::now();
  let mut seq = shared.get(SEQ);
  // When this thread first saw the current callback (or context switch) start: the best estimate
  // of when a stall in it began.
  let mut seq_seen_ms = shared.now_ms();
  let mut stalled = false;
  let limit = Duration::from_secs_f64((shared.threshold_ms + shared.beat_ms) / 1000.0);
  while !shared.sleep() {
    let now_beat = shared.get(BEAT);
    if now_beat != beat {
      beat = now_beat;
      beat_seen = Instant::now();
      stalled = false;
    }
    let now_seq = shared.get(SEQ);
    if now_seq != seq {
      seq = now_seq;
      seq_seen_ms = shared.now_ms();
    }
    if !stalled && beat_seen.elapsed() > limit {
      stalled = true;
      // Both are lower bounds of when the blocking began: the current callback started by the
      // time its SEQ was seen, and the loop missed the beat due at most `beat_ms` after the last.
      let beat_due_ms = shared.now_ms() - beat_seen.elapsed().as_secs_f64() * 1000.0 + shared.beat_ms;
      report(shared, seq_seen_ms.min(beat_due_ms));
    }
  }
}

/// Records the stall in the cells (for `onStall` on the blocked thread) and writes its line.
fn report(shared: &Shared, started_ms: f64) {
  if shared.stopped() {
    return;
  }
  let frame = shared.get(FRAME);
  let async_id = shared.get(ASYNC_ID);
  let type_code = shared.get(TYPE);
  let born = shared.get(BORN);
  let label_frame = shared.get(LABEL_FRAME);
  shared.set(STALL_FRAME, frame);
  shared.set(STALL_START, started_ms);
  shared.set(STALL_ASYNC_ID, async_id);
  shared.set(STALL_TYPE, type_code);
  shared.set(STALL_BORN, born);
  // Last: the blocked thread reads the other cells once it sees this change.
  shared.set(STALLS, shared.get(STALLS) + 1.0);
  if !shared.stderr {
    return;
  }
  let now = shared.now_ms();
  let mut line = format!(
    "native-execution-context: event loop of thread {} blocked for {:.0} ms (threshold {:.0} ms), ",
    shared.thread_id,
    (now - started_ms).max(0.0),
    shared.threshold_ms
  );
  if frame == 0.0 {
    line.push_str("outside any context");
  } else {
    line.push_str(&format!("in context {}", frame as u64));
    if let Some(label) = shared.label(label_frame as u64) {
      line.push_str(&format!(" {}", sanitize(&label)));
    }
    if born > 0.0 {
      line.push_str(&format!(", age {:.0} ms", (now - born).max(0.0)));
    }
  }
  if async_id > 0.0 && type_code >= 0.0 {
    line.push_str(&format!(" (callback: async id {}, {})", async_id as u64, shared.type_name(type_code)));
  } else if async_id > 0.0 {
    // The type is not recorded under every strategy (see lib/engine/stall-watchdog.js).
    line.push_str(&format!(" (callback: async id {})", async_id as u64));
  }
  line.push('\n');
  // One write of the whole line; an error (stderr closed) is ignored: this thread must not panic.
  let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A label as shown on one line: control characters as spaces, at most 120 characters.
fn sanitize(label: &str) -> String {
  let text: String = label.chars().map(|c| if c.is_control() || c == '\u{2028}' || c == '\u{2029}' { ' ' } else { c }).collect();
  let text = text.trim();
  if text.chars().count() > 120 {
    let cut: String = text.chars().take(119).collect();
    format!("{cut}…")
  } else {
    text.to_owned()
  }
}

#[cfg(test)]
mod tests {
  use super::sanitize;

  #[test]
  fn labels_stay_on_one_line_and_short() {
    assert_eq!(sanitize("GET /a\nforged line"), "GET /a forged line");
    assert_eq!(sanitize(&"x".repeat(200)).chars().count(), 120);
  }
}
