//! The all-threads report: every monitoring thread's live contexts, each thread's taken under its
//! own lock (consistent per thread), with the labels and type names that thread published. Also
//! the process-wide "an all-threads report was asked for" time, which tells every monitoring
//! thread to keep publishing (see lib/engine/publication.js).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use napi_derive::napi;

use crate::applier;
use crate::monitor::{self, NativeMonitorEntry};
use crate::thread_state;

#[napi(object)]
pub struct NativeThreadReport {
  /// `worker_threads.threadId` of the thread (0: the main thread).
  pub thread_id: u32,
  /// Live async resources in the thread's execution map.
  pub size: u32,
  /// Nodes in the thread's context tree (all owners).
  pub contexts: u32,
  /// Contexts of the thread's monitoring owners, with their live resources.
  pub entries: Vec<NativeMonitorEntry>,
}

/// Milliseconds since the Unix epoch (Date.now()'s scale) of the last all-threads report; 0: never.
static ASKED_AT: AtomicU64 = AtomicU64::new(0);

pub fn asked_at() -> f64 {
  ASKED_AT.load(Ordering::Relaxed) as f64
}

/// The reports of every monitoring thread but `exclude`'s (the caller reports its own thread
/// from JS, with its context objects), ordered by thread id. A thread whose tracker is dropped
/// (its worker exited or was terminated) while this runs is simply missing.
pub fn report(exclude: u32) -> Vec<NativeThreadReport> {
  let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64);
  ASKED_AT.fetch_max(now, Ordering::Relaxed);
  let mut reports: Vec<NativeThreadReport> = thread_state::monitoring_ids(exclude)
    .into_iter()
    .filter_map(|id| {
      thread_state::try_with_state(id, |state| {
        // What the thread submitted is part of its report, even if its applier has not run yet.
        // A failure is kept for that thread to report; its tree is shown as it stands.
        let _ = applier::apply_queued(id, &mut state.tracker, false);
        thread_report(state)
      })
      .flatten()
    })
    .collect();
  reports.sort_by_key(|report| report.thread_id);
  reports
}

/// One thread's report, under its lock. None when it stopped monitoring since it was listed.
fn thread_report(state: &mut thread_state::ThreadState) -> Option<NativeThreadReport> {
  if state.monitored_slots.is_empty() {
    return None;
  }
  state.tracker.sweep_orphans();
  state.published.prune(&state.tracker.tree);
  let slots = &state.monitored_slots;
  let mut report = monitor::report_where(&state.tracker, |slot| slots.contains(&slot));
  for entry in &mut report.entries {
    if let Some(published) = state.published.get(entry.frame as u64) {
      entry.label = published.label.clone();
      entry.context_size = Some(published.context_size);
    }
    for child in &mut entry.children {
      child.type_name = Some(state.published.type_name(child.type_code));
    }
  }
  Some(NativeThreadReport { thread_id: state.thread_id, size: report.size, contexts: report.contexts, entries: report.entries })
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::event_log::Event;
  use std::sync::atomic::AtomicBool;

  // Opens `contexts` frames of slot 0 in a new monitoring tracker, each with one live resource.
  fn monitoring_tracker(thread_id: u32, contexts: u64) -> u32 {
    let id = thread_state::register(thread_id);
    thread_state::try_with_state(id, |state| {
      state.monitored_slots.push(0);
      for frame in 1..=contexts {
        state.tracker.apply(Event::FrameOpen { frame, parent: 0, slot: 0, async_id: 1, pinned: false, time: 0.0 });
        state.tracker.apply(Event::Init { async_id: 100 + frame, frame, type_code: 0, one_shot: false, time: 0.0 });
      }
      state.published.set_type_names(vec!["PROMISE".into()]);
      let frames: Vec<f64> = (1..=contexts).map(|frame| frame as f64).collect();
      let labels = (1..=contexts).map(|frame| Some(format!("t{thread_id}-{frame}"))).collect();
      state.published.publish(&state.tracker.tree, &frames, labels, &vec![2.0; frames.len()]);
    })
    .expect("just registered");
    id
  }

  #[test]
  fn reports_taken_from_two_threads_while_trackers_come_and_go_stay_consistent() {
    // Thread ids from 1000 up: other tests of this binary register trackers too.
    let steady: Vec<u32> = (0..4).map(|i| monitoring_tracker(1000 + i, 5 + u64::from(i))).collect();
    let stop = AtomicBool::new(false);
    // Scoped threads: a worker's tracker comes and goes while two others take reports.
    std::thread::scope(|scope| {
      scope.spawn(|| {
        let mut round = 0u32;
        while !stop.load(Ordering::Relaxed) {
          let id = monitoring_tracker(2000 + round % 50, 3);
          thread_state::close(id);
          round += 1;
        }
      });
      let reporters: Vec<_> = (0..2)
        .map(|_| {
          scope.spawn(|| {
            for _ in 0..300 {
              for report in report(0).into_iter().filter(|report| (1000..1004).contains(&report.thread_id)) {
                let expected = 5 + (report.thread_id - 1000) as usize;
                assert_eq!(report.entries.len(), expected);
                assert_eq!(report.size as usize, expected);
                for entry in &report.entries {
                  assert_eq!(entry.label.as_deref(), Some(format!("t{}-{}", report.thread_id, entry.frame).as_str()));
                  assert_eq!(entry.children[0].type_name.as_deref(), Some("PROMISE"));
                }
              }
            }
          })
        })
        .collect();
      let reported = reporters.into_iter().map(|reporter| reporter.join()).collect::<Vec<_>>();
      stop.store(true, Ordering::Relaxed);
      assert!(reported.iter().all(Result::is_ok), "a reporter panicked");
    });
    let listed: Vec<u32> = report(0).iter().map(|report| report.thread_id).filter(|id| (1000..3000).contains(id)).collect();
    assert_eq!(listed, vec![1000, 1001, 1002, 1003], "closed trackers are gone");
    for id in steady {
      thread_state::close(id);
    }
    assert!(asked_at() > 0.0);
  }

  #[test]
  fn a_tracker_without_monitored_slots_is_not_listed() {
    let id = thread_state::register(3001);
    thread_state::try_with_state(id, |state| {
      state.tracker.apply(Event::FrameOpen { frame: 1, parent: 0, slot: 0, async_id: 1, pinned: true, time: 0.0 });
    })
    .expect("just registered");
    assert!(report(0).iter().all(|report| report.thread_id != 3001));
    thread_state::close(id);
  }
}
