//! `microsim bench ...`: the benchmarks, printed in the peers' `RESULT` format.

use clap::Subcommand;
use microsim::RecordMode;
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
}

pub fn run(cmd: BenchCommand) -> ExitCode {
    match cmd {
        BenchCommand::Peers { rounds, seeds, tiny_rounds, mode } => {
            let record = match mode.as_deref() {
                None => RecordMode::Off,
                Some("trace") => RecordMode::Full,
                Some(other) => {
                    eprintln!("microsim bench peers: unknown mode `{other}`: expected `trace` or nothing");
                    return ExitCode::from(2);
                }
            };
            peers(rounds, seeds, tiny_rounds, record)
        }
        BenchCommand::Sweep { seeds, jobs } => sweep_bench(seeds, jobs),
        BenchCommand::Views => crate::bench_views::views(),
        BenchCommand::Saga { seeds, jobs } => saga_bench(seeds, jobs),
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

fn saga_bench(seeds: u64, jobs: usize) -> ExitCode {
    use microsim::explore::{sweep, SeedRange, StopAt};
    use microsim::nemesis::Profile;
    use microsim::scenario::{run, RunSpec, Scenario};
    use microsim_services::saga::{SagaScenario, CHAOS};
    let horizon = SagaScenario.horizon();
    let every_kind = Profile {
        name: "every-kind".into(),
        crash_wipe: true,
        latency: true,
        clocks: true,
        disks: true,
        loss: 0.05,
        duplicate: 0.02,
        max_faults: 8,
        chaos_fraction: CHAOS.as_secs_f64() / horizon.as_secs_f64(),
        ..Profile::default()
    };
    let nodes = SagaScenario.nodes();
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let one = |seed: microsim::Seed| {
        let plan = every_kind.plan(seed.0, &nodes, horizon);
        run(&SagaScenario, &RunSpec { plan, profile: Some(every_kind.to_string()), ..RunSpec::new(seed) }).0
    };
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

fn peers(rounds: u32, seeds: u64, tiny_rounds: u32, record: RecordMode) -> ExitCode {
    let t = Instant::now();
    let outcome = PingPong::new(1, rounds).record(record).run();
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
        let outcome = PingPong::new(seed, tiny_rounds).record(record).run();
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
