//! Virtual time: sleeps, deadlines, timeouts and intervals end at exact instants,
//! and events due at the same instant happen in the order they were scheduled.

use crate::{at, ms, now, solo, Seen};
use microsim::net::Socket;
use microsim::time::{self, Elapsed, Instant};
use microsim::{control, spawn, yield_now, Outcome, Sim};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// Runs `body` as the only client; `body` marks instants in the list it is
/// handed. Returns the marks (as times since the start) and the outcome.
fn marks<F, Fut>(body: F) -> (Vec<Duration>, Outcome)
where
    F: Fn(Seen<Duration>) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let seen = Seen::default();
    let marks = seen.clone();
    let outcome = solo(Sim::builder(), move || body(marks.clone()));
    assert!(outcome.is_ok(), "{outcome}");
    (seen.get(), outcome)
}

fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

#[test]
fn sleep_ends_exactly_after_its_duration() {
    let (t, outcome) = marks(|m| async move {
        time::sleep(ms(3)).await;
        m.push(now());
        time::sleep(ns(1)).await;
        m.push(now());
        time::sleep(Duration::from_secs(2)).await;
        m.push(now());
    });
    assert_eq!(t, [ms(3), ms(3) + ns(1), ms(3) + ns(1) + Duration::from_secs(2)]);
    assert_eq!(outcome.elapsed, t[2]);
    assert_eq!(outcome.stats.timers_fired, 3);
}

#[test]
fn sleep_knows_its_deadline_when_made() {
    let (t, _) = marks(|m| async move {
        time::sleep(ms(4)).await;
        let sleep = time::sleep(ms(3));
        assert_eq!(sleep.deadline(), at(7));
        m.push(now());
        sleep.await;
        m.push(now());
    });
    assert_eq!(t, [ms(4), ms(7)]);
}

#[test]
fn sleep_of_zero_is_immediate_and_sets_no_timer() {
    let (t, outcome) = marks(|m| async move {
        time::sleep(Duration::ZERO).await;
        m.push(now());
        time::sleep(ms(1)).await;
        time::sleep(Duration::ZERO).await;
        m.push(now());
    });
    assert_eq!(t, [ms(0), ms(1)]);
    assert_eq!(outcome.stats.timers_fired, 1);
}

#[test]
fn sleep_until_a_past_instant_returns_at_once() {
    let (t, outcome) = marks(|m| async move {
        time::sleep(ms(5)).await;
        time::sleep_until(at(2)).await;
        m.push(now());
        time::sleep_until(at(5)).await;
        m.push(now());
        time::sleep_until(at(9)).await;
        m.push(now());
    });
    assert_eq!(t, [ms(5), ms(5), ms(9)]);
    assert_eq!(outcome.stats.timers_fired, 2);
}

#[test]
fn timeout_that_fires_ends_exactly_at_its_duration() {
    let (t, _) = marks(|m| async move {
        let r = time::timeout(ms(2), time::sleep(ms(5))).await;
        assert_eq!(r, Err(Elapsed));
        m.push(now());
    });
    assert_eq!(t, [ms(2)]);
}

#[test]
fn timeout_that_completes_gives_the_value_and_cancels_its_timer() {
    let (t, outcome) = marks(|m| async move {
        let r = time::timeout(ms(5), async {
            time::sleep(ms(2)).await;
            7
        })
        .await;
        assert_eq!(r, Ok(7));
        m.push(now());
        time::sleep(ms(10)).await;
        m.push(now());
    });
    assert_eq!(t, [ms(2), ms(12)]);
    // The 2 ms sleep and the 10 ms sleep fired; the timeout's 5 ms timer did not.
    assert_eq!(outcome.stats.timers_fired, 2);
}

