//! Sweeps: running one check over many seeds, on several OS threads, one
//! simulation per thread at a time, with a deterministic outcome.
//!
//! A [`SeedRange`] names the seeds: `count` seeds from `base`, of which shard
//! `k` of `n` takes every n-th (so a sweep split over CI jobs or cluster jobs
//! covers each seed exactly once, and the shards' results can be merged).
//! [`sweep`] runs a function on each seed over `jobs` threads. Whatever the
//! thread timing, the result is the same: every seed in order, or, when stopping
//! at the first failure, every seed up to the lowest failing one.
//!
//! ```
//! use microsim::explore::{sweep, SeedRange, StopAt};
//!
//! let range = SeedRange::new(0, 100);
//! let result = sweep(&range, 2, StopAt::FirstFailure, |_| {}, |seed| seed.0 % 37 == 36);
//! assert_eq!(result.first_failure().map(|(seed, _)| seed.0), Some(36));
//! assert_eq!(result.runs.len(), 37, "seeds 0 to 36, whatever the threads did");
//! ```

use crate::seed::Seed;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shard `index` of `of` (0-based): the seeds whose position `i` in the range
/// has `i % of == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u32,
    /// How many shards.
    pub of: u32,
}

impl Shard {
    /// The whole range.
    pub const ALL: Shard = Shard { index: 0, of: 1 };
}

impl FromStr for Shard {
    type Err = String;
    /// `k/n` with `0 <= k < n`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, of): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if of == 0 || index >= of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.of)
    }
}

/// The seeds of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    /// The first seed.
    pub base: u64,
    /// How many seeds in all shards together.
    pub count: u64,
    /// Which of them this sweep runs.
    pub shard: Shard,
}

impl SeedRange {
    /// `count` seeds from `base`, all shards.
    pub fn new(base: u64, count: u64) -> SeedRange {
        SeedRange { base, count, shard: Shard::ALL }
    }

    /// The same range, one shard of it.
    pub fn shard(self, shard: Shard) -> SeedRange {
        SeedRange { shard, ..self }
    }

    /// How many seeds this shard runs.
    pub fn len(&self) -> u64 {
        let (k, n) = (u64::from(self.shard.index), u64::from(self.shard.of));
        if self.count <= k {
            0
        } else {
            (self.count - k).div_ceil(n)
        }
    }

    /// Whether this shard runs no seed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th seed of this shard.
    pub fn nth(&self, i: u64) -> Seed {
        debug_assert!(i < self.len());
        let position = i * u64::from(self.shard.of) + u64::from(self.shard.index);
        Seed(self.base.wrapping_add(position))
    }

    /// This shard's seeds, in order.
    pub fn seeds(&self) -> impl Iterator<Item = Seed> + '_ {
        (0..self.len()).map(|i| self.nth(i))
    }
}

/// When a sweep stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopAt {
    /// At the lowest failing seed (seeds after it are not reported).
    FirstFailure,
    /// Never: every seed runs.
    Never,
}

/// What a sweep has done so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Seeds finished.
    pub done: u64,
    /// Seeds in the sweep.
    pub total: u64,
    /// Failures among them.
    pub failures: u64,
}

/// A result that says whether its run failed.
pub trait RunResult: Send {
    /// Whether the run failed.
    fn failed(&self) -> bool;
}

impl RunResult for bool {
    /// `true` is a failure.
    fn failed(&self) -> bool {
        *self
    }
}

impl<T: Send, E: Send> RunResult for Result<T, E> {
    fn failed(&self) -> bool {
        self.is_err()
    }
}

/// The result of a sweep: each seed's result, in seed order.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepResult<T> {
    /// `(seed, result)` in the range's order.
    pub runs: Vec<(Seed, T)>,
    /// Whether the sweep stopped at a failure before the end of the range.
    pub stopped_early: bool,
}

impl<T: RunResult> SweepResult<T> {
    /// The failures, in seed order.
    pub fn failures(&self) -> impl Iterator<Item = &(Seed, T)> {
        self.runs.iter().filter(|(_, r)| r.failed())
    }

    /// The first failure.
    pub fn first_failure(&self) -> Option<&(Seed, T)> {
        self.failures().next()
    }
}

impl<T: RunResult> SweepResult<T> {
    /// Merges the results of the shards of one sweep (in any order) into the
    /// result the whole range would have given: every run in seed order. With
    /// [`StopAt::FirstFailure`], each shard stopped at its own first failure, so
    /// runs after the lowest failing seed of all shards are left out.
    pub fn merge(shards: impl IntoIterator<Item = SweepResult<T>>, range: &SeedRange) -> SweepResult<T> {
        let position = |s: Seed| s.0.wrapping_sub(range.base);
        let mut runs: Vec<(Seed, T)> = Vec::new();
        let mut stopped_early = false;
        for shard in shards {
            stopped_early |= shard.stopped_early;
            runs.extend(shard.runs);
        }
        runs.sort_by_key(|(s, _)| position(*s));
        if stopped_early {
            if let Some(lowest) = runs.iter().find(|(_, r)| r.failed()).map(|(s, _)| position(*s)) {
                runs.retain(|(s, _)| position(*s) <= lowest);
            }
        }
        SweepResult { runs, stopped_early }
    }
}

