//! `microsim explore` (a sweep of seeds, with a progress bar, a summary, a
//! shrunk and saved failure, or a JSON summary for CI) and `microsim merge`.

use crate::runs::{finish, profile, scenario, spec, usage};
use crate::summary::{merge, Found, Summary};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use microsim::explore::{sweep, SeedRange, Shard, StopAt};
use microsim::failure;
use microsim::property::Coverage;
use microsim::scenario::{coverage, run, Report, Scenario};
use microsim::Seed;
use std::path::PathBuf;
use std::process::ExitCode;

/// `microsim explore` arguments.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  microsim explore pingpong --variant datagram --seeds 1000      # finds the planted bug, shrinks it, saves it
  microsim explore discovery --seeds 10000 --jobs 2 --shard 3/8 --json > shard3.json
  microsim merge shard*.json                                      # the whole sweep's summary

Exit codes: 0 nothing found, 1 a failure found, 2 bad usage or input, 3 internal error.")]
pub struct ExploreArgs {
    /// The scenario (see `microsim list`).
    scenario: String,
    /// The variant (default: the scenario's first).
    #[arg(long, default_value = "")]
    variant: String,
    /// How many seeds (all shards together).
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    base: u64,
    /// Threads.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// This job's shard of the seeds, K/N (seed i goes to shard i mod N).
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// The nemesis profile: default, swarm or quiet.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Print the summary as JSON on stdout (for `microsim merge`); the rest goes to stderr.
    #[arg(long)]
    json: bool,
}

/// `microsim merge` arguments.
#[derive(Debug, Args)]
#[command(after_help = "Example: microsim merge shard0.json shard1.json shard2.json shard3.json --json")]
pub struct MergeArgs {
    /// The JSON summaries (`explore --json`) of every shard of one sweep.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the merged summary as JSON.
    #[arg(long)]
    json: bool,
}

/// What one sweep found: its summary, and the first failure's report.
pub struct Swept {
    /// The summary.
    pub summary: Summary,
    /// The exit code the sweep earns.
    pub code: ExitCode,
}

/// Runs one sweep of `variant` and, if it fails, shrinks and saves the lowest
/// failing seed. Human-readable lines go to `say`.
pub fn sweep_variant(
    scenario: &dyn Scenario,
    variant: &str,
    profile_name: &str,
    range: &SeedRange,
    jobs: usize,
    say: &mut dyn FnMut(String),
) -> Swept {
    let specs = |seed: Seed| spec(scenario, seed, variant, profile_name, None).expect("the profile was checked");
    let bar = ProgressBar::with_draw_target(Some(range.len()), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} seeds {per_sec} {msg} [{elapsed_precise}] {wide_bar}")
            .expect("the template is valid"),
    );
    let started = std::time::Instant::now();
    let result = sweep(
        range,
        jobs,
        StopAt::FirstFailure,
        |p| {
            bar.set_position(p.done);
            if p.failures > 0 {
                bar.set_message(format!("{} failed", p.failures));
            }
        },
        |seed| run(scenario, &specs(seed)).0,
    );
    bar.finish_and_clear();
    let wall_s = started.elapsed().as_secs_f64();
    let mut summary = Summary {
        scenario: scenario.name().to_string(),
        variant: variant.to_string(),
        profile: profile_name.to_string(),
        base: range.base,
        seeds: range.count,
        shards: vec![range.shard.index],
        of: range.shard.of,
        runs: result.runs.len() as u64,
        stopped_early: result.stopped_early,
        wall_s,
        failures: Vec::new(),
        coverage: coverage(result.runs.iter().map(|(_, r): &(Seed, Report)| r)),
    };
    let simulated: f64 = result.runs.iter().map(|(_, r)| r.elapsed.as_secs_f64()).sum();
    say(format!(
        "{} seeds in {wall_s:.2} s ({:.0} seeds/s, {:.0} simulated s per wall s), {} failed",
        summary.runs,
        summary.seeds_per_s(),
        simulated / wall_s.max(1e-9),
        result.failures().count()
    ));
    for line in coverage_lines(&summary.coverage) {
        say(line);
    }
    let Some((seed, report)) = result.first_failure() else {
        return Swept { summary, code: ExitCode::SUCCESS };
    };
    let shrunk = failure::shrink(scenario, &specs(*seed), report, 500);
    // A shrink that could remove no more steps under the failing seed goes on under others.
    let reseeded = if shrunk.spec.seed == *seed {
        String::new()
    } else {
        format!(" (under seed {}: fewer steps fail the same way there)", shrunk.spec.seed)
    };
    say(format!(
        "shrunk in {} runs: {} -> {} plan steps, {} -> {} trace events{reseeded}",
        shrunk.runs, shrunk.steps.0, shrunk.steps.1, shrunk.events.0, shrunk.events.1
    ));
    let (code, saved, text) = finish(scenario, &shrunk.spec, &shrunk.report);
    say(text);
    summary.failures.push(Found { seed: seed.to_string(), verdict: shrunk.report.to_string(), saved });
    Swept { summary, code }
}

