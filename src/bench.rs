//! `microsim bench ...`: the benchmarks, printed in the peers' `RESULT` format.

use clap::Subcommand;
use microsim::{Outcome, RecordMode};
use microsim_services::pingpong::{PingPong, CLIENTS};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The peers workload, as ../shared/bench/peers/run.sh describes it.
    ///
    /// Prints `RESULT pingpong ...` (one run of ROUNDS round trips per client,
    /// seed 1) and `RESULT tiny ...` (SEEDS fresh runs of TINY_ROUNDS). With
    /// `trace`, every event is recorded and the trace hash printed.
    ///
    /// Example: microsim bench peers 5000 1000 50 trace
    Peers {
        /// Round trips per client in the pingpong run.
        rounds: u32,
        /// How many tiny runs.
        seeds: u64,
        /// Round trips per client in each tiny run.
        tiny_rounds: u32,
        /// `trace` to record every event.
        mode: Option<String>,
    },
    /// The pingpong run of `bench peers`, RUNS times in one process: what the
    /// first run of a process pays (code faulted in and fetched, the random
    /// generator's CPU-feature probe, memory touched for the first time) that
    /// later runs do not. Prints each run's time and page faults.
    ///
    /// Example: microsim bench first-run 5000 7 trace
    FirstRun {
        /// Round trips per client.
        rounds: u32,
        /// How many runs (the first and at least one more).
        runs: u32,
        /// `trace` to record every event.
        mode: Option<String>,
    },
    /// Seeds per second of the pingpong scenario (rpc variant, 20 round trips per
    /// client) under the default nemesis profile, on 1 thread and on JOBS threads.
    ///
    /// Example: microsim bench sweep 2000 2
    Sweep {
        /// How many seeds.
        seeds: u64,
        /// Threads for the parallel run.
        jobs: usize,
    },
    /// Size and render time of the trace views for traces of 1,000, 10,000 and
    /// 100,000 events, and headless Chromium's load time when it is installed.
    ///
    /// Example: microsim bench views
    Views,
    /// Seeds per second and simulated seconds per wall second of the saga
    /// scenario (correct variant) with every fault kind on (crashes, wipes,
    /// pauses, partitions, link faults, latency, clocks, disks, 5% loss, 2%
    /// duplication) over its chaos phase.
    ///
    /// Example: microsim bench saga 2000 2
    Saga {
        /// How many seeds.
        seeds: u64,
        /// Threads.
        jobs: usize,
    },
    /// Bug-finding power: for every planted bug of every sample scenario and
    /// the strategies random (default nemesis, FIFO), pct (PCT scheduling) and
    /// swarm (swarm fault profiles), the median over base seeds of the wall time
    /// and seeds to the first failure, the shrink time and the shrunk size.
    ///
    /// Example: microsim bench bugs --base-seeds 5 --limit 100000 --budget-s 12
    Bugs {
        /// Base seeds (sweep b starts at seed b * 1,000,000).
        #[arg(long, default_value_t = 5)]
        base_seeds: u64,
        /// The most seeds one sweep runs before giving up.
        #[arg(long, default_value_t = 100_000)]
        limit: u64,
        /// About the most wall time one sweep runs before giving up, in seconds.
        #[arg(long, default_value_t = 12.0)]
        budget_s: f64,
        /// Threads of each sweep.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Only this scenario's planted bugs.
        #[arg(long)]
        scenario: Option<String>,
    },
    /// Cost per message and per run on a ring of 3, 30, 300 and 3,000 nodes,
    /// then `bench saga` (simulated seconds per wall second, every fault kind).
    ///
    /// Example: microsim bench scale --msgs 600000 --runs 20 --saga-seeds 400
    /// (`--nodes 3000 --saga-seeds 0`: one size only, e.g. under a profiler)
    Scale {
        /// Messages of the big run at every size (about).
        #[arg(long, default_value_t = 600_000)]
        msgs: u64,
        /// Only these ring sizes (comma-separated; default 3,30,300,3000).
        #[arg(long, value_delimiter = ',')]
        nodes: Vec<u32>,
        /// Small runs at every size.
        #[arg(long, default_value_t = 20)]
        runs: u64,
        /// Seeds of the saga bench (0: skip it).
        #[arg(long, default_value_t = 400)]
        saga_seeds: u64,
        /// Threads of the saga bench.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
    },
    /// Peak resident memory of one run, and resident memory over RUNS runs in
    /// one process (after 1%, 10% and all of them).
    ///
    /// Example: microsim bench memory --runs 100000
    Memory {
        /// Runs of the many-runs loop.
        #[arg(long, default_value_t = 100_000)]
        runs: u64,
        /// Internal: do single run K alone and print its start and peak memory.
        #[arg(long, hide = true)]
        one: Option<usize>,
    },
    /// The linearizability checker against Porcupine's recorded times on the
    /// conformance corpus (`expected.tsv`, `porcupine-times.tsv`).
    ///
    /// Example: microsim bench checker --corpus ../shared/conformance/porcupine --per-file
    Checker {
        /// The corpus folder.
        #[arg(long, default_value = "../shared/conformance/porcupine")]
        corpus: std::path::PathBuf,
        /// Checks per file; the median is kept.
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        /// Also print a row per file.
        #[arg(long)]
        per_file: bool,
    },
}

