//! The client library: finds the leader, retries what is safe to retry,
//! records every attempt in the history, and keeps a cache of what its
//! application has seen, fenced by version: a read answered with an older
//! version than one the client has seen is not given to the application (the
//! client asks another server, and falls back to its cache).

use super::api::{ReadMode, Reply, Request, Response, Write, PORT};
use super::error::ConfigError;
use super::history::{Kind, Op, Outcome};
use super::oracle::Oracle;
use super::server::WATCH_HOLD;
use microsim::property::{always_or, sometimes};
use microsim::{rpc, time};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

/// How long a client waits for one answer.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(100);

/// Attempts per operation, at most (a write is retried only when the server
/// certainly did not apply it: "not the leader").
pub const MAX_TRIES: u32 = 8;

/// The pause before trying again after no leader was known or no answer came.
const BACKOFF: Duration = Duration::from_millis(20);

/// What an operation returned to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A value (`None`: absent) and its version, or a write's new version.
    Ok(Option<String>, u64),
    /// The servers refused it.
    Failed(ConfigError),
    /// No definite answer: it may have taken effect.
    Unknown,
}

/// One client instance.
#[derive(Debug)]
pub struct Client {
    id: String,
    servers: Vec<String>,
    target: usize,
    incarnation: u32,
    /// The server that last accepted a write, to see failovers.
    last_leader: Option<String>,
    /// Per key, the value and version the application last saw.
    cache: BTreeMap<String, (Option<String>, u64)>,
    oracle: Rc<RefCell<Oracle>>,
}

impl Client {
    /// A client named `id` of the group `servers`.
    pub fn new(id: &str, servers: Vec<String>, oracle: Rc<RefCell<Oracle>>) -> Client {
        assert!(!servers.is_empty(), "a client needs servers");
        let target = id.bytes().map(usize::from).sum::<usize>() % servers.len();
        let cache = BTreeMap::new();
        Client { id: id.to_string(), servers, target, incarnation: 0, last_leader: None, cache, oracle }
    }

    /// The client's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The version of `key` the application has seen (0: none).
    pub fn seen_version(&self, key: &str) -> u64 {
        self.cache.get(key).map_or(0, |c| c.1)
    }

    /// One attempt at the current target, recorded in the history.
    async fn attempt(&mut self, req: &Request, key: &str, kind: Kind) -> Result<Response, rpc::RpcError> {
        let server = self.servers[self.target].clone();
        let invoke_ns = time::now().as_nanos();
        let answer = rpc::call::<Request, Response>((server.as_str(), PORT), req.clone(), CALL_TIMEOUT).await;
        let outcome = match &answer {
            Ok(Ok(Reply::Read { value, version })) => Outcome::Ok { value: value.clone(), version: *version },
            Ok(Ok(Reply::Written { version })) => Outcome::Ok { value: None, version: *version },
            Ok(Ok(other)) => Outcome::Failed { error: format!("unexpected reply {other:?}") },
            Ok(Err(e)) if !e.is_unknown() => Outcome::Failed { error: e.to_string() },
            Ok(Err(_)) | Err(_) => Outcome::Unknown,
        };
        let process = format!("{}#{}", self.id, self.incarnation);
        if outcome == Outcome::Unknown {
            self.incarnation += 1;
        }
        let visible_to = match req {
            Request::Write(Write::Canary { clients, .. }) => Some(clients.clone()),
            _ => None,
        };
        let op = Op { process, key: key.to_string(), kind, invoke_ns, complete_ns: time::now().as_nanos(), outcome };
        self.oracle.borrow_mut().completed(op, visible_to);
        if let Ok(Ok(Reply::Read { value, version })) = &answer {
            let strong = matches!(req, Request::Get { mode: ReadMode::Strong, .. });
            let checked = self.oracle.borrow().check_read(&self.id, key, invoke_ns, value.as_deref(), *version, strong);
            always_or("config: reads return committed, fresh values", checked.is_ok(), || checked.unwrap_err());
        }
        answer
    }

    /// Moves on after a refusal or silence: to the hinted leader, else the next server.
    async fn retarget(&mut self, hint: Option<&str>) {
        match hint.and_then(|h| self.servers.iter().position(|s| s == h)) {
            Some(i) => self.target = i,
            None => {
                self.target = (self.target + 1) % self.servers.len();
                time::sleep(BACKOFF).await;
            }
        }
    }

