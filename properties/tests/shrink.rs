//! proptest over fault plans: the RPC pingpong holds for any plan, and a failing
//! plan of the datagram pingpong shrinks to a minimal story.

use microsim::scenario::Scenario;
use microsim_properties::{check_scenario, plans};
use microsim_services::pingpong::PingPongScenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use std::cell::RefCell;
use std::time::Duration;

const SCENARIO: PingPongScenario = PingPongScenario { rounds: 20 };

fn strategy() -> impl Strategy<Value = (u64, microsim::plan::FaultPlan)> {
    (any::<u64>(), plans(SCENARIO.nodes(), Duration::from_millis(500), 6))
}

proptest! {
    // Cases: PROPTEST_CASES, as proptest reads it (256 when unset).
    #![proptest_config(Config::default())]

    #[test]
    fn rpc_pingpong_holds_under_any_plan((seed, plan) in strategy()) {
        check_scenario(&SCENARIO, "rpc", seed, &plan)?;
    }
}

#[test]
fn a_failing_plan_of_the_datagram_pingpong_shrinks_to_one_fault() {
    let first_failure = RefCell::new(None);
    // A fixed proptest seed: the same plans are drawn and shrunk on every run.
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&strategy(), |(seed, plan)| {
        let verdict = check_scenario(&SCENARIO, "datagram", seed, &plan);
        if verdict.is_err() && first_failure.borrow().is_none() {
            *first_failure.borrow_mut() = Some(plan.steps.len());
        }
        verdict
    });
    let Err(TestError::Fail(reason, (_, shrunk))) = result else {
        panic!("the datagram pingpong fails under some plan: {result:?}")
    };
    let before = first_failure.into_inner().expect("a failure was seen before shrinking");
    eprintln!("shrunk from {before} plan steps to {}: {reason}", shrunk.steps.len());
    // One fault, the step that undoes it, and the final heal_all.
    assert!(shrunk.steps.len() <= 3, "shrunk to {} steps:\n{}", shrunk.steps.len(), shrunk.to_json());
    assert!(shrunk.steps.len() < before, "shrinking removed steps ({before} before)");
}
