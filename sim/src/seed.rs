//! Seeds: the one number a run derives from, as people write it and as the
//! `MICROSIM_SEED` environment variable gives it.
//!
//! A seed is read as decimal (`42`) or hex with `0x` (`0x2a`) and printed as hex,
//! so a printed seed pastes back as it is. When no seed is given, a fresh one is
//! drawn from outside any simulation (this is the one place microsim asks the
//! OS for randomness) and must be printed before the run starts.

use std::fmt;
use std::str::FromStr;

/// The environment variable a seed is read from.
pub const SEED_VAR: &str = "MICROSIM_SEED";

/// A run's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seed(pub u64);

/// A seed that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a seed: expected a decimal number or 0x-prefixed hex, at most 64 bits")]
pub struct SeedError {
    /// What was given.
    pub input: String,
}

impl FromStr for Seed {
    type Err = SeedError;
    fn from_str(s: &str) -> Result<Seed, SeedError> {
        let t = s.trim().replace('_', "");
        let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => t.parse(),
        };
        parsed.map(Seed).map_err(|_| SeedError { input: s.to_string() })
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl Seed {
    /// The seed in `MICROSIM_SEED`, if it is set.
    pub fn from_env() -> Result<Option<Seed>, SeedError> {
        match std::env::var(SEED_VAR) {
            Ok(text) => {
                text.parse().map(Some).map_err(|e: SeedError| SeedError { input: format!("{SEED_VAR}={}", e.input) })
            }
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(raw)) => Err(SeedError { input: format!("{SEED_VAR}={raw:?}") }),
        }
    }

    /// A fresh seed from the OS's randomness, for runs that were given none.
    /// Never call it inside a simulation; print the seed before running.
    pub fn fresh() -> Seed {
        use std::hash::{BuildHasher, Hasher};
        // `RandomState` is keyed from the OS's randomness: no extra dependency.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6d69_6372_6f73_696d);
        Seed(h.finish())
    }

    /// The seed in `MICROSIM_SEED`, or a fresh one.
    pub fn from_env_or_fresh() -> Result<Seed, SeedError> {
        Ok(Seed::from_env()?.unwrap_or_else(Seed::fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_read_decimal_and_hex_and_print_as_hex() {
        assert_eq!("42".parse(), Ok(Seed(42)));
        assert_eq!("0x2a".parse(), Ok(Seed(42)));
        assert_eq!(" 0X2A ".parse(), Ok(Seed(42)));
        assert_eq!("0xdead_beef".parse(), Ok(Seed(0xdead_beef)));
        assert_eq!(Seed(42).to_string(), "0x2a");
        assert_eq!(Seed(u64::MAX).to_string().parse(), Ok(Seed(u64::MAX)));
    }

    #[test]
    fn bad_seeds_say_what_is_expected() {
        for bad in ["", "zz", "0x", "-1", "18446744073709551616", "0x1_0000_0000_0000_0000"] {
            let e = bad.parse::<Seed>().unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{bad:?} is not a seed: expected a decimal number or 0x-prefixed hex, at most 64 bits")
            );
        }
    }

    #[test]
    fn fresh_seeds_differ() {
        assert_ne!(Seed::fresh(), Seed::fresh());
    }
}
