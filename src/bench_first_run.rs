//! `microsim bench first-run`: what the first run of a process pays that later
//! runs do not.
//!
//! The peers script times one pingpong run per process, the first, so its
//! figure carries the process's one-time costs: code pages faulted in and
//! fetched into the caches, the random generator's CPU-feature probe (its SIMD
//! dispatch), memory touched for the first time. This command runs the same
//! pingpong run several times in one process and prints each run's time and
//! the page faults it took (`/proc/self/stat`, Linux), so the report can show
//! how much of the peers figure is per process and how much per message.

use microsim::RecordMode;
use microsim_services::pingpong::CLIENTS;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The minor page faults this process has taken so far (field 10 of
/// `/proc/self/stat`).
fn minor_faults() -> Result<u64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc/self/stat: {e}"))?;
    minor_faults_in(&stat).ok_or_else(|| format!("/proc/self/stat has no minor fault count: {}", stat.trim()))
}

/// Field 10 of a `/proc/PID/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses: the fields are counted
/// from after the last `)` (field 3 is the first there).
fn minor_faults_in(stat: &str) -> Option<u64> {
    let (_, after) = stat.rsplit_once(')')?;
    after.split_whitespace().nth(10 - 3)?.parse().ok()
}

/// One timed pingpong run of `msgs` messages: (wall time, minor page faults taken).
fn one(rounds: u32, msgs: u64, record: RecordMode) -> Result<(Duration, u64), String> {
    let faults = minor_faults()?;
    let t = Instant::now();
    let outcome = crate::bench::pingpong(1, rounds, record);
    let wall = t.elapsed();
    let faults = minor_faults()? - faults;
    if !outcome.is_ok() {
        return Err(format!("pingpong failed: {outcome}"));
    }
    let delivered = outcome.stats.delivered;
    if delivered != msgs {
        return Err(format!("pingpong delivered {delivered} of its {msgs} messages"));
    }
    drop(outcome);
    Ok((wall, faults))
}

/// `microsim bench first-run ROUNDS RUNS [trace]`.
pub fn first_run(rounds: u32, runs: u32, record: RecordMode) -> ExitCode {
    if rounds == 0 || runs < 2 {
        eprintln!("microsim bench first-run: needs ROUNDS >= 1 and RUNS >= 2 (a first run and later ones), got {rounds} and {runs}");
        return ExitCode::from(2);
    }
    let mode = if record == RecordMode::Off { "plain" } else { "trace" };
    println!("pingpong ({rounds} round trips per client, seed 1, {mode}) run {runs} times in one process");
    println!("{:>4} {:>10} {:>10} {:>12}", "run", "wall ms", "ns/msg", "page faults");
    let msgs = 2 * CLIENTS as u64 * u64::from(rounds);
    let ns_per_msg = |wall: Duration| wall.as_nanos() as f64 / msgs as f64;
    let mut done = Vec::new();
    for k in 1..=runs {
        let (wall, faults) = match one(rounds, msgs, record) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("microsim bench first-run: run {k}: {e}");
                return ExitCode::from(1);
            }
        };
        println!("{k:>4} {:>10.3} {:>10.1} {faults:>12}", wall.as_secs_f64() * 1e3, ns_per_msg(wall));
        done.push((wall, faults));
    }
    let (first, first_faults) = done[0];
    let later =
        crate::bench_bugs::median(done[1..].iter().map(|&(wall, _)| wall).collect()).expect("at least one later run");
    println!(
        "RESULT first-run mode={mode} first_ns_per_msg={:.1} later_ns_per_msg={:.1} first_extra_us={:.0} \
         first_page_faults={first_faults}",
        ns_per_msg(first),
        ns_per_msg(later),
        (first.as_secs_f64() - later.as_secs_f64()) * 1e6
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::minor_faults_in;

    #[test]
    fn the_minor_fault_count_is_field_10_whatever_the_command_name() {
        let fields = "S 1 2 3 4 5 6 777 8 9 10";
        assert_eq!(minor_faults_in(&format!("42 (microsim) {fields}")), Some(777));
        assert_eq!(minor_faults_in(&format!("42 (a b) c)) {fields}")), Some(777));
        assert_eq!(minor_faults_in("42 (microsim) S 1 2"), None);
        assert_eq!(minor_faults_in("no parenthesis"), None);
    }

    #[test]
    fn this_process_has_taken_page_faults() {
        if cfg!(target_os = "linux") {
            assert!(super::minor_faults().expect("/proc/self/stat reads") > 0);
        }
    }
}
