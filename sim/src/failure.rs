//! Failures that explain themselves: the files a failed run leaves behind and the
//! one line that replays it.
//!
//! [`save`] re-runs a failed run with full recording (the same seed and plan
//! give the same run, which the saved report checks through the trace hash) and
//! writes, under `target/microsim/failures/<scenario>-<variant>-<seed>/`, the
//! plan (`plan.json`), the trace (`trace.jsonl`) and the report (`report.txt`)
//! ending in the replay line. [`spec_from_env`] reads `MICROSIM_SEED` and
//! `MICROSIM_PLAN`, so that line replays the run in a test or the command line.

use crate::plan::FaultPlan;
use crate::scenario::{run, Report, RunSpec, Scenario};
use crate::seed::{Seed, SEED_VAR};
use crate::RecordMode;
use std::path::{Path, PathBuf};

/// The environment variable a saved plan is read from.
pub const PLAN_VAR: &str = "MICROSIM_PLAN";

/// Why a failure could not be saved or a replay could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum FailureError {
    /// Reading or writing a file failed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The seed in the environment is malformed.
    #[error(transparent)]
    Seed(#[from] crate::SeedError),
    /// The plan file is not a plan.
    #[error("{path}: {error}")]
    Plan {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        error: crate::plan::PlanError,
    },
    /// The trace could not be written.
    #[error("writing the trace: {0}")]
    Trace(#[from] microsim_traces::TraceError),
    /// The trace's HTML view could not be written.
    #[error("{path}: {error}")]
    View {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FailureError + '_ {
    move |error| FailureError::Io { path: path.to_path_buf(), error }
}

/// The folder a failure of `report` is saved in, under `root` (the project's root).
pub fn folder(root: &Path, report: &Report) -> PathBuf {
    root.join("target/microsim/failures").join(format!("{}-{}-{:016x}", report.scenario, report.variant, report.seed.0))
}

/// The line that replays `report`'s run with the `microsim` command, given where its plan is.
pub fn replay_line(report: &Report, plan_file: &Path) -> String {
    format!(
        "{SEED_VAR}={} {PLAN_VAR}={} cargo run --release -- run {} --variant {}",
        report.seed,
        plan_file.display(),
        report.scenario,
        report.variant
    )
}

/// Re-runs the failed run of `spec` with full recording and saves plan, trace and
/// report under [`folder`]; returns the folder.
pub fn save(scenario: &dyn Scenario, spec: &RunSpec, report: &Report, root: &Path) -> Result<PathBuf, FailureError> {
    let dir = folder(root, report);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let plan_file = dir.join("plan.json");
    std::fs::write(&plan_file, spec.plan.to_json()).map_err(io(&plan_file))?;
    let (again, outcome) = run(scenario, &RunSpec { record: RecordMode::Full, ..spec.clone() });
    let trace_file = dir.join("trace.jsonl");
    if let Some(outcome) = outcome {
        let file = std::fs::File::create(&trace_file).map_err(io(&trace_file))?;
        let mut out = std::io::BufWriter::new(file);
        let mut trace = outcome.into_trace();
        again.describe_trace(&mut trace.header);
        microsim_traces::write_jsonl(&trace, &mut out)?;
        std::io::Write::flush(&mut out).map_err(io(&trace_file))?;
        drop(out);
        write_html(&trace_file, &dir.join("trace.html"), report)?;
    }
    let same = again.verdict == report.verdict && (report.hash.is_none() || again.hash == report.hash);
    let check = if same {
        "replayed with full recording: same verdict and trace hash".to_string()
    } else {
        format!("NOT DETERMINISTIC: the replay gave {again}")
    };
    let text = format!(
        "{report}\n{check}\nplan: {}\ntrace: {} (diagram: {})\nreplay: {}\n",
        plan_file.display(),
        trace_file.display(),
        dir.join("trace.html").display(),
        replay_line(report, &plan_file)
    );
    let report_file = dir.join("report.txt");
    std::fs::write(&report_file, text).map_err(io(&report_file))?;
    Ok(dir)
}

/// The saved trace as a Lamport diagram, with the failure as its mark.
fn write_html(trace_file: &Path, html_file: &Path, report: &Report) -> Result<(), FailureError> {
    use microsim_traces::view::{html::write_html, Filter};
    let input = std::io::BufReader::new(std::fs::File::open(trace_file).map_err(io(trace_file))?);
    let mut reader = microsim_traces::TraceReader::new(input)?;
    let marks = microsim_traces::Marks { property: Some(report.to_string()), ..Default::default() };
    let mut out = std::io::BufWriter::new(std::fs::File::create(html_file).map_err(io(html_file))?);
    write_html(&mut reader, &Filter::default(), &marks, &mut out)
        .map_err(|e| FailureError::View { path: html_file.to_path_buf(), error: e.to_string() })?;
    std::io::Write::flush(&mut out).map_err(io(html_file))
}

/// The seed and plan of `MICROSIM_SEED` and `MICROSIM_PLAN`, when set.
pub fn spec_from_env() -> Result<(Option<Seed>, Option<FaultPlan>), FailureError> {
    let seed = Seed::from_env()?;
    let plan = match std::env::var_os(PLAN_VAR) {
        None => None,
        Some(path) => Some(read_plan(Path::new(&path))?),
    };
    Ok((seed, plan))
}

/// Reads a plan file.
pub fn read_plan(path: &Path) -> Result<FaultPlan, FailureError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    FaultPlan::from_json(&text).map_err(|error| FailureError::Plan { path: path.to_path_buf(), error })
}

/// What [`shrink`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk {
    /// The smallest failing spec found. Its seed may differ from the one given
    /// (see [`shrink`]); its report and replay line carry the one it ran with.
    pub spec: RunSpec,
    /// Its report.
    pub report: Report,
    /// Plan steps before and after.
    pub steps: (usize, usize),
    /// Trace events before and after.
    pub events: (u64, u64),
    /// Runs tried.
    pub runs: usize,
}

