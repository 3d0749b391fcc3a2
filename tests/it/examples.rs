//! Every teaching example runs (in its fast mode, `MICROSIM_FAST=1`) and
//! tells its whole story: the bug found, the fix holding.
//!
//! `cargo test` builds the examples next to the test binaries
//! (`target/<profile>/examples/`); this runs those binaries.

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>").join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test` builds the examples (or run `cargo build --examples` first)",
        path.display()
    );
    path
}

/// Runs example `name` in a fresh folder (its failures are saved there) and
/// checks that its output says each of `says`.
fn check(name: &str, says: &[&str]) {
    let dir = std::env::temp_dir().join(format!("microsim-example-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(example(name)).current_dir(&dir).env("MICROSIM_FAST", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for s in says {
        assert!(stdout.contains(s), "{name} does not say {s:?}:\n{stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const LESSON: [&str; 5] = ["found at seed", "The shrunk story", "What went wrong.", "What prevents it.", "holds over"];

#[test]
fn hello_shows_the_partition_and_the_dropped_pings() {
    check("hello", &["FAULT \"partition", "DROP", "same seed gives the same trace hash"]);
}

#[test]
fn the_pingpong_example_replays_its_hash() {
    check("pingpong", &["same seed, same trace hash"]);
}

#[test]
fn split_brain_tells_its_lesson() {
    check("split_brain", &LESSON);
}

#[test]
fn clock_skew_tells_its_lesson() {
    check("clock_skew", &LESSON);
}

#[test]
fn stale_config_tells_its_lesson() {
    check("stale_config", &LESSON);
}

#[test]
fn lost_watch_tells_its_lesson() {
    check("lost_watch", &LESSON);
}

#[test]
fn double_charge_tells_its_lesson() {
    check("double_charge", &LESSON);
}

#[test]
fn missing_compensation_tells_its_lesson() {
    check("missing_compensation", &LESSON);
}

#[test]
fn lost_order_tells_its_lesson() {
    check("lost_order", &LESSON);
}

#[test]
fn retry_storm_shows_the_amplification() {
    check("retry_storm", &["retry-storm", "What went wrong.", "What prevents it."]);
}

#[test]
fn the_readmes_first_scenario_finds_and_shrinks_its_bug() {
    check("first_scenario", &["each increment counts once", "shrunk to 2 plan steps", r#""fault": "heal_all""#]);
}
