//! The pingpong scenario under random fault plans: the RPC variant survives
//! them, the datagram variant's planted hang is found, and failures replay.

use microsim::explore::{sweep, SeedRange, StopAt};
use microsim::nemesis::Profile;
use microsim::scenario::{run, Report, RunSpec, Scenario, Verdict};
use microsim::Seed;
use microsim_services::pingpong::PingPongScenario;
use std::time::Duration;

const SCENARIO: PingPongScenario = PingPongScenario { rounds: 20 };

/// Seeds per sweep: modest by default, deep with `MICROSIM_DEEP=1`.
fn seeds() -> u64 {
    if std::env::var_os("MICROSIM_DEEP").is_some() {
        20_000
    } else {
        200
    }
}

/// One run of `variant` under a plan the default nemesis draws from `seed`
/// over the first second.
fn check(variant: &str, seed: Seed) -> Report {
    let nodes = SCENARIO.nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let profile = Profile::default();
    let spec = RunSpec {
        variant: variant.to_string(),
        plan: profile.plan(seed.0, &nodes, Duration::from_secs(1)),
        profile: Some(profile.to_string()),
        ..RunSpec::new(seed)
    };
    run(&SCENARIO, &spec).0
}

#[test]
fn the_rpc_variant_survives_every_fault_plan() {
    let result = sweep(&SeedRange::new(0, seeds()), 2, StopAt::FirstFailure, |_| {}, |seed| check("rpc", seed));
    if let Some((_, report)) = result.first_failure() {
        panic!("{report}\nplan:\n{}", report.plan.to_json());
    }
    assert_eq!(result.runs.len() as u64, seeds());
    let faulted = result.runs.iter().filter(|(_, r)| r.stats.dropped > 0).count();
    assert!(faulted > result.runs.len() / 2, "faults actually dropped messages in most runs: {faulted}");
}

/// The datagram client has two planted bugs: no timeout (a lost message leaves
/// it waiting forever: a deadlock) and no request id (a duplicated reply is
/// taken as the answer to the next request: its assertion fails).
#[test]
fn the_datagram_variants_planted_bugs_are_found_within_20_seeds() {
    let result = sweep(&SeedRange::new(0, 20), 2, StopAt::FirstFailure, |_| {}, |seed| check("datagram", seed));
    let (seed, report) = result.first_failure().expect("the sweep finds a planted bug");
    assert!(matches!(report.verdict, Verdict::Failed { kind: "deadlock" | "time-limit" | "panic", .. }), "{report}");
    // The failure replays exactly from its seed and plan.
    let again =
        run(&SCENARIO, &RunSpec { variant: "datagram".into(), plan: report.plan.clone(), ..RunSpec::new(*seed) }).0;
    assert_eq!((again.verdict.clone(), again.hash), (report.verdict.clone(), report.hash), "{again}");
}

#[test]
fn a_sweep_gives_the_same_reports_on_one_thread_and_on_two() {
    let range = SeedRange::new(1000, 40);
    let one = sweep(&range, 1, StopAt::Never, |_| {}, |seed| check("rpc", seed));
    let two = sweep(&range, 2, StopAt::Never, |_| {}, |seed| check("rpc", seed));
    assert_eq!(one, two);
}

#[test]
fn an_unknown_variant_is_an_invalid_run_that_says_which_exist() {
    let report = run(&SCENARIO, &RunSpec { variant: "udp".into(), ..RunSpec::new(Seed(1)) }).0;
    assert_eq!(
        report.verdict,
        Verdict::Invalid("unknown variant \"udp\" of pingpong (variants: rpc, datagram)".into())
    );
}

#[test]
fn every_variant_is_deterministic_under_faults() {
    for variant in SCENARIO.variants() {
        for seed in 0..10 {
            let spec = RunSpec { variant: variant.to_string(), ..check_spec(Seed(seed)) };
            if let Err(d) = microsim::scenario::check_determinism(&SCENARIO, &spec) {
                panic!("{variant} seed {seed}: {d}");
            }
        }
    }
}

/// The spec `check` runs, for `seed`.
fn check_spec(seed: Seed) -> RunSpec {
    let nodes = SCENARIO.nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    RunSpec { plan: Profile::default().plan(seed.0, &nodes, Duration::from_secs(1)), ..RunSpec::new(seed) }
}

#[test]
fn a_found_failure_shrinks_to_the_steps_it_needs_and_still_replays() {
    let result = sweep(&SeedRange::new(0, 20), 2, StopAt::FirstFailure, |_| {}, |seed| check("datagram", seed));
    let (seed, report) = result.first_failure().expect("the sweep finds a planted bug");
    let spec = RunSpec { variant: "datagram".into(), ..check_spec(*seed) };
    let shrunk = microsim::failure::shrink(&SCENARIO, &spec, report, 500);
    assert!(
        shrunk.steps.1 < shrunk.steps.0 && shrunk.steps.1 <= 3,
        "{:?}\n{}",
        shrunk.steps,
        shrunk.spec.plan.to_json()
    );
    assert_eq!(std::mem::discriminant(&shrunk.report.verdict), std::mem::discriminant(&report.verdict));
    let again = run(&SCENARIO, &shrunk.spec).0;
    assert_eq!((again.verdict, again.hash), (shrunk.report.verdict.clone(), shrunk.report.hash));
}
