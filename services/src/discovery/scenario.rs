//! The discovery scenario: three registry servers, four instances of the
//! `orders` service with scripted lives and six long-lived ones on a `fleet` node, two clients that look it up and
//! cache it; the oracle that checks every lookup, and the liveness check.
//!
//! The instances: `inst0` deregisters at 4 s (in the chaos phase), `inst1`
//! stops renewing at 5.5 s (a silent death), `inst2` lives on, `inst3`
//! deregisters at 7 s (after the heal). Faults end at [`CHAOS`]; the clients
//! stop at [`END`].

use super::client::{keep_registered, Cache, Client, Heartbeat};
use super::history::{RegOp, RegOut};
use super::observe::Seen;
use super::proto::{Instance, Response};
use super::{available, consistent, grace, Bugs, CONVERGE, SPREAD, TTL};
use microsim::nemesis::Profile;
use microsim::plan::{Fault, FaultPlan, PlanTime, SignedTime, Step};
use microsim::property::{always_or, sometimes};
use microsim::scenario::{RunSpec, Scenario};
use microsim::time::{self, Instant};
use microsim::{Seed, Sim, SimError};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// The registry servers.
pub const SERVERS: [&str; 3] = ["reg0", "reg1", "reg2"];

/// The instances: name, when it stops renewing, whether it deregisters then.
pub const INSTANCES: [(&str, u64, bool); 4] =
    [("inst0", 4_000, true), ("inst1", 5_500, false), ("inst2", u64::MAX, false), ("inst3", 7_000, true)];

/// A node that runs many long-lived instances (so that one instance's death
/// is a small share of the renewals, as in a real fleet; see self-preservation).
pub const FLEET: &str = "fleet";

/// The fleet's instances.
pub const FLEET_IDS: [&str; 6] = ["fleet0", "fleet1", "fleet2", "fleet3", "fleet4", "fleet5"];

/// The clients.
pub const CLIENTS: [&str; 2] = ["client0", "client1"];

/// The service the instances provide.
pub const SERVICE: &str = "orders";

/// The end of the chaos phase: 60% of the horizon, where the nemesis heals all.
pub const CHAOS: Duration = Duration::from_secs(6);

/// When the clients stop.
pub const END: Duration = Duration::from_millis(9_500);

/// The linearizability check's budget, in search steps per instance.
const LIN_STEPS: u64 = 2_000_000;

/// How often a client looks the service up.
const LOOKUP_EVERY: Duration = Duration::from_millis(100);

/// The discovery scenario (see the module docs for its variants).
#[derive(Clone, Copy, Debug, Default)]
pub struct DiscoveryScenario;

/// What the oracle knows of one run.
#[derive(Default)]
struct Oracle {
    consistent: bool,
    seen: Rc<Seen>,
    beats: BTreeMap<String, Rc<Heartbeat>>,
    deregistered: RefCell<BTreeMap<String, Instant>>,
    caches: Vec<Rc<Cache>>,
}

fn at(d: Duration) -> Instant {
    Instant::ZERO + d
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn mode(variant: &str) -> (bool, Bugs) {
    match variant {
        "consistent" => (true, Bugs::default()),
        "two-leaders" => (true, Bugs { two_leaders: true, ..Bugs::default() }),
        "zombie" => (false, Bugs { zombie: true, ..Bugs::default() }),
        "client-clock" => (false, Bugs { client_clock: true, ..Bugs::default() }),
        _ => (false, Bugs::default()),
    }
}

/// Sets `alive` back to false when the registrar ends, also by a crash.
struct Dead<'a>(&'a Heartbeat);

impl Drop for Dead<'_> {
    fn drop(&mut self) {
        self.0.alive.set(false);
    }
}

impl Oracle {
    /// Checks one lookup's answer against what is known to have happened.
    fn check_lookup(&self, sent: Instant, instances: &[Instance], preserving: bool) {
        let mut ids: Vec<&str> = instances.iter().map(|i| i.id.as_str()).collect();
        ids.dedup();
        always_or("discovery: no instance is listed twice", ids.len() == instances.len(), || format!("{ids:?}"));
        let quiet = sent > at(CHAOS);
        let deregistered = self.deregistered.borrow();
        for inst in instances {
            if let Some(&done) = deregistered.get(&inst.id) {
                if self.consistent {
                    always_or(
                        "discovery: no lookup returns an instance deregistered before it began",
                        done >= sent,
                        || format!("{} was deregistered at {done}, the lookup began at {sent}", inst.id),
                    );
                } else if quiet {
                    let limit = done.max(at(CHAOS)) + SPREAD;
                    always_or("discovery: a deregistration reaches every peer once healed", sent <= limit, || {
                        format!("{} was deregistered at {done}, the lookup began at {sent}", inst.id)
                    });
                }
            }
            let last = self.beats.get(&inst.id).and_then(|b| b.last_attempt.get());
            if let (Some(last), true, false) = (last, quiet, preserving) {
                // A heal restarts crashed servers and may change the leader: a lease
                // may be granted afresh then, so it is counted from the heal at the earliest.
                let limit = last.max(at(CHAOS)) + TTL + grace(self.consistent);
                always_or("discovery: an expired lease is not returned once healed", sent <= limit, || {
                    format!("{} last renewed at {last}, the lookup began at {sent}", inst.id)
                });
            }
        }
    }

