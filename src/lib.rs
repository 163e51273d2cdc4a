//! native-execution-context's native core. This file only wires the modules to JS; each
//! concept lives in its own module. Every export catches panics so that a Rust bug surfaces as
//! a JS exception, never as an abort of the Node.js process.

#![deny(unsafe_code)]

mod all_threads;
mod applier;
mod context_tree;
mod event_log;
mod execution_map;
mod frame_refs;
mod id_map;
mod monitor;
mod published;
mod stall_watchdog;
mod thread_state;
mod tracker;

use napi::bindgen_prelude::{Float64Array, Unknown};
use napi::{Env, Result};
use napi_derive::napi;

pub use all_threads::NativeThreadReport;
pub use monitor::{NativeMonitorChild, NativeMonitorEntry, NativeMonitorReport};

/// The record layout the JS event log must write; read once at load so the two sides cannot drift.
#[napi(object)]
pub struct LogLayout {
  pub stride: u32,
  pub capacity: u32,
  pub frame_open: f64,
  pub init: f64,
  pub settled: f64,
  pub after: f64,
  pub frame_release: f64,
  pub frame_collected: f64,
  pub frame_watch: f64,
  pub promise_init: f64,
  pub promise_settled: f64,
}

#[napi(catch_unwind)]
pub fn log_layout() -> LogLayout {
  LogLayout {
    stride: event_log::STRIDE as u32,
    capacity: event_log::CAPACITY as u32,
    frame_open: event_log::FRAME_OPEN,
    init: event_log::INIT,
    settled: event_log::SETTLED,
    after: event_log::AFTER,
    frame_release: event_log::FRAME_RELEASE,
    frame_collected: event_log::FRAME_COLLECTED,
    frame_watch: event_log::FRAME_WATCH,
    promise_init: event_log::PROMISE_INIT,
    promise_settled: event_log::PROMISE_SETTLED,
  }
}

/// Opens this environment's tracker (`thread_id`: its `worker_threads.threadId`) and returns its
/// id; it is dropped when the environment exits.
#[napi(catch_unwind)]
pub fn open_tracker(env: Env, thread_id: u32) -> Result<u32> {
  thread_state::open(&env, thread_id)
}

/// The tracker's event log: its ring of buffers (Float64Arrays over native memory, see
/// applier.rs) and the index of the one to write first.
#[napi(object)]
pub struct EventLogBuffers {
  pub buffers: Vec<Float64Array>,
  pub current: u32,
}

#[napi(catch_unwind)]
pub fn open_log(tracker: u32) -> Result<EventLogBuffers> {
  let (buffers, current) = applier::js_buffers(tracker).map_err(native_failure)?;
  Ok(EventLogBuffers { buffers, current: current as u32 })
}

/// Applies, in order: the buffers still queued for the applier thread, the first `count` records
/// of the buffer JS is writing, then the collections of tracked frames whose finalizers ran since
/// (events logged before a collection come first). Returns the watched frames that finished.
/// Every reader of the tree calls this first, so that it sees everything logged before it.
#[napi(catch_unwind)]
pub fn drain(env: Env, tracker: u32, count: u32) -> Result<Vec<f64>> {
  let collected = frame_refs::with(tracker, |frames| frames.take_collected(&env))?;
  thread_state::with_state(tracker, |state| {
    applier::apply_queued(tracker, &mut state.tracker, false).map_err(native_failure)?;
    applier::apply_current(tracker, &mut state.tracker, count as usize).map_err(native_failure)?;
    for frame in collected {
      state.tracker.apply(event_log::Event::FrameCollected { frame });
    }
    Ok(state.tracker.tree.take_finished_watched().into_iter().map(|frame| frame as f64).collect())
  })?
}

/// Hands the full buffer's first `count` records (and the collections of tracked frames since the
/// last call) to the applier thread, and returns the index of the buffer to write next: the JS
/// thread neither copies nor applies them (applier.rs).
#[napi(catch_unwind)]
pub fn submit(env: Env, tracker: u32, count: u32) -> Result<u32> {
  let collected = frame_refs::with(tracker, |frames| frames.take_collected(&env))?;
  applier::submit(tracker, count as usize, collected).map(|next| next as u32).map_err(native_failure)
}

