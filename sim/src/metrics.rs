//! Metrics a run reports: named figures a scenario's nodes compute (latency
//! percentiles, retries, a breaker's history), carried by the run's
//! [`Outcome`](crate::Outcome) and [`Report`](crate::scenario::Report) and
//! printed by `microsim run` under the run's summary.
//!
//! A scenario cannot print (its runs happen in sweeps, on threads), so its
//! nodes hand their figures to the run instead. A later value of a name
//! replaces the earlier one, so a node may report as it goes.
//!
//! ```
//! let mut sim = microsim::Sim::builder().seed(1).build();
//! sim.client("c", || async {
//!     microsim::metrics::value("orders per second", 12.5, "/s");
//!     microsim::metrics::text("breaker", "closed all along");
//! })
//! .unwrap();
//! let outcome = sim.run();
//! assert_eq!(outcome.metrics[0].value, Some(12.5));
//! assert_eq!(outcome.metrics[1].text, "closed all along");
//! ```

use crate::runtime;

/// One figure of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    /// Its name.
    pub name: String,
    /// Its value, if it is a number.
    pub value: Option<f64>,
    /// How it reads (the number with its unit, or a text).
    pub text: String,
}

/// Reports a number with its unit (shown as a whole number if it is one,
/// else with two decimals).
pub fn value(name: &str, value: f64, unit: &str) {
    let text = if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}{unit}")
    } else {
        format!("{value:.2}{unit}")
    };
    put(Metric { name: name.to_string(), value: Some(value), text });
}

/// Reports a text.
pub fn text(name: &str, text: impl Into<String>) {
    put(Metric { name: name.to_string(), value: None, text: text.into() });
}

fn put(metric: Metric) {
    runtime::with(|inner| {
        let mut st = inner.state.borrow_mut();
        let all = &mut st.props.metrics;
        match all.iter_mut().find(|m| m.name == metric.name) {
            Some(m) => *m = metric,
            None => all.push(metric),
        }
    });
}
