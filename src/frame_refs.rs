//! Weak references to tracked frames, in native memory. A report needs each live context's frame
//! object (for its value) and the tree must learn when a frame is garbage collected (its
//! never-settled promises are then orphans). In JS that took a WeakRef, a Map entry and a
//! FinalizationRegistry cell per tracked frame, about 190 bytes of V8 heap each
//! (bench/workload-tracking-memory.js). Here it is one N-API finalizer whose returned reference is
//! weak: the bookkeeping lives outside the V8 heap.
//!
//! The finalizer only queues the frame's id (behind its own mutex, never the tracker's lock, so it
//! is safe whenever Node runs it, during or after a GC). The tracker applies the queue at its next
//! drain, after the events logged before the collection, and only then deletes the reference, as
//! N-API requires for a reference returned by `napi_add_finalizer`.
//!
//! References belong to the JS thread that made them, so each thread keeps its trackers' tables
//! in thread-local storage, apart from the tracker's lock: the native thread that applies the
//! event log (applier.rs) holds that lock, and tracking a new frame must never wait for it.

// SAFETY: raw N-API calls on references this module creates and deletes, each commented below;
// lib.rs denies unsafe code everywhere else but applier.rs and stall_watchdog.rs.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{JsValue, Unknown};
use napi::{sys, Env, Error, Result, Status};

use crate::id_map::IdMap;

/// A weak `napi_ref` from `napi_add_finalizer`. Only its own thread's table holds it (not Send).
struct WeakFrame(sys::napi_ref);

/// What a frame's finalizer needs: its id and the queue it goes to.
struct Collected {
  frame: u64,
  queue: Arc<Mutex<Vec<u64>>>,
}

thread_local! {
  /// This thread's trackers' tables, by tracker id.
  static TABLES: RefCell<IdMap<FrameRefs>> = RefCell::new(IdMap::default());
}

/// Gives a tracker opened on this thread its (empty) table.
pub fn open(tracker: u32) {
  TABLES.with(|tables| tables.borrow_mut().insert(u64::from(tracker), FrameRefs::default()));
}

/// Runs `f` with this thread's table for `tracker`. An unknown id, or a tracker of another
/// thread, is an error: references belong to the thread that made them.
pub fn with<T>(tracker: u32, f: impl FnOnce(&mut FrameRefs) -> T) -> Result<T> {
  TABLES.with(|tables| match tables.borrow_mut().get_mut(&u64::from(tracker)) {
    Some(frames) => Ok(f(frames)),
    None => Err(Error::new(Status::InvalidArg, format!("native-execution-context: no tracker with id {tracker} on this thread"))),
  })
}

/// Drops a tracker's table (its environment exits; N-API frees the references with it).
pub fn close(tracker: u32) {
  // Not during thread teardown, when the thread-local may already be gone.
  let _ = TABLES.try_with(|tables| tables.borrow_mut().remove(&u64::from(tracker)));
}

#[derive(Default)]
pub struct FrameRefs {
  refs: IdMap<WeakFrame>,
  collected: Arc<Mutex<Vec<u64>>>,
}

impl FrameRefs {
  /// Native bytes of the table (N-API's own reference records are counted by Node, not here).
  pub fn heap_bytes(&self) -> usize {
    self.refs.capacity() * (std::mem::size_of::<u64>() + std::mem::size_of::<WeakFrame>() + 1)
  }

  /// Starts following `frame` (tracked as `id`). Tracking a frame twice is a no-op.
  pub fn track(&mut self, env: &Env, frame: &Unknown, id: u64) -> Result<()> {
    if self.refs.contains_key(&id) {
      return Ok(());
    }
    let data = Box::into_raw(Box::new(Collected { frame: id, queue: Arc::clone(&self.collected) }));
    let mut reference: sys::napi_ref = ptr::null_mut();
    // SAFETY: `env` and the value come from the current N-API call on this thread; `data` is a
    // leaked Box that `finalize` reclaims exactly once (N-API calls it once per registration).
    let status = unsafe {
      sys::napi_add_finalizer(env.raw(), frame.value().value, data.cast::<c_void>(), Some(finalize), ptr::null_mut(), &mut reference)
    };
    if status != sys::Status::napi_ok {
      // SAFETY: the registration failed, so N-API will never call `finalize` with `data`.
      drop(unsafe { Box::from_raw(data) });
      return Err(Error::new(Status::InvalidArg, "native-execution-context: a tracked frame must be an object".to_owned()));
    }
    self.refs.insert(id, WeakFrame(reference));
    Ok(())
  }

  /// The frames collected since the last call, their references deleted.
  pub fn take_collected(&mut self, env: &Env) -> Vec<u64> {
    let ids = std::mem::take(&mut *self.collected.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    for id in &ids {
      if let Some(weak) = self.refs.remove(id) {
        // SAFETY: the finalizer of this reference has run (that is how the id got queued), which
        // is when N-API allows deleting a reference returned by napi_add_finalizer.
        unsafe { sys::napi_delete_reference(env.raw(), weak.0) };
      }
    }
    ids
  }

  /// The frame object of `id` while it is alive (None: not tracked here, or collected).
  pub fn get<'env>(&self, env: &'env Env, id: u64) -> Option<Unknown<'env>> {
    let weak = self.refs.get(&id)?;
    let mut value: sys::napi_value = ptr::null_mut();
    // SAFETY: `weak.0` is a live reference of this env (deleted only in take_collected, which
    // also removes it from the table).
    let status = unsafe { sys::napi_get_reference_value(env.raw(), weak.0, &mut value) };
    if status != sys::Status::napi_ok || value.is_null() {
      return None;
    }
    // SAFETY: `value` was just returned by N-API for this env.
    Some(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
  }
}

/// Runs when a tracked frame is collected (or at the environment's teardown): queues its id.
/// Never panics and never calls into JS.
// SAFETY: called by N-API only, with the `data` pointer registered in `track`.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  // SAFETY: `data` is the Box leaked in `track`, handed back once by N-API.
  let Collected { frame, queue } = *unsafe { Box::from_raw(data.cast::<Collected>()) };
  // A statement, so that the guard is dropped before `queue`.
  if let Ok(mut pending) = queue.lock() {
    pending.push(frame);
  };
}
