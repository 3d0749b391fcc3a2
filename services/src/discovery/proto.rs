//! What registry clients and servers say to each other.

use serde::{Deserialize, Serialize};

/// The registry's port.
pub const PORT: &str = "registry";

/// One instance of a service: where to reach it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Instance {
    /// The service's name, e.g. `payments`.
    pub service: String,
    /// The instance's id, unique within the service.
    pub id: String,
    /// Its address (a node name in the simulation).
    pub addr: String,
}

impl Instance {
    /// Its key in the registry.
    pub fn key(&self) -> Key {
        (self.service.clone(), self.id.clone())
    }
}

/// An instance's key: service and id.
pub type Key = (String, String);

/// Orders one instance's registrations and deregistration: its incarnation
/// (counted on its own disk, one more at every start) and a sequence number
/// within it. A server ignores a change older than one it has seen, so a
/// registration delayed in the network (or queued at a paused server) cannot
/// bring back an instance that deregistered after it.
pub type Op = (u64, u64);

/// A request to a registry server.
#[derive(Clone, Debug)]
pub enum Request {
    /// Registers (or re-registers) an instance under a lease. `stamp` is the
    /// client's wall clock in nanoseconds (used only by the `client-clock` bug).
    Register {
        /// The instance.
        instance: Instance,
        /// The client's wall clock.
        stamp: i128,
        /// The change's place in the instance's history.
        op: Op,
    },
    /// Renews an instance's lease (a heartbeat).
    Renew {
        /// The instance's key.
        key: Key,
        /// The client's wall clock.
        stamp: i128,
    },
    /// Removes an instance.
    Deregister {
        /// The instance's key.
        key: Key,
        /// The change's place in the instance's history.
        op: Op,
    },
    /// The healthy instances of a service.
    Lookup {
        /// The service.
        service: String,
    },
    /// Waits (at most [`super::WATCH_HOLD`]) until the service changes after version `since`.
    Watch {
        /// The service.
        service: String,
        /// The version the client has.
        since: u64,
    },
}

/// A registry server's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// Done.
    Done,
    /// A service's instances, sorted, at a version of the service.
    Instances {
        /// The service's version at this server.
        version: u64,
        /// The instances.
        instances: Vec<Instance>,
        /// The server was in self-preservation (available mode): expired
        /// leases are kept.
        preserving: bool,
    },
    /// This server does not lead; ask `hint`.
    NotLeader {
        /// The leader it knows of.
        hint: Option<String>,
    },
    /// The instance is not registered (its lease expired): register again.
    Unknown,
    /// The server could not do it now (lost leadership, disk error): retry.
    Unavailable,
}
