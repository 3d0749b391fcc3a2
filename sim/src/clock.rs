//! Per-node clocks: a monotonic clock that may drift from true (global) virtual
//! time, and a wall clock that may be offset and may jump.
//!
//! A node's monotonic clock runs at `1 + ppm / 1,000,000` times the speed of
//! global time, piecewise: when the drift changes, the clock goes on from where
//! it was, so it never goes backwards. The node's wall clock is its monotonic
//! reading plus an offset that faults can set or jump, forwards or backwards.
//! Timers and sleeps of a node are measured on its monotonic clock, so a fast
//! clock ends a sleep early in global time (and a lease with it).
//!
//! Arithmetic is in integers (drift in parts per billion), so conversions are
//! exact and replay bit for bit.

/// Wall-clock time at global virtual time zero: 2026-01-01T00:00:00Z, in
/// nanoseconds since the Unix epoch.
pub const WALL_START_NS: i128 = 1_767_225_600 * 1_000_000_000;

const BILLION: i128 = 1_000_000_000;

/// A node's clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Clock {
    /// Global time of the last change of drift.
    base_global: u64,
    /// Monotonic reading at `base_global`.
    base_local: u64,
    /// Drift in parts per billion (local runs at (1e9 + rate) / 1e9).
    rate_ppb: i64,
    /// Wall clock minus (start + monotonic reading), in nanoseconds.
    wall_offset: i64,
}

impl Clock {
    /// Whether the clocks read true global time (the common, fast case).
    #[inline]
    pub(crate) fn is_true(&self) -> bool {
        *self == Clock::default()
    }

    /// The monotonic reading at global time `global`.
    #[inline]
    pub(crate) fn local(&self, global: u64) -> u64 {
        if self.rate_ppb == 0 {
            return self.base_local + (global - self.base_global);
        }
        let elapsed = i128::from(global - self.base_global);
        let local = i128::from(self.base_local) + elapsed * (BILLION + i128::from(self.rate_ppb)) / BILLION;
        u64::try_from(local).unwrap_or(u64::MAX)
    }

    /// The earliest global time at which the monotonic clock reads `local` or
    /// more (never before `now`).
    pub(crate) fn global_for(&self, local: u64, now: u64) -> u64 {
        if local <= self.local(now) {
            return now;
        }
        let ahead = i128::from(local - self.base_local);
        let speed = BILLION + i128::from(self.rate_ppb);
        let global = i128::from(self.base_global) + (ahead * BILLION + speed - 1) / speed;
        let global = u64::try_from(global).unwrap_or(u64::MAX).max(now);
        debug_assert!(self.local(global) >= local, "rounded up to a time the clock has reached");
        global
    }

    /// The wall clock at global time `global`, in nanoseconds since the Unix epoch.
    pub(crate) fn wall(&self, global: u64) -> i128 {
        WALL_START_NS + i128::from(self.local(global)) + i128::from(self.wall_offset)
    }

    /// Sets the drift from global time `now` on.
    pub(crate) fn set_drift(&mut self, now: u64, ppm: f64) {
        self.base_local = self.local(now);
        self.base_global = now;
        self.rate_ppb = (ppm * 1000.0).round() as i64;
    }

    /// Sets the wall clock `offset_ns` away from true wall time.
    pub(crate) fn set_offset(&mut self, now: u64, offset_ns: i64) {
        let skew = self.local(now) as i128 - i128::from(now);
        self.wall_offset = (i128::from(offset_ns) - skew).clamp(i64::MIN.into(), i64::MAX.into()) as i64;
    }

    /// Moves the wall clock by `by_ns` (the monotonic clock does not move).
    pub(crate) fn jump(&mut self, by_ns: i64) {
        self.wall_offset = self.wall_offset.saturating_add(by_ns);
    }

