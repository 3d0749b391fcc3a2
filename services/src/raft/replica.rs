//! A replica: Raft's roles, elections, log replication, commit and apply.
//!
//! One task per replica receives the other replicas' messages and keeps time
//! (election timeouts, heartbeats); the service's own tasks propose commands
//! and wait for them to be applied. The state is shared through an
//! `Rc<RefCell<..>>` that is never borrowed across an `.await`: a disk sync
//! takes time, so the file to sync is taken out first.

use super::msg::{Entry, Msg};
use super::store::{Durable, Store};
use futures::channel::oneshot;
use microsim::disk::File;
use microsim::net::Socket;
use microsim::property::sometimes;
use microsim::time::{self, Instant};
use microsim::SimError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

/// The port replicas talk on.
pub const PORT: &str = "raft";

/// Entries sent in one append, at most.
const BATCH: usize = 64;

/// The replicated state machine: commands are applied in log order, the same
/// on every replica.
pub trait Machine: Default + 'static {
    /// A command in the log.
    type Cmd: Clone + fmt::Debug + Serialize + DeserializeOwned + 'static;
    /// What applying a command returns to its proposer.
    type Out: Clone + fmt::Debug + 'static;
    /// Applies one committed command.
    fn apply(&mut self, cmd: &Self::Cmd) -> Self::Out;
}

/// Election and heartbeat timing.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Election timeouts are drawn uniformly from this range.
    pub election: (Duration, Duration),
    /// How often a leader sends appends (heartbeats).
    pub heartbeat: Duration,
    /// A leader steps down when a majority has not answered it within the
    /// shortest election timeout (Raft's "check quorum").
    pub check_quorum: bool,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            election: (Duration::from_millis(150), Duration::from_millis(300)),
            heartbeat: Duration::from_millis(50),
            check_quorum: true,
        }
    }
}

/// Why a proposal did not return an output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposeError {
    /// This replica is not the leader; `hint` is the leader it knows of.
    NotLeader {
        /// The leader this replica last heard from, if any.
        hint: Option<String>,
    },
    /// Leadership was lost before the command was applied: it may still be
    /// committed by a later leader, or never.
    Lost,
    /// The replica's disk refused the entry.
    Disk,
}

enum Role {
    Follower,
    Candidate { votes: usize },
    Leader { next: Vec<u64>, matched: Vec<u64>, heard: Vec<Instant> },
}

type Waiter<M> = oneshot::Sender<Result<<M as Machine>::Out, ProposeError>>;

struct Core<M: Machine> {
    me: String,
    peers: Vec<String>,
    timing: Timing,
    term: u64,
    vote: Option<String>,
    log: Vec<Entry<M::Cmd>>,
    role: Role,
    leader: Option<String>,
    leader_since: Option<Instant>,
    commit: u64,
    applied: u64,
    machine: M,
    waiting: BTreeMap<u64, (u64, Waiter<M>)>,
    deadline: Instant,
    store: Store,
    /// How much of the log is known to be synced, and a counter of truncations
    /// (a sync started before a truncation says nothing about the new entries).
    durable: u64,
    cuts: u64,
    socket: Rc<Socket<Msg<M::Cmd>>>,
}

/// A handle on this node's replica (cheap to clone).
pub struct Replica<M: Machine>(Rc<RefCell<Core<M>>>);

impl<M: Machine> Clone for Replica<M> {
    fn clone(&self) -> Self {
        Replica(self.0.clone())
    }
}

impl<M: Machine> fmt::Debug for Replica<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.borrow();
        write!(f, "Replica({} term {} leader {:?} commit {})", c.me, c.term, c.leader, c.commit)
    }
}

impl<M: Machine> Replica<M> {
    /// Starts this node's replica of the group `members` (node names, this node
    /// among them): reads its durable state, binds [`PORT`] and spawns its task.
    pub fn start(members: &[String], timing: Timing) -> Result<Replica<M>, SimError> {
        let me = microsim::control::current_node();
        let socket = Rc::new(Socket::bind(PORT)?);
        let (store, Durable { term, vote, log }) = Store::open();
        let durable = log.len() as u64;
        let core = Core {
            peers: members.iter().filter(|m| **m != me).cloned().collect(),
            me,
            timing,
            term,
            vote,
            log,
            role: Role::Follower,
            leader: None,
            leader_since: None,
            commit: 0,
            applied: 0,
            machine: M::default(),
            waiting: BTreeMap::new(),
            deadline: Instant::ZERO,
            store,
            durable,
            cuts: 0,
            socket: socket.clone(),
        };
        let replica = Replica(Rc::new(RefCell::new(core)));
        replica.0.borrow_mut().reset_election();
        microsim::spawn(run(replica.clone(), socket));
        Ok(replica)
    }

