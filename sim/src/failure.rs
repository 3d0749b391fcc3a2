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
    /// The smallest failing spec found.
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

/// Shrinks a failing run's plan: removes steps, one at a time, for as long as
/// the run still fails the same way (same verdict kind), skipping removals that
/// leave an invalid plan; when no single step can go, tries removing two at once
/// (a fault with its undo, or two rates that each shift the run's random draws
/// when removed alone), and starts over if that helped; at most `max_runs` runs.
pub fn shrink(scenario: &dyn Scenario, spec: &RunSpec, report: &Report, max_runs: usize) -> Shrunk {
    let kind = |r: &Report| std::mem::discriminant(&r.verdict);
    let failed_the_same = |r: &Report| {
        !r.passed() && kind(r) == kind(report) && !matches!(r.verdict, crate::scenario::Verdict::Invalid(_))
    };
    let events = |s: &RunSpec| run(scenario, s).1.map_or(0, |o| o.trace().counts().records);
    let (mut best, mut best_report, mut runs) = (spec.clone(), report.clone(), 0);
    let mut progress = true;
    while progress && runs < max_runs {
        progress = false;
        let mut i = 0;
        while i < best.plan.steps.len() && runs < max_runs {
            let mut candidate = best.clone();
            candidate.plan.steps.remove(i);
            runs += 1;
            let (r, _) = run(scenario, &candidate);
            if failed_the_same(&r) {
                best = candidate;
                best_report = r;
                progress = true;
            } else {
                i += 1;
            }
        }
        if !progress {
            progress = remove_a_pair(&mut best, &mut best_report, &mut runs, max_runs, &mut |c| {
                let (r, _) = run(scenario, c);
                failed_the_same(&r).then_some(r)
            });
        }
    }
    Shrunk {
        steps: (spec.plan.steps.len(), best.plan.steps.len()),
        events: (events(spec), events(&best)),
        spec: best,
        report: best_report,
        runs,
    }
}

/// Tries removing two steps of `best`'s plan at once; keeps the first removal
/// after which `fails` still returns a failure. Whether one was kept.
fn remove_a_pair(
    best: &mut RunSpec,
    best_report: &mut Report,
    runs: &mut usize,
    max_runs: usize,
    fails: &mut dyn FnMut(&RunSpec) -> Option<Report>,
) -> bool {
    let n = best.plan.steps.len();
    for i in 0..n {
        for j in i + 1..n {
            if *runs >= max_runs {
                return false;
            }
            let mut candidate = best.clone();
            candidate.plan.steps.remove(j);
            candidate.plan.steps.remove(i);
            *runs += 1;
            if let Some(r) = fails(&candidate) {
                *best = candidate;
                *best_report = r;
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Sim, SimError};
    use std::time::Duration;

    /// Fails when its plan has an odd number of steps: no single step of three
    /// can go, but two can.
    struct Odd;

    impl Scenario for Odd {
        fn name(&self) -> &str {
            "odd"
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
            if spec.plan.steps.len() % 2 == 1 {
                Err("odd".into())
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn when_no_single_step_can_go_the_shrinker_removes_two() {
        let plan = FaultPlan::from_json(
            r#"{"steps": [{"at": "1ms", "fault": "heal_all"}, {"at": "2ms", "fault": "heal_all"},
                {"at": "3ms", "fault": "heal_all"}]}"#,
        )
        .expect("the plan parses");
        let spec = RunSpec { plan, ..RunSpec::new(crate::Seed(1)) };
        let (report, _) = run(&Odd, &spec);
        assert!(!report.passed());
        let shrunk = shrink(&Odd, &spec, &report, 100);
        assert_eq!(shrunk.steps, (3, 1));
        assert!(!shrunk.report.passed());
    }
}
