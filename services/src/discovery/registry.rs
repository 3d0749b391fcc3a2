//! The registry's state: the instances of each service and a version per
//! service that grows with every change (watches wait on it). In the
//! consistent mode it is the Raft state machine, so every replica applies the
//! same changes in the same order.

use super::proto::{Instance, Key, Op};
use crate::raft::Machine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The registry's contents.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    instances: BTreeMap<Key, Instance>,
    versions: BTreeMap<String, u64>,
    /// The newest change applied to each instance, kept after it is removed.
    ops: BTreeMap<Key, Op>,
}

/// A change (or a read, in the consistent mode's log).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Command {
    /// Adds or replaces an instance (unless a newer change was applied).
    Register(Instance, Op),
    /// Removes an instance on its request (unless a newer change was applied).
    Deregister(Key, Op),
    /// Removes an instance whose lease ran out.
    Expire(Key),
    /// Reads a service (through the log, so the read is linearizable).
    Lookup(String),
}

/// What a command returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Whether the command changed anything.
    Changed(bool),
    /// A service's version and instances.
    Instances(u64, Vec<Instance>),
}

impl Registry {
    /// A service's version and its instances, sorted.
    pub fn lookup(&self, service: &str) -> (u64, Vec<Instance>) {
        let version = self.versions.get(service).copied().unwrap_or(0);
        let instances = self.instances.values().filter(|i| i.service == service).cloned().collect();
        (version, instances)
    }

    /// Whether the instance is registered.
    pub fn contains(&self, key: &Key) -> bool {
        self.instances.contains_key(key)
    }

    /// Every registered instance's key.
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        self.instances.keys().cloned()
    }

    /// Records `op` for `key` if it is newer than what was applied; whether it was.
    fn newer(&mut self, key: &Key, op: Op) -> bool {
        if self.ops.get(key).is_some_and(|&seen| seen >= op) {
            return false;
        }
        self.ops.insert(key.clone(), op);
        true
    }

    fn bump(&mut self, service: &str) {
        *self.versions.entry(service.to_string()).or_default() += 1;
    }

    fn remove(&mut self, key: &Key) -> bool {
        let removed = self.instances.remove(key).is_some();
        if removed {
            self.bump(&key.0);
        }
        removed
    }
}

impl Machine for Registry {
    type Cmd = Command;
    type Out = Output;

    fn apply(&mut self, cmd: &Command) -> Output {
        match cmd {
            Command::Register(instance, op) => {
                if !self.newer(&instance.key(), *op) {
                    return Output::Changed(false);
                }
                let changed = self.instances.get(&instance.key()) != Some(instance);
                if changed {
                    self.instances.insert(instance.key(), instance.clone());
                    self.bump(&instance.service);
                }
                Output::Changed(changed)
            }
            Command::Deregister(key, op) => {
                let newer = self.newer(key, *op);
                Output::Changed(newer && self.remove(key))
            }
            Command::Expire(key) => Output::Changed(self.remove(key)),
            Command::Lookup(service) => {
                let (version, instances) = self.lookup(service);
                Output::Instances(version, instances)
            }
        }
    }
}