/// Runs `run` on every seed of `range` over `jobs` threads (at least 1),
/// calling `progress` after each seed (from the worker threads).
pub fn sweep<T, F, P>(range: &SeedRange, jobs: usize, stop: StopAt, progress: P, run: F) -> SweepResult<T>
where
    T: RunResult,
    F: Fn(Seed) -> T + Sync,
    P: Fn(Progress) + Sync,
{
    let total = range.len();
    let next = AtomicU64::new(0);
    let lowest_failure = AtomicU64::new(u64::MAX);
    let (done, failures) = (AtomicU64::new(0), AtomicU64::new(0));
    // Each worker keeps its own results (no lock or shared line per seed); they
    // are put in seed order at the end.
    let worker = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= total || (stop == StopAt::FirstFailure && i > lowest_failure.load(Ordering::Relaxed)) {
                return mine;
            }
            let result = run(range.nth(i));
            if result.failed() {
                lowest_failure.fetch_min(i, Ordering::Relaxed);
                failures.fetch_add(1, Ordering::SeqCst);
            }
            mine.push((i, result));
            let done = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress(Progress { done, total, failures: failures.load(Ordering::SeqCst) });
        }
    };
    let mut runs: Vec<(u64, T)> = std::thread::scope(|s| {
        let others: Vec<_> = (1..jobs.max(1)).map(|_| s.spawn(worker)).collect();
        let mut all = worker();
        for h in others {
            all.extend(h.join().expect("a sweep worker panicked"));
        }
        all
    });
    runs.sort_by_key(|(i, _)| *i);
    let lowest = lowest_failure.into_inner();
    let stopped_early = stop == StopAt::FirstFailure && lowest != u64::MAX;
    if stopped_early {
        // Seeds after the lowest failure may have run on other threads; they are
        // left out so that the result does not depend on thread timing.
        runs.retain(|(i, _)| *i <= lowest);
    }
    let stopped_early = stopped_early && lowest + 1 < total;
    SweepResult { runs: runs.into_iter().map(|(i, r)| (range.nth(i), r)).collect(), stopped_early }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_seed_once() {
        let range = SeedRange::new(100, 10);
        let mut all: Vec<u64> = (0..3)
            .flat_map(|k| range.shard(Shard { index: k, of: 3 }).seeds().map(|s| s.0).collect::<Vec<_>>())
            .collect();
        all.sort();
        assert_eq!(all, (100..110).collect::<Vec<_>>());
        assert_eq!(range.shard(Shard { index: 2, of: 3 }).seeds().map(|s| s.0).collect::<Vec<_>>(), [102, 105, 108]);
        assert_eq!(SeedRange::new(0, 2).shard(Shard { index: 3, of: 4 }).len(), 0);
    }

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!("1/4".parse(), Ok(Shard { index: 1, of: 4 }));
        assert_eq!(Shard { index: 1, of: 4 }.to_string(), "1/4");
        for bad in ["4/4", "1", "a/b", "0/0", "-1/3"] {
            assert!(bad.parse::<Shard>().unwrap_err().contains("expected K/N with 0 <= K < N"), "{bad}");
        }
    }

    #[test]
    fn the_result_is_the_same_for_any_number_of_threads() {
        let range = SeedRange::new(0, 500);
        let run = |s: Seed| if s.0 % 97 == 96 || s.0 == 300 { Err(s.0) } else { Ok(s.0 * 2) };
        let one = sweep(&range, 1, StopAt::Never, |_| {}, run);
        for jobs in [2, 3, 8] {
            assert_eq!(sweep(&range, jobs, StopAt::Never, |_| {}, run), one, "{jobs} jobs");
            let first = sweep(&range, jobs, StopAt::FirstFailure, |_| {}, run);
            assert_eq!(first.runs.len(), 97, "{jobs} jobs stop at seed 96");
            assert!(first.stopped_early);
            assert_eq!(first.first_failure().map(|(s, _)| s.0), Some(96));
        }
        assert_eq!(one.failures().count(), 6);
    }

    #[test]
    fn merged_shards_give_the_whole_sweep() {
        let range = SeedRange::new(7, 100);
        let run = |s: Seed| if s.0 == 60 { Err(s.0) } else { Ok(s.0) };
        let whole = sweep(&range, 1, StopAt::Never, |_| {}, run);
        let shards: Vec<_> =
            (0..4).map(|k| sweep(&range.shard(Shard { index: k, of: 4 }), 1, StopAt::Never, |_| {}, run)).collect();
        assert_eq!(SweepResult::merge(shards.into_iter().rev(), &range), whole);
        let first = |k| sweep(&range.shard(Shard { index: k, of: 4 }), 1, StopAt::FirstFailure, |_| {}, run);
        let merged = SweepResult::merge((0..4).map(first), &range);
        assert_eq!(merged.runs.len(), 54, "seeds 7 to 60");
        assert_eq!(merged.first_failure().map(|(s, _)| s.0), Some(60));
    }

    #[test]
    fn progress_counts_every_seed_and_failure() {
        let last = std::sync::Mutex::new(None);
        sweep(
            &SeedRange::new(0, 50),
            2,
            StopAt::Never,
            |p| {
                let mut l = last.lock().unwrap();
                if l.is_none_or(|q: Progress| p.done > q.done) {
                    *l = Some(p);
                }
            },
            |s| s.0 < 5,
        );
        assert_eq!(last.into_inner().unwrap(), Some(Progress { done: 50, total: 50, failures: 5 }));
    }
}
