//! What a run returns: the verdict, the failure if any, statistics and the trace.

use crate::payload::PayloadLog;
use crate::time::Instant;
use microsim_traces::{Header, PackedTrace, Recording, Trace, TraceHash};
use std::cell::{OnceCell, RefCell};
use std::fmt::{self, Write};
use std::rc::Rc;
use std::time::Duration;

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A task panicked.
    Panic {
        /// The node of the task.
        node: String,
        /// When.
        time: Instant,
        /// The panic message and location.
        message: String,
    },
    /// A fault plan step could not be applied (e.g. a restart of a node the
    /// workload had already restarted).
    PlanStep {
        /// When.
        time: Instant,
        /// The step.
        step: String,
        /// Why it did not apply.
        error: String,
    },
    /// A node's main task returned an error.
    NodeError {
        /// The node.
        node: String,
        /// When.
        time: Instant,
        /// The error, rendered.
        error: String,
    },
    /// Clients were still waiting and nothing was scheduled that could wake them.
    Deadlock {
        /// When.
        time: Instant,
        /// The clients still running.
        waiting: Vec<String>,
    },
    /// Virtual time would have passed the limit.
    TimeLimit {
        /// The limit.
        limit: Instant,
    },
    /// The run took more steps than allowed.
    StepLimit {
        /// The limit.
        limit: u64,
    },
    /// More tasks were alive at once than allowed.
    TaskLimit {
        /// The limit.
        limit: usize,
        /// The node that spawned one too many.
        node: String,
    },
    /// An `always` property did not hold (see [`crate::property`]).
    Property {
        /// The property's name.
        name: String,
        /// The node whose task checked it.
        node: String,
        /// When.
        time: Instant,
        /// What the check said about the state, if anything.
        detail: String,
    },
    /// An `eventually` property did not hold by its deadline (see [`crate::liveness`]).
    Liveness {
        /// The property's name.
        name: String,
        /// When its deadline started: the end of the chaos phase, or the run's start.
        from: Instant,
        /// The deadline it missed.
        deadline: Instant,
        /// What the last check said.
        detail: String,
    },
}

impl Failure {
    /// A short stable name of the failure kind (`panic`, `deadlock`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Panic { .. } => "panic",
            Failure::NodeError { .. } => "node-error",
            Failure::PlanStep { .. } => "plan-step",
            Failure::Deadlock { .. } => "deadlock",
            Failure::TimeLimit { .. } => "time-limit",
            Failure::StepLimit { .. } => "step-limit",
            Failure::TaskLimit { .. } => "task-limit",
            Failure::Property { .. } => "property",
            Failure::Liveness { .. } => "liveness",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Panic { node, time, message } => write!(f, "panic in node `{node}` at {time}: {message}"),
            Failure::NodeError { node, time, error } => write!(f, "node `{node}` failed at {time}: {error}"),
            Failure::PlanStep { time, step, error } => {
                write!(f, "plan step {step} could not be applied at {time}: {error}")
            }
            Failure::Deadlock { time, waiting } => {
                write!(f, "deadlock at {time}: clients {waiting:?} are waiting and nothing is scheduled")
            }
            Failure::TimeLimit { limit } => write!(f, "time limit: virtual time would pass {limit}"),
            Failure::StepLimit { limit } => write!(f, "step limit: more than {limit} steps"),
            Failure::TaskLimit { limit, node } => {
                write!(f, "task limit: node `{node}` spawned more than {limit} live tasks")
            }
            Failure::Property { name, node, time, detail } => {
                write!(f, "property `{name}` violated in node `{node}` at {time}")?;
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            Failure::Liveness { name, from, deadline, detail } => {
                write!(f, "property `{name}` did not hold by {deadline} (checked from {from})")?;
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
        }
    }
}

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Task polls.
    pub polls: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages delivered to a socket.
    pub delivered: u64,
    /// Messages dropped.
    pub dropped: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Tasks spawned (including nodes' main tasks).
    pub tasks_spawned: u64,
    /// The most tasks alive at once.
    pub max_live_tasks: u64,
}

/// Sent messages whose rendering is still to be written into their send record,
/// in the order of the sends.
pub(crate) type Unrendered = PayloadLog;

/// What a trace's header says of a run, kept without copying the names (the
/// header's strings are made only if the trace is read).
pub(crate) struct HeaderParts {
    pub(crate) seed: u64,
    pub(crate) nodes: Vec<Rc<str>>,
    pub(crate) ports: Vec<Rc<str>>,
}

impl HeaderParts {
    pub(crate) fn header(&self) -> Header {
        Header {
            microsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: self.seed,
            rng: crate::rng::RNG_ALGORITHM.to_string(),
            nodes: self.nodes.iter().map(|n| n.to_string()).collect(),
            ports: self.ports.iter().map(|p| p.to_string()).collect(),
            ..Header::default()
        }
    }
}

