//! Limits and stop conditions: every limit ends the run with a failure naming it,
//! and clients that wait with nothing scheduled end it as a deadlock.

use crate::{at, drops, forever, full, ms, solo, tick, Seen};
use microsim::net::Socket;
use microsim::time::{self, Instant};
use microsim::{spawn, yield_now, Builder, Failure, Latency, Limits, Outcome, Sim};
use microsim_traces::DropReason;
use std::future::Future;
use std::time::Duration;

/// Runs `body` as the only client under `builder`; returns the failure and the outcome.
fn check<F, Fut>(builder: Builder, body: F) -> (Option<Failure>, Outcome)
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let outcome = solo(builder, body);
    (outcome.failure.clone(), outcome)
}

fn deadlock(time: Duration, waiting: &[&str]) -> Option<Failure> {
    Some(Failure::Deadlock { time: Instant::ZERO + time, waiting: waiting.iter().map(|s| s.to_string()).collect() })
}

/// Waits for a message that never comes.
async fn wait_for_nothing() {
    let socket = Socket::<u64>::bind("in").unwrap();
    socket.recv().await;
}

#[test]
fn the_time_limit_ends_the_run_at_the_limit() {
    let (failure, outcome) = check(Sim::builder().max_time(ms(10)), || time::sleep(Duration::from_secs(1)));
    assert_eq!(failure, Some(Failure::TimeLimit { limit: at(10) }));
    assert_eq!(outcome.elapsed, ms(10));
}

#[test]
fn the_default_time_limit_is_one_hour() {
    let (failure, outcome) = check(Sim::builder(), || time::sleep(Duration::from_secs(7200)));
    let hour = Duration::from_secs(3600);
    assert_eq!(failure, Some(Failure::TimeLimit { limit: Instant::ZERO + hour }));
    assert_eq!(outcome.elapsed, hour);
}

#[test]
fn a_run_may_reach_its_time_limit_exactly() {
    let (failure, outcome) = check(Sim::builder().max_time(ms(10)), || time::sleep(ms(10)));
    assert_eq!(failure, None);
    assert_eq!(outcome.elapsed, ms(10));
}

#[test]
fn servers_ticking_forever_without_clients_stop_at_the_time_limit() {
    let mut sim = Sim::builder().max_time(ms(50)).build();
    sim.node("ticker", || tick(ms(7), Seen::default())).unwrap();
    let outcome = sim.run();
    assert_eq!(outcome.failure, Some(Failure::TimeLimit { limit: at(50) }));
}

#[test]
fn idle_servers_without_clients_end_the_run_at_once() {
    let mut sim = Sim::builder().build();
    sim.node("idle", forever).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, Duration::ZERO);
}

#[test]
fn the_step_limit_ends_a_busy_loop() {
    let (failure, outcome) = check(Sim::builder().max_steps(1000), || async {
        loop {
            yield_now().await;
        }
    });
    assert_eq!(failure, Some(Failure::StepLimit { limit: 1000 }));
    assert!(outcome.steps >= 1000, "{}", outcome.steps);
    assert_eq!(outcome.elapsed, Duration::ZERO, "yielding does not advance time");
}

#[test]
fn the_task_limit_names_the_node_that_spawned_one_too_many() {
    let unstarted = Seen::default();
    let u = unstarted.clone();
    let (failure, outcome) = check(Sim::builder().max_tasks(10), move || {
        let u = u.clone();
        async move {
            // The main task is one of the 10: the 10th spawn is one too many.
            let handles: Vec<_> = (0..20).map(|_| spawn(forever())).collect();
            for (i, h) in handles.iter().enumerate() {
                if h.is_finished() {
                    u.push(i);
                }
            }
        }
    });
    assert_eq!(failure, Some(Failure::TaskLimit { limit: 10, node: "client".into() }));
    assert_eq!(unstarted.get(), (9..20).collect::<Vec<_>>(), "tasks beyond the limit are never started");
    assert_eq!(outcome.stats.max_live_tasks, 10);
}

#[test]
fn the_task_limit_counts_live_tasks_only() {
    let (failure, outcome) = check(Sim::builder().max_tasks(3), || async {
        for i in 0..100u64 {
            assert_eq!(spawn(async move { i }).await, Ok(i));
        }
    });
    assert_eq!(failure, None);
    assert_eq!(outcome.stats.tasks_spawned, 101);
    assert_eq!(outcome.stats.max_live_tasks, 2);
}

