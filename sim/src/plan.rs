//! Fault plans: faults as data.
//!
//! A [`FaultPlan`] is an ordered list of steps, each a virtual time and a
//! [`Fault`]. Plans name nodes by name, never by index, so a saved plan still
//! applies after the code changes; they are plain serde values, so they can be
//! saved as JSON, diffed, shrunk and replayed. Loading a plan checks its shape
//! and every step's fields; [`FaultPlan::validate`] checks it against a topology
//! (known nodes, times within the run's limit, transitions that make sense:
//! no restart of a node that is up). Every error names the step.
//!
//! ```
//! use microsim::plan::FaultPlan;
//!
//! let plan = FaultPlan::from_json(r#"{"steps": [
//!     {"at": "150ms", "fault": "crash", "node": "db"},
//!     {"at": "1.5s",  "fault": "restart", "node": "db"}
//! ]}"#).unwrap();
//! assert_eq!(plan.steps.len(), 2);
//! assert_eq!(plan.steps[0].to_string(), "at 150ms: crash db");
//! let err = plan.validate(&["web", "db"], std::time::Duration::from_secs(1)).unwrap_err();
//! assert_eq!(err.to_string(), "step 2 (at 1.5s: restart db): past the run's time limit of 1s");
//! ```

use crate::disk::DiskFaults;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

mod time_text;
pub use time_text::{PlanTime, SignedTime};

/// One link of the network, from a node to a node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRef {
    /// The sending node.
    pub from: String,
    /// The receiving node.
    pub to: String,
}

/// A latency distribution in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencySpec {
    /// Always `value`.
    Fixed {
        /// The latency.
        value: PlanTime,
    },
    /// Uniform in `min..max`.
    Uniform {
        /// Shortest.
        min: PlanTime,
        /// Bound (excluded).
        max: PlanTime,
    },
    /// Long-tailed (see `Latency::LongTail`).
    LongTail {
        /// Shortest.
        min: PlanTime,
        /// Median.
        median: PlanTime,
        /// Longest.
        max: PlanTime,
    },
}

impl LatencySpec {
    /// The runtime form.
    pub fn to_latency(self) -> crate::Latency {
        match self {
            LatencySpec::Fixed { value } => crate::Latency::Fixed(value.0),
            LatencySpec::Uniform { min, max } => crate::Latency::Uniform { min: min.0, max: max.0 },
            LatencySpec::LongTail { min, median, max } => {
                crate::Latency::LongTail { min: min.0, median: median.0, max: max.0 }
            }
        }
    }

    fn check(&self) -> Result<(), String> {
        let ok = match *self {
            LatencySpec::Fixed { .. } => true,
            LatencySpec::Uniform { min, max } => min <= max,
            LatencySpec::LongTail { min, median, max } => min <= median && median <= max,
        };
        ok.then_some(()).ok_or_else(|| "latency bounds out of order: expected min <= (median <=) max".to_string())
    }
}

