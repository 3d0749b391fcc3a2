//! The `microsim` command as a user meets it: the default run, bad input, traces.

use std::process::{Command, Output};

fn microsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microsim")).args(args).output().expect("the microsim binary runs")
}

fn check(args: &[&str], code: i32, stdout_has: &str, stderr_has: &str) {
    let out = microsim(args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "microsim {args:?}\nstdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains(stdout_has), "microsim {args:?}: stdout lacks {stdout_has:?}:\n{stdout}");
    assert!(stderr.contains(stderr_has), "microsim {args:?}: stderr lacks {stderr_has:?}:\n{stderr}");
}

#[test]
fn the_default_run_is_pingpong_and_passes() {
    check(&[], 0, "ok (seed 0x1", "");
}

#[test]
fn a_malformed_seed_is_a_usage_error_naming_it() {
    check(&["pingpong", "--seed", "zz"], 2, "", "\"zz\" is not a seed: expected a decimal number or 0x-prefixed hex");
}

#[test]
fn a_hex_seed_is_accepted() {
    check(&["pingpong", "--seed", "0x2a", "--rounds", "5"], 0, "seed 0x2a", "");
}

#[test]
fn an_unwritable_trace_path_fails_before_the_run() {
    check(&["pingpong", "--trace", "/nonexistent-dir/t.jsonl"], 2, "", "cannot create the trace file");
}

#[test]
fn a_written_trace_reads_back_with_the_printed_hash() {
    let path = std::env::temp_dir().join(format!("microsim-cli-{}.jsonl", std::process::id()));
    let path_str = path.to_str().expect("utf-8 temp path");
    let out = microsim(&["pingpong", "--rounds", "4", "--trace", path_str]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let file = std::io::BufReader::new(std::fs::File::open(&path).expect("trace written"));
    let trace = microsim_traces::read_jsonl(file).expect("the trace reads back");
    let _ = std::fs::remove_file(&path);
    let hash = trace.hash().expect("a full trace has a hash").to_string();
    assert!(stdout.contains(&format!("trace {hash}")), "{stdout}");
    assert_eq!(trace.records().len() as u64, trace.counts().records);
}

#[test]
fn bench_peers_prints_the_two_result_lines() {
    check(&["bench", "peers", "10", "3", "2"], 0, "RESULT tiny", "");
    check(&["bench", "peers", "10", "3", "2", "trace"], 0, "trace_hash=", "");
    check(&["bench", "peers", "10", "3", "2", "bogus"], 2, "", "unknown mode `bogus`");
}
