//! The replicated state machine: keys with values and versions, one global
//! revision (etcd-style: every change takes the next revision and the key's
//! version is the revision of its last change), canary values, and a bounded
//! history of changes for watches. Applied in log order on every replica by
//! the Raft in `crate::raft`, so every replica holds the same state at the
//! same log index.

use super::api::{Change, Event, Reply, Write};
use super::error::ConfigError;
use super::key::check_key;
use crate::raft::Machine;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::rc::Rc;

/// How many changes each replica keeps for watches; older ones are compacted
/// (trimmed), and a watch from before them gets a compaction notice.
pub const HISTORY_LEN: usize = 16;

/// A command in the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cmd {
    /// A change.
    Write(Write),
    /// A strong read: the key as `client` sees it, at this point of the log.
    Read {
        /// The key.
        key: String,
        /// The reading client's id (canary values depend on it).
        client: String,
    },
    /// Changes nothing; answers the current revision (a linearizable point).
    Barrier,
    /// A client's write, applied at most once per call: a copy of the request
    /// that the network duplicated gets the first copy's answer.
    Once {
        /// The RPC call it came in (`rpc::Incoming::call_id`).
        call: u64,
        /// The change.
        write: Write,
    },
}

/// How many calls' answers the store remembers (for duplicates).
const ONCE_MEMORY: usize = 4096;

/// A canary value waiting to be promoted.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Canary {
    value: String,
    version: u64,
    clients: BTreeSet<String>,
}

/// One key: its value for everyone (`None`: deleted) and version, and a
/// pending canary value (its version is always the newer one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    value: Option<String>,
    version: u64,
    canary: Option<Canary>,
}

/// Who is told of every applied change.
pub type Observer = Rc<dyn Fn(&Event)>;

/// The config store.
#[derive(Default)]
pub struct Store {
    keys: BTreeMap<String, Record>,
    revision: u64,
    history: VecDeque<Event>,
    compacted: u64,
    observer: OnceCell<Observer>,
    answered: BTreeMap<u64, Result<Reply, ConfigError>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Store(revision {}, {} keys, compacted {})", self.revision, self.keys.len(), self.compacted)
    }
}

impl Machine for Store {
    type Cmd = Cmd;
    type Out = Result<Reply, ConfigError>;

    fn apply(&mut self, cmd: &Cmd) -> Result<Reply, ConfigError> {
        // The server checks input before proposing; checking again here keeps a
        // bad command that reached the log from changing anything.
        match cmd {
            Cmd::Write(w) => {
                w.check()?;
                self.write(w)
            }
            Cmd::Read { key, client } => {
                check_key(key)?;
                let (value, version) = self.view(key, client);
                Ok(Reply::Read { value, version })
            }
            Cmd::Barrier => Ok(Reply::Revision(self.revision)),
            Cmd::Once { call, write } => {
                if let Some(answer) = self.answered.get(call) {
                    return answer.clone();
                }
                let answer = write.check().and_then(|()| self.write(write));
                self.answered.insert(*call, answer.clone());
                if self.answered.len() > ONCE_MEMORY {
                    self.answered.pop_first();
                }
                answer
            }
        }
    }
}

impl Store {
    fn write(&mut self, w: &Write) -> Result<Reply, ConfigError> {
        let key = w.key();
        let change = match w {
            Write::Put { value, .. } => Change::Put(value.clone()),
            Write::Cas { expected, value, .. } => {
                let actual = match self.keys.get(key) {
                    Some(r) if r.value.is_some() || r.canary.is_some() => {
                        r.canary.as_ref().map_or(r.version, |c| c.version)
                    }
                    _ => return Err(ConfigError::CasOnMissingKey { key: key.to_string() }),
                };
                if actual != *expected {
                    return Err(ConfigError::VersionMismatch { key: key.to_string(), expected: *expected, actual });
                }
                Change::Put(value.clone())
            }
            Write::Delete { .. } => Change::Delete,
            Write::Canary { value, clients, .. } => Change::Canary { value: value.clone(), clients: clients.clone() },
            Write::Promote { .. } => {
                let canary = self.keys.get(key).and_then(|r| r.canary.as_ref());
                Change::Promote(canary.ok_or_else(|| ConfigError::NoCanary { key: key.to_string() })?.value.clone())
            }
        };
        Ok(self.change(key, change))
    }

    /// Calls `f` with every change this store applies, from now on (set once,
    /// right after the replica starts: the oracle of the property suite).
    pub fn observe(&self, f: impl Fn(&Event) + 'static) {
        let _ = self.observer.set(Rc::new(f));
    }

