//! The config center's linearizability check: a run's [`History`] against a
//! sequential model of one key (its value and version), key by key.
//!
//! What is checked: strong reads and every write (put, compare-and-set,
//! delete) whose outcome is ok or unknown (a timed-out write may take effect
//! later, or never, with a version nobody saw); refused operations had no
//! effect and are left out, as are local reads (not meant to be linearizable)
//! and the canary key (its value depends on who reads it). A write's version is
//! the global revision it took, so the model only knows it grows: a write
//! seen to return version `v` needs the key's version to be below `v`, and a
//! read must see exactly the value and version of the last write before it.

use super::history::{History, Kind, Outcome};
use microsim::history::{self, OpOutcome};
use microsim::lin::{self, Model, Options, Verdict};
use std::collections::BTreeSet;

/// An operation on one key, as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyOp {
    /// A strong read.
    Read,
    /// A write of a value (`None`: a delete).
    Write(Option<String>),
    /// A write of a value if the key's version is `expected`.
    Cas(u64, String),
}

/// A key's value and version (`None`: set by a write whose version nobody saw).
pub type KeyState = (Option<String>, Option<u64>);

/// The sequential model of one key.
#[derive(Debug)]
pub struct ConfigKey;

impl Model for ConfigKey {
    type State = (String, KeyState);
    type Input = (String, KeyOp);
    type Output = (Option<String>, u64);

    fn init(&self) -> (String, KeyState) {
        (String::new(), (None, Some(0)))
    }

    fn step(
        &self,
        (_, (value, version)): &(String, KeyState),
        (key, op): &(String, KeyOp),
        output: Option<&(Option<String>, u64)>,
    ) -> Option<(String, KeyState)> {
        let next = |v: Option<String>, out: Option<&(Option<String>, u64)>| -> Option<KeyState> {
            match out {
                Some((_, n)) if version.is_some_and(|cur| cur >= *n) => None,
                Some((_, n)) => Some((v, Some(*n))),
                None => Some((v, None)),
            }
        };
        let state = match op {
            KeyOp::Read => {
                let (seen, at) = output?;
                if seen != value || version.is_some_and(|v| v != *at) {
                    return None;
                }
                (value.clone(), Some(*at))
            }
            KeyOp::Write(v) => next(v.clone(), output)?,
            KeyOp::Cas(expected, v) => {
                if version.is_some_and(|cur| cur != *expected) {
                    // A CAS that could not match: an unknown one had no effect,
                    // an acknowledged one is impossible here.
                    output.is_none().then_some(())?;
                    (value.clone(), *version)
                } else {
                    next(Some(v.clone()), output)?
                }
            }
        };
        Some((key.clone(), state))
    }

    fn partition(&self, ops: &[history::Op<Self::Input, Self::Output>]) -> Option<Vec<Vec<usize>>> {
        let keys: BTreeSet<&String> = ops.iter().map(|o| &o.input.0).collect();
        Some(keys.into_iter().map(|k| (0..ops.len()).filter(|&i| &ops[i].input.0 == k).collect()).collect())
    }
}

/// Checks `history`; `Ok(false)` when the budget ran out before a verdict.
pub fn check(history: &History, max_steps: u64) -> Result<bool, String> {
    let canary: BTreeSet<&String> =
        history.ops.iter().filter(|o| matches!(o.kind, Kind::Canary { .. } | Kind::Promote)).map(|o| &o.key).collect();
    let mut h = history::History::new();
    let processes: Vec<&String> = {
        let mut p: Vec<&String> = history.ops.iter().map(|o| &o.process).collect();
        p.sort();
        p.dedup();
        p
    };
    let mut ops: Vec<_> = history.ops.iter().filter(|o| !canary.contains(&o.key)).collect();
    ops.sort_by_key(|o| o.invoke_ns);
    for o in ops {
        let op = match &o.kind {
            Kind::Get { strong: true } => KeyOp::Read,
            Kind::Put { value } => KeyOp::Write(Some(value.clone())),
            Kind::Delete => KeyOp::Write(None),
            Kind::Cas { expected, value } => KeyOp::Cas(*expected, value.clone()),
            Kind::Get { strong: false } | Kind::Canary { .. } | Kind::Promote => continue,
        };
        let outcome = match &o.outcome {
            Outcome::Ok { value, version } => {
                OpOutcome::Ok((if op == KeyOp::Read { value.clone() } else { None }, *version))
            }
            Outcome::Unknown if op != KeyOp::Read => OpOutcome::Unknown,
            Outcome::Unknown | Outcome::Failed { .. } => continue,
        };
        let process = processes.binary_search(&&o.process).unwrap_or(0) as u64;
        let id = h.invoke_at(process, (o.key.clone(), op), o.invoke_ns);
        h.complete_at(id, outcome, o.complete_ns.max(o.invoke_ns))
            .map_err(|e| format!("the history is malformed: {e}"))?;
    }
    match lin::check_with(&ConfigKey, &h, &Options { max_steps, ..Options::default() }) {
        Verdict::Linearizable => Ok(true),
        Verdict::Unknown(_) => Ok(false),
        Verdict::NotLinearizable(why) => Err(format!("strong reads and writes are not linearizable:\n{why}")),
    }
}
