//! Golden traces: recorded runs of the sample scenarios under a fixed fault plan,
//! kept in `traces/golden/`. A run that no longer gives its golden trace fails
//! with the first diverging event: a code change altered what a seed does.
//!
//! When the change is intended, rewrite them deliberately and review the diff
//! like any other change:
//!
//! ```sh
//! MICROSIM_UPDATE_GOLDEN=1 cargo test --test it golden
//! ```

use microsim::plan::FaultPlan;
use microsim::scenario::Scenario;
use microsim::scenario::{run, RunSpec};
use microsim::{RecordMode, Seed};
use microsim_services::config::ConfigScenario;
use microsim_services::discovery::{nemesis, DiscoveryScenario};
use microsim_services::pingpong::PingPongScenario;
use microsim_services::saga::SagaScenario;
use microsim_traces::{diff_readers, write_jsonl, TraceReader};
use std::path::PathBuf;

/// The environment variable that rewrites the golden traces instead of checking them.
const UPDATE_VAR: &str = "MICROSIM_UPDATE_GOLDEN";

/// Round trips per client: small, so the files stay readable.
const ROUNDS: u32 = 3;

/// A partition that cuts client0 off for a while, then a pause of the server.
const PLAN: &str = r#"{"steps": [
    {"at": "3ms", "fault": "partition", "groups": [["client0"], ["server", "client1"]]},
    {"at": "60ms", "fault": "heal_network"},
    {"at": "70ms", "fault": "pause", "node": "server"},
    {"at": "75ms", "fault": "resume", "node": "server"}
]}"#;

/// Runs pingpong `variant` under `seed` and checks its trace against (or, with
/// `MICROSIM_UPDATE_GOLDEN=1`, writes) its golden file.
fn check(variant: &str, seed: u64) {
    let plan = FaultPlan::from_json(PLAN).expect("the golden plan parses");
    let spec = RunSpec { variant: variant.into(), plan, workload: Some(ROUNDS), ..RunSpec::new(Seed(seed)) };
    check_scenario(&PingPongScenario { rounds: ROUNDS }, spec);
}

/// Runs `spec` of `scenario` with full recording and checks its trace against
/// (or, with `MICROSIM_UPDATE_GOLDEN=1`, writes) its golden file.
fn check_scenario(scenario: &dyn Scenario, spec: RunSpec) {
    let (name, variant, seed) = (scenario.name().to_string(), spec.variant.clone(), spec.seed.0);
    let spec = RunSpec { record: RecordMode::Full, ..spec };
    let (report, outcome) = run(scenario, &spec);
    let mut trace = outcome.expect("the golden run is set up").into_trace();
    report.describe_trace(&mut trace.header);
    let mut fresh = Vec::new();
    write_jsonl(&trace, &mut fresh).expect("the trace is written");
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("traces/golden/{name}-{variant}-seed{seed}.jsonl"));
    if std::env::var_os(UPDATE_VAR).is_some_and(|v| v == "1") {
        std::fs::write(&file, &fresh).expect("the golden trace is written");
        return;
    }
    let golden = std::fs::read(&file).unwrap_or_else(|e| {
        panic!("{}: {e}; record it with {UPDATE_VAR}=1 cargo test --test it golden", file.display())
    });
    let mut want = TraceReader::new(&golden[..]).expect("the golden trace reads");
    let mut got = TraceReader::new(&fresh[..]).expect("the fresh trace reads");
    if let Some(d) = diff_readers(&mut want, &mut got, 5).expect("both traces read") {
        panic!(
            "{name} {variant} seed {seed} no longer gives its golden trace (A: {}, B: this run):\n{d}\n\
             If the change is intended, rewrite the golden traces with {UPDATE_VAR}=1 and review the diff.",
            file.display()
        );
    }
}

#[test]
fn rpc_seeds_replay_their_golden_traces() {
    for seed in [1, 2, 3] {
        check("rpc", seed);
    }
}

#[test]
fn datagram_seeds_replay_their_golden_traces() {
    for seed in [1, 2] {
        check("datagram", seed);
    }
}

#[test]
fn discovery_seeds_replay_their_golden_traces() {
    for variant in ["consistent", "available"] {
        let spec = RunSpec { variant: variant.into(), plan: nemesis(1), ..RunSpec::new(Seed(1)) };
        check_scenario(&DiscoveryScenario, spec);
    }
}

#[test]
fn config_and_saga_seeds_replay_their_golden_traces() {
    let nemesis = microsim::nemesis::Profile::default();
    for scenario in [&ConfigScenario::new(30) as &dyn Scenario, &SagaScenario] {
        let variant = scenario.variants()[0].to_string();
        let spec = RunSpec { variant, plan: scenario.plan(Seed(1), &nemesis), ..RunSpec::new(Seed(1)) };
        check_scenario(scenario, spec);
    }
}
