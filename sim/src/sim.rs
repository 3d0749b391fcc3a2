//! The test's side of a simulation: [`Builder`], [`Sim`] and its plain verbs.

use crate::config::{Config, Limits};
use crate::error::SimError;
use crate::latency::{Latency, LinkConfig};
use crate::log::SimSubscriber;
use crate::node::{erase, NodeExit};
use crate::outcome::{LazyTrace, Outcome, Stats};
use crate::panic;
use crate::runtime::{Inner, Stop, CTX};
use crate::sched::Scheduler;
use crate::time::Instant;
use microsim_traces::{Level, RecordMode, Recording};
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// Configures a [`Sim`]. Every setting has a default; only the seed matters for
/// replay, and it is 0 unless set.
#[derive(Debug, Default)]
pub struct Builder {
    seed: u64,
    config: Config,
    scheduler: Option<Scheduler>,
}

impl Builder {
    /// The seed every random choice of the run derives from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How much to record (default: [`RecordMode::Summary`], the hash only).
    pub fn record(mut self, mode: RecordMode) -> Self {
        self.config.record = mode;
        self
    }

    /// The latency of every link without its own setting (default: uniform 1-5 ms).
    pub fn latency(mut self, latency: Latency) -> Self {
        self.config.link.latency = latency;
        self
    }

    /// Whether links without their own setting deliver in send order (default: no).
    pub fn fifo(mut self, fifo: bool) -> Self {
        self.config.link.fifo = fifo;
        self
    }

    /// The scheduling strategy (default: [`Scheduler::Fifo`]).
    pub fn scheduler(mut self, scheduler: Scheduler) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// All limits at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The latest virtual time a run may reach (default: one hour).
    pub fn max_time(mut self, max_time: Duration) -> Self {
        self.config.limits.max_time = max_time;
        self
    }

    /// The most steps a run may take (default: 100 million).
    pub fn max_steps(mut self, max_steps: u64) -> Self {
        self.config.limits.max_steps = max_steps;
        self
    }

    /// The most tasks alive at once (default: 100,000).
    pub fn max_tasks(mut self, max_tasks: usize) -> Self {
        self.config.limits.max_tasks = max_tasks;
        self
    }

    /// The most verbose log level recorded (default: info).
    pub fn log_level(mut self, level: Level) -> Self {
        self.config.log_level = level;
        self
    }

    /// Also print log lines to standard error as they happen (default: no).
    pub fn echo_logs(mut self, echo: bool) -> Self {
        self.config.echo_logs = echo;
        self
    }

    /// How `buggify!` and `fault_point!` behave (default: off, counted only).
    pub fn fault_points(mut self, points: crate::faultpoint::FaultPoints) -> Self {
        self.config.fault_points = points;
        self
    }

    /// Reads the simulator's own choices (latencies, scheduling picks, losses,
    /// duplications) from `choices` instead of the seed (see [`crate::choices`]);
    /// this replaces the scheduler setting.
    pub fn choices(mut self, choices: crate::Choices) -> Self {
        self.config.choices = Some(choices);
        self
    }

    /// How long a disk sync takes (default: uniform 0.5-2 ms).
    pub fn sync_latency(mut self, latency: Latency) -> Self {
        self.config.sync_latency = latency;
        self
    }

    /// Makes the simulation.
    pub fn build(self) -> Sim {
        panic::install_hook();
        // A run that neither records nor echoes has no use for its logs: they
        // go to a dispatcher that discards them (still the thread's default
        // while the run is entered, so they never reach another subscriber).
        // It needs no registering with the call sites, which spares the first
        // run of a process a lock and the code of `tracing`'s registry.
        let dispatch = if self.config.record == RecordMode::Off && !self.config.echo_logs {
            tracing::Dispatch::none()
        } else {
            SimSubscriber::dispatch(self.config.log_level, self.config.echo_logs)
        };
        let inner = Inner::new(self.seed, self.config, self.scheduler.unwrap_or(Scheduler::Fifo));
        Sim { inner, dispatch, finished: false }
    }
}

