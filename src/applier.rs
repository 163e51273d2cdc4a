//! The event log's buffers, and the native thread that applies them.
//!
//! Applying records to the execution map and the context tree was the largest single cost of
//! monitoring on the JS thread (docs/internals.md). So each tracker's log is a ring of
//! `BUFFERS` buffers of native memory, each seen by JS as a Float64Array. JS writes records into
//! one; when it is full, `submit` queues it and hands JS a free one (no copy, no apply), and one
//! process-wide native thread applies queued buffers under the tracker's lock.
//!
//! The applier polls every `POLL` instead of being woken by each submit: a wake is a syscall, and
//! on a busy machine the kernel often ran the woken applier on the JS thread's own core, so
//! `submit` cost ~30 µs, more than applying the buffer itself (measured on 2 cores, Node 20 and
//! 24). Polling made it ~0.2 µs. After `IDLE_POLLS` polls that find nothing it parks, and the
//! next submit wakes it (one syscall after each quiet spell).
//!
//! Order is kept without the JS thread waiting for the applier: a tracker's queued buffers are
//! only ever applied under that tracker's lock (`apply_queued`), by whoever holds it first, the
//! applier or a reader. Every reader of the tree (a report, stats, the drain that delivers `end`)
//! applies what is still queued before anything else, so it sees every record written before it,
//! in order. If the applier falls behind and no buffer is free, `submit` applies the queue itself:
//! memory stays bounded and the cost falls back to applying on the JS thread.
//!
//! Sharing: a queued buffer is never written by JS (it writes only the buffer `submit` last
//! handed it), and the ring's mutex orders JS's writes before the applier's reads. The cells are
//! atomics read with relaxed loads, so even a JS bug writing a queued buffer would only produce
//! bad records (which `event_log::decode` skips), never undefined behaviour.

// SAFETY: one unsafe call, in `js_buffers`, commented there; lib.rs denies unsafe code everywhere
// else but frame_refs.rs and stall_watchdog.rs.
#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use dashmap::DashMap;
use napi::bindgen_prelude::Float64Array;

use crate::event_log::{Event, CAPACITY, STRIDE};
use crate::thread_state;
use crate::tracker::Tracker;

/// Buffers per tracker: the one JS writes, and the rest free or queued. Eight let the applier be
/// seven full logs behind (about 7,000 events, several polls at any rate measured) before JS
/// applies for it. 64 KiB each, native memory.
pub const BUFFERS: usize = 8;

/// How often the applier looks for queued buffers while the process is busy.
const POLL: Duration = Duration::from_micros(200);

/// Polls in a row that find nothing before the applier parks (about 10 ms).
const IDLE_POLLS: u32 = 50;

/// One log buffer: STRIDE * CAPACITY cells, co-owned by its Float64Array.
pub type Cells = Arc<[AtomicU64]>;

struct Batch {
  buffer: usize,
  count: usize,
  /// Tracked frames collected before this batch was submitted: applied after its records.
  collected: Vec<u64>,
}

struct Ring {
  cells: Vec<Cells>,
  /// The buffer JS writes now.
  current: usize,
  queued: VecDeque<Batch>,
  free: Vec<usize>,
  /// Set when applying a batch panicked: every later submit and drain reports it, and JS turns
  /// tracking off (the tree may be inconsistent from then on).
  failure: Option<String>,
}

impl Ring {
  fn new() -> Self {
    let cells = (0..BUFFERS).map(|_| (0..STRIDE * CAPACITY).map(|_| AtomicU64::new(0)).collect()).collect();
    Ring { cells, current: 0, queued: VecDeque::new(), free: (1..BUFFERS).rev().collect(), failure: None }
  }
}

/// Each tracker's ring, apart from its state: submitting takes only this short lock, never the
/// tracker's, which the applier holds while it applies. Lock order: tracker, then ring.
static RINGS: LazyLock<DashMap<u32, Arc<Mutex<Ring>>>> = LazyLock::new(DashMap::new);

/// Wakes the parked applier. None: the thread could not be started, and `submit` applies on the
/// JS thread once the ring is full.
static APPLIER: LazyLock<Option<Mutex<Sender<()>>>> = LazyLock::new(start_applier);

/// The applier is parked (or about to): the next submit must wake it.
static PARKED: AtomicBool = AtomicBool::new(false);

