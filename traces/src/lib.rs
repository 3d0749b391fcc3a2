//! `microsim-traces`: what a microsim run leaves behind.
//!
//! A run of the simulator produces a [`Trace`]: a [`Header`] (seed, RNG algorithm,
//! node and port names) and a list of compact [`Record`]s, one per event (send,
//! delivery, drop, timer, spawn, exit, crash, restart, pause, resume, log line).
//! Strings live once in a text arena and records point into it, so recording a
//! message costs no allocation of its own.
//!
//! Every trace has a [`TraceHash`] that identifies the run: two runs are the same
//! run when their hashes are equal. The hash is defined over the records and the
//! names (see `hash.rs`), so it is the same whether the records were kept
//! ([`RecordMode::Full`]) or only hashed ([`RecordMode::Summary`]).
//!
//! The on-disk form is JSON lines ([`write_jsonl`], [`read_jsonl`]), documented in
//! `traces/FORMAT.md`. This crate depends on nothing of the runtime, so tools can
//! read traces without linking the simulator.

#![deny(missing_docs)]

mod error;
mod hash;
mod jsonl;
mod packed;
mod record;
mod recording;

pub use error::TraceError;
pub use hash::{TraceHash, TraceHasher};
pub use jsonl::{read_jsonl, write_jsonl, FORMAT_VERSION};
pub use record::{DropReason, Event, Level, NodeIx, Port, Record, Text, NO_NODE};
pub use recording::{Counts, Header, PackedTrace, RecordMode, Recording, Trace};
