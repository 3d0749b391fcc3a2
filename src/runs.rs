//! `microsim list`, `microsim run` and `microsim explore`: scenarios from the
//! command line, with fault plans, sweeps and saved failures.

use clap::Args;
use microsim::explore::{sweep, SeedRange, Shard, StopAt};
use microsim::failure;
use microsim::nemesis::Profile;
use microsim::plan::FaultPlan;
use microsim::scenario::{run, RunSpec, Scenario};
use microsim::Seed;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The virtual time over which random plans place their faults.
const CHAOS_HORIZON: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario (see `microsim list`).
    scenario: String,
    /// The variant (default: the scenario's first).
    #[arg(long, default_value = "")]
    variant: String,
    /// The seed, decimal or 0x-hex (default: MICROSIM_SEED, else a fresh one, printed).
    #[arg(long)]
    seed: Option<String>,
    /// A saved fault plan (default: MICROSIM_PLAN, else one drawn by --profile).
    #[arg(long)]
    plan: Option<PathBuf>,
    /// The nemesis profile that draws a plan when none is given: default, swarm or quiet.
    #[arg(long, default_value = "quiet")]
    profile: String,
    /// Record every event and write the trace here as JSON lines (see `microsim show`).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

#[derive(Debug, Args)]
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
    /// This job's shard of the seeds, K/N.
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// The nemesis profile: default, swarm or quiet.
    #[arg(long, default_value = "default")]
    profile: String,
}

fn scenario(name: &str) -> Result<Box<dyn Scenario>, String> {
    microsim_services::scenario(name).ok_or_else(|| {
        let known: Vec<String> = microsim_services::scenarios().iter().map(|s| s.name().to_string()).collect();
        format!("unknown scenario {name:?}: try one of {} (see `microsim list`)", known.join(", "))
    })
}

fn profile(name: &str, seed: Seed) -> Result<Profile, String> {
    match name {
        "default" => Ok(Profile::default()),
        "swarm" => Ok(Profile::swarm(seed.0)),
        "quiet" => Ok(Profile::quiet()),
        other => Err(format!("unknown profile {other:?}: expected default, swarm or quiet")),
    }
}

/// The spec of one run: the plan is drawn from the profile unless given.
fn spec(
    scenario: &dyn Scenario,
    seed: Seed,
    variant: &str,
    profile_name: &str,
    plan: Option<FaultPlan>,
) -> Result<RunSpec, String> {
    let (plan, profile) = match plan {
        Some(plan) => (plan, None),
        None => {
            let profile = profile(profile_name, seed)?;
            let nodes = scenario.nodes();
            let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
            (profile.plan(seed.0, &nodes, CHAOS_HORIZON), Some(profile.to_string()))
        }
    };
    Ok(RunSpec { variant: variant.to_string(), plan, profile, ..RunSpec::new(seed) })
}

fn usage(message: String) -> ExitCode {
    eprintln!("microsim: {message}");
    ExitCode::from(2)
}

pub fn list() -> ExitCode {
    for s in microsim_services::scenarios() {
        println!("{:<12} {}  (variants: {})", s.name(), s.about(), s.variants().join(", "));
    }
    ExitCode::SUCCESS
}

