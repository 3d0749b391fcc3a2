//! The main job (`microsim` with no arguments, or `microsim tour`): every
//! sample scenario explored under its nemesis. The correct variants must hold
//! over their seeds; each planted bug must be caught, shrunk and saved with its
//! report, trace and HTML diagram. Ends with a table and where the files are.

use crate::explore::sweep_variant;
use clap::Args;
use microsim::explore::SeedRange;
use std::process::ExitCode;
use std::time::Instant;

/// `microsim tour` arguments.
#[derive(Debug, Args)]
pub struct TourArgs {
    /// Seeds per correct variant (the pingpong scenario runs ten times as many).
    #[arg(long, default_value_t = 5000)]
    seeds: u64,
    /// Seeds to look for each planted bug in, at most.
    #[arg(long, default_value_t = 1000)]
    bug_seeds: u64,
    /// Threads.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
}

impl Default for TourArgs {
    fn default() -> TourArgs {
        TourArgs { seeds: 5000, bug_seeds: 1000, jobs: 2 }
    }
}

struct Row {
    scenario: String,
    variant: String,
    bug: bool,
    runs: u64,
    seeds_per_s: f64,
    result: String,
    ok: bool,
}

/// Takes the tour; exit 0 when every correct variant held and every planted bug was caught.
pub fn tour(args: TourArgs) -> ExitCode {
    let started = Instant::now();
    println!(
        "microsim: a tour of the sample scenarios on {} threads. Correct variants must hold over their seeds; \
         planted bugs must be caught, shrunk and saved.\n",
        args.jobs
    );
    let mut rows = Vec::new();
    let mut quiet = |_: String| {};
    for scenario in microsim_services::scenarios() {
        for &variant in scenario.variants() {
            let bug = scenario.planted_bugs().contains(&variant);
            let seeds = match (bug, scenario.name()) {
                (true, _) => args.bug_seeds,
                (false, "pingpong") => args.seeds * 10,
                (false, _) => args.seeds,
            };
            print!("{:<10} {:<27} ", scenario.name(), variant);
            let _ = std::io::Write::flush(&mut std::io::stdout());
            let swept =
                sweep_variant(scenario.as_ref(), variant, "default", &SeedRange::new(0, seeds), args.jobs, &mut quiet);
            let s = &swept.summary;
            let (result, ok) = match (bug, s.failures.first()) {
                (false, None) => (format!("holds over {} seeds", s.runs), true),
                (false, Some(f)) => (format!("FAILED at seed {}: {}", f.seed, f.verdict), false),
                (true, Some(f)) => {
                    let at = f.saved.clone().unwrap_or_else(|| "(not saved)".into());
                    (format!("caught at seed {}, shrunk and saved in {at}", f.seed), true)
                }
                (true, None) => (format!("NOT caught in {} seeds", s.runs), false),
            };
            println!("{result}");
            rows.push(Row {
                scenario: scenario.name().into(),
                variant: variant.into(),
                bug,
                runs: s.runs,
                seeds_per_s: s.seeds_per_s(),
                result,
                ok,
            });
        }
    }
    println!("\n{:<10} {:<27} {:<11} {:>7} {:>9}  result", "scenario", "variant", "kind", "seeds", "seeds/s");
    for r in &rows {
        let kind = if r.bug { "planted bug" } else { "must hold" };
        let short = r.result.split(", shrunk").next().unwrap_or(&r.result);
        println!("{:<10} {:<27} {:<11} {:>7} {:>9.0}  {short}", r.scenario, r.variant, kind, r.runs, r.seeds_per_s);
    }
    println!(
        "\n{} variants in {:.1} s. Each caught bug's folder has report.txt (with the replay command), plan.json, \
         trace.jsonl and trace.html (open it in a browser); `microsim show <trace.jsonl>` draws it as text.",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    if rows.iter().all(|r| r.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