    /// The liveness property: every live instance is in every client's cache.
    fn converged(&self) -> Result<(), String> {
        let live: Vec<&String> = self.beats.iter().filter(|(_, b)| b.alive.get()).map(|(id, _)| id).collect();
        for (c, cache) in self.caches.iter().enumerate() {
            let cached: Vec<String> = cache.get(SERVICE).into_iter().map(|i| i.id).collect();
            if let Some(missing) = live.iter().find(|id| !cached.contains(id)) {
                return Err(format!("client{c} does not have {missing} (has {cached:?})"));
            }
        }
        Ok(())
    }

    /// The consistent mode's registry operations must be linearizable.
    fn check_history(&self) {
        if !self.consistent {
            return;
        }
        let verdict = self.seen.history.check(LIN_STEPS);
        always_or("discovery: registry operations are linearizable", verdict.is_ok(), || {
            verdict.clone().err().unwrap_or_default()
        });
        sometimes("discovery: the linearizability check reached a verdict", verdict == Ok(true));
    }

    fn coverage(&self) {
        let s = &self.seen;
        sometimes("discovery: a lease expired", s.expiries.get() > 0);
        sometimes("discovery: a cache was refreshed", s.refreshes.get() > 0);
        sometimes("discovery: an instance registered again after losing its lease", s.reregistrations.get() > 0);
        if !self.consistent {
            sometimes("discovery: a peer was in self-preservation", s.preserving.get() > 0);
        }
    }
}

async fn client(oracle: Rc<Oracle>, cache: Rc<Cache>, index: usize) {
    let registry = Rc::new(Client::new(names(&SERVERS), index));
    let watcher = Client::new(names(&SERVERS), index + 1);
    let seen = oracle.seen.clone();
    let follower = microsim::spawn(async move { cache.follow(&watcher, SERVICE, &seen).await });
    while time::global_now() < at(END) {
        if let Some(answer) = registry.lookup(SERVICE).await {
            if let Response::Instances { instances, preserving, .. } = &answer.response {
                let ids = instances.iter().map(|i| i.id.clone()).collect();
                let op = oracle.seen.history.invoke_at(50 + index as u64, RegOp::Lookup, answer.sent.as_nanos());
                oracle.seen.history.complete(op, Some(RegOut::Ids(ids)));
                oracle.check_lookup(answer.sent, instances, *preserving);
            }
        }
        time::sleep(LOOKUP_EVERY).await;
    }
    follower.abort();
    if index == 0 {
        oracle.check_history();
        oracle.coverage();
    }
}

/// One instance's life: registered and renewing until `until`, then
/// deregistered or silently gone.
async fn instance(oracle: &Oracle, id: &'static str, i: usize, until: Instant, deregister: bool) {
    let beat = oracle.beats[id].clone();
    let _dead = Dead(&beat);
    let client = Client::new(names(&SERVERS), i);
    let addr = microsim::control::current_node();
    let me = Instance { service: SERVICE.into(), id: id.into(), addr };
    let process = oracle.beats.keys().position(|k| k == id).unwrap_or(0) as u64;
    if let Some(done) = keep_registered(&client, process, me, until, deregister, &beat, &oracle.seen).await {
        oracle.deregistered.borrow_mut().entry(id.to_string()).or_insert(done);
    }
}

impl Scenario for DiscoveryScenario {
    fn name(&self) -> &str {
        "discovery"
    }

    fn about(&self) -> &str {
        "a registry with leases: consistent (Raft) and available (Eureka-style) modes"
    }

    fn variants(&self) -> &[&'static str] {
        &["consistent", "available", "two-leaders", "zombie", "client-clock"]
    }

    fn planted_bugs(&self) -> &[&'static str] {
        &["two-leaders", "zombie", "client-clock"]
    }

    /// The default profile gets the suite's [`nemesis`]; others draw over the
    /// chaos phase.
    fn plan(&self, seed: Seed, profile: &Profile) -> FaultPlan {
        if *profile == Profile::default() {
            return nemesis(seed.0);
        }
        microsim::scenario::chaos_plan(self, seed, profile, CHAOS)
    }

    fn nodes(&self) -> Vec<String> {
        let instances = INSTANCES.iter().map(|(n, _, _)| n.to_string()).chain([FLEET.to_string()]);
        names(&SERVERS).into_iter().chain(instances).chain(names(&CLIENTS)).collect()
    }

