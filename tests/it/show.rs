//! `microsim show` and `microsim diff` on trace files, as a user runs them.

use super::{check, microsim, scratch};
use std::path::{Path, PathBuf};

/// A golden trace of the repository, by name.
fn golden(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces/golden").join(name);
    path.to_str().expect("a UTF-8 path").to_string()
}

/// Writes `text` to `name` in `dir`; its path.
fn file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the file is written");
    path.to_str().expect("a UTF-8 path").to_string()
}

#[test]
fn show_draws_a_trace_as_text_by_default() {
    let trace = golden("pingpong-rpc-seed1.jsonl");
    check(&["show", &trace], 0, "# microsim trace: pingpong [rpc], seed 0x0000000000000001", "");
    check(&["show", &trace, "--text"], 0, "        time ms  server   client0  client1", "");
}

#[test]
fn show_filters_by_node_time_kind_and_level() {
    let trace = golden("pingpong-rpc-seed1.jsonl");
    let out = microsim(&["show", &trace, "--node", "server", "--from", "3ms", "--to", "80ms", "--kind", "fault"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    let rows: Vec<&str> = shown.lines().filter(|l| !l.starts_with('#')).skip(1).collect();
    assert_eq!(rows.len(), 4, "{shown}");
    assert!(rows.iter().all(|r| r.contains("FAULT")), "{shown}");
    check(&["show", &trace, "--level", "warn", "--kind", "log"], 0, "time ms", "");
}

#[test]
fn show_calls_draws_one_tree_per_request() {
    let trace = golden("pingpong-rpc-seed1.jsonl");
    check(&["show", &trace, "--calls"], 0, "client0 -> server Ping (call 1)", "");
}

#[test]
fn show_rejects_bad_input_with_exit_code_2_naming_file_and_line() {
    let dir = scratch("show-bad-input");
    let good = std::fs::read_to_string(golden("pingpong-rpc-seed1.jsonl")).expect("golden trace");
    let mut lines: Vec<&str> = good.lines().collect();
    lines[3] = r#"{"t":"soon","node":"server","ev":"start"}"#;
    let bad = file(&dir, "bad.jsonl", &(lines.join("\n") + "\n"));
    check(&["show", &bad], 2, "", &format!("{bad}:4: field \"t\": expected an unsigned integer"));
    check(&["show", "/nonexistent/t.jsonl"], 2, "", "/nonexistent/t.jsonl: cannot read the trace");
    let trace = golden("pingpong-rpc-seed1.jsonl");
    check(&["show", &trace, "--node", "nobody"], 2, "", "unknown node \"nobody\"");
    check(&["show", &trace, "--kind", "sned"], 2, "", "unknown event kind \"sned\"");
    check(&["show", &trace, "--from", "soon"], 2, "", "\"soon\" is not a time");
    check(&["show", &trace, "--text", "--calls"], 2, "", "cannot be used with");
}

#[test]
fn diff_of_the_same_trace_is_clean() {
    let trace = golden("pingpong-rpc-seed1.jsonl");
    check(&["diff", &trace, &trace], 0, "the traces have the same events", "");
}

#[test]
fn diff_names_the_first_diverging_event_and_exits_1() {
    let (a, b) = (golden("pingpong-rpc-seed1.jsonl"), golden("pingpong-rpc-seed2.jsonl"));
    check(&["diff", &a, &b], 1, "the traces differ at event 11:", "");
    check(&["diff", &a, &b], 1, "A (line 12) {\"t\":", "");
    check(&["diff", &a, &b], 1, "the runs differ in seed: A 0x1, B 0x2", "");
    check(&["diff", &a, "/nonexistent/b.jsonl"], 2, "", "/nonexistent/b.jsonl: cannot read the trace");
}

#[test]
fn a_run_trace_carries_scenario_variant_plan_and_profile() {
    let dir = scratch("run-trace-header");
    let path = dir.join("t.jsonl");
    let path = path.to_str().expect("a UTF-8 path");
    check(
        &["run", "pingpong", "--variant", "rpc", "--seed", "5", "--profile", "default", "--trace", path],
        0,
        "trace:",
        "",
    );
    let text = std::fs::read_to_string(path).expect("the trace is written");
    let head = text.lines().next().expect("a header line");
    assert!(head.contains(r#""scenario":"pingpong","variant":"rpc","seed":"0x0000000000000005","plan":{"steps":["#));
    assert!(head.contains(r#""profile":"profile default"#), "{head}");
}

#[test]
fn show_html_writes_one_page_and_bad_marks_are_named() {
    let dir = scratch("show-html");
    let trace = golden("pingpong-rpc-seed2.jsonl");
    let page = dir.join("t.html");
    let page = page.to_str().expect("a UTF-8 path");
    check(&["show", &trace, "--html", page, "--node", "server", "--node", "client0"], 0, "wrote", "");
    let html = std::fs::read_to_string(page).expect("the page is written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains(r#""nodes":["server","client0"]"#));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "the page fetches nothing");
    let marks = file(&dir, "marks.json", r#"{"ops": [{"process": "p"}]}"#);
    check(&["show", &trace, "--html", page, "--marks", &marks], 2, "", "marks.json: not marks");
    check(&["show", &trace, "--marks", &marks], 2, "", "--html");
}
