//! The monitor report: live context nodes and the live async resources under each.

use napi_derive::napi;

use crate::event_log;
use crate::id_map::IdMap;
use crate::tracker::Tracker;

#[napi(object)]
pub struct NativeMonitorChild {
  pub async_id: f64,
  pub type_code: u32,
  pub created: f64,
  /// Only in all-threads reports: the type's name as the owning thread published it (type codes
  /// are per thread).
  pub type_name: Option<String>,
}

#[napi(object)]
pub struct NativeMonitorEntry {
  pub frame: f64,
  pub parent: f64,
  pub slot: u32,
  pub async_id: f64,
  pub created: f64,
  pub pinned: bool,
  pub live_children: u32,
  pub children: Vec<NativeMonitorChild>,
  /// Only in all-threads reports: what the owning thread published (see published.rs).
  pub label: Option<String>,
  pub context_size: Option<f64>,
}

#[napi(object)]
pub struct NativeMonitorReport {
  /// Entries in the execution map (live async resources under a context).
  pub size: u32,
  /// Nodes in the context tree.
  pub contexts: u32,
  pub entries: Vec<NativeMonitorEntry>,
}

/// Builds the report, for one slot (an ExecutionContext instance's slot) or for all of them.
/// The tracker's orphans must have been swept (`Tracker::sweep_orphans`).
pub fn report(tracker: &Tracker, slot: Option<u32>) -> NativeMonitorReport {
  report_where(tracker, |node_slot| slot.is_none_or(|slot| node_slot == slot))
}

/// Builds the report of the nodes whose slot `keep` accepts (orphans swept, as for `report`).
pub fn report_where(tracker: &Tracker, keep: impl Fn(u32) -> bool) -> NativeMonitorReport {
  // Nodes count their resources; the resources themselves are found by one pass over the map.
  // Keyed by map key (Node's ids, then the engine-numbered promises), so that children sort by
  // creation within each sequence.
  let mut by_frame: IdMap<Vec<(u64, NativeMonitorChild)>> = IdMap::default();
  for (&key, entry) in tracker.map.iter() {
    by_frame.entry(entry.frame).or_default().push((
      key,
      NativeMonitorChild { async_id: event_log::reported_id(key), type_code: entry.type_code, created: entry.created, type_name: None },
    ));
  }
  let mut entries: Vec<NativeMonitorEntry> = tracker
    .tree
    .iter()
    .filter(|(_, node)| keep(node.slot))
    .map(|(&frame, node)| {
      let mut keyed = by_frame.remove(&frame).unwrap_or_default();
      keyed.sort_unstable_by_key(|(key, _)| *key);
      let children = keyed.into_iter().map(|(_, child)| child).collect();
      NativeMonitorEntry {
        frame: frame as f64,
        parent: node.parent as f64,
        slot: node.slot,
        async_id: node.async_id as f64,
        created: node.created,
        pinned: node.pinned,
        live_children: node.children,
        children,
        label: None,
        context_size: None,
      }
    })
    .collect();
  entries.sort_by(|a, b| a.frame.total_cmp(&b.frame));
  NativeMonitorReport {
    size: u32::try_from(tracker.map.len()).unwrap_or(u32::MAX),
    contexts: u32::try_from(tracker.tree.len()).unwrap_or(u32::MAX),
    entries,
  }
}