    fn horizon(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError> {
        let (is_consistent, bugs) = mode(spec.variant_of(self));
        let mut oracle = Oracle { consistent: is_consistent, ..Oracle::default() };
        for id in INSTANCES.iter().map(|(n, _, _)| *n).chain(FLEET_IDS) {
            oracle.beats.insert(id.to_string(), Rc::default());
        }
        oracle.caches = CLIENTS.iter().map(|_| Rc::default()).collect();
        let oracle = Rc::new(oracle);
        for server in SERVERS {
            let seen = oracle.seen.clone();
            sim.node(server, move || {
                let seen = seen.clone();
                async move {
                    let members = names(&SERVERS);
                    if is_consistent {
                        consistent::serve(members, bugs, seen).await
                    } else {
                        available::serve(members, bugs, seen).await
                    }
                }
            })?;
        }
        for (i, (name, until_ms, deregister)) in INSTANCES.into_iter().enumerate() {
            let oracle = oracle.clone();
            sim.node(name, move || {
                let oracle = oracle.clone();
                async move {
                    instance(&oracle, name, i, at(Duration::from_millis(until_ms)), deregister).await;
                    std::future::pending::<()>().await;
                }
            })?;
        }
        let o = oracle.clone();
        sim.node(FLEET, move || {
            let oracle = o.clone();
            async move {
                for (i, id) in FLEET_IDS.into_iter().enumerate() {
                    let oracle = oracle.clone();
                    microsim::spawn(async move { instance(&oracle, id, i, at(Duration::MAX), false).await });
                }
                std::future::pending::<()>().await;
            }
        })?;
        for (i, name) in CLIENTS.into_iter().enumerate() {
            let oracle = oracle.clone();
            sim.client(name, move || client(oracle.clone(), oracle.caches[i].clone(), i))?;
        }
        sim.liveness(CHAOS)?;
        let o = oracle.clone();
        sim.eventually("discovery: every live instance is in every client's cache", CONVERGE, move || o.converged())
    }
}

/// The discovery suite's nemesis: crashes, pauses, clock faults, 1% loss and
/// duplication drawn by a [`Profile`] over every node, one wall-clock jump of up
/// to 2 s on a server or an instance, and one partition that
/// splits the registry servers into a minority of one and a majority, with each
/// instance and client on a random side (Jepsen's "majorities" partition: a
/// random split of all nodes seldom leaves a client alone with a minority
/// server, which is where split-brain shows). Deterministic in `seed`.
pub fn nemesis(seed: u64) -> FaultPlan {
    let profile = Profile {
        name: "discovery".into(),
        partition: false,
        links: false,
        clocks: true,
        chaos_fraction: CHAOS.as_secs_f64() / DiscoveryScenario.horizon().as_secs_f64(),
        ..Profile::default()
    };
    let nodes = DiscoveryScenario.nodes();
    let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let mut plan = profile.plan(seed, &names, DiscoveryScenario.horizon());
    let mut x = seed ^ 0x5eed_d15c_0000_0001;
    let mut next = move || {
        // splitmix64: a few well-mixed numbers from the seed, no RNG needed.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let alone = (next() % 3) as usize;
    let (mut minority, mut majority) = (vec![SERVERS[alone].to_string()], Vec::new());
    majority.extend(SERVERS.iter().enumerate().filter(|(i, _)| *i != alone).map(|(_, s)| s.to_string()));
    for node in nodes.iter().filter(|n| !SERVERS.contains(&n.as_str())) {
        if next() % 2 == 0 {
            minority.push(node.clone())
        } else {
            majority.push(node.clone())
        }
    }
    let start = Duration::from_millis(2_500 + next() % 1_500);
    let end = start + Duration::from_millis(500 + next() % 1_500);
    let partition = Fault::Partition { groups: vec![minority, majority] };
    // Leases meet clocks: one node's wall clock jumps by up to 2 s either way
    // until the heal resyncs it.
    let servers_and_instances: Vec<&String> =
        nodes.iter().filter(|n| !CLIENTS.contains(&n.as_str()) && n.as_str() != FLEET).collect();
    let jumper = servers_and_instances[(next() % servers_and_instances.len() as u64) as usize].clone();
    let by = SignedTime((next() % 4_000_000_000) as i64 - 2_000_000_000);
    let jump_at = Duration::from_millis(1_000 + next() % 4_500);
    plan.steps.insert(0, Step { at: PlanTime(jump_at), fault: Fault::ClockJump { node: jumper, by } });
    let heal_at = plan.steps.len().saturating_sub(1);
    plan.steps.insert(heal_at, Step { at: PlanTime(end.min(CHAOS)), fault: Fault::HealNetwork });
    plan.steps.insert(heal_at, Step { at: PlanTime(start), fault: partition });
    plan.steps.sort_by_key(|s| s.at);
    plan
}
