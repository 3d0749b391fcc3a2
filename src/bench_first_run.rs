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
use microsim_services::pingpong::{PingPong, CLIENTS};
use std::process::ExitCode;
use std::time::Instant;

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

/// One timed pingpong run: (wall seconds, messages, minor page faults taken).
fn one(rounds: u32, record: RecordMode) -> Result<(f64, u64, u64), String> {
    let faults = minor_faults()?;
    let t = Instant::now();
    let outcome = PingPong::new(1, rounds).record(record).run();
    let wall = t.elapsed().as_secs_f64();
    let faults = minor_faults()? - faults;
    if !outcome.is_ok() {
        return Err(format!("pingpong failed: {outcome}"));
    }
    let msgs = outcome.stats.delivered;
    if msgs != 2 * CLIENTS as u64 * u64::from(rounds) {
        return Err(format!("pingpong delivered {msgs} messages, not every one"));
    }
    drop(outcome);
    Ok((wall, msgs, faults))
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
    let mut later: Vec<f64> = Vec::new();
    let mut first = None;
    let mut msgs_per_run = 0;
    for k in 1..=runs {
        let (wall, msgs, faults) = match one(rounds, record) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("microsim bench first-run: run {k}: {e}");
                return ExitCode::from(1);
            }
        };
        msgs_per_run = msgs;
        let ns = wall * 1e9 / msgs as f64;
        println!("{k:>4} {:>10.3} {ns:>10.1} {faults:>12}", wall * 1e3);
        match first {
            None => first = Some((wall, ns, faults)),
            Some(_) => later.push(wall),
        }
    }
    let (first_wall, first_ns, first_faults) = first.expect("a first run");
    later.sort_by(f64::total_cmp);
    let n = later.len();
    let later_wall = if n % 2 == 1 { later[n / 2] } else { (later[n / 2 - 1] + later[n / 2]) / 2.0 };
    let later_ns = later_wall * 1e9 / msgs_per_run as f64;
    println!(
        "RESULT first-run mode={mode} first_ns_per_msg={first_ns:.1} later_ns_per_msg={later_ns:.1} \
         first_extra_us={:.0} first_page_faults={first_faults}",
        (first_wall - later_wall) * 1e6
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
