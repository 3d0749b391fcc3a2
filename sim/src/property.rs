//! Properties a run must have: `always` (an invariant at chosen points),
//! `sometimes` (coverage: a state a suite must reach now and then) and
//! `eventually` (liveness: a state reached within a deadline after the faults
//! are healed, see [`crate::liveness`]).
//!
//! `always` and `sometimes` are called from a node's task at the points where
//! the code knows the property should hold. A false `always` ends the run with a
//! [`Failure::Property`] naming the property, the node
//! and the virtual time; it is also logged, so the trace shows where. A
//! `sometimes` never fails a run: each run counts how often the point was
//! reached and how often the condition held ([`Coverage`]), and
//! [`crate::scenario::coverage`] adds the counts of a sweep up, so a suite that
//! never reaches its interesting path is visible (`never_held`).
//!
//! ```
//! use microsim::property::{always, sometimes};
//! use microsim::Sim;
//!
//! let mut sim = Sim::builder().seed(1).build();
//! sim.client("n", || async {
//!     for i in 0..10u32 {
//!         always("counter stays small", i < 100);
//!         sometimes("counter reaches 9", i == 9);
//!     }
//! })
//! .unwrap();
//! let outcome = sim.run();
//! assert!(outcome.is_ok());
//! assert_eq!(outcome.coverage[0].name, "counter reaches 9");
//! assert_eq!((outcome.coverage[0].reached, outcome.coverage[0].held), (10, 1));
//! ```

use crate::outcome::Failure;
use crate::runtime;
use crate::time::Instant;
use std::collections::BTreeMap;

/// How often one `sometimes` (or `eventually`) property was reached and held.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// The property's name.
    pub name: String,
    /// `sometimes` or `eventually`.
    pub kind: String,
    /// How often it was checked.
    pub reached: u64,
    /// How often it held.
    pub held: u64,
}

/// The properties' state during a run.
#[derive(Default)]
pub(crate) struct Props {
    pub(crate) live: crate::liveness::Live,
    counts: BTreeMap<(&'static str, String), (u64, u64)>,
    /// The run's metrics (see [`crate::metrics`]), in the order first reported.
    pub(crate) metrics: Vec<crate::metrics::Metric>,
}

impl Props {
    pub(crate) fn count(&mut self, kind: &'static str, name: &str, held: bool) {
        // Most calls find their entry: look it up without allocating.
        let entry = match self.counts.iter_mut().find(|((k, n), _)| *k == kind && n == name) {
            Some((_, e)) => e,
            None => self.counts.entry((kind, name.to_string())).or_default(),
        };
        entry.0 += 1;
        entry.1 += u64::from(held);
    }

    pub(crate) fn coverage(&self) -> Vec<Coverage> {
        let mut all: Vec<Coverage> = self
            .counts
            .iter()
            .map(|((kind, name), &(reached, held))| Coverage {
                name: name.clone(),
                kind: kind.to_string(),
                reached,
                held,
            })
            .collect();
        all.sort_by(|a, b| (&a.name, &a.kind).cmp(&(&b.name, &b.kind)));
        all
    }
}

/// Adds up coverage counts (of many runs, or of the shards of a sweep) by
/// property: one entry per (name, kind), sorted.
pub fn sum<'a>(coverage: impl IntoIterator<Item = &'a Coverage>) -> Vec<Coverage> {
    let mut sum: BTreeMap<(&str, &str), Coverage> = BTreeMap::new();
    for c in coverage {
        let e = sum.entry((&c.name, &c.kind)).or_insert(Coverage { reached: 0, held: 0, ..c.clone() });
        e.reached += c.reached;
        e.held += c.held;
    }
    sum.into_values().collect()
}

/// Checks an invariant at this point of a node's task: if `holds` is false the
/// run fails with [`Failure::Property`] (the first failure of a run is the one
/// reported).
#[track_caller]
pub fn always(name: &str, holds: bool) {
    if !holds {
        violated(name, String::new());
    }
}

/// [`always`], with an explanation computed only when the property is violated.
#[track_caller]
pub fn always_or(name: &str, holds: bool, explain: impl FnOnce() -> String) {
    if !holds {
        violated(name, explain());
    }
}

/// Counts one check of a coverage property: reached, and held if `holds`.
pub fn sometimes(name: &str, holds: bool) {
    runtime::with(|inner| inner.state.borrow_mut().props.count("sometimes", name, holds));
}

#[cold]
fn violated(name: &str, detail: String) {
    tracing::error!(property = name, "property violated: {detail}");
    runtime::with(|inner| {
        let node = inner.current_node();
        let mut st = inner.state.borrow_mut();
        let node = st.nodes.name(node).to_string();
        let time = Instant::from_nanos(st.now);
        st.fail(Failure::Property { name: name.to_string(), node, time, detail });
    });
}
