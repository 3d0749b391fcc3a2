//! The memo table of the search: every (linearized set, model state) seen so far.
//!
//! Lowe's memoisation: two search paths that linearized the same operations and
//! reached the same state have the same future, so the second is cut. The table
//! is open addressing with linear probing over indices into flat arenas (bitset
//! words, states, hashes), so inserting allocates only when an arena grows and a
//! lookup that hits allocates nothing. Each slot also keeps 32 bits of its
//! entry's hash, so a probe rarely touches an arena unless it is a real match.

use super::bitset::Bitset;
use super::hash::{fx_hash, mix};
use std::hash::Hash;

const EMPTY: u64 = 0;

/// A set of (bitset, state) pairs.
#[derive(Debug)]
pub(crate) struct Cache<S> {
    words_per_set: usize,
    words: Vec<u64>,
    states: Vec<S>,
    hashes: Vec<u64>,
    /// `EMPTY`, or the hash's upper 32 bits above the entry's index plus one.
    slots: Vec<u64>,
}

impl<S: Clone + Eq + Hash> Cache<S> {
    /// An empty table for bitsets of `words_per_set` words.
    pub(crate) fn new(words_per_set: usize) -> Cache<S> {
        Cache { words_per_set, words: Vec::new(), states: Vec::new(), hashes: Vec::new(), slots: vec![EMPTY; 1024] }
    }

    /// How many pairs are stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Adds (`bits`, `state`) and returns true, or returns false if it was there.
    #[inline]
    pub(crate) fn insert(&mut self, bits: &Bitset, state: &S) -> bool {
        debug_assert_eq!(bits.words().len(), self.words_per_set);
        let hash = mix(bits.hash() ^ fx_hash(state).rotate_left(29));
        let tag = hash & !0xffff_ffff;
        let mask = self.slots.len() - 1;
        let mut slot = hash as usize & mask;
        loop {
            let packed = self.slots[slot];
            if packed == EMPTY {
                break;
            }
            if packed & !0xffff_ffff == tag && self.is_entry((packed as u32 - 1) as usize, bits, state) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        let entry = u32::try_from(self.states.len() + 1).expect("fewer than 2^32 cache entries");
        self.slots[slot] = tag | u64::from(entry);
        self.words.extend_from_slice(bits.words());
        self.states.push(state.clone());
        self.hashes.push(hash);
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    #[inline]
    fn is_entry(&self, entry: usize, bits: &Bitset, state: &S) -> bool {
        let stored = &self.words[entry * self.words_per_set..(entry + 1) * self.words_per_set];
        // A word loop, not a slice `==`: bitsets are a word or two, too short for memcmp.
        stored.iter().zip(bits.words()).all(|(a, b)| a == b) && self.states[entry] == *state
    }

    /// Doubles the slots and places every entry again (by its stored hash).
    fn grow(&mut self) {
        let mut slots = vec![EMPTY; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (entry, hash) in self.hashes.iter().enumerate() {
            let mut slot = *hash as usize & mask;
            while slots[slot] != EMPTY {
                slot = (slot + 1) & mask;
            }
            slots[slot] = (hash & !0xffff_ffff) | (entry as u64 + 1);
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_new_once_and_growth_keeps_every_pair() {
        let mut cache = Cache::new(1);
        let mut bits = Bitset::new(10);
        assert!(cache.insert(&bits, &0u32));
        assert!(!cache.insert(&bits, &0u32));
        bits.set(4);
        assert!(cache.insert(&bits, &0u32));
        for state in 1..5000u32 {
            assert!(cache.insert(&bits, &state));
        }
        assert!((1..5000u32).all(|state| !cache.insert(&bits, &state)));
        assert_eq!(cache.len(), 5001);
    }
}
