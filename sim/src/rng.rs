//! Seeded randomness: one pinned algorithm, independent streams per concern.
//!
//! Every random choice of a run comes from ChaCha8 (`rand_chacha`) keyed by the
//! run's seed. Each concern draws from its own stream (ChaCha's 64-bit stream
//! number), so turning one concern on or off does not shift the draws of the
//! others: the network's latencies stay the same whether or not the scheduler
//! is random. Service code on a node draws from a stream named after the node,
//! so adding a node does not change what the other nodes draw.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The name of the pinned algorithm, as written in trace headers.
pub const RNG_ALGORITHM: &str = "chacha8";

/// The concerns that draw random numbers, each from its own stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Latencies and (later) loss and duplication.
    Network = 1,
    /// The order in which ready tasks run.
    Scheduler = 2,
    /// Workload generation outside the nodes.
    Workload = 3,
    /// Fault plans.
    Faults = 4,
    /// `buggify!` and `fault_point!`.
    FaultPoints = 5,
}

/// The generator type used everywhere in the simulator.
pub type SimRng = ChaCha8Rng;

/// The generator of one concern's stream under `seed`.
pub fn stream(seed: u64, which: Stream) -> SimRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which as u64);
    rng
}

/// The generator for service code on the node named `node`: its stream number
/// is derived from the name (FNV-1a, with the top bit set so it never collides
/// with a [`Stream`]).
pub fn node_stream(seed: u64, node: &str) -> SimRng {
    named_stream(seed, "", node)
}

/// The generator of the disk faults of the node named `node` (a stream of its
/// own, so disk faults do not shift what the node's code draws).
pub fn node_disk_stream(seed: u64, node: &str) -> SimRng {
    named_stream(seed, "disk:", node)
}

fn named_stream(seed: u64, prefix: &str, name: &str) -> SimRng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in prefix.bytes().chain(name.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(h | 1 << 63);
    rng
}

/// A uniform draw from `min..max` (nanoseconds or any `u64`), `min` if empty.
#[inline(always)]
pub(crate) fn range_u64(rng: &mut SimRng, min: u64, max: u64) -> u64 {
    if max <= min {
        return min;
    }
    // rand 0.9's `random_range(min..max)` for `u64` (its default, biased
    // variant of Canon's method), written out so that it inlines: the high word
    // of a 64x64-bit product, corrected by a second draw in the rare case the
    // low word says the first may be biased.
    let range = max - min;
    let wide = u128::from(rng.next_u64()) * u128::from(range);
    let (mut hi, lo) = ((wide >> 64) as u64, wide as u64);
    if lo > range.wrapping_neg() {
        let again = ((u128::from(rng.next_u64()) * u128::from(range)) >> 64) as u64;
        hi += u64::from(lo.checked_add(again).is_none());
    }
    min.wrapping_add(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let a = stream(7, Stream::Network).next_u64();
        let b = stream(7, Stream::Scheduler).next_u64();
        assert_ne!(a, b);
        assert_eq!(a, stream(7, Stream::Network).next_u64());
        assert_ne!(a, stream(8, Stream::Network).next_u64());
    }

    #[test]
    fn node_streams_depend_on_the_name_only() {
        assert_eq!(node_stream(1, "payment").next_u64(), node_stream(1, "payment").next_u64());
        assert_ne!(node_stream(1, "payment").next_u64(), node_stream(1, "orders").next_u64());
    }

    #[test]
    fn the_pinned_algorithm_gives_these_numbers() {
        // If this changes, every recorded seed replays differently: that is a
        // breaking change of the trace format, not a refactor.
        let mut rng = stream(42, Stream::Network);
        let draws: Vec<u64> = (0..3).map(|_| range_u64(&mut rng, 1_000_000, 5_000_000)).collect();
        assert_eq!(draws, PINNED_DRAWS);
    }

    #[test]
    fn range_draws_are_rands() {
        use rand::Rng;
        let ranges =
            [(0, 1), (1_000_000, 5_000_000), (7, 8), (0, u64::MAX), (3, (1 << 63) + 12_345), (1 << 62, u64::MAX)];
        for seed in 0..20 {
            for (min, max) in ranges {
                let mut ours = stream(seed, Stream::Network);
                let mut theirs = ours.clone();
                for _ in 0..200 {
                    assert_eq!(range_u64(&mut ours, min, max), theirs.random_range(min..max), "{min}..{max}");
                }
            }
        }
    }

    const PINNED_DRAWS: [u64; 3] = [3_867_166, 1_667_641, 2_929_659];
}
