//! Per-node clocks: drift moves a node's sleeps in global time, the wall clock
//! can be offset and jump, the monotonic clock never goes backwards.

use microsim::{time, ClockChange, Sim};
use std::time::{Duration, SystemTime};

/// Runs one client `node` with `change` applied to its clock first; returns the
/// global time the run ended at.
fn check(change: ClockChange, body: fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) -> Duration {
    let mut sim = Sim::builder().build();
    sim.client("lease-holder", body).unwrap();
    sim.clock("lease-holder", change).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    outcome.elapsed
}

fn lease_of_one_second() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async {
        let start = time::now();
        time::sleep(Duration::from_secs(1)).await;
        let slept = start.elapsed();
        // The first global nanosecond at which the node's clock reads a second
        // later: exact on a true clock, within a clock tick on a drifting one.
        assert!(slept >= Duration::from_secs(1) && slept <= Duration::from_nanos(1_000_000_001), "{slept:?}");
    })
}

#[test]
fn a_fast_clock_expires_a_lease_early_in_global_time() {
    let elapsed = check(ClockChange::Drift { ppm: 100_000.0 }, lease_of_one_second);
    assert_eq!(elapsed, Duration::from_nanos(909_090_910), "1 s at 10% fast is 0.909 s of global time, rounded up");
}

#[test]
fn a_slow_clock_expires_a_lease_late() {
    let elapsed = check(ClockChange::Drift { ppm: -50_000.0 }, lease_of_one_second);
    assert_eq!(elapsed, Duration::from_nanos(1_052_631_579));
}

#[test]
fn a_true_clock_keeps_global_time() {
    assert_eq!(check(ClockChange::Resync, lease_of_one_second), Duration::from_secs(1));
}

fn wall_seconds() -> f64 {
    time::wall_now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(f64::NAN)
}

#[test]
fn the_wall_clock_starts_at_2026_and_an_offset_shifts_it() {
    check(ClockChange::Offset { offset_ns: -250_000_000 }, || {
        Box::pin(async {
            assert_eq!(wall_seconds(), 1_767_225_600.0 - 0.25);
        })
    });
}

#[test]
fn a_backward_jump_moves_the_wall_clock_but_not_the_monotonic_one() {
    let mut sim = Sim::builder().build();
    sim.client("n", || async {
        let (mono, wall) = (time::now(), time::wall_now());
        time::sleep(Duration::from_millis(10)).await;
        // The test side jumped the wall clock back by 5 s at 5 ms.
        assert!(time::wall_now() < wall, "the wall clock went backwards");
        assert_eq!(time::now() - mono, Duration::from_millis(10), "the monotonic clock did not");
    })
    .unwrap();
    sim.run_for(Duration::from_millis(5));
    sim.clock("n", ClockChange::Jump { by_ns: -5_000_000_000 }).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn drift_that_changes_during_a_sleep_still_ends_it_on_the_node_clock() {
    let mut sim = Sim::builder().build();
    sim.client("n", || async {
        let start = time::now();
        time::sleep(Duration::from_millis(100)).await;
        assert!(start.elapsed() >= Duration::from_millis(100), "{:?}", start.elapsed());
    })
    .unwrap();
    sim.run_for(Duration::from_millis(50));
    sim.clock("n", ClockChange::Drift { ppm: -500_000.0 }).unwrap(); // half speed from now on
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, Duration::from_millis(150), "50 ms at full speed, 50 ms of node time at half speed");
}

#[test]
fn clock_changes_to_unknown_nodes_are_errors() {
    let mut sim = Sim::builder().build();
    let err = sim.clock("ghost", ClockChange::Resync).unwrap_err();
    assert_eq!(err.to_string(), "unknown node `ghost`: no node of that name was registered");
}

#[test]
fn clock_changes_are_in_the_trace() {
    let mut sim = Sim::builder().record(microsim::RecordMode::Full).build();
    sim.client("n", lease_of_one_second).unwrap();
    sim.clock("n", ClockChange::Offset { offset_ns: -250_000_000 }).unwrap();
    sim.clock("n", ClockChange::Drift { ppm: 500.0 }).unwrap();
    sim.clock("n", ClockChange::Jump { by_ns: 1_500_000_000 }).unwrap();
    sim.clock("n", ClockChange::Resync).unwrap();
    let outcome = sim.run();
    assert_eq!(
        crate::fault_texts(&outcome),
        ["clock_offset n -250ms", "clock_drift n 500ppm", "clock_jump n 1.5s", "clock_resync n"]
    );
}