/// A finished recording, packed; or, when recording was off (nothing to hash,
/// nothing recorded), the parts of its header, finished only if it is read.
enum Raw {
    Packed(PackedTrace),
    Off(Recording, HeaderParts),
}

/// The trace of a run, unpacked (with the texts of sent messages rendered) on
/// first use.
pub(crate) struct LazyTrace {
    trace: OnceCell<Trace>,
    raw: RefCell<Option<(Raw, Unrendered)>>,
    hash: Option<TraceHash>,
}

impl LazyTrace {
    /// The trace of `recording` under the header `parts` describe.
    pub(crate) fn new(recording: Recording, parts: HeaderParts, unrendered: Unrendered) -> LazyTrace {
        let raw = if recording.is_on() {
            Raw::Packed(recording.finish_packed(parts.header()))
        } else {
            Raw::Off(recording, parts)
        };
        let hash = match &raw {
            Raw::Packed(packed) => packed.hash(),
            Raw::Off(..) => None,
        };
        LazyTrace { trace: OnceCell::new(), raw: RefCell::new(Some((raw, unrendered))), hash }
    }

    /// A trace that is already unpacked.
    fn ready(trace: Trace) -> LazyTrace {
        let hash = trace.hash();
        LazyTrace { trace: OnceCell::from(trace), raw: RefCell::new(None), hash }
    }

    fn get(&self) -> &Trace {
        self.trace.get_or_init(|| {
            let (raw, mut unrendered) = self.raw.borrow_mut().take().expect("unpacked once");
            let packed = match raw {
                Raw::Packed(packed) => packed,
                Raw::Off(recording, parts) => recording.finish_packed(parts.header()),
            };
            // Deferred texts are asked for in send order, as the log keeps them.
            packed.unpack(|_, s| {
                if let Some(payload) = unrendered.pop_front() {
                    let _ = write!(s, "{payload:?}");
                }
            })
        })
    }
}

/// The result of a run.
///
/// It is not `Send`: until the trace is read, it holds clones of the messages
/// sent (whose types need not be `Send`), to render them only if asked.
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(microsim::Sim::builder().build().run());
/// ```
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// `None` when the run passed.
    pub failure: Option<Failure>,
    /// Virtual time elapsed.
    pub elapsed: Duration,
    /// Steps taken (task polls plus events).
    pub steps: u64,
    /// Counters.
    pub stats: Stats,
    /// Every fault point reached in the run, by name, with how often it fired.
    pub fault_points: Vec<crate::faultpoint::PointCount>,
    /// Every `sometimes` and `eventually` property checked in the run, with counts.
    pub coverage: Vec<crate::property::Coverage>,
    /// The figures the run's nodes reported (see [`crate::metrics`]).
    pub metrics: Vec<crate::metrics::Metric>,
    pub(crate) trace: LazyTrace,
}

impl Clone for Outcome {
    fn clone(&self) -> Outcome {
        let trace = self.trace().clone();
        Outcome {
            seed: self.seed,
            failure: self.failure.clone(),
            elapsed: self.elapsed,
            steps: self.steps,
            stats: self.stats,
            fault_points: self.fault_points.clone(),
            coverage: self.coverage.clone(),
            metrics: self.metrics.clone(),
            trace: LazyTrace::ready(trace),
        }
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("seed", &self.seed)
            .field("failure", &self.failure)
            .field("elapsed", &self.elapsed)
            .field("steps", &self.steps)
            .field("stats", &self.stats)
            .field("hash", &self.trace.hash)
            .finish_non_exhaustive()
    }
}

impl Outcome {
    /// Whether the run passed.
    pub fn is_ok(&self) -> bool {
        self.failure.is_none()
    }

    /// The trace hash (`None` when recording was off).
    pub fn hash(&self) -> Option<TraceHash> {
        self.trace.hash
    }

    /// What happened: every record in full recording mode, the hash and counts
    /// otherwise. Sent messages are rendered (with `Debug`) on the first call.
    pub fn trace(&self) -> &Trace {
        self.trace.get()
    }

    /// The trace, owned (for keeping it after the outcome, or across threads).
    pub fn into_trace(self) -> Trace {
        self.trace.get();
        self.trace.trace.into_inner().expect("just rendered")
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => write!(f, "ok")?,
            Some(fail) => write!(f, "FAILED: {fail}")?,
        }
        write!(
            f,
            " (seed {:#x}, {} virtual, {} steps, {} msgs sent, {} delivered, {} dropped",
            self.seed,
            Instant::from_nanos(self.elapsed.as_nanos() as u64),
            self.steps,
            self.stats.sent,
            self.stats.delivered,
            self.stats.dropped
        )?;
        if let Some(h) = self.hash() {
            write!(f, ", trace {h}")?;
        }
        write!(f, ")")
    }
}
