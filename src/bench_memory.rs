//! `microsim bench memory`: the peak memory of one run, and whether memory stays
//! flat over many runs in one process.
//!
//! Measured from the kernel's view of this process, `/proc/self/status` (Linux
//! only): `VmRSS` (resident memory now) and `VmHWM` (its peak). Each single
//! run is measured in a fresh process (the program runs itself with `--one K`),
//! so no memory an earlier run left with the allocator hides its peak; the
//! many-runs loop resets the peak first by writing `5` to `/proc/self/clear_refs`.
//! So the figures are resident memory, including what the allocator keeps
//! after a free, not live heap bytes (`sim/tests/memory.rs` counts those with a
//! counting allocator; the CLI has none, so the speed benchmarks pay nothing).

use microsim::scenario::{run, RunSpec};
use microsim::{RecordMode, Seed};
use microsim_services::pingpong::PingPong;
use microsim_services::saga::SagaScenario;
use std::process::ExitCode;

/// Round trips per client of each run of the many-runs loop (the peers' tiny run).
const TINY_ROUNDS: u32 = 50;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        .ok_or_else(|| format!("/proc/self/status has no {field} line"))
}

/// Resets the peak (`VmHWM`) to the current resident size.
fn reset_peak() -> Result<(), String> {
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("/proc/self/clear_refs: {e}"))
}

/// The single runs measured, each in a process of its own.
const ONE_RUNS: [&str; 3] =
    ["pingpong 5000 rounds, trace off", "pingpong 5000 rounds, full trace", "saga, every fault kind, full trace"];

/// `microsim bench memory --one K`: single run K of [`ONE_RUNS`]; prints the
/// resident memory at the start and the peak, in KiB.
pub fn one(k: usize) -> ExitCode {
    let run = || -> Result<(u64, u64), String> {
        let start = status_kib("VmRSS")?;
        match k {
            0 => drop(PingPong::new(1, 5000).record(RecordMode::Off).run()),
            1 => drop(PingPong::new(1, 5000).record(RecordMode::Full).run()),
            2 => saga_run(),
            _ => return Err(format!("--one {k}: expected 0 to {}", ONE_RUNS.len() - 1)),
        }
        Ok((start, status_kib("VmHWM")?))
    };
    match run() {
        Ok((start, peak)) => {
            println!("{start} {peak}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("microsim bench memory: {e}");
            ExitCode::from(2)
        }
    }
}

/// `microsim bench memory`.
pub fn memory(runs: u64) -> ExitCode {
    if runs < 100 {
        eprintln!("microsim bench memory: --runs must be at least 100");
        return ExitCode::from(2);
    }
    match measure(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("microsim bench memory: {e}");
            ExitCode::from(3)
        }
    }
}

fn measure(runs: u64) -> Result<(), String> {
    println!("Resident memory from /proc/self/status (VmRSS now, VmHWM its peak).");
    println!();
    println!(
        "Each single run in a fresh process (`microsim bench memory --one K`): RSS at its start, peak at its end."
    );
    println!();
    println!("| one run | RSS at start KiB | peak KiB | peak - start KiB |");
    println!("|---|---:|---:|---:|");
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    for (k, name) in ONE_RUNS.iter().enumerate() {
        let out = std::process::Command::new(&exe)
            .args(["bench", "memory", "--one", &k.to_string()])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let Some((start, peak)) =
            text.trim().split_once(' ').and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        else {
            return Err(format!("the one-run process printed {text:?}"));
        };
        println!("| {name} | {start} | {peak} | {} |", peak.saturating_sub(start));
    }
    println!();
    println!("Many runs in one process: pingpong, {TINY_ROUNDS} round trips per client, trace off, a new seed each.");
    println!();
    println!("| runs done | RSS KiB | peak KiB |");
    println!("|---:|---:|---:|");
    reset_peak()?;
    println!("| 0 | {} | {} |", status_kib("VmRSS")?, status_kib("VmHWM")?);
    let checkpoints = [runs / 100, runs / 10, runs];
    let mut done = 0;
    for until in checkpoints {
        while done < until {
            let outcome = PingPong::new(done, TINY_ROUNDS).record(RecordMode::Off).run();
            if !outcome.is_ok() {
                return Err(format!("run {done} failed: {outcome}"));
            }
            done += 1;
        }
        let (rss, peak) = (status_kib("VmRSS")?, status_kib("VmHWM")?);
        println!("| {done} | {rss} | {peak} |");
        println!("RESULT memory runs={done} rss_kib={rss} peak_kib={peak}");
    }
    Ok(())
}

/// One saga run with every fault kind on and the full trace (as `bench saga`).
fn saga_run() {
    let spec = RunSpec { record: RecordMode::Full, ..crate::bench::saga_spec(Seed(1)) };
    drop(run(&SagaScenario, &spec));
}
