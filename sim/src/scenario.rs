//! Scenarios: a named system (topology, workload, properties, limits, variants)
//! that the runner, the property tests, the command line and the examples share.
//!
//! A [`Scenario`] registers its nodes on a [`Sim`] for a [`RunSpec`] (seed,
//! variant, fault plan) and checks its properties on the [`Outcome`]. [`run`]
//! does one run and returns a [`Report`]: a `Send` summary that says how the
//! run went, with everything needed to replay it.
//!
//! ```
//! use microsim::scenario::{run, RunSpec, Scenario};
//! use microsim::{Outcome, Seed, Sim, SimError};
//! use std::time::Duration;
//!
//! struct Idle;
//! impl Scenario for Idle {
//!     fn name(&self) -> &str { "idle" }
//!     fn nodes(&self) -> Vec<String> { vec!["n".into()] }
//!     fn horizon(&self) -> Duration { Duration::from_secs(1) }
//!     fn setup(&self, sim: &mut Sim, _: &RunSpec) -> Result<(), SimError> {
//!         sim.client("n", || microsim::time::sleep(Duration::from_millis(5)))
//!     }
//! }
//!
//! let (report, _outcome) = run(&Idle, &RunSpec::new(Seed(1)));
//! assert!(report.passed(), "{report}");
//! assert_eq!(report.elapsed, Duration::from_millis(5));
//! ```

use crate::plan::FaultPlan;
use crate::seed::Seed;
use crate::{Outcome, RecordMode, Sim, SimError, Stats, TraceHash};
use std::fmt;
use std::time::Duration;

/// A named, runnable system.
pub trait Scenario: Sync {
    /// Its stable name (reports, file names, the command line).
    fn name(&self) -> &str;
    /// One line about it.
    fn about(&self) -> &str {
        ""
    }
    /// Its variants (buggy versions, modes); the first is the default.
    fn variants(&self) -> &[&'static str] {
        &["default"]
    }
    /// The nodes a fault plan may name.
    fn nodes(&self) -> Vec<String>;
    /// How much virtual time a run may take (its time limit).
    fn horizon(&self) -> Duration;
    /// Registers the nodes and the workload on `sim` for `spec`.
    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError>;
    /// The variants with a planted bug (each should be found by its suite);
    /// the others should hold. None by default.
    fn planted_bugs(&self) -> &[&'static str] {
        &[]
    }
    /// The fault plan for `seed` under `profile` (what `microsim run` and
    /// `explore` use): by default the profile's plan over [`Scenario::nodes`]
    /// with a chaos phase in the first second. A scenario with its own chaos
    /// phase, or a nemesis that aims at its weak spots, overrides it.
    fn plan(&self, seed: Seed, profile: &crate::nemesis::Profile) -> FaultPlan {
        let nodes = self.nodes();
        let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
        profile.plan(seed.0, &nodes, Duration::from_secs(1))
    }
    /// Checks the properties after the run; `Err` names the violated one.
    fn check(&self, outcome: &Outcome, spec: &RunSpec) -> Result<(), String> {
        let _ = (outcome, spec);
        Ok(())
    }
}

/// What one run is: seed, variant, plan, recording.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// The seed.
    pub seed: Seed,
    /// The variant (empty: the scenario's default).
    pub variant: String,
    /// The faults to inject.
    pub plan: FaultPlan,
    /// The nemesis profile the plan was drawn from, for reports (`None`: given by hand).
    pub profile: Option<String>,
    /// What to record.
    pub record: RecordMode,
    /// The size of the workload (requests, orders, rounds: the scenario says),
    /// `None` for the scenario's default. Property tests draw it and shrink it.
    pub workload: Option<u32>,
    /// The scheduling strategy (`None`: the simulator's default, FIFO, exactly
    /// as a `Sim::builder()` without a scheduler setting runs it).
    pub scheduler: Option<crate::sched::SchedulerSpec>,
}

impl RunSpec {
    /// The default variant, no faults, the trace hash only.
    pub fn new(seed: Seed) -> RunSpec {
        RunSpec {
            seed,
            variant: String::new(),
            plan: FaultPlan::default(),
            profile: None,
            record: RecordMode::Summary,
            workload: None,
            scheduler: None,
        }
    }

