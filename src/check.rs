//! `microsim check`: the linearizability checker on history files of the
//! Porcupine corpus formats, one file at a time or against a table of expected
//! verdicts (the conformance run of `.ci/run`).
//!
//! Exit codes: 0 every file as expected (or linearizable), 1 a mismatch (or a
//! history not shown linearizable), 2 bad usage or input, 3 internal.

use clap::{Args, ValueEnum};
use microsim::history::History;
use microsim::lin::{self, corpus, models, Options, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The model (and file format) of FILE...: register-cas (Jepsen etcd logs) or kv.
    #[arg(long, value_enum, required_unless_present = "expected", conflicts_with = "expected")]
    model: Option<ModelName>,
    /// A TSV of `file model linearizable` rows (paths relative to its folder):
    /// checks every file and compares with the expected verdict.
    #[arg(long, value_name = "TSV")]
    expected: Option<PathBuf>,
    /// Files checked at once (default: the machine's cores); cores left over check the
    /// partitions (kv keys) of each file in parallel.
    #[arg(long)]
    jobs: Option<usize>,
    /// Search steps allowed per partition before the verdict is `unknown`.
    #[arg(long, default_value_t = Options::default().max_steps)]
    max_steps: u64,
    /// Check each file this many times and report the median time (as the
    /// reference timings of Porcupine do, with 3).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Print the counterexample of every history that is not linearizable.
    #[arg(long)]
    explain: bool,
    /// Write the first counterexample as marks for `microsim show --html OUT --marks FILE`
    /// (processes are named `process<N>`).
    #[arg(long, value_name = "FILE")]
    marks: Option<PathBuf>,
    /// History files.
    #[arg(value_name = "FILE", required_unless_present = "expected", conflicts_with = "expected")]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModelName {
    /// A register with compare-and-set; Jepsen etcd logs.
    RegisterCas,
    /// A key/value map (get, put, append), checked key by key; EDN lines.
    Kv,
}

/// One file to check: where, how shown, which model, which verdict is expected.
pub(crate) struct Job {
    path: PathBuf,
    pub(crate) shown: String,
    model: ModelName,
    pub(crate) expected: Option<bool>,
}

/// A parsed history of either model.
pub(crate) enum Parsed {
    RegisterCas(History<models::RegisterInput, models::RegisterOutput>),
    Kv(History<models::KvInput, models::KvOutput>),
}

