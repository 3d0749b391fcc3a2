//! The pingpong scenario: one server, two clients, request/response round trips.
//!
//! Each client sends a number and waits for the server's answer, which must be
//! the number plus one; it does this `rounds` times, one round trip after the
//! other. Links have a uniform 1-5 ms one-way latency. This is the workload of
//! the peers benchmark (`../shared/bench/peers/run.sh`), written against the
//! public API only.

use microsim::net::{Socket, ToAddr};
use microsim::{Latency, Outcome, RecordMode, Sim};
use std::time::Duration;

/// The port every pingpong node binds.
pub const PORT: &str = "pingpong";

/// How many clients the scenario has.
pub const CLIENTS: usize = 2;

/// A request: a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ping(pub u64);

/// A response: the number plus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pong(pub u64);

/// The settings of one pingpong run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PingPong {
    /// The run's seed.
    pub seed: u64,
    /// Round trips per client.
    pub rounds: u32,
    /// What to record.
    pub record: RecordMode,
}

impl PingPong {
    /// A run with `rounds` round trips per client, recording the trace hash only.
    pub fn new(seed: u64, rounds: u32) -> PingPong {
        PingPong { seed, rounds, record: RecordMode::Summary }
    }

    /// The same run, recording as `record` says.
    pub fn record(self, record: RecordMode) -> PingPong {
        PingPong { record, ..self }
    }

    /// The simulation, ready to run.
    pub fn build(self) -> Sim {
        let mut sim = Sim::builder()
            .seed(self.seed)
            .record(self.record)
            .latency(Latency::uniform(Duration::from_millis(1), Duration::from_millis(5)))
            .build();
        sim.node("server", server).expect("the server registers");
        for c in 0..CLIENTS {
            let rounds = self.rounds;
            let first = (c as u64 + 1) * 1_000_000_007;
            sim.client(&format!("client{c}"), move || client(rounds, first)).expect("a client registers");
        }
        sim
    }

    /// Runs it.
    pub fn run(self) -> Outcome {
        self.build().run()
    }
}

async fn server() {
    let socket = Socket::<Ping>::bind(PORT).expect("the server's port is free");
    loop {
        let (from, Ping(n)) = socket.recv().await;
        socket.send_to(from, Pong(n + 1));
    }
}

async fn client(rounds: u32, first: u64) {
    let socket = Socket::<Pong>::bind(PORT).expect("the client's port is free");
    let server = ("server", PORT).to_addr();
    let mut next = first;
    for _ in 0..rounds {
        socket.send_to(server, Ping(next));
        let (_, Pong(answer)) = socket.recv().await;
        assert_eq!(answer, next + 1, "the server must answer n + 1");
        next = answer;
    }
}
