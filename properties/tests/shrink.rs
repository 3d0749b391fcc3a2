//! proptest over fault plans: the RPC pingpong holds for any plan, and a failing
//! plan of the datagram pingpong shrinks to a minimal story.

use microsim::plan::{Fault, FaultPlan, PlanTime, Step};
use microsim::scenario::RunSpec;
use microsim::scenario::Scenario;
use microsim::Seed;
use microsim_properties::{check_run, check_scenario, plans};
use microsim_services::pingpong::PingPongScenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestError, TestRunner};
use std::cell::RefCell;
use std::time::Duration;

const SCENARIO: PingPongScenario = PingPongScenario { rounds: 20 };

fn strategy() -> impl Strategy<Value = (u64, microsim::plan::FaultPlan)> {
    (any::<u64>(), plans(SCENARIO.nodes(), Duration::from_millis(500), 6))
}

proptest! {
    // Cases: PROPTEST_CASES, as proptest reads it (256 when unset). A failing
    // case is saved in properties/proptest-regressions/ (commit it) and is
    // replayed first from then on.
    #![proptest_config(Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/shrink.txt"))),
        ..Config::default()
    })]

    #[test]
    fn rpc_pingpong_holds_under_any_plan((seed, plan) in strategy()) {
        check_scenario(&SCENARIO, "rpc", seed, &plan)?;
    }
}

/// How many events a datagram pingpong run with `seed` and `plan` records.
fn events(seed: u64, plan: &microsim::plan::FaultPlan, rounds: u32) -> u64 {
    let spec =
        RunSpec { variant: "datagram".into(), plan: plan.clone(), workload: Some(rounds), ..RunSpec::new(Seed(seed)) };
    let (_, outcome) = microsim::scenario::run(&SCENARIO, &spec);
    outcome.expect("the run happened").trace().counts().records
}

#[test]
fn a_failing_plan_of_the_datagram_pingpong_shrinks_to_one_fault() {
    let first_failure = RefCell::new(None);
    // A fixed proptest seed: the same plans are drawn and shrunk on every run.
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let with_workload = (strategy(), microsim_properties::workloads(20));
    let result = runner.run(&with_workload, |((seed, plan), rounds)| {
        let spec = RunSpec {
            variant: "datagram".into(),
            plan: plan.clone(),
            workload: Some(rounds),
            ..RunSpec::new(Seed(seed))
        };
        let verdict = check_run(&SCENARIO, &spec);
        if verdict.is_err() && first_failure.borrow().is_none() {
            *first_failure.borrow_mut() = Some((seed, plan.clone(), rounds));
        }
        verdict
    });
    let Err(TestError::Fail(reason, ((seed, shrunk), rounds))) = result else {
        panic!("the datagram pingpong fails under some plan: {result:?}")
    };
    let (first_seed, first, first_rounds) = first_failure.into_inner().expect("a failure was seen before shrinking");
    let (before, after) = (events(first_seed, &first, first_rounds), events(seed, &shrunk, rounds));
    eprintln!(
        "shrunk from {} plan steps, {first_rounds} rounds and {before} trace events to {} steps, {rounds} rounds and {after} events: {reason}",
        first.steps.len(),
        shrunk.steps.len()
    );
    assert!(rounds <= first_rounds, "the workload never grows: {first_rounds} -> {rounds}");
    // One fault, the step that undoes it, and the final heal_all.
    assert!(shrunk.steps.len() <= 3, "shrunk to {} steps:\n{}", shrunk.steps.len(), shrunk.to_json());
    assert!(shrunk.steps.len() < first.steps.len(), "shrinking removed steps");
}

/// The planted ordering race (see the runtime's scheduling tests): "b" must take
/// all its 12 steps before "a" takes its first.
async fn planted_race() {
    let a_started = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = a_started.clone();
    let a = microsim::spawn(async move { seen.set(true) });
    let b = microsim::spawn(async move {
        for _ in 0..12 {
            microsim::yield_now().await;
        }
        assert!(a_started.get(), "b finished before a started");
    });
    let _ = (a.await, b.await);
}

fn race_holds(choices: &microsim::Choices) -> Result<(), TestCaseError> {
    let mut sim = microsim::Sim::builder().choices(choices.clone()).build();
    sim.client("c", planted_race).unwrap();
    let outcome = sim.run();
    prop_assert!(outcome.is_ok(), "{outcome}");
    Ok(())
}

#[test]
fn a_failing_schedule_shrinks_to_the_picks_the_bug_needs() {
    let first_failure = RefCell::new(None);
    let config = Config { cases: 2_000, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&microsim_properties::choices(64), |choices| {
        let verdict = race_holds(&choices);
        if verdict.is_err() && first_failure.borrow().is_none() {
            *first_failure.borrow_mut() = Some(choices.0.clone());
        }
        verdict
    });
    let Err(TestError::Fail(_, shrunk)) = result else { panic!("some schedule runs b first: {result:?}") };
    let before = first_failure.into_inner().expect("a failure was seen before shrinking");
    eprintln!("choices shrunk from {} numbers to {}: {:?}", before.len(), shrunk.0.len(), shrunk.0);
    // What remains picks b over a at each of b's steps: the smallest number that
    // picks the second of two ready tasks (2^31), or 0 where the first is wanted.
    assert!(shrunk.0.iter().all(|&c| c == 0 || c == 1 << 31), "{:?}", shrunk.0);
    assert!(shrunk.0.len() < before.len() && shrunk.0.len() <= 16, "{:?}", shrunk.0);
}

#[test]
fn a_failing_workload_shrinks_to_one_round() {
    let lossy =
        FaultPlan::new(vec![Step { at: PlanTime(Duration::ZERO), fault: Fault::Loss { rate: 1.0, link: None } }]);
    let config = Config { cases: 64, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&microsim_properties::workloads(50), |rounds| {
        let spec = RunSpec {
            variant: "datagram".into(),
            plan: lossy.clone(),
            workload: Some(rounds),
            ..RunSpec::new(Seed(1))
        };
        check_run(&SCENARIO, &spec)
    });
    let Err(TestError::Fail(_, rounds)) = result else {
        panic!("every datagram run loses its first message: {result:?}")
    };
    assert_eq!(rounds, 1, "the smallest workload that fails");
}
