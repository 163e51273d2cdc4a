//! The execution map: async id -> the frame (context node) that was current when the resource
//! was created, with what a monitor report shows about it.

use crate::id_map::IdMap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
  pub frame: u64,
  pub type_code: u32,
  /// Timeouts, immediates, ticks and request wraps run their callback once: `after` ends them.
  pub one_shot: bool,
  pub created: f64,
}

#[derive(Default)]
pub struct ExecutionMap {
  entries: IdMap<Entry>,
}

impl ExecutionMap {
  /// Records a new resource; an id Node reuses replaces the stale entry, whose frame is returned.
  pub fn insert(&mut self, async_id: u64, entry: Entry) -> Option<Entry> {
    self.entries.insert(async_id, entry)
  }

  pub fn remove(&mut self, async_id: u64) -> Option<Entry> {
    self.entries.remove(&async_id)
  }

  pub fn get(&self, async_id: u64) -> Option<&Entry> {
    self.entries.get(&async_id)
  }

  pub fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
    self.entries.retain(|_, entry| keep(entry));
  }

  pub fn iter(&self) -> impl Iterator<Item = (&u64, &Entry)> {
    self.entries.iter()
  }

  /// Bytes the table holds (its buckets, whether full or not, plus one control byte each).
  pub fn heap_bytes(&self) -> usize {
    self.entries.capacity() * (std::mem::size_of::<(u64, Entry)>() + 1)
  }

  pub fn len(&self) -> usize {
    self.entries.len()
  }
}
