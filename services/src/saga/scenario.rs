//! The saga scenario: three registry servers, three config servers
//! ([`CONFIG`]), the orchestrator, three participants and two clients placing
//! orders (the first also places four invalid ones); an operator ([`ADMIN`])
//! who seeds the saga's settings in the config center with the variant's
//! values (and changes them on a schedule, [`SagaScenario::setup_with`]); an
//! auditor that checks the end state; the liveness check; and the suite's
//! targeted [`nemesis`].
//!
//! Faults end at [`CHAOS`]; every acknowledged order must have finished within
//! [`TERMINATION`] after that.

use super::directory::REGISTRY;
use super::oracle::Oracle;
use super::order::{Order, OrderError, OrderId, CATALOG};
use super::proto::{OrderRequest, OrderResponse, ORDERS_PORT};
use super::remote::{self, ConfigSource, SettingsChange};
use super::settings::Settings;
use super::{orchestrator, participant, Bugs, PARTICIPANTS};
use crate::config::client::Client;
use crate::config::server::ServerConfig;
use crate::{config, discovery};
use microsim::nemesis::{make_valid, Profile};
use microsim::plan::{Fault, FaultPlan, LatencySpec, LinkRef, PlanTime, Step as PlanStep};
use microsim::property::{always_or, sometimes};
use microsim::scenario::{RunSpec, Scenario};
use microsim::time::{self, Instant};
use microsim::{rpc, Seed, Sim, SimError};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// The clients.
pub const CLIENTS: [&str; 2] = ["client0", "client1"];

/// The config center's servers (a Raft group, the config scenario's timing).
pub const CONFIG: [&str; 3] = ["cfg0", "cfg1", "cfg2"];

/// The operator who writes the settings (not in the plan's topology: never faulted).
pub const ADMIN: &str = "admin";

/// The node that checks the end state (not in the plan's topology: it is never faulted).
pub const AUDITOR: &str = "audit";

/// The end of the chaos phase.
pub const CHAOS: Duration = Duration::from_secs(3);

/// How long after the heal every acknowledged order must have finished: a
/// client's last submissions and status polls, plus a saga's worst path
/// after the heal (compensating three steps, each possibly waiting out an
/// open breaker, 0.25 s, and a capped backoff, 0.4 s). Over 400 seeds of the
/// suite's nemesis (config outage included) the last run ended 0.65 s after
/// the heal (0.77 s before the config center was in the scenario).
pub const TERMINATION: Duration = Duration::from_secs(2);

/// Orders per client by default (`RunSpec::workload` overrides it).
pub const ORDERS_PER_CLIENT: u32 = 12;

/// How long a client waits for the orchestrator's answer.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(100);

/// The invalid orders the first client places, with the errors they must get.
pub fn invalid_orders() -> Vec<(Order, OrderError)> {
    let order = |id, item: &str, qty| Order { id, item: item.into(), qty };
    let huge = i64::MAX / 1_000;
    vec![
        (order(9_001, "widget", 0), OrderError::NonPositiveQuantity { qty: 0 }),
        (order(9_002, "gadget", -3), OrderError::NonPositiveQuantity { qty: -3 }),
        (order(9_003, "sprocket", 2), OrderError::UnknownItem { item: "sprocket".into() }),
        (order(9_004, "widget", huge), OrderError::TotalOverflow { qty: huge, price_cents: 1_250 }),
    ]
}

/// The saga scenario (see the module docs of `saga` for its variants).
#[derive(Clone, Copy, Debug, Default)]
pub struct SagaScenario;

