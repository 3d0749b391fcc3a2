//! Scheduling strategies: which ready task runs next.
//!
//! The executor hands every task that becomes ready to the strategy and asks it
//! for the next one to poll. The order decides interleavings, so it must depend
//! only on the order of wake-ups and the scheduler's own random stream. FIFO and
//! seeded-random strategies are built in; [`Schedule`] lets a user plug in more.

use crate::ring::Ring;
use crate::rng::{self, SimRng, Stream};
use rand::Rng;
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

impl Scheduler {
    /// PCT for bugs of depth `depth` over runs of about `max_steps` steps (see `pct.rs`).
    pub fn pct(depth: u32, max_steps: u64) -> Scheduler {
        Scheduler::Custom(Box::new(crate::pct::Pct::new(depth, max_steps)))
    }
}

/// A scheduler as plain data, for a [`crate::scenario::RunSpec`]: unlike
/// [`Scheduler`] it can be cloned, compared and printed, and it names only the
/// built-in strategies. [`SchedulerSpec::build`] makes the strategy for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerSpec {
    /// [`Scheduler::Fifo`].
    Fifo,
    /// [`Scheduler::Random`].
    Random,
    /// [`Scheduler::pct`] with this depth and step estimate.
    Pct {
        /// The bug depth PCT aims at (at least 1).
        depth: u32,
        /// About how many steps a run takes.
        max_steps: u64,
    },
}

impl SchedulerSpec {
    /// The strategy to give to `Builder::scheduler`.
    pub fn build(self) -> Scheduler {
        match self {
            SchedulerSpec::Fifo => Scheduler::Fifo,
            SchedulerSpec::Random => Scheduler::Random,
            SchedulerSpec::Pct { depth, max_steps } => Scheduler::pct(depth, max_steps),
        }
    }
}

impl fmt::Display for SchedulerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchedulerSpec::Fifo => f.write_str("fifo"),
            SchedulerSpec::Random => f.write_str("random"),
            SchedulerSpec::Pct { depth, max_steps } => write!(f, "pct(depth {depth}, {max_steps} steps)"),
        }
    }
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

/// The run-time form of a [`Scheduler`]: FIFO and random share one ring and
/// are told apart by a one-byte tag checked first, so the common cases cost no
/// virtual call and no enum unpacking.
pub(crate) struct ReadyQueue {
    kind: Kind,
    /// The ready tasks of the built-in strategies, in wake order (random picks
    /// swap-remove from it).
    queue: Ring<ReadyTask>,
    /// A user-supplied strategy (`kind` is `Custom`).
    custom: Option<Box<dyn Schedule>>,
    /// The run's scheduler stream, made on first use (FIFO never draws; the
    /// stream depends only on the seed, so when it is made does not matter).
    rng: Option<Box<SimRng>>,
    seed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fifo,
    Random,
    Custom,
}

impl ReadyQueue {
    pub(crate) fn new(s: Scheduler, seed: u64) -> ReadyQueue {
        let (kind, custom) = match s {
            Scheduler::Fifo => (Kind::Fifo, None),
            Scheduler::Random => (Kind::Random, None),
            Scheduler::Custom(c) => (Kind::Custom, Some(c)),
        };
        let queue = Ring::with_capacity(if custom.is_some() { 0 } else { 16 });
        ReadyQueue { kind, queue, custom, rng: None, seed }
    }

    #[inline]
    pub(crate) fn push(&mut self, t: ReadyTask) {
        if self.kind != Kind::Custom {
            self.queue.push_back(t);
        } else {
            self.push_custom(t);
        }
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<ReadyTask> {
        if self.kind == Kind::Fifo {
            self.queue.pop_front()
        } else {
            self.pop_other()
        }
    }

    /// Whether the queue is FIFO and empty (a woken task would be next).
    #[inline]
    pub(crate) fn is_empty_fifo(&self) -> bool {
        self.kind == Kind::Fifo && self.queue.len() == 0
    }

    #[inline(never)]
    fn push_custom(&mut self, t: ReadyTask) {
        if let Some(c) = &mut self.custom {
            c.push(t);
        }
    }

    #[inline(never)]
    fn pop_other(&mut self) -> Option<ReadyTask> {
        let seed = self.seed;
        let rng = self.rng.get_or_insert_with(|| Box::new(rng::stream(seed, Stream::Scheduler)));
        if let Some(c) = &mut self.custom {
            return c.pop(rng);
        }
        match self.queue.len() {
            0 => None,
            1 => self.queue.swap_remove_back(0),
            n => self.queue.swap_remove_back(rng.random_range(0..n)),
        }
    }
}
