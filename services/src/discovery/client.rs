//! The client library: register an instance and keep its lease alive, look
//! services up, and keep a local cache fresh with watches.
//!
//! Calls go to one registry server at a time: a server that does not lead
//! names the leader (consistent mode), a call that times out or finds the
//! server unavailable moves on to the next one.

use super::history::{RegOp, RegOut};
use super::lease::wall_ns;
use super::observe::{bump, Seen};
use super::proto::{Instance, Key, Op, Request, Response, PORT};
use super::{CALL_TIMEOUT, RENEW_EVERY, WATCH_HOLD};
use microsim::rpc;
use microsim::time::{self, Instant};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

/// A connection to the registry: its servers and the one to try first.
#[derive(Debug)]
pub struct Client {
    servers: Vec<String>,
    next: Cell<usize>,
}

/// One answered call: when the answering request was sent and answered, in
/// true time (for the oracle), and the answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// When the request that was answered was sent.
    pub sent: Instant,
    /// When the answer arrived.
    pub answered: Instant,
    /// The answer.
    pub response: Response,
}

impl Client {
    /// A client of the registry made of `servers`, starting with the `first`th.
    pub fn new(servers: Vec<String>, first: usize) -> Client {
        Client { next: Cell::new(first % servers.len().max(1)), servers }
    }

    /// Calls until a server answers something other than "not the leader" or
    /// "unavailable", at most `tries` times.
    pub async fn call(&self, req: &Request, timeout: Duration, tries: u32) -> Option<Answer> {
        for _ in 0..tries {
            let to = self.servers[self.next.get()].clone();
            let sent = time::global_now();
            match rpc::call::<Request, Response>((to.as_str(), PORT), req.clone(), timeout).await {
                Ok(Response::NotLeader { hint: Some(h) }) if self.servers.contains(&h) && h != to => {
                    self.next.set(self.servers.iter().position(|s| *s == h).unwrap_or(0));
                }
                Ok(Response::NotLeader { .. } | Response::Unavailable) | Err(_) => {
                    self.next.set((self.next.get() + 1) % self.servers.len());
                    time::sleep(Duration::from_millis(20)).await;
                }
                Ok(response) => return Some(Answer { sent, answered: time::global_now(), response }),
            }
        }
        None
    }

    /// A lookup of `service` straight from the registry.
    pub async fn lookup(&self, service: &str) -> Option<Answer> {
        self.call(&Request::Lookup { service: service.to_string() }, CALL_TIMEOUT, 3).await
    }
}

/// What an instance's registrar tells the oracle: when it last tried to renew
/// (true time), and whether it is alive (renewing).
#[derive(Debug, Default)]
pub struct Heartbeat {
    /// When the instance last sent a registration or a renewal.
    pub last_attempt: Cell<Option<Instant>>,
    /// Whether the instance is registered and renewing.
    pub alive: Cell<bool>,
}

/// This instance's incarnation: one more than at its last start, kept on its
/// disk (written and synced before it is used). `None` if the disk failed.
pub async fn incarnation() -> Option<u64> {
    const FILE: &str = "incarnation";
    let file = microsim::disk::open(FILE).or_else(|_| microsim::disk::create(FILE)).ok()?;
    let bytes = file.read_all().ok()?;
    let last = bytes.get(..8).map_or(0, |b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    file.write_at(0, &(last + 1).to_le_bytes()).ok()?;
    file.sync().await.ok()?;
    Some(last + 1)
}

/// Registers `instance` and renews its lease every [`RENEW_EVERY`] until
/// `until` (true time); then deregisters it if `deregister`, or just stops (a
/// silent death). Returns when the deregistration completed (true time).
#[allow(clippy::too_many_arguments)]
pub async fn keep_registered(
    client: &Client,
    process: u64,
    instance: Instance,
    until: Instant,
    deregister: bool,
    beat: &Heartbeat,
    seen: &Seen,
) -> Option<Instant> {
    let key: Key = instance.key();
    let incarnation = loop {
        match incarnation().await {
            Some(n) => break n,
            None => time::sleep(Duration::from_millis(100)).await,
        }
    };
    let mut seq = 0;
    let mut op = move || -> Op {
        seq += 1;
        (incarnation, seq)
    };
    let mut registered = false;
    while time::global_now() < until {
        let req = if registered {
            Request::Renew { key: key.clone(), stamp: wall_ns() }
        } else {
            Request::Register { instance: instance.clone(), stamp: wall_ns(), op: op() }
        };
        beat.last_attempt.set(Some(time::global_now()));
        let recorded = match &req {
            Request::Register { op, .. } => {
                Some(seen.history.invoke(process, RegOp::Register(instance.id.clone(), *op)))
            }
            _ => None,
        };
        let response = client.call(&req, CALL_TIMEOUT, 1).await.map(|a| a.response);
        if let Some(id) = recorded {
            seen.history.complete(id, (response == Some(Response::Done)).then_some(RegOut::Done));
        }
        match response {
            Some(Response::Done) => {
                registered = true;
                beat.alive.set(true);
            }
            Some(Response::Unknown) => {
                bump(&seen.reregistrations);
                registered = false;
                continue;
            }
            _ => {}
        }
        time::sleep(RENEW_EVERY).await;
    }
    beat.alive.set(false);
    if !deregister {
        return None;
    }
    let op = op();
    let recorded = seen.history.invoke(process, RegOp::Deregister(instance.id.clone(), op));
    let req = Request::Deregister { key, op };
    let answer = client.call(&req, CALL_TIMEOUT, 100).await;
    seen.history.complete(recorded, answer.as_ref().map(|_| RegOut::Done));
    answer.map(|a| a.answered)
}

/// A client's cache of services' instances, kept fresh by watches.
#[derive(Debug, Default)]
pub struct Cache {
    entries: RefCell<BTreeMap<String, (u64, Vec<Instance>)>>,
}

impl Cache {
    /// The cached instances of `service`.
    pub fn get(&self, service: &str) -> Vec<Instance> {
        self.entries.borrow().get(service).map(|(_, i)| i.clone()).unwrap_or_default()
    }

    /// Keeps `service` fresh forever: a watch from the cached version; every
    /// answer replaces the cached list.
    pub async fn follow(&self, client: &Client, service: &str, seen: &Seen) {
        loop {
            let since = self.entries.borrow().get(service).map_or(0, |(v, _)| *v);
            let req = Request::Watch { service: service.to_string(), since };
            match client.call(&req, WATCH_HOLD + CALL_TIMEOUT, 1).await.map(|a| a.response) {
                Some(Response::Instances { version, instances, .. }) => {
                    bump(&seen.refreshes);
                    self.entries.borrow_mut().insert(service.to_string(), (version, instances));
                }
                _ => time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}
