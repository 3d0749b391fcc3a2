//! PCT: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010), as
//! shuttle, P and Coyote use it.
//!
//! Every task gets a random priority when it first becomes ready, and the ready
//! task with the highest priority runs. At `depth - 1` change points, steps drawn
//! at random from the first `max_steps`, the task about to run drops below every
//! initial priority. A bug that needs `d` ordering constraints is found by one
//! run with probability at least 1 / (n · k^(d-1)) for n tasks and k steps, far
//! more often than a uniformly random scheduler finds an ordering that must hold
//! for many steps in a row.

use crate::rng::SimRng;
use crate::sched::{ReadyTask, Schedule};
use rand::Rng;
use std::collections::BTreeMap;

/// The PCT strategy (give it to `Builder::scheduler` as `Scheduler::pct`).
#[derive(Debug)]
pub struct Pct {
    depth: u32,
    max_steps: u64,
    ready: Vec<ReadyTask>,
    priority: BTreeMap<u64, u64>,
    /// Steps at which the running task's priority drops, latest first.
    change_points: Option<Vec<u64>>,
    step: u64,
}

impl Pct {
    /// PCT for bugs of depth `depth` (at least 1) over runs of about `max_steps` steps.
    pub fn new(depth: u32, max_steps: u64) -> Pct {
        Pct {
            depth: depth.max(1),
            max_steps: max_steps.max(1),
            ready: Vec::new(),
            priority: BTreeMap::new(),
            change_points: None,
            step: 0,
        }
    }
}

/// Initial priorities sit above every changed one (changed ones are 1..depth).
const INITIAL: u64 = 1 << 32;

impl Schedule for Pct {
    fn push(&mut self, task: ReadyTask) {
        self.ready.push(task);
    }

    fn pop(&mut self, rng: &mut SimRng) -> Option<ReadyTask> {
        if self.ready.is_empty() {
            return None;
        }
        let (depth, max_steps) = (self.depth, self.max_steps);
        let points = self.change_points.get_or_insert_with(|| {
            let mut p: Vec<u64> = (1..depth).map(|_| rng.random_range(1..=max_steps)).collect();
            p.sort_unstable_by(|a, b| b.cmp(a));
            p
        });
        self.step += 1;
        let changing = points.last() == Some(&self.step);
        if changing {
            points.pop();
        }
        // The i-th change point (of d - 1) sets priority d - i: later ones go lower.
        let changed_to = points.len() as u64 + 1;
        // New tasks get their priority in the order they became ready (deterministic).
        for t in &self.ready {
            self.priority.entry(t.key).or_insert_with(|| INITIAL + rng.random_range(0..INITIAL));
        }
        let best = (0..self.ready.len()).max_by_key(|&i| (self.priority[&self.ready[i].key], std::cmp::Reverse(i)))?;
        let task = self.ready.swap_remove(best);
        if changing {
            self.priority.insert(task.key, changed_to);
        }
        Some(task)
    }

    fn len(&self) -> usize {
        self.ready.len()
    }
}
