//! One environment's native tracker: applies the bridge's events to the execution map and the
//! context tree, keeping the two consistent (every live map entry is in its node's live set).

use crate::context_tree::ContextTree;
use crate::event_log::{self, Event};
use crate::execution_map::{Entry, ExecutionMap};

#[derive(Default)]
pub struct Tracker {
  pub map: ExecutionMap,
  pub tree: ContextTree,
  pub events_applied: u64,
}

impl Tracker {
  pub fn apply_batch(&mut self, log: &[f64], count: usize) {
    for event in event_log::events(log, count) {
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
          self.tree.remove_live(stale.frame, async_id);
        }
        self.tree.add_live(frame, async_id, time);
      }
      Event::Settled { async_id } => self.end(async_id),
      Event::After { async_id } => {
        if self.map.get(async_id).is_some_and(|entry| entry.one_shot) {
          self.end(async_id);
        }
      }
      Event::FrameRelease { frame } => self.tree.release(frame),
      Event::FrameCollected { frame } => {
        for async_id in self.tree.collect(frame) {
          self.map.remove(async_id);
        }
      }
      Event::FrameWatch { frame } => self.tree.watch(frame),
    }
  }

  fn end(&mut self, async_id: u64) {
    if let Some(entry) = self.map.remove(async_id) {
      self.tree.remove_live(entry.frame, async_id);
    }
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
    assert_eq!(tracker.map.len(), 0);
    assert_eq!(tracker.tree.len(), 0);
  }
}
