//! Nodes: registration, start, crash, restart, pause and resume.
//!
//! A node is registered with a factory, an async function that is run when the
//! simulation starts and again at every restart. A crash drops every task of the
//! node (destructors run), closes its sockets and loses the messages queued there;
//! a pause holds the node's ready tasks until it is resumed while messages keep
//! arriving in its queues. Clients are nodes whose main task is a workload: a run
//! ends when no client is running any more.

use crate::clock::Clock;
use crate::disk::Disk;
use crate::error::{check_name, SimError};
use crate::outcome::Failure;
use crate::panic;
use crate::rng::{node_disk_stream, node_stream, SimRng};
use crate::runtime::{Inner, State};
use crate::sched::ReadyTask;
use crate::slab::Key;
use crate::task::TaskFuture;
use crate::time::Instant;
use microsim_traces::{DropReason, Event, NodeIx, Port};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// What a node's main task may return: `()` or `Result<(), E>` for a displayable
/// `E`. An `Err` ends the run with a failure naming the node.
pub trait NodeExit: Sized + 'static {
    /// The error, rendered, if any.
    fn into_result(self) -> Result<(), String>;

    /// Boxes a main task that returns `Self` as a task future. The default wraps
    /// it to report an error; `()` needs no wrapper (one less layer per poll).
    #[doc(hidden)]
    fn into_task<F: Future<Output = Self> + 'static>(fut: F) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            if let Err(error) = fut.await.into_result() {
                crate::runtime::with(|inner| {
                    let node = inner.current_node();
                    let mut st = inner.state.borrow_mut();
                    let (node, time) = (st.nodes.name(node).to_string(), Instant::from_nanos(st.now));
                    st.fail(Failure::NodeError { node, time, error });
                });
            }
        })
    }
}

impl NodeExit for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }

    fn into_task<F: Future<Output = ()> + 'static>(fut: F) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(fut)
    }
}

impl<E: std::fmt::Display + 'static> NodeExit for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|e| e.to_string())
    }
}

pub(crate) type Factory = Rc<dyn Fn() -> TaskFuture>;

