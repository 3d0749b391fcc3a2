//! Network faults and fault plans, each shown by its effect on a small system:
//! a sender that sends a numbered message every 10 ms to a receiver.

use crate::{drops, full, ms, receive, records, Seen};
use microsim::net::Socket;
use microsim::plan::{Fault, FaultPlan, LatencySpec, LinkRef, PlanTime, Step};
use microsim::{time, Latency, Outcome, Sim};
use microsim_traces::{DropReason, Event};
use std::time::Duration;

/// Sends message `i` to `to` at 10 ms * i, for i in 0..n, then waits 50 ms
/// for the last ones to arrive.
async fn send_every_10ms(to: &'static str, n: u64) {
    let socket = Socket::<u64>::bind("out").unwrap();
    for i in 0..n {
        time::sleep_until(microsim::time::Instant::ZERO + ms(10 * i)).await;
        socket.send_to((to, "in"), i);
    }
    time::sleep(ms(50)).await;
}

/// Runs sender "a" (20 messages to "b") and receiver "b" with `plan`, fixed
/// 1 ms latency; returns what b received (time, number) and the outcome.
fn check(plan: &[(u64, Fault)]) -> (Vec<(Duration, u64)>, Outcome) {
    let seen = Seen::default();
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    let s = seen.clone();
    sim.node("b", move || receive::<u64>("in", s.clone())).unwrap();
    sim.client("a", || send_every_10ms("b", 20)).unwrap();
    let steps = plan.iter().map(|(t, fault)| Step { at: PlanTime(ms(*t)), fault: fault.clone() }).collect();
    sim.plan(&FaultPlan::new(steps)).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    (seen.get(), outcome)
}

fn numbers(got: &[(Duration, u64)]) -> Vec<u64> {
    got.iter().map(|(_, n)| *n).collect()
}

fn link(from: &str, to: &str) -> LinkRef {
    LinkRef { from: from.into(), to: to.into() }
}

fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
    g.iter().map(|g| g.iter().map(|s| s.to_string()).collect()).collect()
}

