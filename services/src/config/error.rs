//! The config center's errors: every bad input and every unavailable server
//! gets a typed error with a message that says what was wrong, never a panic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a config request failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigError {
    /// The key (or watch prefix) is malformed.
    InvalidKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The value is larger than [`super::key::MAX_VALUE_BYTES`].
    ValueTooLarge {
        /// The key it was for.
        key: String,
        /// Its size in bytes.
        len: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// A compare-and-set on a key that does not exist (never written, or deleted).
    CasOnMissingKey {
        /// The key.
        key: String,
    },
    /// A compare-and-set whose expected version is not the key's version.
    VersionMismatch {
        /// The key.
        key: String,
        /// The version the caller expected.
        expected: u64,
        /// The key's version.
        actual: u64,
    },
    /// A watch from a revision the store has not reached.
    FutureRevision {
        /// The revision asked for.
        from: u64,
        /// The store's current revision.
        current: u64,
    },
    /// A promotion with no canary release pending on the key.
    NoCanary {
        /// The key.
        key: String,
    },
    /// This server is not the leader; `hint` is the one it knows of.
    NotLeader {
        /// The leader this server last heard from.
        hint: Option<String>,
    },
    /// The server lost leadership or its disk failed before the request was
    /// applied: it may still take effect (the outcome is unknown).
    Unavailable,
}

impl ConfigError {
    /// The key the error is about (empty when it is about none).
    pub fn key(&self) -> String {
        match self {
            ConfigError::InvalidKey { key, .. }
            | ConfigError::ValueTooLarge { key, .. }
            | ConfigError::CasOnMissingKey { key }
            | ConfigError::VersionMismatch { key, .. }
            | ConfigError::NoCanary { key } => key.clone(),
            _ => String::new(),
        }
    }

    /// Whether the request may have taken effect (the caller cannot know).
    pub fn is_unknown(&self) -> bool {
        matches!(self, ConfigError::Unavailable)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidKey { key, reason } => write!(f, "invalid key {key:?}: {reason}"),
            ConfigError::ValueTooLarge { key, len, max } => {
                write!(f, "the value for {key:?} is {len} bytes, more than the {max} allowed")
            }
            ConfigError::CasOnMissingKey { key } => {
                write!(f, "compare-and-set on {key:?}, which does not exist (put it first)")
            }
            ConfigError::VersionMismatch { key, expected, actual } => {
                write!(f, "compare-and-set on {key:?} expected version {expected}, but it is at {actual}")
            }
            ConfigError::FutureRevision { from, current } => {
                write!(f, "watch from revision {from}, but the store is only at revision {current}")
            }
            ConfigError::NoCanary { key } => write!(f, "no canary release of {key:?} to promote"),
            ConfigError::NotLeader { hint: Some(h) } => write!(f, "not the leader; try {h}"),
            ConfigError::NotLeader { hint: None } => write!(f, "not the leader, and no leader is known"),
            ConfigError::Unavailable => write!(f, "leadership or the disk was lost; the outcome is unknown"),
        }
    }
}

impl std::error::Error for ConfigError {}
