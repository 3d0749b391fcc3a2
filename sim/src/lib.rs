//! # microsim: a deterministic simulator for distributed systems
//!
//! microsim runs a whole system of services inside one seeded, single-threaded
//! simulation with a virtual network and virtual time. The same seed always gives
//! the same run, byte for byte, so a failure found once can be replayed forever.
//!
//! ## A first simulation
//!
//! A server answers each number with the next one; a client checks it. Nodes are
//! registered with a *factory* (an async closure) so they can be restarted later.
//!
//! ```
//! use microsim::{net::Socket, Sim};
//!
//! async fn server() {
//!     let socket = Socket::<u64>::bind("echo").unwrap();
//!     loop {
//!         let (from, n) = socket.recv().await;
//!         socket.send_to(from, n + 1);
//!     }
//! }
//!
//! async fn client() {
//!     let socket = Socket::<u64>::bind("echo").unwrap();
//!     for n in 0..10u64 {
//!         socket.send_to(("server", "echo"), n);
//!         let (_, reply) = socket.recv().await;
//!         assert_eq!(reply, n + 1);
//!     }
//! }
//!
//! let mut sim = Sim::builder().seed(7).build();
//! sim.node("server", server).unwrap();
//! sim.client("client", client).unwrap();
//! let outcome = sim.run();
//! assert!(outcome.is_ok(), "{outcome}");
//! assert_eq!(outcome.stats.delivered, 20);
//! ```
//!
//! A node's main task is usually an `async fn` as here (a closure returning an
//! `async` block works too). Its output may be `()` or a `Result<(), E>`; an
//! error ends the run with a failure naming the node.
//!
//! The run ends when every client has finished. Time is virtual: each message
//! took 1-5 ms of simulated time (the default latency), and the whole run took
//! microseconds of real time.
//!
//! ## Time
//!
//! [`time::now`], [`time::sleep`], [`time::sleep_until`], [`time::timeout`] and
//! [`time::interval`] work on virtual time with nanosecond resolution and no
//! minimum sleep. Time jumps to the next event when every task is waiting.
//!
//! ## Requests and responses
//!
//! [`rpc::call`] sends a request and waits for the response with a timeout;
//! [`rpc::Server`] receives requests and replies:
//!
//! ```
//! use microsim::{rpc, Sim};
//! use std::time::Duration;
//!
//! let mut sim = Sim::builder().build();
//! sim.node("kv", || async {
//!     let server = rpc::Server::<String, usize>::bind("len").unwrap();
//!     server.serve(|s: String| async move { s.len() }).await;
//! })
//! .unwrap();
//! sim.client("app", || async {
//!     let n: usize = rpc::call(("kv", "len"), "hello".to_string(), Duration::from_secs(1)).await.unwrap();
//!     assert_eq!(n, 5);
//! })
//! .unwrap();
//! assert!(sim.run().is_ok());
//! ```
//!
//! ## Faults
//!
//! Nodes can be crashed, restarted, paused and resumed, from the test's side
//! ([`Sim::crash`], after [`Sim::run_until`]) or from a controller task inside the
//! simulation ([`control::crash`]). A crash drops the node's tasks (their
//! destructors run) and loses the messages queued at it; a restart runs the
//! node's factory again.
//!
//! ```
//! use microsim::{control, time, Sim};
//! use std::time::Duration;
//!
//! let mut sim = Sim::builder().build();
//! sim.node("db", || async {
//!     tracing::info!("db starting");
//!     std::future::pending::<()>().await
//! })
//! .unwrap();
//! sim.client("chaos", || async {
//!     time::sleep(Duration::from_millis(10)).await;
//!     control::crash("db").unwrap();
//!     time::sleep(Duration::from_millis(10)).await;
//!     control::restart("db").unwrap();
//! })
//! .unwrap();
//! let outcome = sim.run();
//! assert!(outcome.is_ok());
//! assert_eq!(outcome.elapsed, Duration::from_millis(20));
//! ```
//!
//! ## Seeds and replay
//!
//! Every random choice (latencies, the random scheduler, [`rand`] in service
//! code) comes from ChaCha8 keyed by the seed, one stream per concern. A run's
//! [`Outcome`] carries its seed and a trace hash: the same seed gives the same
//! hash in any process.
//!
//! ## Properties
//!
//! A panic in any task (for example a failed `assert!`) ends the run with a
//! [`Failure`] naming the node, the virtual time and the message; so do a
//! deadlock (clients waiting, nothing scheduled) and every limit.
//!
//! ## Traces
//!
//! Every send, delivery, drop, timer, spawn, exit, crash, restart, fault, RPC
//! call and return, and `tracing` log line is a record of the run's [`Trace`]
//! (see the `microsim-traces` crate). [`RecordMode`] chooses between nothing, the
//! hash only, and every record. `microsim show` draws a trace file as a text or
//! HTML space-time diagram or as call trees; `microsim diff` names where two differ.
//!
//! ## Histories and linearizability
//!
//! Workload clients record what they asked and what they saw in a
//! [`history::Recorder`]; [`lin::check`] then says whether some order of the
//! operations, each taking effect between its invocation and its completion, is a
//! legal run of a sequential [`lin::Model`]. An operation the client gave up on
//! (`unknown`) may take effect later, or never.
//!
//! ```
//! use microsim::history::Recorder;
//! use microsim::lin::{self, models::{Register, RegisterInput as In, RegisterOutput as Out}};
//! use microsim::{time, Sim};
//! use std::time::Duration;
//!
//! let history: Recorder<In, Out> = Recorder::new();
//! let mut sim = Sim::builder().build();
//! for process in 0..2u64 {
//!     let history = history.clone();
//!     sim.client(&format!("client{process}"), move || {
//!         let history = history.clone();
//!         async move {
//!             let w = history.invoke(process, In::Write(process as i64));
//!             time::sleep(Duration::from_millis(2)).await; // the write is in flight
//!             history.ok(w, Out::Written).unwrap();
//!         }
//!     })
//!     .unwrap();
//! }
//! assert!(sim.run().is_ok());
//! assert_eq!(lin::check(&Register, &history.history()), lin::Verdict::Linearizable);
//! ```

