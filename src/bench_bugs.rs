//! `microsim bench bugs`: bug-finding power. For every planted bug of every
//! sample scenario and three search strategies, the median over base seeds of
//! the wall time and the seeds a sweep needs to reach the first failure, then
//! the time the shrinker takes on it and the size it shrinks to.
//!
//! Strategies: `random` (the scenario's default nemesis with the default FIFO
//! scheduler: what `microsim explore` does today; the seed randomizes the plan,
//! the latencies and the losses), `pct` (the same plans, PCT scheduling of depth
//! 3 over the step count of a run of the scenario's correct variant) and `swarm`
//! (swarm fault profiles: each seed draws its own mix of faults).

use microsim::explore::{sweep, SeedRange, StopAt};
use microsim::failure;
use microsim::nemesis::Profile;
use microsim::scenario::{run, RunSpec, Scenario};
use microsim::{SchedulerSpec, Seed};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The base seeds are `b * BASE_STRIDE` for b in 0..base_seeds.
const BASE_STRIDE: u64 = 1_000_000;

/// The most runs one shrink may take (as `microsim explore`).
const SHRINK_RUNS: usize = 500;

/// The target of the issue: found within this wall time.
const FOUND_WITHIN: Duration = Duration::from_secs(10);

/// The target of the issue: shrunk to at most this many plan steps.
const SHRUNK_STEPS: usize = 3;

/// The PCT depth (bugs needing up to two ordering constraints between tasks).
const PCT_DEPTH: u32 = 3;

/// A search strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Random,
    Pct,
    Swarm,
}

const STRATEGIES: [Strategy; 3] = [Strategy::Random, Strategy::Pct, Strategy::Swarm];

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Pct => "pct",
            Strategy::Swarm => "swarm",
        }
    }

    /// The spec of `seed`'s run of `variant`; `steps` is the PCT step estimate.
    fn spec(self, scenario: &dyn Scenario, variant: &str, seed: Seed, steps: u64) -> RunSpec {
        let profile = match self {
            Strategy::Random | Strategy::Pct => Profile::default(),
            Strategy::Swarm => Profile::swarm(seed.0),
        };
        let scheduler = (self == Strategy::Pct).then_some(SchedulerSpec::Pct { depth: PCT_DEPTH, max_steps: steps });
        RunSpec {
            variant: variant.to_string(),
            plan: scenario.plan(seed, &profile),
            profile: Some(profile.to_string()),
            scheduler,
            ..RunSpec::new(seed)
        }
    }
}

/// What the search for one base seed found.
struct Search {
    wall: Duration,
    /// Seeds run up to and including the first failing one (`None`: none failed).
    seeds: Option<u64>,
    shrink: Option<Shrink>,
}

struct Shrink {
    wall: Duration,
    steps: (usize, usize),
    events: (u64, u64),
}

