//! Leases as a registry server judges them: when each instance last renewed,
//! by the server's own monotonic clock.
//!
//! The `client-clock` bug judges them by the client's wall clock instead (the
//! time stamped in the request): a client whose clock runs ahead keeps its
//! instance alive after it died, one whose clock is behind loses it early.

use super::proto::Key;
use microsim::time::{self, Instant};
use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

/// The leases one server keeps.
#[derive(Debug, Default)]
pub struct Leases {
    renewed: BTreeMap<Key, i128>,
    client_clock: bool,
}

fn server_now(client_clock: bool) -> i128 {
    if client_clock {
        wall_ns()
    } else {
        i128::from(time::now().as_nanos())
    }
}

/// This node's wall clock in nanoseconds since the Unix epoch.
pub fn wall_ns() -> i128 {
    match time::wall_now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

impl Leases {
    /// Leases judged by the server's clock, or (the bug) by the client's.
    pub fn new(client_clock: bool) -> Leases {
        Leases { renewed: BTreeMap::new(), client_clock }
    }

    /// The instance renewed now; `stamp` is the client's wall clock.
    pub fn renew(&mut self, key: Key, stamp: i128) {
        let at = if self.client_clock { stamp } else { server_now(false) };
        self.renewed.insert(key, at);
    }

    /// Every lease in `keys` starts now (a new leader cannot know when they
    /// last renewed, so it grants each a full lease, as etcd does).
    pub fn reset(&mut self, keys: impl Iterator<Item = Key>) {
        let now = server_now(self.client_clock);
        self.renewed = keys.map(|k| (k, now)).collect();
    }

    /// Forgets an instance.
    pub fn remove(&mut self, key: &Key) {
        self.renewed.remove(key);
    }

    /// The instances of `keys` whose lease ran out (not renewed for `ttl`); an
    /// instance without a lease gets one now.
    pub fn expired(&mut self, keys: impl Iterator<Item = Key>, ttl: Duration) -> Vec<Key> {
        let now = server_now(self.client_clock);
        let mut out = Vec::new();
        for key in keys {
            let at = *self.renewed.entry(key.clone()).or_insert(now);
            if now - at > ttl.as_nanos() as i128 {
                out.push(key);
            }
        }
        out
    }

    /// When this lease was last renewed, on the server's clock.
    pub fn renewed_at(&self, key: &Key) -> Option<Instant> {
        self.renewed.get(key).map(|&ns| Instant::from_nanos(ns.max(0) as u64))
    }
}
