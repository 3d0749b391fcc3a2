//! `microsim bench scale`: the cost per message and per run as the number of
//! nodes grows, on a ring of pingpong nodes written against the public API.
//!
//! Node `i` of `n` answers every `Ping(k)` with `Pong(k + 1)` (a spawned task) and
//! does round trips with node `i + 1 mod n`, one after the other; links have the
//! peers workload's uniform 1-5 ms latency. The big run of each size does about
//! the same number of messages at every size (so ns/msg shows whether the cost
//! per message stays flat); the small runs do a few round trips per node (so
//! µs/run is the cost of a whole run, set-up included, and µs/run/node its share
//! per node).

use microsim::net::{Socket, ToAddr};
use microsim::{Latency, RecordMode, Sim};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The sizes measured.
pub const SIZES: [u32; 4] = [3, 30, 300, 3_000];

/// Messages of the warm-up run (see `scale`).
const WARM_UP_MSGS: u64 = 200_000;

/// The largest ring `--nodes` takes.
const MAX_NODES: u32 = 100_000;

/// Round trips per node in each small run.
const SMALL_ROUNDS: u32 = 2;

const PING: &str = "ping";
const PONG: &str = "pong";

#[derive(Clone, Copy, Debug)]
struct Ping(u64);

#[derive(Clone, Copy, Debug)]
struct Pong(u64);

/// A ring of `nodes` nodes, each doing `rounds` round trips with the next.
fn ring(seed: u64, nodes: u32, rounds: u32) -> Sim {
    let mut sim = Sim::builder()
        .seed(seed)
        .record(RecordMode::Off)
        .latency(Latency::uniform(Duration::from_millis(1), Duration::from_millis(5)))
        .build();
    for i in 0..nodes {
        let next = format!("n{}", (i + 1) % nodes);
        sim.client(&format!("n{i}"), move || node(next.clone(), rounds)).expect("a ring node registers");
    }
    sim
}

async fn node(next: String, rounds: u32) {
    let server = Socket::<Ping>::bind(PING).expect("the ping port is free");
    microsim::spawn(async move {
        loop {
            let (from, Ping(k)) = server.recv().await;
            server.send_to(from, Pong(k + 1));
        }
    });
    let socket = Socket::<Pong>::bind(PONG).expect("the pong port is free");
    let to = (next.as_str(), PING).to_addr();
    for k in 0..u64::from(rounds) {
        socket.send_to(to, Ping(k));
        let (_, Pong(answer)) = socket.recv().await;
        assert_eq!(answer, k + 1, "a ring node answers k + 1");
    }
}

/// One size's figures.
struct Measured {
    msgs: u64,
    ns_per_msg: f64,
    us_per_run: f64,
}

fn measure(nodes: u32, msgs: u64, runs: u64) -> Result<Measured, String> {
    let rounds = (msgs / (2 * u64::from(nodes))).max(1) as u32;
    let start = Instant::now();
    let outcome = ring(1, nodes, rounds).run();
    let wall = start.elapsed().as_secs_f64();
    if !outcome.is_ok() {
        return Err(format!("the {nodes}-node ring failed: {outcome}"));
    }
    let delivered = outcome.stats.delivered;
    let start = Instant::now();
    for seed in 0..runs {
        let outcome = ring(seed, nodes, SMALL_ROUNDS).run();
        if !outcome.is_ok() {
            return Err(format!("a small {nodes}-node ring failed: {outcome}"));
        }
    }
    let small = start.elapsed().as_secs_f64();
    Ok(Measured { msgs: delivered, ns_per_msg: wall * 1e9 / delivered as f64, us_per_run: small * 1e6 / runs as f64 })
}

/// `microsim bench scale`: the ring at every size, then the saga bench.
pub fn scale(msgs: u64, nodes: &[u32], runs: u64, saga_seeds: u64, jobs: usize) -> ExitCode {
    if msgs == 0 || runs == 0 || jobs == 0 {
        eprintln!("microsim bench scale: --msgs, --runs and --jobs must be at least 1");
        return ExitCode::from(2);
    }
    if let Some(n) = nodes.iter().find(|&&n| !(2..=MAX_NODES).contains(&n)) {
        eprintln!("microsim bench scale: --nodes {n}: a ring needs 2 to {MAX_NODES} nodes");
        return ExitCode::from(2);
    }
    let sizes = if nodes.is_empty() { &SIZES[..] } else { nodes };
    println!(
        "Ring of N nodes (each does round trips with the next; uniform 1-5 ms links; trace off). Big run: about \
         {msgs} messages; small runs: {runs} runs of {SMALL_ROUNDS} round trips per node; an untimed warm-up \
         run first."
    );
    println!();
    println!("| nodes | msgs | ns/msg | vs {} nodes | µs/run | µs/run/node |", sizes[0]);
    println!("|---:|---:|---:|---:|---:|---:|");
    // An untimed warm-up first, so that the first size measured does not pay
    // for a cold processor (caches, clock) that the others do not.
    if let Err(e) = measure(sizes[0], msgs.min(WARM_UP_MSGS), 1) {
        eprintln!("microsim bench scale: {e}");
        return ExitCode::from(1);
    }
    let mut first = None;
    for &nodes in sizes {
        let m = match measure(nodes, msgs, runs) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("microsim bench scale: {e}");
                return ExitCode::from(1);
            }
        };
        let base = *first.get_or_insert(m.ns_per_msg);
        println!(
            "| {nodes} | {} | {:.1} | {:.2}x | {:.1} | {:.2} |",
            m.msgs,
            m.ns_per_msg,
            m.ns_per_msg / base,
            m.us_per_run,
            m.us_per_run / f64::from(nodes)
        );
        println!(
            "RESULT scale nodes={nodes} msgs={} ns_per_msg={:.1} us_per_run={:.1}",
            m.msgs, m.ns_per_msg, m.us_per_run
        );
    }
    println!();
    if saga_seeds > 0 {
        println!("Saga scenario, every fault kind on (`microsim bench saga {saga_seeds} {jobs}`):");
        println!();
        return crate::bench::saga_bench(saga_seeds, jobs);
    }
    ExitCode::SUCCESS
}
