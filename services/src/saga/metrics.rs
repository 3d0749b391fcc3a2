//! The run's figures, reported through `microsim::metrics` at the end of a
//! run (and so printed by `microsim run saga`): order latency percentiles in
//! virtual time, retries and downstream calls per order, the breakers'
//! history, and the settings the orchestrator took from the config center
//! (what changed when, the last attempts limit a step read, the steps that
//! ran on fallback settings).

use super::oracle::Oracle;
use std::fmt::Write;
use std::time::Duration;

/// The metric of downstream calls per order (the retry-storm amplification).
pub const CALLS_PER_ORDER: &str = "downstream calls per order";

/// The metric of retries per order.
pub const RETRIES_PER_ORDER: &str = "retries per order";

/// The metric of saga steps that ran on fallback settings (config center out of reach).
pub const SETTINGS_FALLBACKS: &str = "settings fallbacks";

/// The metric of the attempts limit the last saga step read.
pub const STEP_ATTEMPTS: &str = "step attempts (last read)";

/// The text metric listing the settings the orchestrator took from the config center.
pub const SETTINGS_CHANGES: &str = "settings changes";

/// How many breaker changes (and settings changes) the summary lists.
const BREAKER_CHANGES_SHOWN: usize = 12;

/// The `p`th percentile (nearest rank) of sorted `values`.
pub fn percentile(sorted: &[Duration], p: u32) -> Option<Duration> {
    assert!(p <= 100, "a percentile is at most 100");
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Reports the run's figures.
pub fn report(oracle: &Oracle) {
    let submitted = oracle.submitted.borrow();
    let finished = oracle.finished.borrow();
    let mut latencies: Vec<Duration> = oracle
        .orders()
        .filter_map(|o| Some(finished.get(&o.id)?.saturating_duration_since(*submitted.get(&o.id)?)))
        .collect();
    latencies.sort();
    let orders = oracle.orders().count().max(1) as f64;
    microsim::metrics::value("orders finished", latencies.len() as f64, "");
    for p in [50, 90, 99, 100] {
        if let Some(l) = percentile(&latencies, p) {
            let name = if p == 100 { "order latency max".to_string() } else { format!("order latency p{p}") };
            microsim::metrics::value(&name, ms(l), " ms");
        }
    }
    let seen = &oracle.seen;
    microsim::metrics::value(RETRIES_PER_ORDER, seen.retries.get() as f64 / orders, "");
    microsim::metrics::value(CALLS_PER_ORDER, seen.calls.get() as f64 / orders, "");
    microsim::metrics::value("breaker openings", seen.breaker_opens.get() as f64, "");
    let log = oracle.breaker_log.borrow();
    let mut text = String::new();
    for (at, service, state) in log.iter().take(BREAKER_CHANGES_SHOWN) {
        let _ = write!(text, "{}{service} {state} at {at}", if text.is_empty() { "" } else { ", " });
    }
    if log.len() > BREAKER_CHANGES_SHOWN {
        let _ = write!(text, ", and {} more", log.len() - BREAKER_CHANGES_SHOWN);
    }
    microsim::metrics::text("breaker changes", if text.is_empty() { "none (closed all along)".into() } else { text });
    microsim::metrics::value(SETTINGS_FALLBACKS, seen.settings_fallbacks.get() as f64, "");
    microsim::metrics::value("settings revision", oracle.settings_revision.get() as f64, "");
    if let Some(read) = oracle.settings_read.get() {
        microsim::metrics::value(STEP_ATTEMPTS, f64::from(read.step_attempts), "");
    }
    let log = oracle.settings_log.borrow();
    let mut text = String::new();
    // The last ones: the seeding comes first, the changes worth seeing after it.
    for (at, what) in log.iter().skip(log.len().saturating_sub(BREAKER_CHANGES_SHOWN)) {
        let _ = write!(text, "{}{what} at {at}", if text.is_empty() { "" } else { ", " });
    }
    if log.len() > BREAKER_CHANGES_SHOWN {
        let _ = write!(text, ", after {} earlier", log.len() - BREAKER_CHANGES_SHOWN);
    }
    microsim::metrics::text(SETTINGS_CHANGES, if text.is_empty() { "none (defaults all along)".into() } else { text });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        let check = |p| percentile(&values, p).map(|d| d.as_millis());
        assert_eq!((check(50), check(90), check(99), check(100)), (Some(5), Some(9), Some(10), Some(10)));
        assert_eq!(percentile(&[], 50), None);
    }
}
