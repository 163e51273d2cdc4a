//! What a thread publishes so that other threads can report its contexts: a label and a size
//! per live context (computed by its JS label function, which no other isolate can call) and the
//! names behind its resource type codes (assigned per thread, in the order types are first seen).
//!
//! Bounded: at most MAX_ENTRIES contexts per thread and MAX_LABEL_BYTES per label, so a thread
//! with a million live contexts or a label function returning megabytes cannot grow it without
//! limit. Entries of frames that left the context tree are dropped at the next publication or
//! all-threads report (frame ids are never reused in a thread, so a stale entry is never shown).

use crate::context_tree::ContextTree;
use crate::id_map::IdMap;

/// Contexts of one thread whose label is kept; later ones are reported without a label.
pub const MAX_ENTRIES: usize = 10_000;
/// Bytes of a label kept (formatMonitor shows 120 characters by default).
pub const MAX_LABEL_BYTES: usize = 256;

pub struct PublishedEntry {
  pub label: Option<String>,
  /// `JSON.stringify(context).length` when published; -1 when it could not be serialised.
  pub context_size: f64,
}

#[derive(Default)]
pub struct Published {
  entries: IdMap<PublishedEntry>,
  type_names: Vec<String>,
}

impl Published {
  /// Sets the entries of `frames` (labels[i] and sizes[i] belong to frames[i]); entries of frames
  /// no longer in `tree` go first, to make room.
  pub fn publish(&mut self, tree: &ContextTree, frames: &[f64], labels: Vec<Option<String>>, sizes: &[f64]) {
    self.prune(tree);
    for ((&frame, label), &context_size) in frames.iter().zip(labels).zip(sizes) {
      let frame = frame as u64;
      if !tree.contains(frame) || (self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&frame)) {
        continue;
      }
      self.entries.insert(frame, PublishedEntry { label: label.map(truncated), context_size });
    }
  }

  /// Type names only grow (a code, once given, keeps its name), so a longer list replaces ours.
  pub fn set_type_names(&mut self, names: Vec<String>) {
    if names.len() > self.type_names.len() {
      self.type_names = names;
    }
  }

  pub fn prune(&mut self, tree: &ContextTree) {
    if !self.entries.is_empty() {
      self.entries.retain(|frame, _| tree.contains(*frame));
    }
  }

  pub fn get(&self, frame: u64) -> Option<&PublishedEntry> {
    self.entries.get(&frame)
  }

  /// The name of a resource type code; a code newer than the last publication has none yet.
  pub fn type_name(&self, code: u32) -> String {
    self.type_names.get(code as usize).cloned().unwrap_or_else(|| format!("<type {code}>"))
  }

  #[cfg(test)]
  pub fn len(&self) -> usize {
    self.entries.len()
  }
}

/// At most MAX_LABEL_BYTES, cut on a character boundary, with `…` when cut.
fn truncated(mut label: String) -> String {
  if label.len() <= MAX_LABEL_BYTES {
    return label;
  }
  let mut end = MAX_LABEL_BYTES - '…'.len_utf8();
  while !label.is_char_boundary(end) {
    end -= 1;
  }
  label.truncate(end);
  label.push('…');
  label
}

#[cfg(test)]
mod tests {
  use super::*;

  fn tree_with(frames: impl IntoIterator<Item = u64>) -> ContextTree {
    let mut tree = ContextTree::default();
    for frame in frames {
      tree.open(frame, 0, 0, 1, true, 0.0);
    }
    tree
  }

  #[test]
  fn entries_of_frames_that_left_the_tree_are_dropped_at_the_next_publication() {
    let mut tree = tree_with([1, 2]);
    let mut published = Published::default();
    published.publish(&tree, &[1.0, 2.0, 3.0], vec![Some("a".into()), None, Some("gone".into())], &[10.0, 20.0, 30.0]);
    assert_eq!(published.len(), 2, "frame 3 is not in the tree");
    assert_eq!(published.get(1).and_then(|entry| entry.label.as_deref()), Some("a"));
    assert_eq!(published.get(2).map(|entry| entry.context_size), Some(20.0));
    tree.release(1);
    published.publish(&tree, &[], vec![], &[]);
    assert!(published.get(1).is_none());
    assert_eq!(published.len(), 1);
  }

  #[test]
  fn the_table_is_bounded_in_entries_and_label_bytes() {
    let frames: Vec<u64> = (1..=(MAX_ENTRIES as u64 + 50)).collect();
    let tree = tree_with(frames.iter().copied());
    let mut published = Published::default();
    let ids: Vec<f64> = frames.iter().map(|&frame| frame as f64).collect();
    let labels = frames.iter().map(|_| Some("é".repeat(MAX_LABEL_BYTES))).collect();
    published.publish(&tree, &ids, labels, &vec![1.0; ids.len()]);
    assert_eq!(published.len(), MAX_ENTRIES);
    let label = published.get(1).and_then(|entry| entry.label.clone()).unwrap_or_default();
    assert!(label.len() <= MAX_LABEL_BYTES && label.ends_with('…'), "{} bytes", label.len());
    // A frame already kept is still updated when the table is full.
    published.publish(&tree, &[1.0], vec![Some("new".into())], &[2.0]);
    assert_eq!(published.get(1).and_then(|entry| entry.label.as_deref()), Some("new"));
  }

  #[test]
  fn type_names_only_grow() {
    let mut published = Published::default();
    published.set_type_names(vec!["PROMISE".into(), "Timeout".into()]);
    published.set_type_names(vec!["PROMISE".into()]);
    assert_eq!(published.type_name(1), "Timeout");
    assert_eq!(published.type_name(7), "<type 7>");
  }
}