/// Wraps a user factory into the erased form: the main task it makes reports an
/// error result as the run's failure.
pub(crate) fn erase<F, Fut>(factory: F) -> Factory
where
    F: Fn() -> Fut + 'static,
    Fut: Future + 'static,
    Fut::Output: NodeExit,
{
    Rc::new(move || Fut::Output::into_task(factory()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Registered, waiting for the run to start.
    Waiting,
    Up,
    Paused,
    Crashed,
    /// A name that was addressed but never registered.
    Ghost,
}

impl Status {
    /// Up or paused: its sockets take deliveries.
    #[inline]
    pub(crate) fn is_running(self) -> bool {
        matches!(self, Status::Up | Status::Paused)
    }

    fn name(self) -> &'static str {
        match self {
            Status::Waiting => "not started",
            Status::Up => "up",
            Status::Paused => "paused",
            Status::Crashed => "crashed",
            Status::Ghost => "not registered",
        }
    }
}

pub(crate) struct Node {
    /// The node's name (shared with `Nodes::names`: one allocation per name).
    pub(crate) name: Rc<str>,
    client: bool,
    pub(crate) status: Status,
    factory: Option<Factory>,
    main: Option<Key>,
    held: Vec<ReadyTask>,
    /// Inline for the usual one or two (most nodes bind one or two ports: no
    /// allocation per node for them).
    pub(crate) sockets: smallvec::SmallVec<[(Port, crate::net::SharedSlot); 2]>,
    /// The node's stream for service code, made on first use (it depends only
    /// on the seed and the name, so when it is made does not matter).
    rng: Option<Box<SimRng>>,
    /// The node's clocks (kept across restarts: a restart does not fix a clock).
    pub(crate) clock: Clock,
    /// The node's disk: kept across restarts, lost by a crash-and-wipe.
    pub(crate) disk: Disk,
    /// The stream of its disk's faults, made on first use.
    disk_rng: Option<Box<SimRng>>,
}

impl Node {
    /// The node's generator (see `rng::node_stream`).
    pub(crate) fn rng(&mut self, seed: u64) -> &mut SimRng {
        let name = &self.name;
        self.rng.get_or_insert_with(|| Box::new(node_stream(seed, name)))
    }

    /// The node's disk and the generator of its faults (see `rng::node_disk_stream`).
    pub(crate) fn disk_and_rng(&mut self, seed: u64) -> (&mut Disk, &mut SimRng) {
        let name = &self.name;
        let rng = self.disk_rng.get_or_insert_with(|| Box::new(node_disk_stream(seed, name)));
        (&mut self.disk, rng)
    }
}

/// The node table.
#[derive(Default)]
pub(crate) struct Nodes {
    pub(crate) list: Vec<Node>,
    /// The nodes' names, by index (each `Node` shares its name from here).
    names: crate::names::Names,
    clients: usize,
    clients_running: usize,
    /// `clients > 0 && clients_running == 0`, kept up to date (one load for the run loop).
    clients_done: bool,
    /// Whether any ghost node exists (none: a send skips the status check).
    any_ghost: bool,
    /// How many nodes are paused (zero lets the scheduler skip the status check).
    paused: usize,
}

impl Nodes {
    pub(crate) fn name(&self, ix: NodeIx) -> &str {
        self.list.get(ix as usize).map(|n| &*n.name).unwrap_or("-")
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<NodeIx> {
        self.names.get(name)
    }

    /// The names of registered nodes (not ghosts), in index order.
    pub(crate) fn registered_names(&self) -> Vec<String> {
        self.list.iter().filter(|n| n.status != Status::Ghost).map(|n| n.name.to_string()).collect()
    }

    /// Every node name, registered or ghost, in index order (shared, no copy).
    pub(crate) fn names(&self) -> Vec<Rc<str>> {
        self.names.to_vec()
    }

    /// Whether the node exists and is up or paused (its tasks may exist).
    pub(crate) fn is_running(&self, ix: NodeIx) -> bool {
        self.list.get(ix as usize).is_some_and(|n| n.status.is_running())
    }

    /// The index of `name`, adding it as a ghost (never started) if unknown.
    pub(crate) fn index_or_ghost(&mut self, name: &str) -> NodeIx {
        if let Some(ix) = self.lookup(name) {
            return ix;
        }
        self.any_ghost = true;
        self.push(name, false, Status::Ghost, None)
    }

    /// Whether node `ix` is a ghost (addressed, never registered).
    #[inline(always)]
    pub(crate) fn is_ghost(&self, ix: NodeIx) -> bool {
        // Only the status of a ghost is looked at (an index from another
        // simulation is caught in debug builds; in release its message is
        // dropped at delivery, as to a node that is down).
        debug_assert!((ix as usize) < self.list.len(), "node index {ix} of another simulation");
        self.any_ghost && self.list[ix as usize].status == Status::Ghost
    }

    /// Changes the count of running clients by `delta`, keeping `clients_done`.
    fn add_running_clients(&mut self, delta: isize) {
        self.clients_running = self.clients_running.checked_add_signed(delta).expect("client count");
        self.clients_done = self.clients > 0 && self.clients_running == 0;
    }

    fn push(&mut self, name: &str, client: bool, status: Status, factory: Option<Factory>) -> NodeIx {
        let (shared, ix) = self.names.push(name);
        debug_assert_eq!(ix as usize, self.list.len(), "a name per node");
        self.list.push(Node {
            name: shared,
            client,
            status,
            factory,
            main: None,
            held: Vec::new(),
            sockets: smallvec::SmallVec::new(),
            rng: None,
            clock: Clock::default(),
            disk: Disk::default(),
            disk_rng: None,
        });
        ix
    }

    /// Whether any node is paused.
    #[inline]
    pub(crate) fn any_paused(&self) -> bool {
        self.paused != 0
    }

    /// Holds a ready task of a paused node; true if held.
    #[inline]
    pub(crate) fn hold_if_paused(&mut self, task: ReadyTask) -> bool {
        if self.paused == 0 {
            return false;
        }
        let node = &mut self.list[task.node as usize];
        if node.status == Status::Paused {
            node.held.push(task);
            return true;
        }
        false
    }

    /// Whether clients were registered and none is running any more.
    #[inline]
    pub(crate) fn clients_done(&self) -> bool {
        self.clients_done
    }

    /// The names of the clients whose main task is still running.
    pub(crate) fn waiting_clients(&self) -> Vec<String> {
        self.list.iter().filter(|n| n.client && n.main.is_some()).map(|n| n.name.to_string()).collect()
    }
}

impl State {
    /// Records an applied fault (and what it did) as a trace event.
    pub(crate) fn record_fault(&mut self, node: NodeIx, what: std::fmt::Arguments<'_>) {
        let now = self.now;
        self.rec.push_text(
            now,
            node,
            |s| {
                let _ = std::fmt::Write::write_fmt(s, what);
            },
            |text| Event::Fault { text },
        );
    }

    /// The monotonic clock of `node` now (global time for no node or a true clock).
    #[inline]
    pub(crate) fn local_now(&self, node: NodeIx) -> u64 {
        match self.nodes.list.get(node as usize) {
            Some(n) if !n.clock.is_true() => n.clock.local(self.now),
            _ => self.now,
        }
    }

    /// The global time at which `node`'s monotonic clock reaches `local`.
    pub(crate) fn global_for(&self, node: NodeIx, local: u64) -> u64 {
        match self.nodes.list.get(node as usize) {
            Some(n) if !n.clock.is_true() => n.clock.global_for(local, self.now),
            _ => local.max(self.now),
        }
    }

    /// Bookkeeping after a task left the table (finished, aborted or dropped).
    pub(crate) fn after_exit(&mut self, key: Key, node: NodeIx) {
        let n = &mut self.nodes.list[node as usize];
        if n.main == Some(key) {
            n.main = None;
            if n.client {
                self.nodes.add_running_clients(-1);
            }
        }
    }
}

impl Inner {
    /// Registers a node; it starts with the run (or at once if the run started).
    pub(crate) fn register(&self, name: &str, client: bool, factory: Factory) -> Result<(), SimError> {
        check_name(name)?;
        let ix = {
            let mut st = self.state.borrow_mut();
            let ix = match st.nodes.lookup(name) {
                Some(ix) if st.nodes.list[ix as usize].status != Status::Ghost => {
                    return Err(SimError::DuplicateNode(name.to_string()));
                }
                // A ghost (addressed before it was registered) becomes real.
                Some(ix) => {
                    let n = &mut st.nodes.list[ix as usize];
                    n.status = Status::Waiting;
                    n.client = client;
                    n.factory = Some(factory);
                    ix
                }
                None => st.nodes.push(name, client, Status::Waiting, Some(factory)),
            };
            if client {
                st.nodes.clients += 1;
                st.nodes.add_running_clients(0);
            }
            if !st.started {
                return Ok(());
            }
            ix
        };
        self.start_node(ix, Event::Start);
        Ok(())
    }

    /// Starts every registered node, in registration order, once.
    pub(crate) fn start_nodes(&self) {
        // Inline for up to 16 nodes: no allocation to start a small run.
        let waiting: smallvec::SmallVec<[NodeIx; 16]> = {
            let mut st = self.state.borrow_mut();
            if st.started {
                return;
            }
            st.started = true;
            (0..st.nodes.list.len() as NodeIx)
                .filter(|&i| st.nodes.list[i as usize].status == Status::Waiting)
                .collect()
        };
        for ix in waiting {
            self.start_node(ix, Event::Start);
        }
    }

    /// Runs the node's factory and spawns its main task.
    fn start_node(&self, ix: NodeIx, event: Event) {
        let factory = {
            let mut st = self.state.borrow_mut();
            let now = st.now;
            st.rec.push(now, ix, event);
            st.tasks.factory_node = Some(ix);
            let node = &mut st.nodes.list[ix as usize];
            node.status = Status::Up;
            node.factory.clone().expect("a registered node has a factory")
        };
        let made = panic::catch(|| factory());
        let mut st = self.state.borrow_mut();
        st.tasks.factory_node = None;
        let fut = match made {
            Ok(fut) => fut,
            Err(message) => {
                let (node, time) = (st.nodes.name(ix).to_string(), Instant::from_nanos(st.now));
                st.fail(Failure::Panic { node, time, message });
                return;
            }
        };
        drop(st);
        let key = self.spawn_task(ix, fut).and_then(Key::from_u64);
        let mut st = self.state.borrow_mut();
        let node = &mut st.nodes.list[ix as usize];
        node.main = key;
        if node.client && key.is_some() {
            st.nodes.add_running_clients(1);
        }
    }

    fn expect_status(
        &self,
        name: &str,
        op: &'static str,
        ok: &[Status],
        expected: &'static str,
    ) -> Result<NodeIx, SimError> {
        let st = self.state.borrow();
        let ix = st.nodes.lookup(name).ok_or_else(|| SimError::UnknownNode(name.to_string()))?;
        let status = st.nodes.list[ix as usize].status;
        if status == Status::Ghost {
            return Err(SimError::UnknownNode(name.to_string()));
        }
        if !ok.contains(&status) {
            return Err(SimError::WrongState { node: name.to_string(), op, status: status.name(), expected });
        }
        Ok(ix)
    }

    /// Crashes a node: drops its tasks, closes its sockets, loses queued messages
    /// and unsynced disk writes; with `wipe`, the whole disk.
    pub(crate) fn crash(&self, name: &str, wipe: bool) -> Result<(), SimError> {
        let op = if wipe { "crash-and-wipe" } else { "crash" };
        let ix = self.expect_status(name, op, &[Status::Up, Status::Paused], "up or paused")?;
        let mut st = self.state.borrow_mut();
        let st_ref = &mut *st;
        let now = st_ref.now;
        st_ref.rec.push(now, ix, Event::Crash);
        let tasks = st_ref.tasks.remove_node_tasks(Some(ix));
        let mut futs = Vec::with_capacity(tasks.len());
        for (serial, node, fut) in tasks {
            st_ref.rec.push(now, node, Event::Exit { task: serial });
            futs.extend(fut);
        }
        let node = &mut st_ref.nodes.list[ix as usize];
        if node.status == Status::Paused {
            st_ref.nodes.paused -= 1;
        }
        node.status = Status::Crashed;
        node.held.clear();
        let losses = if wipe {
            node.disk.wipe();
            Vec::new()
        } else {
            let (disk, rng) = node.disk_and_rng(self.seed);
            disk.crash(rng)
        };
        if node.main.take().is_some() && node.client {
            st_ref.nodes.add_running_clients(-1);
        }
        if wipe {
            st_ref.record_fault(ix, format_args!("disk of {name} wiped"));
        }
        for loss in losses {
            let torn = if loss.torn { ", one torn at a sector boundary" } else { "" };
            let what =
                format_args!("disk of {name} lost {} unsynced writes of {:?}{torn}", loss.writes_lost, loss.file);
            st_ref.record_fault(ix, what);
        }
        let sockets = std::mem::take(&mut st_ref.nodes.list[ix as usize].sockets);
        let mut lost = Vec::new();
        for (_, slot) in sockets {
            for (msg, payload) in crate::net::close_socket(&slot) {
                st_ref.rec.push(now, ix, Event::Drop { msg, reason: DropReason::Crashed });
                st_ref.stats.dropped += 1;
                lost.push(payload);
            }
        }
        self.drop_outside(st, futs);
        drop(lost);
        Ok(())
    }

    /// Restarts a crashed node: its factory runs again.
    pub(crate) fn restart(&self, name: &str) -> Result<(), SimError> {
        let ix = self.expect_status(name, "restart", &[Status::Crashed], "crashed")?;
        self.start_node(ix, Event::Restart);
        Ok(())
    }

    /// Pauses a node: none of its tasks runs until it is resumed.
    pub(crate) fn pause(&self, name: &str) -> Result<(), SimError> {
        let ix = self.expect_status(name, "pause", &[Status::Up], "up")?;
        let mut st = self.state.borrow_mut();
        let now = st.now;
        st.rec.push(now, ix, Event::Pause);
        st.nodes.list[ix as usize].status = Status::Paused;
        st.nodes.paused += 1;
        Ok(())
    }

    /// Resumes a paused node: its held tasks become ready, in the order they were held.
    pub(crate) fn resume(&self, name: &str) -> Result<(), SimError> {
        let ix = self.expect_status(name, "resume", &[Status::Paused], "paused")?;
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        st.rec.push(st.now, ix, Event::Resume);
        st.nodes.paused -= 1;
        let node = &mut st.nodes.list[ix as usize];
        node.status = Status::Up;
        for task in std::mem::take(&mut node.held) {
            st.ready.push(task);
        }
        Ok(())
    }
}
