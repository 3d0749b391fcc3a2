//! The search: Wing and Gong's algorithm with Lowe's memoisation, on one partition.
//!
//! Walk the event list from the start. At a call, try to linearize that
//! operation now: if the model accepts it and the pair (operations linearized,
//! new state) was never seen, lift it out of the list, push it on the undo stack
//! and start again from the first event. At a return, the operation returning
//! there should have been linearized already: pop the latest choice, put it back
//! and try the next event after it. The history is linearizable when every
//! operation with a definite outcome is linearized; it is not when a return is
//! reached with nothing to undo. Operations with unknown outcomes have no return,
//! so the search may linearize them anywhere after their call, or never.

use super::bitset::Bitset;
use super::cache::Cache;
use super::events::{Events, NONE};
use super::model::Model;
use std::time::Instant;

/// An operation as the search sees it.
#[derive(Debug)]
pub(crate) struct Call<'h, M: Model> {
    /// Its index in the history.
    pub(crate) index: usize,
    /// Its input.
    pub(crate) input: &'h M::Input,
    /// Its output, `None` if unknown.
    pub(crate) output: Option<M::Output>,
    /// Its invocation time.
    pub(crate) invoke: u64,
    /// Its return time, `None` if it has none (unknown outcome).
    pub(crate) ret: Option<u64>,
}

/// When to give up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Search steps (events visited) allowed.
    pub(crate) max_steps: u64,
    /// Wall-clock deadline.
    pub(crate) deadline: Option<Instant>,
}

/// How often (in steps) the deadline is looked at (also at the first step).
const CHECK_EVERY: u64 = 1024;

/// What the search found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Every definite operation was linearized.
    Linearizable,
    /// No linearization exists; the longest prefix found (indices into the
    /// partition's calls, in linearization order).
    NotLinearizable { prefix: Vec<usize> },
    /// A limit was reached first.
    Stopped(Stop),
}

/// Why the search stopped without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The step budget ran out.
    Steps,
    /// The deadline passed.
    Deadline,
}

/// The search of one partition; it runs in slices of steps, so that partitions
/// can take turns and a quick failure in one need not wait for another to end.
#[derive(Debug)]
pub(crate) struct Search<'c, 'h, M: Model> {
    model: &'c M,
    calls: &'c [Call<'h, M>],
    events: Events,
    linearized: Bitset,
    cache: Cache<M::State>,
    undo: Vec<(u32, M::State)>,
    state: M::State,
    definite_left: usize,
    best: Vec<usize>,
    node: u32,
    steps: u64,
}

impl<'c, 'h, M: Model> Search<'c, 'h, M> {
    /// A search of `calls`, not started.
    pub(crate) fn new(model: &'c M, calls: &'c [Call<'h, M>]) -> Self {
        let times: Vec<(u64, Option<u64>)> = calls.iter().map(|c| (c.invoke, c.ret)).collect();
        let linearized = Bitset::new(calls.len());
        let events = Events::new(&times);
        Search {
            model,
            calls,
            node: events.first(),
            events,
            cache: Cache::new(linearized.words().len()),
            linearized,
            undo: Vec::with_capacity(calls.len()),
            state: model.init(),
            definite_left: calls.iter().filter(|c| c.ret.is_some()).count(),
            best: Vec::new(),
            steps: 0,
        }
    }

    /// Runs at most `slice` more steps; the answer, or `None` if there is none yet.
    pub(crate) fn run(&mut self, slice: u64, limits: &Limits) -> Option<Found> {
        let end = self.steps.saturating_add(slice);
        while self.definite_left > 0 {
            if self.steps >= end {
                return None;
            }
            self.steps += 1;
            if self.steps % CHECK_EVERY == 1 || self.steps > limits.max_steps {
                if let Some(stop) = over(limits, self.steps) {
                    return Some(Found::Stopped(stop));
                }
            }
            let node = self.node;
            debug_assert_ne!(node, NONE, "a definite operation's return is always ahead");
            self.node = if node != NONE && self.events.is_call(node) {
                self.try_call(node)
            } else {
                match self.backtrack() {
                    Some(next) => next,
                    None => return Some(Found::NotLinearizable { prefix: std::mem::take(&mut self.best) }),
                }
            };
        }
        Some(Found::Linearizable)
    }
}

/// The limit reached after `steps` steps, if any.
fn over(limits: &Limits, steps: u64) -> Option<Stop> {
    if steps > limits.max_steps {
        return Some(Stop::Steps);
    }
    limits.deadline.is_some_and(|d| Instant::now() >= d).then_some(Stop::Deadline)
}

impl<M: Model> Search<'_, '_, M> {
    /// Tries to linearize the call at `node` now; returns the next event to visit.
    #[inline]
    fn try_call(&mut self, node: u32) -> u32 {
        let op = self.events.op(node);
        let call = &self.calls[op];
        if let Some(next) = self.model.step(&self.state, call.input, call.output.as_ref()) {
            self.linearized.set(op);
            if self.cache.insert(&self.linearized, &next) {
                let before = std::mem::replace(&mut self.state, next);
                self.undo.push((node, before));
                self.events.lift(node);
                if call.ret.is_some() {
                    self.definite_left -= 1;
                }
                if self.undo.len() > self.best.len() {
                    self.best = self.undo.iter().map(|(n, _)| self.events.op(*n)).collect();
                }
                return self.events.first();
            }
            self.linearized.clear(op);
        }
        self.events.next(node)
    }

    /// Undoes the latest linearization; returns the event after its call, or
    /// `None` when there is nothing to undo.
    #[inline]
    fn backtrack(&mut self) -> Option<u32> {
        let (node, before) = self.undo.pop()?;
        let op = self.events.op(node);
        self.state = before;
        self.linearized.clear(op);
        self.events.unlift(node);
        if self.calls[op].ret.is_some() {
            self.definite_left += 1;
        }
        Some(self.events.next(node))
    }
}
