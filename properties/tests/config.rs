//! The config center's property suite: the correct service under nemesis
//! sweeps and proptest plans (linearizability's necessary condition on reads,
//! monotonic versions per client, lossless watches, convergence after the
//! heal, every interesting path reached), and each planted bug found within a
//! stated number of seeds, shrunk to the plan steps it needs.

use microsim::explore::{sweep, SeedRange, StopAt, SweepResult};
use microsim::failure::shrink;
use microsim::nemesis::Profile;
use microsim::scenario::{check_determinism, coverage, never_held, run, Report, RunSpec, Scenario, Verdict};
use microsim::Seed;
use microsim_properties::{check_run, plans, workloads};
use microsim_services::config::history::Outcome;
use microsim_services::config::ConfigScenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::sync::OnceLock;
use std::time::Duration;

/// Operations per writer.
const OPS: u32 = 30;

fn scenario() -> ConfigScenario {
    ConfigScenario::new(OPS)
}

fn deep() -> bool {
    std::env::var_os("MICROSIM_DEEP").is_some()
}

/// Seeds of the correct service's sweep: modest by default, deep with `MICROSIM_DEEP=1`.
fn seeds() -> u64 {
    if deep() {
        3_000
    } else {
        120
    }
}

/// The spec of one run of `variant`: a plan the default nemesis draws from
/// `seed` over the first second (faults heal at 600 ms).
fn spec(variant: &str, seed: Seed) -> RunSpec {
    let nodes = scenario().nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let profile = Profile::default();
    RunSpec {
        variant: variant.to_string(),
        plan: profile.plan(seed.0, &nodes, Duration::from_secs(1)),
        profile: Some(profile.to_string()),
        ..RunSpec::new(seed)
    }
}

fn check(variant: &str, seed: Seed) -> Report {
    run(&scenario(), &spec(variant, seed)).0
}

/// `seeds` seeds of `variant` from 0, on two threads, stopping at a failure.
fn explore(variant: &str, seeds: u64, stop: StopAt) -> SweepResult<Report> {
    sweep(&SeedRange::new(0, seeds), 2, stop, |_| {}, |seed| check(variant, seed))
}

/// The correct service's sweep, shared by the tests that look at it.
fn correct_sweep() -> &'static SweepResult<Report> {
    static SWEEP: OnceLock<SweepResult<Report>> = OnceLock::new();
    SWEEP.get_or_init(|| {
        let started = std::time::Instant::now();
        let result = explore("correct", seeds(), StopAt::Never);
        let wall = started.elapsed().as_secs_f64();
        eprintln!(
            "correct: {} seeds in {wall:.2} s ({:.0} seeds/s)",
            result.runs.len(),
            result.runs.len() as f64 / wall
        );
        result
    })
}

#[test]
fn the_correct_service_survives_every_nemesis_plan() {
    let result = correct_sweep();
    if let Some((seed, report)) = result.first_failure() {
        panic!("{report}\nreplay: MICROSIM_SEED={seed} with plan:\n{}", report.plan.to_json());
    }
    assert_eq!(result.runs.len() as u64, seeds());
}

/// Swarm profiles (each seed its own mix of crashes, pauses, partitions, link
/// faults, loss, duplication, slow links, clock faults and disk faults), but no
/// disk wipes: Raft's safety rests on votes and logs surviving a crash, and a
/// wiped replica rejoining as a voter can elect a second history.
#[test]
fn the_correct_service_survives_swarm_profiles_without_disk_wipes() {
    let nodes = scenario().nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let seeds = if deep() { 2_000 } else { 60 };
    let result = sweep(
        &SeedRange::new(0, seeds),
        2,
        StopAt::FirstFailure,
        |_| {},
        |seed| {
            let profile = Profile { crash_wipe: false, ..Profile::swarm(seed.0) };
            let plan = profile.plan(seed.0, &nodes, Duration::from_secs(1));
            run(&scenario(), &RunSpec { plan, profile: Some(profile.to_string()), ..RunSpec::new(seed) }).0
        },
    );
    if let Some((seed, report)) = result.first_failure() {
        panic!("{report}\nreplay: MICROSIM_SEED={seed} with plan:\n{}", report.plan.to_json());
    }
}

#[test]
fn failovers_compactions_reconnects_and_canary_releases_all_happen_in_the_sweep() {
    let all = coverage(correct_sweep().runs.iter().map(|(_, r)| r));
    for c in &all {
        eprintln!("{:<10} {:<70} held {} of {}", c.kind, c.name, c.held, c.reached);
    }
    let missing = never_held(&all);
    assert!(missing.is_empty(), "never held: {missing:?}");
    for name in ["failed over", "compaction notice", "reconnected", "canary release was promoted", "canary client saw"]
    {
        assert!(all.iter().any(|c| c.name.contains(name)), "no property about {name:?}: {all:?}");
    }
}

