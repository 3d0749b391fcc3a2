//! A circuit breaker per downstream service, as a pure state machine (time is
//! passed in): closed (calls go through, failures are counted), open (calls
//! fail fast until a deadline), half-open (one probe goes through; its result
//! closes or reopens the breaker).

use microsim::time::Instant;
use std::fmt;
use std::time::Duration;

/// A breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Calls go through; `failures` in a row so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// Calls fail fast until `until`.
    Open {
        /// When one probe may go.
        until: Instant,
    },
    /// One probe is in flight; other calls fail fast.
    HalfOpen,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed { .. } => "closed",
            State::Open { .. } => "open",
            State::HalfOpen => "half-open",
        })
    }
}

/// Whether a call may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Yes (as the probe, if the breaker was open).
    Go,
    /// No: fail fast, or wait until `retry_at` to ask again.
    Wait {
        /// When asking again may help.
        retry_at: Instant,
    },
}

/// One downstream's breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    state: State,
    threshold: u32,
    open_for: Duration,
}

impl Breaker {
    /// A closed breaker that opens after `threshold` failures in a row, for `open_for`.
    pub fn new(threshold: u32, open_for: Duration) -> Breaker {
        assert!(threshold > 0, "a breaker opens after at least one failure");
        Breaker { state: State::Closed { failures: 0 }, threshold, open_for }
    }

    /// Its state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Takes new settings (read once per saga step); the state stays.
    pub fn configure(&mut self, threshold: u32, open_for: Duration) {
        self.threshold = threshold.max(1);
        self.open_for = open_for;
    }

    /// Asks to make a call at `now`; an open breaker past its deadline turns
    /// half-open and lets this call through as the probe.
    pub fn admit(&mut self, now: Instant) -> Admit {
        match self.state {
            State::Closed { .. } => Admit::Go,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen;
                Admit::Go
            }
            State::Open { until } => Admit::Wait { retry_at: until },
            // The probe decides within a call timeout; ask again a little later.
            State::HalfOpen => Admit::Wait { retry_at: now + self.open_for / 4 },
        }
    }

    /// Records how an admitted call went at `now`.
    pub fn record(&mut self, ok: bool, now: Instant) {
        self.state = match (self.state, ok) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => {
                State::Closed { failures: failures + 1 }
            }
            (State::Closed { .. } | State::HalfOpen, false) => State::Open { until: now + self.open_for },
            // A call admitted before the breaker opened failed too: it stays open as it was.
            (open @ State::Open { .. }, false) => open,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }

    fn check(outcomes: &[bool]) -> Breaker {
        let mut b = Breaker::new(3, Duration::from_millis(100));
        for &ok in outcomes {
            assert_eq!(b.admit(at(0)), Admit::Go);
            b.record(ok, at(0));
        }
        b
    }

    #[test]
    fn failures_in_a_row_open_the_breaker() {
        assert_eq!(check(&[false, false]).state(), State::Closed { failures: 2 });
        assert_eq!(check(&[false, false, false]).state(), State::Open { until: at(100) });
    }

    #[test]
    fn a_success_resets_the_count() {
        assert_eq!(check(&[false, false, true, false, false]).state(), State::Closed { failures: 2 });
    }

    #[test]
    fn an_open_breaker_fails_fast_then_lets_one_probe_through() {
        let mut b = check(&[false, false, false]);
        assert_eq!(b.admit(at(50)), Admit::Wait { retry_at: at(100) });
        assert_eq!(b.admit(at(100)), Admit::Go);
        assert_eq!(b.state(), State::HalfOpen);
        assert!(matches!(b.admit(at(101)), Admit::Wait { .. }), "one probe at a time");
    }

    #[test]
    fn the_probe_closes_or_reopens_the_breaker() {
        let mut b = check(&[false, false, false]);
        b.admit(at(100));
        b.record(false, at(120));
        assert_eq!(b.state(), State::Open { until: at(220) });
        b.admit(at(220));
        b.record(true, at(230));
        assert_eq!(b.state(), State::Closed { failures: 0 });
    }
}