pub fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Peers { rounds, seeds, tiny_rounds, mode } => match record_mode("peers", mode.as_deref()) {
            Ok(record) => peers(rounds, seeds, tiny_rounds, record),
            Err(code) => code,
        },
        BenchCommand::FirstRun { rounds, runs, mode } => match record_mode("first-run", mode.as_deref()) {
            Ok(record) => crate::bench_first_run::first_run(rounds, runs, record),
            Err(code) => code,
        },
        BenchCommand::Sweep { seeds, jobs } => sweep_bench(seeds, jobs),
        BenchCommand::Views => crate::bench_views::views(),
        BenchCommand::Saga { seeds, jobs } => saga_bench(seeds, jobs),
        BenchCommand::Bugs { base_seeds, limit, budget_s, jobs, scenario } => {
            crate::bench_bugs::bugs(base_seeds, limit, budget_s, jobs, scenario.as_deref())
        }
        BenchCommand::Scale { msgs, nodes, runs, saga_seeds, jobs } => {
            crate::bench_scale::scale(msgs, &nodes, runs, saga_seeds, jobs)
        }
        BenchCommand::Memory { one: Some(k), .. } => crate::bench_memory::one(k),
        BenchCommand::Memory { runs, one: None } => crate::bench_memory::memory(runs),
        BenchCommand::Checker { corpus, repeat, per_file } => crate::bench_checker::checker(&corpus, repeat, per_file),
    }
}

/// The recording of a speed bench's MODE argument: none, or `trace`.
fn record_mode(bench: &str, mode: Option<&str>) -> Result<RecordMode, ExitCode> {
    match mode {
        None => Ok(RecordMode::Off),
        Some("trace") => Ok(RecordMode::Full),
        Some(other) => {
            eprintln!("microsim bench {bench}: unknown mode `{other}`: expected `trace` or nothing");
            Err(ExitCode::from(2))
        }
    }
}

fn sweep_bench(seeds: u64, jobs: usize) -> ExitCode {
    use microsim::explore::{sweep, SeedRange, StopAt};
    use microsim::nemesis::Profile;
    use microsim::scenario::{run, RunSpec, Scenario};
    use microsim_services::pingpong::PingPongScenario;
    let scenario = PingPongScenario { rounds: 20 };
    let nodes = scenario.nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let one = |seed: microsim::Seed| {
        let plan = Profile::default().plan(seed.0, &nodes, std::time::Duration::from_secs(1));
        run(&scenario, &RunSpec { plan, ..RunSpec::new(seed) }).0
    };
    let range = SeedRange::new(0, seeds);
    let mut rates = Vec::new();
    for threads in [1, jobs] {
        let t = Instant::now();
        let result = sweep(&range, threads, StopAt::Never, |_| {}, one);
        let wall = t.elapsed().as_secs_f64();
        let failures = result.failures().count();
        let drops: u64 = result.runs.iter().map(|(_, r)| r.stats.dropped).sum();
        rates.push(seeds as f64 / wall);
        println!(
            "RESULT sweep jobs={threads} seeds={seeds} wall_s={wall:.3} seeds_per_s={:.1} failures={failures} drops={drops}",
            seeds as f64 / wall
        );
    }
    println!("RESULT sweep speedup={:.2}", rates[1] / rates[0]);
    ExitCode::SUCCESS
}