/// Whether `d` is `tracing`'s no-op dispatcher (everything logged is discarded).
fn discards(d: &tracing::Dispatch) -> bool {
    d.is::<tracing::subscriber::NoSubscriber>()
}

/// Whether the thread's default dispatcher discards everything (no subscriber
/// was set). Reads no thread-local state unless a scoped dispatcher exists
/// somewhere.
fn discards_everything() -> bool {
    tracing::dispatcher::get_default(discards)
}

/// A simulation: nodes, a network, virtual time, and a seed.
pub struct Sim {
    inner: Inner,
    dispatch: tracing::Dispatch,
    finished: bool,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim").field("seed", &self.inner.seed).field("finished", &self.finished).finish()
    }
}

impl Sim {
    /// A builder with default settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs `f` with this simulation as the thread's current one.
    pub(crate) fn enter<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        // Setting a dispatcher that discards everything changes nothing when
        // the thread's default already does (no subscriber is set, globally or
        // on the thread); it would only make the first run of a thread
        // register `tracing`'s thread-local state, with its destructor.
        let same = discards(&self.dispatch) && discards_everything();
        let _log = (!same).then(|| tracing::dispatcher::set_default(&self.dispatch));
        CTX.set(&self.inner, || panic::escalate(|| f(&self.inner)))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Registers a server node. `factory` makes the node's main task; it runs when
    /// the simulation starts and again at every restart.
    pub fn node<F, Fut>(&mut self, name: &str, factory: F) -> Result<(), SimError>
    where
        F: Fn() -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: NodeExit,
    {
        self.register(name, false, erase(factory))
    }

    /// Registers a client node: a workload. The run ends when every client's main
    /// task has finished (or its node is crashed).
    pub fn client<F, Fut>(&mut self, name: &str, factory: F) -> Result<(), SimError>
    where
        F: Fn() -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: NodeExit,
    {
        self.register(name, true, erase(factory))
    }

    /// Registers a node; runs its factory at once (inside the simulation)
    /// only if the simulation has started, so that registering the nodes of a
    /// run before it starts does not enter it.
    fn register(&mut self, name: &str, client: bool, factory: crate::node::Factory) -> Result<(), SimError> {
        if self.inner.state.borrow().started {
            self.enter(|i| i.register(name, client, factory))
        } else {
            self.inner.register(name, client, factory)
        }
    }

    /// Sets how the directed link `from -> to` behaves.
    pub fn link(&mut self, from: &str, to: &str, link: LinkConfig) -> Result<(), SimError> {
        let mut st = self.inner.state.borrow_mut();
        let st = &mut *st;
        let a = st.nodes.lookup(from).ok_or_else(|| SimError::UnknownNode(from.to_string()))?;
        let b = st.nodes.lookup(to).ok_or_else(|| SimError::UnknownNode(to.to_string()))?;
        st.net.set_link(a, b, link);
        Ok(())
    }

    /// Crashes a node now: its tasks are dropped, its sockets closed and the
    /// messages queued there lost.
    pub fn crash(&mut self, node: &str) -> Result<(), SimError> {
        self.enter(|i| i.crash(node, false))
    }

    /// Crashes a node and loses its disk too (a replaced machine).
    pub fn crash_wipe(&mut self, node: &str) -> Result<(), SimError> {
        self.enter(|i| i.crash(node, true))
    }

    /// Makes a node's disk misbehave from now on (see [`crate::disk::DiskFaults`]).
    pub fn disk_faults(&mut self, node: &str, faults: crate::disk::DiskFaults) -> Result<(), SimError> {
        let mut st = self.inner.state.borrow_mut();
        let ix = st.nodes.lookup(node).ok_or_else(|| SimError::UnknownNode(node.to_string()))?;
        st.nodes.list[ix as usize].disk.set_faults(faults);
        st.record_fault(ix, format_args!("disk {node} {faults:?}"));
        Ok(())
    }

    /// Changes a node's clocks now: offset or jump its wall clock, make its
    /// monotonic clock drift, or resync both.
    pub fn clock(&mut self, node: &str, change: crate::ClockChange) -> Result<(), SimError> {
        self.enter(|i| i.change_clock(node, change))
    }

