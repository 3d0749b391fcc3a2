//! The order saga: an orchestrator (`orders`) runs a saga per order over
//! three participants (`inventory`, `payment`, `shipping`) that it finds
//! through the discovery registry, with its timeouts, retry limits and
//! feature flags read from the config center; its workload, properties,
//! nemesis and planted bugs.
//!
//! **The saga.** Reserve the stock, charge the total, schedule the delivery,
//! then commit (the reserved stock becomes shipped; past the schedule the
//! order only goes forward). When a step is refused (out of stock, card
//! declined, parcel too large) or times out after its attempts, the saga
//! compensates, last first, every step that may have been applied: cancel the
//! delivery, refund, release the stock. Every step and compensation carries
//! an idempotency key (order, step): a retried or duplicated step is applied
//! once, and a compensation that arrives before its step leaves a tombstone
//! that refuses the late step. Calls have a timeout, retries with exponential
//! backoff and jitter, and a circuit breaker per downstream ([`caller`],
//! [`breaker`]); the tunables are [`settings::Settings`], read once per step.
//!
//! **Durability.** The orchestrator logs every decision to its disk and syncs
//! it before acting ([`log`], [`journal`]); a client is acknowledged only
//! once the order's `Started` record is synced. After a restart it replays
//! the log and resumes every unfinished saga. The participants keep their
//! books the same way ([`book`], [`participant`]).
//!
//! **Discovery.** Every service registers with the registry and renews its
//! lease; the orchestrator looks its downstreams up and caches them
//! ([`directory`]). The registry runs in discovery's available mode: lookups
//! are answered by any peer without an election, so a partition or a lost
//! registry majority does not stall orders, and the staleness it allows is
//! harmless here, where each service has one instance that never moves.
//!
//! **Configuration.** The settings live in the config center (3 Raft servers,
//! `cfg0`..`cfg2`, [`crate::config`]), one key per field under `saga/prod/`
//! ([`settings`]); an operator node (`admin`) seeds them with the variant's
//! values at the start, so the planted `retry-storm` gets its flags off
//! through the config center too, and can change them during the run
//! ([`remote::SettingsChange`]). The orchestrator keeps a cache of them
//! ([`remote::ConfigSource`]), fed by a watch (long polls on `saga/prod/`)
//! and fenced by version: a key never goes back to an older version. A saga
//! step never waits for the config center: until the watch has answered since
//! the orchestrator started, steps run on the documented defaults; when it
//! has not answered for [`remote::STALE_AFTER`], on the last known values.
//! Such steps are counted (metric `settings fallbacks`, and `sometimes`
//! coverage), and the run summary lists the settings changes the
//! orchestrator took. The cache is memory only: a restarted orchestrator
//! starts from the defaults until its first answer.
//!
//! **Properties** (the oracle, [`oracle`]): each step and compensation is
//! applied at most once per order and stock adds up, checked where a
//! participant applies them; no acknowledged order is lost, checked where the
//! orchestrator replays its log and where clients ask; at the end, every
//! order ended completed (each step applied once) or cancelled (every applied
//! step compensated once), charges minus refunds equal the completed orders'
//! totals to the cent, stock adds up per item with nothing left reserved, and
//! invalid orders left no trace; every acknowledged order finishes within
//! [`TERMINATION`] of the heal (`eventually`). Coverage (`sometimes`):
//! compensations, breaker openings, resumed sagas, duplicate requests,
//! settings that fell back to the defaults and to the last known values. The
//! config center's own checks (replicas agree, reads are committed and
//! fresh, versions never go backwards) run here too.
//! A node whose disk is wiped (`crash_wipe`) loses what it promised: such a
//! run checks only that nothing panics.
//!
//! **Planted bugs** (variants, off by default): `charge-without-key` (the retries
//! of a charge carry no key: a retry after a timeout charges twice), `no-compensation-on-timeout`
//! (a charge that timed out is taken as never made and the saga ends without
//! compensating), `ack-before-sync` (the order is acknowledged before its
//! record is synced, which a group commit does 10 ms later: a crash loses an
//! acknowledged order), `refund-without-key` (a refund is not idempotent: a
//! retried or duplicated refund refunds again) and `retry-storm` (breakers and
//! backoff off by their feature flags, written to the config center: an
//! outage multiplies the calls).

pub mod book;
pub mod breaker;
pub mod caller;
pub mod directory;
pub mod journal;
pub mod log;
pub mod metrics;
pub mod oracle;
pub mod orchestrator;
pub mod order;
pub mod participant;
pub mod proto;
pub mod remote;
mod scenario;
pub mod settings;

pub use scenario::{
    invalid_orders, nemesis, variant, SagaScenario, ADMIN, AUDITOR, CHAOS, CLIENTS, CONFIG, ORDERS_PER_CLIENT,
    TERMINATION,
};

/// The participants, each on a node of its name.
pub const PARTICIPANTS: [&str; 3] = ["inventory", "payment", "shipping"];

/// The planted bugs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// The retries of a charge carry no idempotency key.
    pub charge_without_key: bool,
    /// A charge that timed out ends the saga without compensation.
    pub no_compensation_on_timeout: bool,
    /// The order is acknowledged before its record is synced.
    pub ack_before_sync: bool,
    /// Refunds carry no idempotency key.
    pub refund_without_key: bool,
}
