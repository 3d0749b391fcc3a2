//! The saga's tunables: timeouts, retry limits, backoff, the circuit breaker
//! and feature flags, behind [`Settings`] and a [`Source`] the orchestrator
//! reads once per saga step (so a changed setting applies from the next step).
//!
//! The issue wants these read from the config center, which is being built on
//! another branch. Until it lands, [`Defaults`] is the only source; wiring the
//! config center in is a `Source` that reads its keys (named by the fields)
//! and falls back to these defaults.

use std::time::Duration;

/// Everything a saga step reads. The defaults are documented per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How long one call to a downstream waits for an answer. Default 60 ms
    /// (a round trip is a few ms, a participant's sync 0.5 to 2 ms).
    pub call_timeout: Duration,
    /// Attempts of a forward step before the saga gives up on it and
    /// compensates. Default 4. Compensations and the final commit never give up.
    pub step_attempts: u32,
    /// The first retry's backoff; it doubles per attempt. Default 20 ms.
    pub backoff_base: Duration,
    /// The longest backoff. Default 400 ms.
    pub backoff_max: Duration,
    /// Consecutive failures that open a downstream's breaker. Default 5.
    pub breaker_failures: u32,
    /// How long an open breaker stays open before it lets one probe through
    /// (half-open). Default 250 ms.
    pub breaker_open_for: Duration,
    /// Feature flag: the circuit breakers are on. Default true.
    pub breaker: bool,
    /// Feature flag: retries back off (exponentially, with jitter). Default
    /// true; off, a failed call is retried at once.
    pub backoff: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            call_timeout: Duration::from_millis(60),
            step_attempts: 4,
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(400),
            breaker_failures: 5,
            breaker_open_for: Duration::from_millis(250),
            breaker: true,
            backoff: true,
        }
    }
}

impl Settings {
    /// The backoff before retry number `retry` (1 for the first retry), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        if !self.backoff {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(retry.saturating_sub(1)).unwrap_or(u32::MAX);
        self.backoff_base.saturating_mul(factor).min(self.backoff_max)
    }
}

/// Where the settings come from.
pub trait Source {
    /// The settings now.
    fn settings(&self) -> Settings;
}

/// The fixed defaults, or fixed overrides of them (the buggy variants use this).
#[derive(Clone, Copy, Debug, Default)]
pub struct Defaults(pub Settings);

impl Source for Defaults {
    fn settings(&self) -> Settings {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let s = Settings::default();
        let ms: Vec<u128> = (1..=7).map(|r| s.backoff(r).as_millis()).collect();
        assert_eq!(ms, [20, 40, 80, 160, 320, 400, 400]);
        assert_eq!(s.backoff(u32::MAX), s.backoff_max);
    }

    #[test]
    fn backoff_off_retries_at_once() {
        let s = Settings { backoff: false, ..Settings::default() };
        assert_eq!(s.backoff(3), Duration::ZERO);
    }
}
