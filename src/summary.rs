//! The JSON summary of an `explore` sweep (or of one shard of it), and
//! `microsim merge`, which puts the shards of one sweep back together.
//!
//! A sweep split with `--shard K/N` over N CI jobs (or the N indices of a
//! Kubernetes indexed Job) writes N summaries; merging them checks that they
//! are shards of the same sweep, that none is missing or repeated, and gives
//! the summary the whole sweep would have given: runs and failures added up,
//! the lowest failing seed first, coverage summed.

use microsim::property::Coverage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One sweep, or one shard of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The scenario.
    pub scenario: String,
    /// The variant.
    pub variant: String,
    /// The nemesis profile.
    pub profile: String,
    /// The first seed of the whole sweep.
    pub base: u64,
    /// Seeds in the whole sweep (all shards).
    pub seeds: u64,
    /// The shards this summary covers, e.g. `[0]` of `of = 4`.
    pub shards: Vec<u32>,
    /// How many shards the sweep was split into.
    pub of: u32,
    /// Seeds run.
    pub runs: u64,
    /// Whether a shard stopped at its first failure before its end.
    pub stopped_early: bool,
    /// Wall-clock seconds (summed over shards when merged).
    pub wall_s: f64,
    /// The failures found, lowest seed first.
    pub failures: Vec<Found>,
    /// Every `sometimes`/`eventually` property, summed.
    pub coverage: Vec<Coverage>,
}

/// One failing seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// The seed that failed in the sweep, as `0x…`.
    pub seed: String,
    /// What went wrong: the report of the shrunk run, which names its seed
    /// (another one when no step could be removed under this one: see
    /// `microsim::failure::shrink`); its replay line is in `saved`.
    pub verdict: String,
    /// Where its files were saved, if they were.
    pub saved: Option<String>,
}

impl Summary {
    /// Seeds per wall-clock second.
    pub fn seeds_per_s(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.runs as f64 / self.wall_s
        } else {
            0.0
        }
    }
}

fn seed_of(f: &Found) -> u64 {
    f.seed.parse::<microsim::Seed>().map_or(u64::MAX, |s| s.0)
}

/// Merges the summaries of the shards of one sweep; an error names what does
/// not fit (another sweep, a repeated shard, a missing shard).
pub fn merge(parts: Vec<(String, Summary)>) -> Result<Summary, String> {
    let Some((first_name, first)) = parts.first().cloned() else {
        return Err("nothing to merge: give the JSON summaries of a sweep's shards".into());
    };
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    let mut merged = Summary { shards: Vec::new(), runs: 0, wall_s: 0.0, failures: Vec::new(), ..first.clone() };
    for (name, s) in &parts {
        let same = (&s.scenario, &s.variant, &s.profile, s.base, s.seeds, s.of)
            == (&first.scenario, &first.variant, &first.profile, first.base, first.seeds, first.of);
        if !same {
            return Err(format!(
                "{name} is not a shard of the same sweep as {first_name}: {} {} profile {} seeds {}+{} in {} shards \
                 vs {} {} profile {} seeds {}+{} in {} shards",
                s.scenario,
                s.variant,
                s.profile,
                s.base,
                s.seeds,
                s.of,
                first.scenario,
                first.variant,
                first.profile,
                first.base,
                first.seeds,
                first.of
            ));
        }
        for &k in &s.shards {
            if let Some(other) = seen.insert(k, name.clone()) {
                return Err(format!("shard {k}/{} is in both {other} and {name}", s.of));
            }
        }
        merged.runs += s.runs;
        merged.wall_s += s.wall_s;
        merged.stopped_early |= s.stopped_early;
        merged.failures.extend(s.failures.iter().cloned());
    }
    let missing: Vec<String> =
        (0..first.of).filter(|k| !seen.contains_key(k)).map(|k| format!("{k}/{}", first.of)).collect();
    if !missing.is_empty() {
        return Err(format!("shards missing: {} (give every shard's summary)", missing.join(", ")));
    }
    merged.shards = seen.into_keys().collect();
    merged.failures.sort_by_key(seed_of);
    merged.coverage = microsim::property::sum(parts.iter().flat_map(|(_, s)| &s.coverage));
    Ok(merged)
}
