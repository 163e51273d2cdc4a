//! One environment's native tracker: applies the event log's records to the execution map and
//! the context tree, keeping the two consistent (each node's live count is the number of map
//! entries under it, once the orphans of collected frames are swept).

use crate::context_tree::ContextTree;
use crate::event_log::{self, Event};
use crate::execution_map::{Entry, ExecutionMap};
use crate::id_map::IdSet;

/// Orphans are swept when at least this many wait (and at least a quarter of the map): a sweep
/// walks the whole map, so it must stay rare next to the events that fill it.
const SWEEP_AT_LEAST: usize = 1024;

#[derive(Default)]
pub struct Tracker {
  pub map: ExecutionMap,
  pub tree: ContextTree,
  pub events_applied: u64,
  /// Of those, how many the applier thread applied (applier.rs).
  pub events_applied_off_thread: u64,
  /// Collected frames whose resources may still sit in the map (never settled: abandoned).
  orphaned_frames: IdSet,
  orphans: usize,
}

impl Tracker {
  /// One record as JS wrote it; malformed ones are skipped (event_log::decode).
  pub fn apply_record(&mut self, record: &[f64]) {
    if let Some(event) = event_log::decode(record) {
      self.apply(event);
    }
  }

  pub fn apply(&mut self, event: Event) {
    self.events_applied += 1;
    match event {
      Event::FrameOpen { frame, parent, slot, async_id, pinned, time } => {
        self.tree.open(frame, parent, slot, async_id, pinned, time);
      }
      // Frame 0 is "no frame": the async hook never writes it, and an entry no context lists
      // would only inflate the map.
      Event::Init { frame: 0, .. } => {}
      Event::Init { async_id, frame, type_code, one_shot, time } => {
        if let Some(stale) = self.map.insert(async_id, Entry { frame, type_code, one_shot, created: time }) {
          self.tree.remove_live(stale.frame);
        }
        if !self.tree.add_live(frame, time) {
          self.orphaned_frames.insert(frame);
          self.orphans += 1;
        }
      }
      Event::Settled { async_id } => self.end(async_id),
      Event::After { async_id } => {
        if self.map.get(async_id).is_some_and(|entry| entry.one_shot) {
          self.end(async_id);
        }
      }
      Event::FrameRelease { frame } => self.tree.release(frame),
      Event::FrameCollected { frame } => {
        let orphans = self.tree.collect(frame) as usize;
        if orphans > 0 {
          self.orphaned_frames.insert(frame);
          self.orphans += orphans;
          if self.orphans >= SWEEP_AT_LEAST.max(self.map.len() / 4) {
            self.sweep_orphans();
          }
        }
      }
      Event::FrameWatch { frame } => self.tree.watch(frame),
    }
  }

  fn end(&mut self, async_id: u64) {
    if let Some(entry) = self.map.remove(async_id) {
      self.tree.remove_live(entry.frame);
    }
  }

  /// Native memory held by this tracker's tables, outside the V8 heap.
  pub fn heap_bytes(&self) -> usize {
    self.map.heap_bytes() + self.tree.heap_bytes() + self.orphaned_frames.capacity() * (std::mem::size_of::<u64>() + 1)
  }

  /// Drops the map entries of collected frames. Before every report and stats call, so that
  /// they never show an orphan; otherwise amortised (see SWEEP_AT_LEAST).
  pub fn sweep_orphans(&mut self) {
    if self.orphaned_frames.is_empty() {
      return;
    }
    let orphaned = std::mem::take(&mut self.orphaned_frames);
    self.map.retain(|entry| !orphaned.contains(&entry.frame));
    self.orphans = 0;
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn after_ends_one_shot_resources_only() {
    let mut tracker = Tracker::default();
    tracker.apply(Event::FrameOpen { frame: 1, parent: 0, slot: 0, async_id: 1, pinned: false, time: 0.0 });
    tracker.apply(Event::Init { async_id: 10, frame: 1, type_code: 0, one_shot: true, time: 0.0 });
    tracker.apply(Event::Init { async_id: 11, frame: 1, type_code: 1, one_shot: false, time: 0.0 });
    tracker.apply(Event::After { async_id: 10 });
    tracker.apply(Event::After { async_id: 11 });
    assert_eq!(tracker.map.len(), 1);
    tracker.apply(Event::Settled { async_id: 11 });
    assert_eq!(tracker.map.len(), 0);
    assert_eq!(tracker.tree.len(), 0);
  }

  #[test]
  fn a_collected_frame_takes_its_never_settled_promises_with_it() {
    let mut tracker = Tracker::default();
    tracker.apply(Event::FrameOpen { frame: 4, parent: 0, slot: 0, async_id: 1, pinned: true, time: 0.0 });
    for async_id in 100..200 {
      tracker.apply(Event::Init { async_id, frame: 4, type_code: 0, one_shot: false, time: 0.0 });
    }
    tracker.apply(Event::FrameRelease { frame: 4 });
    assert_eq!(tracker.map.len(), 100);
    tracker.apply(Event::FrameCollected { frame: 4 });
    assert_eq!(tracker.tree.len(), 0);
    // Orphans leave the map at the next sweep (every report and stats call runs one first).
    tracker.sweep_orphans();
    assert_eq!(tracker.map.len(), 0);
    // A late settle of an orphan is harmless.
    tracker.apply(Event::Settled { async_id: 150 });
    assert_eq!(tracker.map.len(), 0);
  }

  #[test]
  fn orphans_are_swept_without_a_report_once_enough_wait() {
    let mut tracker = Tracker::default();
    for frame in 1..=3u64 {
      tracker.apply(Event::FrameOpen { frame, parent: 0, slot: 0, async_id: 1, pinned: false, time: 0.0 });
      for i in 0..600 {
        tracker.apply(Event::Init { async_id: frame * 1000 + i, frame, type_code: 0, one_shot: false, time: 0.0 });
      }
    }
    tracker.apply(Event::FrameCollected { frame: 1 });
    assert_eq!(tracker.map.len(), 1800, "600 orphans wait: below the sweep threshold");
    tracker.apply(Event::FrameCollected { frame: 2 });
    assert_eq!(tracker.map.len(), 600, "1,200 orphans: swept");
  }
}