    fn change(&mut self, key: &str, change: Change) -> Reply {
        self.revision += 1;
        let version = self.revision;
        let record = self.keys.entry(key.to_string()).or_default();
        match &change {
            Change::Put(v) | Change::Promote(v) => {
                (record.value, record.version, record.canary) = (Some(v.clone()), version, None);
            }
            Change::Delete => (record.value, record.version, record.canary) = (None, version, None),
            Change::Canary { value, clients } => {
                record.canary = Some(Canary { value: value.clone(), version, clients: clients.clone() });
            }
        }
        let event = Event { revision: version, key: key.to_string(), change };
        if let Some(observer) = self.observer.get() {
            observer(&event);
        }
        self.history.push_back(event);
        while self.history.len() > HISTORY_LEN {
            let trimmed = self.history.pop_front().expect("the history is not empty");
            self.compacted = trimmed.revision;
        }
        Reply::Written { version }
    }

    /// The key as `client` sees it: its value and version (a canary value if
    /// `client` is one of its canary clients).
    pub fn view(&self, key: &str, client: &str) -> (Option<String>, u64) {
        match self.keys.get(key) {
            None => (None, 0),
            Some(Record { canary: Some(c), .. }) if c.clients.contains(client) => (Some(c.value.clone()), c.version),
            Some(r) => (r.value.clone(), r.version),
        }
    }

    /// The current revision (the last change's).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The last revision trimmed from the history (0: nothing trimmed).
    pub fn compacted(&self) -> u64 {
        self.compacted
    }

    /// The changes under `prefix` from revision `from` on, or `None` if some of
    /// them were compacted away.
    pub fn events_from(&self, prefix: &str, from: u64) -> Option<Vec<Event>> {
        if from <= self.compacted {
            return None;
        }
        Some(self.history.iter().filter(|e| e.revision >= from && e.key.starts_with(prefix)).cloned().collect())
    }

    /// Every key under `prefix` as `client` sees it (deleted keys included, as `None`).
    pub fn snapshot(&self, prefix: &str, client: &str) -> Vec<(String, Option<String>, u64)> {
        let keys = self.keys.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix));
        keys.map(|(k, _)| {
            let (value, version) = self.view(k, client);
            (k.clone(), value, version)
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str) -> Cmd {
        Cmd::Write(Write::Put { key: key.into(), value: value.into() })
    }

    #[test]
    fn a_duplicated_request_is_applied_once_and_gets_the_first_answer() {
        let mut store = Store::default();
        let once =
            |call, value: &str| Cmd::Once { call, write: Write::Put { key: "a/b/c".into(), value: value.into() } };
        assert_eq!(store.apply(&once(7, "x")), Ok(Reply::Written { version: 1 }));
        assert_eq!(store.apply(&once(7, "x")), Ok(Reply::Written { version: 1 }), "the copy");
        assert_eq!(store.revision(), 1);
        assert_eq!(store.apply(&once(8, "x")), Ok(Reply::Written { version: 2 }), "a new call is a new write");
    }

    #[test]
    fn every_change_takes_the_next_revision_and_old_ones_are_compacted() {
        let mut store = Store::default();
        for i in 0..HISTORY_LEN as u64 + 3 {
            assert_eq!(store.apply(&put("a/b/c", &i.to_string())), Ok(Reply::Written { version: i + 1 }));
        }
        assert_eq!((store.revision(), store.compacted()), (HISTORY_LEN as u64 + 3, 3));
        assert_eq!(store.events_from("a/", 3), None, "revision 3 was trimmed");
        assert_eq!(store.events_from("a/", 4).map(|e| e.len()), Some(HISTORY_LEN));
        assert_eq!(store.events_from("x/", 4), Some(Vec::new()));
    }

    #[test]
    fn a_bad_command_in_the_log_changes_nothing() {
        let mut store = Store::default();
        store.apply(&put("a/b/c", "1")).unwrap();
        assert!(store.apply(&put("a/b", "2")).is_err());
        assert!(store.apply(&put("a/b/c", &"x".repeat(super::super::key::MAX_VALUE_BYTES + 1))).is_err());
        assert_eq!((store.revision(), store.view("a/b/c", "any")), (1, (Some("1".into()), 1)));
    }

    #[test]
    fn a_plain_put_cancels_a_pending_canary() {
        let mut store = Store::default();
        let clients = ["c1".to_string()].into();
        store.apply(&Cmd::Write(Write::Canary { key: "a/b/c".into(), value: "new".into(), clients })).unwrap();
        assert_eq!(store.view("a/b/c", "c1"), (Some("new".into()), 1));
        assert_eq!(store.view("a/b/c", "c2"), (None, 0));
        store.apply(&put("a/b/c", "plain")).unwrap();
        assert_eq!(store.view("a/b/c", "c1"), (Some("plain".into()), 2));
        let promote = Cmd::Write(Write::Promote { key: "a/b/c".into() });
        assert_eq!(store.apply(&promote), Err(ConfigError::NoCanary { key: "a/b/c".into() }));
    }
}