/// How many other seeds a stuck shrinker tries per removal (see [`shrink`]).
pub const OTHER_SEEDS: u64 = 16;

/// Shrinks a failing run's plan, for as long as the run still fails the same
/// way ([`Verdict::same_failure_as`](crate::scenario::Verdict::same_failure_as)),
/// skipping removals that leave an invalid plan, in at most `max_runs` runs:
///
/// 1. removes steps one at a time;
/// 2. when no single step can go, removes two at once (a fault with its undo,
///    or two rates that each shift the run's random draws when removed alone);
/// 3. when no pair can go either, removes one step, or else two, under another
///    seed (up to [`OTHER_SEEDS`] seeds derived from the current one):
///    removing a step shifts every random draw after it, so the same seed no
///    longer leads to the interleaving that broke the system, and a smaller
///    plan may need another. The shrunk run then has that seed.
///
/// After any removal it starts over from 1, with the seed the run now has.
pub fn shrink(scenario: &dyn Scenario, spec: &RunSpec, report: &Report, max_runs: usize) -> Shrunk {
    let events = |s: &RunSpec| run(scenario, s).1.map_or(0, |o| o.trace().counts().records);
    let mut fails = |c: &RunSpec| {
        let (r, _) = run(scenario, c);
        r.verdict.same_failure_as(&report.verdict).then_some(r)
    };
    let mut best = Best { spec: spec.clone(), report: report.clone(), runs: 0, max_runs };
    while best.remove_one(&mut fails) || best.remove_a_pair(&mut fails) || best.remove_under_another_seed(&mut fails) {}
    Shrunk {
        steps: (spec.plan.steps.len(), best.spec.plan.steps.len()),
        events: (events(spec), events(&best.spec)),
        runs: best.runs,
        spec: best.spec,
        report: best.report,
    }
}

