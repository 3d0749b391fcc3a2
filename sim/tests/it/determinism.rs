//! Determinism: a seed is a run. The same seed gives the same trace hash in any
//! recording mode, after any number of other runs, on any thread and in any
//! process; different seeds give different runs.

use crate::{ms, Seen};
use microsim::rpc::{self, Server};
use microsim::{spawn, time, Outcome, RecordMode, Sim, TraceHash, RNG_ALGORITHM};
use std::collections::HashSet;
use std::time::Duration;

/// Answers each call with twice its number, after a random delay.
async fn store() {
    let server = Server::<u64, u64>::bind("get").unwrap();
    loop {
        let incoming = server.next().await;
        spawn(async move {
            let delay = microsim::rand::random_range(0..4_000u64);
            time::sleep(Duration::from_micros(delay)).await;
            let answer = incoming.body * 2;
            incoming.reply(answer);
        });
    }
}

/// A small but busy system: a `store` that answers each call after a random
/// delay, and three clients that make calls with random values (some of which
/// time out) and log what happened.
fn build(seed: u64, record: RecordMode) -> Sim {
    let mut sim = Sim::builder().seed(seed).record(record).build();
    sim.node("store", store).unwrap();
    for c in 0..3 {
        sim.client(&format!("client{c}"), || async {
            for _ in 0..5 {
                let x = microsim::rand::random_range(0..1000u64);
                match rpc::call::<u64, u64>(("store", "get"), x, ms(8)).await {
                    Ok(y) => {
                        assert_eq!(y, 2 * x);
                        tracing::info!(x, "answered");
                    }
                    Err(e) => tracing::warn!(x, "{e}"),
                }
            }
        })
        .unwrap();
    }
    sim
}

fn run(seed: u64, record: RecordMode) -> Outcome {
    let outcome = build(seed, record).run();
    assert!(outcome.is_ok(), "{outcome}");
    outcome
}

/// The trace hash of the scenario under `seed`.
fn hash(seed: u64) -> TraceHash {
    run(seed, RecordMode::Summary).hash().expect("summary mode hashes")
}

/// The hash of seed 2024, as printed by an earlier run of this test in another
/// process (`cargo test the_hash_matches` before the constant was pasted here).
/// Matching it shows that nothing of the process (addresses, hash-map seeds,
/// allocation order, thread ids) leaks into a run: the same seed is the same run
/// in every process, on every platform. If the trace format or the scenario
/// changes on purpose, update the constant (last: RPC calls became `call` and
/// `return` records).
const GOLDEN_2024: TraceHash = TraceHash(0x6dbd_4ddb_1869_4064);

#[test]
fn the_same_seed_gives_the_same_trace_hash() {
    assert_eq!(hash(42), hash(42));
    let (a, b) = (run(42, RecordMode::Full), run(42, RecordMode::Full));
    assert!(!a.trace().records().is_empty());
    assert_eq!(a.trace(), b.trace(), "full traces are equal record by record");
    assert_eq!((a.elapsed, a.steps, a.stats), (b.elapsed, b.steps, b.stats));
}

#[test]
fn summary_and_full_recording_give_the_same_hash() {
    let (summary, full) = (run(42, RecordMode::Summary), run(42, RecordMode::Full));
    assert_eq!(summary.hash(), full.hash());
    assert!(summary.hash().is_some());
    assert_eq!(summary.trace().counts(), full.trace().counts());
    assert_eq!(full.trace().counts().records, full.trace().records().len() as u64);
    assert!(summary.trace().records().is_empty());
    assert_eq!(run(42, RecordMode::Off).hash(), None);
}

#[test]
fn different_seeds_give_different_hashes() {
    let hashes: HashSet<TraceHash> = (0..16).map(hash).collect();
    assert_eq!(hashes.len(), 16);
}

#[test]
fn the_hash_is_the_same_after_a_thousand_other_runs_on_the_thread() {
    let before = hash(7);
    for seed in 1_000..2_000 {
        run(seed, RecordMode::Summary);
    }
    assert_eq!(hash(7), before);
}

#[test]
fn the_hash_matches_the_value_recorded_by_another_process() {
    assert_eq!(hash(2024), GOLDEN_2024, "got {}", hash(2024));
}

#[test]
fn the_hash_is_the_same_on_another_thread() {
    let there = std::thread::spawn(|| hash(5)).join().unwrap();
    assert_eq!(hash(5), there);
}

#[test]
fn simulations_stepped_alternately_do_not_interfere() {
    let (mut a, mut b) = (build(1, RecordMode::Summary), build(2, RecordMode::Summary));
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        a_done = a.run_for(ms(1));
        b_done = b.run_for(ms(1));
    }
    assert_eq!(a.run().hash(), Some(hash(1)));
    assert_eq!(b.run().hash(), Some(hash(2)));
}

#[test]
fn node_randomness_is_the_same_for_a_seed_and_differs_between_seeds() {
    let draws = |seed: u64| {
        let seen = Seen::default();
        let s = seen.clone();
        let outcome = crate::solo(Sim::builder().seed(seed), move || {
            let s = s.clone();
            async move {
                for _ in 0..8 {
                    s.push(microsim::rand::random::<u64>());
                }
                s.push(u64::from(microsim::rand::random_bool(0.5)));
            }
        });
        assert!(outcome.is_ok(), "{outcome}");
        seen.get()
    };
    assert_eq!(draws(3), draws(3));
    assert_ne!(draws(3), draws(4));
}

#[test]
fn the_outcome_and_trace_header_name_the_run() {
    let sim = build(42, RecordMode::Summary);
    assert_eq!(sim.seed(), 42);
    let outcome = sim.run();
    assert_eq!(outcome.seed, 42);
    let header = &outcome.trace().header;
    assert_eq!(header.seed, 42);
    assert_eq!(header.rng, RNG_ALGORITHM);
    assert_eq!(header.nodes, ["store", "client0", "client1", "client2"]);
    assert_eq!(header.ports, ["get"]);
    let shown = outcome.to_string();
    assert!(shown.contains("seed 0x2a"), "{shown}");
    assert!(shown.contains(&format!("trace {}", outcome.hash().unwrap())), "{shown}");
}

/// A scenario that leaks state between runs through a static: the second run
/// sleeps longer than the first. The self-check must catch it.
struct Leaky;

static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl microsim::scenario::Scenario for Leaky {
    fn name(&self) -> &str {
        "leaky"
    }
    fn nodes(&self) -> Vec<String> {
        vec!["n".into()]
    }
    fn horizon(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn setup(&self, sim: &mut Sim, _: &microsim::scenario::RunSpec) -> Result<(), microsim::SimError> {
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        sim.client("n", move || microsim::time::sleep(Duration::from_millis(1 + n % 2)))
    }
}

#[test]
fn the_self_check_names_the_first_diverging_event() {
    let spec = microsim::scenario::RunSpec::new(microsim::Seed(1));
    let d = microsim::scenario::check_determinism(&Leaky, &spec).expect_err("the runs differ");
    let text = d.to_string();
    assert_eq!(
        text,
        r#"runs diverge at event 2: first run {"t":1000000,"node":"n","ev":"timer","timer":1}; second run {"t":2000000,"node":"n","ev":"timer","timer":1}"#
    );
}