    /// The variant to run, resolved against the scenario's list.
    pub fn variant_of<'a>(&'a self, scenario: &'a dyn Scenario) -> &'a str {
        if self.variant.is_empty() {
            scenario.variants().first().copied().unwrap_or("default")
        } else {
            &self.variant
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every property held and nothing went wrong.
    Pass,
    /// A property was violated.
    Violated(String),
    /// The run itself failed (panic, deadlock, a limit): `kind` and message.
    Failed {
        /// `panic`, `deadlock`, `time-limit`, `step-limit`, ...
        kind: &'static str,
        /// What happened.
        message: String,
    },
    /// The scenario could not be set up (a bad variant, a plan that does not fit).
    Invalid(String),
}

impl Verdict {
    /// Whether `self` and `other` are the same failure, as a shrinker must keep
    /// it: both failed, the same way (a violated check, or a run failure of the
    /// same kind) and, for a broken `always` or `eventually` property, the same
    /// property (named in the message, see [`crate::Failure`]'s `Display`).
    /// Details that vary from run to run (times, values) are not compared.
    pub fn same_failure_as(&self, other: &Verdict) -> bool {
        match (self, other) {
            (Verdict::Violated(_), Verdict::Violated(_)) => true,
            (Verdict::Failed { kind: a, message: m }, Verdict::Failed { kind: b, message: n }) => {
                a == b && property_named(m) == property_named(n)
            }
            _ => false,
        }
    }
}

/// The property a failure message names, if any: `NAME` in "property `NAME`
/// violated in node ..." or "property `NAME` did not hold by ..." (a name may
/// hold backquotes).
fn property_named(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("property `")?;
    let end = ["` violated in node `", "` did not hold by "].iter().filter_map(|tail| rest.find(tail)).min()?;
    Some(&rest[..end])
}

/// The summary of one run: how it went and how to replay it. `Send`, unlike
/// [`Outcome`], so sweeps over threads can collect it.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The variant run.
    pub variant: String,
    /// The seed.
    pub seed: Seed,
    /// The plan (empty: no faults).
    pub plan: FaultPlan,
    /// The profile the plan was drawn from.
    pub profile: Option<String>,
    /// How it went.
    pub verdict: Verdict,
    /// Virtual time elapsed.
    pub elapsed: Duration,
    /// Steps taken.
    pub steps: u64,
    /// The trace hash (`None` when recording was off).
    pub hash: Option<TraceHash>,
    /// Counters.
    pub stats: Stats,
    /// The fault points reached, with how often they fired.
    pub fault_points: Vec<crate::PointCount>,
    /// The run's `sometimes` and `eventually` properties, with counts.
    pub coverage: Vec<crate::property::Coverage>,
    /// The figures the run's nodes reported (see [`crate::metrics`]).
    pub metrics: Vec<crate::metrics::Metric>,
}

impl Report {
    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// The value of the metric `name`, if the run reported it as a number.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|m| m.name == name).and_then(|m| m.value)
    }
}

impl crate::explore::RunResult for Report {
    fn failed(&self) -> bool {
        !self.passed()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}] seed {}: ", self.scenario, self.variant, self.seed)?;
        match &self.verdict {
            Verdict::Pass => write!(f, "pass")?,
            Verdict::Violated(p) => write!(f, "property violated: {p}")?,
            Verdict::Failed { kind, message } => write!(f, "{kind}: {message}")?,
            Verdict::Invalid(why) => write!(f, "invalid run: {why}")?,
        }
        write!(
            f,
            " ({} virtual, {} steps, {} plan steps",
            crate::time::Instant::from_nanos(self.elapsed.as_nanos() as u64),
            self.steps,
            self.plan.steps.len()
        )?;
        if let Some(p) = &self.profile {
            write!(f, ", {p}")?;
        }
        write!(f, ")")
    }
}

