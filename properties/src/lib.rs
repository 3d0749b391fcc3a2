//! Property-test suites of the sample services, and the proptest integration
//! they share: strategies for fault plans, and a check that turns a scenario
//! run into a proptest property.
//!
//! A plan is drawn as a list of fault pairs (a fault and the step that undoes
//! it), each with a node, a start and a length. proptest shrinks the list (fewer
//! pairs), the lengths (shorter faults) and the starts, which count back from
//! the end of the chaos window (so a shrunk fault starts later); what remains is
//! the smallest story that still fails.

use microsim::nemesis::make_valid;
use microsim::plan::{Fault, FaultPlan, LinkRef, PlanTime, Step};
use microsim::scenario::{run, RunSpec, Scenario, Verdict};
use microsim::Seed;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::time::Duration;

/// The kinds of fault pairs a plan strategy draws.
const KINDS: [&str; 6] = ["crash", "pause", "partition", "cut", "clog", "loss"];

/// One fault pair as drawn: kind, node(s), start counted back from the end of
/// the window, length (all in microseconds).
type Pair = (usize, usize, usize, u64, u64);

fn pair_steps((kind, a, b, back_us, len_us): Pair, nodes: &[String], window_us: u64) -> Vec<Step> {
    let at = |us: u64| PlanTime(Duration::from_micros(us));
    let start = window_us.saturating_sub(back_us.min(window_us));
    let end = (start + len_us).min(window_us);
    let (n, m) = (nodes[a % nodes.len()].clone(), nodes[b % nodes.len()].clone());
    let link = LinkRef { from: n.clone(), to: m.clone() };
    let (fault, undo) = match KINDS[kind % KINDS.len()] {
        "crash" => (Fault::Crash { node: n.clone() }, Fault::Restart { node: n }),
        "pause" => (Fault::Pause { node: n.clone() }, Fault::Resume { node: n }),
        "partition" => {
            let rest: Vec<String> = nodes.iter().filter(|x| **x != n).cloned().collect();
            (Fault::Partition { groups: vec![vec![n], rest] }, Fault::HealNetwork)
        }
        "cut" => (Fault::Cut { link }, Fault::HealNetwork),
        "clog" => (Fault::Clog { link: link.clone() }, Fault::Unclog { link }),
        _ => (Fault::Loss { rate: 0.5, link: Some(link.clone()) }, Fault::Loss { rate: 0.0, link: Some(link) }),
    };
    vec![Step { at: at(start), fault }, Step { at: at(end), fault: undo }]
}

/// Plans of up to `max_pairs` fault pairs over the nodes, within `window`,
/// ending with `heal_all` at the end of the window.
pub fn plans(nodes: Vec<String>, window: Duration, max_pairs: usize) -> impl Strategy<Value = FaultPlan> {
    let window_us = window.as_micros() as u64;
    let pair = (0..KINDS.len(), 0..nodes.len(), 0..nodes.len(), 0..=window_us, 0..=window_us);
    proptest::collection::vec(pair, 0..=max_pairs).prop_map(move |pairs| {
        let mut steps: Vec<Step> = pairs.into_iter().flat_map(|p| pair_steps(p, &nodes, window_us)).collect();
        steps.sort_by_key(|s| s.at);
        let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
        let mut plan = make_valid(FaultPlan::new(steps), &names);
        plan.steps.push(Step { at: PlanTime(window), fault: Fault::HealAll });
        plan
    })
}

/// Workload sizes from 1 to `max` (proptest shrinks them toward 1).
pub fn workloads(max: u32) -> impl Strategy<Value = u32> {
    1..=max.max(1)
}

/// Runs `scenario`'s `variant` with `seed` and `plan` as a proptest case: a
/// failed run fails the case, with the report (and the plan) as its message.
pub fn check_scenario(
    scenario: &dyn Scenario,
    variant: &str,
    seed: u64,
    plan: &FaultPlan,
) -> Result<(), TestCaseError> {
    check_run(scenario, &RunSpec { variant: variant.to_string(), plan: plan.clone(), ..RunSpec::new(Seed(seed)) })
}

/// Runs `spec` of `scenario` as a proptest case (see [`check_scenario`]); use it
/// to draw the workload size too.
pub fn check_run(scenario: &dyn Scenario, spec: &RunSpec) -> Result<(), TestCaseError> {
    let (report, _) = run(scenario, spec);
    match report.verdict {
        Verdict::Pass => Ok(()),
        Verdict::Invalid(why) => Err(TestCaseError::reject(why)),
        _ => Err(TestCaseError::fail(format!("{report}\nplan: {}", spec.plan.to_json()))),
    }
}

/// Sequences of the simulator's own choices (see `microsim::choices`): half of
/// them independent numbers, half one number repeated (a steady bias, which
/// finds orderings that must hold for many steps in a row, as PCT's priorities
/// do). proptest shrinks them toward fewer and smaller numbers, that is toward
/// the shortest latencies, the first ready task and no loss.
pub fn choices(max_len: usize) -> impl Strategy<Value = microsim::Choices> {
    prop_oneof![
        proptest::collection::vec(any::<u32>(), 0..=max_len),
        (any::<u32>(), 0..=max_len).prop_map(|(c, n)| vec![c; n]),
    ]
    .prop_map(microsim::Choices::new)
}
