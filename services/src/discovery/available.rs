//! The available mode: peers that each serve on their own, as Eureka does.
//!
//! Every peer accepts registrations, renewals and deregistrations, answers
//! lookups from its own copy and passes changes on to the other peers at once
//! and again in a periodic full exchange (anti-entropy). Each record carries a
//! version (a hybrid logical clock and the peer's name) and the newer version wins; a
//! deregistration or an expiry leaves a tombstone, so an old copy of the
//! record cannot bring the instance back. Leases are judged by each peer's own
//! clock. A partition leaves each side serving what it knows: lookups may be
//! stale, but they are answered.
//!
//! Each peer appends its records to its disk and syncs before it answers a
//! registration or deregistration, so an acknowledged change survives a crash
//! of the peer (a tombstone lost in a crash would let the other peers' copies
//! bring the instance back). Leases are not kept on disk: a restarted peer
//! grants every instance a fresh lease.
//!
//! Self-preservation: when a peer has received fewer than 85% of the renewals
//! its live instances should have sent in the last second, it assumes the
//! network, not the instances, failed and stops expiring leases until renewals
//! recover. Lookups say when they were answered in self-preservation.
//!
//! The `zombie` bug removes a deregistered instance without a tombstone and
//! does not tell the other peers: their copies come back with the next
//! exchange, and the instance is returned again after it left.

use super::lease::Leases;
use super::observe::{bump, Seen};
use super::proto::{Instance, Key, Op, Request, Response, PORT};
use super::{Bugs, EXPIRY_CHECK, RENEW_EVERY, TTL, WATCH_HOLD};
use microsim::disk::{self, File};
use microsim::net::Socket;
use microsim::rpc;
use microsim::time::{self, Instant};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

/// The port peers exchange records on.
pub const PEER_PORT: &str = "peers";

/// The file a peer keeps its records in.
const FILE: &str = "registry.log";

/// How often a peer sends its whole registry to the others.
pub const EXCHANGE_EVERY: Duration = Duration::from_millis(200);

/// A record's version: a hybrid logical clock, then the peer that wrote it.
type Version = (u64, String);

/// One instance's record (`None`: a tombstone).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The instance's own order of its changes; records compare by it first.
    op: Op,
    version: Version,
    instance: Option<Instance>,
}

/// What peers send each other.
#[derive(Clone, Debug)]
pub enum PeerMsg {
    /// Records (changes, or everything in an exchange).
    Records(Vec<(Key, Record)>),
    /// An instance renewed its lease at the sender (with the client's stamp).
    Renewed(Key, i128),
}

struct Peer {
    me: String,
    records: BTreeMap<Key, Record>,
    clock: u64,
    versions: BTreeMap<String, u64>,
    leases: Leases,
    renewals: VecDeque<Instant>,
    preserving: bool,
    file: Option<File>,
}

impl Peer {
    fn write(&mut self, key: Key, instance: Option<Instance>, op: Op) -> (Key, Record) {
        // A hybrid logical clock: a peer restarted after a crash has lost its
        // counter, but its clock has moved on, so its new versions still beat
        // the ones it wrote before the crash (a plain Lamport counter would
        // start again at 1, and an old copy would undo a newer deregistration).
        self.clock = (self.clock + 1).max(time::now().as_nanos());
        let record = Record { op, version: (self.clock, self.me.clone()), instance };
        self.changed(&key.0);
        self.persist(&key, &record);
        self.records.insert(key.clone(), record.clone());
        (key, record)
    }

    fn changed(&mut self, service: &str) {
        *self.versions.entry(service.to_string()).or_default() += 1;
    }

    fn live(&self, key: &Key) -> bool {
        self.records.get(key).is_some_and(|r| r.instance.is_some())
    }

    fn merge(&mut self, records: Vec<(Key, Record)>) {
        for (key, record) in records {
            self.clock = self.clock.max(record.version.0);
            if self.records.get(&key).is_some_and(|mine| (mine.op, &mine.version) >= (record.op, &record.version)) {
                continue;
            }
            if record.instance.is_some() {
                // A newer registration elsewhere counts as a renewal here.
                self.leases.renew(key.clone(), super::lease::wall_ns());
            }
            self.changed(&key.0);
            self.persist(&key, &record);
            self.records.insert(key, record);
        }
    }

