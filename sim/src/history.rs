//! Histories of client operations, for the linearizability checker (`lin`).
//!
//! A workload client records each operation it issues: which process issued it,
//! its input, when it was invoked and when it completed, and how: `ok` with an
//! output, `failed` (it definitely did not take effect) or `unknown` (the client
//! gave up waiting; it may take effect at any time after its invocation, or
//! never). An operation still open when the history is checked counts as unknown.
//!
//! [`History`] is plain data (serde) with explicit times; [`Recorder`] is the
//! handle clients share inside a simulation, which stamps global virtual time.
//! Operations are kept in invocation order in a `Vec`, so a history is as
//! deterministic as the run that recorded it.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use thiserror::Error;

/// An operation of a history: its index in invocation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub u32);

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome<O> {
    /// Invoked and not completed yet; checked as [`OpOutcome::Unknown`].
    Pending,
    /// Completed with this output.
    Ok(O),
    /// Definitely did not take effect.
    Failed,
    /// The client gave up: it may take effect at any time after its invocation, or never.
    Unknown,
}

/// One operation: who, what, when, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op<I, O> {
    /// The client process that issued it (a process runs one operation at a time).
    pub process: u64,
    /// What was asked.
    pub input: I,
    /// When it was invoked (virtual nanoseconds, or any ordered number).
    pub invoke_ns: u64,
    /// When the client saw its completion (`None` while pending).
    pub complete_ns: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome<O>,
}

impl<I, O> Op<I, O> {
    /// Whether the operation has a definite end (ok or failed), and so a return time
    /// that bounds it; pending and unknown operations have none.
    pub fn is_definite(&self) -> bool {
        matches!(self.outcome, OpOutcome::Ok(_) | OpOutcome::Failed)
    }
}

/// A completion that does not match an open operation.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HistoryError {
    /// No operation has this id.
    #[error("operation {0} was never invoked (the history has {1} operations)")]
    NoSuchOp(u32, usize),
    /// The operation was already completed.
    #[error("operation {0} was already completed")]
    AlreadyCompleted(u32),
    /// The completion time is before the invocation time.
    #[error("operation {op} completes at {complete_ns} ns, before its invocation at {invoke_ns} ns")]
    CompletedBeforeInvoked {
        /// The operation.
        op: u32,
        /// Its invocation time.
        invoke_ns: u64,
        /// The completion time given.
        complete_ns: u64,
    },
}

/// Operations in invocation order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct History<I, O> {
    ops: Vec<Op<I, O>>,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The operations, in invocation order (an [`OpId`] indexes this slice).
    pub fn ops(&self) -> &[Op<I, O>] {
        &self.ops
    }

    /// The number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation was recorded.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Records the invocation of `input` by `process` at `invoke_ns`.
    pub fn invoke_at(&mut self, process: u64, input: I, invoke_ns: u64) -> OpId {
        let id = OpId(u32::try_from(self.ops.len()).expect("fewer than 2^32 operations"));
        self.ops.push(Op { process, input, invoke_ns, complete_ns: None, outcome: OpOutcome::Pending });
        id
    }

    /// Completes an open operation at `complete_ns` with `outcome`.
    pub fn complete_at(&mut self, id: OpId, outcome: OpOutcome<O>, complete_ns: u64) -> Result<(), HistoryError> {
        let len = self.ops.len();
        let op = self.ops.get_mut(id.0 as usize).ok_or(HistoryError::NoSuchOp(id.0, len))?;
        if !matches!(op.outcome, OpOutcome::Pending) {
            return Err(HistoryError::AlreadyCompleted(id.0));
        }
        if complete_ns < op.invoke_ns {
            return Err(HistoryError::CompletedBeforeInvoked { op: id.0, invoke_ns: op.invoke_ns, complete_ns });
        }
        op.complete_ns = Some(complete_ns);
        op.outcome = outcome;
        Ok(())
    }
}

/// The handle clients of a simulation share to record a history; clones share it.
///
/// Times are global virtual time, not the node's own clock: a node's clock can be
/// made to drift, and real-time order across nodes is what linearizability is
/// about. Use it from inside a simulation (like `time::now`).
#[derive(Debug)]
pub struct Recorder<I, O>(Rc<RefCell<History<I, O>>>);

impl<I, O> Clone for Recorder<I, O> {
    fn clone(&self) -> Self {
        Recorder(self.0.clone())
    }
}

impl<I, O> Default for Recorder<I, O> {
    fn default() -> Self {
        Recorder(Rc::new(RefCell::new(History::new())))
    }
}

impl<I: Clone, O: Clone> Recorder<I, O> {
    /// A recorder with an empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `process` invokes `input` now.
    pub fn invoke(&self, process: u64, input: I) -> OpId {
        self.0.borrow_mut().invoke_at(process, input, global_now())
    }

    /// Records that `id` completed now with `output`.
    pub fn ok(&self, id: OpId, output: O) -> Result<(), HistoryError> {
        self.complete(id, OpOutcome::Ok(output))
    }

    /// Records that `id` failed now: it definitely did not take effect.
    pub fn fail(&self, id: OpId) -> Result<(), HistoryError> {
        self.complete(id, OpOutcome::Failed)
    }

    /// Records that the client gave up on `id` now: it may take effect later, or never.
    pub fn unknown(&self, id: OpId) -> Result<(), HistoryError> {
        self.complete(id, OpOutcome::Unknown)
    }

    fn complete(&self, id: OpId, outcome: OpOutcome<O>) -> Result<(), HistoryError> {
        self.0.borrow_mut().complete_at(id, outcome, global_now())
    }

    /// A copy of the history recorded so far.
    pub fn history(&self) -> History<I, O> {
        self.0.borrow().clone()
    }
}

/// Global virtual time in nanoseconds (the same for every node, whatever its clock).
fn global_now() -> u64 {
    crate::runtime::with(|inner| inner.state.borrow().now)
}