pub fn run(args: CheckArgs) -> ExitCode {
    let jobs = match (&args.expected, args.model) {
        (Some(tsv), _) => match read_expected(tsv) {
            Ok(jobs) => jobs,
            Err(message) => return usage_error(&message),
        },
        (None, Some(model)) => args
            .files
            .iter()
            .map(|path| Job { path: path.clone(), shown: path.display().to_string(), model, expected: None })
            .collect(),
        (None, None) => return usage_error("give --model with FILE..., or --expected TSV"),
    };
    let wall = Instant::now();
    let parsed = match jobs.iter().map(parse).collect::<Result<Vec<_>, String>>() {
        Ok(parsed) => parsed,
        Err(message) => return usage_error(&message),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.jobs.unwrap_or(cores).max(1);
    // Cores not used by parallel files check the partitions of a file in parallel.
    let options = Options { max_steps: args.max_steps, threads: (cores / threads).max(1), ..Options::default() };
    let checked = std::panic::catch_unwind(|| check_all(&parsed, &options, threads, args.repeat));
    let Ok(results) = checked else {
        eprintln!("microsim check: internal error: the checker panicked (a bug; please report it with the files)");
        return ExitCode::from(3);
    };
    if let Some(path) = &args.marks {
        let first = results.iter().find_map(|(v, _)| match v {
            Verdict::NotLinearizable(why) => Some(why),
            _ => None,
        });
        if let Some(why) = first {
            let marks = why.to_marks(|p| (format!("process{p}"), None));
            let json = serde_json::to_string_pretty(&marks).expect("marks serialize");
            if let Err(e) = std::fs::write(path, json) {
                eprintln!("microsim check: cannot write the marks to {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    report(&jobs, &results, args.explain, args.expected.is_some(), wall.elapsed())
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("microsim check: {message}");
    ExitCode::from(2)
}

/// The rows of an expected-verdicts TSV, with paths made relative to its folder.
pub(crate) fn read_expected(tsv: &Path) -> Result<Vec<Job>, String> {
    let text = std::fs::read_to_string(tsv).map_err(|e| format!("cannot read {}: {e}", tsv.display()))?;
    let folder = tsv.parent().unwrap_or(Path::new("."));
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = || format!("{}:{}", tsv.display(), i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        if i == 0 && fields == ["file", "model", "linearizable"] {
            continue;
        }
        let [file, model, verdict] = fields[..] else {
            return Err(format!("{}: expected three fields `file model linearizable`, got {}", at(), fields.len()));
        };
        let model = ModelName::from_str(model, false)
            .map_err(|_| format!("{}: unknown model `{model}`: expected register-cas or kv", at()))?;
        let expected = match verdict {
            "true" => true,
            "false" => false,
            other => return Err(format!("{}: verdict `{other}`: expected true or false", at())),
        };
        jobs.push(Job { path: folder.join(file), shown: file.to_string(), model, expected: Some(expected) });
    }
    Ok(jobs)
}

pub(crate) fn parse(job: &Job) -> Result<Parsed, String> {
    let text = std::fs::read_to_string(&job.path).map_err(|e| format!("cannot read {}: {e}", job.path.display()))?;
    let name = job.path.display().to_string();
    match job.model {
        ModelName::RegisterCas => corpus::parse_jepsen(&name, &text).map(Parsed::RegisterCas),
        ModelName::Kv => corpus::parse_kv(&name, &text).map(Parsed::Kv),
    }
    .map_err(|e| e.to_string())
}

/// Checks every history on `threads` threads, `repeat` times; each result with
/// its median check time.
pub(crate) fn check_all(parsed: &[Parsed], options: &Options, threads: usize, repeat: u32) -> Vec<(Verdict, Duration)> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..parsed.len()).map(|_| None).collect::<Vec<_>>());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(history) = parsed.get(i) else { break };
        let mut times = Vec::with_capacity(repeat as usize);
        let mut verdict = Verdict::Linearizable;
        for _ in 0..repeat {
            let start = Instant::now();
            verdict = match history {
                Parsed::RegisterCas(h) => lin::check_with(&models::RegisterCas, h, options),
                Parsed::Kv(h) => lin::check_with(&models::Kv, h, options),
            };
            times.push(start.elapsed());
        }
        times.sort_unstable();
        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some((verdict, times[times.len() / 2]));
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, parsed.len().max(1)) {
            scope.spawn(work);
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.into_iter().map(|r| r.expect("every history was checked")).collect()
}

fn report(jobs: &[Job], results: &[(Verdict, Duration)], explain: bool, summary: bool, wall: Duration) -> ExitCode {
    let (mut bad, mut total) = (0usize, Duration::ZERO);
    for (job, (verdict, took)) in jobs.iter().zip(results) {
        total += *took;
        let got = verdict.is_linearizable();
        let shown = got.map_or("unknown".to_string(), |b| b.to_string());
        let ms = took.as_secs_f64() * 1e3;
        match job.expected {
            Some(expected) => {
                let mismatch = got != Some(expected);
                bad += usize::from(mismatch);
                let flag = if mismatch { " MISMATCH" } else { "" };
                println!("{} linearizable={shown} expected={expected} ms={ms:.3}{flag}", job.shown);
            }
            None => {
                bad += usize::from(got != Some(true));
                println!("{} linearizable={shown} ms={ms:.3}", job.shown);
            }
        }
        if explain && got != Some(true) {
            print!("{verdict}");
            println!();
        }
    }
    if summary {
        let (check_ms, wall_ms) = (total.as_secs_f64() * 1e3, wall.as_secs_f64() * 1e3);
        println!("files={} mismatches={bad} check_ms={check_ms:.1} wall_ms={wall_ms:.1}", jobs.len());
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