    /// Proposes `cmd` and waits until it is applied here (as leader).
    pub async fn propose(&self, cmd: M::Cmd) -> Result<M::Out, ProposeError> {
        let (rx, sync) = {
            let mut c = self.0.borrow_mut();
            if !matches!(c.role, Role::Leader { .. }) {
                return Err(ProposeError::NotLeader { hint: c.leader.clone() });
            }
            let index = c.log.len() as u64 + 1;
            let entry = Entry { term: c.term, cmd: Some(cmd) };
            if c.store.put(index, &entry).is_err() {
                return Err(ProposeError::Disk);
            }
            c.log.push(entry);
            let (tx, rx) = oneshot::channel();
            let term = c.term;
            c.waiting.insert(index, (term, tx));
            (rx, c.start_sync())
        };
        self.finish_sync(sync).await;
        self.0.borrow_mut().broadcast();
        rx.await.unwrap_or(Err(ProposeError::Lost))
    }

    async fn finish_sync(&self, sync: Option<(File, u64, u64)>) -> bool {
        let Some((file, len, cuts)) = sync else { return true };
        let ok = file.sync().await.is_ok();
        let mut c = self.0.borrow_mut();
        if ok {
            if c.cuts == cuts {
                c.durable = c.durable.max(len);
            }
            c.advance_commit();
        } else {
            c.store.sync_failed();
        }
        ok
    }

    /// Whether this replica is the leader (as far as it knows).
    pub fn is_leader(&self) -> bool {
        matches!(self.0.borrow().role, Role::Leader { .. })
    }

    /// The leader this replica knows of.
    pub fn leader(&self) -> Option<String> {
        self.0.borrow().leader.clone()
    }

    /// Since when this replica has been the leader, if it is.
    pub fn leader_since(&self) -> Option<Instant> {
        let c = self.0.borrow();
        matches!(c.role, Role::Leader { .. }).then_some(c.leader_since).flatten()
    }

    /// The current term.
    pub fn term(&self) -> u64 {
        self.0.borrow().term
    }

    /// Reads the local state machine (as applied here: possibly stale).
    pub fn read_local<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        f(&self.0.borrow().machine)
    }
}

async fn run<M: Machine>(replica: Replica<M>, socket: Rc<Socket<Msg<M::Cmd>>>) {
    loop {
        let wait = replica.0.borrow().deadline.saturating_duration_since(time::now());
        let out = match time::timeout(wait, socket.recv()).await {
            Ok((from, msg)) => {
                let from = from.node_name();
                replica.0.borrow_mut().handle(&from, msg)
            }
            Err(_) => replica.0.borrow_mut().tick(),
        };
        // Nothing is said before what it promises is on disk.
        let sync = replica.0.borrow_mut().start_sync();
        if replica.finish_sync(sync).await {
            for (to, msg) in out {
                socket.send_to((to.as_str(), PORT), msg);
            }
        }
    }
}

type Outbox<C> = Vec<(String, Msg<C>)>;

impl<M: Machine> Core<M> {
    fn majority(&self) -> usize {
        let members = self.peers.len() + 1;
        members / 2 + 1
    }

    fn last(&self) -> (u64, u64) {
        (self.log.len() as u64, self.log.last().map_or(0, |e| e.term))
    }

    fn term_at(&self, index: u64) -> u64 {
        if index == 0 {
            0
        } else {
            self.log.get(index as usize - 1).map_or(0, |e| e.term)
        }
    }

    fn start_sync(&mut self) -> Option<(File, u64, u64)> {
        let len = self.log.len() as u64;
        self.store.take_sync().map(|f| (f, len, self.cuts))
    }

