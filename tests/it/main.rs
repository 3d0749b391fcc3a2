//! Tests of the `microsim` command and of what it writes: the command line, the
//! golden traces of the sample scenarios, and the trace views (text, HTML in
//! headless Chromium).

mod browser;
mod cli;
mod examples;
mod golden;
mod hot_path;
mod show;

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `microsim` binary with `args`.
fn microsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microsim")).args(args).output().expect("the microsim binary runs")
}

/// Runs `microsim args` and checks its exit code and what stdout and stderr contain.
fn check(args: &[&str], code: i32, stdout_has: &str, stderr_has: &str) {
    let out = microsim(args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "microsim {args:?}\nstdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains(stdout_has), "microsim {args:?}: stdout lacks {stdout_has:?}:\n{stdout}");
    assert!(stderr.contains(stderr_has), "microsim {args:?}: stderr lacks {stderr_has:?}:\n{stderr}");
}

/// A fresh folder for one test's files, under `target/`.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch folder is created");
    dir
}
