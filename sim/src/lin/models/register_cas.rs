//! A register with compare-and-set: the etcd model of the Porcupine corpus.
//!
//! A compare-and-set on `expect` swaps when the value equals `expect` and must
//! then report success; otherwise nothing changes and it must report failure.
//! An absent register never matches. With an unknown outcome both branches are
//! allowed. A *failed* compare-and-set is taken to have run and seen another
//! value (the corpus README's reading, as in Porcupine), not dropped.

use super::register::{describe, describe_state, read_write, RegisterInput, RegisterOutput};
use crate::lin::Model;

/// A register with reads, writes and compare-and-set.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterCas;

impl Model for RegisterCas {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(&self, state: &Option<i64>, input: &RegisterInput, output: Option<&RegisterOutput>) -> Option<Option<i64>> {
        let RegisterInput::Cas { expect, new } = *input else {
            return read_write(*state, input, output);
        };
        let matches = *state == Some(expect);
        match output {
            None => Some(if matches { Some(new) } else { *state }),
            Some(RegisterOutput::Swapped(true)) => matches.then_some(Some(new)),
            Some(RegisterOutput::Swapped(false)) => (!matches).then_some(*state),
            Some(_) => None,
        }
    }

    fn failed_output(&self, input: &RegisterInput) -> Option<RegisterOutput> {
        matches!(input, RegisterInput::Cas { .. }).then_some(RegisterOutput::Swapped(false))
    }

    fn describe(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        describe(input, output)
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        describe_state(state)
    }
}