    fn reset_election(&mut self) {
        let (lo, hi) = self.timing.election;
        let ns = microsim::rand::random_range(lo.as_nanos() as u64..=hi.as_nanos() as u64);
        self.deadline = time::now() + Duration::from_nanos(ns);
    }

    fn persist_meta(&mut self) {
        // A failed write leaves the old term on disk; the sync before any answer
        // then fails too, so nothing is promised on the strength of it.
        if self.store.meta(self.term, self.vote.as_deref()).is_err() {
            self.store.sync_failed();
        }
    }

    fn step_down(&mut self, term: u64) {
        if term > self.term {
            self.term = term;
            self.vote = None;
            self.persist_meta();
        }
        if !matches!(self.role, Role::Follower) {
            self.role = Role::Follower;
            self.leader = None;
            self.leader_since = None;
            self.reset_election();
        }
        for (_, (_, tx)) in std::mem::take(&mut self.waiting) {
            let _ = tx.send(Err(ProposeError::Lost));
        }
    }

    fn tick(&mut self) -> Outbox<M::Cmd> {
        let now = time::now();
        if let Role::Leader { heard, .. } = &self.role {
            let quiet = self.timing.election.0;
            let heard_recently = heard.iter().filter(|&&t| now.saturating_duration_since(t) < quiet).count();
            if self.timing.check_quorum && heard_recently + 1 < self.majority() {
                tracing::info!(term = self.term, "leader steps down: no majority heard from");
                self.step_down(self.term);
                return Vec::new();
            }
            self.deadline = now + self.timing.heartbeat;
            return self.appends();
        }
        self.term += 1;
        self.vote = Some(self.me.clone());
        self.persist_meta();
        self.role = Role::Candidate { votes: 1 };
        self.leader = None;
        self.reset_election();
        tracing::debug!(term = self.term, "election");
        if self.majority() == 1 {
            return self.become_leader();
        }
        let (last_index, last_term) = self.last();
        let vote = Msg::Vote { term: self.term, last_index, last_term };
        self.peers.iter().map(|p| (p.clone(), vote.clone())).collect()
    }

    fn become_leader(&mut self) -> Outbox<M::Cmd> {
        let n = self.peers.len();
        let next = self.log.len() as u64 + 1;
        let now = time::now();
        self.role = Role::Leader { next: vec![next; n], matched: vec![0; n], heard: vec![now; n] };
        self.leader = Some(self.me.clone());
        self.leader_since = Some(now);
        tracing::info!(term = self.term, "became leader");
        sometimes("raft: a replica became leader after the first term", self.term > 1);
        let noop = Entry { term: self.term, cmd: None };
        if self.store.put(next, &noop).is_ok() {
            self.log.push(noop);
        }
        self.deadline = now + self.timing.heartbeat;
        self.appends()
    }

    fn append_to(&self, peer: usize) -> Option<(String, Msg<M::Cmd>)> {
        let Role::Leader { next, .. } = &self.role else { return None };
        let next = next[peer].max(1);
        let prev_index = next - 1;
        let end = self.log.len().min(prev_index as usize + BATCH);
        let entries = self.log.get(prev_index as usize..end).map(<[_]>::to_vec).unwrap_or_default();
        let msg = Msg::Append {
            term: self.term,
            prev_index,
            prev_term: self.term_at(prev_index),
            entries,
            commit: self.commit,
        };
        Some((self.peers[peer].clone(), msg))
    }

    fn appends(&self) -> Outbox<M::Cmd> {
        (0..self.peers.len()).filter_map(|p| self.append_to(p)).collect()
    }

    /// Sends appends now (after a proposal), not at the next heartbeat.
    fn broadcast(&mut self) {
        for (to, msg) in self.appends() {
            self.socket.send_to((to.as_str(), PORT), msg);
        }
    }

