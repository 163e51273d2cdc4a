//! The event log shared with JS.
//!
//! The JS bridge writes one fixed-size record of `STRIDE` doubles per async event into a
//! Float64Array and hands the whole batch to `drain` when it is full or when a report is asked
//! for. Writing a record costs a few nanoseconds; a `#[napi]` call per event would cost ~100 ns.
//! Doubles hold every async id Node can produce (ids grow past 2^32 on a busy server).

/// Doubles per record: `[kind, a, b, c, d, e, time, reserved]`.
pub const STRIDE: usize = 8;
/// Records per batch: large enough to amortise the drain call, small enough to stay in L2.
pub const CAPACITY: usize = 1024;

pub const FRAME_OPEN: f64 = 1.0;
pub const INIT: f64 = 2.0;
pub const SETTLED: f64 = 3.0;
pub const AFTER: f64 = 4.0;
pub const FRAME_RELEASE: f64 = 5.0;
pub const FRAME_COLLECTED: f64 = 6.0;
pub const FRAME_WATCH: f64 = 7.0;
/// A promise followed through V8's promise hooks (Node 24): Node gives it no async id, so JS
/// numbers it in its own sequence, which these two kinds keep apart from Node's ids.
pub const PROMISE_INIT: f64 = 8.0;
pub const PROMISE_SETTLED: f64 = 9.0;

/// The bit that marks an engine-numbered promise's key in the execution map. Node's async ids
/// are below 2^53 (doubles in JS), so they never carry it.
pub const OWN_PROMISE: u64 = 1 << 62;

/// The id a report shows for a map key: Node's async id, or minus the engine's own number.
pub fn reported_id(key: u64) -> f64 {
  if key & OWN_PROMISE != 0 {
    -((key & !OWN_PROMISE) as f64)
  } else {
    key as f64
  }
}

/// One decoded record. Ids are validated here so that nothing below ever sees a bad number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
  /// A frame (context node) was created by `run`, `create` or `enterWith`.
  FrameOpen { frame: u64, parent: u64, slot: u32, async_id: u64, pinned: bool, time: f64 },
  /// An async resource was created while `frame` was current.
  Init { async_id: u64, frame: u64, type_code: u32, one_shot: bool, time: f64 },
  /// A promise settled: it will never run a callback under its own id again.
  Settled { async_id: u64 },
  /// A resource's callback returned; one-shot resources (timeouts, immediates, ticks) are done.
  After { async_id: u64 },
  /// The synchronous part of the `run` that opened `frame` returned.
  FrameRelease { frame: u64 },
  /// The JS frame object was garbage collected: nothing can run in it any more.
  FrameCollected { frame: u64 },
  /// Someone wants to know when `frame` and all the work started under it has finished.
  FrameWatch { frame: u64 },
}

/// Reads an id written by JS: a non-negative integer below 2^53, else `None`.
fn id(value: f64) -> Option<u64> {
  // The range check rejects NaN and the infinities; within it, a cast and a compare tell an
  // integer without `fract()`, which calls libm's `trunc` on baseline x86-64 (no SSE4.1 rounding):
  // 2.3k of the applier's ~23k instructions per tracked promise-workload request (callgrind, Node 24).
  if value >= 0.0 && value <= 9_007_199_254_740_991.0 {
    let integer = value as u64;
    if integer as f64 == value {
      return Some(integer);
    }
  }
  None
}

fn small(value: f64) -> Option<u32> {
  id(value).and_then(|v| u32::try_from(v).ok())
}

/// Decodes one record; malformed records are skipped rather than trusted.
pub fn decode(record: &[f64]) -> Option<Event> {
  if record.len() < STRIDE {
    return None;
  }
  let [kind, a, b, c, d, e, time, _] = record[..STRIDE] else {
    return None;
  };
  let time = if time.is_finite() { time } else { 0.0 };
  Some(if kind == FRAME_OPEN {
    Event::FrameOpen { frame: id(a)?, parent: id(b)?, slot: small(c)?, async_id: id(d)?, pinned: e != 0.0, time }
  } else if kind == INIT {
    Event::Init { async_id: id(a)?, frame: id(b)?, type_code: small(c)?, one_shot: d != 0.0, time }
  } else if kind == SETTLED {
    Event::Settled { async_id: id(a)? }
  } else if kind == PROMISE_INIT {
    Event::Init { async_id: id(a)? | OWN_PROMISE, frame: id(b)?, type_code: small(c)?, one_shot: false, time }
  } else if kind == PROMISE_SETTLED {
    Event::Settled { async_id: id(a)? | OWN_PROMISE }
  } else if kind == AFTER {
    Event::After { async_id: id(a)? }
  } else if kind == FRAME_RELEASE {
    Event::FrameRelease { frame: id(a)? }
  } else if kind == FRAME_COLLECTED {
    Event::FrameCollected { frame: id(a)? }
  } else if kind == FRAME_WATCH {
    Event::FrameWatch { frame: id(a)? }
  } else {
    return None;
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn decodes_an_init_record() {
    let record = [INIT, 42.0, 7.0, 3.0, 1.0, 0.0, 1000.0, 0.0];
    assert_eq!(
      decode(&record),
      Some(Event::Init { async_id: 42, frame: 7, type_code: 3, one_shot: true, time: 1000.0 })
    );
  }

  #[test]
  fn keeps_engine_numbered_promises_apart_from_node_async_ids() {
    let own = decode(&[PROMISE_INIT, 42.0, 7.0, 3.0, 0.0, 0.0, 1000.0, 0.0]);
    assert_eq!(own, Some(Event::Init { async_id: 42 | OWN_PROMISE, frame: 7, type_code: 3, one_shot: false, time: 1000.0 }));
    assert_eq!(decode(&[PROMISE_SETTLED, 42.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), Some(Event::Settled { async_id: 42 | OWN_PROMISE }));
    assert_eq!(reported_id(42 | OWN_PROMISE), -42.0);
    assert_eq!(reported_id(42), 42.0);
  }

  #[test]
  fn rejects_negative_fractional_and_unknown_records() {
    assert_eq!(decode(&[INIT, -1.0, 7.0, 3.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(decode(&[INIT, 1.5, 7.0, 3.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(decode(&[SETTLED, f64::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(decode(&[SETTLED, f64::INFINITY, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(decode(&[SETTLED, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(decode(&[SETTLED, 9_007_199_254_740_994.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
    assert_eq!(id(9_007_199_254_740_991.0), Some(9_007_199_254_740_991));
    assert_eq!(id(0.0), Some(0));
    assert_eq!(decode(&[99.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]), None);
  }
}
