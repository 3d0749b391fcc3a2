//! Acting on nodes from inside the simulation: a controller task can crash,
//! restart, pause and resume nodes by name, as the test's side can through
//! [`crate::Sim`].

use crate::error::SimError;
use crate::runtime;

/// Crashes the named node (see [`crate::Sim::crash`]).
pub fn crash(node: &str) -> Result<(), SimError> {
    runtime::with(|i| i.crash(node, false))
}

/// Crashes the named node and loses its disk (see [`crate::Sim::crash_wipe`]).
pub fn crash_wipe(node: &str) -> Result<(), SimError> {
    runtime::with(|i| i.crash(node, true))
}

/// Restarts the named crashed node (see [`crate::Sim::restart`]).
pub fn restart(node: &str) -> Result<(), SimError> {
    runtime::with(|i| i.restart(node))
}

/// Pauses the named node (see [`crate::Sim::pause`]).
pub fn pause(node: &str) -> Result<(), SimError> {
    runtime::with(|i| i.pause(node))
}

/// Resumes the named paused node (see [`crate::Sim::resume`]).
pub fn resume(node: &str) -> Result<(), SimError> {
    runtime::with(|i| i.resume(node))
}

/// Changes the named node's clocks (see [`crate::Sim::clock`]).
pub fn clock(node: &str, change: crate::ClockChange) -> Result<(), SimError> {
    runtime::with(|i| i.change_clock(node, change))
}

/// Applies a fault now (see [`crate::Sim::apply`]).
pub fn apply(fault: &crate::plan::Fault) -> Result<(), SimError> {
    runtime::with(|i| i.apply(fault))
}

/// The name of the node whose task is running.
pub fn current_node() -> String {
    runtime::with(|i| {
        let node = i.current_node();
        i.state.borrow().nodes.name(node).to_string()
    })
}
