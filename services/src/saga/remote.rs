//! The saga's settings from the config center: [`ConfigSource`], the
//! orchestrator's cache of the keys under [`PREFIX`], kept fresh by a watch
//! ([`follow`]) and fenced by version (a key's cached value never goes back
//! to an older version); and [`admin`], the operator who seeds the keys with
//! a variant's values and changes them on a schedule.
//!
//! **Fallback.** The orchestrator reads the cache once per saga step and
//! never waits for the config center. Until the watch has answered once since
//! the orchestrator started, a step runs on the documented defaults
//! ([`Settings::default`]); when the watch has had no answer for
//! [`STALE_AFTER`], on the last known values. Either way the step counts in
//! the `settings fallbacks` metric and in `sometimes` coverage: a config
//! outage is visible, and it never stops orders.

use super::oracle::{bump, Oracle};
use super::settings::{key, Settings, Source, PREFIX};
use crate::config::client::{Answer, Client};
use crate::config::{ConfigError, Reply, Write};
use microsim::property::sometimes;
use microsim::time::{self, Instant};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

/// How long the watch may go without an answer before the cached settings
/// count as a fallback (a healthy watch answers at least every
/// [`crate::config::server::WATCH_HOLD`], 0.2 s).
pub const STALE_AFTER: Duration = Duration::from_millis(500);

/// The pause before the watch or a write tries again after a failure.
const RETRY: Duration = Duration::from_millis(20);

/// A change the operator makes: setting `name` to `value` at `at` (virtual time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsChange {
    /// When it is written.
    pub at: Duration,
    /// The setting (one of [`super::settings::NAMES`]).
    pub name: String,
    /// Its new value, as the config center stores it.
    pub value: String,
}

#[derive(Debug, Default)]
struct Cache {
    settings: Settings,
    /// Per setting, the version of the value cached (the fence).
    versions: BTreeMap<String, u64>,
    /// The watch's position: every revision up to this one is applied.
    through: u64,
    /// When the watch last answered (this node's clock); `None`: never since the start.
    contact: Option<Instant>,
}

/// The orchestrator's settings, from the config center (see the module docs).
#[derive(Debug)]
pub struct ConfigSource {
    cache: RefCell<Cache>,
    oracle: Rc<Oracle>,
}

impl ConfigSource {
    /// An empty cache (the defaults, counted as a fallback until the first answer).
    pub fn new(oracle: Rc<Oracle>) -> Rc<ConfigSource> {
        Rc::new(ConfigSource { cache: RefCell::default(), oracle })
    }

    /// Applies `key` = `value` (`None`: deleted) at `version`, unless the
    /// cache holds that key at this version or a newer one; `at`: true time, for the log.
    fn apply(&self, key: &str, value: Option<&str>, version: u64, at: Instant) {
        let Some(name) = key.strip_prefix(PREFIX) else { return };
        let mut cache = self.cache.borrow_mut();
        if cache.versions.get(name).is_some_and(|v| *v >= version) {
            return;
        }
        cache.versions.insert(name.to_string(), version);
        let mut next = cache.settings;
        let note = match next.set(name, value) {
            // Logged when the value changes (seeding the defaults changes nothing).
            Ok(()) if next == cache.settings => None,
            Ok(()) => {
                cache.settings = next;
                Some(format!("{name}={} (v{version})", value.unwrap_or("default")))
            }
            Err(e) => {
                tracing::warn!("config {key} at version {version} ignored: {e}");
                Some(format!("ignored {e} (v{version})"))
            }
        };
        if let Some(note) = note {
            self.oracle.settings_log.borrow_mut().push((at, note));
        }
        let revision = self.oracle.settings_revision.get().max(version);
        self.oracle.settings_revision.set(revision);
    }

