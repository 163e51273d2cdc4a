//! The context tree: one node per frame (a `run`, `create` or `enterWith`), with its parent,
//! slot, creation time and the async work still live under it.
//!
//! A node finishes when its synchronous run has returned (`pinned` is false), it has no live
//! resources and no live child nodes; finishing cascades to the parent. Finished nodes that
//! someone watches are reported so the JS side can emit `end`.

use crate::id_map::IdMap;

#[derive(Debug, Default)]
pub struct ContextNode {
  pub parent: u64,
  pub slot: u32,
  /// The async id that was executing when the node was opened.
  pub async_id: u64,
  pub created: f64,
  pub pinned: bool,
  pub watched: bool,
  /// Live resources created directly under this node (their ids are in the execution map: a
  /// count here, not a set, saves a hash insert and remove per resource).
  pub live: u32,
  /// The frame's JS object was collected: its remaining map entries are orphans, and late
  /// events for them must not count against the node.
  pub collected: bool,
  /// Number of child nodes not yet finished.
  pub children: u32,
}

#[derive(Default)]
pub struct ContextTree {
  nodes: IdMap<ContextNode>,
  finished_watched: Vec<u64>,
}

impl ContextTree {
  pub fn open(&mut self, frame: u64, parent: u64, slot: u32, async_id: u64, pinned: bool, time: f64) {
    if frame == 0 || self.nodes.contains_key(&frame) {
      return;
    }
    let parent = if parent != frame && self.nodes.contains_key(&parent) { parent } else { 0 };
    if let Some(parent_node) = self.nodes.get_mut(&parent) {
      parent_node.children += 1;
    }
    self.nodes.insert(frame, ContextNode { parent, slot, async_id, created: time, pinned, ..ContextNode::default() });
  }

  /// Adds a live resource. A frame opened before tracking began gets a parentless stub node.
  /// Counts a new resource under `frame`. Returns false when the frame was already collected:
  /// the resource is then an orphan from the start (only a stale or malformed log does that).
  pub fn add_live(&mut self, frame: u64, time: f64) -> bool {
    if frame == 0 {
      return true;
    }
    let node = self.nodes.entry(frame).or_insert_with(|| ContextNode { created: time, ..ContextNode::default() });
    if node.collected {
      return false;
    }
    node.live = node.live.saturating_add(1);
    true
  }

  pub fn remove_live(&mut self, frame: u64) {
    if let Some(node) = self.nodes.get_mut(&frame) {
      if node.collected {
        return;
      }
      node.live = node.live.saturating_sub(1);
      self.finish_if_done(frame);
    }
  }

  pub fn release(&mut self, frame: u64) {
    if let Some(node) = self.nodes.get_mut(&frame) {
      node.pinned = false;
      self.finish_if_done(frame);
    }
  }

  pub fn watch(&mut self, frame: u64) {
    if let Some(node) = self.nodes.get_mut(&frame) {
      node.watched = true;
    } else if frame != 0 {
      // Nothing is live under it: it has already finished.
      self.finished_watched.push(frame);
    }
  }

  /// The frame's JS object is gone: its remaining resources can never run. Returns how many
  /// were still live, so that the caller can sweep them from the execution map.
  pub fn collect(&mut self, frame: u64) -> u32 {
    let Some(node) = self.nodes.get_mut(&frame) else {
      return 0;
    };
    node.pinned = false;
    node.collected = true;
    let orphans = std::mem::take(&mut node.live);
    self.finish_if_done(frame);
    orphans
  }

  pub fn contains(&self, frame: u64) -> bool {
    self.nodes.contains_key(&frame)
  }

  /// Finishes `frame` and then every ancestor it was the last live child of. A loop, not
  /// recursion: chains of nested contexts can be arbitrarily deep.
  fn finish_if_done(&mut self, mut frame: u64) {
    loop {
      let Some(node) = self.nodes.get(&frame) else { return };
      if node.pinned || node.live > 0 || node.children > 0 {
        return;
      }
      let node = self.nodes.remove(&frame).unwrap_or_default();
      if node.watched {
        self.finished_watched.push(frame);
      }
      match self.nodes.get_mut(&node.parent) {
        Some(parent) => {
          parent.children = parent.children.saturating_sub(1);
          frame = node.parent;
        }
        None => return,
      }
    }
  }

  pub fn take_finished_watched(&mut self) -> Vec<u64> {
    std::mem::take(&mut self.finished_watched)
  }

  pub fn iter(&self) -> impl Iterator<Item = (&u64, &ContextNode)> {
    self.nodes.iter()
  }

  /// Bytes the tree's tables hold (see ExecutionMap::heap_bytes).
  pub fn heap_bytes(&self) -> usize {
    self.nodes.capacity() * (std::mem::size_of::<(u64, ContextNode)>() + 1)
      + self.finished_watched.capacity() * std::mem::size_of::<u64>()
  }

  pub fn len(&self) -> usize {
    self.nodes.len()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_run_finishes_after_its_last_resource_and_cascades_to_the_parent() {
    let mut tree = ContextTree::default();
    tree.open(1, 0, 0, 1, true, 0.0);
    tree.watch(1);
    tree.open(2, 1, 0, 5, true, 0.0);
    tree.watch(2);
    tree.add_live(2, 0.0);
    tree.release(2);
    tree.release(1);
    assert!(tree.take_finished_watched().is_empty(), "child still has live work");
    tree.remove_live(2);
    assert_eq!(tree.take_finished_watched(), vec![2, 1]);
    assert_eq!(tree.len(), 0);
  }

  #[test]
  fn collecting_a_frame_releases_its_abandoned_resources() {
    let mut tree = ContextTree::default();
    tree.open(3, 0, 0, 1, false, 0.0);
    tree.add_live(3, 0.0);
    tree.add_live(3, 0.0);
    assert_eq!(tree.collect(3), 2);
    assert_eq!(tree.len(), 0);
  }

  #[test]
  fn late_events_of_a_collected_node_with_live_children_do_not_count_against_it() {
    let mut tree = ContextTree::default();
    tree.open(1, 0, 0, 1, false, 0.0);
    tree.open(2, 1, 0, 1, true, 0.0);
    tree.add_live(1, 0.0);
    tree.add_live(1, 0.0);
    assert_eq!(tree.collect(1), 2);
    assert!(tree.contains(1), "its live child keeps it in the tree");
    tree.remove_live(1); // an orphan settling late
    tree.add_live(1, 0.0); // or a stale record
    tree.release(2);
    assert_eq!(tree.len(), 0, "the child finished, and the collected parent with it");
  }

  #[test]
  fn a_very_deep_chain_finishes_without_recursion() {
    let mut tree = ContextTree::default();
    let depth = 200_000;
    for frame in 1..=depth {
      tree.open(frame, frame - 1, 0, 0, true, 0.0);
    }
    for frame in 1..depth {
      tree.release(frame);
    }
    assert_eq!(tree.len() as u64, depth);
    tree.release(depth);
    assert_eq!(tree.len(), 0);
  }
}
