//! Per-environment state. Each Node.js environment (the main thread and every worker) opens its
//! own tracker; `static` data is shared by all threads, so trackers live in one concurrent map
//! keyed by an id, and an environment cleanup hook drops a tracker when its thread exits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::LazyLock;

use dashmap::DashMap;
use napi::{Env, Error, Result, Status};

use crate::applier;
use crate::frame_refs;
use crate::published::Published;
use crate::tracker::Tracker;

/// One environment's tracker, with what other threads need to report its contexts.
#[derive(Default)]
pub struct ThreadState {
  pub tracker: Tracker,
  /// The environment's `worker_threads.threadId` (0: the main thread).
  pub thread_id: u32,
  /// Slots of the owners that monitor in this thread (root-face instances): the contexts an
  /// all-threads report lists. Empty while the thread does not monitor (tracking only for /cls
  /// `end`, or off): such a thread is not listed.
  pub monitored_slots: Vec<u32>,
  /// Labels, context sizes and resource type names the thread published for other threads.
  pub published: Published,
}

static TRACKERS: LazyLock<DashMap<u32, ThreadState>> = LazyLock::new(DashMap::new);
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

pub fn open(env: &Env, thread_id: u32) -> Result<u32> {
  let id = register(thread_id);
  // Runs when this environment (worker or main thread) is torn down, before class finalizers.
  env.add_env_cleanup_hook(id, |id| {
    close(id);
  })?;
  Ok(id)
}

/// Adds a tracker for thread `thread_id` (`open` without the environment, for tests), on the
/// calling thread, which owns its frame references.
pub fn register(thread_id: u32) -> u32 {
  let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
  TRACKERS.insert(id, ThreadState { thread_id, ..ThreadState::default() });
  applier::open(id);
  frame_refs::open(id);
  id
}

/// On the tracker's own thread (the environment's cleanup hook, or a test).
pub fn close(id: u32) {
  applier::close(id);
  TRACKERS.remove(&id);
  frame_refs::close(id);
}

pub fn with<T>(id: u32, f: impl FnOnce(&mut Tracker) -> T) -> Result<T> {
  with_state(id, |state| f(&mut state.tracker))
}

pub fn with_state<T>(id: u32, f: impl FnOnce(&mut ThreadState) -> T) -> Result<T> {
  try_with_state(id, f).ok_or_else(|| Error::new(Status::InvalidArg, format!("native-execution-context: no tracker with id {id}")))
}

/// `with_state` for a tracker that may be gone (None). Without napi's Error, so that Rust unit
/// tests, which run without Node, can call it.
pub fn try_with_state<T>(id: u32, f: impl FnOnce(&mut ThreadState) -> T) -> Option<T> {
  let mut state = TRACKERS.get_mut(&id)?;
  Some(f(&mut state))
}

/// Ids of the trackers whose thread monitors, but `exclude`'s. Collected before any tracker is
/// locked for its report: the caller then locks them one at a time (`try_with_state`), so it never
/// holds one shard's lock while waiting for another's, and two threads reporting at once cannot
/// deadlock. A tracker dropped in between is simply missing from `try_with_state`.
pub fn monitoring_ids(exclude: u32) -> Vec<u32> {
  TRACKERS
    .iter()
    .filter(|state| *state.key() != exclude && !state.monitored_slots.is_empty())
    .map(|state| *state.key())
    .collect()
}

pub fn count() -> u32 {
  u32::try_from(TRACKERS.len()).unwrap_or(u32::MAX)
}