fn native_failure(message: String) -> napi::Error {
  napi::Error::new(napi::Status::GenericFailure, format!("native-execution-context: {message}"))
}

/// Follows a newly tracked frame object: a weak native reference for reports, and a finalizer
/// that tells the tree when it is collected (frame_refs.rs).
#[napi(catch_unwind)]
pub fn track_frame(env: Env, tracker: u32, frame: Unknown, id: f64) -> Result<()> {
  frame_refs::with(tracker, |frames| frames.track(&env, &frame, id as u64))?
}

/// The frame objects of `ids` that are still alive (undefined for the others), for reports.
#[napi(catch_unwind)]
pub fn frame_objects<'env>(env: &'env Env, tracker: u32, ids: Vec<f64>) -> Result<Vec<Option<Unknown<'env>>>> {
  frame_refs::with(tracker, |frames| ids.iter().map(|&id| frames.get(env, id as u64)).collect())
}

/// Live contexts and resources, for one owner's slot or (when `slot` is absent) all of them.
#[napi(catch_unwind)]
pub fn monitor(tracker: u32, slot: Option<u32>) -> Result<NativeMonitorReport> {
  thread_state::with(tracker, |tracker| {
    tracker.sweep_orphans();
    monitor::report(tracker, slot)
  })
}

// --- Every thread's contexts (all-threads reports) ---

/// The slots of the owners that monitor in this tracker's thread; empty: the thread does not
/// monitor and all-threads reports leave it out.
#[napi(catch_unwind)]
pub fn set_monitored_slots(tracker: u32, slots: Vec<u32>) -> Result<()> {
  thread_state::with_state(tracker, |state| state.monitored_slots = slots)
}

/// The reports of every other monitoring thread, each taken under its own lock.
#[napi(catch_unwind)]
pub fn monitor_all(tracker: u32) -> Vec<NativeThreadReport> {
  all_threads::report(tracker)
}

/// When (Date.now() scale) any thread last asked for an all-threads report; 0: never.
#[napi(catch_unwind)]
pub fn all_threads_asked_at() -> f64 {
  all_threads::asked_at()
}

/// The live contexts of the monitored slots, oldest first, as [frame, slot, frame, slot, ...]:
/// what a publication describes (at most as many as the published table keeps).
#[napi(catch_unwind)]
pub fn monitored_frames(tracker: u32) -> Result<Vec<f64>> {
  thread_state::with_state(tracker, |state| {
    let slots = &state.monitored_slots;
    let mut frames: Vec<(u64, u32)> =
      state.tracker.tree.iter().filter(|(_, node)| slots.contains(&node.slot)).map(|(&frame, node)| (frame, node.slot)).collect();
    frames.sort_unstable();
    frames.truncate(published::MAX_ENTRIES);
    frames.into_iter().flat_map(|(frame, slot)| [frame as f64, f64::from(slot)]).collect()
  })
}

/// Publishes labels and context sizes of live contexts (`labels[i]`, `sizes[i]` are frames[i]'s)
/// and, when given, the thread's resource type names, for other threads' reports.
#[napi(catch_unwind)]
pub fn publish(tracker: u32, frames: Vec<f64>, labels: Vec<Option<String>>, sizes: Vec<f64>, type_names: Option<Vec<String>>) -> Result<()> {
  thread_state::with_state(tracker, |state| {
    state.published.publish(&state.tracker.tree, &frames, labels, &sizes);
    if let Some(names) = type_names {
      state.published.set_type_names(names);
    }
  })
}

// --- end of every thread's contexts ---

#[napi(object)]
pub struct TrackerStats {
  pub trackers: u32,
  pub map_size: u32,
  pub contexts: u32,
  pub events_applied: f64,
  /// Of those, how many the applier thread applied (the others were applied by this thread).
  pub events_applied_off_thread: f64,
  /// Native bytes held by this tracker's execution map and context tree (table capacity).
  pub native_bytes: f64,
}