    /// Applies a fault now (see [`crate::plan::Fault`]); it is recorded in the trace.
    pub fn apply(&mut self, fault: &crate::plan::Fault) -> Result<(), SimError> {
        self.enter(|i| i.apply(fault))
    }

    /// Schedules a fault plan: each step is applied when virtual time reaches
    /// it. The plan is checked first against the registered nodes and the time
    /// limit; an error names the step. Steps in the past apply at once.
    pub fn plan(&mut self, plan: &crate::plan::FaultPlan) -> Result<(), crate::plan::PlanError> {
        let mut st = self.inner.state.borrow_mut();
        let names: Vec<String> = st.nodes.registered_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        plan.validate(&names, st.config.limits.max_time)?;
        let mut steps: Vec<_> = st.plan.drain(..).chain(plan.steps.iter().cloned()).collect();
        steps.sort_by_key(|s| s.at); // Stable: steps at one time keep their order.
        st.next_step_ns = steps.first().map_or(u64::MAX, |s| u64::try_from(s.at.0.as_nanos()).unwrap_or(u64::MAX));
        st.plan = steps.into();
        Ok(())
    }

    /// Restarts a crashed node: its factory runs again.
    pub fn restart(&mut self, node: &str) -> Result<(), SimError> {
        self.enter(|i| i.restart(node))
    }

    /// Pauses a node: its tasks do not run until it is resumed; messages queue.
    pub fn pause(&mut self, node: &str) -> Result<(), SimError> {
        self.enter(|i| i.pause(node))
    }

    /// Resumes a paused node.
    pub fn resume(&mut self, node: &str) -> Result<(), SimError> {
        self.enter(|i| i.resume(node))
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.inner.state.borrow().now)
    }

    /// Runs until virtual time reaches `deadline` or the run ends; returns whether
    /// the run has ended.
    pub fn run_until(&mut self, deadline: Instant) -> bool {
        if !self.finished {
            self.finished = self.enter(|i| i.run_loop(Some(deadline.as_nanos()))) == Stop::Finished;
        }
        self.finished
    }

    /// Runs for `duration` more virtual time (see [`Sim::run_until`]).
    pub fn run_for(&mut self, duration: Duration) -> bool {
        let deadline = self.now() + duration;
        self.run_until(deadline)
    }

    /// Runs to the end and returns the outcome.
    pub fn run(mut self) -> Outcome {
        if !self.finished {
            self.enter(|i| i.run_loop(None));
            self.finished = true;
        }
        self.outcome()
    }

    /// The outcome of the finished run (out of line: kept apart from the run
    /// loop's code).
    #[inline(never)]
    fn outcome(&self) -> Outcome {
        let mut st = self.inner.state.borrow_mut();
        let recording = std::mem::replace(&mut st.rec, Recording::new(RecordMode::Off));
        let parts =
            crate::outcome::HeaderParts { seed: self.inner.seed, nodes: st.nodes.names(), ports: st.net.port_names() };
        Outcome {
            seed: self.inner.seed,
            failure: st.failure.clone(),
            elapsed: Duration::from_nanos(st.now),
            steps: st.steps(),
            trace: LazyTrace::new(recording, parts, std::mem::take(&mut st.unrendered)),
            stats: Stats { sent: st.net.sent(), ..st.stats },
            fault_points: st.points.counts(),
            coverage: st.props.coverage(),
            metrics: std::mem::take(&mut st.props.metrics),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Tasks still alive are dropped inside the simulation, so that their
        // destructors (sockets, timers) find it.
        self.enter(|inner| {
            let futs = inner.state.borrow_mut().tasks.remove_all();
            let _ = panic::catch(move || drop(futs));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::discards_everything;

    #[test]
    fn a_thread_discards_everything_until_a_subscriber_is_set_on_it() {
        // No global subscriber is set in the crate's unit tests.
        assert!(discards_everything());
        let subscriber = crate::log::SimSubscriber::dispatch(microsim_traces::Level::Info, false);
        tracing::dispatcher::with_default(&subscriber, || assert!(!discards_everything()));
        assert!(discards_everything());
    }
}
