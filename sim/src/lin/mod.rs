//! Linearizability checking of recorded histories against sequential models.
//!
//! A history (see [`crate::history`]) is linearizable when each operation can be
//! given one instant between its invocation and its completion at which it takes
//! effect, such that the operations in that order are a legal run of the model.
//! Failed operations did not happen (unless the model says what they mean, as the
//! compare-and-set of [`models::RegisterCas`] does); operations with unknown
//! outcomes may take effect at any time after their invocation, or never.
//!
//! ```
//! use microsim::history::{History, OpOutcome};
//! use microsim::lin::{self, models::{Register, RegisterInput, RegisterOutput}};
//!
//! let mut h = History::new();
//! let w = h.invoke_at(0, RegisterInput::Write(1), 0);
//! h.complete_at(w, OpOutcome::Ok(RegisterOutput::Written), 10).unwrap();
//! let r = h.invoke_at(1, RegisterInput::Read, 20);
//! h.complete_at(r, OpOutcome::Ok(RegisterOutput::Value(None)), 30).unwrap(); // stale
//! let verdict = lin::check(&Register, &h);
//! assert_eq!(verdict.is_linearizable(), Some(false));
//! println!("{verdict}");
//! ```
//!
//! The search is Wing and Gong's with Lowe's memoisation, as in Porcupine
//! (`search.rs`); models may split a history into independent partitions that
//! are checked separately (the key/value model splits by key).

mod bitset;
mod cache;
pub mod corpus;
mod events;
mod explain;
pub(crate) mod hash;
mod model;
pub mod models;
mod search;

pub use explain::{Counterexample, OpView, Placed, Unplaceable};
pub use model::Model;

use crate::history::{History, Op, OpOutcome};
use search::{Call, Found, Limits, Stop};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Limits and resources of a check.
#[derive(Clone, Debug)]
pub struct Options {
    /// Search steps (events visited) allowed per partition; past it the verdict
    /// is `Unknown`.
    pub max_steps: u64,
    /// A wall-clock deadline for the whole check (`None`: no deadline). With a
    /// deadline the verdict may depend on the machine; with steps only it cannot.
    pub deadline: Option<std::time::Instant>,
    /// Threads that check partitions at once (1: the calling thread only). The
    /// verdict, counterexample included, does not depend on it.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_steps: 100_000_000, deadline: None, threads: 1 }
    }
}

/// Why a check gave no answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GaveUp {
    /// A partition needed more search steps than allowed.
    Steps {
        /// The partition.
        partition: usize,
        /// The limit.
        max_steps: u64,
    },
    /// The deadline passed while a partition was being checked.
    Deadline {
        /// The partition.
        partition: usize,
    },
}

/// The answer of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Some order of the operations is a legal run of the model.
    Linearizable,
    /// None is; the counterexample of the first failing partition.
    NotLinearizable(Box<Counterexample>),
    /// The budget ran out first: no answer (never a guess).
    Unknown(GaveUp),
}

impl Verdict {
    /// `Some(true)` or `Some(false)`, or `None` when the budget ran out.
    pub fn is_linearizable(&self) -> Option<bool> {
        match self {
            Verdict::Linearizable => Some(true),
            Verdict::NotLinearizable(_) => Some(false),
            Verdict::Unknown(_) => None,
        }
    }
}

/// Checks `history` against `model` with the default [`Options`].
pub fn check<M: Model>(model: &M, history: &History<M::Input, M::Output>) -> Verdict {
    check_with(model, history, &Options::default())
}

/// Checks `history` against `model`.
pub fn check_with<M: Model>(model: &M, history: &History<M::Input, M::Output>, options: &Options) -> Verdict {
    let ops = history.ops();
    let groups = model.partition(ops).unwrap_or_else(|| vec![(0..ops.len()).collect()]);
    let parts: Vec<Vec<Call<'_, M>>> = groups.iter().map(|g| calls(model, ops, g)).collect();
    let found = search_all(model, &parts, options);
    let gave_up = |i: usize, stop: Stop| match stop {
        Stop::Steps => GaveUp::Steps { partition: i, max_steps: options.max_steps },
        Stop::Deadline => GaveUp::Deadline { partition: i },
    };
    let mut unknown = None;
    for (i, found) in found.into_iter().enumerate() {
        match found {
            Some(Found::NotLinearizable { prefix, .. }) => {
                let counterexample = explain::explain(model, ops, &parts[i], (i, parts.len()), &prefix);
                return Verdict::NotLinearizable(Box::new(counterexample));
            }
            Some(Found::Stopped(stop)) if unknown.is_none() => unknown = Some(gave_up(i, stop)),
            _ => {}
        }
    }
    unknown.map_or(Verdict::Linearizable, Verdict::Unknown)
}