/// One fault. In JSON the kind is the `fault` field, in snake case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The node crashes: tasks dropped, volatile state lost, unsynced writes lost.
    Crash {
        /// The node.
        node: String,
    },
    /// The node crashes and its disk is lost too.
    CrashWipe {
        /// The node.
        node: String,
    },
    /// A crashed node starts again (its factory runs; its disk is kept).
    Restart {
        /// The node.
        node: String,
    },
    /// The node hangs: none of its tasks runs; messages to it queue.
    Pause {
        /// The node.
        node: String,
    },
    /// A paused node goes on.
    Resume {
        /// The node.
        node: String,
    },
    /// The network splits into groups that cannot reach each other (nodes not
    /// named stay connected to everyone).
    Partition {
        /// The groups.
        groups: Vec<Vec<String>>,
    },
    /// Messages on one link are dropped.
    Cut {
        /// The link.
        #[serde(flatten)]
        link: LinkRef,
    },
    /// Messages on one link are held, then released by `unclog` or a heal.
    Clog {
        /// The link.
        #[serde(flatten)]
        link: LinkRef,
    },
    /// A clogged link releases what it held, in order.
    Unclog {
        /// The link.
        #[serde(flatten)]
        link: LinkRef,
    },
    /// Messages are lost at a rate, on one link or (without `link`) everywhere.
    Loss {
        /// Probability of losing each message.
        rate: f64,
        /// The link, or everywhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<LinkRef>,
    },
    /// Messages are delivered twice at a rate, on one link or everywhere.
    Duplicate {
        /// Probability of delivering a message twice.
        rate: f64,
        /// The link, or everywhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<LinkRef>,
    },
    /// The latency of one link or of every link changes.
    Latency {
        /// The new distribution.
        latency: LatencySpec,
        /// The link, or everywhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<LinkRef>,
    },
    /// Partitions, cuts and clogs end (clogged messages are released).
    HealNetwork,
    /// The node's clock is set `offset` away from true time.
    ClockOffset {
        /// The node.
        node: String,
        /// The offset (may be negative).
        offset: SignedTime,
    },
    /// The node's clock runs fast (positive) or slow (negative) by `ppm` parts per million.
    ClockDrift {
        /// The node.
        node: String,
        /// Parts per million.
        ppm: f64,
    },
    /// The node's wall clock jumps (its monotonic clock does not go backwards).
    ClockJump {
        /// The node.
        node: String,
        /// The jump (may be negative).
        by: SignedTime,
    },
    /// The node's clocks run true again: no drift, true wall time (the
    /// monotonic clock does not jump).
    ClockResync {
        /// The node.
        node: String,
    },
    /// The node's disk starts misbehaving as described.
    Disk {
        /// The node.
        node: String,
        /// How.
        #[serde(flatten)]
        faults: DiskFaults,
    },
    /// Everything is healed: crashed nodes restart, paused ones resume, the
    /// network heals, loss and duplication stop, clocks resync, disks behave.
    HealAll,
}

impl Fault {
    /// The stable name of the kind, as in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::CrashWipe { .. } => "crash_wipe",
            Fault::Restart { .. } => "restart",
            Fault::Pause { .. } => "pause",
            Fault::Resume { .. } => "resume",
            Fault::Partition { .. } => "partition",
            Fault::Cut { .. } => "cut",
            Fault::Clog { .. } => "clog",
            Fault::Unclog { .. } => "unclog",
            Fault::Loss { .. } => "loss",
            Fault::Duplicate { .. } => "duplicate",
            Fault::Latency { .. } => "latency",
            Fault::HealNetwork => "heal_network",
            Fault::ClockOffset { .. } => "clock_offset",
            Fault::ClockDrift { .. } => "clock_drift",
            Fault::ClockJump { .. } => "clock_jump",
            Fault::ClockResync { .. } => "clock_resync",
            Fault::Disk { .. } => "disk",
            Fault::HealAll => "heal_all",
        }
    }

    /// Every node name the fault mentions.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Fault::Crash { node }
            | Fault::CrashWipe { node }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockDrift { node, .. }
            | Fault::ClockJump { node, .. }
            | Fault::ClockResync { node }
            | Fault::Disk { node, .. } => vec![node],
            Fault::Partition { groups } => groups.iter().flatten().map(String::as_str).collect(),
            Fault::Cut { link } | Fault::Clog { link } | Fault::Unclog { link } => vec![&link.from, &link.to],
            Fault::Loss { link, .. } | Fault::Duplicate { link, .. } | Fault::Latency { link, .. } => {
                link.iter().flat_map(|l| [l.from.as_str(), l.to.as_str()]).collect()
            }
            Fault::HealNetwork | Fault::HealAll => Vec::new(),
        }
    }
}

