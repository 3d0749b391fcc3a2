//! A simulation's settings: limits, default latency, recording and logging.

use crate::latency::{Latency, LinkConfig};
use microsim_traces::{Level, RecordMode};
use std::time::Duration;

/// Bounds on a run. Exceeding one ends the run with a failure that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The latest virtual time a run may reach.
    pub max_time: Duration,
    /// The most steps (task polls plus events handled) a run may take.
    pub max_steps: u64,
    /// The most tasks alive at once.
    pub max_tasks: usize,
    /// The most messages waiting in one socket's queue; more are dropped.
    pub queue_capacity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_time: Duration::from_secs(3600), max_steps: 100_000_000, max_tasks: 100_000, queue_capacity: 4096 }
    }
}

impl Limits {
    pub(crate) fn max_time_ns(&self) -> u64 {
        u64::try_from(self.max_time.as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Everything that shapes a run besides the seed and the nodes.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) limits: Limits,
    pub(crate) link: LinkConfig,
    pub(crate) record: RecordMode,
    pub(crate) log_level: Level,
    pub(crate) echo_logs: bool,
    pub(crate) fault_points: crate::faultpoint::FaultPoints,
    pub(crate) sync_latency: Latency,
    pub(crate) choices: Option<crate::choices::Choices>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            link: LinkConfig {
                latency: Latency::uniform(Duration::from_millis(1), Duration::from_millis(5)),
                fifo: false,
            },
            record: RecordMode::Summary,
            log_level: Level::Info,
            echo_logs: false,
            fault_points: crate::faultpoint::FaultPoints::default(),
            sync_latency: Latency::uniform(Duration::from_micros(500), Duration::from_millis(2)),
            choices: None,
        }
    }
}
