//! The `Model` trait: the sequential specification a history is checked against.
//!
//! A model is a pure state machine: from a state, an operation's input and its
//! output (or no output, when the outcome is unknown) it says whether the
//! operation is legal there and what the state becomes. The checker clones,
//! hashes and compares states to memoise its search, so states should be small.

use crate::history::Op;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification.
pub trait Model: Sync {
    /// The state of the object (cloned, hashed and compared by the search).
    type State: Clone + Eq + Hash + Debug + Send;
    /// An operation's input.
    type Input: Debug + Sync;
    /// An operation's output.
    type Output: Clone + Debug + Sync;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `input` ran in `state` and returned `output`, or `None` if
    /// that cannot happen. `output` is `None` when the outcome is unknown: any
    /// output is then allowed.
    fn step(&self, state: &Self::State, input: &Self::Input, output: Option<&Self::Output>) -> Option<Self::State>;

    /// What a failed operation means. `None` (the default): it did not happen and is
    /// dropped. `Some(output)`: it ran and returned `output` (e.g. a compare-and-set
    /// whose compare did not match).
    fn failed_output(&self, _input: &Self::Input) -> Option<Self::Output> {
        None
    }

    /// Splits the operations into independent groups (indices into `ops`), each
    /// checked on its own from `init` (every index below `ops.len()`); `None` (the
    /// default) keeps one group.
    fn partition(&self, _ops: &[Op<Self::Input, Self::Output>]) -> Option<Vec<Vec<usize>>> {
        None
    }

    /// A short text for an operation, e.g. `cas(1, 2) -> ok`.
    fn describe(&self, input: &Self::Input, output: Option<&Self::Output>) -> String {
        match output {
            Some(output) => format!("{input:?} -> {output:?}"),
            None => format!("{input:?} -> ?"),
        }
    }

    /// A short text for a state.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}
