//! The pingpong scenario: one server, two clients, request/response round trips.
//!
//! Each client sends a number and waits for the server's answer, which must be
//! the number plus one; it does this `rounds` times, one round trip after the
//! other. Links have a uniform 1-5 ms one-way latency. This is the workload of
//! the peers benchmark (`../shared/bench/peers/run.sh`), written against the
//! public API only.

use microsim::net::{Socket, ToAddr};
use microsim::scenario::{RunSpec, Scenario};
use microsim::{rpc, Latency, Outcome, RecordMode, Sim, SimError};
use std::time::Duration;

/// The port every pingpong node binds.
pub const PORT: &str = "pingpong";

/// How many clients the scenario has.
pub const CLIENTS: usize = 2;

/// The clients' node names.
const CLIENT_NAMES: [&str; CLIENTS] = ["client0", "client1"];

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
        for (c, name) in CLIENT_NAMES.into_iter().enumerate() {
            let rounds = self.rounds;
            let first = (c as u64 + 1) * 1_000_000_007;
            sim.client(name, move || client(rounds, first)).expect("a client registers");
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

/// The pingpong system as a [`Scenario`], for sweeps and fault plans. Its
/// workload size (`RunSpec::workload`) is the round trips per client.
///
/// Variants: `rpc` (the default: calls with a 50 ms timeout, retried up to 100
/// times, so it survives loss, partitions and crashes) and `datagram` (the
/// benchmark's client: one datagram and a wait with no timeout, so a single
/// lost message leaves a client waiting forever, which the runner reports as a
/// deadlock: a planted bug for testing the harness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PingPongScenario {
    /// Round trips per client.
    pub rounds: u32,
}

impl Scenario for PingPongScenario {
    fn name(&self) -> &str {
        "pingpong"
    }

    fn about(&self) -> &str {
        "1 server, 2 clients, request/response round trips"
    }

    fn variants(&self) -> &[&'static str] {
        &["rpc", "datagram"]
    }

    fn planted_bugs(&self) -> &[&'static str] {
        &["datagram"]
    }

    fn nodes(&self) -> Vec<String> {
        std::iter::once("server").chain(CLIENT_NAMES).map(String::from).collect()
    }

    fn horizon(&self) -> Duration {
        Duration::from_secs(20)
    }

    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError> {
        let rpc = spec.variant_of(self) == "rpc";
        if rpc {
            sim.node("server", rpc_server)?;
        } else {
            sim.node("server", server)?;
        }
        for (c, name) in CLIENT_NAMES.into_iter().enumerate() {
            let (rounds, first) = (spec.workload.unwrap_or(self.rounds), (c as u64 + 1) * 1_000_000_007);
            if rpc {
                sim.client(name, move || rpc_client(rounds, first))?;
            } else {
                sim.client(name, move || client(rounds, first))?;
            }
        }
        Ok(())
    }
}

async fn rpc_server() {
    let server = rpc::Server::<Ping, Pong>::bind(PORT).expect("the server's port is free");
    server.serve(|Ping(n)| async move { Pong(n + 1) }).await;
}

/// Calls until answered, up to 100 tries a round trip; the answer must be n + 1.
async fn rpc_client(rounds: u32, first: u64) -> Result<(), String> {
    let mut next = first;
    for _ in 0..rounds {
        let mut tries = 0;
        let Pong(answer) = loop {
            match rpc::call(("server", PORT), Ping(next), Duration::from_millis(50)).await {
                Ok(pong) => break pong,
                Err(_) if tries < 100 => tries += 1,
                Err(e) => return Err(format!("no answer to Ping({next}) after {tries} tries: {e}")),
            }
        };
        if answer != next + 1 {
            return Err(format!("Ping({next}) was answered with Pong({answer})"));
        }
        next = answer;
    }
    Ok(())
}
