//! Properties: `always` fails a run where it is checked, `sometimes` counts,
//! and `eventually` must hold within its deadline after the chaos phase ends.
//!
//! The liveness tests use a sender "a" that sends a heartbeat to "b" every 5 ms
//! and a receiver "b" that notes when it last heard one.

use crate::{fault_texts, full, ms, now};
use microsim::net::Socket;
use microsim::plan::{Fault, FaultPlan, PlanTime, Step};
use microsim::property::{always, always_or, sometimes};
use microsim::scenario::{coverage, never_held};
use microsim::{time, FaultPoints, Latency, Outcome, Sim};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

fn failure_text(outcome: &Outcome) -> String {
    outcome.failure.as_ref().map(ToString::to_string).unwrap_or_default()
}

#[test]
fn a_false_always_fails_the_run_naming_the_property_node_and_time() {
    let mut sim = full().build();
    sim.client("n", || async {
        time::sleep(ms(3)).await;
        always("x is positive", true);
        time::sleep(ms(4)).await;
        always_or("x is small", false, || "x = 12".into());
        time::sleep(ms(100)).await;
    })
    .unwrap();
    let outcome = sim.run();
    let failure = outcome.failure.clone().expect("the property fails the run");
    assert_eq!(failure.kind(), "property");
    assert_eq!(failure.to_string(), "property `x is small` violated in node `n` at 7.000000ms: x = 12");
    assert_eq!(outcome.elapsed, ms(7), "the run stops at the violation");
    let logs = crate::logs(&outcome);
    assert!(logs.iter().any(|(node, _, text)| node == "n" && text.contains("property violated")), "{logs:?}");
}

