//! The property suite's view of a run, shared by its nodes: every committed
//! change (as replicas apply them), the operations clients completed, and
//! where each watcher is. The checks here are called at the points where a
//! client learns something (`microsim::property::always_or`), so a violation
//! fails the run there, and by the liveness checks after the heal.

use super::api::{Change, Event};
use super::history::{History, Kind, Op, Outcome};
use std::collections::{BTreeMap, BTreeSet};

/// A write a client saw acknowledged.
#[derive(Clone, Debug)]
struct Acked {
    key: String,
    /// The value it wrote (`None`: a delete or promotion, found by version).
    value: Option<String>,
    version: u64,
    /// Who may see it (`None`: everyone; a canary's clients otherwise).
    visible_to: Option<BTreeSet<String>>,
    complete_ns: u64,
}

/// Where one watcher is.
#[derive(Clone, Debug)]
struct Watcher {
    prefix: String,
    /// Every revision up to this one is delivered or covered by a compaction.
    through: u64,
}

/// The shared record of a run.
#[derive(Debug, Default)]
pub struct Oracle {
    committed: BTreeMap<u64, Event>,
    by_value: BTreeMap<(String, String), u64>,
    acked: Vec<Acked>,
    /// Strong reads that returned: key, version, completion time.
    reads: Vec<(String, u64, u64)>,
    watchers: BTreeMap<String, Watcher>,
    writers_left: usize,
    history: History,
}

impl Oracle {
    /// An oracle expecting `writers` writers to finish.
    pub fn new(writers: usize) -> Oracle {
        Oracle { writers_left: writers, ..Oracle::default() }
    }

    /// A replica applied `event`; every replica must apply the same change at
    /// the same revision.
    pub fn applied(&mut self, event: &Event) -> Result<(), String> {
        if let Some(seen) = self.committed.get(&event.revision) {
            if seen != event {
                return Err(format!("revision {} is {seen:?} on one replica, {event:?} on another", event.revision));
            }
            return Ok(());
        }
        let value = match &event.change {
            Change::Put(v) | Change::Promote(v) | Change::Canary { value: v, .. } => Some(v.clone()),
            Change::Delete => None,
        };
        if let Some(v) = value {
            self.by_value.entry((event.key.clone(), v)).or_insert(event.revision);
        }
        self.committed.insert(event.revision, event.clone());
        Ok(())
    }