fn link_text(link: &Option<LinkRef>) -> String {
    link.as_ref().map(|l| format!(" {}->{}", l.from, l.to)).unwrap_or_default()
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Fault::Crash { node }
            | Fault::CrashWipe { node }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::ClockResync { node } => write!(f, "{kind} {node}"),
            Fault::Partition { groups } => {
                let groups: Vec<String> = groups.iter().map(|g| format!("[{}]", g.join(" "))).collect();
                write!(f, "{kind} {}", groups.join(" | "))
            }
            Fault::Cut { link } | Fault::Clog { link } | Fault::Unclog { link } => {
                write!(f, "{kind} {}->{}", link.from, link.to)
            }
            Fault::Loss { rate, link } | Fault::Duplicate { rate, link } => {
                write!(f, "{kind} {rate}{}", link_text(link))
            }
            Fault::Latency { latency, link } => write!(f, "{kind} {latency:?}{}", link_text(link)),
            Fault::ClockOffset { node, offset } => write!(f, "{kind} {node} {offset}"),
            Fault::ClockDrift { node, ppm } => write!(f, "{kind} {node} {ppm}ppm"),
            Fault::ClockJump { node, by } => write!(f, "{kind} {node} {by}"),
            Fault::Disk { node, faults } => write!(f, "{kind} {node} {faults:?}"),
            Fault::HealNetwork | Fault::HealAll => f.write_str(kind),
        }
    }
}

/// One step of a plan: a fault at a virtual time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When, from the start of the run.
    pub at: PlanTime,
    /// What.
    #[serde(flatten)]
    pub fault: Fault,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.fault)
    }
}

/// Faults as data: steps in time order.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// The steps, in non-decreasing time order.
    pub steps: Vec<Step>,
}