fn start_applier() -> Option<Mutex<Sender<()>>> {
  let (sender, receiver) = mpsc::channel::<()>();
  thread::Builder::new()
    .name("nec-log-applier".to_owned())
    .spawn(move || {
      let mut idle = 0;
      loop {
        thread::sleep(POLL);
        if apply_all_queued() {
          idle = 0;
          continue;
        }
        idle += 1;
        if idle < IDLE_POLLS {
          continue;
        }
        // Park. A submit after the flag is set wakes the thread; one before it is seen by the
        // look below (the flag and the rings' mutexes order the two).
        PARKED.store(true, Ordering::SeqCst);
        if apply_all_queued() {
          PARKED.store(false, Ordering::SeqCst);
        } else if receiver.recv().is_err() {
          return;
        }
        while receiver.try_recv().is_ok() {}
        idle = 0;
      }
    })
    .ok()?;
  Some(Mutex::new(sender))
}

/// Applies every tracker's queued buffers, each under its tracker's lock. Whether any was queued.
fn apply_all_queued() -> bool {
  let busy: Vec<u32> = RINGS.iter().filter(|ring| !lock(ring.value()).queued.is_empty()).map(|ring| *ring.key()).collect();
  for &tracker in &busy {
    // A failure is kept in the tracker's ring for its own thread to report.
    let _ = thread_state::try_with_state(tracker, |state| apply_queued(tracker, &mut state.tracker, true));
  }
  !busy.is_empty()
}

fn lock(ring: &Mutex<Ring>) -> MutexGuard<'_, Ring> {
  ring.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ring_of(tracker: u32) -> Result<Arc<Mutex<Ring>>, String> {
  RINGS.get(&tracker).map(|ring| Arc::clone(&ring)).ok_or_else(|| format!("no tracker with id {tracker}"))
}

/// Gives a new tracker its ring (and starts the applier, once per process).
pub fn open(tracker: u32) {
  RINGS.insert(tracker, Arc::new(Mutex::new(Ring::new())));
  LazyLock::force(&APPLIER);
}

/// Forgets a tracker's ring (its environment exited): records not applied are dropped with it.
pub fn close(tracker: u32) {
  RINGS.remove(&tracker);
}

/// The ring's buffers and the index of the one to write.
fn buffers(tracker: u32) -> Result<(Vec<Cells>, usize), String> {
  let ring = ring_of(tracker)?;
  let ring = lock(&ring);
  Ok((ring.cells.clone(), ring.current))
}

/// The ring's buffers as Float64Arrays over their native memory, and the index of the one to write.
pub fn js_buffers(tracker: u32) -> Result<(Vec<Float64Array>, usize), String> {
  let (cells, current) = buffers(tracker)?;
  let arrays = cells
    .into_iter()
    .map(|keep| {
      // `data` points to `len` 8-byte cells owned by `keep`, which the finalizer drops, so the
      // memory lives as long as the Float64Array (and as long as the ring, which holds its own
      // Arc). AtomicU64 has u64's layout; JS stores whole aligned 8-byte values.
      let data = keep.as_ptr() as *mut f64;
      let len = keep.len();
      // SAFETY: see above: valid, aligned, `len` long, and alive until the finalizer runs.
      unsafe { Float64Array::with_external_data(data, len, move |_, _| drop(keep)) }
    })
    .collect();
  Ok((arrays, current))
}

/// Queues the current buffer (its first `count` records, then the collections in `collected`)
/// and returns the buffer JS writes next. Called on the tracker's JS thread, which never waits for
/// the applier here unless every other buffer is still queued.
pub fn submit(tracker: u32, count: usize, collected: Vec<u64>) -> Result<usize, String> {
  let ring = ring_of(tracker)?;
  let next = {
    let mut ring = lock(&ring);
    if let Some(failure) = &ring.failure {
      return Err(failure.clone());
    }
    let buffer = ring.current;
    ring.queued.push_back(Batch { buffer, count: count.min(CAPACITY), collected });
    ring.free.pop()
  };
  let next = match next {
    Some(next) => {
      if PARKED.swap(false, Ordering::SeqCst) {
        wake();
      }
      next
    }
    None => {
      // The applier is every other buffer behind (or absent): apply them here, then one is free.
      thread_state::try_with_state(tracker, |state| apply_queued(tracker, &mut state.tracker, false))
        .ok_or_else(|| format!("no tracker with id {tracker}"))??;
      lock(&ring).free.pop().ok_or_else(|| "the event log has no free buffer".to_owned())?
    }
  };
  lock(&ring).current = next;
  Ok(next)
}

/// Without an applier thread nothing is woken: the ring fills, and `submit` applies it then.
fn wake() {
  if let Some(applier) = APPLIER.as_ref() {
    let _ = applier.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).send(());
  }
}