    /// Appends a record to the peer's file (synced before a client is told).
    fn persist(&self, key: &Key, record: &Record) {
        if let Some(file) = &self.file {
            let mut line = serde_json::to_vec(&(key, record)).expect("records serialize");
            line.push(b'\n');
            // A failed write shows as a failed sync before the client is answered.
            let _ = file.append(&line);
        }
    }

    /// Reads the records back after a restart: the newest version of each wins.
    fn recover(&mut self) {
        self.file = disk::open(FILE).or_else(|_| disk::create(FILE)).ok();
        let bytes = self.file.as_ref().and_then(|f| f.read_all().ok()).unwrap_or_default();
        for line in bytes.split(|&b| b == b'\n') {
            // A torn last line was never synced, so no client was told of it.
            let Ok((key, record)) = serde_json::from_slice::<(Key, Record)>(line) else { break };
            self.clock = self.clock.max(record.version.0);
            if self.records.get(&key).is_none_or(|mine| (mine.op, &mine.version) < (record.op, &record.version)) {
                self.changed(&key.0);
                self.records.insert(key, record);
            }
        }
        // Leases are not on disk: every recovered instance gets a fresh one now.
        let live: Vec<Key> =
            self.records.iter().filter(|(_, r)| r.instance.is_some()).map(|(k, _)| k.clone()).collect();
        self.leases.reset(live.into_iter());
    }

    fn lookup(&self, service: &str) -> Response {
        let instances =
            self.records.values().filter_map(|r| r.instance.clone()).filter(|i| i.service == service).collect();
        let version = self.versions.get(service).copied().unwrap_or(0);
        Response::Instances { version, instances, preserving: self.preserving }
    }

    fn renewed(&mut self, key: Key, stamp: i128) {
        self.leases.renew(key, stamp);
        self.renewals.push_back(time::now());
    }
}

/// Runs one peer of the registry (a node's main task).
pub async fn serve(members: Vec<String>, bugs: Bugs, seen: Rc<Seen>) -> Result<(), String> {
    let me = microsim::control::current_node();
    let others: Vec<String> = members.into_iter().filter(|m| *m != me).collect();
    let peer = Rc::new(RefCell::new(Peer {
        me,
        records: BTreeMap::new(),
        clock: 0,
        versions: BTreeMap::new(),
        leases: Leases::new(bugs.client_clock),
        renewals: VecDeque::new(),
        preserving: false,
        file: None,
    }));
    peer.borrow_mut().recover();
    let socket = Rc::new(Socket::<PeerMsg>::bind(PEER_PORT).map_err(|e| e.to_string())?);
    let send = {
        let socket = socket.clone();
        move |msg: PeerMsg| {
            for o in &others {
                socket.send_to((o.as_str(), PEER_PORT), msg.clone());
            }
        }
    };
    let send = Rc::new(send);
    microsim::spawn(listen(peer.clone(), socket));
    microsim::spawn(exchange(peer.clone(), send.clone()));
    microsim::spawn(expire(peer.clone(), send.clone(), seen));
    let server = rpc::Server::<Request, Response>::bind(PORT).map_err(|e| e.to_string())?;
    loop {
        let incoming = server.next().await;
        let response = match incoming.body.clone() {
            Request::Watch { service, since } => {
                let peer = peer.clone();
                microsim::spawn(async move {
                    let deadline = time::now() + WATCH_HOLD;
                    loop {
                        let changed = peer.borrow().versions.get(&service).copied().unwrap_or(0) > since;
                        if changed || time::now() >= deadline {
                            let response = peer.borrow().lookup(&service);
                            incoming.reply(response);
                            return;
                        }
                        time::sleep(Duration::from_millis(20)).await;
                    }
                });
                continue;
            }
            req @ (Request::Register { .. } | Request::Deregister { .. }) => {
                let response = handle(&mut peer.borrow_mut(), bugs, req, &*send);
                // Write, sync, then answer: an acknowledged change survives a crash.
                let file = peer.borrow().file.clone();
                match file {
                    Some(f) if f.sync().await.is_ok() => response,
                    _ => Response::Unavailable,
                }
            }
            req => handle(&mut peer.borrow_mut(), bugs, req, &*send),
        };
        incoming.reply(response);
    }
}

