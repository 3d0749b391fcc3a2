//! The order saga under its nemesis (`saga::nemesis`): the correct variant
//! keeps its promises over a seed sweep and reaches what it claims to test;
//! each planted bug is found within a stated number of seeds and shrunk; a
//! payment outage turns the `retry-storm` variant's calls per order into a
//! multiple of the correct one's; invalid orders are rejected and leave no
//! trace; settings changed in the config center during a run are picked up by
//! the orchestrator, and orders go on while the config center is cut off.

use microsim::explore::{sweep, SeedRange, StopAt, SweepResult};
use microsim::failure::shrink;
use microsim::plan::{Fault, FaultPlan, PlanTime, Step};
use microsim::scenario::{check_determinism, coverage, never_held, run, Report, RunSpec, Scenario, Verdict};
use microsim::{Seed, Sim, SimError};
use microsim_services::saga::metrics::{CALLS_PER_ORDER, SETTINGS_CHANGES, SETTINGS_FALLBACKS, STEP_ATTEMPTS};
use microsim_services::saga::remote::SettingsChange;
use microsim_services::saga::{invalid_orders, nemesis, SagaScenario, CHAOS, CLIENTS, CONFIG, ORDERS_PER_CLIENT};
use std::time::Duration;

/// Seeds for the correct variant: modest by default, deep with `MICROSIM_DEEP=1`.
fn seeds() -> u64 {
    if std::env::var_os("MICROSIM_DEEP").is_some() {
        3_000
    } else {
        40
    }
}

fn spec(variant: &str, seed: Seed) -> RunSpec {
    RunSpec { variant: variant.into(), plan: nemesis(seed.0), ..RunSpec::new(seed) }
}

fn check(variant: &str, seeds: u64) -> SweepResult<Report> {
    sweep(&SeedRange::new(0, seeds), 2, StopAt::FirstFailure, |_| {}, |seed| run(&SagaScenario, &spec(variant, seed)).0)
}

/// Finds the planted bug of `variant` within `limit` seeds, checks it breaks
/// `property`, shrinks the plan and prints the shrunk story.
fn found(variant: &str, limit: u64, property: &str) {
    let result = check(variant, limit);
    let (seed, report) = result.first_failure().unwrap_or_else(|| panic!("{variant}: not found in {limit} seeds"));
    match &report.verdict {
        Verdict::Failed { kind: "property", message } => assert!(message.contains(property), "{report}"),
        _ => panic!("{variant} failed otherwise than by `{property}`: {report}"),
    }
    let shrunk = shrink(&SagaScenario, &spec(variant, *seed), report, 60);
    println!("{variant}: seed {seed}, {}\nshrunk plan:\n{}", shrunk.report, shrunk.spec.plan.to_json());
    assert!(!shrunk.report.passed(), "the shrunk plan still fails");
}

#[test]
fn the_correct_saga_keeps_its_promises_and_reaches_every_path() {
    let result = check("correct", seeds());
    if let Some((_, report)) = result.first_failure() {
        panic!("{report}\nplan:\n{}", report.plan.to_json());
    }
    let all = coverage(result.runs.iter().map(|(_, r)| r));
    let never: Vec<_> = never_held(&all).iter().map(|c| c.name.clone()).collect();
    assert!(never.is_empty(), "the saga suite never reached: {never:?}\n{all:#?}");
}

#[test]
fn a_charge_without_a_key_is_found_within_10_seeds() {
    found("charge-without-key", 10, "a charge is applied at most once per order");
}

#[test]
fn no_compensation_after_a_payment_timeout_is_found_within_10_seeds() {
    found("no-compensation-on-timeout", 10, "every order ends completed or wholly compensated");
}

#[test]
fn an_ack_before_the_sync_is_found_within_40_seeds() {
    found("ack-before-sync", 40, "no acknowledged order is lost");
}

#[test]
fn a_refund_without_a_key_is_found_within_40_seeds() {
    found("refund-without-key", 40, "a refund is applied at most once per order");
}

/// Payment crashed from 0.3 s to 2.8 s, nothing else: the calls per order of `variant`.
fn calls_per_order_under_a_payment_outage(variant: &str, seed: u64) -> f64 {
    calls_per_order_under_a_payment_outage_in(&SagaScenario, variant, seed)
}

/// The same, in any scenario built on the saga's.
fn calls_per_order_under_a_payment_outage_in(scenario: &dyn Scenario, variant: &str, seed: u64) -> f64 {
    let payment = || "payment".to_string();
    let step = |ms, fault| Step { at: PlanTime(Duration::from_millis(ms)), fault };
    let plan = FaultPlan::new(vec![
        step(300, Fault::Crash { node: payment() }),
        step(2_800, Fault::Restart { node: payment() }),
        Step { at: PlanTime(CHAOS), fault: Fault::HealAll },
    ]);
    let (report, _) = run(scenario, &RunSpec { variant: variant.into(), plan, ..RunSpec::new(Seed(seed)) });
    assert!(report.passed() || variant == "retry-storm", "{report}");
    report.metric(CALLS_PER_ORDER).expect("the auditor reports the calls per order")
}

#[test]
fn a_retry_storm_multiplies_the_calls_per_order_under_a_payment_outage() {
    for seed in 0..4 {
        let correct = calls_per_order_under_a_payment_outage("correct", seed);
        let storm = calls_per_order_under_a_payment_outage("retry-storm", seed);
        println!(
            "seed {seed}: {correct:.2} calls per order correct, {storm:.2} with the storm: x{:.1}",
            storm / correct
        );
        assert!(storm >= 4.0 * correct, "seed {seed}: storm {storm:.2} vs correct {correct:.2}");
    }
}