/// The operations of one partition as the search sees them (failed ones that
/// did not happen are left out).
fn calls<'h, M: Model>(model: &M, ops: &'h [Op<M::Input, M::Output>], group: &[usize]) -> Vec<Call<'h, M>> {
    let mut calls = Vec::with_capacity(group.len());
    for &index in group {
        let op = &ops[index];
        // A history read from elsewhere may lack a completion time or have one before
        // the invocation (`History::complete_at` refuses both): clamp, never misorder.
        let ret = Some(op.complete_ns.unwrap_or(u64::MAX).max(op.invoke_ns));
        let (output, ret) = match &op.outcome {
            OpOutcome::Ok(output) => (Some(output.clone()), ret),
            OpOutcome::Failed => match model.failed_output(&op.input) {
                Some(output) => (Some(output), ret),
                None => continue,
            },
            OpOutcome::Pending | OpOutcome::Unknown => (None, None),
        };
        calls.push(Call { index, input: &op.input, output, invoke: op.invoke_ns, ret });
    }
    calls
}

/// Steps each partition gets in the first round; each round doubles it.
const FIRST_SLICE: u64 = 1024;
/// The slice from which a round is worth spreading over threads (earlier rounds
/// take microseconds, less than starting a thread).
const PARALLEL_SLICE: u64 = 16 * 1024;

/// Searches every partition in rounds: in each round every unfinished partition,
/// in index order, runs for a slice of steps, and the slice doubles from round to
/// round. The search stops at the first partition found not linearizable, so a
/// hard partition does not hide a quick failure in another. With several threads
/// each takes a contiguous run of partitions and stops at its own first failure;
/// the lowest failing index of the round is then the same as on one thread, as
/// it depends on step counts only, so the answer does not depend on threads or
/// timing. A partition cut short has no result (`None`).
fn search_all<M: Model>(model: &M, parts: &[Vec<Call<'_, M>>], options: &Options) -> Vec<Option<Found>> {
    let limits = Limits { max_steps: options.max_steps, deadline: options.deadline };
    let mut searches: Vec<_> = parts.iter().map(|calls| (search::Search::new(model, calls), None)).collect();
    let mut slice = FIRST_SLICE;
    loop {
        let mut live: Vec<_> = searches.iter_mut().filter(|(_, found)| found.is_none()).collect();
        if live.is_empty() {
            break;
        }
        let threads = if slice < PARALLEL_SLICE { 1 } else { options.threads.clamp(1, live.len()) };
        let run = |chunk: &mut [&mut (search::Search<'_, '_, M>, Option<Found>)]| {
            for (search, found) in chunk.iter_mut().map(|s| &mut **s) {
                *found = search.run(slice, &limits);
                // The lowest failing index of the round wins, so the rest of this chunk can wait.
                if matches!(found, Some(Found::NotLinearizable { .. })) {
                    break;
                }
            }
        };
        if threads == 1 {
            run(&mut live);
        } else {
            let per_thread = live.len().div_ceil(threads);
            std::thread::scope(|scope| {
                for chunk in live.chunks_mut(per_thread) {
                    scope.spawn(|| run(chunk));
                }
            });
        }
        if searches.iter().any(|(_, found)| matches!(found, Some(Found::NotLinearizable { .. }))) {
            break;
        }
        slice = slice.saturating_mul(2);
    }
    searches.into_iter().map(|(_, found)| found).collect()
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::Steps { partition, max_steps } => {
                write!(f, "partition {partition} needed more than {max_steps} search steps")
            }
            GaveUp::Deadline { partition } => write!(f, "the deadline passed while checking partition {partition}"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable(counterexample) => write!(f, "{counterexample}"),
            Verdict::Unknown(gave_up) => write!(f, "unknown: {gave_up}"),
        }
    }
}