pub fn run_one(args: RunArgs) -> ExitCode {
    let scenario = match scenario(&args.scenario) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let (env_seed, env_plan) = match failure::spec_from_env() {
        Ok(v) => v,
        Err(e) => return usage(e.to_string()),
    };
    let seed = match args.seed.as_deref().map(str::parse::<Seed>).transpose() {
        Ok(s) => s.or(env_seed).unwrap_or_else(Seed::fresh),
        Err(e) => return usage(e.to_string()),
    };
    let plan = match args.plan.as_deref().map(failure::read_plan).transpose() {
        Ok(p) => p.or(env_plan),
        Err(e) => return usage(e.to_string()),
    };
    let mut spec = match spec(scenario.as_ref(), seed, &args.variant, &args.profile, plan) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    // Create the trace file first: a bad path is reported before the run, not after.
    let trace_file = match args.trace.as_deref().map(std::fs::File::create).transpose() {
        Ok(file) => file,
        Err(e) => {
            return usage(format!("cannot create the trace file {}: {e}", args.trace.unwrap_or_default().display()))
        }
    };
    if trace_file.is_some() {
        spec.record = microsim::RecordMode::Full;
    }
    println!(
        "microsim: {} seed {seed} (MICROSIM_SEED={seed} to replay), {} plan steps",
        scenario.name(),
        spec.plan.steps.len()
    );
    let (report, outcome) = run(scenario.as_ref(), &spec);
    println!("{report}");
    for m in &report.metrics {
        println!("  {}: {}", m.name, m.text);
    }
    if let (Some(file), Some(outcome), Some(path)) = (trace_file, outcome, &args.trace) {
        let mut trace = outcome.into_trace();
        report.describe_trace(&mut trace.header);
        if let Err(e) = crate::write_trace(file, &trace) {
            eprintln!("microsim: cannot write the trace to {}: {e}", path.display());
            return ExitCode::from(3);
        }
        println!("trace: {} ({} records)", path.display(), trace.records().len());
    }
    finish(scenario.as_ref(), &spec, &report)
}

/// Saves a failure and says where; the exit code of the run.
fn finish(scenario: &dyn Scenario, spec: &RunSpec, report: &microsim::scenario::Report) -> ExitCode {
    if report.passed() {
        return ExitCode::SUCCESS;
    }
    if matches!(report.verdict, microsim::scenario::Verdict::Invalid(_)) {
        return ExitCode::from(2);
    }
    match failure::save(scenario, spec, report, std::path::Path::new(".")) {
        Ok(dir) => {
            let text = std::fs::read_to_string(dir.join("report.txt")).unwrap_or_default();
            print!("{text}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("microsim: the run failed and its files could not be saved: {e}");
            ExitCode::from(3)
        }
    }
}

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
    let range = SeedRange::new(args.base, args.seeds).shard(shard);
    println!(
        "microsim: exploring {} over {} seeds (shard {shard}), {} jobs, profile {}",
        scenario.name(),
        range.len(),
        args.jobs,
        args.profile
    );
    let specs = |seed: Seed| {
        spec(scenario.as_ref(), seed, &args.variant, &args.profile, None).expect("the profile was checked")
    };
    let started = std::time::Instant::now();
    let result = sweep(&range, args.jobs, StopAt::FirstFailure, |_| {}, |seed| run(scenario.as_ref(), &specs(seed)).0);
    let wall = started.elapsed().as_secs_f64();
    let simulated: f64 = result.runs.iter().map(|(_, r)| r.elapsed.as_secs_f64()).sum();
    println!(
        "{} seeds in {wall:.2} s ({:.0} seeds/s, {:.0} simulated s per wall s), {} failed",
        result.runs.len(),
        result.runs.len() as f64 / wall,
        simulated / wall,
        result.failures().count()
    );
    print_coverage(&microsim::scenario::coverage(result.runs.iter().map(|(_, r)| r)));
    match result.first_failure() {
        None => ExitCode::SUCCESS,
        Some((seed, report)) => {
            let shrunk = failure::shrink(scenario.as_ref(), &specs(*seed), report, 500);
            println!(
                "shrunk in {} runs: {} -> {} plan steps, {} -> {} trace events",
                shrunk.runs, shrunk.steps.0, shrunk.steps.1, shrunk.events.0, shrunk.events.1
            );
            finish(scenario.as_ref(), &shrunk.spec, &shrunk.report)
        }
    }
}

/// One line per `sometimes`/`eventually` property of a sweep; the ones that
/// never held are flagged, since the suite then never reached what they test.
fn print_coverage(coverage: &[microsim::property::Coverage]) {
    for c in coverage {
        let flag = if c.held == 0 { "  <- never held" } else { "" };
        println!("{:<10} {:<40} held {} of {} checks{flag}", c.kind, c.name, c.held, c.reached);
    }
}
