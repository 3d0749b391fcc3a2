//! Failures from inside: a panic anywhere ends the run (not the process) with
//! the node, the virtual time and the message, and so does a node's main task
//! returning an error.

use crate::{at, forever, ms, solo, Seen};
use microsim::{control, spawn, time, Failure, Outcome, Sim};
use std::future::Future;
use std::time::Duration;

/// Runs a `server` node and a `client` node; returns the outcome.
fn check<S, SF, C, CF>(server: S, client: C) -> Outcome
where
    S: Fn() -> SF + 'static,
    SF: Future + 'static,
    SF::Output: microsim::NodeExit,
    C: Fn() -> CF + 'static,
    CF: Future + 'static,
    CF::Output: microsim::NodeExit,
{
    let mut sim = Sim::builder().build();
    sim.node("server", server).unwrap();
    sim.client("client", client).unwrap();
    sim.run()
}

/// The node, time and message of a panic failure.
fn panic_of(outcome: &Outcome) -> (String, Duration, String) {
    match &outcome.failure {
        Some(Failure::Panic { node, time, message }) => (node.clone(), time.since_start(), message.clone()),
        other => panic!("expected a panic failure, got {other:?}"),
    }
}

async fn boom_at_7ms() {
    time::sleep(ms(7)).await;
    panic!("boom {}", 42);
}

/// Panics with `message` after `after`.
async fn panics_after(after: Duration, message: &'static str) {
    time::sleep(after).await;
    panic!("{message}");
}

#[test]
fn a_panic_ends_the_run_naming_node_time_and_message() {
    let outcome = check(forever, boom_at_7ms);
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("client", ms(7)));
    assert!(message.starts_with("boom 42"), "{message}");
    assert!(message.contains("panics.rs"), "the message has the location: {message}");
    assert_eq!(outcome.elapsed, ms(7));
    assert!(matches!(outcome.failure, Some(Failure::Panic { .. })));
    assert_eq!(outcome.failure.as_ref().map(Failure::kind), Some("panic"));
    assert!(outcome.to_string().starts_with("FAILED: panic in node `client` at 7.000000ms: boom 42"), "{outcome}");
}

#[test]
fn the_next_run_on_the_same_thread_works_after_a_panic() {
    for _ in 0..3 {
        assert!(matches!(check(forever, boom_at_7ms).failure, Some(Failure::Panic { .. })));
        let outcome = check(forever, || time::sleep(ms(1)));
        assert!(outcome.is_ok(), "{outcome}");
        assert!(outcome.to_string().starts_with("ok"), "{outcome}");
    }
}

#[test]
fn a_panic_in_a_server_names_the_server() {
    let outcome = check(|| panics_after(ms(3), "server down"), || time::sleep(ms(10)));
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("server", ms(3)));
    assert!(message.starts_with("server down"), "{message}");
}

#[test]
fn a_panic_in_a_spawned_task_names_its_node() {
    let outcome = check(
        || async {
            spawn(panics_after(ms(2), "helper failed"));
            forever().await
        },
        || time::sleep(ms(10)),
    );
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("server", ms(2)));
    assert!(message.starts_with("helper failed"), "{message}");
}

#[test]
fn a_failed_assertion_is_a_panic_with_its_message() {
    let outcome = check(forever, || async {
        let two = 1 + 1;
        assert_eq!(two, 3, "arithmetic");
    });
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("client", ms(0)));
    assert!(message.contains("arithmetic") && message.contains("left: 2"), "{message}");
}

async fn panic_with_a_number() {
    std::panic::panic_any(42u8)
}

#[test]
fn a_panic_with_a_non_string_payload_is_reported_too() {
    let outcome = check(forever, panic_with_a_number);
    let (_, _, message) = panic_of(&outcome);
    assert!(message.starts_with("panic with a non-string payload"), "{message}");
}

#[test]
fn a_panic_in_a_factory_names_the_node() {
    let outcome = check(|| -> std::future::Ready<()> { panic!("bad config") }, || time::sleep(ms(10)));
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("server", ms(0)));
    assert!(message.starts_with("bad config"), "{message}");
}

/// Panics when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb went off");
    }
}

#[test]
fn a_panicking_destructor_during_a_crash_is_reported() {
    let outcome = check(
        || async {
            let _bomb = Bomb;
            forever().await
        },
        || async {
            time::sleep(ms(4)).await;
            control::crash("server").unwrap();
            time::sleep(ms(1)).await;
        },
    );
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("(destructor)", ms(4)));
    assert!(message.starts_with("bomb went off"), "{message}");
}

#[test]
fn the_first_failure_wins_and_nothing_runs_after_it() {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = check(
        || panics_after(ms(3), "first"),
        move || {
            let s = s.clone();
            async move {
                time::sleep(ms(2)).await;
                s.push(ms(2));
                time::sleep(ms(3)).await;
                s.push(ms(5));
                panics_after(ms(1), "second").await
            }
        },
    );
    let (node, time, message) = panic_of(&outcome);
    assert_eq!((node.as_str(), time), ("server", ms(3)));
    assert!(message.starts_with("first"), "{message}");
    assert_eq!(seen.get(), [ms(2)]);
    assert_eq!(outcome.elapsed, ms(3));
}

#[test]
fn a_node_returning_an_error_is_a_node_error() {
    let outcome = check(forever, || async {
        time::sleep(ms(2)).await;
        Err::<(), _>("disk full")
    });
    assert_eq!(
        outcome.failure,
        Some(Failure::NodeError { node: "client".into(), time: at(2), error: "disk full".into() })
    );
    assert_eq!(outcome.failure.as_ref().map(Failure::kind), Some("node-error"));
    assert!(outcome.to_string().starts_with("FAILED: node `client` failed at 2.000000ms: disk full"), "{outcome}");
}

#[test]
fn a_server_returning_an_error_is_a_node_error_too() {
    let outcome = check(
        || async {
            time::sleep(ms(1)).await;
            Err::<(), _>(std::io::Error::other("port exhausted"))
        },
        || time::sleep(ms(5)),
    );
    assert_eq!(
        outcome.failure,
        Some(Failure::NodeError { node: "server".into(), time: at(1), error: "port exhausted".into() })
    );
    assert_eq!(outcome.elapsed, ms(1));
}

#[test]
fn nodes_returning_ok_end_quietly() {
    let outcome = check(|| async { Ok::<(), String>(()) }, || async { Ok::<(), String>(()) });
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn a_panic_in_one_run_does_not_leak_into_a_run_on_another_thread() {
    let other = std::thread::spawn(|| {
        let outcome = solo(Sim::builder(), || time::sleep(ms(1)));
        outcome.failure
    });
    assert!(matches!(check(forever, boom_at_7ms).failure, Some(Failure::Panic { .. })));
    assert_eq!(other.join().unwrap(), None);
}