/// Why a plan was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The text is not JSON.
    #[error("plan is not valid JSON (line {line}, column {column}): {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The JSON is not a plan.
    #[error("plan: expected an object {{\"steps\": [...]}}, {0}")]
    Shape(String),
    /// One step is wrong.
    #[error("step {index} ({what}): {message}")]
    Step {
        /// 1-based step number.
        index: usize,
        /// The step as far as it could be read.
        what: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

impl FaultPlan {
    /// A plan of the given steps.
    pub fn new(steps: Vec<Step>) -> FaultPlan {
        FaultPlan { steps }
    }

    /// Reads a plan from JSON, checking each step's shape.
    pub fn from_json(text: &str) -> Result<FaultPlan, PlanError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| PlanError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let serde_json::Value::Object(mut object) = value else {
            return Err(PlanError::Shape("found something else".into()));
        };
        if let Some(extra) = object.keys().find(|k| *k != "steps") {
            return Err(PlanError::Shape(format!("found an unknown field {extra:?}")));
        }
        let Some(serde_json::Value::Array(raw)) = object.remove("steps") else {
            return Err(PlanError::Shape("found no \"steps\" array".into()));
        };
        let mut steps = Vec::with_capacity(raw.len());
        for (i, value) in raw.into_iter().enumerate() {
            let what = describe_raw(&value);
            let step: Step = serde_json::from_value(value).map_err(|e| PlanError::Step {
                index: i + 1,
                what,
                message: e.to_string(),
            })?;
            steps.push(step);
        }
        let plan = FaultPlan { steps };
        plan.check_shape()?;
        Ok(plan)
    }

    /// The plan as pretty JSON (what [`FaultPlan::from_json`] reads).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan is always serialisable")
    }

    fn step_error(&self, i: usize, message: impl Into<String>) -> PlanError {
        PlanError::Step { index: i + 1, what: self.steps[i].to_string(), message: message.into() }
    }

    /// Checks what needs no topology: time order, rates, latency bounds, groups.
    fn check_shape(&self) -> Result<(), PlanError> {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 && step.at < self.steps[i - 1].at {
                let before = self.steps[i - 1].at;
                return Err(
                    self.step_error(i, format!("steps must be in time order, but the step before is at {before}"))
                );
            }
            let bad_rate = |name: &str, rate: f64| {
                (!(0.0..=1.0).contains(&rate)).then(|| format!("{name} {rate} is not a probability: expected 0 to 1"))
            };
            let problem = match &step.fault {
                Fault::Loss { rate, .. } | Fault::Duplicate { rate, .. } => bad_rate("rate", *rate),
                Fault::Disk { faults, .. } => faults.rates().iter().find_map(|(n, r)| bad_rate(n, *r)),
                Fault::Latency { latency, .. } => latency.check().err(),
                Fault::ClockDrift { ppm, .. } => (!ppm.is_finite() || ppm.abs() >= 1e6)
                    .then(|| format!("drift {ppm}ppm: expected within ±1,000,000")),
                Fault::Partition { groups } => check_groups(groups).err(),
                _ => None,
            };
            if let Some(message) = problem {
                return Err(self.step_error(i, message));
            }
        }
        Ok(())
    }

    /// Checks the plan against a topology: every node it names exists, every
    /// step is within `horizon`, and node transitions make sense (crash or pause
    /// a node that is up, restart a crashed one, resume a paused one).
    pub fn validate(&self, nodes: &[&str], horizon: Duration) -> Result<(), PlanError> {
        self.check_shape()?;
        #[derive(Clone, Copy, PartialEq)]
        enum S {
            Up,
            Paused,
            Down,
        }
        let mut status: BTreeMap<&str, S> = nodes.iter().map(|n| (*n, S::Up)).collect();
        for (i, step) in self.steps.iter().enumerate() {
            if step.at.0 > horizon {
                return Err(self.step_error(i, format!("past the run's time limit of {}", PlanTime(horizon))));
            }
            if let Some(unknown) = step.fault.nodes().into_iter().find(|n| !status.contains_key(n)) {
                let known = nodes.join(", ");
                return Err(self.step_error(i, format!("unknown node {unknown:?} (the nodes are: {known})")));
            }
            let change = match &step.fault {
                Fault::Crash { node } | Fault::CrashWipe { node } => {
                    Some((node, &[S::Up, S::Paused][..], S::Down, "up or paused"))
                }
                Fault::Restart { node } => Some((node, &[S::Down][..], S::Up, "crashed")),
                Fault::Pause { node } => Some((node, &[S::Up][..], S::Paused, "up")),
                Fault::Resume { node } => Some((node, &[S::Paused][..], S::Up, "paused")),
                Fault::HealAll => {
                    status.values_mut().for_each(|s| *s = S::Up);
                    None
                }
                _ => None,
            };
            if let Some((node, from, to, expected)) = change {
                let s = status.get_mut(node.as_str()).expect("checked known");
                if !from.contains(s) {
                    let now = match s {
                        S::Up => "up",
                        S::Paused => "paused",
                        S::Down => "crashed",
                    };
                    return Err(self.step_error(i, format!("node {node} is {now} here, expected {expected}")));
                }
                *s = to;
            }
        }
        Ok(())
    }
}

fn check_groups(groups: &[Vec<String>]) -> Result<(), String> {
    if groups.iter().filter(|g| !g.is_empty()).count() < 2 {
        return Err("a partition needs at least two non-empty groups".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in groups.iter().flatten() {
        if !seen.insert(name) {
            return Err(format!("node {name:?} is in more than one group"));
        }
    }
    Ok(())
}

/// A short description of a raw step for error messages (before it parsed).
fn describe_raw(value: &serde_json::Value) -> String {
    let field = |k: &str| value.get(k).map(|v| v.to_string()).unwrap_or_else(|| "?".into());
    format!("at {}: {}", field("at").trim_matches('"'), field("fault").trim_matches('"'))
}

impl Serialize for PlanTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PlanTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = time_text::TimeText::deserialize(d)?;
        text.unsigned().map_err(serde::de::Error::custom)
    }
}

impl Serialize for SignedTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SignedTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = time_text::TimeText::deserialize(d)?;
        text.signed().map_err(serde::de::Error::custom)
    }
}
