//! Scheduling strategies: which ready task runs next.
//!
//! The executor hands every task that becomes ready to the strategy and asks it
//! for the next one to poll. The order decides interleavings, so it must depend
//! only on the order of wake-ups and the scheduler's own random stream. FIFO and
//! seeded-random strategies are built in; [`Schedule`] lets a user plug in more.

use crate::rng::SimRng;
use rand::Rng;
use std::collections::VecDeque;
use std::fmt;

/// A task that is ready to run, as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyTask {
    pub(crate) key: u64,
    pub(crate) node: u32,
}

impl ReadyTask {
    /// The index of the node the task belongs to (registration order).
    pub fn node_index(&self) -> u32 {
        self.node
    }
}

/// A pluggable scheduling strategy.
pub trait Schedule: 'static {
    /// A task became ready (each ready task is handed over exactly once).
    fn push(&mut self, task: ReadyTask);
    /// The next task to run, drawing any randomness from `rng` (the run's
    /// scheduler stream); `None` when no task is ready.
    fn pop(&mut self, rng: &mut SimRng) -> Option<ReadyTask>;
    /// How many tasks are ready.
    fn len(&self) -> usize;
    /// Whether no task is ready.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The built-in strategies, chosen with `Builder::scheduler`.
pub enum Scheduler {
    /// Run ready tasks in the order they became ready (the default).
    Fifo,
    /// Run a uniformly random ready task each step.
    Random,
    /// A user-supplied strategy.
    Custom(Box<dyn Schedule>),
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheduler::Fifo => "Fifo",
            Scheduler::Random => "Random",
            Scheduler::Custom(_) => "Custom",
        })
    }
}

/// The run-time form of a [`Scheduler`]: an enum, so the common cases cost no
/// virtual call.
pub(crate) enum ReadyQueue {
    Fifo(VecDeque<ReadyTask>),
    Random(Vec<ReadyTask>),
    Custom(Box<dyn Schedule>),
}

impl ReadyQueue {
    pub(crate) fn new(s: Scheduler) -> ReadyQueue {
        match s {
            Scheduler::Fifo => ReadyQueue::Fifo(VecDeque::with_capacity(16)),
            Scheduler::Random => ReadyQueue::Random(Vec::with_capacity(16)),
            Scheduler::Custom(c) => ReadyQueue::Custom(c),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, t: ReadyTask) {
        match self {
            ReadyQueue::Fifo(q) => q.push_back(t),
            ReadyQueue::Random(v) => v.push(t),
            ReadyQueue::Custom(c) => c.push(t),
        }
    }

    #[inline]
    pub(crate) fn pop(&mut self, rng: &mut SimRng) -> Option<ReadyTask> {
        match self {
            ReadyQueue::Fifo(q) => q.pop_front(),
            ReadyQueue::Random(v) => match v.len() {
                0 => None,
                1 => v.pop(),
                n => Some(v.swap_remove(rng.random_range(0..n))),
            },
            ReadyQueue::Custom(c) => c.pop(rng),
        }
    }
}
