//! One-way latency distributions and per-link settings.

use crate::rng::{range_u64, SimRng};
use rand::Rng;
use std::time::Duration;

/// How long a message takes from send to delivery.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Always the same.
    Fixed(Duration),
    /// Uniform in `min..max` (`max` excluded; `min` when the range is empty).
    Uniform {
        /// Shortest.
        min: Duration,
        /// Bound (excluded).
        max: Duration,
    },
    /// A long tail: at least `min`, half the messages within `median`, the rest
    /// spread as a Pareto tail (shape 1.16, the "80/20" tail) cut at `max`.
    LongTail {
        /// Shortest.
        min: Duration,
        /// Half of the messages are faster.
        median: Duration,
        /// Longest.
        max: Duration,
    },
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Latency {
    /// Uniform in `min..max`.
    pub fn uniform(min: Duration, max: Duration) -> Latency {
        assert!(min <= max, "uniform latency needs min <= max, got {min:?} > {max:?}");
        Latency::Uniform { min, max }
    }

    /// A long-tailed distribution (see [`Latency::LongTail`]).
    pub fn long_tail(min: Duration, median: Duration, max: Duration) -> Latency {
        assert!(min <= median && median <= max, "long-tail latency needs min <= median <= max");
        Latency::LongTail { min, median, max }
    }

    /// The distribution in nanoseconds, ready for sampling.
    pub(crate) fn in_nanos(&self) -> LatencyNs {
        match *self {
            Latency::Fixed(d) => LatencyNs::Fixed(ns(d)),
            Latency::Uniform { min, max } => LatencyNs::Uniform(ns(min), ns(max)),
            Latency::LongTail { min, median, max } => LatencyNs::LongTail(ns(min), ns(median), ns(max)),
        }
    }
}

/// A [`Latency`] in nanoseconds (converted once, sampled per message).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum LatencyNs {
    Fixed(u64),
    Uniform(u64, u64),
    LongTail(u64, u64, u64),
}

impl LatencyNs {
    /// Draws one latency in nanoseconds.
    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut SimRng) -> u64 {
        match *self {
            LatencyNs::Fixed(d) => d,
            LatencyNs::Uniform(min, max) => range_u64(rng, min, max),
            LatencyNs::LongTail(min, median, max) => long_tail(rng, min, median, max),
        }
    }
}

impl LatencyNs {
    /// The latency a choice makes (see `choices.rs`): `min + c % (max - min)`.
    pub(crate) fn chosen(&self, c: &crate::choices::Cursor) -> u64 {
        match *self {
            LatencyNs::Fixed(d) => d,
            LatencyNs::Uniform(min, max) => c.range(min, max),
            LatencyNs::LongTail(min, _, max) => c.range(min, max.saturating_add(1)),
        }
    }
}

/// Draws from the long-tailed distribution (out of line: it is long and rare).
#[inline(never)]
fn long_tail(rng: &mut SimRng, min: u64, median: u64, max: u64) -> u64 {
    const SHAPE: f64 = 1.16;
    // u in (0, 1]: 1 - [0, 1).
    let u = 1.0 - rng.random::<f64>();
    let scale = (median - min) as f64 / (2f64.powf(1.0 / SHAPE) - 1.0);
    let extra = scale * (u.powf(-1.0 / SHAPE) - 1.0);
    let total = min as f64 + extra;
    if total >= max as f64 {
        max
    } else {
        total as u64
    }
}

/// A [`LinkConfig`] in the form the network uses per message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Link {
    pub(crate) latency: LatencyNs,
    pub(crate) fifo: bool,
}

impl From<LinkConfig> for Link {
    fn from(c: LinkConfig) -> Link {
        Link { latency: c.latency.in_nanos(), fifo: c.fifo }
    }
}

/// How a directed link between two nodes behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkConfig {
    /// The latency distribution.
    pub latency: Latency,
    /// Whether messages on this link are delivered in send order (as over one
    /// TCP connection); otherwise a later message may overtake an earlier one.
    pub fifo: bool,
}

impl LinkConfig {
    /// A link with the given latency, reordering allowed.
    pub fn new(latency: Latency) -> LinkConfig {
        LinkConfig { latency, fifo: false }
    }

    /// The same link, delivering in send order.
    pub fn fifo(self) -> LinkConfig {
        LinkConfig { fifo: true, ..self }
    }
}
