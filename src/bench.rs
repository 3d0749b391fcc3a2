//! `microsim bench ...`: the benchmarks, printed in the peers' `RESULT` format.

use clap::Subcommand;
use microsim::RecordMode;
use microsim_services::pingpong::{PingPong, CLIENTS};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The peers workload, as ../shared/bench/peers/run.sh describes it.
    ///
    /// Prints `RESULT pingpong ...` (one run of ROUNDS round trips per client,
    /// seed 1) and `RESULT tiny ...` (SEEDS fresh runs of TINY_ROUNDS). With
    /// `trace`, every event is recorded and the trace hash printed.
    ///
    /// Example: microsim bench peers 5000 1000 50 trace
    Peers {
        /// Round trips per client in the pingpong run.
        rounds: u32,
        /// How many tiny runs.
        seeds: u64,
        /// Round trips per client in each tiny run.
        tiny_rounds: u32,
        /// `trace` to record every event.
        mode: Option<String>,
    },
}

pub fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Peers { rounds, seeds, tiny_rounds, mode } => {
            let record = match mode.as_deref() {
                None => RecordMode::Off,
                Some("trace") => RecordMode::Full,
                Some(other) => {
                    eprintln!("microsim bench peers: unknown mode `{other}`: expected `trace` or nothing");
                    return ExitCode::from(2);
                }
            };
            peers(rounds, seeds, tiny_rounds, record)
        }
    }
}

fn peers(rounds: u32, seeds: u64, tiny_rounds: u32, record: RecordMode) -> ExitCode {
    let t = Instant::now();
    let outcome = PingPong::new(1, rounds).record(record).run();
    let wall = t.elapsed().as_secs_f64();
    if !outcome.is_ok() {
        eprintln!("pingpong failed: {outcome}");
        return ExitCode::from(1);
    }
    let msgs = outcome.stats.delivered;
    assert_eq!(msgs, 2 * CLIENTS as u64 * u64::from(rounds), "every message is delivered");
    let sim_s = outcome.elapsed.as_secs_f64();
    let hash = outcome.hash().map(|h| format!(" trace_hash={h}")).unwrap_or_default();
    println!(
        "RESULT pingpong wall_s={wall:.6} msgs={msgs} msgs_per_s={:.1} sim_s={sim_s:.6} sim_s_per_s={:.1}{hash}",
        msgs as f64 / wall,
        sim_s / wall
    );
    drop(outcome);

    let t = Instant::now();
    let mut check = 0u64;
    for seed in 0..seeds {
        let outcome = PingPong::new(seed, tiny_rounds).record(record).run();
        if !outcome.is_ok() {
            eprintln!("tiny run failed: {outcome}");
            return ExitCode::from(1);
        }
        check = check.wrapping_mul(31).wrapping_add(outcome.elapsed.as_nanos() as u64);
    }
    let wall = t.elapsed().as_secs_f64();
    println!("RESULT tiny wall_s={wall:.6} sims={seeds} sims_per_s={:.1} check={check:x}", seeds as f64 / wall);
    ExitCode::SUCCESS
}
