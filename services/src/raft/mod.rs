//! A small Raft: a replicated log with leader election, for the sample
//! services' consistent modes (the discovery registry, the config center).
//!
//! Each replica keeps its term, vote and log on its node's simulated disk and
//! syncs them before it answers (so a crash loses nothing it promised). A
//! leader is elected by a majority; it appends commands to its log, replicates
//! them, and a command is committed once a majority stores it; committed
//! commands are applied in order to a [`Machine`] on every replica. A new
//! leader appends a no-op to commit what earlier leaders left. With
//! [`Timing::check_quorum`], a leader that has not heard from a majority for an
//! election timeout steps down, so a leader cut off in a minority stops
//! believing it leads.
//!
//! What it leaves out: membership changes, snapshots and log compaction (runs
//! are short), pre-vote, and leader leases (reads go through the log, see the
//! discovery registry).

mod msg;
mod replica;
mod store;

pub use msg::{Entry, Msg};
pub use replica::{Machine, ProposeError, Replica, Timing, PORT};
