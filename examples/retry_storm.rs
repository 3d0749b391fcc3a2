//! A retry storm: no circuit breaker and no backoff multiply the load on a
//! service that is already down.
//!
//! `cargo run --release --example retry_storm`

use microsim::plan::{Fault, FaultPlan, PlanTime, Step};
use microsim::scenario::{run, RunSpec};
use microsim::Seed;
use microsim_services::saga::metrics::CALLS_PER_ORDER;
use microsim_services::saga::{SagaScenario, CHAOS};
use std::time::Duration;

fn calls_per_order(variant: &str, seed: u64) -> f64 {
    let step = |ms, fault| Step { at: PlanTime(Duration::from_millis(ms)), fault };
    let plan = FaultPlan::new(vec![
        step(300, Fault::Crash { node: "payment".into() }),
        step(2_800, Fault::Restart { node: "payment".into() }),
        Step { at: PlanTime(CHAOS), fault: Fault::HealAll },
    ]);
    let (report, _) = run(&SagaScenario, &RunSpec { variant: variant.into(), plan, ..RunSpec::new(Seed(seed)) });
    report.metric(CALLS_PER_ORDER).expect("the auditor reports the calls per order")
}

fn main() {
    println!("== Retry storm: no breaker, no backoff ==\n");
    println!("Payment is down from 0.3 s to 2.8 s. Downstream calls made per order:\n");
    println!("{:>6} {:>10} {:>12} {:>7}", "seed", "correct", "retry-storm", "ratio");
    let seeds = if std::env::var_os("MICROSIM_FAST").is_some() { 2 } else { 8 };
    let mut ratios = Vec::new();
    for seed in 0..seeds {
        let (correct, storm) = (calls_per_order("correct", seed), calls_per_order("retry-storm", seed));
        ratios.push(storm / correct);
        println!("{seed:>6} {correct:>10.2} {storm:>12.2} {:>6.1}x", storm / correct);
    }
    let least = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(least > 2.0, "the storm multiplies the calls");
    println!(
        "\nWhat went wrong. Every order kept retrying payment at once and as fast as it could, so a service \
         that was already down received several times the usual load, which in production keeps it down \
         when it tries to come back (and spends the callers' threads and sockets).\n"
    );
    println!(
        "What prevents it. Retries with exponential backoff and jitter spread the load out, and a circuit \
         breaker per downstream (closed, open, half-open) stops calling a service that keeps failing and \
         probes it now and then (Hystrix, resilience4j, Envoy's outlier detection)."
    );
}
