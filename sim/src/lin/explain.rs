//! Counterexamples that explain themselves: the longest linearizable prefix the
//! search found, and the operations that cannot come after it.
//!
//! The data is plain serde (times, processes, op ids, texts from the model), so
//! that a trace view can draw it; `Display` renders it as text for people.

use super::model::Model;
use super::search::Call;
use crate::history::{Op, OpId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An operation as a counterexample shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpView {
    /// The operation's id in the history.
    pub op: OpId,
    /// The process that issued it.
    pub process: u64,
    /// Its invocation time.
    pub invoke_ns: u64,
    /// Its completion time, if the client saw one.
    pub complete_ns: Option<u64>,
    /// What it did, as the model describes it (e.g. `cas(1, 2) -> ok`).
    pub description: String,
}

/// An operation of the linearizable prefix, with the model state after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    /// The operation.
    pub op: OpView,
    /// The model state after it.
    pub state_after: String,
}

/// An operation that could be next in real-time order but cannot be placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unplaceable {
    /// The operation.
    pub op: OpView,
    /// Whether the model accepts it right after the prefix (then no order of the
    /// remaining operations works after it; else the model rejects it there).
    pub model_accepts: bool,
}

/// Why a history (one of its partitions) is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The partition that failed (the first, in the model's order).
    pub partition: usize,
    /// How many partitions the history has.
    pub partitions: usize,
    /// The longest linearizable prefix found, in linearization order.
    pub prefix: Vec<Placed>,
    /// The model state after the prefix.
    pub state: String,
    /// The operations that could come next in real-time order, none of which works.
    pub unplaceable: Vec<Unplaceable>,
}

impl Counterexample {
    /// The counterexample as marks a trace view draws (`microsim show --html
    /// --marks`): the operations that cannot be placed, and the last one of the
    /// linearizable prefix. `process` names a process and, if it ran on one of
    /// the trace's nodes, the node (e.g. `|p| (format!("client{p}"), Some(format!("client{p}"))))`).
    pub fn to_marks(&self, process: impl Fn(u64) -> (String, Option<String>)) -> microsim_traces::Marks {
        let mark = |op: &OpView, what: &str| {
            let (name, node) = process(op.process);
            microsim_traces::MarkedOp {
                process: name,
                node,
                start_ns: op.invoke_ns,
                end_ns: op.complete_ns,
                text: format!("{what}: {}", op.description),
            }
        };
        let last = self.prefix.last().map(|p| mark(&p.op, "last of the longest linearizable prefix"));
        let stuck = self.unplaceable.iter().map(|u| mark(&u.op, "cannot be placed after it"));
        microsim_traces::Marks {
            property: Some("linearizable".into()),
            message: Some(format!(
                "partition {} of {}: after {} operations (state {}), none of the next {} can be placed",
                self.partition + 1,
                self.partitions,
                self.prefix.len(),
                self.state,
                self.unplaceable.len()
            )),
            ops: last.into_iter().chain(stuck).collect(),
        }
    }
}

fn view<M: Model>(model: &M, op: &Op<M::Input, M::Output>, call: &Call<'_, M>) -> OpView {
    OpView {
        op: OpId(call.index as u32),
        process: op.process,
        invoke_ns: op.invoke_ns,
        complete_ns: op.complete_ns,
        description: model.describe(call.input, call.output.as_ref()),
    }
}

/// Builds the counterexample of partition `partition` (of `partitions`) from the
/// prefix the search found (indices into `calls`).
pub(crate) fn explain<M: Model>(
    model: &M,
    ops: &[Op<M::Input, M::Output>],
    calls: &[Call<'_, M>],
    (partition, partitions): (usize, usize),
    prefix: &[usize],
) -> Counterexample {
    let mut state = model.init();
    let mut placed = Vec::with_capacity(prefix.len());
    let mut in_prefix = vec![false; calls.len()];
    for &i in prefix {
        let call = &calls[i];
        // The search accepted this step; if a model is not a pure function, keep the old state.
        if let Some(next) = model.step(&state, call.input, call.output.as_ref()) {
            state = next;
        }
        in_prefix[i] = true;
        placed.push(Placed { op: view(model, &ops[call.index], call), state_after: model.describe_state(&state) });
    }
    let rest = || calls.iter().enumerate().filter(|(i, _)| !in_prefix[*i]).map(|(_, c)| c);
    let first_return = rest().filter_map(|c| c.ret).min().unwrap_or(u64::MAX);
    let unplaceable = rest()
        .filter(|c| c.invoke <= first_return)
        .map(|c| Unplaceable {
            op: view(model, &ops[c.index], c),
            model_accepts: model.step(&state, c.input, c.output.as_ref()).is_some(),
        })
        .collect();
    Counterexample { partition, partitions, prefix: placed, state: model.describe_state(&state), unplaceable }
}

impl fmt::Display for OpView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.complete_ns.map_or_else(|| "?".to_string(), |t| t.to_string());
        write!(f, "op {} (process {}, {}..{}): {}", self.op.0, self.process, self.invoke_ns, end, self.description)
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not linearizable")?;
        if self.partitions > 1 {
            write!(f, " (partition {} of {})", self.partition, self.partitions)?;
        }
        writeln!(f, "; the longest linearizable prefix has {} operations:", self.prefix.len())?;
        for p in &self.prefix {
            writeln!(f, "  {}  => {}", p.op, p.state_after)?;
        }
        writeln!(f, "after it (state {}), none of these can come next:", self.state)?;
        for u in &self.unplaceable {
            let why = if u.model_accepts { "accepted, but nothing works after it" } else { "rejected in this state" };
            writeln!(f, "  {}  ({why})", u.op)?;
        }
        Ok(())
    }
}