/// Applies every batch queued for `tracker`, in order. The caller holds the tracker's lock (it
/// passes the tracker), which is what keeps batches in order between the applier and readers.
/// `off_thread`: the caller is the applier (counted in the tracker's stats). Err: a batch
/// panicked, now or earlier; the rest of the queue is dropped.
pub fn apply_queued(tracker: u32, state: &mut Tracker, off_thread: bool) -> Result<(), String> {
  let ring = ring_of(tracker)?;
  loop {
    let (batch, cells) = {
      let mut ring = lock(&ring);
      if let Some(failure) = &ring.failure {
        return Err(failure.clone());
      }
      let Some(batch) = ring.queued.pop_front() else {
        return Ok(());
      };
      let cells = Arc::clone(&ring.cells[batch.buffer]);
      (batch, cells)
    };
    let applied = panic::catch_unwind(AssertUnwindSafe(|| {
      apply_cells(state, &cells, batch.count);
      for &frame in &batch.collected {
        state.apply(Event::FrameCollected { frame });
      }
    }));
    let mut ring = lock(&ring);
    ring.free.push(batch.buffer);
    if let Err(panic) = applied {
      let message = panic.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| panic.downcast_ref::<String>().cloned());
      let failure = format!("applying the event log panicked: {}", message.unwrap_or_else(|| "unknown panic".to_owned()));
      while let Some(dropped) = ring.queued.pop_front() {
        ring.free.push(dropped.buffer);
      }
      ring.failure = Some(failure.clone());
      return Err(failure);
    }
    if off_thread {
      state.events_applied_off_thread += (batch.count + batch.collected.len()) as u64;
    }
  }
}

/// Applies the first `count` records of the buffer JS is writing (a reader's drain, after
/// `apply_queued`); JS then starts that buffer over.
pub fn apply_current(tracker: u32, state: &mut Tracker, count: usize) -> Result<(), String> {
  let cells = {
    let ring = ring_of(tracker)?;
    let ring = lock(&ring);
    Arc::clone(&ring.cells[ring.current])
  };
  apply_cells(state, &cells, count.min(CAPACITY));
  Ok(())
}

fn apply_cells(state: &mut Tracker, cells: &[AtomicU64], count: usize) {
  let mut record = [0.0; STRIDE];
  for chunk in cells.chunks_exact(STRIDE).take(count) {
    for (value, cell) in record.iter_mut().zip(chunk) {
      *value = f64::from_bits(cell.load(Ordering::Relaxed));
    }
    state.apply_record(&record);
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::event_log::{FRAME_OPEN, INIT, SETTLED};
  use std::time::{Duration, Instant};

  /// Writes `record` at the start of the buffer JS would write now.
  fn write(tracker: u32, record: [f64; STRIDE]) {
    let (cells, current) = buffers(tracker).unwrap();
    for (cell, value) in cells[current].iter().zip(record) {
      cell.store(value.to_bits(), Ordering::Relaxed);
    }
  }

  fn record(kind: f64, a: f64, b: f64) -> [f64; STRIDE] {
    [kind, a, b, 0.0, 0.0, 0.0, 0.0, 0.0]
  }

  #[test]
  fn queued_buffers_are_applied_in_order_by_the_thread_or_by_the_next_reader() {
    let id = thread_state::register(0);
    // More buffers than the ring holds, whose meaning depends on their order.
    let mut kinds = vec![FRAME_OPEN];
    for _ in 0..BUFFERS {
      kinds.extend([INIT, SETTLED]);
    }
    kinds.push(INIT);
    for kind in kinds {
      write(id, record(kind, if kind == FRAME_OPEN { 1.0 } else { 10.0 }, 1.0));
      submit(id, 1, Vec::new()).unwrap();
    }
    let (map, contexts) = thread_state::try_with_state(id, |state| {
      apply_queued(id, &mut state.tracker, false).unwrap();
      (state.tracker.map.len(), state.tracker.tree.len())
    })
    .unwrap();
    assert_eq!((map, contexts), (1, 1));
    // Collections ride with their batch, after its records.
    write(id, record(SETTLED, 10.0, 0.0));
    submit(id, 1, vec![1]).unwrap();
    let contexts = thread_state::try_with_state(id, |state| {
      apply_queued(id, &mut state.tracker, false).unwrap();
      state.tracker.tree.len()
    });
    assert_eq!(contexts, Some(0));
    thread_state::close(id);
    assert!(submit(id, 1, Vec::new()).is_err(), "a closed tracker's log is gone");
  }

  #[test]
  fn the_native_thread_applies_buffers_without_any_reader() {
    let id = thread_state::register(0);
    write(id, record(FRAME_OPEN, 1.0, 0.0));
    submit(id, 1, Vec::new()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while thread_state::try_with_state(id, |state| state.tracker.events_applied_off_thread) != Some(1) {
      assert!(Instant::now() < deadline, "the applier never applied the buffer");
      thread::sleep(Duration::from_millis(5));
    }
    thread_state::close(id);
  }
}
