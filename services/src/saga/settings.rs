//! The saga's tunables: timeouts, retry limits, backoff, the circuit breaker
//! and feature flags, behind [`Settings`] and a [`Source`] the orchestrator
//! reads once per saga step (so a changed setting applies from the next step).
//!
//! In the scenario they live in the config center, one key per field under
//! [`PREFIX`] (`saga/prod/step_attempts`, ...: [`NAMES`], values as
//! [`Settings::pairs`] writes them and [`Settings::set`] parses them), and the
//! orchestrator reads them through [`super::remote::ConfigSource`], a cache
//! that falls back to the last known values, or to these defaults, when the
//! config center is out of reach. [`Defaults`] is a fixed source, for tests.

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

/// The config center's namespace of the saga's settings (`application/environment/`).
pub const PREFIX: &str = "saga/prod/";

/// The settings' names, each a key under [`PREFIX`].
pub const NAMES: [&str; 8] = [
    "call_timeout_ms",
    "step_attempts",
    "backoff_base_ms",
    "backoff_max_ms",
    "breaker_failures",
    "breaker_open_for_ms",
    "breaker",
    "backoff",
];

/// The longest duration a setting may name (ms), and the most attempts or failures.
const MAX_MS: u64 = 60_000;
const MAX_COUNT: u32 = 1_000;

/// The config key of setting `name`.
pub fn key(name: &str) -> String {
    format!("{PREFIX}{name}")
}

fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

fn parse_ms(name: &str, value: &str, min: u64) -> Result<Duration, String> {
    match value.trim().parse::<u64>() {
        Ok(ms) if (min..=MAX_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err(format!("{name} = {value:?}: expected milliseconds from {min} to {MAX_MS}")),
    }
}

fn parse_count(name: &str, value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_COUNT).contains(&n) => Ok(n),
        _ => Err(format!("{name} = {value:?}: expected a count from 1 to {MAX_COUNT}")),
    }
}

fn parse_flag(name: &str, value: &str) -> Result<bool, String> {
    match value.trim() {
        "true" | "on" => Ok(true),
        "false" | "off" => Ok(false),
        _ => Err(format!("{name} = {value:?}: expected true or false")),
    }
}

impl Settings {
    /// Every setting as (name, value), the values as the config center stores them.
    pub fn pairs(&self) -> [(&'static str, String); 8] {
        [
            ("call_timeout_ms", millis(self.call_timeout)),
            ("step_attempts", self.step_attempts.to_string()),
            ("backoff_base_ms", millis(self.backoff_base)),
            ("backoff_max_ms", millis(self.backoff_max)),
            ("breaker_failures", self.breaker_failures.to_string()),
            ("breaker_open_for_ms", millis(self.breaker_open_for)),
            ("breaker", self.breaker.to_string()),
            ("backoff", self.backoff.to_string()),
        ]
    }

    /// Sets `name` from its config value (`None`: the key was deleted, back
    /// to the default). An unknown name or a bad value is an error that
    /// names it, and changes nothing.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), String> {
        let Some(value) = value else {
            let default = Settings::default().pairs().into_iter().find(|(n, _)| *n == name);
            return match default {
                Some((_, v)) => self.set(name, Some(&v)),
                None => Err(format!("unknown setting {name:?}")),
            };
        };
        match name {
            "call_timeout_ms" => self.call_timeout = parse_ms(name, value, 1)?,
            "step_attempts" => self.step_attempts = parse_count(name, value)?,
            "backoff_base_ms" => self.backoff_base = parse_ms(name, value, 0)?,
            "backoff_max_ms" => self.backoff_max = parse_ms(name, value, 0)?,
            "breaker_failures" => self.breaker_failures = parse_count(name, value)?,
            "breaker_open_for_ms" => self.breaker_open_for = parse_ms(name, value, 1)?,
            "breaker" => self.breaker = parse_flag(name, value)?,
            "backoff" => self.backoff = parse_flag(name, value)?,
            _ => return Err(format!("unknown setting {name:?}")),
        }
        Ok(())
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
    fn settings_round_trip_through_their_config_values() {
        let custom = Settings {
            step_attempts: 2,
            backoff: false,
            call_timeout: Duration::from_millis(75),
            ..Settings::default()
        };
        let mut s = Settings::default();
        for (name, value) in custom.pairs() {
            s.set(name, Some(&value)).unwrap();
        }
        assert_eq!(s, custom);
        assert_eq!(custom.pairs().map(|p| p.0), NAMES);
        s.set("step_attempts", None).unwrap();
        assert_eq!(s.step_attempts, Settings::default().step_attempts);
    }

    #[test]
    fn bad_values_are_refused_and_change_nothing() {
        let mut s = Settings::default();
        for (name, value) in [
            ("step_attempts", "0"),
            ("step_attempts", "-1"),
            ("call_timeout_ms", "0"),
            ("call_timeout_ms", "99999999999999999999"),
            ("breaker", "maybe"),
            ("colour", "blue"),
        ] {
            let e = s.set(name, Some(value)).unwrap_err();
            assert!(e.contains(name), "{e}");
        }
        assert!(s.set("colour", None).is_err());
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn backoff_off_retries_at_once() {
        let s = Settings { backoff: false, ..Settings::default() };
        assert_eq!(s.backoff(3), Duration::ZERO);
    }
}
