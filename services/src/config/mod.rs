//! The config center: versioned configuration in the spirit of Apollo and
//! etcd, replicated on the Raft in [`crate::raft`], with watches, client-side
//! caches fenced by version, and canary (gray) releases.
//!
//! # Data model
//!
//! A key is `application/environment/name` ([`key`]). Every change (put,
//! compare-and-set, delete, canary release, promotion) takes the next global
//! revision, and a key's version is the revision of its last change (etcd's
//! `mod_revision`), so versions only grow. A canary release stores a value
//! that the chosen client ids see first (with its own, newer version); a
//! promotion makes it everyone's value at a newer version still; a plain put
//! cancels a pending canary.
//!
//! # Replication
//!
//! The store ([`machine::Store`]) is the Raft [`Machine`](crate::raft::Machine)
//! of a 3-node group; each server ([`server`]) runs a replica and an RPC front
//! end. Writes are proposed to the leader's log and acknowledged once applied
//! (committed by a majority, synced to disk). Strong reads are proposed too
//! ([`machine::Cmd::Read`]): the leader answers them at their place in the
//! log, so they are linearizable without leases. Local reads answer from the
//! answering server's applied state: committed, possibly stale. Followers
//! refuse strong reads, writes and watches with the leader's name. The
//! scenario runs Raft with elections after 60-120 ms of silence and 20 ms
//! heartbeats ([`scenario::TIMING`]), so even short partitions fail over.
//!
//! # Watches
//!
//! A watch of a prefix from revision `r` is a long poll: the leader passes a
//! barrier through the log (so it holds every change committed before the
//! call), then holds the call until a change under the prefix at or after `r`
//! is applied, or for [`server::WATCH_HOLD`]. The answer lists the changes in
//! revision order and the revision it covers through; the client asks again
//! from the one after. Each server keeps the last [`machine::HISTORY_LEN`]
//! changes (compaction trims the rest, in the state machine, so every replica
//! trims alike); a watch from a trimmed revision gets a compaction notice with
//! a snapshot of the prefix ("compacted, re-read") and goes on after it. A
//! watch from a revision the store has not reached is an error.
//!
//! # Clients
//!
//! The client ([`client`]) finds the leader from refusals' hints, retries
//! reads anywhere and writes only when refused ("not the leader"): a write
//! that timed out has an unknown outcome and is not retried. It caches what
//! its application saw and fences by version: a read older than the cache is
//! not given to the application. Every attempt is recorded in a [`History`]
//! ([`history`]), the linearizability checker's input.
//!
//! # The property suite
//!
//! [`scenario::ConfigScenario`] runs servers, writers and watchers under a
//! fault plan, with an [`oracle::Oracle`] that sees every change replicas
//! apply; [`variant::Variant`] plants three classic bugs.

pub mod api;
pub mod client;
pub mod error;
pub mod history;
pub mod key;
pub mod lin;
pub mod machine;
pub mod oracle;
pub mod scenario;
pub mod server;
pub mod variant;
pub mod watch;
pub mod workload;

pub use api::{Change, Event, ReadMode, Reply, Request, Response, Write};
pub use error::ConfigError;
pub use history::History;
pub use scenario::ConfigScenario;
pub use variant::Variant;
