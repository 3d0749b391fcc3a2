//! The set of operations linearized so far, with a hash kept up to date as bits flip.

use super::hash::bit_key;

/// A fixed-size set of operation indices with an incremental (Zobrist) hash.
#[derive(Clone, Debug)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    hash: u64,
}

impl Bitset {
    /// An empty set of room for `n` indices.
    pub(crate) fn new(n: usize) -> Bitset {
        Bitset { words: vec![0; n.div_ceil(64).max(1)], hash: 0 }
    }

    /// Adds `i` (which must be absent).
    #[inline]
    pub(crate) fn set(&mut self, i: usize) {
        debug_assert!(!self.contains(i), "bit {i} already set");
        self.words[i / 64] |= 1 << (i % 64);
        self.hash ^= bit_key(i);
    }

    /// Removes `i` (which must be present).
    #[inline]
    pub(crate) fn clear(&mut self, i: usize) {
        debug_assert!(self.contains(i), "bit {i} not set");
        self.words[i / 64] &= !(1 << (i % 64));
        self.hash ^= bit_key(i);
    }

    /// Whether `i` is in the set.
    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// The words, lowest index first.
    #[inline]
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    /// The hash of the set: the xor of the keys of its members.
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_depends_on_the_members_only() {
        let mut a = Bitset::new(130);
        let mut b = Bitset::new(130);
        a.set(3);
        a.set(129);
        b.set(129);
        b.set(7);
        b.clear(7);
        b.set(3);
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.words(), b.words());
        assert!(a.contains(129) && !a.contains(128));
    }
}
