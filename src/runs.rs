//! `microsim list`, `microsim run` and `microsim replay`: scenarios from the
//! command line, one run at a time, with fault plans and saved failures.

use clap::Args;
use microsim::failure;
use microsim::nemesis::Profile;
use microsim::plan::FaultPlan;
use microsim::scenario::{run, RunSpec, Scenario};
use microsim::Seed;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// `microsim replay` arguments: one exact run, as `explore` (or a CI job) ran it.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  microsim replay discovery --variant two-leaders --seed 0x12        # the plan the default profile draws
  microsim replay pingpong --variant datagram --seed 0x0 --plan target/microsim/failures/pingpong-datagram-0000000000000000/plan.json --trace t.jsonl")]
pub struct ReplayArgs {
    /// The scenario (see `microsim list`).
    scenario: String,
    /// The seed, decimal or 0x-hex.
    #[arg(long)]
    seed: String,
    /// The variant (default: the scenario's first).
    #[arg(long, default_value = "")]
    variant: String,
    /// A saved fault plan (default: the one --profile draws for the seed, as `explore` does).
    #[arg(long)]
    plan: Option<PathBuf>,
    /// The profile `explore` used: default, swarm or quiet.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Record every event and write the trace here as JSON lines (see `microsim show`).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
}

/// `microsim replay`: `run` with the seed required and `explore`'s profile.
pub fn replay(args: ReplayArgs) -> ExitCode {
    let ReplayArgs { scenario, seed, variant, plan, profile, trace } = args;
    run_one(RunArgs { scenario, variant, seed: Some(seed), plan, profile, trace })
}

pub(crate) fn scenario(name: &str) -> Result<Box<dyn Scenario>, String> {
    microsim_services::scenario(name).ok_or_else(|| {
        let known: Vec<String> = microsim_services::scenarios().iter().map(|s| s.name().to_string()).collect();
        format!("unknown scenario {name:?}: try one of {} (see `microsim list`)", known.join(", "))
    })
}

pub(crate) fn profile(name: &str, seed: Seed) -> Result<Profile, String> {
    match name {
        "default" => Ok(Profile::default()),
        "swarm" => Ok(Profile::swarm(seed.0)),
        "quiet" => Ok(Profile::quiet()),
        other => Err(format!("unknown profile {other:?}: expected default, swarm or quiet")),
    }
}

/// The spec of one run: the plan is drawn from the profile unless given.
pub(crate) fn spec(
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
            (scenario.plan(seed, &profile), Some(profile.to_string()))
        }
    };
    Ok(RunSpec { variant: variant.to_string(), plan, profile, ..RunSpec::new(seed) })
}

pub(crate) fn usage(message: String) -> ExitCode {
    eprintln!("microsim: {message}");
    ExitCode::from(2)
}

pub fn list() -> ExitCode {
    for s in microsim_services::scenarios() {
        let correct: Vec<&str> = s.variants().iter().copied().filter(|v| !s.planted_bugs().contains(v)).collect();
        let bugs = if s.planted_bugs().is_empty() {
            String::new()
        } else {
            format!("; planted bugs: {}", s.planted_bugs().join(", "))
        };
        println!("{:<12} {}  (variants: {}{bugs})", s.name(), s.about(), correct.join(", "));
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
    let (code, _, text) = finish(scenario.as_ref(), &spec, &report);
    if !text.is_empty() {
        println!("{text}");
    }
    code
}

/// Saves a failure: the exit code of the run, the folder it was saved in, and
/// the report to show (empty when the run passed).
pub(crate) fn finish(
    scenario: &dyn Scenario,
    spec: &RunSpec,
    report: &microsim::scenario::Report,
) -> (ExitCode, Option<String>, String) {
    if report.passed() {
        return (ExitCode::SUCCESS, None, String::new());
    }
    if matches!(report.verdict, microsim::scenario::Verdict::Invalid(_)) {
        return (ExitCode::from(2), None, String::new());
    }
    match failure::save(scenario, spec, report, std::path::Path::new(".")) {
        Ok(dir) => {
            let text = std::fs::read_to_string(dir.join("report.txt")).unwrap_or_default();
            (ExitCode::from(1), Some(dir.display().to_string()), text.trim_end().to_string())
        }
        Err(e) => {
            let text = format!("microsim: the run failed and its files could not be saved: {e}");
            (ExitCode::from(3), None, text)
        }
    }
}
