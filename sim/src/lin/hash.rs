//! Fast deterministic hashing for the search's memo table.
//!
//! `FxHasher` is the multiply-rotate hash of Firefox and rustc, a few lines long:
//! no random keys (so runs are reproducible) and no DoS resistance (not needed
//! for our own states). `bit_key` gives each operation a fixed 64-bit key so the
//! hash of a set of operations can be updated in O(1) as bits flip (Zobrist).

use std::hash::{Hash, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The Fx hash: for each word, rotate, xor, multiply.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The Fx hash of a value.
#[inline]
pub(crate) fn fx_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = FxHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A well-mixed 64-bit key for bit `i` (the SplitMix64 finaliser).
#[inline]
pub(crate) fn bit_key(i: usize) -> u64 {
    mix(i as u64 ^ 0x9e37_79b9_7f4a_7c15)
}

/// Spreads every input bit over every output bit (SplitMix64's finaliser).
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_hash_equally_and_tails_count() {
        assert_eq!(fx_hash("abcdefghij"), fx_hash("abcdefghij"));
        assert_ne!(fx_hash("abcdefghij"), fx_hash("abcdefghik"));
        assert_ne!(bit_key(0), bit_key(1));
    }
}