#![deny(missing_docs)]

mod apply;
pub mod choices;
mod clock;
mod config;
pub mod control;
pub mod disk;
mod error;
pub mod explore;
pub mod failure;
pub mod faultpoint;
mod heap;
pub mod history;
mod latency;
pub mod lin;
pub mod liveness;
mod log;
mod mailbox;
pub mod metrics;
mod names;
pub mod nemesis;
pub mod net;
mod netfault;
mod node;
mod outcome;
mod panic;
mod payload;
pub mod pct;
pub mod plan;
pub mod property;
pub mod rand;
mod ring;
mod rng;
pub mod rpc;
mod runtime;
pub mod scenario;
mod sched;
mod seed;
mod sim;
mod slab;
mod socket;
mod task;
pub mod time;
mod timer;

pub use choices::Choices;
pub use clock::ClockChange;
pub use config::Limits;
pub use error::SimError;
pub use faultpoint::{FaultPoints, InjectedFault, PointCount};
pub use latency::{Latency, LinkConfig};
pub use microsim_traces::{Level, RecordMode, Trace, TraceHash};
pub use node::NodeExit;
pub use outcome::{Failure, Outcome, Stats};
pub use payload::{Message, Payload};
pub use rng::{Stream, RNG_ALGORITHM};
pub use sched::{ReadyTask, Schedule, Scheduler, SchedulerSpec};
pub use seed::{Seed, SeedError, SEED_VAR};
pub use sim::{Builder, Sim};
pub use task::{spawn, yield_now, JoinError, JoinHandle};

/// Random streams for code outside the nodes (workload generation, plans).
pub mod streams {
    pub use crate::rng::{node_stream, stream, SimRng};
}
