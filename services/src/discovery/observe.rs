//! What the scenario's oracle sees: counters of the events the suite must
//! reach (`sometimes`), shared by the nodes of one run. Nodes only add to it;
//! the properties read it.

use std::cell::Cell;

/// Counts of the interesting events of one run.
#[derive(Debug, Default)]
pub struct Seen {
    /// Leases that ran out and were expired.
    pub expiries: Cell<u64>,
    /// Expiry checks skipped by self-preservation (available mode).
    pub preserving: Cell<u64>,
    /// Cache refreshes by clients.
    pub refreshes: Cell<u64>,
    /// Registrations of an instance after its lease was lost.
    pub reregistrations: Cell<u64>,
    /// The registry's operations, for the linearizability check.
    pub history: super::history::Recorded,
}

/// Adds one to a counter.
pub fn bump(c: &Cell<u64>) {
    c.set(c.get() + 1);
}
