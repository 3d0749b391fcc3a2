//! The `microsim` command: runs the sample scenarios and the benchmarks.

mod bench;

use clap::{Parser, Subcommand};
use microsim::RecordMode;
use microsim_services::pingpong::PingPong;
use std::process::ExitCode;

/// A deterministic distributed-system simulator.
#[derive(Debug, Parser)]
#[command(
    name = "microsim",
    version,
    about,
    after_help = "With no command, runs the pingpong scenario and prints its summary."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the pingpong scenario once and prints its outcome.
    ///
    /// Example: microsim pingpong --seed 42 --rounds 100
    Pingpong {
        /// The seed (decimal, or hex with 0x).
        #[arg(long, default_value = "1", value_parser = parse_seed)]
        seed: u64,
        /// Round trips per client.
        #[arg(long, default_value_t = 1000)]
        rounds: u32,
    },
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn parse_seed(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("`{s}` is not a seed: expected a decimal number or hex with 0x, up to 64 bits"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => pingpong(1, 1000),
        Some(Command::Pingpong { seed, rounds }) => pingpong(seed, rounds),
        Some(Command::Bench(b)) => bench::run(b),
    }
}

fn pingpong(seed: u64, rounds: u32) -> ExitCode {
    println!("microsim: pingpong scenario, seed {seed:#x}, 1 server, 2 clients x {rounds} round trips");
    let outcome = PingPong::new(seed, rounds).record(RecordMode::Summary).run();
    println!("{outcome}");
    if outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        println!("replay: cargo run --release -- pingpong --seed {seed:#x} --rounds {rounds}");
        ExitCode::from(1)
    }
}