/// A plan `profile` draws for `seed` over `scenario`'s nodes with its chaos
/// phase ending at `chaos` (for a scenario whose own liveness phase starts
/// there; see [`Scenario::plan`]).
pub fn chaos_plan(
    scenario: &dyn Scenario,
    seed: Seed,
    profile: &crate::nemesis::Profile,
    chaos: Duration,
) -> FaultPlan {
    let nodes = scenario.nodes();
    let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let fraction = chaos.as_secs_f64() / scenario.horizon().as_secs_f64();
    let profile = crate::nemesis::Profile { chaos_fraction: fraction, ..profile.clone() };
    profile.plan(seed.0, &names, scenario.horizon())
}

/// Does one run of `scenario` as `spec` says.
pub fn run(scenario: &dyn Scenario, spec: &RunSpec) -> (Report, Option<Outcome>) {
    let variant = spec.variant_of(scenario).to_string();
    let mut report = Report {
        scenario: scenario.name().to_string(),
        variant: variant.clone(),
        seed: spec.seed,
        plan: spec.plan.clone(),
        profile: spec.profile.clone(),
        verdict: Verdict::Pass,
        elapsed: Duration::ZERO,
        steps: 0,
        hash: None,
        stats: Stats::default(),
        fault_points: Vec::new(),
        coverage: Vec::new(),
        metrics: Vec::new(),
    };
    if !scenario.variants().contains(&variant.as_str()) {
        let known = scenario.variants().join(", ");
        report.verdict =
            Verdict::Invalid(format!("unknown variant {variant:?} of {} (variants: {known})", scenario.name()));
        return (report, None);
    }
    let mut builder = Sim::builder().seed(spec.seed.0).record(spec.record).max_time(scenario.horizon());
    if let Some(scheduler) = spec.scheduler {
        builder = builder.scheduler(scheduler.build());
    }
    let mut sim = builder.build();
    if let Err(e) = scenario.setup(&mut sim, spec) {
        report.verdict = Verdict::Invalid(format!("setting up {}: {e}", scenario.name()));
        return (report, None);
    }
    if let Err(e) = sim.plan(&spec.plan) {
        report.verdict = Verdict::Invalid(format!("the plan does not fit: {e}"));
        return (report, None);
    }
    let outcome = sim.run();
    report.elapsed = outcome.elapsed;
    report.steps = outcome.steps;
    report.hash = outcome.hash();
    report.stats = outcome.stats;
    report.fault_points = outcome.fault_points.clone();
    report.coverage = outcome.coverage.clone();
    report.metrics = outcome.metrics.clone();
    report.verdict = match &outcome.failure {
        Some(failure) => Verdict::Failed { kind: failure.kind(), message: failure.to_string() },
        None => match scenario.check(&outcome, spec) {
            Ok(()) => Verdict::Pass,
            Err(property) => Verdict::Violated(property),
        },
    };
    (report, Some(outcome))
}

/// Every fault point reached in `reports`, with its counts summed over them, by
/// name: the error-handler coverage of a sweep (points that never fired show
/// which handlers never ran).
pub fn fault_point_coverage<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<crate::PointCount> {
    let mut sum: std::collections::BTreeMap<String, crate::PointCount> = std::collections::BTreeMap::new();
    for r in reports {
        for p in &r.fault_points {
            let e = sum.entry(p.name.clone()).or_insert(crate::PointCount { reached: 0, fired: 0, ..p.clone() });
            e.reached += p.reached;
            e.fired += p.fired;
        }
    }
    sum.into_values().collect()
}

/// Adds up the `sometimes` and `eventually` counts of many runs (a sweep), by
/// property. A property with `held == 0` never held in the sweep: the suite
/// does not reach what it claims to test (see [`never_held`]).
pub fn coverage<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Vec<crate::property::Coverage> {
    crate::property::sum(reports.into_iter().flat_map(|r| &r.coverage))
}

/// The properties of `coverage` that never held.
pub fn never_held(coverage: &[crate::property::Coverage]) -> Vec<&crate::property::Coverage> {
    coverage.iter().filter(|c| c.held == 0).collect()
}

