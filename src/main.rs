//! The `microsim` command: runs the sample scenarios and the benchmarks.

mod bench;
mod bench_bugs;
mod bench_checker;
mod bench_first_run;
mod bench_memory;
mod bench_scale;
mod bench_views;
mod check;
mod explore;
mod runs;
mod show;
mod summary;
mod tour;

use clap::{Parser, Subcommand};
use microsim::RecordMode;
use microsim_services::pingpong::PingPong;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A deterministic distributed-system simulator.
#[derive(Debug, Parser)]
#[command(
    name = "microsim",
    version,
    about,
    after_help = "With no command, takes the tour: every sample scenario explored under its nemesis \
                  (about a minute on 2 cores). Exit codes: 0 ok, 1 a failure found, 2 bad usage or input, 3 internal error."
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
        /// Record every event and write the trace here as JSON lines.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
    },
    /// Lists the scenarios, their variants and planted bugs.
    ///
    /// Example: microsim list
    List,
    /// The main job: explores every sample scenario; correct variants must hold, planted bugs must be caught.
    ///
    /// Example: microsim tour --seeds 100
    Tour(tour::TourArgs),
    /// Runs one scenario once: a seed, a plan (given, or drawn by a profile).
    ///
    /// Example: microsim run pingpong --variant datagram --seed 7 --profile default
    Run(runs::RunArgs),
    /// Replays one run exactly: a seed (and a plan), as `explore` or a CI job ran it.
    ///
    /// Example: microsim replay discovery --variant two-leaders --seed 0x12
    Replay(runs::ReplayArgs),
    /// Runs a scenario over many seeds under random fault plans; saves the first failure.
    ///
    /// Example: microsim explore pingpong --seeds 10000 --jobs 2 --shard 0/4
    Explore(explore::ExploreArgs),
    /// Merges the JSON summaries (`explore --json`) of the shards of one sweep.
    ///
    /// Example: microsim merge shard0.json shard1.json
    Merge(explore::MergeArgs),
    /// Shows a trace file: a text space-time diagram, an HTML Lamport diagram, or call trees.
    ///
    /// Example: microsim show t.jsonl --node server --from 1ms --to 20ms --kind send --kind deliver
    Show(show::ShowArgs),
    /// Names the first event where two traces differ, with the events before it (exit 1 when they differ).
    ///
    /// Example: microsim diff before.jsonl after.jsonl
    Diff(show::DiffArgs),
    /// Checks histories for linearizability (Porcupine corpus formats).
    ///
    /// Example: microsim check --expected ../shared/conformance/porcupine/expected.tsv
    Check(check::CheckArgs),
    /// Benchmarks (each subcommand's --help has an example).
    ///
    /// Example: microsim bench peers 5000 1000 50 trace
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.parse::<microsim::Seed>().map(|seed| seed.0).map_err(|e| e.to_string())
}

fn write_trace(file: std::fs::File, trace: &microsim::Trace) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = std::io::BufWriter::new(file);
    microsim_traces::write_jsonl(trace, &mut out)?;
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    exit_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    match cli.command {
        None => tour::tour(tour::TourArgs::default()),
        Some(Command::Tour(args)) => tour::tour(args),
        Some(Command::Pingpong { seed, rounds, trace }) => pingpong(seed, rounds, trace),
        Some(Command::List) => runs::list(),
        Some(Command::Run(args)) => runs::run_one(args),
        Some(Command::Replay(args)) => runs::replay(args),
        Some(Command::Explore(args)) => explore::explore(args),
        Some(Command::Merge(args)) => explore::merge_files(args),
        Some(Command::Show(args)) => show::show(args),
        Some(Command::Diff(args)) => show::diff(args),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Bench(b)) => bench::run(b),
    }
}

fn pingpong(seed: u64, rounds: u32, trace: Option<PathBuf>) -> ExitCode {
    println!("microsim: pingpong scenario, seed {seed:#x}, 1 server, 2 clients x {rounds} round trips");
    // Open the trace file first: a bad path is reported before the run, not after.
    let trace_file = match trace.as_deref().map(std::fs::File::create).transpose() {
        Ok(file) => file,
        Err(e) => {
            let path = trace.as_deref().unwrap_or(Path::new("-")).display();
            eprintln!("microsim: cannot create the trace file {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let record = if trace_file.is_some() { RecordMode::Full } else { RecordMode::Summary };
    let outcome = PingPong::new(seed, rounds).record(record).run();
    println!("{outcome}");
    if let (Some(file), Some(path)) = (trace_file, trace) {
        if let Err(e) = write_trace(file, outcome.trace()) {
            eprintln!("microsim: cannot write the trace to {}: {e}", path.display());
            return ExitCode::from(3);
        }
        println!("trace: {} ({} records)", path.display(), outcome.trace().records().len());
    }
    if outcome.is_ok() {
        ExitCode::SUCCESS
    } else {
        println!("replay: cargo run --release -- pingpong --seed {seed:#x} --rounds {rounds}");
        ExitCode::from(1)
    }
}

/// Restores the default action of `SIGPIPE` (ending the process quietly), as
/// command-line tools do: `microsim list | head` then stops when `head` has
/// read enough, instead of panicking on the next write to the closed pipe
/// (Rust ignores the signal, so every `println!` after it would fail).
fn exit_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists;
    // `SIG_DFL` is a valid disposition for `SIGPIPE`.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