/// Counters for tests and diagnostics: how many trackers exist in the process and this one's sizes.
#[napi(catch_unwind)]
pub fn tracker_stats(tracker: u32) -> Result<TrackerStats> {
  let trackers = thread_state::count();
  let frames = frame_refs::with(tracker, |frames| frames.heap_bytes())?;
  thread_state::with_state(tracker, |state| {
    let tracker = &mut state.tracker;
    tracker.sweep_orphans();
    TrackerStats {
      trackers,
      map_size: u32::try_from(tracker.map.len()).unwrap_or(u32::MAX),
      contexts: u32::try_from(tracker.tree.len()).unwrap_or(u32::MAX),
      events_applied: tracker.events_applied as f64,
      events_applied_off_thread: tracker.events_applied_off_thread as f64,
      native_bytes: (tracker.heap_bytes() + frames) as f64,
    }
  })
}

/// The stall watchdog's shared cell indexes, read once so that JS and Rust cannot drift.
#[napi(object)]
pub struct StallLayout {
  pub cells: u32,
  pub magic: u32,
  pub ack: u32,
  pub beat: u32,
  pub seq: u32,
  pub frame: u32,
  pub async_id: u32,
  pub type_code: u32,
  pub born: u32,
  pub label_frame: u32,
  pub stalls: u32,
  pub stall_frame: u32,
  pub stall_start: u32,
  pub stall_async_id: u32,
  pub stall_type_code: u32,
  pub stall_born: u32,
}

#[napi(catch_unwind)]
pub fn stall_layout() -> StallLayout {
  use stall_watchdog as w;
  let index = |cell: usize| cell as u32;
  StallLayout {
    cells: index(w::CELLS),
    magic: index(w::MAGIC),
    ack: index(w::ACK),
    beat: index(w::BEAT),
    seq: index(w::SEQ),
    frame: index(w::FRAME),
    async_id: index(w::ASYNC_ID),
    type_code: index(w::TYPE),
    born: index(w::BORN),
    label_frame: index(w::LABEL_FRAME),
    stalls: index(w::STALLS),
    stall_frame: index(w::STALL_FRAME),
    stall_start: index(w::STALL_START),
    stall_async_id: index(w::STALL_ASYNC_ID),
    stall_type_code: index(w::STALL_TYPE),
    stall_born: index(w::STALL_BORN),
  }
}

/// Opens this thread's stall watchdog (see stall_watchdog.rs); its thread starts with `startStallWatchdog`.
#[napi(catch_unwind)]
pub fn open_stall_watchdog(env: Env, threshold_ms: f64, beat_ms: f64, poll_ms: f64, stderr: bool, thread_id: u32, clock_now_ms: f64) -> Result<u32> {
  stall_watchdog::open(&env, stall_watchdog::Options { threshold_ms, beat_ms, poll_ms, stderr, thread_id, clock_now_ms })
}

/// The cells JS writes at callback boundaries, as a Float64Array over the watchdog's native memory.
#[napi(catch_unwind)]
pub fn stall_cells(watchdog: u32) -> Result<Float64Array> {
  stall_watchdog::cells(watchdog)
}

#[napi(catch_unwind)]
pub fn start_stall_watchdog(watchdog: u32) -> Result<()> {
  stall_watchdog::start(watchdog)
}

/// Stops and joins the watchdog's thread. Unknown ids are ignored (already stopped).
#[napi(catch_unwind)]
pub fn stop_stall_watchdog(watchdog: u32) -> Result<()> {
  stall_watchdog::stop(watchdog)
}

/// The label the watchdog's stderr line gives a context (computed in JS before any stall).
#[napi(catch_unwind)]
pub fn stall_label(watchdog: u32, frame: f64, label: String) -> Result<()> {
  stall_watchdog::set_label(watchdog, frame, label)
}

#[napi(catch_unwind)]
pub fn stall_type_name(watchdog: u32, code: u32, name: String) -> Result<()> {
  stall_watchdog::set_type_name(watchdog, code, name)
}

/// How many stall watchdogs run in the process (for tests: workers stop theirs when they exit).
#[napi(catch_unwind)]
pub fn stall_watchdog_count() -> u32 {
  stall_watchdog::count()
}

/// Deliberately panics; the test suite uses it to prove that panics become JS errors.
#[napi(catch_unwind)]
pub fn panic_for_test(message: String) {
  panic!("{message}");
}
