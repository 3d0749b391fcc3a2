//! Service discovery: a replicated registry with leases, in two consistency
//! modes, its workload and properties, and its classic bugs.
//!
//! Instances of services register under a lease with a time-to-live ([`TTL`])
//! and renew it every [`RENEW_EVERY`]; the registry drops an instance that
//! deregisters or whose lease runs out, judged by the registry's own clock.
//! Clients look services up and keep a local cache fresh with watches
//! (long polls). Three registry servers by default.
//!
//! **Two modes, because the difference is the lesson.**
//!
//! | | consistent ([`consistent`], etcd/ZooKeeper style) | available ([`available`], Eureka style) |
//! |---|---|---|
//! | writes | through a Raft leader, committed by a majority | at any peer, passed on to the others |
//! | lookups | through the log: linearizable, never stale | from the peer's copy: may be stale |
//! | without a majority | unavailable | every side keeps serving |
//! | leases | the leader's clock; a new leader grants fresh leases | each peer's clock; self-preservation |
//! | a dead instance is gone after | TTL, plus one failover's worth | TTL, except in self-preservation |
//!
//! What each guarantees, and what the suite checks (`properties/tests/discovery.rs`):
//! - consistent: a lookup never returns an instance whose deregistration
//!   completed before the lookup began;
//! - available: once the faults are healed, a deregistered instance is not
//!   returned more than [`SPREAD`] after its deregistration completed (or
//!   after the heal, if it completed before);
//! - both: after the faults are healed, an instance that stopped renewing more
//!   than TTL plus [`grace`] ago (counted from the heal at the earliest: a
//!   restarted peer or a new leader grants fresh leases) is not returned (in the available mode, unless
//!   the answer says the peer is in self-preservation, which is the point of
//!   self-preservation); every live instance is in every client's cache within
//!   [`CONVERGE`] of the heal; no lookup lists an instance twice.
//!
//! **Planted bugs** (variants, off by default): `two-leaders` (consistent mode
//! without check-quorum, answering lookups from the leader's local state: a
//! leader cut off in a minority returns what the majority already removed),
//! `zombie` (available mode: a deregistration is neither replicated nor
//! tombstoned, so the other peers' copies bring the instance back) and
//! `client-clock` (available mode judging leases by the client's wall clock:
//! a client whose clock jumped ahead stays registered after it died).

pub mod available;
pub mod client;
pub mod consistent;
pub mod history;
pub mod lease;
pub mod observe;
pub mod proto;
pub mod registry;
mod scenario;

pub use scenario::{nemesis, DiscoveryScenario, CHAOS, CLIENTS, END, FLEET, FLEET_IDS, INSTANCES, SERVERS, SERVICE};
use std::time::Duration;

/// How long a lease lasts without a renewal.
pub const TTL: Duration = Duration::from_secs(2);

/// How often an instance renews its lease.
pub const RENEW_EVERY: Duration = Duration::from_millis(250);

/// How often a server looks for expired leases.
pub const EXPIRY_CHECK: Duration = Duration::from_millis(50);

/// How long a server holds a watch without a change.
pub const WATCH_HOLD: Duration = Duration::from_millis(500);

/// How long a client waits for an answer.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(300);

/// How long after the heal every live instance must be in every client's cache.
pub const CONVERGE: Duration = Duration::from_secs(3);

/// How long a completed deregistration takes to reach every peer (available mode).
pub const SPREAD: Duration = Duration::from_secs(1);

/// How long past its TTL an instance that stopped renewing may still be
/// returned: in the consistent mode one failover (an election and a fresh
/// lease from the new leader), in the available mode an expiry check and the
/// tombstone's trip to the other peers.
pub fn grace(consistent: bool) -> Duration {
    if consistent {
        TTL + Duration::from_secs(1)
    } else {
        Duration::from_millis(500)
    }
}

/// The planted bugs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// No check-quorum, lookups from the leader's local state.
    pub two_leaders: bool,
    /// Deregistrations not replicated, no tombstones.
    pub zombie: bool,
    /// Leases judged by the client's wall clock.
    pub client_clock: bool,
}
