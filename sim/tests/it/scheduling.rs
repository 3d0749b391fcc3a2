//! Scheduling: FIFO runs ready tasks in wake order, the random scheduler is
//! deterministic per seed and varies with it, and a custom strategy decides.

use crate::{full, ms, now, receive, records, Seen};
use microsim::net::Socket;
use microsim::streams::SimRng;
use microsim::{spawn, time, yield_now, Latency, ReadyTask, Schedule, Scheduler, Sim};
use microsim_traces::Event;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

/// Four tasks of one client take three steps each, yielding between steps.
/// Returns the steps as (task, step) in the order they ran.
fn order(scheduler: Scheduler, seed: u64) -> Vec<(u32, u32)> {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = crate::solo(Sim::builder().seed(seed).scheduler(scheduler), move || {
        let s = s.clone();
        async move {
            let tasks: Vec<_> = (0..4)
                .map(|task| {
                    let s = s.clone();
                    spawn(async move {
                        for step in 0..3 {
                            s.push((task, step));
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    seen.get()
}

#[test]
fn fifo_runs_ready_tasks_in_the_order_they_became_ready() {
    let expected: Vec<(u32, u32)> = (0..3).flat_map(|step| (0..4).map(move |task| (task, step))).collect();
    assert_eq!(order(Scheduler::Fifo, 0), expected);
    assert_eq!(order(Scheduler::Fifo, 1), expected, "the seed does not matter to FIFO");
}

#[test]
fn the_random_scheduler_is_deterministic_per_seed() {
    for seed in 0..5 {
        assert_eq!(order(Scheduler::Random, seed), order(Scheduler::Random, seed));
    }
}

#[test]
fn the_random_scheduler_gives_different_interleavings_for_different_seeds() {
    let orders: HashSet<Vec<(u32, u32)>> = (0..10).map(|seed| order(Scheduler::Random, seed)).collect();
    assert!(orders.len() > 1, "every seed gave the same interleaving");
    assert!(orders.iter().any(|o| *o != order(Scheduler::Fifo, 0)));
}

#[test]
fn the_random_scheduler_keeps_each_task_in_program_order() {
    for seed in 0..10 {
        let o = order(Scheduler::Random, seed);
        assert_eq!(o.len(), 12);
        for task in 0..4 {
            let steps: Vec<u32> = o.iter().filter(|(t, _)| *t == task).map(|&(_, s)| s).collect();
            assert_eq!(steps, [0, 1, 2], "seed {seed}: {o:?}");
        }
    }
}

/// Last in, first out.
#[derive(Default)]
struct Lifo {
    stack: Vec<ReadyTask>,
    nodes: Seen<u32>,
}

impl Schedule for Lifo {
    fn push(&mut self, task: ReadyTask) {
        self.nodes.push(task.node_index());
        self.stack.push(task);
    }

    fn pop(&mut self, _: &mut SimRng) -> Option<ReadyTask> {
        self.stack.pop()
    }

    fn len(&self) -> usize {
        self.stack.len()
    }
}

#[test]
fn a_custom_scheduler_decides_the_order() {
    let lifo = Lifo::default();
    let nodes = lifo.nodes.clone();
    // The last task spawned runs first, and keeps running while it is the
    // last one to have become ready.
    let expected: Vec<(u32, u32)> = (0..4).rev().flat_map(|task| (0..3).map(move |step| (task, step))).collect();
    assert_eq!(order(Scheduler::Custom(Box::new(lifo)), 0), expected);
    assert!(!nodes.get().is_empty());
    assert!(nodes.get().iter().all(|&n| n == 0), "the only node is node 0");
}

#[test]
fn nodes_start_in_registration_order() {
    let seen = Seen::default();
    let mut sim = full().build();
    for name in ["b", "a", "c"] {
        let s = seen.clone();
        sim.client(name, move || {
            let s = s.clone();
            async move { s.push(name) }
        })
        .unwrap();
    }
    let outcome = sim.run();
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), ["b", "a", "c"]);
    let started: Vec<String> =
        records(&outcome).into_iter().filter(|(_, _, e)| *e == Event::Start).map(|(_, n, _)| n).collect();
    assert_eq!(started, ["b", "a", "c"]);
}

#[test]
fn virtual_time_stands_still_while_tasks_are_ready() {
    let seen = Seen::default();
    let s = seen.clone();
    let outcome = crate::solo(Sim::builder(), move || {
        let s = s.clone();
        async move {
            for _ in 0..1000 {
                yield_now().await;
            }
            s.push(now());
        }
    });
    assert!(outcome.is_ok(), "{outcome}");
    assert_eq!(seen.get(), [Duration::ZERO]);
}

/// When each of 20 messages sent at time 0 arrives, by message number.
fn arrival_times(scheduler: Scheduler) -> Vec<Duration> {
    let seen = Seen::default();
    let s = seen.clone();
    let mut sim = Sim::builder().seed(9).scheduler(scheduler).latency(Latency::uniform(ms(1), ms(5))).build();
    sim.node("server", move || receive("in", s.clone())).unwrap();
    sim.client("client", || async {
        let socket = Socket::<u64>::bind("out").unwrap();
        for n in 0..20u64 {
            socket.send_to(("server", "in"), n);
        }
        time::sleep(ms(10)).await;
    })
    .unwrap();
    assert!(sim.run().is_ok());
    let mut got: Vec<(u64, Duration)> = seen.get().into_iter().map(|(t, n)| (n, t)).collect();
    got.sort();
    got.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn the_scheduler_does_not_change_the_network_latencies() {
    // Each concern draws from its own random stream.
    assert_eq!(arrival_times(Scheduler::Random), arrival_times(Scheduler::Fifo));
}

/// A planted ordering bug: it shows only if "b" takes all of its 12 steps
/// before "a" takes its first (a random scheduler must choose b at each of 12
/// steps: 1 run in 4,096; PCT gives b the higher priority in half its runs).
async fn planted_race(a_started: Rc<std::cell::Cell<bool>>) {
    let a = {
        let a_started = a_started.clone();
        microsim::spawn(async move {
            a_started.set(true);
        })
    };
    let b = microsim::spawn(async move {
        for _ in 0..12 {
            microsim::yield_now().await;
        }
        assert!(a_started.get(), "b finished before a started");
    });
    let _ = (a.await, b.await);
}

/// Which of the seeds `0..n` hit the planted bug under `scheduler`.
fn hits(scheduler: fn() -> Scheduler, n: u64) -> Vec<u64> {
    (0..n)
        .filter(|&seed| {
            let mut sim = Sim::builder().seed(seed).scheduler(scheduler()).build();
            sim.client("c", || planted_race(Rc::default())).unwrap();
            !sim.run().is_ok()
        })
        .collect()
}

#[test]
fn pct_finds_a_deep_ordering_bug_in_far_fewer_runs_than_random() {
    let pct = hits(|| Scheduler::pct(1, 100), 400);
    let random = hits(|| Scheduler::Random, 400);
    eprintln!(
        "planted ordering bug hit in 400 runs: PCT {}, random {}; first hit: PCT run {:?}",
        pct.len(),
        random.len(),
        pct.first().map(|s| s + 1)
    );
    assert!(pct.len() >= 120, "PCT gives b the higher priority in about half the runs: {}", pct.len());
    assert!(random.len() <= 2, "random must pick b 12 times in a row (1 in 4,096): {}", random.len());
    assert!(hits(|| Scheduler::Fifo, 50).is_empty(), "FIFO never reorders them");
}

#[test]
fn pct_is_deterministic_per_seed() {
    let hash = |seed| {
        let mut sim = Sim::builder().seed(seed).scheduler(Scheduler::pct(3, 50)).build();
        sim.client("c", || planted_race(Rc::default())).unwrap();
        sim.run().hash()
    };
    assert_eq!(hash(9), hash(9));
}

/// Three tasks of one client yield in turn; the order they ran in is the check.
struct Yielders;

impl microsim::scenario::Scenario for Yielders {
    fn name(&self) -> &str {
        "yielders"
    }
    fn nodes(&self) -> Vec<String> {
        vec!["c".into()]
    }
    fn horizon(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn setup(&self, sim: &mut Sim, _: &microsim::scenario::RunSpec) -> Result<(), microsim::SimError> {
        sim.client("c", || async {
            let tasks: Vec<_> = (0..3)
                .map(|t| {
                    spawn(async move {
                        for step in 0..3 {
                            tracing::info!("task {t} step {step}");
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("a yielder finishes");
            }
        })
    }
}

#[test]
fn a_run_spec_chooses_the_scheduler_and_none_is_the_default_fifo() {
    use microsim::scenario::{run, RunSpec};
    use microsim::{SchedulerSpec, Seed};
    let hash = |scheduler: Option<SchedulerSpec>, seed: u64| {
        let spec = RunSpec { scheduler, ..RunSpec::new(Seed(seed)) };
        let (report, _) = run(&Yielders, &spec);
        assert!(report.passed(), "{report}");
        report.hash.expect("the run records its hash")
    };
    for seed in 0..4 {
        assert_eq!(hash(None, seed), hash(Some(SchedulerSpec::Fifo), seed), "None runs as FIFO");
    }
    let pct = Some(SchedulerSpec::Pct { depth: 3, max_steps: 20 });
    assert_eq!(hash(pct, 1), hash(pct, 1), "PCT is deterministic per seed");
    let others: HashSet<_> = (0..8).flat_map(|s| [hash(pct, s), hash(Some(SchedulerSpec::Random), s)]).collect();
    assert!(others.iter().any(|h| *h != hash(None, 0)), "another scheduler changes the order");
}
