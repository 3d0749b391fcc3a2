//! What clients and servers say to each other (over `microsim::rpc`), and the
//! changes a watch delivers.

use super::error::ConfigError;
use super::key::{check_key, check_value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The port config servers answer on.
pub const PORT: &str = "config";

/// How a read is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadMode {
    /// Through the Raft log on the leader: linearizable.
    Strong,
    /// From the answering server's applied state: possibly stale, never
    /// uncommitted.
    Local,
}

/// A client's request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Reads a key as `client` sees it.
    Get {
        /// The key.
        key: String,
        /// Strong or local.
        mode: ReadMode,
        /// The reading client's id.
        client: String,
    },
    /// Changes a key.
    Write(Write),
    /// Waits (long poll) for changes under `prefix` from revision `from`.
    Watch {
        /// `app/`, `app/env/` or a full key.
        prefix: String,
        /// The first revision wanted (`None`: only changes after now).
        from: Option<u64>,
        /// The watching client's id (for its compaction snapshot).
        client: String,
    },
}

/// A change a client asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Write {
    /// Sets a key's value (and cancels a pending canary release of it).
    Put {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Sets a key's value if its version is `expected` (the version of its
    /// last change, a canary release included).
    Cas {
        /// The key.
        key: String,
        /// The version it must have.
        expected: u64,
        /// The new value.
        value: String,
    },
    /// Deletes a key.
    Delete {
        /// The key.
        key: String,
    },
    /// Starts a canary release: `value` is visible to `clients` only.
    Canary {
        /// The key.
        key: String,
        /// The canary value.
        value: String,
        /// The client ids that see it first.
        clients: BTreeSet<String>,
    },
    /// Makes the pending canary value visible to every client.
    Promote {
        /// The key.
        key: String,
    },
}

impl Write {
    /// The key it changes.
    pub fn key(&self) -> &str {
        match self {
            Write::Put { key, .. }
            | Write::Cas { key, .. }
            | Write::Delete { key }
            | Write::Canary { key, .. }
            | Write::Promote { key } => key,
        }
    }

    /// The value it writes, if it names one.
    pub fn value(&self) -> Option<&str> {
        match self {
            Write::Put { value, .. } | Write::Cas { value, .. } | Write::Canary { value, .. } => Some(value),
            Write::Delete { .. } | Write::Promote { .. } => None,
        }
    }

    /// Checks the key and the value's size.
    pub fn check(&self) -> Result<(), ConfigError> {
        check_key(self.key())?;
        self.value().map_or(Ok(()), |v| check_value(self.key(), v))
    }
}

/// A successful answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// A read: the value (`None`: absent) and the key's version as the client
    /// sees it (0: never written).
    Read {
        /// The value.
        value: Option<String>,
        /// Its version.
        version: u64,
    },
    /// A write took effect with this version.
    Written {
        /// The key's new version (the change's revision).
        version: u64,
    },
    /// The store's revision (a barrier's answer).
    Revision(u64),
    /// A watch's changes, in revision order, covering every revision up to
    /// `through` (none: the long poll timed out with nothing new).
    Events {
        /// The changes under the prefix.
        events: Vec<Event>,
        /// The last revision these cover.
        through: u64,
    },
    /// The changes asked for were compacted: here is the state under the prefix
    /// at `revision` instead (re-read); watch on from `revision + 1`.
    Compacted {
        /// The revision of the snapshot.
        revision: u64,
        /// Every key under the prefix: value as the client sees it, version.
        snapshot: Vec<(String, Option<String>, u64)>,
    },
}

/// A server's answer.
pub type Response = Result<Reply, ConfigError>;

/// What one change did to its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// A new value for everyone.
    Put(String),
    /// Deleted.
    Delete,
    /// A canary value, visible to `clients` only.
    Canary {
        /// The value.
        value: String,
        /// Who sees it.
        clients: BTreeSet<String>,
    },
    /// The canary value, now visible to everyone.
    Promote(String),
}

impl Change {
    /// The value `client` sees after this change, or `None` if the change is
    /// invisible to it (a canary for others). `Some(None)`: deleted.
    pub fn seen_by(&self, client: &str) -> Option<Option<&str>> {
        match self {
            Change::Put(v) | Change::Promote(v) => Some(Some(v)),
            Change::Delete => Some(None),
            Change::Canary { value, clients } => clients.contains(client).then_some(Some(value.as_str())),
        }
    }
}

/// One committed change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its revision (the key's version after it).
    pub revision: u64,
    /// The key.
    pub key: String,
    /// What changed.
    pub change: Change,
}
