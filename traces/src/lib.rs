//! `microsim-traces`: what a microsim run leaves behind.
//!
//! A run of the simulator produces a [`Trace`]: a [`Header`] (seed, RNG algorithm,
//! node and port names) and a list of compact [`Record`]s, one per event (send,
//! delivery, drop, timer, spawn, exit, crash, restart, pause, resume, log line,
//! fault, duplication, RPC call and return).
//! Strings live once in a text arena and records point into it, so recording a
//! message costs no allocation of its own.
//!
//! Every trace has a [`TraceHash`] that identifies the run: two runs are the same
//! run when their hashes are equal. The hash is defined over the records and the
//! names (see `hash.rs`), so it is the same whether the records were kept
//! ([`RecordMode::Full`]) or only hashed ([`RecordMode::Summary`]).
//!
//! The on-disk form is JSON lines ([`write_jsonl`], [`read_jsonl`], and
//! [`TraceReader`] to stream one), documented in `traces/FORMAT.md`. A trace is
//! read by people through its [`view`]s (a text space-time diagram, an HTML
//! Lamport diagram, call trees) and compared with [`diff_traces`]. This crate
//! depends on nothing of the runtime, so tools can read traces without linking
//! the simulator.

#![deny(missing_docs)]

mod diff;
mod error;
mod hash;
mod jsonl;
mod marks;
mod packed;
mod parse;
mod reader;
mod record;
mod recording;
pub mod view;

pub use diff::{diff_readers, diff_traces, header_differences, DiffError, TraceDiff};
pub use error::TraceError;
pub use hash::{TraceHash, TraceHasher};
pub use jsonl::{record_line, write_jsonl, FORMAT_VERSION};
pub use marks::{MarkedOp, Marks};
pub use reader::{read_jsonl, ReadRecord, TraceReader};
pub use record::{CallOutcome, DropReason, Event, Level, NodeIx, Port, Record, Text, KINDS, NO_NODE};
pub use recording::{Counts, Header, PackedTrace, RecordMode, Recording, Trace};