/// Where two runs that should be identical first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The index of the first differing record.
    pub index: usize,
    /// That record in the first run, as its trace line (`None`: the run had ended).
    pub first: Option<String>,
    /// That record in the second run.
    pub second: Option<String>,
    /// The records before it (the same in both runs), as trace lines.
    pub before: Vec<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "(the run had ended)".into());
        write!(
            f,
            "runs diverge at event {}: first run {}; second run {}",
            self.index,
            show(&self.first),
            show(&self.second)
        )
    }
}

/// How many records before a divergence it keeps.
const DIVERGENCE_CONTEXT: usize = 5;

/// Runs `spec` twice with full recording and compares the traces record by
/// record (texts included): the determinism self-check.
pub fn check_determinism(scenario: &dyn Scenario, spec: &RunSpec) -> Result<(), Divergence> {
    let full = RunSpec { record: RecordMode::Full, ..spec.clone() };
    let (_, a) = run(scenario, &full);
    let (_, b) = run(scenario, &full);
    let (Some(a), Some(b)) = (a, b) else { return Ok(()) };
    match microsim_traces::diff_traces(a.trace(), b.trace(), DIVERGENCE_CONTEXT) {
        None => Ok(()),
        Some(d) => Err(Divergence { index: d.index, first: d.a, second: d.b, before: d.before }),
    }
}

impl Report {
    /// Writes what this run was (scenario, variant, plan, profile) into a
    /// trace's header, so that the trace file says how to make it again.
    pub fn describe_trace(&self, header: &mut microsim_traces::Header) {
        header.scenario = Some(self.scenario.clone());
        header.variant = Some(self.variant.clone());
        header.plan = serde_json::to_value(&self.plan).ok();
        header.profile = self.profile.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    fn failed(kind: &'static str, message: &str) -> Verdict {
        Verdict::Failed { kind, message: message.to_string() }
    }

    /// Whether `a` and `b` count as the same failure, checked both ways round.
    fn check(a: &Verdict, b: &Verdict) -> bool {
        let same = a.same_failure_as(b);
        assert_eq!(same, b.same_failure_as(a), "{a:?} / {b:?}");
        same
    }

    #[test]
    fn a_property_broken_at_another_time_or_value_is_the_same_failure() {
        let a = failed("property", "property `one leader` violated in node `s1` at 1.5s: [s1, s2]");
        let b = failed("property", "property `one leader` violated in node `s3` at 0.2s");
        assert!(check(&a, &b));
    }

    #[test]
    fn another_property_or_another_kind_of_failure_is_not() {
        let a = failed("property", "property `one leader` violated in node `s1` at 1.5s");
        assert!(!check(&a, &failed("property", "property `no lost write` violated in node `s1` at 1.5s")));
        assert!(!check(&a, &failed("liveness", "property `one leader` did not hold by 9s (checked from 5s)")));
        assert!(!check(&failed("deadlock", "deadlock at 1s"), &failed("panic", "panic in node `a` at 1s: x")));
        assert!(check(&failed("deadlock", "deadlock at 1s"), &failed("deadlock", "deadlock at 2s")));
    }

    #[test]
    fn the_property_is_read_from_the_failures_own_message() {
        // `same_failure_as` reads the name back from `Failure`'s `Display`.
        let time = crate::time::Instant::from_nanos(7);
        let broken = crate::Failure::Property {
            name: "one `leader`".into(),
            node: "s1".into(),
            time,
            detail: "[s1, s2]".into(),
        };
        let late = crate::Failure::Liveness { name: "all done".into(), from: time, deadline: time, detail: "".into() };
        assert_eq!(super::property_named(&broken.to_string()), Some("one `leader`"));
        assert_eq!(super::property_named(&late.to_string()), Some("all done"));
        let stuck = crate::Failure::Deadlock { time, waiting: vec!["c".into()] };
        assert_eq!(super::property_named(&stuck.to_string()), None);
    }

    #[test]
    fn a_pass_or_an_invalid_run_is_no_failure() {
        let a = failed("panic", "panic in node `a` at 1s: x");
        for other in [Verdict::Pass, Verdict::Invalid("bad plan".into())] {
            assert!(!check(&a, &other));
            assert!(!check(&other, &other));
        }
        assert!(check(&Verdict::Violated("x".into()), &Verdict::Violated("y".into())));
    }
}
