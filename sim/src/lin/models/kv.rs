//! A key/value map of strings with get, put and append, checked key by key.
//!
//! A key never written reads as `""`. Operations on different keys never
//! interact, so the model partitions a history by key and each key's state is
//! just its string: shared (a read clones a pointer, not the text) and hashed
//! once when made, since the search hashes and compares states at every step.

use crate::history::Op;
use crate::lin::Model;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// An operation on the map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvInput {
    /// Reads a key.
    Get {
        /// The key.
        key: String,
    },
    /// Replaces a key's value.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Appends to a key's value.
    Append {
        /// The key.
        key: String,
        /// What is appended.
        value: String,
    },
}

impl KvInput {
    /// The key the operation works on.
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key } | KvInput::Put { key, .. } | KvInput::Append { key, .. } => key,
        }
    }
}

/// What a map operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvOutput {
    /// A get saw this value.
    Value(String),
    /// A put or an append completed.
    Done,
}

/// One key's value: the text, shared, with its hash.
#[derive(Clone, Debug)]
pub struct KvState {
    text: Arc<str>,
    hash: u64,
}

impl KvState {
    fn new(text: &str) -> KvState {
        KvState { hash: crate::lin::hash::fx_hash(text), text: text.into() }
    }

    /// The value followed by `piece`. The text is put together in a reused buffer,
    /// so that the search's hot loop allocates once per append, not twice.
    fn appended(&self, piece: &str) -> KvState {
        thread_local! {
            static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
        }
        SCRATCH.with_borrow_mut(|text| {
            text.clear();
            text.push_str(&self.text);
            text.push_str(piece);
            KvState::new(text)
        })
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for KvState {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.text, &other.text) || self.text == other.text)
    }
}

impl Eq for KvState {}

impl Hash for KvState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The key/value model, partitioned by key.
#[derive(Clone, Copy, Debug, Default)]
pub struct Kv;

impl Model for Kv {
    type State = KvState;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> KvState {
        KvState::new("")
    }

    fn step(&self, state: &KvState, input: &KvInput, output: Option<&KvOutput>) -> Option<KvState> {
        match (input, output) {
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => (**v == *state.text).then(|| state.clone()),
            (KvInput::Put { value, .. }, None | Some(KvOutput::Done)) => Some(KvState::new(value)),
            (KvInput::Append { value, .. }, None | Some(KvOutput::Done)) => Some(state.appended(value)),
            _ => None,
        }
    }

    fn partition(&self, ops: &[Op<KvInput, KvOutput>]) -> Option<Vec<Vec<usize>>> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            by_key.entry(op.input.key()).or_default().push(i);
        }
        Some(by_key.into_values().collect())
    }

    fn describe(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        match (input, output) {
            (KvInput::Get { key }, Some(KvOutput::Value(v))) => format!("get({key:?}) -> {v:?}"),
            (KvInput::Get { key }, _) => format!("get({key:?}) -> ?"),
            (KvInput::Put { key, value }, _) => format!("put({key:?}, {value:?})"),
            (KvInput::Append { key, value }, _) => format!("append({key:?}, {value:?})"),
        }
    }

    fn describe_state(&self, state: &KvState) -> String {
        format!("{:?}", state.as_str())
    }
}