/// Runs the correct variant under `plan` and returns how often each invalid
/// order was rejected (the run also checks, at its end, that none left a trace).
fn rejections(plan: FaultPlan) -> u64 {
    let (report, _) = run(&SagaScenario, &RunSpec { plan, ..RunSpec::new(Seed(5)) });
    assert!(report.passed(), "{report}");
    let rejected = report.coverage.iter().find(|c| c.name == "saga: an invalid order was rejected");
    rejected.map_or(0, |c| c.held)
}

#[test]
fn invalid_orders_are_rejected_with_their_errors_and_leave_no_trace() {
    assert_eq!(rejections(FaultPlan::default()), invalid_orders().len() as u64);
}

#[test]
fn invalid_orders_leave_no_trace_across_a_crash_of_the_orchestrator() {
    let step = |ms, fault| Step { at: PlanTime(Duration::from_millis(ms)), fault };
    let orders = || "orders".to_string();
    let plan =
        FaultPlan::new(vec![step(2, Fault::Crash { node: orders() }), step(150, Fault::Restart { node: orders() })]);
    assert_eq!(rejections(plan), invalid_orders().len() as u64);
}

#[test]
fn a_saga_run_under_its_nemesis_replays_record_for_record() {
    for seed in [3, 17] {
        check_determinism(&SagaScenario, &spec("correct", Seed(seed))).unwrap_or_else(|d| panic!("seed {seed}: {d}"));
    }
}

/// The saga with an operator changing settings in the config center during the run.
struct Retuned(Vec<SettingsChange>);

impl Scenario for Retuned {
    fn name(&self) -> &str {
        "saga-retuned"
    }

    fn variants(&self) -> &[&'static str] {
        &["correct"]
    }

    fn nodes(&self) -> Vec<String> {
        SagaScenario.nodes()
    }

    fn horizon(&self) -> Duration {
        SagaScenario.horizon()
    }

    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError> {
        SagaScenario.setup_with(sim, spec, self.0.clone())
    }
}

fn change(ms: u64, name: &str, value: &str) -> SettingsChange {
    SettingsChange { at: Duration::from_millis(ms), name: name.into(), value: value.into() }
}

#[test]
fn a_settings_change_in_the_config_center_is_picked_up_during_the_run() {
    let retuned = Retuned(vec![change(400, "step_attempts", "1")]);
    let (report, _) = run(&retuned, &RunSpec::new(Seed(2)));
    assert!(report.passed(), "{report}");
    let log = report.metrics.iter().find(|m| m.name == SETTINGS_CHANGES).expect("the settings log").text.clone();
    println!("settings changes: {log}");
    assert!(log.contains("step_attempts=1"), "{log}");
    assert_eq!(report.metric(STEP_ATTEMPTS), Some(1.0), "the last step read the new limit");
    // Without the change the steps read the seeded limit.
    let (plain, _) = run(&SagaScenario, &RunSpec::new(Seed(2)));
    assert_eq!(plain.metric(STEP_ATTEMPTS), Some(4.0));
    // Turning breakers and backoff off mid-run (the retry storm's flags) shows
    // in the calls per order of a payment outage that starts after it.
    for seed in 0..2 {
        let storm = Retuned(vec![change(250, "breaker", "false"), change(250, "backoff", "false")]);
        let retuned = calls_per_order_under_a_payment_outage_in(&storm, "correct", seed);
        let correct = calls_per_order_under_a_payment_outage("correct", seed);
        println!("seed {seed}: {correct:.2} calls per order, {retuned:.2} after the flags went off");
        assert!(retuned >= 4.0 * correct, "seed {seed}: retuned {retuned:.2} vs correct {correct:.2}");
    }
}

#[test]
fn orders_go_on_while_the_config_center_is_cut_off() {
    let step = |ms, fault| Step { at: PlanTime(Duration::from_millis(ms)), fault };
    let config: Vec<String> = CONFIG.iter().map(|s| s.to_string()).collect();
    let rest = SagaScenario.nodes().into_iter().filter(|n| !config.contains(n)).collect();
    // The config servers are cut off from 0.4 s to the heal at 3 s; the
    // operator changed the attempts limit just before.
    let plan = FaultPlan::new(vec![
        step(400, Fault::Partition { groups: vec![config, rest] }),
        Step { at: PlanTime(CHAOS), fault: Fault::HealAll },
    ]);
    let retuned = Retuned(vec![change(250, "step_attempts", "3")]);
    // Twice the orders, so that clients still submit well into the partition.
    let spec = RunSpec { plan, workload: Some(2 * ORDERS_PER_CLIENT), ..RunSpec::new(Seed(3)) };
    let (report, _) = run(&retuned, &spec);
    assert!(report.passed(), "{report}");
    let fallbacks = report.metric(SETTINGS_FALLBACKS).unwrap_or(0.0);
    let last_known = report.coverage.iter().find(|c| c.name == "saga: settings fell back to the last known values");
    println!("{fallbacks} steps on fallback settings; {report}");
    assert!(fallbacks > 0.0 && last_known.is_some_and(|c| c.held > 0), "{report}");
    assert_eq!(report.metric(STEP_ATTEMPTS), Some(3.0), "the last known limit, not the default");
    let orders = (2 * ORDERS_PER_CLIENT as usize * CLIENTS.len()) as f64;
    assert_eq!(report.metric("orders finished"), Some(orders));
}
