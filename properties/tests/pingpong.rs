//! Property tests of the pingpong scenario: for any seed and round count the run
//! passes, delivers every message, and replays to the same trace hash.

use microsim::RecordMode;
use microsim_services::pingpong::{PingPong, CLIENTS};
use proptest::prelude::*;

/// Cases per property: modest by default, deep with `MICROSIM_DEEP=1`.
fn cases() -> u32 {
    if std::env::var_os("MICROSIM_DEEP").is_some() {
        5_000
    } else {
        64
    }
}

fn check(seed: u64, rounds: u32) {
    let first = PingPong::new(seed, rounds).run();
    assert!(first.is_ok(), "seed {seed:#x}: {first}");
    assert_eq!(first.stats.delivered, 2 * CLIENTS as u64 * u64::from(rounds));
    assert_eq!(first.stats.dropped, 0);
    let again = PingPong::new(seed, rounds).record(RecordMode::Full).run();
    assert_eq!(first.hash(), again.hash(), "seed {seed:#x} replays to the same trace");
    assert_eq!(again.trace().records().len() as u64, again.trace().counts().records);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/pingpong.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_seed_passes_and_replays_exactly(seed in any::<u64>(), rounds in 0u32..40) {
        check(seed, rounds);
    }
}

#[test]
fn virtual_time_of_a_round_trip_is_within_the_latency_bounds() {
    let rounds = 100;
    let outcome = PingPong::new(9, rounds).run();
    assert!(outcome.is_ok());
    let elapsed = outcome.elapsed.as_nanos() as u64;
    // Each round trip is two one-way trips of 1..5 ms, one after the other.
    assert!(elapsed >= u64::from(rounds) * 2 * 1_000_000, "{elapsed}");
    assert!(elapsed < u64::from(rounds) * 2 * 5_000_000, "{elapsed}");
}
