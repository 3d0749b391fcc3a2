//! What every teaching example does, in one place: find the planted bug of a
//! sample scenario under its nemesis, shrink it, tell its story (the shrunk
//! plan and a text diagram of the end of the run), write the HTML diagram,
//! explain what went wrong and which real-world pattern prevents it, then run
//! the fixed variant over many seeds and show that it holds.
//!
//! `MICROSIM_FAST=1` runs fewer seeds (the tests run every example that way).

use microsim::explore::{sweep, SeedRange, StopAt};
use microsim::failure;
use microsim::nemesis::Profile;
use microsim::scenario::{run, RunSpec, Scenario};
use microsim::Seed;
use microsim_traces::view::{text::write_text, Filter};
use std::path::Path;

/// One lesson: a scenario, its buggy and fixed variants, and what to say.
pub struct Lesson {
    /// The title printed first.
    pub title: &'static str,
    /// The scenario's name (see `microsim list`).
    pub scenario: &'static str,
    /// The variant with the bug.
    pub buggy: &'static str,
    /// The variant without it.
    pub fixed: &'static str,
    /// The nodes the diagram shows.
    pub nodes: &'static [&'static str],
    /// How much virtual time before the failure the diagram shows, in ms.
    pub window_ms: u64,
    /// What went wrong, in a few sentences.
    pub what_went_wrong: &'static str,
    /// The real-world pattern that prevents it.
    pub pattern: &'static str,
}

fn spec(scenario: &dyn Scenario, variant: &str, seed: Seed) -> RunSpec {
    let profile = Profile::default();
    RunSpec {
        variant: variant.into(),
        plan: scenario.plan(seed, &profile),
        profile: Some(profile.to_string()),
        ..RunSpec::new(seed)
    }
}

/// Teaches `lesson`; panics (a failed example) if the bug is not found or the fix does not hold.
pub fn teach(lesson: &Lesson) {
    let fast = std::env::var_os("MICROSIM_FAST").is_some();
    let (bug_seeds, fixed_seeds) = if fast { (500, 20) } else { (2000, 1000) };
    let scenario = microsim_services::scenario(lesson.scenario).expect("a sample scenario");
    let scenario = scenario.as_ref();
    println!("== {} ==\n", lesson.title);
    println!("Looking for the bug of `{}` [{}] over up to {bug_seeds} seeds...", lesson.scenario, lesson.buggy);
    let found = sweep(
        &SeedRange::new(0, bug_seeds),
        2,
        StopAt::FirstFailure,
        |_| {},
        |seed| run(scenario, &spec(scenario, lesson.buggy, seed)).0,
    );
    let (seed, report) = found.first_failure().expect("the planted bug is found");
    println!("found at seed {seed} ({} seeds run):\n  {report}\n", found.runs.len());
    let shrunk = failure::shrink(scenario, &spec(scenario, lesson.buggy, *seed), report, 300);
    println!("The shrunk story ({} -> {} plan steps):", shrunk.steps.0, shrunk.steps.1);
    for step in &shrunk.spec.plan.steps {
        println!("  {step}");
    }
    if shrunk.spec.plan.steps.is_empty() {
        println!("  (no fault at all: the bug needs none)");
    }
    let dir = failure::save(scenario, &shrunk.spec, &shrunk.report, Path::new(".")).expect("the failure is saved");
    let end = shrunk.report.elapsed.as_nanos() as u64;
    let filter = Filter {
        nodes: lesson.nodes.iter().map(|n| n.to_string()).collect(),
        from_ns: Some(end.saturating_sub(lesson.window_ms * 1_000_000)),
        kinds: ["send", "deliver", "drop", "fault", "crash", "restart", "pause", "resume", "log"]
            .iter()
            .map(|k| k.to_string())
            .collect(),
        ..Filter::default()
    };
    let trace = std::fs::File::open(dir.join("trace.jsonl")).expect("the trace was saved");
    let mut reader = microsim_traces::TraceReader::new(std::io::BufReader::new(trace)).expect("the trace reads");
    let mut diagram = Vec::new();
    write_text(&mut reader, &filter, &mut diagram).expect("the diagram is drawn");
    let diagram = String::from_utf8_lossy(&diagram);
    let lines: Vec<&str> = diagram.lines().collect();
    let shown = 45;
    println!("\nThe last {} ms before the failure, as a text diagram:", lesson.window_ms);
    if lines.len() > shown {
        println!("{}", lines[..3].join("\n"));
        println!("  ... ({} rows not shown) ...", lines.len() - shown);
        println!("{}", lines[lines.len() - (shown - 3)..].join("\n"));
    } else {
        println!("{diagram}");
    }
    println!("\nThe whole run: {} (open it in a browser), {}", dir.join("trace.html").display(), dir.display());
    println!("\nWhat went wrong. {}\n", lesson.what_went_wrong);
    println!("What prevents it. {}\n", lesson.pattern);
    let fixed = sweep(
        &SeedRange::new(0, fixed_seeds),
        2,
        StopAt::FirstFailure,
        |_| {},
        |seed| run(scenario, &spec(scenario, lesson.fixed, seed)).0,
    );
    if let Some((seed, report)) = fixed.first_failure() {
        panic!("the fixed variant failed at seed {seed}: {report}");
    }
    println!("The fixed variant `{}` holds over {} seeds of the same nemesis.", lesson.fixed, fixed.runs.len());
}
