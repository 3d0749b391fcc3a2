//! Nodes: crash drops tasks and queued messages, restart runs the factory again,
//! pause holds a node until resume; from inside the simulation and from the
//! test's side, with an error for every impossible transition.

use crate::{at, drops, forever, full, kinds_at, ms, now, receive, records, solo, tick, Seen};
use microsim::net::Socket;
use microsim::{control, spawn, time, yield_now, JoinError, JoinHandle, Latency, Outcome, Sim, SimError};
use microsim_traces::{DropReason, Event};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// Pushes its name and the virtual time to a list when it is dropped.
struct Guard(&'static str, Seen<(&'static str, Duration)>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.1.push((self.0, now()));
    }
}

/// Runs the node `server` and the client `chaos` (which acts on it) with a
/// 1 ms fixed latency and a full trace.
fn chaos<S, SF, P, PF>(server: S, plan: P) -> Outcome
where
    S: Fn() -> SF + 'static,
    SF: Future<Output = ()> + 'static,
    P: Fn() -> PF + 'static,
    PF: Future<Output = ()> + 'static,
{
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    sim.node("server", server).unwrap();
    sim.client("chaos", plan).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    outcome
}

/// The lifecycle events of `node` in a full trace, with their times.
fn lifecycle(outcome: &Outcome, node: &str) -> Vec<(Duration, &'static str)> {
    records(outcome)
        .into_iter()
        .filter(|(_, n, e)| {
            n == node && matches!(e, Event::Start | Event::Crash | Event::Restart | Event::Pause | Event::Resume)
        })
        .map(|(t, _, e)| (t, e.kind()))
        .collect()
}

fn wrong(node: &str, op: &'static str, status: &'static str, expected: &'static str) -> Result<(), SimError> {
    Err(SimError::WrongState { node: node.to_string(), op, status, expected })
}

fn unknown(node: &str) -> Result<(), SimError> {
    Err(SimError::UnknownNode(node.to_string()))
}

#[test]
fn crash_drops_tasks_and_queued_messages() {
    let dropped = Seen::default();
    let d = dropped.clone();
    let outcome = chaos(
        move || {
            let d = d.clone();
            async move {
                let _socket = Socket::<u64>::bind("in").unwrap();
                let _main = Guard("main", d.clone());
                let spawned = Guard("spawned", d.clone());
                spawn(async move {
                    let _g = spawned;
                    forever().await
                });
                forever().await
            }
        },
        || async {
            let socket = Socket::<u64>::bind("out").unwrap();
            for n in 0..3u64 {
                socket.send_to(("server", "in"), n);
            }
            time::sleep(ms(5)).await;
            control::crash("server").unwrap();
        },
    );
    let mut d = dropped.get();
    d.sort();
    assert_eq!(d, [("main", ms(5)), ("spawned", ms(5))]);
    assert_eq!(drops(&outcome), vec![(ms(5), "server".to_string(), DropReason::Crashed); 3]);
    assert_eq!(outcome.stats.delivered, 3);
    assert_eq!(outcome.stats.dropped, 3);
    let kinds = kinds_at(&outcome, "server");
    assert_eq!(kinds.iter().filter(|&&k| k == "crash").count(), 1);
    assert_eq!(kinds.iter().filter(|&&k| k == "exit").count(), 2, "{kinds:?}");
}

#[test]
fn crash_cancels_the_join_handles_of_the_node_tasks() {
    let slot: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
    let results = Seen::default();
    let (s, r) = (slot.clone(), results.clone());
    chaos(
        move || {
            let s = s.clone();
            async move {
                *s.borrow_mut() = Some(spawn(forever()));
                forever().await
            }
        },
        move || {
            let (slot, r) = (slot.clone(), r.clone());
            async move {
                time::sleep(ms(1)).await;
                let handle = slot.borrow_mut().take().expect("the server spawned its task");
                spawn(async move { r.push((handle.await, now())) });
                time::sleep(ms(1)).await;
                control::crash("server").unwrap();
                time::sleep(ms(1)).await;
            }
        },
    );
    assert_eq!(results.get(), [(Err(JoinError::Cancelled), ms(2))]);
}

