//! The registry's history, and its linearizability check (consistent mode).
//!
//! Every registration and deregistration an instance sends, every expiry the
//! leader proposes and every lookup a client gets answered is an operation
//! with its invocation and completion in true virtual time (a timed-out call
//! is `unknown`: it may take effect later, or never). The check projects the
//! history onto each instance — a lookup becomes a read of "is it there" —
//! and checks each projection against a sequential register of presence, with
//! the instance's change order ([`Op`]): a registration or deregistration older
//! than the last one applied does nothing, as the registry implements it. If
//! the whole history is linearizable every projection is, so a projection
//! that is not is a real violation (the check is sound, if not complete for
//! lookups, which read several instances at once).

use super::proto::Op;
use microsim::history::{History, OpId, OpOutcome};
use microsim::lin::{self, Model, Options, Verdict};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// An operation on the registry, as the oracle records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegOp {
    /// An instance (by id) registers.
    Register(String, Op),
    /// An instance deregisters.
    Deregister(String, Op),
    /// The leader expires an instance.
    Expire(String),
    /// A client looks the service up.
    Lookup,
}

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegOut {
    /// A change was acknowledged.
    Done,
    /// The ids a lookup returned.
    Ids(BTreeSet<String>),
}

/// The history of one run, shared by the nodes that record it.
#[derive(Debug, Default)]
pub struct Recorded(RefCell<History<RegOp, RegOut>>);

fn now_ns() -> u64 {
    microsim::time::global_now().as_nanos()
}

impl Recorded {
    /// An operation starts now.
    pub fn invoke(&self, process: u64, op: RegOp) -> OpId {
        self.0.borrow_mut().invoke_at(process, op, now_ns())
    }

    /// An operation started at `at` (true time).
    pub fn invoke_at(&self, process: u64, op: RegOp, at: u64) -> OpId {
        self.0.borrow_mut().invoke_at(process, op, at)
    }

    /// An operation ends now: `Some` output, or `None` if the caller gave up.
    pub fn complete(&self, id: OpId, out: Option<RegOut>) {
        self.complete_at(id, out, now_ns());
    }

    /// An operation ended at `at` (true time).
    pub fn complete_at(&self, id: OpId, out: Option<RegOut>, at: u64) {
        let outcome = out.map_or(OpOutcome::Unknown, OpOutcome::Ok);
        // Ids come from `invoke` and complete once, after it: this cannot fail.
        let _ = self.0.borrow_mut().complete_at(id, outcome, at);
    }

    /// How many operations were recorded.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    /// Checks every instance's projection; `Err` explains the first violation.
    /// `Ok(false)` when the budget ran out before a verdict.
    pub fn check(&self, max_steps: u64) -> Result<bool, String> {
        let history = self.0.borrow();
        let ids: BTreeSet<&String> = history
            .ops()
            .iter()
            .filter_map(|o| match &o.input {
                RegOp::Register(id, _) | RegOp::Deregister(id, _) | RegOp::Expire(id) => Some(id),
                RegOp::Lookup => None,
            })
            .collect();
        let options = Options { max_steps, ..Options::default() };
        let mut decided = true;
        for id in ids {
            let projected = project(&history, id);
            match lin::check_with(&Presence, &projected, &options) {
                Verdict::Linearizable => {}
                Verdict::Unknown(_) => decided = false,
                Verdict::NotLinearizable(why) => {
                    return Err(format!("the operations on {id} are not linearizable:\n{why}"));
                }
            }
        }
        Ok(decided)
    }
}

/// One instance's view of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOp {
    /// Registration with its order.
    Register(Op),
    /// Deregistration with its order.
    Deregister(Op),
    /// Expiry.
    Expire,
    /// A lookup: is the instance there?
    Read,
}

fn project(history: &History<RegOp, RegOut>, id: &str) -> History<KeyOp, bool> {
    let mut out = History::new();
    for o in history.ops() {
        let (input, output) = match (&o.input, &o.outcome) {
            (RegOp::Register(i, op), out) if i == id => (KeyOp::Register(*op), out.clone().map_ok(|_| true)),
            (RegOp::Deregister(i, op), out) if i == id => (KeyOp::Deregister(*op), out.clone().map_ok(|_| true)),
            (RegOp::Expire(i), out) if i == id => (KeyOp::Expire, out.clone().map_ok(|_| true)),
            (RegOp::Lookup, OpOutcome::Ok(RegOut::Ids(ids))) => (KeyOp::Read, OpOutcome::Ok(ids.contains(id))),
            _ => continue,
        };
        let at = out.invoke_at(o.process, input, o.invoke_ns);
        if let Some(done) = o.complete_ns {
            let _ = out.complete_at(at, output, done);
        }
    }
    out
}

trait MapOk<O> {
    fn map_ok<P>(self, f: impl FnOnce(O) -> P) -> OpOutcome<P>;
}

impl<O> MapOk<O> for OpOutcome<O> {
    fn map_ok<P>(self, f: impl FnOnce(O) -> P) -> OpOutcome<P> {
        match self {
            OpOutcome::Ok(o) => OpOutcome::Ok(f(o)),
            OpOutcome::Pending => OpOutcome::Pending,
            OpOutcome::Failed => OpOutcome::Failed,
            OpOutcome::Unknown => OpOutcome::Unknown,
        }
    }
}

/// One instance's presence in the registry, and the newest change applied.
#[derive(Debug)]
struct Presence;

impl Model for Presence {
    type State = (bool, Op);
    type Input = KeyOp;
    type Output = bool;

    fn init(&self) -> (bool, Op) {
        (false, (0, 0))
    }

    fn step(&self, &(present, last): &(bool, Op), input: &KeyOp, output: Option<&bool>) -> Option<(bool, Op)> {
        match input {
            KeyOp::Register(op) => Some(if *op > last { (true, *op) } else { (present, last) }),
            KeyOp::Deregister(op) => Some(if *op > last { (false, *op) } else { (present, last) }),
            KeyOp::Expire => Some((false, last)),
            KeyOp::Read => (output.is_none_or(|&seen| seen == present)).then_some((present, last)),
        }
    }
}