    /// No more drift, and the wall clock reads true time again; the monotonic
    /// clock goes on from where it is.
    pub(crate) fn resync(&mut self, now: u64) {
        self.set_drift(now, 0.0);
        self.set_offset(now, 0);
    }
}

/// A change to a node's clocks (applied by [`crate::Sim::clock`] or
/// [`crate::control::clock`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockChange {
    /// The wall clock reads `offset_ns` away from true time (negative: behind).
    Offset {
        /// Nanoseconds.
        offset_ns: i64,
    },
    /// The monotonic clock runs fast (positive) or slow by `ppm` parts per million.
    Drift {
        /// Parts per million.
        ppm: f64,
    },
    /// The wall clock jumps by `by_ns` (negative: backwards).
    Jump {
        /// Nanoseconds.
        by_ns: i64,
    },
    /// No drift, true wall time (the monotonic clock does not jump).
    Resync,
}

impl crate::runtime::Inner {
    /// Applies a clock change to the named node now.
    pub(crate) fn change_clock(&self, node: &str, change: ClockChange) -> Result<(), crate::SimError> {
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        let ix = st.nodes.lookup(node).ok_or_else(|| crate::SimError::UnknownNode(node.to_string()))?;
        let now = st.now;
        let clock = &mut st.nodes.list[ix as usize].clock;
        use crate::plan::SignedTime as T;
        match change {
            ClockChange::Offset { offset_ns } => {
                clock.set_offset(now, offset_ns);
                st.record_fault(ix, format_args!("clock_offset {node} {}", T(offset_ns)));
            }
            ClockChange::Drift { ppm } => {
                clock.set_drift(now, ppm);
                st.record_fault(ix, format_args!("clock_drift {node} {ppm}ppm"));
            }
            ClockChange::Jump { by_ns } => {
                clock.jump(by_ns);
                st.record_fault(ix, format_args!("clock_jump {node} {}", T(by_ns)));
            }
            ClockChange::Resync => {
                clock.resync(now);
                st.record_fault(ix, format_args!("clock_resync {node}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_true_clock_reads_global_time() {
        let c = Clock::default();
        assert!(c.is_true());
        assert_eq!(c.local(5 * MS), 5 * MS);
        assert_eq!(c.global_for(7 * MS, 5 * MS), 7 * MS);
        assert_eq!(c.wall(0), WALL_START_NS);
    }

    #[test]
    fn a_fast_clock_reaches_a_deadline_early_in_global_time() {
        let mut c = Clock::default();
        c.set_drift(0, 100_000.0); // 10% fast
        assert_eq!(c.local(1000 * MS), 1100 * MS);
        let g = c.global_for(1100 * MS, 0);
        assert_eq!(g, 1000 * MS);
        assert!(c.local(g) >= 1100 * MS && c.local(g - 1) < 1100 * MS, "the first global instant that reaches it");
    }

    #[test]
    fn changing_drift_keeps_the_monotonic_clock_continuous() {
        let mut c = Clock::default();
        c.set_drift(0, 500.0);
        let before = c.local(10 * MS);
        c.set_drift(10 * MS, -500.0);
        assert_eq!(c.local(10 * MS), before);
        assert!(c.local(20 * MS) > before);
    }

    #[test]
    fn the_wall_clock_can_be_offset_jumped_and_resynced() {
        let mut c = Clock::default();
        c.set_offset(0, -250 * MS as i64);
        assert_eq!(c.wall(MS), WALL_START_NS + i128::from(MS) - i128::from(250 * MS));
        c.jump(1_000 * MS as i64);
        assert_eq!(c.wall(MS), WALL_START_NS + i128::from(MS) + i128::from(750 * MS));
        c.set_drift(MS, 1000.0);
        c.resync(5 * MS);
        assert_eq!(c.wall(5 * MS), WALL_START_NS + i128::from(5 * MS), "true wall time again");
        assert_eq!(c.local(6 * MS) - c.local(5 * MS), MS, "no drift any more");
    }
}
