//! A read/write register, and the operation types it shares with `RegisterCas`.
//!
//! The register starts absent (a read returns `None`, Jepsen's `nil`) and holds
//! an integer once written; it has no delete.

use crate::lin::Model;
use serde::{Deserialize, Serialize};

/// An operation on a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterInput {
    /// Reads the value.
    Read,
    /// Writes a value.
    Write(i64),
    /// Compare-and-set: if the value is `expect`, replaces it with `new`.
    Cas {
        /// The value compared with.
        expect: i64,
        /// The value written when the compare matches.
        new: i64,
    },
}

/// What a register operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterOutput {
    /// A read saw this value (`None`: never written).
    Value(Option<i64>),
    /// A write completed.
    Written,
    /// A compare-and-set matched and swapped (`true`) or did not match (`false`).
    Swapped(bool),
}

/// A register with reads and writes; a compare-and-set is never legal (see `RegisterCas`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

/// The step of a read or a write (`None` for anything else).
pub(super) fn read_write(
    state: Option<i64>,
    input: &RegisterInput,
    output: Option<&RegisterOutput>,
) -> Option<Option<i64>> {
    match (input, output) {
        (RegisterInput::Read, None) => Some(state),
        (RegisterInput::Read, Some(RegisterOutput::Value(v))) => (*v == state).then_some(state),
        (RegisterInput::Write(v), None | Some(RegisterOutput::Written)) => Some(Some(*v)),
        _ => None,
    }
}

/// `read -> 3`, `write(3)`, `cas(1, 2) -> ok`, with `?` for an unknown outcome.
pub(super) fn describe(input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
    let shown = |v: &Option<i64>| v.map_or_else(|| "nil".to_string(), |v| v.to_string());
    match (input, output) {
        (RegisterInput::Read, Some(RegisterOutput::Value(v))) => format!("read -> {}", shown(v)),
        (RegisterInput::Read, _) => "read -> ?".to_string(),
        (RegisterInput::Write(v), None) => format!("write({v}) -> ?"),
        (RegisterInput::Write(v), _) => format!("write({v})"),
        (RegisterInput::Cas { expect, new }, Some(RegisterOutput::Swapped(ok))) => {
            format!("cas({expect}, {new}) -> {}", if *ok { "ok" } else { "fail" })
        }
        (RegisterInput::Cas { expect, new }, _) => format!("cas({expect}, {new}) -> ?"),
    }
}

/// `nil` or the value.
pub(super) fn describe_state(state: &Option<i64>) -> String {
    state.map_or_else(|| "nil".to_string(), |v| v.to_string())
}

impl Model for Register {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(&self, state: &Option<i64>, input: &RegisterInput, output: Option<&RegisterOutput>) -> Option<Option<i64>> {
        read_write(*state, input, output)
    }

    fn describe(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        describe(input, output)
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        describe_state(state)
    }
}