    /// Takes in one answer of the watch, got at `now` (this node's clock) and
    /// `at` (true time).
    fn answered(&self, reply: Reply, client: &str, now: Instant, at: Instant) {
        match reply {
            Reply::Events { events, through } => {
                for e in &events {
                    if let Some(value) = e.change.seen_by(client) {
                        self.apply(&e.key, value, e.revision, at);
                    }
                }
                let mut cache = self.cache.borrow_mut();
                cache.through = cache.through.max(through);
            }
            Reply::Compacted { revision, snapshot } => {
                for (key, value, version) in &snapshot {
                    self.apply(key, value.as_deref(), *version, at);
                }
                let mut cache = self.cache.borrow_mut();
                cache.through = cache.through.max(revision);
            }
            other => {
                tracing::warn!("the settings watch got {other:?}");
                return;
            }
        }
        self.cache.borrow_mut().contact = Some(now);
    }
}

impl Source for ConfigSource {
    fn settings(&self) -> Settings {
        let cache = self.cache.borrow();
        let stale = cache.contact.is_none_or(|at| time::now().saturating_duration_since(at) > STALE_AFTER);
        let never = cache.contact.is_none();
        sometimes("saga: settings fell back to the defaults", never);
        sometimes("saga: settings fell back to the last known values", stale && !never);
        if stale {
            bump(&self.oracle.seen.settings_fallbacks);
        }
        self.oracle.settings_read.set(Some(cache.settings));
        cache.settings
    }
}

/// Keeps `source` fresh: long polls on [`PREFIX`] from the revision after
/// the cache's, forever (the orchestrator's node runs it; a crash drops it).
pub async fn follow(source: Rc<ConfigSource>, mut client: Client) {
    loop {
        let from = source.cache.borrow().through + 1;
        match client.watch(PREFIX, Some(from)).await {
            Ok(reply) => source.answered(reply, client.id(), time::now(), time::global_now()),
            Err(ConfigError::FutureRevision { .. }) => {
                // The group lost what the cache has seen (a wiped disk): read
                // everything again; the versions fence off anything older.
                source.cache.borrow_mut().through = 0;
                time::sleep(RETRY).await;
            }
            Err(_) => time::sleep(RETRY).await,
        }
    }
}

/// Puts `name` = `value`, retrying until a write is acknowledged.
async fn put(client: &mut Client, name: &str, value: &str) {
    let write = || Write::Put { key: key(name), value: value.to_string() };
    while !matches!(client.write(write()).await, Answer::Ok(..)) {
        time::sleep(RETRY).await;
    }
}

/// The operator: writes every setting of `initial`, then each of `changes`
/// when its time comes (a node that ends when it is done).
pub async fn admin(mut client: Client, initial: Settings, changes: Vec<SettingsChange>) {
    for (name, value) in initial.pairs() {
        put(&mut client, name, &value).await;
    }
    for change in changes {
        time::sleep_until(Instant::ZERO + change.at).await;
        put(&mut client, &change.name, &change.value).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Change, Event};

    fn event(revision: u64, name: &str, value: &str) -> Event {
        Event { revision, key: key(name), change: Change::Put(value.into()) }
    }

    #[test]
    fn the_cache_never_goes_back_to_an_older_version_and_ignores_bad_values() {
        let source = ConfigSource::new(Rc::new(Oracle::default()));
        let events = vec![event(3, "step_attempts", "2"), event(4, "breaker", "off"), event(5, "backoff", "no")];
        let t = Instant::ZERO;
        source.answered(Reply::Events { events, through: 5 }, "orders", t, t);
        // An older snapshot (a lagging server) changes nothing.
        let snapshot = vec![(key("step_attempts"), Some("7".into()), 2), (key("other"), Some("x".into()), 1)];
        source.answered(Reply::Compacted { revision: 2, snapshot }, "orders", t, t);
        let cache = source.cache.borrow();
        assert_eq!((cache.settings.step_attempts, cache.settings.breaker, cache.settings.backoff), (2, false, true));
        assert_eq!(cache.through, 5);
        assert!(source.oracle.settings_log.borrow().iter().any(|(_, n)| n.contains("ignored")));
    }
}
