//! Fault plans as data: reading, writing, and refusing bad plans with the step named.

use microsim::plan::{Fault, FaultPlan, LinkRef, PlanError, PlanTime, Step};
use std::time::Duration;

const NODES: [&str; 3] = ["web", "db", "cache"];

/// Reads `json` and validates it against NODES and a 10 s horizon; returns the
/// error text, or "ok".
fn check(json: &str) -> String {
    match FaultPlan::from_json(json).and_then(|p| p.validate(&NODES, Duration::from_secs(10)).map(|()| p)) {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

fn steps(body: &str) -> String {
    format!(r#"{{"steps": [{body}]}}"#)
}

#[test]
fn a_plan_of_every_fault_kind_round_trips_through_json() {
    let json = steps(
        r#"{"at": "1ms", "fault": "crash", "node": "db"},
        {"at": "2ms", "fault": "restart", "node": "db"},
        {"at": "3ms", "fault": "crash_wipe", "node": "db"},
        {"at": "3ms", "fault": "restart", "node": "db"},
        {"at": "4ms", "fault": "pause", "node": "web"},
        {"at": "5ms", "fault": "resume", "node": "web"},
        {"at": "6ms", "fault": "partition", "groups": [["web"], ["db", "cache"]]},
        {"at": "7ms", "fault": "cut", "from": "web", "to": "db"},
        {"at": "8ms", "fault": "clog", "from": "db", "to": "web"},
        {"at": "9ms", "fault": "unclog", "from": "db", "to": "web"},
        {"at": "10ms", "fault": "loss", "rate": 0.1},
        {"at": "11ms", "fault": "duplicate", "rate": 0.05, "link": {"from": "web", "to": "db"}},
        {"at": "12ms", "fault": "latency", "latency": {"dist": "uniform", "min": "1ms", "max": "50ms"}},
        {"at": "13ms", "fault": "heal_network"},
        {"at": "14ms", "fault": "clock_offset", "node": "db", "offset": "-250ms"},
        {"at": "15ms", "fault": "clock_drift", "node": "db", "ppm": 500.0},
        {"at": "16ms", "fault": "clock_jump", "node": "cache", "by": "2s"},
        {"at": "16ms", "fault": "clock_resync", "node": "cache"},
        {"at": "17ms", "fault": "disk", "node": "db", "torn_writes": true, "sync_error_rate": 0.01},
        {"at": "1.5s", "fault": "heal_all"}"#,
    );
    assert_eq!(check(&json), "ok");
    let plan = FaultPlan::from_json(&json).unwrap();
    assert_eq!(plan.steps.len(), 20);
    assert_eq!(FaultPlan::from_json(&plan.to_json()).unwrap(), plan, "written and read back:\n{}", plan.to_json());
    let kinds: std::collections::BTreeSet<&str> = plan.steps.iter().map(|s| s.fault.kind()).collect();
    assert_eq!(kinds.len(), 19, "every fault kind appears: {kinds:?}");
}

#[test]
fn steps_print_as_one_line_each() {
    let step = |at_ms, fault| Step { at: PlanTime(Duration::from_millis(at_ms)), fault };
    let link = LinkRef { from: "web".into(), to: "db".into() };
    assert_eq!(step(150, Fault::Crash { node: "db".into() }).to_string(), "at 150ms: crash db");
    assert_eq!(step(1500, Fault::Cut { link: link.clone() }).to_string(), "at 1.5s: cut web->db");
    assert_eq!(step(2, Fault::Loss { rate: 0.25, link: Some(link) }).to_string(), "at 2ms: loss 0.25 web->db");
    let groups = vec![vec!["web".to_string()], vec!["db".into(), "cache".into()]];
    assert_eq!(step(3, Fault::Partition { groups }).to_string(), "at 3ms: partition [web] | [db cache]");
}

#[test]
fn malformed_json_names_line_and_column() {
    let err = check("{\"steps\": [\n  {\"at\": \"1ms\",, }\n]}");
    assert!(err.starts_with("plan is not valid JSON (line 2, column"), "{err}");
}

#[test]
fn the_wrong_shape_is_refused() {
    assert_eq!(check("[]"), r#"plan: expected an object {"steps": [...]}, found something else"#);
    assert_eq!(check("{}"), r#"plan: expected an object {"steps": [...]}, found no "steps" array"#);
    assert_eq!(
        check(r#"{"steps": [], "seed": 1}"#),
        r#"plan: expected an object {"steps": [...]}, found an unknown field "seed""#
    );
}

#[test]
fn an_unknown_fault_kind_names_the_step_and_the_kinds() {
    let err = check(&steps(
        r#"{"at": "1ms", "fault": "crash", "node": "db"}, {"at": "2ms", "fault": "explode", "node": "db"}"#,
    ));
    assert!(err.starts_with("step 2 (at 2ms: explode): unknown variant `explode`, expected one of"), "{err}");
    assert!(err.contains("`crash`") && err.contains("`heal_all`"), "{err}");
}

#[test]
fn a_misspelt_or_missing_field_names_the_step() {
    let err = check(&steps(r#"{"at": "1ms", "fault": "crash", "nod": "db"}"#));
    assert!(err.starts_with("step 1 (at 1ms: crash):") && err.contains("nod"), "{err}");
    let err = check(&steps(r#"{"fault": "crash", "node": "db"}"#));
    assert!(err.starts_with("step 1 (at ?: crash): missing field `at`"), "{err}");
}

#[test]
fn a_bad_time_says_what_is_expected() {
    let err = check(&steps(r#"{"at": "soon", "fault": "heal_all"}"#));
    assert!(err.starts_with("step 1 (at soon: heal_all):") && err.contains("expected e.g. \"150ms\""), "{err}");
}

#[test]
fn unknown_nodes_are_refused_with_the_known_ones_listed() {
    let err = check(&steps(r#"{"at": "1ms", "fault": "pause", "node": "dB"}"#));
    assert_eq!(err, r#"step 1 (at 1ms: pause dB): unknown node "dB" (the nodes are: web, db, cache)"#);
    let err = check(&steps(r#"{"at": "1ms", "fault": "cut", "from": "web", "to": "queue"}"#));
    assert!(err.contains(r#"unknown node "queue""#), "{err}");
}

#[test]
fn impossible_transitions_are_refused() {
    let restart_up = check(&steps(r#"{"at": "1ms", "fault": "restart", "node": "db"}"#));
    assert_eq!(restart_up, "step 1 (at 1ms: restart db): node db is up here, expected crashed");
    let twice = check(&steps(
        r#"{"at": "1ms", "fault": "crash", "node": "db"}, {"at": "2ms", "fault": "crash", "node": "db"}"#,
    ));
    assert_eq!(twice, "step 2 (at 2ms: crash db): node db is crashed here, expected up or paused");
    let resume_up = check(&steps(r#"{"at": "1ms", "fault": "resume", "node": "web"}"#));
    assert_eq!(resume_up, "step 1 (at 1ms: resume web): node web is up here, expected paused");
    let healed = steps(
        r#"{"at": "1ms", "fault": "crash", "node": "db"}, {"at": "2ms", "fault": "heal_all"}, {"at": "3ms", "fault": "crash", "node": "db"}"#,
    );
    assert_eq!(check(&healed), "ok", "heal_all restarts crashed nodes");
}

#[test]
fn steps_out_of_order_or_past_the_horizon_are_refused() {
    let err = check(&steps(r#"{"at": "5ms", "fault": "heal_all"}, {"at": "4ms", "fault": "heal_all"}"#));
    assert_eq!(err, "step 2 (at 4ms: heal_all): steps must be in time order, but the step before is at 5ms");
    let err = check(&steps(r#"{"at": "11s", "fault": "heal_all"}"#));
    assert_eq!(err, "step 1 (at 11s: heal_all): past the run's time limit of 10s");
}

#[test]
fn rates_bounds_and_groups_are_checked() {
    let err = check(&steps(r#"{"at": "1ms", "fault": "loss", "rate": 1.5}"#));
    assert_eq!(err, "step 1 (at 1ms: loss 1.5): rate 1.5 is not a probability: expected 0 to 1");
    let err = check(&steps(r#"{"at": "1ms", "fault": "disk", "node": "db", "read_error_rate": -0.1}"#));
    assert!(err.ends_with("read_error_rate -0.1 is not a probability: expected 0 to 1"), "{err}");
    let err = check(&steps(
        r#"{"at": "1ms", "fault": "latency", "latency": {"dist": "uniform", "min": "5ms", "max": "1ms"}}"#,
    ));
    assert!(err.ends_with("latency bounds out of order: expected min <= (median <=) max"), "{err}");
    let err = check(&steps(r#"{"at": "1ms", "fault": "partition", "groups": [["web", "db"], ["db"]]}"#));
    assert!(err.ends_with(r#"node "db" is in more than one group"#), "{err}");
    let err = check(&steps(r#"{"at": "1ms", "fault": "partition", "groups": [["web"]]}"#));
    assert!(err.ends_with("a partition needs at least two non-empty groups"), "{err}");
}

#[test]
fn errors_are_values_callers_can_match() {
    let err = FaultPlan::from_json(&steps(r#"{"at": "1ms", "fault": "loss", "rate": 2.0}"#)).unwrap_err();
    assert!(matches!(err, PlanError::Step { index: 1, .. }), "{err:?}");
}
