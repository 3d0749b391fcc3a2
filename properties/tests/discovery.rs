//! The discovery registry under its nemesis (`discovery::nemesis`): both modes
//! keep their promises, the suite reaches what it claims to test, and each
//! planted bug is found within a stated number of seeds and shrunk.

use microsim::explore::{sweep, SeedRange, StopAt, SweepResult};
use microsim::failure::shrink;
use microsim::scenario::{coverage, never_held, run, Report, RunSpec, Verdict};
use microsim::Seed;
use microsim_services::discovery::{nemesis, DiscoveryScenario};

/// Seeds per correct variant: modest by default, deep with `MICROSIM_DEEP=1`.
fn seeds() -> u64 {
    if std::env::var_os("MICROSIM_DEEP").is_some() {
        5_000
    } else {
        60
    }
}

fn spec(variant: &str, seed: Seed) -> RunSpec {
    RunSpec { variant: variant.into(), plan: nemesis(seed.0), ..RunSpec::new(seed) }
}

fn check(variant: &str, seeds: u64, stop: StopAt) -> SweepResult<Report> {
    sweep(&SeedRange::new(0, seeds), 2, stop, |_| {}, |seed| run(&DiscoveryScenario, &spec(variant, seed)).0)
}

fn holds(variant: &str) {
    let result = check(variant, seeds(), StopAt::FirstFailure);
    if let Some((_, report)) = result.first_failure() {
        panic!("{report}\nplan:\n{}", report.plan.to_json());
    }
    let all = coverage(result.runs.iter().map(|(_, r)| r));
    let never: Vec<_> = never_held(&all).iter().map(|c| c.name.clone()).collect();
    assert!(never.is_empty(), "the {variant} suite never reached: {never:?}\n{all:#?}");
}

/// Finds the planted bug of `variant` within `limit` seeds, checks it breaks
/// `property`, shrinks the plan and prints the shrunk story.
fn found(variant: &str, limit: u64, property: &str) {
    let result = check(variant, limit, StopAt::FirstFailure);
    let (seed, report) = result.first_failure().unwrap_or_else(|| panic!("{variant}: not found in {limit} seeds"));
    match &report.verdict {
        Verdict::Failed { kind: "property", message } => assert!(message.contains(property), "{report}"),
        _ => panic!("{variant} failed otherwise than by `{property}`: {report}"),
    }
    let shrunk = shrink(&DiscoveryScenario, &spec(variant, *seed), report, 200);
    println!("{variant}: seed {seed}, {}\nshrunk plan:\n{}", shrunk.report, shrunk.spec.plan.to_json());
    assert!(!shrunk.report.passed(), "the shrunk plan still fails");
    // At most one fault and its undo, plus the final heal.
    assert!(shrunk.spec.plan.steps.len() <= 3, "shrunk to {} steps", shrunk.spec.plan.steps.len());
}

#[test]
fn the_consistent_mode_keeps_its_promises() {
    holds("consistent");
}

#[test]
fn the_available_mode_keeps_its_promises() {
    holds("available");
}

#[test]
fn two_leaders_are_found_within_100_seeds() {
    found("two-leaders", 100, "no lookup returns an instance deregistered before it began");
}

#[test]
fn a_zombie_instance_is_found_within_10_seeds() {
    found("zombie", 10, "a deregistration reaches every peer once healed");
}

#[test]
fn leases_judged_by_the_client_clock_are_found_within_300_seeds() {
    found("client-clock", 300, "an expired lease is not returned once healed");
}
