//! Finding each other through the discovery registry: every saga service
//! registers itself ([`register`]) and the orchestrator looks its downstreams
//! up and caches them ([`Directory`]). The registry is discovery's available
//! mode (see the module docs of `saga` for why).

use crate::discovery::client::{keep_registered, Client, Heartbeat};
use crate::discovery::observe::Seen;
use crate::discovery::proto::{Instance, Request, Response};
use microsim::time::Instant;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// The registry servers.
pub const REGISTRY: [&str; 3] = ["reg0", "reg1", "reg2"];

fn servers() -> Vec<String> {
    REGISTRY.iter().map(|s| s.to_string()).collect()
}

/// Registers this node as the one instance of `service` and keeps its lease
/// alive, in a task of its own.
pub fn register(service: &'static str, seen: Rc<Seen>) {
    let addr = microsim::control::current_node();
    let first = addr.len();
    microsim::spawn(async move {
        let client = Client::new(servers(), first);
        let me = Instance { service: service.into(), id: format!("{service}-1"), addr };
        let forever = Instant::ZERO + Duration::MAX;
        keep_registered(&client, 0, me, forever, false, &Heartbeat::default(), &seen).await;
    });
}

/// The downstream services' addresses, looked up once and cached (a service's
/// instance never moves in this system; a lookup that fails is tried again at
/// the next call).
#[derive(Debug)]
pub struct Directory {
    registry: Client,
    cache: RefCell<BTreeMap<String, String>>,
}

impl Default for Directory {
    fn default() -> Self {
        Directory { registry: Client::new(servers(), 0), cache: RefCell::default() }
    }
}

impl Directory {
    /// Where `service` is, asking the registry (once, waiting at most `timeout`) if not cached.
    pub async fn find(&self, service: &str, timeout: Duration) -> Option<String> {
        if let Some(addr) = self.cache.borrow().get(service) {
            return Some(addr.clone());
        }
        let req = Request::Lookup { service: service.to_string() };
        let answer = self.registry.call(&req, timeout, 1).await?;
        let Response::Instances { instances, .. } = answer.response else { return None };
        let addr = instances.first()?.addr.clone();
        self.cache.borrow_mut().insert(service.to_string(), addr.clone());
        Some(addr)
    }
}
