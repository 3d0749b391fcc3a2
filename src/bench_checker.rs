//! `microsim bench checker`: the linearizability checker against Porcupine's
//! recorded times on the conformance corpus.
//!
//! Reads the corpus's `expected.tsv` (file, model, verdict) and
//! `porcupine-times.tsv` (file, verdict, Porcupine's median ms), checks every
//! file as `microsim check --expected` does (its code), one file at a time on
//! one thread, each `repeat` times with the median kept (Porcupine's times are
//! medians of 3), and prints the totals and the worst ratio.

use crate::check::{check_all, parse, read_expected};
use microsim::lin::Options;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

/// Porcupine's times of `times`: file -> median ms.
fn porcupine_times(times: &Path) -> Result<HashMap<String, f64>, String> {
    let text = std::fs::read_to_string(times).map_err(|e| format!("cannot read {}: {e}", times.display()))?;
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [file, _, ms] = fields[..] else {
            return Err(format!("{}:{}: expected `file verdict median_ms`", times.display(), i + 1));
        };
        let ms = ms.parse().map_err(|_| format!("{}:{}: `{ms}` is not a number of ms", times.display(), i + 1))?;
        out.insert(file.to_string(), ms);
    }
    Ok(out)
}

/// `microsim bench checker`.
pub fn checker(corpus: &Path, repeat: u32, per_file: bool) -> ExitCode {
    if repeat == 0 {
        eprintln!("microsim bench checker: --repeat must be at least 1");
        return ExitCode::from(2);
    }
    let loaded = read_expected(&corpus.join("expected.tsv")).and_then(|jobs| {
        let parsed = jobs.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
        Ok((jobs, parsed, porcupine_times(&corpus.join("porcupine-times.tsv"))?))
    });
    let (jobs, parsed, times) = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("microsim bench checker: {e}");
            return ExitCode::from(2);
        }
    };
    let options = Options { threads: 1, ..Options::default() };
    let results = check_all(&parsed, &options, 1, repeat);
    if per_file {
        println!("| file | verdict | microsim ms | Porcupine ms | ratio |");
        println!("|---|---|---:|---:|---:|");
    }
    let (mut ours, mut theirs, mut mismatches, mut compared) = (0.0, 0.0, 0, 0);
    let mut worst: Option<(f64, &str)> = None;
    for (job, (verdict, took)) in jobs.iter().zip(&results) {
        let got = verdict.is_linearizable();
        mismatches += usize::from(got != job.expected);
        let ms = took.as_secs_f64() * 1e3;
        let Some(&reference) = times.get(&job.shown) else { continue };
        compared += 1;
        ours += ms;
        theirs += reference;
        let ratio = ms / reference.max(1e-3);
        if worst.is_none_or(|(w, _)| ratio > w) {
            worst = Some((ratio, &job.shown));
        }
        if per_file {
            let shown = got.map_or("unknown".to_string(), |b| b.to_string());
            println!("| {} | {shown} | {ms:.3} | {reference:.3} | {ratio:.2} |", job.shown);
        }
    }
    if per_file {
        println!();
    }
    println!(
        "| files | with Porcupine times | mismatches | microsim total ms | Porcupine total ms | total ratio | worst |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|");
    let (w, wf) = worst.unwrap_or((0.0, "-"));
    println!(
        "| {} | {compared} | {mismatches} | {ours:.1} | {theirs:.1} | {:.3} | {w:.2} ({wf}) |",
        jobs.len(),
        ours / theirs.max(1e-9)
    );
    println!(
        "RESULT checker files={} mismatches={mismatches} ms={ours:.1} porcupine_ms={theirs:.1} ratio={:.3} \
         worst_ratio={w:.2}",
        jobs.len(),
        ours / theirs.max(1e-9)
    );
    if mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
