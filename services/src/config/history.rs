//! The history of a run's client operations, recorded for the linearizability
//! checker (a key-value model with get/put/append, partitioned by key, written
//! on another branch): this is its input. Until it lands, the property suite
//! checks a cheap necessary condition on it instead (see `oracle`).
//!
//! One [`Op`] per RPC attempt a client makes: who (`process`), what (`kind`,
//! `key`), when (`invoke_ns`, `complete_ns`: virtual nanoseconds since the
//! start of the run) and how it ended ([`Outcome`]). A `process` is
//! sequential: it has at most one operation in flight. As in Jepsen, a process
//! whose operation timed out is retired (the operation may still take effect
//! at any later time), and the client goes on as a new process:
//! `client#incarnation`.
//!
//! Mapping to the key-value model: `Get` is a read (strong reads only: local
//! reads are not meant to be linearizable and are recorded with `strong:
//! false`); `Put`, an ok `Cas` and `Delete` (a put of `None`) are writes; a
//! failed operation had no effect. The `Canary` and `Promote` operations of a
//! canary release (on their own key, see the scenario) make a value visible to
//! some clients first: a checker partitioned by key can check that key per
//! client view, or leave it out.

use serde::{Deserialize, Serialize};

/// What an operation asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A read (`strong`: through the log on the leader).
    Get {
        /// Whether it was a strong read.
        strong: bool,
    },
    /// A write of `value`.
    Put {
        /// The value.
        value: String,
    },
    /// A write of `value` if the key's version was `expected`.
    Cas {
        /// The version expected.
        expected: u64,
        /// The value.
        value: String,
    },
    /// A delete.
    Delete,
    /// A canary release of `value`.
    Canary {
        /// The value.
        value: String,
    },
    /// A promotion of the pending canary value.
    Promote,
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// It took effect (a write) or returned (a read): the value read (`None`
    /// for writes and absent keys) and the key's version.
    Ok {
        /// The value a read returned.
        value: Option<String>,
        /// The key's version after a write, or as read.
        version: u64,
    },
    /// It certainly had no effect (the server refused it): why.
    Failed {
        /// The error's message.
        error: String,
    },
    /// No answer (a timeout, or leadership lost): it may have taken effect.
    Unknown,
}

/// One operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The sequential process (`client#incarnation`).
    pub process: String,
    /// The key.
    pub key: String,
    /// What it asked for.
    pub kind: Kind,
    /// When it was invoked, in virtual nanoseconds.
    pub invoke_ns: u64,
    /// When its outcome was known (or it timed out), in virtual nanoseconds.
    pub complete_ns: u64,
    /// How it ended.
    pub outcome: Outcome,
}

/// A run's operations, in completion order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The operations.
    pub ops: Vec<Op>,
}

impl History {
    /// The history as JSON lines, one operation a line.
    pub fn to_jsonl(&self) -> String {
        let lines = self.ops.iter().map(|op| serde_json::to_string(op).expect("operations serialize"));
        lines.map(|l| l + "\n").collect()
    }
}