/// A few well-mixed numbers from a seed (splitmix64), no RNG needed.
fn mixer(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The orders of each client, drawn from the seed.
fn workload(seed: u64, per_client: u32) -> Vec<Vec<Order>> {
    let mut next = mixer(seed ^ 0x5a9a_0000_0000_0001);
    (0..CLIENTS.len() as u64)
        .map(|c| {
            (0..u64::from(per_client))
                .map(|n| {
                    let item = CATALOG[(next() % CATALOG.len() as u64) as usize].0.to_string();
                    Order { id: (c + 1) * 1_000 + n, item, qty: 1 + (next() % 6) as i64 }
                })
                .collect()
        })
        .collect()
}

/// The variant's bugs and the settings the operator writes to the config
/// center (`retry-storm`'s flags among them).
pub fn variant(name: &str) -> (Bugs, Settings) {
    let mut bugs = Bugs::default();
    let mut settings = Settings::default();
    match name {
        "charge-without-key" => bugs.charge_without_key = true,
        "no-compensation-on-timeout" => bugs.no_compensation_on_timeout = true,
        "ack-before-sync" => bugs.ack_before_sync = true,
        "refund-without-key" => bugs.refund_without_key = true,
        "retry-storm" => (settings.breaker, settings.backoff) = (false, false),
        _ => {}
    }
    (bugs, settings)
}

fn at(d: Duration) -> Instant {
    Instant::ZERO + d
}

/// Calls the orchestrator until it answers something other than "unavailable".
async fn ask(req: OrderRequest) -> OrderResponse {
    loop {
        match rpc::call::<OrderRequest, OrderResponse>((orchestrator::NAME, ORDERS_PORT), req.clone(), CLIENT_TIMEOUT)
            .await
        {
            Ok(OrderResponse::Unavailable) | Err(_) => time::sleep(Duration::from_millis(50)).await,
            Ok(answer) => return answer,
        }
    }
}

async fn client(oracle: Rc<Oracle>, index: usize) {
    if index == 0 {
        for (order, error) in invalid_orders() {
            let id = order.id;
            let answer = ask(OrderRequest::Submit(order)).await;
            always_or(
                "saga: an invalid order is rejected with its error",
                answer == OrderResponse::Rejected(error),
                || format!("order {id}: {answer:?}"),
            );
            sometimes("saga: an invalid order was rejected", matches!(answer, OrderResponse::Rejected(_)));
            oracle.rejected.borrow_mut().insert(id);
        }
    }
    for order in &oracle.workload[index] {
        let id = order.id;
        if oracle.acked.borrow().contains_key(&id) {
            continue;
        }
        oracle.submitted.borrow_mut().entry(id).or_insert_with(time::global_now);
        let answer = ask(OrderRequest::Submit(order.clone())).await;
        always_or("saga: a valid order is accepted", answer == OrderResponse::Accepted, || format!("{id}: {answer:?}"));
        oracle.acked.borrow_mut().entry(id).or_insert_with(time::global_now);
        time::sleep(Duration::from_millis(microsim::rand::random_range(20..120))).await;
    }
    let mut waiting: Vec<OrderId> = oracle.workload[index].iter().map(|o| o.id).collect();
    while !waiting.is_empty() {
        let id = waiting[0];
        match ask(OrderRequest::Status(id)).await {
            OrderResponse::Status(Some(Some(_))) => {
                waiting.remove(0);
                continue;
            }
            OrderResponse::Status(None) => {
                always_or("saga: no acknowledged order is lost", oracle.wiped.get(), || format!("order {id}"));
                // A wiped disk lost it: nothing to wait for.
                waiting.remove(0);
                continue;
            }
            _ => {}
        }
        time::sleep(Duration::from_millis(50)).await;
    }
    oracle.clients_done.borrow_mut().insert(index);
}

async fn audit(oracle: Rc<Oracle>) {
    while oracle.clients_done.borrow().len() < CLIENTS.len() || time::global_now() <= at(CHAOS) {
        time::sleep(Duration::from_millis(10)).await;
    }
    oracle.check_end();
    oracle.coverage();
    super::metrics::report(&oracle);
}

impl Scenario for SagaScenario {
    fn name(&self) -> &str {
        "saga"
    }

    fn about(&self) -> &str {
        "an order saga (orders, inventory, payment, shipping) on discovery, with compensations"
    }

    fn variants(&self) -> &[&'static str] {
        &[
            "correct",
            "charge-without-key",
            "no-compensation-on-timeout",
            "ack-before-sync",
            "refund-without-key",
            "retry-storm",
        ]
    }

    fn planted_bugs(&self) -> &[&'static str] {
        &["charge-without-key", "no-compensation-on-timeout", "ack-before-sync", "refund-without-key"]
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
        let services = [orchestrator::NAME].into_iter().chain(PARTICIPANTS);
        REGISTRY.into_iter().chain(services).chain(CLIENTS).chain(CONFIG).map(str::to_string).collect()
    }

    fn horizon(&self) -> Duration {
        Duration::from_secs(12)
    }

    fn setup(&self, sim: &mut Sim, spec: &RunSpec) -> Result<(), SimError> {
        self.setup_with(sim, spec, Vec::new())
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl SagaScenario {
    /// The scenario's setup, with the operator making `changes` to the
    /// settings in the config center during the run.
    pub fn setup_with(&self, sim: &mut Sim, spec: &RunSpec, changes: Vec<SettingsChange>) -> Result<(), SimError> {
        let (bugs, settings) = variant(spec.variant_of(self));
        let per_client = spec.workload.unwrap_or(ORDERS_PER_CLIENT);
        let oracle = Rc::new(Oracle { workload: workload(spec.seed.0, per_client), ..Oracle::default() });
        for server in REGISTRY {
            let seen = oracle.registry.clone();
            sim.node(server, move || {
                let members = REGISTRY.iter().map(|s| s.to_string()).collect();
                discovery::available::serve(members, discovery::Bugs::default(), seen.clone())
            })?;
        }
        // The config center, with its own oracle: its checks hold here too.
        let config_oracle = Rc::new(RefCell::new(config::oracle::Oracle::new(0)));
        let c = config_oracle.clone();
        let observer: config::machine::Observer = Rc::new(move |e| {
            let agreed = c.borrow_mut().applied(e);
            always_or("config: replicas apply the same change at each revision", agreed.is_ok(), || {
                agreed.unwrap_err()
            });
        });
        let server = ServerConfig {
            members: names(&CONFIG),
            variant: config::Variant::Correct,
            timing: config::scenario::TIMING,
            observer: Some(observer),
        };
        for name in CONFIG {
            let server = server.clone();
            sim.node(name, move || config::server::serve(server.clone()))?;
        }
        let c = config_oracle.clone();
        sim.node(ADMIN, move || {
            remote::admin(Client::new(ADMIN, names(&CONFIG), c.clone()), settings, changes.clone())
        })?;
        let o = oracle.clone();
        sim.node(orchestrator::NAME, move || {
            // A new cache per start: what the orchestrator knew is gone with its memory.
            let source = ConfigSource::new(o.clone());
            let client = Client::new(orchestrator::NAME, names(&CONFIG), config_oracle.clone());
            let o = o.clone();
            async move {
                microsim::spawn(remote::follow(source.clone(), client));
                orchestrator::serve(o, source, bugs).await
            }
        })?;
        for service in PARTICIPANTS {
            let o = oracle.clone();
            sim.node(service, move || participant::serve(service, o.clone()))?;
        }
        for (i, name) in CLIENTS.into_iter().enumerate() {
            let o = oracle.clone();
            sim.client(name, move || client(o.clone(), i))?;
        }
        let o = oracle.clone();
        sim.client(AUDITOR, move || audit(o.clone()))?;
        sim.liveness(CHAOS)?;
        let o = oracle.clone();
        sim.eventually("saga: every acknowledged order finishes", TERMINATION, move || o.all_finished())
    }
}

/// The suite's nemesis: what [`Profile`] draws over every node (crashes,
/// pauses, partitions, link faults, disk faults, 1% loss, 3% duplication),
/// plus what the saga must survive in every run: payment unavailable for 0.3
/// to 1.5 s (crashed, paused or cut off; long enough for steps to time out and
/// the breaker to open), two crashes of the orchestrator while orders are
/// in flight, 0.3 to 0.9 s of a slow, long-tailed link from the orchestrator
/// to payment (late charges), and the config center without a majority for
/// 0.3 to 1.2 s (two of its servers crashed: the orchestrator's settings fall
/// back to the last known values). Deterministic in `seed`.
pub fn nemesis(seed: u64) -> FaultPlan {
    let horizon = SagaScenario.horizon();
    let profile = Profile {
        name: "saga".into(),
        disks: true,
        duplicate: 0.03,
        chaos_fraction: CHAOS.as_secs_f64() / horizon.as_secs_f64(),
        ..Profile::default()
    };
    let nodes = SagaScenario.nodes();
    let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let mut plan = profile.plan(seed, &names, horizon);
    let heal = plan.steps.pop().expect("a plan ends with heal_all");
    let mut next = mixer(seed ^ 0x5a9a_0000_0000_0002);
    let mut ms = move |lo: u64, hi: u64| Duration::from_millis(lo + next() % (hi - lo));
    let step = |at: Duration, fault: Fault| PlanStep { at: PlanTime(at), fault };
    let payment = "payment".to_string();
    let (down, up) = (ms(300, 1_500), ms(300, 1_500));
    let (fault, undo) = match ms(0, 3).as_millis() {
        0 => (Fault::Crash { node: payment.clone() }, Fault::Restart { node: payment }),
        1 => (Fault::Pause { node: payment.clone() }, Fault::Resume { node: payment }),
        _ => {
            let rest = nodes.iter().filter(|n| **n != payment).cloned().collect();
            (Fault::Partition { groups: vec![vec![payment], rest] }, Fault::HealNetwork)
        }
    };
    plan.steps.extend([step(down, fault), step((down + up).min(CHAOS), undo)]);
    // A slow link to payment: charges delayed past the saga's attempts arrive
    // after their refund (and must find its tombstone).
    let link = LinkRef { from: orchestrator::NAME.into(), to: "payment".into() };
    let t = |ms| PlanTime(Duration::from_millis(ms));
    let slow = LatencySpec::LongTail { min: t(1), median: t(40), max: t(400) };
    let normal = LatencySpec::Uniform { min: t(1), max: t(5) };
    let (slow_from, slow_for) = (ms(200, 1_800), ms(300, 900));
    plan.steps.extend([
        step(slow_from, Fault::Latency { latency: slow, link: Some(link.clone()) }),
        step((slow_from + slow_for).min(CHAOS), Fault::Latency { latency: normal, link: Some(link) }),
    ]);
    let node = || orchestrator::NAME.to_string();
    let first = ms(100, 1_200);
    let second = first + ms(300, 1_400);
    for crash in [first, second] {
        let restart = (crash + ms(20, 300)).min(CHAOS);
        plan.steps.extend([step(crash, Fault::Crash { node: node() }), step(restart, Fault::Restart { node: node() })]);
    }
    let (outage, lasts) = (ms(200, 2_000), ms(300, 1_200));
    let spared = ms(0, 3).as_millis() as usize;
    for server in CONFIG.iter().enumerate().filter(|(i, _)| *i != spared).map(|(_, s)| s.to_string()) {
        plan.steps.extend([
            step(outage, Fault::Crash { node: server.clone() }),
            step((outage + lasts).min(CHAOS), Fault::Restart { node: server }),
        ]);
    }
    plan.steps.sort_by_key(|s| s.at);
    let mut plan = make_valid(plan, &names);
    plan.steps.push(heal);
    plan
}