    /// Records one operation of the history; an ok write is remembered for the
    /// read checks (`visible_to`: a canary's clients).
    pub fn completed(&mut self, op: Op, visible_to: Option<BTreeSet<String>>) {
        if let (Outcome::Ok { version, .. }, Kind::Get { strong: true }) = (&op.outcome, &op.kind) {
            self.reads.push((op.key.clone(), *version, op.complete_ns));
        }
        if let Outcome::Ok { version, .. } = op.outcome {
            let value = match &op.kind {
                Kind::Put { value } | Kind::Cas { value, .. } | Kind::Canary { value } => Some(value.clone()),
                Kind::Delete | Kind::Promote => None,
                Kind::Get { .. } => None,
            };
            if !matches!(op.kind, Kind::Get { .. }) {
                let key = op.key.clone();
                self.acked.push(Acked { key, value, version, visible_to, complete_ns: op.complete_ns });
            }
        }
        self.history.ops.push(op);
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The committed change at `revision`, if any replica applied it.
    pub fn change_at(&self, revision: u64) -> Option<&Event> {
        self.committed.get(&revision)
    }

    /// The revision at which an acknowledged write took effect, as committed
    /// (`None`: not committed, yet or ever).
    fn committed_version(&self, w: &Acked) -> Option<u64> {
        match &w.value {
            Some(v) => self.by_value.get(&(w.key.clone(), v.clone())).copied(),
            None => self.committed.get(&w.version).filter(|e| e.key == w.key).map(|e| e.revision),
        }
    }

    /// Checks a read by `client` of `key`, invoked at `invoke_ns`, that returned
    /// `value` at `version`: it must be a committed state of the key as `client`
    /// sees it, and (if `strong`) no older than any write or strong read visible
    /// to `client` that completed before it began (necessary conditions of
    /// linearizability on one key).
    pub fn check_read(
        &self,
        client: &str,
        key: &str,
        invoke_ns: u64,
        value: Option<&str>,
        version: u64,
        strong: bool,
    ) -> Result<(), String> {
        if version == 0 {
            if value.is_some() {
                return Err(format!("{key} read as {value:?} at version 0"));
            }
        } else {
            match self.committed.get(&version) {
                Some(e) if e.key == key && e.change.seen_by(client) == Some(value) => {}
                other => return Err(format!("{key} read as {value:?} at version {version}, committed is {other:?}")),
            }
        }
        if !strong {
            return Ok(());
        }
        let read = format!("a strong read of {key} by {client} began at {invoke_ns} ns and returned version {version}");
        let visible = |w: &&Acked| w.visible_to.as_ref().is_none_or(|c| c.contains(client));
        let before = self.acked.iter().filter(|w| w.key == key && w.complete_ns < invoke_ns).filter(visible);
        if let Some((newer, w)) =
            before.filter_map(|w| self.committed_version(w).map(|v| (v, w))).max_by_key(|(v, _)| *v)
        {
            if newer > version {
                let (written, at) = (&w.value, w.complete_ns);
                return Err(format!("{read}, but a write of version {newer} ({written:?}) had completed at {at} ns"));
            }
        }
        let seen = |v: u64| v == 0 || self.committed.get(&v).is_some_and(|e| e.change.seen_by(client).is_some());
        let reads = self.reads.iter().filter(|(k, v, at)| k == key && *at < invoke_ns && seen(*v));
        match reads.max_by_key(|(_, v, _)| *v) {
            Some((_, newer, at)) if *newer > version => {
                Err(format!("{read}, but a strong read that completed at {at} ns had returned version {newer}"))
            }
            _ => Ok(()),
        }
    }

    /// A watcher's position, for the convergence check.
    pub fn watching(&mut self, watcher: &str, prefix: &str, through: u64) {
        let w = self.watchers.entry(watcher.to_string()).or_insert(Watcher { prefix: prefix.to_string(), through });
        w.through = w.through.max(through);
    }

    /// Checks that no committed change under `prefix` has a revision strictly
    /// between `after` and `before`: a watcher that went from `after` to
    /// `before` skipped nothing.
    pub fn check_no_gap(&self, prefix: &str, after: u64, before: u64) -> Result<(), String> {
        if before <= after + 1 {
            return Ok(());
        }
        let skipped: Vec<&Event> =
            self.committed.range(after + 1..before).map(|(_, e)| e).filter(|e| e.key.starts_with(prefix)).collect();
        match skipped.first() {
            None => Ok(()),
            Some(e) => Err(format!(
                "a watcher of {prefix:?} went from revision {after} to {before} and missed {} change(s), first {e:?}",
                skipped.len()
            )),
        }
    }

    /// A writer finished its workload; the history is final when none is left.
    pub fn writer_done(&mut self) -> bool {
        self.writers_left = self.writers_left.saturating_sub(1);
        self.writers_left == 0
    }

    /// Whether every writer is done and every watcher has reached the latest
    /// committed change under its prefix (`Err`: who lags, for the report).
    pub fn converged(&self) -> Result<(), String> {
        if self.writers_left > 0 {
            return Err(format!("{} writer(s) still running", self.writers_left));
        }
        for (name, w) in &self.watchers {
            let latest = self.committed.values().rev().find(|e| e.key.starts_with(&w.prefix)).map_or(0, |e| e.revision);
            if w.through < latest {
                return Err(format!("{name} is at revision {} of {:?}, the latest is {latest}", w.through, w.prefix));
            }
        }
        Ok(())
    }

    /// Whether every acknowledged write is committed (`Err`: the first lost one).
    pub fn acked_committed(&self) -> Result<(), String> {
        match self.acked.iter().find(|w| self.committed_version(w).is_none()) {
            None => Ok(()),
            Some(w) => Err(format!(
                "the write of {:?} = {:?} acknowledged at {} ns with version {} is not committed",
                w.key, w.value, w.complete_ns, w.version
            )),
        }
    }
}
