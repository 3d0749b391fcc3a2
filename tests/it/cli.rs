//! The `microsim` command as a user meets it: the default run, bad input, traces.

use super::{check, microsim};
use std::process::{Command, Output};

#[test]
fn the_tour_holds_the_correct_variants_and_catches_every_planted_bug() {
    let dir = std::env::temp_dir().join(format!("microsim-tour-{}", std::process::id()));
    let out = microsim_in(&dir, &["tour", "--seeds", "4", "--bug-seeds", "300"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for line in ["pingpong   rpc", "discovery  two-leaders", "config     early-ack"] {
        assert!(stdout.contains(line), "{line} missing from:\n{stdout}");
    }
    assert!(!stdout.contains("FAILED") && !stdout.contains("NOT caught"), "{stdout}");
    let saved = dir.join("target/microsim/failures/discovery-zombie-0000000000000000");
    for file in ["report.txt", "plan.json", "trace.jsonl", "trace.html"] {
        assert!(saved.join(file).exists(), "{file} not saved in {}", saved.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_no_command_microsim_takes_the_tour() {
    check(&["--help"], 0, "With no command, takes the tour", "");
}

#[test]
fn explore_json_shards_merge_into_the_whole_sweep() {
    let dir = std::env::temp_dir().join(format!("microsim-merge-{}", std::process::id()));
    let mut files = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = microsim_in(&dir, &["explore", "pingpong", "--seeds", "30", "--shard", &shard, "--json"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let file = dir.join(format!("shard{k}.json"));
        std::fs::write(&file, &out.stdout).unwrap();
        files.push(file.to_str().unwrap().to_string());
    }
    let args: Vec<&str> = std::iter::once("merge").chain(files.iter().map(String::as_str)).collect();
    let out = microsim_in(&dir, &args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("30 seeds in 3 shards, 30 run, 0 failed"), "{stdout}");
    // A missing shard or a shard given twice is bad input that names the problem.
    let out = microsim_in(&dir, &["merge", &files[0], &files[1]], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shards missing: 2/3"));
    let out = microsim_in(&dir, &["merge", &files[0], &files[0], &files[1], &files[2]], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard 0/3 is in both"));
    let out = microsim_in(&dir, &["merge", "no-such.json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_reproduces_what_explore_found_from_the_seed_alone() {
    let dir = std::env::temp_dir().join(format!("microsim-replay-{}", std::process::id()));
    let found = microsim_in(&dir, &["explore", "discovery", "--variant", "zombie", "--seeds", "5"], &[]);
    assert_eq!(found.status.code(), Some(1));
    let replayed = microsim_in(&dir, &["replay", "discovery", "--variant", "zombie", "--seed", "0x0"], &[]);
    assert_eq!(replayed.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&replayed.stdout);
    assert!(stdout.contains("a deregistration reaches every peer once healed"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_variant_is_a_usage_error_listing_the_variants() {
    check(&["explore", "discovery", "--variant", "bogus"], 2, "", "try one of consistent, available");
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

#[test]
fn bench_first_run_prints_each_run_and_the_first_runs_extra_cost() {
    check(&["bench", "first-run", "10", "3"], 0, "RESULT first-run mode=plain first_ns_per_msg=", "");
    check(&["bench", "first-run", "10", "3"], 0, "   3 ", "");
    check(&["bench", "first-run", "10", "2", "trace"], 0, "later_ns_per_msg=", "");
    check(&["bench", "first-run", "10", "1"], 2, "", "RUNS >= 2");
    check(&["bench", "first-run", "0", "3"], 2, "", "ROUNDS >= 1");
    check(&["bench", "first-run", "10", "3", "bogus"], 2, "", "unknown mode `bogus`");
}

/// Runs microsim in a fresh temporary folder (failures are saved under it).
fn microsim_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_microsim"));
    cmd.args(args).current_dir(dir).env_remove("MICROSIM_SEED").env_remove("MICROSIM_PLAN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the microsim binary runs")
}

#[test]
fn list_names_every_scenario_and_its_variants() {
    check(&["list"], 0, "pingpong", "");
    check(&["list"], 0, "variants: rpc; planted bugs: datagram", "");
    check(&["list"], 0, "variants: correct; planted bugs: stale-read, lost-watch, early-ack", "");
}

#[test]
fn unknown_scenarios_profiles_and_shards_are_usage_errors() {
    check(&["run", "nope"], 2, "", "unknown scenario \"nope\": try one of pingpong");
    check(&["run", "pingpong", "--profile", "loud"], 2, "", "unknown profile \"loud\"");
    check(&["explore", "pingpong", "--shard", "4/4"], 2, "", "\"4/4\" is not a shard");
    check(&["run", "pingpong", "--variant", "udp"], 2, "", "");
}

#[test]
fn an_explored_failure_is_saved_and_its_replay_line_reproduces_it() {
    let stdout = explore_then_replay("datagram", &["explore", "pingpong", "--variant", "datagram", "--seeds", "50"]);
    assert!(!stdout.contains("(under seed"), "no other seed needed: {stdout}");
}

#[test]
fn a_failure_shrunk_under_another_seed_is_saved_with_that_seed_and_replays() {
    // Found at seed 0x3d0906 with 17 plan steps; no step can go under that seed.
    let args = ["explore", "saga", "--variant", "refund-without-key", "--seeds", "20", "--base", "4000000"];
    let stdout = explore_then_replay("reseeded", &args);
    let shrunk = stdout.lines().find(|l| l.starts_with("shrunk in")).expect("a shrink line");
    let seed = shrunk.split("(under seed ").nth(1).and_then(|r| r.split(':').next()).expect("another seed");
    assert!(stdout.contains(&format!("MICROSIM_SEED={seed} ")), "{stdout}");
    assert!(stdout.contains(&format!("saga [refund-without-key] seed {seed}: property: property `saga: a refund")));
}

/// Explores with `args` (in a folder of its own, named after `name`), expects a
/// failure, runs its replay line and checks it fails the same way; the
/// explore's output.
fn explore_then_replay(name: &str, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("microsim-cli-explore-{name}-{}", std::process::id()));
    let out = microsim_in(&dir, args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("replayed with full recording: same verdict and trace hash"), "{stdout}");
    let line = stdout.lines().find_map(|l| l.strip_prefix("replay: ")).expect("a replay line");
    // MICROSIM_SEED=... MICROSIM_PLAN=... cargo run --release -- run SCENARIO --variant VARIANT
    let words: Vec<&str> = line.split_whitespace().collect();
    let env: Vec<(&str, &str)> = words[..2].iter().map(|w| w.split_once('=').unwrap()).collect();
    let replay = &words[words.iter().position(|w| *w == "--").unwrap() + 1..];
    let again = microsim_in(&dir, replay, &env);
    let again_out = String::from_utf8_lossy(&again.stdout).to_string();
    assert_eq!(again.status.code(), Some(1), "{again_out}");
    let head = format!("{} [{}]", args[1], args[3]);
    // The whole report line but the profile the plan was drawn from (a replay
    // of a saved plan names none).
    let verdict = |s: &str| {
        let l = s.lines().find(|l| l.starts_with(&head))?;
        Some(l.find(", profile ").map_or_else(|| l.to_string(), |p| format!("{})", &l[..p])))
    };
    assert!(verdict(&stdout).is_some(), "{stdout}");
    assert_eq!(verdict(&again_out), verdict(&stdout));
    let _ = std::fs::remove_dir_all(&dir);
    stdout
}

#[test]
fn a_run_prints_its_seed_before_it_starts() {
    check(&["run", "pingpong", "--seed", "7"], 0, "seed 0x7 (MICROSIM_SEED=0x7 to replay)", "");
}

#[test]
fn an_unreadable_or_malformed_plan_is_a_usage_error_naming_the_file() {
    check(&["run", "pingpong", "--plan", "/nonexistent/plan.json"], 2, "", "/nonexistent/plan.json: No such file");
    let path = std::env::temp_dir().join(format!("microsim-cli-plan-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"steps": [{"at": "1ms", "fault": "explode"}]}"#).unwrap();
    let p = path.to_str().unwrap();
    check(&["run", "pingpong", "--plan", p], 2, "", "step 1 (at 1ms: explode): unknown variant `explode`");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn check_reports_bad_input_with_the_file_and_line() {
    check(&["check", "--model", "kv", "/nonexistent/h.txt"], 2, "", "cannot read /nonexistent/h.txt");
    check(&["check", "/nonexistent/h.txt"], 2, "", "--model");
    let dir = std::env::temp_dir().join(format!("microsim-cli-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("h.log");
    std::fs::write(&log, "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\n").unwrap();
    let log_str = log.to_str().unwrap();
    check(&["check", "--model", "register-cas", log_str], 2, "", &format!("{log_str}:2: expected `INFO jepsen.util"));
    let tsv = dir.join("expected.tsv");
    std::fs::write(&tsv, "file\tmodel\tlinearizable\nh.log\tregister-cas\tmaybe\n").unwrap();
    let tsv_str = tsv.to_str().unwrap();
    check(&["check", "--expected", tsv_str], 2, "", &format!("{tsv_str}:2: verdict `maybe`: expected true or false"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_prints_a_line_per_file_and_exits_1_on_a_mismatch() {
    let dir = std::env::temp_dir().join(format!("microsim-cli-check-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
    std::fs::write(dir.join("good.log"), good).unwrap();
    std::fs::write(
        dir.join("bad.log"),
        format!("{good}INFO  jepsen.util - 1 :invoke :read nil\nINFO  jepsen.util - 1 :ok :read 2\n"),
    )
    .unwrap();
    let good_path = dir.join("good.log");
    check(&["check", "--model", "register-cas", good_path.to_str().unwrap()], 0, "good.log linearizable=true ms=", "");
    let tsv = dir.join("expected.tsv");
    std::fs::write(&tsv, "file\tmodel\tlinearizable\ngood.log\tregister-cas\ttrue\nbad.log\tregister-cas\ttrue\n")
        .unwrap();
    let tsv_str = tsv.to_str().unwrap();
    check(&["check", "--expected", tsv_str], 1, "bad.log linearizable=false expected=true", "");
    check(&["check", "--expected", tsv_str], 1, "files=2 mismatches=1", "");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_bugs_prints_its_table_and_targets() {
    let args = ["bench", "bugs", "--base-seeds", "1", "--limit", "20", "--scenario", "pingpong"];
    check(&args, 0, "| scenario | bug | strategy | found | wall ms | seeds |", "");
    check(&args, 0, "| pingpong | datagram | pct |", "");
    check(&args, 0, "TARGET bugs_found_under_10s=", "");
    check(&["bench", "bugs", "--scenario", "nope"], 2, "", "unknown scenario \"nope\"");
    check(&["bench", "bugs", "--base-seeds", "0"], 2, "", "at least 1");
}

#[test]
fn bench_scale_prints_its_table_and_the_saga_line() {
    let args = ["bench", "scale", "--msgs", "100", "--runs", "1", "--saga-seeds", "2", "--jobs", "1"];
    check(&args, 0, "| nodes | msgs | ns/msg | vs 3 nodes | µs/run | µs/run/node |", "");
    check(&args, 0, "RESULT scale nodes=3000 ", "");
    check(&args, 0, "RESULT saga jobs=1 seeds=2 ", "");
    check(&["bench", "scale", "--runs", "0"], 2, "", "at least 1");
}

#[test]
fn bench_memory_prints_its_tables() {
    check(&["bench", "memory", "--runs", "100"], 0, "| one run | RSS at start KiB | peak KiB | peak - start KiB |", "");
    check(&["bench", "memory", "--runs", "100"], 0, "RESULT memory runs=100 rss_kib=", "");
    check(&["bench", "memory", "--runs", "5"], 2, "", "--runs must be at least 100");
}

#[test]
fn bench_checker_compares_with_porcupine_times() {
    let dir = super::scratch("bench-checker");
    let good = "INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
    std::fs::write(dir.join("good.log"), good).unwrap();
    std::fs::write(dir.join("expected.tsv"), "file\tmodel\tlinearizable\ngood.log\tregister-cas\ttrue\n").unwrap();
    std::fs::write(dir.join("porcupine-times.tsv"), "file\tverdict\tmedian_ms\ngood.log\ttrue\t0.5\n").unwrap();
    let corpus = dir.to_str().unwrap();
    let header = "| files | with Porcupine times | mismatches | microsim total ms | Porcupine total ms | total ratio |";
    check(&["bench", "checker", "--corpus", corpus, "--repeat", "1"], 0, header, "");
    check(&["bench", "checker", "--corpus", corpus, "--per-file"], 0, "| good.log | true |", "");
    let missing = dir.join("missing");
    check(&["bench", "checker", "--corpus", missing.to_str().unwrap()], 2, "", "cannot read");
}

#[cfg(unix)]
#[test]
fn a_reader_that_goes_away_ends_microsim_quietly() {
    // `microsim bench scale … | head -1`: the reader has gone (its end of the
    // pipe is closed at once) while microsim still has lines to print, after
    // its measurements. It must end quietly, not panic on the closed pipe.
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_microsim"))
        .args(["bench", "scale", "--nodes", "3", "--msgs", "100000", "--runs", "1", "--saga-seeds", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the microsim binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("microsim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "nothing on stderr (no panic): {stderr}");
    assert_eq!(out.status.signal(), Some(13), "ended by SIGPIPE, as `head`'s writers are: {:?}", out.status);
}