#[test]
fn a_full_socket_queue_drops_with_queue_full() {
    let limits = Limits { queue_capacity: 2, ..Limits::default() };
    let mut sim = full().limits(limits).latency(Latency::Fixed(ms(1))).build();
    sim.node("server", || async {
        let _unread = Socket::<u64>::bind("in").unwrap();
        forever().await
    })
    .unwrap();
    sim.client("client", || async {
        let socket = Socket::<u64>::bind("out").unwrap();
        for n in 0..5u64 {
            socket.send_to(("server", "in"), n);
        }
        time::sleep(ms(2)).await;
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.stats.delivered, 2);
    assert_eq!(drops(&outcome), vec![(ms(1), "server".to_string(), DropReason::QueueFull); 3]);
}

#[test]
fn limits_can_be_set_all_at_once() {
    let defaults = Limits::default();
    assert_eq!(defaults.max_time, Duration::from_secs(3600));
    assert_eq!(defaults.max_steps, 100_000_000);
    assert_eq!(defaults.max_tasks, 100_000);
    assert_eq!(defaults.queue_capacity, 4096);
    let limits = Limits { max_time: ms(5), max_steps: 50, max_tasks: 2, queue_capacity: 1 };
    let (failure, _) = check(Sim::builder().limits(limits), || time::sleep(ms(6)));
    assert_eq!(failure, Some(Failure::TimeLimit { limit: at(5) }));
    let (failure, _) = check(Sim::builder().limits(limits), || async {
        loop {
            yield_now().await;
        }
    });
    assert_eq!(failure, Some(Failure::StepLimit { limit: 50 }));
}

#[test]
fn a_client_waiting_forever_is_a_deadlock_naming_it() {
    let (failure, outcome) = check(Sim::builder(), || async {
        time::sleep(ms(5)).await;
        wait_for_nothing().await;
    });
    assert_eq!(failure, deadlock(ms(5), &["client"]));
    assert_eq!(outcome.elapsed, ms(5));
}

#[test]
fn a_deadlock_names_only_the_clients_still_waiting() {
    let mut sim = Sim::builder().build();
    sim.node("server", forever).unwrap();
    sim.client("done", || time::sleep(ms(1))).unwrap();
    sim.client("stuck-a", wait_for_nothing).unwrap();
    sim.client("stuck-b", || async { spawn(forever()).await.unwrap() }).unwrap();
    let outcome = sim.run();
    assert_eq!(outcome.failure, deadlock(ms(1), &["stuck-a", "stuck-b"]));
}

#[test]
fn a_pending_timer_anywhere_is_not_a_deadlock() {
    let mut sim = Sim::builder().max_time(ms(100)).build();
    sim.node("ticker", || tick(ms(10), Seen::default())).unwrap();
    sim.client("stuck", wait_for_nothing).unwrap();
    let outcome = sim.run();
    assert_eq!(outcome.failure, Some(Failure::TimeLimit { limit: at(100) }));
}

#[test]
fn failures_explain_themselves() {
    let shown = |f: Failure| (f.kind(), f.to_string());
    assert_eq!(
        shown(deadlock(ms(5), &["client"]).unwrap()),
        ("deadlock", "deadlock at 5.000000ms: clients [\"client\"] are waiting and nothing is scheduled".to_string())
    );
    assert_eq!(
        shown(Failure::TimeLimit { limit: at(10) }),
        ("time-limit", "time limit: virtual time would pass 10.000000ms".to_string())
    );
    assert_eq!(shown(Failure::StepLimit { limit: 7 }), ("step-limit", "step limit: more than 7 steps".to_string()));
    assert_eq!(
        shown(Failure::TaskLimit { limit: 3, node: "n".into() }),
        ("task-limit", "task limit: node `n` spawned more than 3 live tasks".to_string())
    );
}

#[test]
fn run_until_stops_at_the_time_limit_too() {
    // The client's timer is due after the limit, and the deadline is past it:
    // the run must end at the limit (as `run` does), not move time beyond it.
    let mut sim = Sim::builder().max_time(ms(10)).build();
    sim.client("client", || time::sleep(Duration::from_secs(1))).unwrap();
    let ended = sim.run_until(at(20));
    let now = sim.now();
    let outcome = sim.run();
    assert_eq!(
        (ended, now, outcome.failure, outcome.elapsed),
        (true, at(10), Some(Failure::TimeLimit { limit: at(10) }), ms(10))
    );
}