    fn handle(&mut self, from: &str, msg: Msg<M::Cmd>) -> Outbox<M::Cmd> {
        let term = match &msg {
            Msg::Vote { term, .. }
            | Msg::VoteReply { term, .. }
            | Msg::Append { term, .. }
            | Msg::AppendReply { term, .. } => *term,
        };
        if term > self.term {
            self.step_down(term);
        }
        match msg {
            Msg::Vote { term, last_index, last_term } => {
                let up_to_date = (last_term, last_index) >= (self.last().1, self.last().0);
                let free = self.vote.as_deref().is_none_or(|v| v == from);
                let granted = term == self.term && free && up_to_date;
                if granted {
                    self.vote = Some(from.to_string());
                    self.persist_meta();
                    self.reset_election();
                }
                vec![(from.to_string(), Msg::VoteReply { term: self.term, granted })]
            }
            Msg::VoteReply { term, granted } => {
                if let Role::Candidate { votes } = &mut self.role {
                    if term == self.term && granted {
                        *votes += 1;
                        if *votes >= self.majority() {
                            return self.become_leader();
                        }
                    }
                }
                Vec::new()
            }
            Msg::Append { term, prev_index, prev_term, entries, commit } => {
                if term < self.term {
                    return vec![(from.to_string(), Msg::AppendReply { term: self.term, ok: false, index: 0 })];
                }
                if !matches!(self.role, Role::Follower) {
                    self.step_down(term);
                }
                if self.leader.as_deref() != Some(from) {
                    self.leader = Some(from.to_string());
                }
                self.reset_election();
                let (ok, index) = self.accept(prev_index, prev_term, entries, commit);
                vec![(from.to_string(), Msg::AppendReply { term: self.term, ok, index })]
            }
            Msg::AppendReply { term, ok, index } => {
                self.on_append_reply(from, term, ok, index);
                let peer = self.peers.iter().position(|p| p == from);
                match (&self.role, peer) {
                    (Role::Leader { next, .. }, Some(p)) if !ok || next[p] <= self.log.len() as u64 => {
                        self.append_to(p).into_iter().collect()
                    }
                    _ => Vec::new(),
                }
            }
        }
    }

    /// A follower stores a leader's entries if they fit after its log.
    fn accept(&mut self, prev_index: u64, prev_term: u64, entries: Vec<Entry<M::Cmd>>, commit: u64) -> (bool, u64) {
        if prev_index > self.log.len() as u64 || self.term_at(prev_index) != prev_term {
            return (false, prev_index.saturating_sub(1).min(self.log.len() as u64));
        }
        let mut index = prev_index;
        for entry in entries {
            index += 1;
            if index <= self.log.len() as u64 {
                if self.term_at(index) == entry.term {
                    continue;
                }
                if self.store.cut(index).is_err() {
                    return (false, index - 1);
                }
                self.log.truncate(index as usize - 1);
                self.durable = self.durable.min(index - 1);
                self.cuts += 1;
            }
            if self.store.put(index, &entry).is_err() {
                return (false, index - 1);
            }
            self.log.push(entry);
        }
        if commit > self.commit {
            self.commit = commit.min(index);
            self.apply();
        }
        (true, index)
    }

    fn on_append_reply(&mut self, from: &str, term: u64, ok: bool, index: u64) {
        let Some(p) = self.peers.iter().position(|x| x == from) else { return };
        let now = time::now();
        let Role::Leader { next, matched, heard } = &mut self.role else { return };
        if term != self.term {
            return;
        }
        heard[p] = now;
        if ok {
            matched[p] = matched[p].max(index);
            next[p] = matched[p] + 1;
        } else {
            next[p] = (next[p].saturating_sub(1)).min(index + 1).max(1);
        }
        self.advance_commit();
    }

    fn advance_commit(&mut self) {
        let Role::Leader { matched, .. } = &self.role else { return };
        let mut indices: Vec<u64> = matched.clone();
        indices.push(self.durable.min(self.log.len() as u64));
        indices.sort_unstable_by(|a, b| b.cmp(a));
        let n = indices[self.majority() - 1];
        if n > self.commit && self.term_at(n) == self.term {
            self.commit = n;
            self.apply();
        }
    }

    fn apply(&mut self) {
        while self.applied < self.commit.min(self.log.len() as u64) {
            self.applied += 1;
            let entry = &self.log[self.applied as usize - 1];
            let out = entry.cmd.as_ref().map(|c| self.machine.apply(c));
            let entry_term = entry.term;
            if let Some((term, tx)) = self.waiting.remove(&self.applied) {
                let result = match out {
                    Some(out) if term == entry_term => Ok(out),
                    _ => Err(ProposeError::Lost),
                };
                let _ = tx.send(result);
            }
        }
    }
}