/// The saga profile with every fault kind on (crashes, wipes, pauses,
/// partitions, link faults, latency, clocks, disks, 5% loss, 2% duplication)
/// over the scenario's chaos phase.
pub(crate) fn every_kind() -> microsim::nemesis::Profile {
    use microsim::scenario::Scenario;
    use microsim_services::saga::{SagaScenario, CHAOS};
    microsim::nemesis::Profile {
        name: "every-kind".into(),
        crash_wipe: true,
        latency: true,
        clocks: true,
        disks: true,
        loss: 0.05,
        duplicate: 0.02,
        max_faults: 8,
        chaos_fraction: CHAOS.as_secs_f64() / SagaScenario.horizon().as_secs_f64(),
        ..microsim::nemesis::Profile::default()
    }
}

/// The spec of the saga run of `seed` under [`every_kind`].
pub(crate) fn saga_spec(seed: microsim::Seed) -> microsim::scenario::RunSpec {
    use microsim::scenario::{RunSpec, Scenario};
    use microsim_services::saga::SagaScenario;
    let every_kind = every_kind();
    let nodes = SagaScenario.nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let plan = every_kind.plan(seed.0, &nodes, SagaScenario.horizon());
    RunSpec { plan, profile: Some(every_kind.to_string()), ..RunSpec::new(seed) }
}

pub(crate) fn saga_bench(seeds: u64, jobs: usize) -> ExitCode {
    use microsim::explore::{sweep, SeedRange, StopAt};
    use microsim::scenario::run;
    use microsim_services::saga::SagaScenario;
    let one = |seed: microsim::Seed| run(&SagaScenario, &saga_spec(seed)).0;
    let t = Instant::now();
    let result = sweep(&SeedRange::new(0, seeds), jobs, StopAt::Never, |_| {}, one);
    let wall = t.elapsed().as_secs_f64();
    let simulated: f64 = result.runs.iter().map(|(_, r)| r.elapsed.as_secs_f64()).sum();
    let failures = result.failures().count();
    println!(
        "RESULT saga jobs={jobs} seeds={seeds} wall_s={wall:.3} seeds_per_s={:.1} sim_s_per_wall_s={:.0} \
         failures={failures}",
        seeds as f64 / wall,
        simulated / wall
    );
    if let Some((_, report)) = result.first_failure() {
        println!("first failure: {report}\nplan: {}", report.plan.to_json());
    }
    ExitCode::SUCCESS
}

/// One pingpong run, as the peers benchmark and `bench first-run` time it.
/// Never inlined: `scripts/hot-path.sh` profiles what runs inside it (and in
/// the outcome's drop) to find the simulation's hot path.
#[inline(never)]
pub(crate) fn pingpong(seed: u64, rounds: u32, record: RecordMode) -> Outcome {
    PingPong::new(seed, rounds).record(record).run()
}

fn peers(rounds: u32, seeds: u64, tiny_rounds: u32, record: RecordMode) -> ExitCode {
    let t = Instant::now();
    let outcome = pingpong(1, rounds, record);
    let wall = t.elapsed().as_secs_f64();
    if !outcome.is_ok() {
        eprintln!("pingpong failed: {outcome}");
        return ExitCode::from(1);
    }
    let msgs = outcome.stats.delivered;
    assert_eq!(msgs, 2 * CLIENTS as u64 * u64::from(rounds), "every message is delivered");
    let sim_s = outcome.elapsed.as_secs_f64();
    let hash = outcome.hash().map(|h| format!(" trace_hash={h}")).unwrap_or_default();
    println!(
        "RESULT pingpong wall_s={wall:.6} msgs={msgs} msgs_per_s={:.1} sim_s={sim_s:.6} sim_s_per_s={:.1}{hash}",
        msgs as f64 / wall,
        sim_s / wall
    );
    drop(outcome);

    let t = Instant::now();
    let mut check = 0u64;
    for seed in 0..seeds {
        let outcome = pingpong(seed, tiny_rounds, record);
        if !outcome.is_ok() {
            eprintln!("tiny run failed: {outcome}");
            return ExitCode::from(1);
        }
        check = check.wrapping_mul(31).wrapping_add(outcome.elapsed.as_nanos() as u64);
    }
    let wall = t.elapsed().as_secs_f64();
    println!("RESULT tiny wall_s={wall:.6} sims={seeds} sims_per_s={:.1} check={check:x}", seeds as f64 / wall);
    ExitCode::SUCCESS
}
