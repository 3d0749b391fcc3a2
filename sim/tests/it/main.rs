//! Integration tests of the microsim runtime, in one test binary (one link step,
//! one process). Each module covers one area and has its own small helper that
//! hides the API, so that the tests read as data; the helpers shared by every
//! area live here.
//!
//! Everything is asserted in virtual time: no test sleeps or looks at a clock.

mod clocks;
mod determinism;
mod disk;
mod faultpoints;
mod faults;
mod limits;
mod lin;
mod lin_corpus;
mod lin_props;
mod logging;
mod net;
mod nodes;
mod panics;
mod plan;
mod properties;
mod rpc;
mod scheduling;
mod time;

use microsim::net::Socket;
use microsim::{Builder, Message, Outcome, RecordMode, Sim};
use microsim_traces::{DropReason, Event, Level};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The virtual instant `n` milliseconds after the start.
pub fn at(n: u64) -> microsim::time::Instant {
    microsim::time::Instant::ZERO + ms(n)
}

/// The current virtual time, as a duration since the start.
pub fn now() -> Duration {
    microsim::time::now().since_start()
}

/// A builder that keeps every record of the trace.
pub fn full() -> Builder {
    Sim::builder().record(RecordMode::Full)
}

/// A list shared between the test and the tasks of a simulation: tasks push
/// what they saw, the test reads it after the run.
#[derive(Debug)]
pub struct Seen<T>(Rc<RefCell<Vec<T>>>);

impl<T> Clone for Seen<T> {
    fn clone(&self) -> Self {
        Seen(self.0.clone())
    }
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen(Rc::new(RefCell::new(Vec::new())))
    }
}

impl<T: Clone> Seen<T> {
    pub fn push(&self, value: T) {
        self.0.borrow_mut().push(value);
    }

    pub fn get(&self) -> Vec<T> {
        self.0.borrow().clone()
    }
}

/// Runs one client named `client` (and nothing else) under `builder`.
pub fn solo<F, Fut>(builder: Builder, body: F) -> Outcome
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let mut sim = builder.build();
    sim.client("client", body).unwrap();
    sim.run()
}

/// A node's main task that never ends.
pub async fn forever() {
    std::future::pending::<()>().await
}

/// Binds `port` on the current node and pushes every message that arrives
/// there, with its arrival time, to `seen`. Never returns.
pub async fn receive<M: Message>(port: &str, seen: Seen<(Duration, M)>) {
    let socket = Socket::<M>::bind(port).unwrap();
    loop {
        let (_, msg) = socket.recv().await;
        seen.push((now(), msg));
    }
}

/// Ticks every `period` and pushes the time of every tick to `seen`. Never returns.
pub async fn tick(period: Duration, seen: Seen<Duration>) {
    let mut interval = microsim::time::interval(period);
    loop {
        interval.tick().await;
        seen.push(now());
    }
}

/// The records of a full trace as (time, node name, event).
pub fn records(outcome: &Outcome) -> Vec<(Duration, String, Event)> {
    let trace = outcome.trace();
    assert_eq!(trace.mode, RecordMode::Full, "records need a full trace");
    let header = &trace.header;
    trace
        .records()
        .iter()
        .map(|r| (Duration::from_nanos(r.time_ns), header.node_name(r.node).to_string(), r.event))
        .collect()
}

/// The drops of a full trace as (time, node name, reason).
pub fn drops(outcome: &Outcome) -> Vec<(Duration, String, DropReason)> {
    records(outcome)
        .into_iter()
        .filter_map(|(t, node, e)| match e {
            Event::Drop { reason, .. } => Some((t, node, reason)),
            _ => None,
        })
        .collect()
}

/// The log lines of a full trace as (node name, level, text).
pub fn logs(outcome: &Outcome) -> Vec<(String, Level, String)> {
    let trace = outcome.trace();
    trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            Event::Log { level, text } => {
                Some((trace.header.node_name(r.node).to_string(), level, trace.text(text).to_string()))
            }
            _ => None,
        })
        .collect()
}

/// The fault records of a full trace as (time, node name, text).
pub fn faults(outcome: &Outcome) -> Vec<(Duration, String, String)> {
    let trace = outcome.trace();
    trace
        .records()
        .iter()
        .filter_map(|r| match r.event {
            Event::Fault { text } => Some((
                Duration::from_nanos(r.time_ns),
                trace.header.node_name(r.node).to_string(),
                trace.text(text).to_string(),
            )),
            _ => None,
        })
        .collect()
}

/// The texts of the fault records of a full trace.
pub fn fault_texts(outcome: &Outcome) -> Vec<String> {
    faults(outcome).into_iter().map(|(_, _, text)| text).collect()
}

/// The kinds of the events of a full trace that happened at `node`.
pub fn kinds_at(outcome: &Outcome, node: &str) -> Vec<&'static str> {
    records(outcome).into_iter().filter(|(_, n, _)| n == node).map(|(_, _, e)| e.kind()).collect()
}
