//! The messages replicas exchange: votes and log appends (Raft's two RPCs, as
//! one-way datagrams, each answered by another datagram).

use serde::{Deserialize, Serialize};

/// One log entry: the term in which a leader created it and its command
/// (`None`: the no-op a new leader appends to commit earlier terms' entries).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry<C> {
    /// The leader's term when the entry was created.
    pub term: u64,
    /// The command, or `None` for a leader's no-op.
    pub cmd: Option<C>,
}

/// A message between replicas.
#[derive(Clone, Debug)]
pub enum Msg<C> {
    /// A candidate asks for a vote.
    Vote {
        /// The candidate's term.
        term: u64,
        /// The index of the candidate's last entry.
        last_index: u64,
        /// The term of the candidate's last entry.
        last_term: u64,
    },
    /// The answer to a vote request.
    VoteReply {
        /// The voter's term.
        term: u64,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// A leader sends entries (none: a heartbeat).
    Append {
        /// The leader's term.
        term: u64,
        /// The index of the entry just before `entries`.
        prev_index: u64,
        /// The term of that entry.
        prev_term: u64,
        /// The entries to append after it.
        entries: Vec<Entry<C>>,
        /// The leader's commit index.
        commit: u64,
    },
    /// The answer to an append.
    AppendReply {
        /// The follower's term.
        term: u64,
        /// Whether the entries matched and were stored.
        ok: bool,
        /// On success, the index of the follower's last matching entry; on
        /// failure, where the leader should try next (a hint).
        index: u64,
    },
}