    /// Reads `key`; the answer given to the application is never older than
    /// what it has seen of the key.
    pub async fn get(&mut self, key: &str, mode: ReadMode) -> Answer {
        let req = Request::Get { key: key.to_string(), mode, client: self.id.clone() };
        if mode == ReadMode::Strong {
            // Reads are spread over the servers; a follower refuses a strong read.
            self.target = microsim::rand::random_range(0..self.servers.len());
        }
        let kind = Kind::Get { strong: mode == ReadMode::Strong };
        for _ in 0..MAX_TRIES {
            match self.attempt(&req, key, kind.clone()).await {
                Ok(Ok(Reply::Read { value, version })) => {
                    let fenced = version < self.seen_version(key);
                    sometimes("config: a client fenced off an older version", fenced);
                    if !fenced {
                        return self.seen(key, value, version);
                    }
                    self.retarget(None).await;
                }
                Ok(Err(ConfigError::NotLeader { hint })) => self.retarget(hint.as_deref()).await,
                Ok(Err(e)) if !e.is_unknown() => return Answer::Failed(e),
                _ => self.retarget(None).await,
            }
        }
        match self.cache.get(key) {
            Some((value, version)) => Answer::Ok(value.clone(), *version),
            None => Answer::Unknown,
        }
    }

    /// The application sees `value` at `version` of `key`.
    fn seen(&mut self, key: &str, value: Option<String>, version: u64) -> Answer {
        let before = self.seen_version(key);
        always_or("config: a client never sees a key's version go backwards", version >= before, || {
            format!("{} saw {key} at version {version} after version {before}", self.id)
        });
        self.cache.insert(key.to_string(), (value.clone(), version));
        Answer::Ok(value, version)
    }

    /// One long poll for the changes under `prefix` from revision `from`
    /// (`None`: only what comes next), following "not the leader" hints. Not
    /// recorded in the history (it reads no one key); the caller fences what it
    /// applies by version. `Err(ConfigError::Unavailable)`: no server answered.
    pub async fn watch(&mut self, prefix: &str, from: Option<u64>) -> Result<Reply, ConfigError> {
        let req = Request::Watch { prefix: prefix.to_string(), from, client: self.id.clone() };
        for _ in 0..MAX_TRIES {
            let to = (self.servers[self.target].as_str(), PORT);
            match rpc::call::<Request, Response>(to, req.clone(), WATCH_HOLD + CALL_TIMEOUT).await {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(ConfigError::NotLeader { hint })) => self.retarget(hint.as_deref()).await,
                Ok(Err(e)) if !e.is_unknown() => return Err(e),
                _ => {
                    self.retarget(None).await;
                    return Err(ConfigError::Unavailable);
                }
            }
        }
        Err(ConfigError::NotLeader { hint: None })
    }

    /// Sends a write to the leader; retried only on "not the leader".
    pub async fn write(&mut self, w: Write) -> Answer {
        let (key, kind, value) = (w.key().to_string(), write_kind(&w), w.value().map(str::to_string));
        let req = Request::Write(w);
        for _ in 0..MAX_TRIES {
            match self.attempt(&req, &key, kind.clone()).await {
                Ok(Ok(Reply::Written { version })) => {
                    let leader = self.servers[self.target].clone();
                    let failover = self.last_leader.as_ref().is_some_and(|l| *l != leader);
                    sometimes("config: a client failed over to a new leader", failover);
                    self.last_leader = Some(leader);
                    // A canary's or promotion's value depends on who reads it:
                    // the application learns it by reading.
                    let everyone = !matches!(req, Request::Write(Write::Canary { .. } | Write::Promote { .. }));
                    if everyone && version > self.seen_version(&key) {
                        self.cache.insert(key, (value.clone(), version));
                    }
                    return Answer::Ok(value, version);
                }
                Ok(Err(ConfigError::NotLeader { hint })) => self.retarget(hint.as_deref()).await,
                Ok(Err(e)) if !e.is_unknown() => return Answer::Failed(e),
                _ => {
                    self.retarget(None).await;
                    return Answer::Unknown;
                }
            }
        }
        Answer::Failed(ConfigError::NotLeader { hint: None })
    }
}

/// The history's record of a write.
fn write_kind(w: &Write) -> Kind {
    match w {
        Write::Put { value, .. } => Kind::Put { value: value.clone() },
        Write::Cas { expected, value, .. } => Kind::Cas { expected: *expected, value: value.clone() },
        Write::Delete { .. } => Kind::Delete,
        Write::Canary { value, .. } => Kind::Canary { value: value.clone() },
        Write::Promote { .. } => Kind::Promote,
    }
}

/// The set of canary clients, from names.
pub fn clients(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}