/// `microsim bench bugs`.
pub fn bugs(base_seeds: u64, limit: u64, budget_s: f64, jobs: usize, only: Option<&str>) -> ExitCode {
    if base_seeds == 0 || limit == 0 || jobs == 0 || budget_s.is_nan() || budget_s <= 0.0 {
        eprintln!("microsim bench bugs: --base-seeds, --limit and --jobs must be at least 1, --budget-s above 0");
        return ExitCode::from(2);
    }
    let scenarios: Vec<_> =
        microsim_services::scenarios().into_iter().filter(|s| only.is_none_or(|name| s.name() == name)).collect();
    if scenarios.is_empty() {
        eprintln!("microsim bench bugs: unknown scenario {:?} (see `microsim list`)", only.unwrap_or_default());
        return ExitCode::from(2);
    }
    let budget = Duration::from_secs_f64(budget_s.min(1e9));
    println!(
        "Medians over {base_seeds} base seeds (sweeps from b*{BASE_STRIDE}), each at most {limit} seeds and about \
         {budget_s} s, {jobs} jobs; shrink: at most {SHRINK_RUNS} runs. found: base seeds whose sweep failed; \
         wall ms: to the first failure (or the whole sweep); shrink columns: over the failures found."
    );
    println!();
    println!(
        "| scenario | bug | strategy | found | wall ms | seeds | shrink ms | plan steps | shrunk steps (max) | \
         trace events | shrunk events |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut bugs, mut fast, mut small) = (0, 0, 0);
    let (mut fast_by, mut small_by) = ([0; 3], [0; 3]);
    for scenario in &scenarios {
        let steps = pct_steps(scenario.as_ref());
        for &bug in scenario.planted_bugs() {
            bugs += 1;
            let (mut bug_fast, mut bug_small) = (false, false);
            for (k, strategy) in STRATEGIES.into_iter().enumerate() {
                let searches: Vec<Search> = (0..base_seeds)
                    .map(|b| Sweep { base: b * BASE_STRIDE, limit, budget, jobs })
                    .map(|sweep| search(scenario.as_ref(), bug, strategy, steps, sweep))
                    .collect();
                let row = Row::of(&searches);
                let row_fast = row.found == searches.len() && row.wall.is_some_and(|w| w < FOUND_WITHIN);
                let row_small = row.found == searches.len() && row.max_shrunk.is_some_and(|s| s <= SHRUNK_STEPS);
                fast_by[k] += usize::from(row_fast);
                small_by[k] += usize::from(row_small);
                bug_fast |= row_fast;
                bug_small |= row_small;
                println!("| {} | {bug} | {} | {} |", scenario.name(), strategy.name(), row.cells(searches.len()));
            }
            fast += usize::from(bug_fast);
            small += usize::from(bug_small);
        }
    }
    println!();
    println!("PCT: depth {PCT_DEPTH}, over the steps of one run of each scenario's correct variant (seed 0).");
    let met = |ok: bool| if ok { "met" } else { "NOT MET" };
    let by = |counts: [usize; 3]| {
        let each: Vec<String> = STRATEGIES.iter().zip(counts).map(|(s, n)| format!("{} {n}", s.name())).collect();
        each.join(", ")
    };
    println!(
        "TARGET bugs_found_under_10s={} ({fast} of {bugs} bugs found in every base seed, median under 10 s, by some \
         strategy; by each: {})",
        met(fast == bugs),
        by(fast_by)
    );
    println!(
        "TARGET bugs_shrunk_to_3_steps={} ({small} of {bugs} bugs shrunk to at most {SHRUNK_STEPS} plan steps in every \
         base seed by some strategy; by each: {})",
        met(small == bugs),
        by(small_by)
    );
    ExitCode::SUCCESS
}

/// The step count PCT is tuned to: one run of the scenario's correct variant
/// under its default nemesis.
fn pct_steps(scenario: &dyn Scenario) -> u64 {
    let seed = Seed(0);
    let spec = RunSpec { plan: scenario.plan(seed, &Profile::default()), ..RunSpec::new(seed) };
    run(scenario, &spec).0.steps.max(1)
}

/// One sweep from `base` until the first failure, at most `limit` seeds and
/// (checked between chunks of seeds) about `budget` of wall time; and the shrink
/// of the failure. Chunks grow from 64 seeds to 4,096; each stops at its first
/// failure, so the failure found is the lowest failing seed.
fn search(scenario: &dyn Scenario, bug: &str, strategy: Strategy, steps: u64, sweep_of: Sweep) -> Search {
    let spec = |seed| strategy.spec(scenario, bug, seed, steps);
    let Sweep { base, limit, budget, jobs } = sweep_of;
    let start = Instant::now();
    let (mut done, mut chunk) = (0, 64);
    let found = loop {
        if done >= limit || start.elapsed() >= budget {
            break None;
        }
        let range = SeedRange::new(base + done, chunk.min(limit - done));
        let result = sweep(&range, jobs, StopAt::FirstFailure, |_| {}, |seed| run(scenario, &spec(seed)).0);
        if let Some((seed, report)) = result.first_failure() {
            break Some((*seed, report.clone()));
        }
        done += range.count;
        chunk = (chunk * 2).min(4096);
    };
    let wall = start.elapsed();
    let Some((seed, report)) = found else {
        return Search { wall, seeds: None, shrink: None };
    };
    let start = Instant::now();
    let shrunk = failure::shrink(scenario, &spec(seed), &report, SHRINK_RUNS);
    let shrink = Shrink { wall: start.elapsed(), steps: shrunk.steps, events: shrunk.events };
    Search { wall, seeds: Some(seed.0 - base + 1), shrink: Some(shrink) }
}

/// Where and how long one search sweeps.
#[derive(Clone, Copy)]
struct Sweep {
    base: u64,
    limit: u64,
    budget: Duration,
    jobs: usize,
}

/// The medians of one table row.
struct Row {
    found: usize,
    wall: Option<Duration>,
    seeds: Option<u64>,
    shrink: Option<Duration>,
    steps: Option<(usize, usize)>,
    max_shrunk: Option<usize>,
    events: Option<(u64, u64)>,
}

impl Row {
    /// Medians over the searches that found the bug (wall time over all of them:
    /// a search that found nothing took its whole sweep).
    fn of(searches: &[Search]) -> Row {
        let shrinks: Vec<&Shrink> = searches.iter().filter_map(|s| s.shrink.as_ref()).collect();
        let found = shrinks.len();
        let max_shrunk = shrinks.iter().map(|s| s.steps.1).max();
        Row {
            found,
            wall: median(searches.iter().map(|s| s.wall).collect()),
            seeds: median(searches.iter().filter_map(|s| s.seeds).collect()),
            shrink: median(shrinks.iter().map(|s| s.wall).collect()),
            steps: median(shrinks.iter().map(|s| s.steps.0).collect())
                .zip(median(shrinks.iter().map(|s| s.steps.1).collect())),
            max_shrunk,
            events: median(shrinks.iter().map(|s| s.events.0).collect())
                .zip(median(shrinks.iter().map(|s| s.events.1).collect())),
        }
    }

    /// The row's cells after scenario, bug and strategy.
    fn cells(&self, searches: usize) -> String {
        let dash = || "-".to_string();
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
        format!(
            "{}/{searches} | {} | {} | {} | {} | {} | {} | {}",
            self.found,
            self.wall.map_or_else(dash, ms),
            self.seeds.map_or_else(dash, |s| s.to_string()),
            self.shrink.map_or_else(dash, ms),
            self.steps.map_or_else(dash, |s| s.0.to_string()),
            self.steps.zip(self.max_shrunk).map_or_else(dash, |(s, m)| format!("{} ({m})", s.1)),
            self.events.map_or_else(dash, |e| e.0.to_string()),
            self.events.map_or_else(dash, |e| e.1.to_string()),
        )
    }
}

/// The median (the lower middle of an even count), `None` for no values.
pub(crate) fn median<T: Ord + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}