#[test]
fn timeout_of_zero_still_lets_a_ready_future_finish() {
    let (t, _) = marks(|m| async move {
        assert_eq!(time::timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        assert_eq!(time::timeout(Duration::ZERO, crate::forever()).await, Err(Elapsed));
        m.push(now());
    });
    assert_eq!(t, [ms(0)]);
}

#[test]
fn interval_ticks_at_exact_multiples_of_its_period() {
    let (t, _) = marks(|m| async move {
        let mut interval = time::interval(ms(10));
        assert_eq!(interval.period(), ms(10));
        for _ in 0..4 {
            let scheduled = interval.tick().await;
            assert_eq!(scheduled, time::now());
            m.push(now());
        }
    });
    assert_eq!(t, [ms(0), ms(10), ms(20), ms(30)]);
}

#[test]
fn interval_ticks_do_not_drift_with_the_work_between_them() {
    let (t, _) = marks(|m| async move {
        let mut interval = time::interval(ms(10));
        for _ in 0..4 {
            interval.tick().await;
            m.push(now());
            time::sleep(ms(3)).await;
        }
    });
    assert_eq!(t, [ms(0), ms(10), ms(20), ms(30)]);
}

/// Ticks every 10 ms, pushing (scheduled instant, actual time) for each tick.
async fn ticker(ticks: Seen<(Duration, Duration)>) {
    let mut interval = time::interval(ms(10));
    loop {
        let scheduled = interval.tick().await;
        ticks.push((scheduled.since_start(), now()));
    }
}

#[test]
fn a_late_interval_tick_is_not_followed_by_a_burst() {
    // The ticker is paused from 5 ms to 25 ms: its 10 ms tick comes at 25 ms and
    // the next one a period after that, not at 20 ms or 30 ms.
    let ticks = Seen::default();
    let mut sim = Sim::builder().build();
    let t = ticks.clone();
    sim.node("ticker", move || ticker(t.clone())).unwrap();
    sim.client("chaos", || async {
        time::sleep(ms(5)).await;
        control::pause("ticker").unwrap();
        time::sleep_until(at(25)).await;
        control::resume("ticker").unwrap();
        time::sleep_until(at(50)).await;
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(ticks.get(), [(ms(0), ms(0)), (ms(10), ms(25)), (ms(35), ms(35)), (ms(45), ms(45))]);
}

#[test]
fn timers_due_at_the_same_instant_fire_in_the_order_they_were_set() {
    // Task i yields 4 - i times before setting its timer, so the timers are set
    // in the order 4, 3, 2, 1, 0: the opposite of the spawn order.
    let (woken, _) = marks(|m| async move {
        for i in 0..5u64 {
            let m = m.clone();
            spawn(async move {
                for _ in 0..(4 - i) {
                    yield_now().await;
                }
                time::sleep_until(at(10)).await;
                m.push(ms(i));
            });
        }
        time::sleep_until(at(20)).await;
    });
    assert_eq!(woken, [ms(4), ms(3), ms(2), ms(1), ms(0)]);
}

/// A delivery and a timer both due at 5 ms on one node: which is seen first.
fn first_at_5ms(timer_set_first: bool) -> Vec<&'static str> {
    let seen = Seen::default();
    let s = seen.clone();
    let builder = Sim::builder().latency(microsim::Latency::Fixed(ms(5)));
    let outcome = crate::solo(builder, move || {
        let s = s.clone();
        async move {
            let socket = Rc::new(Socket::<u8>::bind("self").unwrap());
            let (s1, sock) = (s.clone(), socket.clone());
            spawn(async move {
                sock.recv().await;
                s1.push("message");
            });
            let s2 = s.clone();
            let sleeper = async move {
                time::sleep_until(at(5)).await;
                s2.push("timer");
            };
            if timer_set_first {
                spawn(sleeper);
                yield_now().await;
                yield_now().await;
                socket.send_to(socket.local_addr(), 1u8);
            } else {
                socket.send_to(socket.local_addr(), 1u8);
                spawn(sleeper);
            }
            time::sleep(ms(6)).await;
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    seen.get()
}

#[test]
fn a_delivery_and_a_timer_at_the_same_instant_go_in_scheduling_order() {
    assert_eq!(first_at_5ms(false), ["message", "timer"]);
    assert_eq!(first_at_5ms(true), ["timer", "message"]);
}

#[test]
fn instants_add_subtract_and_display_in_milliseconds() {
    assert_eq!(at(3) - at(1), ms(2));
    assert_eq!(at(1) - at(3), Duration::ZERO);
    assert_eq!(at(1).saturating_duration_since(at(3)), Duration::ZERO);
    assert_eq!(Instant::from_nanos(1_500).as_nanos(), 1_500);
    assert_eq!(at(2).since_start(), ms(2));
    assert_eq!(Instant::ZERO, Instant::default());
    assert_eq!((at(12) + ns(345)).to_string(), "12.000345ms");
    assert_eq!(Instant::ZERO.to_string(), "0.000000ms");
    assert!(at(1) < at(2));
}

#[test]
fn elapsed_measures_virtual_time_since_an_instant() {
    let (t, _) = marks(|m| async move {
        let start = time::now();
        time::sleep(ms(4)).await;
        m.push(start.elapsed());
    });
    assert_eq!(t, [ms(4)]);
}

#[test]
fn a_timeout_and_its_future_due_at_the_same_instant_give_the_value() {
    let (t, _) = marks(|m| async move {
        let r = time::timeout(ms(5), async {
            time::sleep(ms(5)).await;
            "done"
        })
        .await;
        assert_eq!(r, Ok("done"));
        m.push(now());
    });
    assert_eq!(t, [ms(5)]);
}
