//! The config center as a [`Scenario`]: 3 servers (`cfg0`..`cfg2`, the nodes
//! a fault plan names), 3 writer clients (`app0`..`app2`) and 2 watchers (a
//! fast one on `shop/prod/`, a slow consumer on `shop/`). The plan's faults
//! end at its last step (the nemesis's `heal_all`); then, within
//! [`CONVERGE_WITHIN`], the writers must have finished, every watcher must
//! have reached the latest change under its prefix, and every acknowledged
//! write must be committed. Its workload size (`RunSpec::workload`) is the
//! operations per writer.

use super::oracle::Oracle;
use super::server::{serve, ServerConfig};
use super::variant::Variant;
use super::watch::{watch, WatchConfig};
use super::workload::{write, WriterConfig};
use super::History;
use crate::raft::Timing;
use microsim::property::{always_or, sometimes};
use microsim::scenario::{RunSpec, Scenario};
use microsim::{Sim, SimError};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The servers.
pub const SERVERS: [&str; 3] = ["cfg0", "cfg1", "cfg2"];

/// The writer clients.
pub const WRITERS: [&str; 3] = ["app0", "app1", "app2"];

/// The watchers: id, prefix, longest pause between polls.
pub const WATCHERS: [(&str, &str, Duration); 2] =
    [("watch0", "shop/prod/", Duration::ZERO), ("watch1", "shop/", Duration::from_millis(300))];

/// Raft's timing on the config servers: elections after 60-120 ms of silence
/// (links take 1-5 ms), heartbeats every 20 ms.
pub const TIMING: Timing = Timing {
    election: (Duration::from_millis(60), Duration::from_millis(120)),
    heartbeat: Duration::from_millis(20),
    check_quorum: true,
};

/// The liveness bound: after the heal, the writers finish, every watcher
/// converges and every acknowledged write is committed within this.
pub const CONVERGE_WITHIN: Duration = Duration::from_secs(3);

/// The config center scenario.
#[derive(Clone, Debug, Default)]
pub struct ConfigScenario {
    /// Operations per writer (`RunSpec::workload` overrides it).
    pub ops: u32,
    /// Where the last run's history goes, if anywhere (see [`ConfigScenario::recording`]).
    pub history: Option<Arc<Mutex<History>>>,
}

impl ConfigScenario {
    /// The scenario with `ops` operations per writer.
    pub fn new(ops: u32) -> ConfigScenario {
        ConfigScenario { ops, history: None }
    }

    /// The same scenario, saving each run's history (when its writers finish)
    /// into the returned cell: the input of the linearizability checker.
    pub fn recording(self) -> (ConfigScenario, Arc<Mutex<History>>) {
        let cell = Arc::new(Mutex::new(History::default()));
        (ConfigScenario { history: Some(cell.clone()), ..self }, cell)
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The linearizability check's budget, in search steps per key.
const LIN_STEPS: u64 = 2_000_000;

impl Scenario for ConfigScenario {
    fn name(&self) -> &str {
        "config"
    }

    fn about(&self) -> &str {
        "config center: 3 Raft servers, 3 writers, 2 watchers, canary releases"
    }

    fn variants(&self) -> &[&'static str] {
        &["correct", "stale-read", "lost-watch", "early-ack"]
    }

    fn planted_bugs(&self) -> &[&'static str] {
        &["stale-read", "lost-watch", "early-ack"]
    }

    fn nodes(&self) -> Vec<String> {
        names(&SERVERS)
    }

    fn horizon(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError> {
        let variant = Variant::from_name(spec.variant_of(self)).unwrap_or(Variant::Correct);
        let oracle = Rc::new(RefCell::new(Oracle::new(WRITERS.len())));
        let o = oracle.clone();
        let observer: super::machine::Observer = Rc::new(move |e| {
            let agreed = o.borrow_mut().applied(e);
            always_or("config: replicas apply the same change at each revision", agreed.is_ok(), || {
                agreed.unwrap_err()
            });
        });
        let server = ServerConfig { members: names(&SERVERS), variant, timing: TIMING, observer: Some(observer) };
        for name in SERVERS {
            let config = server.clone();
            sim.node(name, move || serve(config.clone()))?;
        }
        for (id, prefix, pause_max) in WATCHERS {
            let config =
                WatchConfig { id: id.into(), prefix: prefix.into(), servers: names(&SERVERS), variant, pause_max };
            let oracle = oracle.clone();
            sim.node(id, move || watch(config.clone(), oracle.clone()))?;
        }
        let ops = spec.workload.unwrap_or(self.ops);
        for id in WRITERS {
            let config = WriterConfig { id: id.into(), servers: names(&SERVERS), ops };
            let (oracle, sink) = (oracle.clone(), self.history.clone());
            sim.client(id, move || {
                let (config, oracle, sink) = (config.clone(), oracle.clone(), sink.clone());
                async move {
                    let history = write(config, oracle).await;
                    if let Some(history) = &history {
                        // The last writer to finish checks the whole run's history.
                        let verdict = super::lin::check(history, LIN_STEPS);
                        always_or("config: strong reads and writes are linearizable", verdict.is_ok(), || {
                            verdict.clone().err().unwrap_or_default()
                        });
                        sometimes("config: the linearizability check reached a verdict", verdict == Ok(true));
                    }
                    if let (Some(history), Some(sink)) = (history, sink) {
                        *sink.lock().expect("the history cell is not poisoned") = history;
                    }
                }
            })?;
        }
        let heal_at = spec.plan.steps.iter().map(|s| s.at.0).max().unwrap_or(Duration::ZERO);
        sim.liveness(heal_at)?;
        let o = oracle.clone();
        sim.eventually(
            "config: after healing, every watcher reaches the latest revision",
            CONVERGE_WITHIN,
            move || o.borrow().converged(),
        )?;
        sim.eventually("config: every acknowledged write is committed", CONVERGE_WITHIN, move || {
            oracle.borrow().acked_committed()
        })
    }
}