/// One line per `sometimes`/`eventually` property; the ones that never held
/// are flagged, since the suite then never reached what they test.
fn coverage_lines(coverage: &[Coverage]) -> impl Iterator<Item = String> + '_ {
    coverage.iter().map(|c| {
        let flag = if c.held == 0 { "  <- never held" } else { "" };
        format!("{:<10} {:<40} held {} of {} checks{flag}", c.kind, c.name, c.held, c.reached)
    })
}

/// `microsim explore`.
pub fn explore(args: ExploreArgs) -> ExitCode {
    let scenario = match scenario(&args.scenario) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let shard: Shard = match args.shard.parse() {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    if let Err(e) = profile(&args.profile, Seed(0)) {
        return usage(e);
    }
    if !args.variant.is_empty() && !scenario.variants().contains(&args.variant.as_str()) {
        let known = scenario.variants().join(", ");
        return usage(format!("unknown variant {:?} of {}: try one of {known}", args.variant, scenario.name()));
    }
    let variant = if args.variant.is_empty() { scenario.variants()[0].to_string() } else { args.variant.clone() };
    let range = SeedRange::new(args.base, args.seeds).shard(shard);
    let json = args.json;
    let mut say = |line: String| if json { eprintln!("{line}") } else { println!("{line}") };
    say(format!(
        "microsim: exploring {} [{variant}] over {} seeds (shard {shard}), {} jobs, profile {}",
        scenario.name(),
        range.len(),
        args.jobs,
        args.profile
    ));
    let swept = sweep_variant(scenario.as_ref(), &variant, &args.profile, &range, args.jobs, &mut say);
    if json {
        println!("{}", serde_json::to_string_pretty(&swept.summary).expect("summaries serialize"));
    }
    swept.code
}

/// `microsim merge`.
pub fn merge_files(args: MergeArgs) -> ExitCode {
    let mut parts = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => return usage(format!("{name}: {e}")),
        };
        match serde_json::from_str::<Summary>(&text) {
            Ok(s) => parts.push((name, s)),
            Err(e) => return usage(format!("{name}: not an `explore --json` summary: {e}")),
        }
    }
    let merged = match merge(parts) {
        Ok(m) => m,
        Err(e) => return usage(e),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&merged).expect("summaries serialize"));
    } else {
        println!(
            "{} [{}] profile {}: {} seeds in {} shards, {} run, {} failed ({:.0} seeds/s summed over jobs)",
            merged.scenario,
            merged.variant,
            merged.profile,
            merged.seeds,
            merged.of,
            merged.runs,
            merged.failures.len(),
            merged.seeds_per_s()
        );
        for f in &merged.failures {
            println!(
                "failure: seed {}: {}{}",
                f.seed,
                f.verdict,
                f.saved.as_ref().map(|s| format!(" (saved in {s})")).unwrap_or_default()
            );
        }
        for line in coverage_lines(&merged.coverage) {
            println!("{line}");
        }
    }
    if merged.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