#[test]
fn abort_drops_a_task_and_its_handle_says_cancelled() {
    let dropped = Seen::default();
    let d = dropped.clone();
    let outcome = solo(Sim::builder(), move || {
        let d = d.clone();
        async move {
            let guard = Guard("aborted", d.clone());
            let h = spawn(async move {
                let _g = guard;
                forever().await
            });
            yield_now().await;
            assert!(!h.is_finished());
            time::sleep(ms(3)).await;
            h.abort();
            assert!(h.is_finished());
            assert_eq!(h.await, Err(JoinError::Cancelled));
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(dropped.get(), [("aborted", ms(3))]);
}

#[test]
fn abort_after_a_task_finished_keeps_its_output() {
    let outcome = solo(Sim::builder(), || async {
        let h = spawn(async { 42 });
        yield_now().await;
        assert!(h.is_finished());
        h.abort();
        assert_eq!(h.await, Ok(42));
    });
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn dropping_a_join_handle_detaches_its_task() {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = solo(Sim::builder(), move || {
        let s = s.clone();
        async move {
            drop(spawn(async move {
                time::sleep(ms(2)).await;
                s.push(now());
            }));
            time::sleep(ms(5)).await;
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [ms(2)]);
}

#[test]
fn restart_runs_the_factory_again() {
    let starts = Rc::new(Cell::new(0));
    let s = starts.clone();
    let outcome = chaos(
        move || {
            s.set(s.get() + 1);
            forever()
        },
        || async {
            for _ in 0..2 {
                time::sleep(ms(1)).await;
                control::crash("server").unwrap();
                time::sleep(ms(1)).await;
                control::restart("server").unwrap();
            }
            time::sleep(ms(1)).await;
        },
    );
    assert_eq!(starts.get(), 3);
    assert_eq!(
        lifecycle(&outcome, "server"),
        [(ms(0), "start"), (ms(1), "crash"), (ms(2), "restart"), (ms(3), "crash"), (ms(4), "restart")]
    );
}

#[test]
fn a_restarted_node_binds_its_ports_again_and_receives() {
    let incarnations = Rc::new(Cell::new(0));
    let received = Seen::default();
    let (i, r) = (incarnations.clone(), received.clone());
    let outcome = chaos(
        move || {
            i.set(i.get() + 1);
            let (me, r) = (i.get(), r.clone());
            async move {
                let socket = Socket::<u64>::bind("in").unwrap();
                loop {
                    let (_, n) = socket.recv().await;
                    r.push((me, n, now()));
                }
            }
        },
        || async {
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("server", "in"), 1u64);
            time::sleep(ms(2)).await;
            control::crash("server").unwrap();
            socket.send_to(("server", "in"), 2u64);
            time::sleep(ms(2)).await;
            control::restart("server").unwrap();
            socket.send_to(("server", "in"), 3u64);
            time::sleep(ms(2)).await;
        },
    );
    assert_eq!(received.get(), [(1, 1, ms(1)), (2, 3, ms(5))]);
    assert_eq!(drops(&outcome), [(ms(3), "server".to_string(), DropReason::NodeDown)]);
}

#[test]
fn pause_holds_tasks_and_queues_messages_until_resume() {
    let received = Seen::default();
    let r = received.clone();
    let outcome = chaos(
        move || {
            let r = r.clone();
            async move {
                let socket = Socket::<u64>::bind("in").unwrap();
                loop {
                    let (_, n) = socket.recv().await;
                    r.push((n, now()));
                }
            }
        },
        || async {
            control::pause("server").unwrap();
            let socket = Socket::<u64>::bind("out").unwrap();
            socket.send_to(("server", "in"), 1u64);
            socket.send_to(("server", "in"), 2u64);
            time::sleep_until(at(10)).await;
            control::resume("server").unwrap();
            time::sleep(ms(1)).await;
        },
    );
    // Both messages reached the paused node's queue at 1 ms ...
    let delivered: Vec<_> = records(&outcome)
        .into_iter()
        .filter(|(_, n, e)| n == "server" && matches!(e, Event::Deliver { .. }))
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(delivered, [ms(1), ms(1)]);
    assert_eq!(drops(&outcome), []);
    // ... and were read when it was resumed.
    assert_eq!(received.get(), [(1, ms(10)), (2, ms(10))]);
    assert_eq!(lifecycle(&outcome, "server"), [(ms(0), "start"), (ms(0), "pause"), (ms(10), "resume")]);
}

#[test]
fn a_paused_node_sees_its_timer_when_it_is_resumed() {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = chaos(
        move || {
            let s = s.clone();
            async move {
                time::sleep(ms(2)).await;
                s.push(now());
            }
        },
        || async {
            time::sleep(ms(1)).await;
            control::pause("server").unwrap();
            time::sleep_until(at(8)).await;
            control::resume("server").unwrap();
            time::sleep(ms(1)).await;
        },
    );
    assert_eq!(seen.get(), [ms(8)]);
    let timers: Vec<_> = records(&outcome)
        .into_iter()
        .filter(|(_, n, e)| n == "server" && matches!(e, Event::Timer { .. }))
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(timers, [ms(2)], "the timer fired on time; the node ran late");
}

#[test]
fn crashing_a_paused_node_drops_its_held_tasks_and_a_restart_starts_afresh() {
    let us = Duration::from_micros;
    let (ticks, dropped) = (Seen::default(), Seen::default());
    let incarnations = Rc::new(Cell::new(0));
    let (t, d, i) = (ticks.clone(), dropped.clone(), incarnations.clone());
    chaos(
        move || {
            i.set(i.get() + 1);
            let (me, t, d) = (i.get(), t.clone(), d.clone());
            async move {
                let _g = Guard(if me == 1 { "first" } else { "second" }, d);
                let mut interval = time::interval(ms(1));
                loop {
                    interval.tick().await;
                    t.push((me, now()));
                }
            }
        },
        move || async move {
            time::sleep(us(2_500)).await;
            control::pause("server").unwrap();
            time::sleep_until(at(5) + us(500)).await;
            control::crash("server").unwrap();
            control::restart("server").unwrap();
            time::sleep_until(at(7) + us(500)).await;
        },
    );
    assert_eq!(ticks.get(), [(1, ms(0)), (1, ms(1)), (1, ms(2)), (2, us(5_500)), (2, us(6_500))]);
    assert_eq!(dropped.get()[0], ("first", us(5_500)));
}

#[test]
fn the_test_side_can_crash_and_restart_between_runs() {
    let starts = Rc::new(Cell::new(0));
    let dropped = Seen::default();
    let (s, d) = (starts.clone(), dropped.clone());
    let mut sim = Sim::builder().build();
    sim.node("server", move || {
        s.set(s.get() + 1);
        let d = d.clone();
        async move {
            let _g = Guard("server", d);
            forever().await
        }
    })
    .unwrap();
    sim.client("client", || time::sleep(ms(10))).unwrap();

    assert!(!sim.run_until(at(5)));
    assert_eq!(sim.now(), at(5));
    sim.crash("server").unwrap();
    assert_eq!(dropped.get(), [("server", ms(5))]);

    assert!(!sim.run_for(ms(2)));
    assert_eq!(sim.now(), at(7));
    sim.restart("server").unwrap();
    assert_eq!(starts.get(), 2);

    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, ms(10));
    // Tasks still alive at the end are dropped with the simulation, inside it.
    assert_eq!(dropped.get(), [("server", ms(5)), ("server", ms(10))]);
}

#[test]
fn the_test_side_can_pause_and_resume_between_runs() {
    let ticks = Seen::default();
    let t = ticks.clone();
    let mut sim = Sim::builder().build();
    sim.node("ticker", move || tick(ms(1), t.clone())).unwrap();
    sim.client("client", || time::sleep(ms(20))).unwrap();

    assert!(!sim.run_until(at(3)));
    assert_eq!(ticks.get(), [ms(0), ms(1), ms(2), ms(3)]);
    sim.pause("ticker").unwrap();
    assert!(!sim.run_until(at(6)));
    assert_eq!(ticks.get().len(), 4, "a paused node does not run");
    sim.resume("ticker").unwrap();
    assert!(!sim.run_until(at(8)));
    assert_eq!(ticks.get(), [ms(0), ms(1), ms(2), ms(3), ms(6), ms(7), ms(8)]);
    assert!(sim.run().is_ok());
}

#[test]
fn a_finished_run_stays_finished() {
    let mut sim = Sim::builder().build();
    sim.client("client", || time::sleep(ms(2))).unwrap();
    assert!(sim.run_until(at(5)));
    assert_eq!(sim.now(), at(2));
    assert!(sim.run_for(ms(5)));
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, ms(2));
}

#[test]
fn impossible_transitions_from_the_test_side_are_errors() {
    let mut sim = Sim::builder().build();
    sim.node("server", forever).unwrap();
    sim.client("client", || time::sleep(ms(10))).unwrap();
    assert_eq!(sim.crash("server"), wrong("server", "crash", "not started", "up or paused"));
    assert_eq!(sim.pause("server"), wrong("server", "pause", "not started", "up"));

    sim.run_until(at(1));
    assert_eq!(sim.crash("nobody"), unknown("nobody"));
    assert_eq!(sim.restart("server"), wrong("server", "restart", "up", "crashed"));
    assert_eq!(sim.resume("server"), wrong("server", "resume", "up", "paused"));
    assert_eq!(sim.pause("server"), Ok(()));
    assert_eq!(sim.pause("server"), wrong("server", "pause", "paused", "up"));
    assert_eq!(sim.restart("server"), wrong("server", "restart", "paused", "crashed"));
    assert_eq!(sim.crash("server"), Ok(()));
    assert_eq!(sim.crash("server"), wrong("server", "crash", "crashed", "up or paused"));
    assert_eq!(sim.pause("server"), wrong("server", "pause", "crashed", "up"));
    assert_eq!(sim.resume("server"), wrong("server", "resume", "crashed", "paused"));
    assert_eq!(sim.restart("server"), Ok(()));
    assert!(sim.run().is_ok());
}

#[test]
fn impossible_transitions_from_inside_are_the_same_errors() {
    let mut sim = Sim::builder().build();
    sim.node("server", forever).unwrap();
    sim.client("client", || async {
        assert_eq!(control::restart("server"), wrong("server", "restart", "up", "crashed"));
        assert_eq!(control::resume("server"), wrong("server", "resume", "up", "paused"));
        assert_eq!(control::crash("nobody"), unknown("nobody"));
        // A name that was only ever addressed is still not a node.
        Socket::<u64>::bind_ephemeral().send_to(("ghost", "p"), 1u64);
        assert_eq!(control::pause("ghost"), unknown("ghost"));
        assert_eq!(control::pause("server"), Ok(()));
        assert_eq!(control::crash("server"), Ok(()));
        assert_eq!(control::crash("server"), wrong("server", "crash", "crashed", "up or paused"));
        assert_eq!(control::restart("server"), Ok(()));
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn errors_explain_themselves() {
    assert_eq!(
        wrong("db", "restart", "up", "crashed").unwrap_err().to_string(),
        "cannot restart node `db`: it is up (expected crashed)"
    );
    assert_eq!(
        SimError::UnknownNode("db".into()).to_string(),
        "unknown node `db`: no node of that name was registered"
    );
}

#[test]
fn registering_checks_names_and_duplicates() {
    let mut sim = Sim::builder().build();
    sim.node("a", forever).unwrap();
    assert_eq!(sim.node("a", forever), Err(SimError::DuplicateNode("a".into())));
    assert_eq!(sim.client("a", forever), Err(SimError::DuplicateNode("a".into())));
    let long = "x".repeat(65);
    for bad in ["", "#a", "a\nb", "tab\there", long.as_str()] {
        let got = sim.node(bad, forever);
        assert!(matches!(&got, Err(SimError::InvalidName { name, .. }) if name == bad), "{bad:?}: {got:?}");
    }
    assert_eq!(sim.node(&"x".repeat(64), forever), Ok(()));
    assert_eq!(sim.node("db-1.eu west", forever), Ok(()));
}

#[test]
fn a_node_registered_mid_run_starts_at_once() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().build();
    sim.client("early", || time::sleep(ms(10))).unwrap();
    sim.run_until(at(5));
    sim.node("late", move || {
        let s = s.clone();
        async move { s.push(now()) }
    })
    .unwrap();
    sim.client("late-client", || time::sleep(ms(20))).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [ms(5)]);
    assert_eq!(outcome.elapsed, ms(25), "the run waits for the late client too");
}

#[test]
fn a_node_addressed_before_it_registers_receives_once_registered() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    sim.client("client", || async {
        let socket = Socket::<u64>::bind("out").unwrap();
        socket.send_to(("late", "in"), 1u64);
        time::sleep(ms(6)).await;
        socket.send_to(("late", "in"), 2u64);
        time::sleep(ms(2)).await;
    })
    .unwrap();
    sim.run_until(at(5));
    sim.node("late", move || receive("in", s.clone())).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [(ms(7), 2u64)]);
    assert_eq!(drops(&outcome), [(ms(0), "client".to_string(), DropReason::UnknownNode)]);
}

#[test]
fn a_client_that_crashes_itself_ends_its_part_of_the_run() {
    let (seen, dropped) = (Seen::default(), Seen::default());
    let (s, d) = (seen.clone(), dropped.clone());
    let outcome = solo(Sim::builder(), move || {
        let (s, d) = (s.clone(), d.clone());
        async move {
            let _g = Guard("client", d);
            time::sleep(ms(1)).await;
            assert_eq!(control::current_node(), "client");
            control::crash("client").unwrap();
            time::sleep(ms(1)).await;
            s.push("after the crash");
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, ms(1));
    assert_eq!(seen.get(), Vec::<&str>::new());
    assert_eq!(dropped.get(), [("client", ms(1))]);
}

#[test]
fn messages_in_flight_from_a_crashed_node_still_arrive() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().latency(Latency::Fixed(ms(5))).build();
    sim.node("server", || async {
        Socket::<u64>::bind("out").unwrap().send_to(("client", "in"), 9u64);
        forever().await
    })
    .unwrap();
    sim.client("client", move || {
        let s = s.clone();
        async move {
            let socket = Socket::<u64>::bind("in").unwrap();
            time::sleep(ms(1)).await;
            control::crash("server").unwrap();
            let (_, n) = socket.recv().await;
            s.push((n, now()));
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [(9, ms(5))]);
}

#[test]
fn current_node_names_the_node_of_the_running_task() {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().build();
    for name in ["alpha", "beta"] {
        let s = s.clone();
        sim.client(name, move || {
            let s = s.clone();
            async move {
                s.push(control::current_node());
                let s2 = s.clone();
                spawn(async move { s2.push(format!("{} (spawned)", control::current_node())) }).await.unwrap();
            }
        })
        .unwrap();
    }
    assert!(sim.run().is_ok());
    let mut got = seen.get();
    got.sort();
    assert_eq!(got, ["alpha", "alpha (spawned)", "beta", "beta (spawned)"]);
}

#[test]
fn crashing_the_last_client_ends_the_run() {
    let mut sim = Sim::builder().build();
    sim.node("server", forever).unwrap();
    sim.client("client", forever).unwrap();
    sim.client("ticker", || tick(ms(1), Seen::default())).unwrap();
    sim.run_until(at(5));
    sim.crash("client").unwrap();
    sim.crash("ticker").unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(outcome.elapsed, ms(5));
}

#[test]
fn a_task_that_aborts_itself_is_dropped_once_its_poll_returns() {
    let dropped = Seen::default();
    let d = dropped.clone();
    let outcome = solo(Sim::builder(), move || {
        let d = d.clone();
        async move {
            let own: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
            let o = own.clone();
            let guard = Guard("self-aborted", d.clone());
            let h = spawn(async move {
                let _g = guard;
                time::sleep(ms(2)).await;
                o.borrow_mut().take().expect("the handle is stored").abort();
                // Still inside the poll: the future is dropped when it returns.
                yield_now().await;
                unreachable!("an aborted task is not polled again");
            });
            *own.borrow_mut() = Some(h);
            time::sleep(ms(5)).await;
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(dropped.get(), [("self-aborted", ms(2))]);
}

#[test]
fn a_node_that_crashes_itself_is_dropped_once_its_poll_returns() {
    let dropped = Seen::default();
    let d = dropped.clone();
    let outcome = chaos(
        move || {
            let d = d.clone();
            async move {
                let _g = Guard("server", d);
                time::sleep(ms(1)).await;
                control::crash(&control::current_node()).unwrap();
                yield_now().await;
                unreachable!("a crashed node's task is not polled again");
            }
        },
        || async { time::sleep(ms(3)).await },
    );
    assert_eq!(lifecycle(&outcome, "server"), [(ms(0), "start"), (ms(1), "crash")]);
    assert_eq!(dropped.get(), [("server", ms(1))]);
}
