//! Per-environment state. Each Node.js environment (the main thread and every worker) opens its
//! own tracker; `static` data is shared by all threads, so trackers live in one concurrent map
//! keyed by an id, and an environment cleanup hook drops a tracker when its thread exits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::LazyLock;

use dashmap::DashMap;
use napi::{Env, Error, Result, Status};

use crate::tracker::Tracker;

static TRACKERS: LazyLock<DashMap<u32, Tracker>> = LazyLock::new(DashMap::new);
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

pub fn open(env: &Env) -> Result<u32> {
  let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
  TRACKERS.insert(id, Tracker::default());
  // Runs when this environment (worker or main thread) is torn down, before class finalizers.
  env.add_env_cleanup_hook(id, |id| {
    TRACKERS.remove(&id);
  })?;
  Ok(id)
}

pub fn with<T>(id: u32, f: impl FnOnce(&mut Tracker) -> T) -> Result<T> {
  let mut tracker = TRACKERS
    .get_mut(&id)
    .ok_or_else(|| Error::new(Status::InvalidArg, format!("native-execution-context: no tracker with id {id}")))?;
  Ok(f(&mut tracker))
}

pub fn count() -> u32 {
  u32::try_from(TRACKERS.len()).unwrap_or(u32::MAX)
}