#[test]
fn a_partition_drops_messages_between_groups_until_healed() {
    let (got, outcome) =
        check(&[(45, Fault::Partition { groups: groups(&[&["a"], &["b"]]) }), (95, Fault::HealNetwork)]);
    assert_eq!(numbers(&got), [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    let partitioned = drops(&outcome).iter().filter(|d| d.2 == DropReason::Partitioned).count();
    assert_eq!(partitioned, 5);
}

#[test]
fn a_message_on_the_wire_when_a_partition_starts_is_dropped_on_arrival() {
    // Message 4 leaves at 40 ms and would arrive at 41 ms: a partition at 40.5 ms catches it.
    let seen = Seen::default();
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    let s = seen.clone();
    sim.node("b", move || receive::<u64>("in", s.clone())).unwrap();
    sim.client("a", || send_every_10ms("b", 5)).unwrap();
    let partition = Fault::Partition { groups: groups(&[&["a"], &["b"]]) };
    sim.plan(&FaultPlan::new(vec![Step { at: PlanTime(Duration::from_micros(40_500)), fault: partition }])).unwrap();
    let outcome = sim.run();
    assert_eq!(numbers(&seen.get()), [0, 1, 2, 3]);
    assert_eq!(drops(&outcome), [(ms(41), "b".to_string(), DropReason::Partitioned)]);
}

#[test]
fn a_cut_is_one_way() {
    let (got, outcome) = check(&[(0, Fault::Cut { link: link("b", "a") })]);
    assert_eq!(got.len(), 20, "a to b still works");
    assert!(drops(&outcome).is_empty());
    let (got, _) = check(&[(0, Fault::Cut { link: link("a", "b") })]);
    assert!(got.is_empty());
}

#[test]
fn a_clog_holds_messages_and_releases_them_when_unclogged() {
    let (got, outcome) =
        check(&[(25, Fault::Clog { link: link("a", "b") }), (75, Fault::Unclog { link: link("a", "b") })]);
    assert_eq!(numbers(&got), (0..20).collect::<Vec<_>>(), "nothing is lost, in order (fixed latency)");
    let held: Vec<Duration> = got.iter().filter(|(_, n)| (3..=7).contains(n)).map(|(t, _)| *t).collect();
    assert_eq!(held, vec![ms(76); 5], "held messages arrive one latency after the unclog");
    assert!(drops(&outcome).is_empty());
}

#[test]
fn loss_drops_messages_at_its_rate() {
    let (got, outcome) = check(&[(0, Fault::Loss { rate: 0.5, link: None })]);
    let lost = drops(&outcome).iter().filter(|d| d.2 == DropReason::Lost).count();
    assert_eq!(lost + got.len(), 20);
    assert!((4..=16).contains(&lost), "{lost} of 20 at rate 0.5");
}

#[test]
fn duplication_delivers_a_message_twice() {
    let (got, outcome) = check(&[(0, Fault::Duplicate { rate: 1.0, link: Some(link("a", "b")) })]);
    assert_eq!(got.len(), 40);
    let dups = records(&outcome).iter().filter(|(_, _, e)| matches!(e, Event::Duplicate { .. })).count();
    assert_eq!(dups, 20);
}

#[test]
fn a_latency_change_applies_to_later_messages() {
    let slow = LatencySpec::Fixed { value: PlanTime(ms(7)) };
    let (got, _) = check(&[(15, Fault::Latency { latency: slow, link: Some(link("a", "b")) })]);
    assert_eq!(got[1], (ms(11), 1));
    assert_eq!(got[2], (ms(27), 2));
}

#[test]
fn every_applied_step_is_a_fault_record() {
    let (_, outcome) =
        check(&[(5, Fault::Crash { node: "b".into() }), (6, Fault::Restart { node: "b".into() }), (7, Fault::HealAll)]);
    let expected = [(ms(5), "b", "crash b"), (ms(6), "b", "restart b"), (ms(7), "-", "heal_all")];
    assert_eq!(crate::faults(&outcome), expected.map(|(t, node, text)| (t, node.to_string(), text.to_string())));
}

#[test]
fn heal_all_restarts_crashed_nodes_and_ends_network_faults() {
    let plan =
        [(15, Fault::Crash { node: "b".into() }), (15, Fault::Loss { rate: 1.0, link: None }), (55, Fault::HealAll)];
    let (got, _) = check(&plan);
    assert_eq!(numbers(&got), [0, 1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
}

#[test]
fn a_plan_naming_an_unknown_node_is_refused_before_the_run() {
    let mut sim = Sim::builder().build();
    sim.node("b", crate::forever).unwrap();
    let plan = FaultPlan::from_json(r#"{"steps": [{"at": "5ms", "fault": "crash", "node": "c"}]}"#).unwrap();
    let err = sim.plan(&plan).unwrap_err().to_string();
    assert_eq!(err, r#"step 1 (at 5ms: crash c): unknown node "c" (the nodes are: b)"#);
}

#[test]
fn a_step_that_no_longer_applies_fails_the_run_and_names_the_step() {
    let mut sim = Sim::builder().build();
    sim.node("b", crate::forever).unwrap();
    sim.client("a", || async {
        time::sleep(ms(1)).await;
        microsim::control::crash("b").unwrap();
        time::sleep(ms(10)).await;
    })
    .unwrap();
    sim.plan(&FaultPlan::new(vec![Step { at: PlanTime(ms(5)), fault: Fault::Crash { node: "b".into() } }])).unwrap();
    let failure = sim.run().failure.expect("the plan's crash finds b crashed").to_string();
    assert_eq!(failure, "plan step at 5ms: crash b could not be applied at 5.000000ms: cannot crash node `b`: it is crashed (expected up or paused)");
}

#[test]
fn the_same_seed_and_plan_replay_the_same_trace() {
    let plan = [(0, Fault::Loss { rate: 0.3, link: None }), (0, Fault::Duplicate { rate: 0.3, link: None })];
    let hash = |seed: u64| {
        let mut sim = full().seed(seed).build();
        sim.node("b", || receive::<u64>("in", Seen::default())).unwrap();
        sim.client("a", || send_every_10ms("b", 20)).unwrap();
        let steps = plan.iter().map(|(t, f)| Step { at: PlanTime(ms(*t)), fault: f.clone() }).collect();
        sim.plan(&FaultPlan::new(steps)).unwrap();
        sim.run().hash()
    };
    assert_eq!(hash(3), hash(3));
    assert_ne!(hash(3), hash(4));
}