// Detection rates over seeds 0..300 of the default nemesis: stale-read 149,
// lost-watch 175, early-ack 30 (it needs the leader cut off from the majority
// long enough for an election while writers still talk to it).

/// Runs a planted bug's variant until a seed fails; checks the failure is the
/// property that bug breaks, shrinks its plan and prints it.
fn find(variant: &str, within: u64, properties: &[&str]) -> (Seed, Report) {
    let result = explore(variant, within, StopAt::FirstFailure);
    let (seed, report) = result.first_failure().unwrap_or_else(|| panic!("{variant}: not found in {within} seeds"));
    let (seed, report) = (*seed, report.clone());
    let message = match &report.verdict {
        Verdict::Failed { message, .. } => message.clone(),
        other => panic!("{variant}: {other:?}"),
    };
    assert!(properties.iter().any(|p| message.contains(p)), "{variant} broke another property: {report}");
    let shrunk = shrink(&scenario(), &spec(variant, seed), &report, 200);
    eprintln!(
        "{variant}: found at seed {seed} ({} seeds run); plan shrunk {} -> {} steps in {} runs:\n{}\n{}",
        result.runs.len(),
        shrunk.steps.0,
        shrunk.steps.1,
        shrunk.runs,
        shrunk.spec.plan.to_json(),
        shrunk.report
    );
    assert!(!shrunk.report.passed() && shrunk.steps.1 <= shrunk.steps.0);
    let again = run(&scenario(), &shrunk.spec).0;
    assert_eq!((again.verdict, again.hash), (shrunk.report.verdict.clone(), shrunk.report.hash), "it replays");
    (seed, report)
}

#[test]
fn a_stale_read_from_a_lagging_replica_is_found_within_10_seeds() {
    find("stale-read", 10, &["config: reads return committed, fresh values"]);
}

#[test]
fn a_watch_resumed_from_the_wrong_revision_is_found_within_20_seeds() {
    find("lost-watch", 20, &["config: watches lose no change"]);
}

#[test]
fn an_acknowledged_write_lost_in_failover_is_found_within_60_seeds() {
    // A lost acknowledged write is also a linearizability violation: either check may see it first.
    find(
        "early-ack",
        60,
        &["config: every acknowledged write is committed", "config: strong reads and writes are linearizable"],
    );
}

#[test]
fn every_variant_is_deterministic_under_faults() {
    for variant in scenario().variants() {
        for seed in 0..3 {
            if let Err(d) = check_determinism(&scenario(), &spec(variant, Seed(seed))) {
                panic!("{variant} seed {seed}: {d}");
            }
        }
    }
}

#[test]
fn the_history_records_every_attempt_with_its_interval_and_outcome() {
    let (recording, cell) = scenario().recording();
    let (report, _) = run(&recording, &spec("correct", Seed(4)));
    assert!(report.passed(), "{report}");
    let history = cell.lock().unwrap().clone();
    assert!(history.ops.len() >= 3 * OPS as usize, "{} ops", history.ops.len());
    assert!(history.ops.iter().all(|op| op.invoke_ns <= op.complete_ns));
    assert!(history.ops.iter().any(|op| matches!(op.outcome, Outcome::Ok { .. })));
    // A process is sequential: each op of a process starts after its previous one ended.
    let mut last_end = std::collections::BTreeMap::new();
    for op in &history.ops {
        let end = last_end.insert(op.process.clone(), op.complete_ns).unwrap_or(0);
        assert!(op.invoke_ns >= end, "{op:?}");
    }
    let text = history.to_jsonl();
    let back: Vec<microsim_services::config::history::Op> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back, history.ops);
}

proptest! {
    // Cases: PROPTEST_CASES, else 12 (deep: 300). A failing case is saved in
    // properties/proptest-regressions/config.txt and replayed first from then on.
    #![proptest_config(Config {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok())
            .unwrap_or(if deep() { 300 } else { 12 }),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/config.txt"))),
        ..Config::default()
    })]

    #[test]
    fn the_correct_service_holds_under_any_plan_and_workload(
        seed in any::<u64>(),
        plan in plans(scenario().nodes(), Duration::from_millis(800), 6),
        ops in workloads(40),
    ) {
        let spec = RunSpec { variant: "correct".into(), plan, workload: Some(ops), ..RunSpec::new(Seed(seed)) };
        check_run(&scenario(), &spec)?;
    }
}
