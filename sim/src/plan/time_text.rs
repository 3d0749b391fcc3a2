//! Times in plans, written for people: `150ms`, `1.5s`, `20us`, `300ns`, `-5ms`.
//!
//! Parsing and printing are exact (integer nanoseconds, no floating point), so a
//! plan written back reads to the same times.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// A point of virtual time from the start of a run (or a duration) in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PlanTime(pub Duration);

/// A signed offset of time in a plan (clock offsets and jumps), in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SignedTime(pub i64);

const UNITS: [(&str, u64); 5] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)];

/// A time as it appears in JSON: a string with a unit, or integer nanoseconds.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum TimeText {
    Nanos(i64),
    Text(String),
}

impl TimeText {
    fn nanos(&self) -> Result<i128, String> {
        match self {
            TimeText::Nanos(n) => Ok(i128::from(*n)),
            TimeText::Text(s) => parse(s),
        }
    }

    pub(super) fn unsigned(&self) -> Result<PlanTime, String> {
        let n = self.nanos()?;
        u64::try_from(n)
            .map(|n| PlanTime(Duration::from_nanos(n)))
            .map_err(|_| format!("time {n}ns: expected a time from 0 up"))
    }

    pub(super) fn signed(&self) -> Result<SignedTime, String> {
        let n = self.nanos()?;
        i64::try_from(n).map(SignedTime).map_err(|_| format!("time {n}ns is out of range"))
    }
}

/// Parses `[-]digits[.digits]unit` exactly into nanoseconds.
fn parse(text: &str) -> Result<i128, String> {
    let bad = |why: &str| format!("time {text:?}: {why} (expected e.g. \"150ms\", \"1.5s\", \"20us\", \"300ns\")");
    let (negative, body) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    let split = body.find(|c: char| !c.is_ascii_digit() && c != '.').ok_or_else(|| bad("no unit"))?;
    let (number, unit) = body.split_at(split);
    let scale = UNITS.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s).ok_or_else(|| bad("unknown unit"))?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.contains('.') {
        return Err(bad("malformed number"));
    }
    let whole: i128 = whole.parse().map_err(|_| bad("malformed number"))?;
    let mut nanos = whole.checked_mul(i128::from(scale)).ok_or_else(|| bad("too large"))?;
    let mut place = i128::from(scale);
    for digit in fraction.chars() {
        if place % 10 != 0 {
            return Err(bad("finer than a nanosecond"));
        }
        place /= 10;
        nanos += i128::from(digit.to_digit(10).ok_or_else(|| bad("malformed number"))?) * place;
    }
    if nanos > i128::from(i64::MAX) {
        return Err(bad("too large"));
    }
    Ok(if negative { -nanos } else { nanos })
}

/// Writes nanoseconds in the largest unit that keeps the value at least 1,
/// with as many decimals as it needs and no more.
fn write_nanos(f: &mut fmt::Formatter<'_>, nanos: u64) -> fmt::Result {
    let (unit, scale) = match nanos {
        n if n >= 1_000_000_000 => ("s", 1_000_000_000u64),
        n if n >= 1_000_000 => ("ms", 1_000_000),
        n if n >= 1_000 => ("us", 1_000),
        _ => ("ns", 1),
    };
    let (whole, rest) = (nanos / scale, nanos % scale);
    if rest == 0 {
        return write!(f, "{whole}{unit}");
    }
    let width = scale.ilog10() as usize;
    let fraction = format!("{rest:0width$}");
    write!(f, "{whole}.{}{unit}", fraction.trim_end_matches('0'))
}

impl fmt::Display for PlanTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_nanos(f, u64::try_from(self.0.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl fmt::Display for SignedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write_nanos(f, self.0.unsigned_abs())
    }
}

impl From<Duration> for PlanTime {
    fn from(d: Duration) -> PlanTime {
        PlanTime(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, nanos: i128, printed: &str) {
        assert_eq!(parse(text), Ok(nanos), "{text}");
        assert_eq!(SignedTime(nanos as i64).to_string(), printed, "{text}");
        assert_eq!(parse(printed), Ok(nanos), "{printed} reads back");
    }

    #[test]
    fn times_parse_and_print_exactly() {
        check("150ms", 150_000_000, "150ms");
        check("1.5s", 1_500_000_000, "1.5s");
        check("20us", 20_000, "20us");
        check("20µs", 20_000, "20us");
        check("300ns", 300, "300ns");
        check("-5ms", -5_000_000, "-5ms");
        check("1.000001ms", 1_000_001, "1.000001ms");
        check("0s", 0, "0ns");
        check("2.250s", 2_250_000_000, "2.25s");
    }

    #[test]
    fn bad_times_say_what_is_expected() {
        for bad in ["", "12", "ms", "1.5.2s", "3 parsecs", "1.5ns", "99999999999s", "1e3ms"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("expected e.g."), "{bad}: {err}");
        }
    }
}
