//! Fault points in service code: `buggify!` and `fault_point!`.
//!
//! `buggify!()` marks a code path that may misbehave on purpose (FoundationDB's
//! BUGGIFY): when fault points are enabled for a run, each call site is switched
//! on for the whole run with some probability, and a switched-on site fires with
//! another. `fault_point!("payment.charge")` marks an error-returning boundary: it
//! returns an injected error at the configured rate. Both draw from the run's
//! fault-point stream, so a seed replays the same firings; both count how often
//! they were reached and fired, and [`crate::Outcome::fault_points`] lists them,
//! so a user sees which error handlers ever ran.
//!
//! ```
//! use microsim::{fault_point, FaultPoints, Sim};
//!
//! async fn charge() -> Result<(), String> {
//!     fault_point!("payment.charge").map_err(|e| e.to_string())?;
//!     Ok(())
//! }
//!
//! let mut sim = Sim::builder().seed(1).fault_points(FaultPoints::enabled().rate("payment.charge", 1.0)).build();
//! sim.client("shop", || async {
//!     assert!(charge().await.is_err());
//! })
//! .unwrap();
//! let outcome = sim.run();
//! assert!(outcome.is_ok());
//! assert_eq!(outcome.fault_points[0].name, "payment.charge");
//! assert_eq!((outcome.fault_points[0].reached, outcome.fault_points[0].fired), (1, 1));
//! ```

use crate::rng::SimRng;
use crate::runtime;
use rand::Rng;
use std::collections::BTreeMap;

/// How fault points behave in a run. Off by default: every point is a no-op
/// (but still counted).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPoints {
    enabled: bool,
    /// Probability that a `buggify!` site is switched on for the run.
    pub site_activation: f64,
    /// Probability that a switched-on `buggify!()` site fires when reached.
    pub buggify_rate: f64,
    /// Probability that a `fault_point!` without its own rate returns an error.
    pub default_rate: f64,
    rates: BTreeMap<String, f64>,
}

impl Default for FaultPoints {
    fn default() -> Self {
        FaultPoints {
            enabled: false,
            site_activation: 0.25,
            buggify_rate: 0.25,
            default_rate: 0.01,
            rates: BTreeMap::new(),
        }
    }
}

impl FaultPoints {
    /// Fault points on, with the default rates.
    pub fn enabled() -> FaultPoints {
        FaultPoints { enabled: true, ..FaultPoints::default() }
    }

    /// Whether fault points fire at all in this run.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Sets the error rate of one named `fault_point!` (clamped to 0..=1).
    pub fn rate(mut self, name: &str, rate: f64) -> FaultPoints {
        self.rates.insert(name.to_string(), rate.clamp(0.0, 1.0));
        self
    }
}

/// What one fault point did in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointCount {
    /// The point's name (`fault_point!`) or call site (`buggify!`: `file:line`).
    pub name: String,
    /// `fault_point` or `buggify`.
    pub kind: &'static str,
    /// How often it was reached.
    pub reached: u64,
    /// How often it fired.
    pub fired: u64,
}

/// The error a `fault_point!` returns when it fires.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("injected fault at {point}")]
pub struct InjectedFault {
    /// The point's name.
    pub point: &'static str,
}

#[derive(Debug, Default)]
struct Site {
    kind: &'static str,
    active: bool,
    reached: u64,
    fired: u64,
}

/// The run's fault-point state: configuration, the stream, counters.
#[derive(Debug)]
pub(crate) struct PointState {
    config: FaultPoints,
    /// The run's seed, for the stream made at the first roll.
    seed: u64,
    /// The fault points' stream, made when first needed (most runs roll none:
    /// seeding a stream is a good part of setting a small run up).
    rng: Option<SimRng>,
    sites: BTreeMap<&'static str, Site>,
}

impl PointState {
    pub(crate) fn new(config: FaultPoints, seed: u64) -> PointState {
        PointState { config, seed, rng: None, sites: BTreeMap::new() }
    }

    fn roll(&mut self, p: f64) -> bool {
        if !(self.config.enabled && p > 0.0) {
            return false;
        }
        let seed = self.seed;
        let rng = self.rng.get_or_insert_with(|| crate::rng::stream(seed, crate::rng::Stream::FaultPoints));
        rng.random_bool(p.min(1.0))
    }

    pub(crate) fn buggify(&mut self, site: &'static str, rate: Option<f64>) -> bool {
        if !self.sites.contains_key(site) {
            let active = self.roll(self.config.site_activation);
            self.sites.insert(site, Site { kind: "buggify", active, ..Site::default() });
        }
        let rate = rate.unwrap_or(self.config.buggify_rate);
        let active = self.sites[site].active;
        let fired = active && self.roll(rate);
        let s = self.sites.get_mut(site).expect("inserted above");
        s.reached += 1;
        s.fired += u64::from(fired);
        fired
    }

    pub(crate) fn fault_point(&mut self, name: &'static str) -> bool {
        let rate = self.config.rates.get(name).copied().unwrap_or(self.config.default_rate);
        let fired = self.roll(rate);
        let s = self.sites.entry(name).or_insert(Site { kind: "fault_point", active: true, ..Site::default() });
        s.reached += 1;
        s.fired += u64::from(fired);
        fired
    }

    /// Stops every point from firing (the quiet phase of a liveness run).
    pub(crate) fn disable(&mut self) {
        self.config.enabled = false;
    }

    /// The counts, by name.
    pub(crate) fn counts(&self) -> Vec<PointCount> {
        self.sites
            .iter()
            .map(|(name, s)| PointCount { name: name.to_string(), kind: s.kind, reached: s.reached, fired: s.fired })
            .collect()
    }
}

#[doc(hidden)]
pub fn __buggify(site: &'static str, rate: Option<f64>) -> bool {
    runtime::with(|i| i.state.borrow_mut().points.buggify(site, rate))
}

#[doc(hidden)]
pub fn __fault_point(name: &'static str) -> Result<(), InjectedFault> {
    let fired = runtime::with(|i| i.state.borrow_mut().points.fault_point(name));
    if fired {
        Err(InjectedFault { point: name })
    } else {
        Ok(())
    }
}

/// True when this call site misbehaves now (see the module documentation).
/// `buggify!(0.1)` sets the firing rate of this site.
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::faultpoint::__buggify(concat!(file!(), ":", line!()), None)
    };
    ($rate:expr) => {
        $crate::faultpoint::__buggify(concat!(file!(), ":", line!()), Some($rate))
    };
}

/// `Err(InjectedFault)` when the named fault point fires, else `Ok(())`.
#[macro_export]
macro_rules! fault_point {
    ($name:literal) => {
        $crate::faultpoint::__fault_point($name)
    };
}