fn handle(peer: &mut Peer, bugs: Bugs, req: Request, send: &dyn Fn(PeerMsg)) -> Response {
    match req {
        Request::Register { instance, stamp, op } => {
            let key = instance.key();
            if peer.records.get(&key).is_some_and(|r| r.op >= op) {
                // A stale registration (delayed, or queued while this peer was paused).
                return Response::Done;
            }
            peer.renewed(key.clone(), stamp);
            let change = peer.write(key, Some(instance), op);
            send(PeerMsg::Records(vec![change]));
            Response::Done
        }
        Request::Renew { key, stamp } => {
            if !peer.live(&key) {
                return Response::Unknown;
            }
            peer.renewed(key.clone(), stamp);
            send(PeerMsg::Renewed(key, stamp));
            Response::Done
        }
        Request::Deregister { key, .. } if bugs.zombie => {
            if peer.records.remove(&key).is_some() {
                peer.changed(&key.0);
            }
            peer.leases.remove(&key);
            Response::Done
        }
        Request::Deregister { key, op } => {
            if peer.records.get(&key).is_some_and(|r| r.op >= op) {
                return Response::Done;
            }
            let change = peer.write(key.clone(), None, op);
            peer.leases.remove(&key);
            send(PeerMsg::Records(vec![change]));
            Response::Done
        }
        Request::Lookup { service } => peer.lookup(&service),
        Request::Watch { .. } => unreachable!("watches are held by their own task"),
    }
}

async fn listen(peer: Rc<RefCell<Peer>>, socket: Rc<Socket<PeerMsg>>) {
    loop {
        let (_, msg) = socket.recv().await;
        let mut p = peer.borrow_mut();
        match msg {
            PeerMsg::Records(records) => p.merge(records),
            PeerMsg::Renewed(key, stamp) => {
                if p.live(&key) {
                    p.renewed(key, stamp);
                }
            }
        }
    }
}

async fn exchange(peer: Rc<RefCell<Peer>>, send: Rc<dyn Fn(PeerMsg)>) {
    loop {
        time::sleep(EXCHANGE_EVERY).await;
        let all: Vec<_> = peer.borrow().records.iter().map(|(k, r)| (k.clone(), r.clone())).collect();
        send(PeerMsg::Records(all));
    }
}

/// Expires leases that ran out, unless in self-preservation.
async fn expire(peer: Rc<RefCell<Peer>>, send: Rc<dyn Fn(PeerMsg)>, seen: Rc<Seen>) {
    let window = Duration::from_secs(1);
    loop {
        time::sleep(EXPIRY_CHECK).await;
        let mut p = peer.borrow_mut();
        let now = time::now();
        while p.renewals.front().is_some_and(|&t| now.saturating_duration_since(t) > window) {
            p.renewals.pop_front();
        }
        let live: Vec<Key> = p.records.iter().filter(|(_, r)| r.instance.is_some()).map(|(k, _)| k.clone()).collect();
        let expected = live.len() as f64 * (window.as_secs_f64() / RENEW_EVERY.as_secs_f64());
        // A peer that just started has not had a window yet: no judgement.
        let preserving = now.since_start() > window && (p.renewals.len() as f64) < 0.85 * expected;
        p.preserving = preserving;
        if preserving {
            bump(&seen.preserving);
            continue;
        }
        let expired = p.leases.expired(live.into_iter(), TTL);
        for key in expired {
            bump(&seen.expiries);
            let op = p.records.get(&key).map_or((0, 0), |r| r.op);
            let change = p.write(key.clone(), None, op);
            p.leases.remove(&key);
            send(PeerMsg::Records(vec![change]));
        }
    }
}