#[test]
fn always_or_explains_only_when_violated() {
    let mut sim = Sim::builder().build();
    sim.client("n", || async {
        always_or("holds", true, || panic!("the explanation of a holding property is not computed"));
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
}

#[test]
fn the_first_violation_is_the_one_reported() {
    let mut sim = Sim::builder().build();
    sim.client("n", || async {
        always("first", false);
        always("second", false);
    })
    .unwrap();
    let outcome = sim.run();
    assert!(failure_text(&outcome).contains("`first`"), "{outcome}");
}

#[test]
fn sometimes_counts_how_often_it_was_reached_and_held() {
    let mut sim = Sim::builder().build();
    sim.client("n", || async {
        for i in 0..10u32 {
            sometimes("i is even", i % 2 == 0);
            sometimes("i is 42", i == 42);
        }
    })
    .unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    let counts: Vec<_> =
        outcome.coverage.iter().map(|c| (c.name.as_str(), c.kind.as_str(), c.reached, c.held)).collect();
    assert_eq!(counts, [("i is 42", "sometimes", 10, 0), ("i is even", "sometimes", 10, 5)]);
}

/// Heartbeats from "a" to "b" every 5 ms; b stores when it last heard one in
/// `heard`. With `give_up`, b stops listening once it has missed 20 ms of them.
fn heartbeats(sim: &mut Sim, heard: Rc<Cell<Option<Duration>>>, give_up: bool) {
    sim.node("a", || async {
        let socket = Socket::<u32>::bind("hb").unwrap();
        loop {
            socket.send_to(("b", "hb"), 1u32);
            time::sleep(ms(5)).await;
        }
        #[allow(unreachable_code)]
        ()
    })
    .unwrap();
    sim.node("b", move || {
        let heard = heard.clone();
        async move {
            let socket = Socket::<u32>::bind("hb").unwrap();
            loop {
                match time::timeout(ms(20), socket.recv()).await {
                    Ok(_) => heard.set(Some(now())),
                    Err(_) if give_up => std::future::pending::<()>().await,
                    Err(_) => {}
                }
            }
            #[allow(unreachable_code)]
            ()
        }
    })
    .unwrap();
}

/// Runs the heartbeats with a partition of a from b at 10 ms (never healed by
/// the plan), the chaos phase ending at `heal` (if any), and the property "b
/// hears a after the partition" within `within`.
fn check(heal: Option<u64>, within: u64, give_up: bool) -> Outcome {
    let heard = Rc::new(Cell::new(None));
    let mut sim = full().latency(Latency::Fixed(ms(1))).build();
    heartbeats(&mut sim, heard.clone(), give_up);
    let partition = Fault::Partition { groups: vec![vec!["a".into()], vec!["b".into()]] };
    sim.plan(&FaultPlan::new(vec![Step { at: PlanTime(ms(10)), fault: partition }])).unwrap();
    if let Some(heal) = heal {
        sim.liveness(ms(heal)).unwrap();
    }
    sim.eventually("b hears a after the partition", ms(within), move || match heard.get() {
        Some(t) if t > ms(10) => Ok(()),
        last => Err(format!("b last heard a at {last:?}")),
    })
    .unwrap();
    sim.run()
}

#[test]
fn eventually_holds_once_the_chaos_phase_ends_and_everything_heals() {
    let outcome = check(Some(50), 30, false);
    assert!(outcome.is_ok(), "{outcome}");
    let texts = fault_texts(&outcome);
    assert!(texts.iter().any(|t| t.starts_with("liveness: the chaos phase ends")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("heal")), "{texts:?}");
    // The next heartbeat after the heal at 50 ms arrives 1 ms after it is sent.
    assert!(outcome.elapsed > ms(50) && outcome.elapsed <= ms(57), "{:?}", outcome.elapsed);
    let held: Vec<_> = outcome.coverage.iter().map(|c| (c.kind.as_str(), c.held)).collect();
    assert_eq!(held, [("eventually", 1)]);
}

#[test]
fn eventually_fails_when_the_system_does_not_recover_after_the_heal() {
    let outcome = check(Some(50), 30, true);
    let failure = outcome.failure.clone().expect("b gave up, so it never hears a again");
    assert_eq!(failure.kind(), "liveness");
    assert_eq!(
        failure.to_string(),
        "property `b hears a after the partition` did not hold by 80.000000ms (checked from 50.000000ms): \
         b last heard a at Some(6ms)"
    );
    assert_eq!(outcome.elapsed, ms(80));
}

#[test]
fn without_a_chaos_phase_the_deadline_counts_from_the_start() {
    let outcome = check(None, 40, false);
    assert!(failure_text(&outcome).contains("did not hold by 40.000000ms (checked from 0.000000ms)"), "{outcome}");
}

#[test]
fn plan_steps_after_the_chaos_phase_are_dropped() {
    let mut sim = full().build();
    sim.node("s", std::future::pending::<()>).unwrap();
    let crash = Fault::Crash { node: "s".into() };
    sim.plan(&FaultPlan::new(vec![Step { at: PlanTime(ms(20)), fault: crash }])).unwrap();
    sim.liveness(ms(10)).unwrap();
    sim.eventually("true", ms(5), || Ok(())).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    let texts = fault_texts(&outcome);
    assert!(texts.iter().any(|t| t.contains("(1 plan steps dropped)")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("crash")), "{texts:?}");
}

#[test]
fn the_heal_restarts_crashed_nodes() {
    let starts = Rc::new(Cell::new(0));
    let mut sim = full().build();
    let s = starts.clone();
    sim.node("s", move || {
        s.set(s.get() + 1);
        std::future::pending::<()>()
    })
    .unwrap();
    sim.plan(&FaultPlan::new(vec![Step { at: PlanTime(ms(5)), fault: Fault::Crash { node: "s".into() } }])).unwrap();
    sim.liveness(ms(10)).unwrap();
    let seen = starts.clone();
    sim.eventually("s is back", ms(5), move || if seen.get() == 2 { Ok(()) } else { Err("down".into()) }).unwrap();
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(starts.get(), 2);
}

#[test]
fn fault_points_stop_firing_in_the_quiet_phase() {
    let fired = Rc::new(Cell::new((0, 0)));
    let mut sim = Sim::builder().fault_points(FaultPoints::enabled().rate("p", 1.0)).build();
    let f = fired.clone();
    sim.node("n", move || {
        let f = f.clone();
        async move {
            loop {
                let hit = microsim::fault_point!("p").is_err();
                let (before, after) = f.get();
                f.set(if now() < ms(10) { (before + u32::from(hit), after) } else { (before, after + u32::from(hit)) });
                time::sleep(ms(1)).await;
            }
            #[allow(unreachable_code)]
            ()
        }
    })
    .unwrap();
    sim.liveness(ms(10)).unwrap();
    sim.eventually("a while passes", ms(20), || Err("waiting".into())).unwrap();
    let outcome = sim.run();
    assert_eq!(outcome.failure.as_ref().map(|f| f.kind()), Some("liveness"));
    assert_eq!(fired.get(), (10, 0));
}

#[test]
fn a_node_named_like_the_controller_is_refused() {
    let mut sim = Sim::builder().build();
    sim.node(microsim::liveness::NODE, || async {}).unwrap();
    assert!(sim.eventually("p", ms(1), || Ok(())).is_err());
    assert!(sim.liveness(ms(1)).is_err());
}

#[test]
fn coverage_adds_up_a_sweep_and_names_what_never_held() {
    use microsim::scenario::{run, RunSpec, Scenario};
    use microsim::{Seed, SimError};
    struct Dice;
    impl Scenario for Dice {
        fn name(&self) -> &str {
            "dice"
        }
        fn nodes(&self) -> Vec<String> {
            vec!["n".into()]
        }
        fn horizon(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn setup(&self, sim: &mut Sim, _: &RunSpec) -> Result<(), SimError> {
            sim.client("n", || async {
                let roll = microsim::rand::with_rng(|r| rand::Rng::random_range(r, 1..=6u32));
                sometimes("rolled a six", roll == 6);
                sometimes("rolled a seven", roll == 7);
            })
        }
    }
    let reports: Vec<_> = (0..60).map(|s| run(&Dice, &RunSpec::new(Seed(s))).0).collect();
    let all = coverage(&reports);
    let six = all.iter().find(|c| c.name == "rolled a six").unwrap();
    assert_eq!(six.reached, 60);
    assert!(six.held > 0 && six.held < 60, "{six:?}");
    let never: Vec<_> = never_held(&all).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(never, ["rolled a seven"]);
}

#[test]
fn liveness_runs_are_deterministic() {
    let a = check(Some(50), 30, false);
    let b = check(Some(50), 30, false);
    assert_eq!(a.hash(), b.hash());
}