/// The smallest failing run a shrink has found so far, and its budget of runs.
struct Best {
    spec: RunSpec,
    report: Report,
    runs: usize,
    max_runs: usize,
}

impl Best {
    /// Runs `candidate` (one run of the budget); keeps it if it fails the same way.
    fn try_candidate(&mut self, candidate: RunSpec, fails: &mut dyn FnMut(&RunSpec) -> Option<Report>) -> bool {
        self.runs += 1;
        match fails(&candidate) {
            Some(report) => {
                self.spec = candidate;
                self.report = report;
                true
            }
            None => false,
        }
    }

    fn spent(&self) -> bool {
        self.runs >= self.max_runs
    }

    /// Removes single steps while any can go; whether one went.
    fn remove_one(&mut self, fails: &mut dyn FnMut(&RunSpec) -> Option<Report>) -> bool {
        let mut removed = false;
        let mut i = 0;
        while i < self.spec.plan.steps.len() && !self.spent() {
            if self.try_candidate(without(&self.spec, (i, None), self.spec.seed), fails) {
                removed = true;
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Removes the first pair of steps that can go; whether one did.
    fn remove_a_pair(&mut self, fails: &mut dyn FnMut(&RunSpec) -> Option<Report>) -> bool {
        let pairs = pairs(self.spec.plan.steps.len());
        self.remove_first(&pairs, &[self.spec.seed], fails)
    }

    /// Removes the first step, or else the first pair of steps, that can go
    /// under one of [`OTHER_SEEDS`] other seeds; whether one did.
    fn remove_under_another_seed(&mut self, fails: &mut dyn FnMut(&RunSpec) -> Option<Report>) -> bool {
        let n = self.spec.plan.steps.len();
        let others: Vec<Seed> = (1..=OTHER_SEEDS).map(|k| derived_seed(self.spec.seed, k)).collect();
        let singles: Vec<Removal> = (0..n).map(|i| (i, None)).collect();
        self.remove_first(&singles, &others, fails) || self.remove_first(&pairs(n), &others, fails)
    }

    /// Keeps the first of `removals` after which the run, under one of `seeds`
    /// (each tried on every removal before the next), still fails the same way;
    /// whether one was kept.
    fn remove_first(
        &mut self,
        removals: &[Removal],
        seeds: &[Seed],
        fails: &mut dyn FnMut(&RunSpec) -> Option<Report>,
    ) -> bool {
        for &seed in seeds {
            for &removal in removals {
                if self.spent() {
                    return false;
                }
                if self.try_candidate(without(&self.spec, removal, seed), fails) {
                    return true;
                }
            }
        }
        false
    }
}

/// The index of a plan step to remove, and of a second one after it.
type Removal = (usize, Option<usize>);

/// Every pair of steps of an `n`-step plan, in order.
fn pairs(n: usize) -> Vec<Removal> {
    (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, Some(j)))).collect()
}

/// `spec` without the steps of `removal`, under `seed`.
fn without(spec: &RunSpec, (i, j): Removal, seed: Seed) -> RunSpec {
    let mut candidate = RunSpec { seed, ..spec.clone() };
    if let Some(j) = j {
        candidate.plan.steps.remove(j);
    }
    candidate.plan.steps.remove(i);
    candidate
}

/// The `k`-th seed derived from `seed` (SplitMix64's finaliser over the pair):
/// the same for every shrink, so shrinking stays deterministic.
fn derived_seed(seed: Seed, k: u64) -> Seed {
    Seed(crate::lin::hash::mix(seed.0 ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sim, SimError};
    use std::time::Duration;

    /// One client that sleeps 5 ms; the run fails when the function says so of its spec.
    struct FailsWhen(fn(&RunSpec) -> bool);

    impl Scenario for FailsWhen {
        fn name(&self) -> &str {
            "fails-when"
        }
        fn nodes(&self) -> Vec<String> {
            vec!["n".into()]
        }
        fn horizon(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn setup(&self, sim: &mut Sim, _: &RunSpec) -> Result<(), SimError> {
            sim.client("n", || crate::time::sleep(Duration::from_millis(5)))
        }
        fn check(&self, _: &crate::Outcome, spec: &RunSpec) -> Result<(), String> {
            if (self.0)(spec) {
                Err("it fails".into())
            } else {
                Ok(())
            }
        }
    }

    /// Fails when its plan has an odd number of steps: no single step of three
    /// can go, but two can.
    const ODD: FailsWhen = FailsWhen(|spec| spec.plan.steps.len() % 2 == 1);

    /// Fails with two steps or more, or under any seed but 1 (with any plan).
    const SEED_1_NEEDS_2: FailsWhen = FailsWhen(|spec| spec.plan.steps.len() >= 2 || spec.seed != crate::Seed(1));

    fn plan_of(steps: usize) -> FaultPlan {
        let steps: Vec<String> = (1..=steps).map(|ms| format!(r#"{{"at": "{ms}ms", "fault": "heal_all"}}"#)).collect();
        FaultPlan::from_json(&format!(r#"{{"steps": [{}]}}"#, steps.join(","))).expect("the plan parses")
    }

    #[test]
    fn when_no_step_can_go_under_its_seed_the_shrinker_tries_other_seeds() {
        let spec = RunSpec { plan: plan_of(2), ..RunSpec::new(crate::Seed(1)) };
        let (report, _) = run(&SEED_1_NEEDS_2, &spec);
        assert!(!report.passed());
        let shrunk = shrink(&SEED_1_NEEDS_2, &spec, &report, 100);
        assert_eq!(shrunk.steps, (2, 0));
        assert_eq!(shrunk.spec.seed, derived_seed(crate::Seed(1), 1), "the first other seed is enough");
        assert_eq!(shrunk.report.seed, shrunk.spec.seed, "the report names the seed the shrunk run has");
        assert_eq!(run(&SEED_1_NEEDS_2, &shrunk.spec).0.verdict, shrunk.report.verdict, "it replays");
        assert_eq!(shrink(&SEED_1_NEEDS_2, &spec, &report, 100), shrunk, "shrinking is deterministic");
    }

    #[test]
    fn a_shrinker_out_of_runs_stops_with_what_it_has() {
        let spec = RunSpec { plan: plan_of(2), ..RunSpec::new(crate::Seed(1)) };
        let (report, _) = run(&SEED_1_NEEDS_2, &spec);
        // 2 single removals and 1 pair fail under seed 1: the budget ends before another seed.
        let shrunk = shrink(&SEED_1_NEEDS_2, &spec, &report, 3);
        assert_eq!((shrunk.steps, shrunk.runs, shrunk.spec.seed), ((2, 2), 3, crate::Seed(1)));
    }

    #[test]
    fn derived_seeds_differ_from_each_other_and_the_seed() {
        let seeds: std::collections::BTreeSet<u64> =
            (0..=OTHER_SEEDS).map(|k| if k == 0 { 7 } else { derived_seed(crate::Seed(7), k).0 }).collect();
        assert_eq!(seeds.len() as u64, OTHER_SEEDS + 1);
    }

    #[test]
    fn when_no_single_step_can_go_the_shrinker_removes_two() {
        let plan = FaultPlan::from_json(
            r#"{"steps": [{"at": "1ms", "fault": "heal_all"}, {"at": "2ms", "fault": "heal_all"},
                {"at": "3ms", "fault": "heal_all"}]}"#,
        )
        .expect("the plan parses");
        let spec = RunSpec { plan, ..RunSpec::new(crate::Seed(1)) };
        let (report, _) = run(&ODD, &spec);
        assert!(!report.passed());
        let shrunk = shrink(&ODD, &spec, &report, 100);
        assert_eq!(shrunk.steps, (3, 1));
        assert!(!shrunk.report.passed());
    }
}
