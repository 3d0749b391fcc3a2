//! A watcher: an application that follows every change under a prefix with
//! long polls, going to the leader when a server refuses it and reconnecting
//! to another server when its server does not answer, resuming from the revision after the last one it has
//! (except in [`Variant::LostWatch`]). It checks, as it goes, that it gets
//! each committed change once and in order, or a compaction notice covering
//! it, and it publishes its position for the convergence check.

use super::api::{Reply, Request, Response, PORT};
use super::error::ConfigError;
use super::oracle::Oracle;
use super::server::WATCH_HOLD;
use super::variant::Variant;
use super::Event;
use microsim::property::{always_or, sometimes};
use microsim::{rpc, time};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// How a watcher behaves.
#[derive(Clone, Debug)]
pub struct WatchConfig {
    /// The watcher's client id.
    pub id: String,
    /// What it watches: `app/`, `app/env/` or a key.
    pub prefix: String,
    /// The servers.
    pub servers: Vec<String>,
    /// Which version of the service runs.
    pub variant: Variant,
    /// A slow consumer: it pauses up to this long between polls (so it falls
    /// behind the bounded history and gets compaction notices).
    pub pause_max: Duration,
}

struct Watcher {
    config: WatchConfig,
    oracle: Rc<RefCell<Oracle>>,
    /// Every revision up to this one is delivered or covered.
    through: u64,
    /// What the application holds: per key, value and version.
    view: BTreeMap<String, (Option<String>, u64)>,
}

/// Watches forever (a server-style node: the run does not wait for it).
pub async fn watch(config: WatchConfig, oracle: Rc<RefCell<Oracle>>) {
    // Known from the start, so a watcher that never gets an answer fails the convergence check.
    oracle.borrow_mut().watching(&config.id, &config.prefix, 0);
    let mut target = config.id.len() % config.servers.len();
    let mut w = Watcher { config, oracle, through: 0, view: BTreeMap::new() };
    let (mut reconnecting, mut last_server) = (false, None::<usize>);
    loop {
        let pause = w.config.pause_max.as_nanos() as u64;
        if pause > 0 {
            time::sleep(Duration::from_nanos(microsim::rand::random_range(0..pause))).await;
        }
        let lost = w.config.variant == Variant::LostWatch && reconnecting;
        let from = if lost { None } else { Some(w.through + 1) };
        let req = Request::Watch { prefix: w.config.prefix.clone(), from, client: w.config.id.clone() };
        let to = (w.config.servers[target].as_str(), PORT);
        let answer = rpc::call::<Request, Response>(to, req, WATCH_HOLD + Duration::from_millis(100)).await;
        let hint = match answer {
            Ok(Ok(reply)) => {
                let moved = last_server.is_some_and(|s| s != target);
                sometimes("config: a watcher reconnected to another server", moved);
                sometimes("config: a watcher got a compaction notice", matches!(reply, Reply::Compacted { .. }));
                (reconnecting, last_server) = (false, Some(target));
                w.deliver(reply);
                continue;
            }
            Ok(Err(ConfigError::NotLeader { hint })) => hint,
            Ok(Err(_)) => None,
            Err(_) => {
                // No answer: the server is down or cut off; the next call is a reconnect.
                reconnecting = true;
                None
            }
        };
        match hint.and_then(|h| w.config.servers.iter().position(|s| *s == h)) {
            Some(i) if i != target => target = i,
            _ => {
                target = (target + 1) % w.config.servers.len();
                time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

impl Watcher {
    fn deliver(&mut self, reply: Reply) {
        match reply {
            Reply::Events { events, through } => {
                for event in events {
                    self.event(event);
                }
                self.advance(through + 1);
                self.through = self.through.max(through);
            }
            Reply::Compacted { revision, snapshot } => {
                for (key, value, version) in snapshot {
                    self.show(&key, value, version);
                }
                self.through = self.through.max(revision);
            }
            other => always_or("config: a watch answers events or a compaction notice", false, || format!("{other:?}")),
        }
        let mut oracle = self.oracle.borrow_mut();
        oracle.watching(&self.config.id, &self.config.prefix, self.through);
    }

    /// Checks that nothing committed under the prefix lies between the
    /// position and `next`, then moves to just before `next`.
    fn advance(&mut self, next: u64) {
        let gap = self.oracle.borrow().check_no_gap(&self.config.prefix, self.through, next);
        always_or("config: watches lose no change", gap.is_ok(), || gap.unwrap_err());
        self.through = self.through.max(next.saturating_sub(1));
    }

    fn event(&mut self, event: Event) {
        let fresh = event.revision > self.through;
        always_or("config: a watcher gets each change once, in order", fresh, || {
            format!("{} got revision {} after {}", self.config.id, event.revision, self.through)
        });
        if !fresh {
            return;
        }
        self.advance(event.revision);
        self.through = event.revision;
        if let Some(value) = event.change.seen_by(&self.config.id) {
            self.show(&event.key, value.map(str::to_string), event.revision);
        }
    }

    /// The application sees `key` = `value` at `version`.
    fn show(&mut self, key: &str, value: Option<String>, version: u64) {
        let before = self.view.get(key).map_or(0, |v| v.1);
        always_or("config: a client never sees a key's version go backwards", version >= before, || {
            format!("{} saw {key} at version {version} after version {before}", self.config.id)
        });
        self.view.insert(key.to_string(), (value, version));
    }
}
