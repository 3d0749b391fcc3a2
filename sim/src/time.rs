//! Virtual time: instants, `now`, `sleep`, `sleep_until`, `timeout`, `interval`
//! and the wall clock.
//!
//! Time advances only when every ready task has run and the next event is taken
//! from the queue; it jumps straight to that event's time. Resolution is one
//! nanosecond; there is no minimum sleep and no hidden delay anywhere, so a
//! sleep of 3 ms ends exactly 3 ms of virtual time later.
//!
//! Inside a node, [`now`] and every sleep use the node's own monotonic clock,
//! which equals global virtual time unless a fault makes it drift (see
//! `clock.rs`): a node whose clock runs fast sees its sleeps end early in global
//! time. [`wall_now`] is the node's wall clock, which faults can also offset and
//! jump backwards. Outside nodes (the test's side) both read global time.

use crate::runtime::{self, Inner};
use crate::slab::Key;
use std::fmt;
use std::future::Future;
use std::ops::{Add, Sub};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

/// A point in virtual time: nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since the start, as a `Duration`.
    pub fn since_start(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Time from `earlier` to `self` (zero if `earlier` is later).
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// Time elapsed since this instant.
    pub fn elapsed(self) -> Duration {
        now().saturating_duration_since(self)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(nanos(d)))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Display for Instant {
    /// Milliseconds with nanosecond precision, e.g. `12.000345ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}ms", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// The current node's monotonic clock (global virtual time on the test's side).
#[inline]
pub fn now() -> Instant {
    runtime::with(|i| {
        let node = i.current_node();
        Instant(i.state.borrow().local_now(node))
    })
}

/// The simulation's true virtual time, which no clock fault touches: for test
/// oracles and checkers that stamp what happened (histories, observations).
/// Service code should use [`now`], its node's own clock, as real code would.
pub fn global_now() -> Instant {
    runtime::with(|i| Instant(i.state.borrow().now))
}

/// The current node's wall clock, a `SystemTime` that starts at
/// 2026-01-01T00:00:00Z when the run starts and that clock faults can offset
/// and jump (also backwards).
pub fn wall_now() -> SystemTime {
    let nanos = runtime::with(|i| {
        let node = i.current_node();
        let st = i.state.borrow();
        match st.nodes.list.get(node as usize) {
            Some(n) => n.clock.wall(st.now),
            None => crate::clock::WALL_START_NS + i128::from(st.now),
        }
    });
    let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX));
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

/// Waits until `duration` has passed on the current node's clock.
pub fn sleep(duration: Duration) -> Sleep {
    runtime::with(|i| {
        let node = i.current_node();
        let deadline = i.state.borrow().local_now(node).saturating_add(nanos(duration));
        Sleep { deadline, node, timer: None }
    })
}

/// Waits until the current node's clock reaches `deadline` (at once if it has).
pub fn sleep_until(deadline: Instant) -> Sleep {
    let node = runtime::CTX.try_with(|i| i.current_node()).unwrap_or(microsim_traces::NO_NODE);
    Sleep { deadline: deadline.0, node, timer: None }
}

/// The future of [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    /// On the clock of `node`.
    deadline: u64,
    node: microsim_traces::NodeIx,
    timer: Option<Key>,
}

impl Sleep {
    /// When the sleep ends.
    pub fn deadline(&self) -> Instant {
        Instant(self.deadline)
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        runtime::with(|inner: &Inner| {
            let mut st = inner.state.borrow_mut();
            if st.local_now(self.node) >= self.deadline {
                if let Some(key) = self.timer.take() {
                    st.events.cancel_timer(key);
                }
                return Poll::Ready(());
            }
            // A timer that fired before the node's clock reached the deadline (its
            // drift changed meanwhile) is set again for the rest.
            match self.timer.filter(|&key| st.events.is_pending(key)) {
                Some(key) => st.events.update_timer(key, cx.waker()),
                None => {
                    let at = st.global_for(self.node, self.deadline);
                    self.timer = Some(st.events.add_timer(at, self.node, cx.waker().clone()));
                }
            }
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.timer.take() {
            runtime::CTX.try_with(|i| i.state.borrow_mut().events.cancel_timer(key));
        }
    }
}

/// The error of [`timeout`]: the time ran out first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("deadline elapsed")]
pub struct Elapsed;

/// Runs `future` for at most `duration` of virtual time.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout { future, sleep: sleep(duration) }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`].
    #[derive(Debug)]
    #[must_use = "a timeout does nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Ticks every `period`, the first tick at once.
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be positive");
    Interval { period: nanos(period), next: now().0 }
}

/// A periodic timer made by [`interval`].
///
/// If a tick is late (the node was paused), the next one is scheduled one period
/// after the late tick rather than bursting to catch up.
#[derive(Debug)]
pub struct Interval {
    period: u64,
    next: u64,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    pub async fn tick(&mut self) -> Instant {
        sleep_until(Instant(self.next)).await;
        let scheduled = self.next;
        let now = now().0;
        self.next = if now > scheduled { now + self.period } else { scheduled + self.period };
        Instant(scheduled)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        Duration::from_nanos(self.period)
    }
}
