//! Hash maps keyed by the integer ids Node hands out (async ids, frame ids).
//!
//! Ids are sequential integers chosen by Node or by our bridge, never by an attacker, so a
//! multiplicative hash is enough; SipHash would cost more than the map work it protects.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
  fn finish(&self) -> u64 {
    self.0
  }

  fn write(&mut self, bytes: &[u8]) {
    for &byte in bytes {
      self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
  }

  fn write_u64(&mut self, id: u64) {
    // Fibonacci hashing spreads sequential ids over the high bits the table uses.
    self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
  }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
pub type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;
