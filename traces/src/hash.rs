//! The trace hash: a stable 64-bit identifier of a run's event stream.
//!
//! Definition (stable across versions of this crate; changing it is a format
//! change): the state starts at `SEED`; every record feeds its words (time, node,
//! kind code, then the kind's fields in declaration order, texts as their length
//! followed by their bytes in little-endian 8-byte chunks, the last one zero-padded)
//! through `mix`; `finish` feeds the node and port names the same way and applies
//! a final avalanche. The text of a `send` (the message's rendering) is not fed:
//! the simulator renders messages lazily, only when a trace is read, and what a
//! message carries shows in the events it causes. Log, fault and call texts are
//! fed. Only integer arithmetic is used, so the hash is the same on every platform.

use crate::record::{Event, Record};
use std::fmt;

const SEED: u64 = 0x6d69_6372_6f73_696d; // "microsim"
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A finished trace hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TraceHash(pub u64);

impl fmt::Display for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for TraceHash {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(TraceHash)
    }
}

/// Incremental hasher of records (see the module documentation for the definition).
#[derive(Clone, Debug)]
pub struct TraceHasher {
    state: u64,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { state: SEED }
    }
}

impl TraceHasher {
    #[inline(always)]
    fn mix(&mut self, word: u64) {
        self.state = (self.state.rotate_left(23) ^ word).wrapping_mul(K);
    }

    #[inline(never)]
    fn bytes(&mut self, bytes: &[u8]) {
        self.mix(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(last));
        }
    }

    /// Feeds one record; `text` is the record's text (empty when it has none).
    ///
    /// Always inlined: the recorder calls it with an event it has just built,
    /// so the kind is known and the match folds away.
    #[inline(always)]
    pub fn record(&mut self, record: &Record, text: &str) {
        self.mix(record.time_ns);
        self.mix(u64::from(record.node));
        match record.event {
            Event::Start => self.mix(1),
            Event::Crash => self.mix(2),
            Event::Restart => self.mix(3),
            Event::Pause => self.mix(4),
            Event::Resume => self.mix(5),
            Event::Spawn { task } => {
                self.mix(6);
                self.mix(task);
            }
            Event::Exit { task } => {
                self.mix(7);
                self.mix(task);
            }
            Event::Send { msg, to, port, .. } => {
                self.mix(8);
                self.mix(msg);
                self.mix(u64::from(to));
                self.mix(u64::from(port.0));
            }
            Event::Deliver { msg, from } => {
                self.mix(9);
                self.mix(msg);
                self.mix(u64::from(from));
            }
            Event::Drop { msg, reason } => {
                self.mix(10);
                self.mix(msg);
                self.mix(reason as u64);
            }
            Event::Timer { timer } => {
                self.mix(11);
                self.mix(timer);
            }
            Event::Log { level, .. } => {
                self.mix(12);
                self.mix(level as u64);
                self.bytes(text.as_bytes());
            }
            Event::Fault { .. } => {
                self.mix(13);
                self.bytes(text.as_bytes());
            }
            Event::Duplicate { msg } => {
                self.mix(14);
                self.mix(msg);
            }
            Event::Call { call, parent, to, .. } => {
                self.mix(15);
                self.mix(call);
                self.mix(parent);
                self.mix(u64::from(to));
                self.bytes(text.as_bytes());
            }
            Event::Return { call, outcome } => {
                self.mix(16);
                self.mix(call);
                self.mix(outcome as u64);
            }
        }
    }

    /// Feeds the name tables and returns the finished hash.
    pub fn finish<'a>(
        &self,
        nodes: impl IntoIterator<Item = &'a str>,
        ports: impl IntoIterator<Item = &'a str>,
    ) -> TraceHash {
        let mut h = self.clone();
        for n in nodes {
            h.bytes(n.as_bytes());
        }
        h.mix(u64::MAX);
        for p in ports {
            h.bytes(p.as_bytes());
        }
        // Final avalanche (the 64-bit finaliser of MurmurHash3).
        let mut x = h.state;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^= x >> 33;
        TraceHash(x)
    }
}
