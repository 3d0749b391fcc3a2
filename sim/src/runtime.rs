//! The simulation's shared state, the thread-local context, and the run loop.
//!
//! One [`Inner`] exists per [`crate::Sim`]. While the simulator runs (and while the
//! test's side acts on it) a pointer to it is set in a scoped thread-local, so that
//! `now()`, `spawn`, sockets and timers find their simulation without being handed
//! it. Wake-ups never borrow the state: they only append to `wakes`, which the run
//! loop moves into the scheduler, so a waker may be called from anywhere.

use crate::config::Config;
use crate::net::Net;
use crate::node::Nodes;
use crate::outcome::{Failure, Stats};
use crate::payload::Payload;
use crate::sched::ReadyQueue;
use crate::task::Tasks;
use crate::time::Instant;
use crate::timer::{Events, Taken};
use microsim_traces::{NodeIx, Recording, NO_NODE};
use std::cell::{Cell, RefCell};

thread_local! {
    static CURRENT: Cell<*const Inner> = const { Cell::new(std::ptr::null()) };
}

/// The thread's current simulation: set for the duration of a call, like a
/// scoped thread-local (one TLS access per use, no lazy initialisation).
pub(crate) struct Ctx;

/// The thread's current simulation.
pub(crate) static CTX: Ctx = Ctx;

impl Ctx {
    /// Makes `inner` current while `f` runs (restoring the previous one after,
    /// also when `f` unwinds).
    pub(crate) fn set<R>(&self, inner: &Inner, f: impl FnOnce() -> R) -> R {
        struct Restore(*const Inner);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|c| c.replace(inner)));
        f()
    }

    /// Whether a simulation is current.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        !CURRENT.with(Cell::get).is_null()
    }

    /// Runs `f` with the current simulation, if there is one.
    #[inline]
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&Inner) -> R) -> Option<R> {
        let p = CURRENT.with(Cell::get);
        // SAFETY: as in `with`.
        (!p.is_null()).then(|| f(unsafe { &*p }))
    }

    /// Runs `f` with the current simulation; panics outside one.
    #[inline]
    #[track_caller]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        self.with_inline(f)
    }

    /// `with`, always inlined (for the hottest paths: sending).
    #[inline(always)]
    #[track_caller]
    pub(crate) fn with_inline<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        // SAFETY: `p` was set by `Ctx::set` from a reference that outlives the
        // call in which it is current, and is reset when that call returns.
        f(unsafe { &*self.current() })
    }

    /// The current simulation (never null; panics outside one). It stays valid
    /// until the `Ctx::set` call that made it current returns.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn current(&self) -> *const Inner {
        let p = CURRENT.with(Cell::get);
        if p.is_null() {
            outside();
        }
        p
    }
}

#[cold]
#[track_caller]
fn outside() -> ! {
    panic!("microsim: this function must be called from inside a simulation (a node's task)")
}

/// Runs `f` with the current simulation; panics with a clear message outside one.
#[inline]
#[track_caller]
pub(crate) fn with<R>(f: impl FnOnce(&Inner) -> R) -> R {
    CTX.with(f)
}

/// Everything a simulation owns.
pub(crate) struct Inner {
    pub(crate) state: RefCell<State>,
    /// Task keys woken since the run loop last looked, in wake order.
    pub(crate) wakes: RefCell<Vec<u64>>,
    /// Whether `wakes` may be non-empty (checked without borrowing it).
    pub(crate) woken: Cell<bool>,
    /// The seed of the run (immutable).
    pub(crate) seed: u64,
    /// Whether every record is kept (immutable; read without borrowing the state).
    pub(crate) record_full: bool,
    /// Whether network faults are in force (a copy of `Net::faulty` that sends
    /// read without borrowing the state).
    pub(crate) net_faulty: Cell<bool>,
    /// `record_full || net_faulty`: whether a send takes the out-of-line path
    /// (one test on the common path).
    pub(crate) send_slow: Cell<bool>,
}

/// The mutable state of a simulation, borrowed briefly by every operation.
pub(crate) struct State {
    /// Global virtual time in nanoseconds since the start of the run.
    pub(crate) now: u64,
    pub(crate) config: Config,
    pub(crate) events: Events,
    pub(crate) tasks: Tasks,
    pub(crate) ready: ReadyQueue,
    pub(crate) nodes: Nodes,
    pub(crate) net: Net,
    pub(crate) rec: Recording,
    pub(crate) stats: Stats,
    /// The first failure of the run; the run stops as soon as one is set.
    pub(crate) failure: Option<Failure>,
    /// `failure.is_some()` (a flag for the run loop).
    failed: bool,
    /// Whether the nodes have been started.
    pub(crate) started: bool,
    /// Steps that may still be taken before `config.limits.max_steps` is exceeded
    /// (a countdown, so counting a step is one decrement and one test).
    steps_left: u64,
    /// Steps counted after the budget ran out (the run stops at the first).
    steps_over: u64,
    /// RPC calls made (the last call id).
    pub(crate) calls: u64,
    /// `config.limits.max_time` in nanoseconds.
    pub(crate) max_time_ns: u64,
    /// Sent messages whose send record's text is still to be rendered.
    pub(crate) unrendered: crate::outcome::Unrendered,
    /// The fault plan's steps still to apply, in time order.
    pub(crate) plan: std::collections::VecDeque<crate::plan::Step>,
    /// When the first of them is due, in nanoseconds (`u64::MAX`: none).
    pub(crate) next_step_ns: u64,
    /// `buggify!` and `fault_point!` state.
    pub(crate) points: crate::faultpoint::PointState,
    pub(crate) props: crate::property::Props,
}

impl Inner {
    pub(crate) fn new(seed: u64, config: Config, scheduler: crate::sched::Scheduler) -> Inner {
        let rec = Recording::new(config.record);
        // A choice sequence decides latencies, losses and scheduling picks.
        let cursor = config.choices.clone().map(crate::choices::Cursor::new);
        let scheduler = match &cursor {
            Some(c) => crate::sched::Scheduler::Custom(Box::new(crate::choices::ChoiceScheduler {
                cursor: c.clone(),
                ready: Vec::new(),
            })),
            None => scheduler,
        };
        let mut net = Net::new(seed, &config);
        if let Some(c) = cursor {
            net.use_choices(c);
        }
        let state = State {
            now: 0,
            events: Events::default(),
            tasks: Tasks::default(),
            ready: ReadyQueue::new(scheduler, seed),
            nodes: Nodes::default(),
            net,
            rec,
            stats: Stats::default(),
            failure: None,
            failed: false,
            started: false,
            steps_left: config.limits.max_steps,
            steps_over: 0,
            calls: 0,
            max_time_ns: config.limits.max_time_ns(),
            unrendered: Default::default(),
            plan: Default::default(),
            next_step_ns: u64::MAX,
            points: crate::faultpoint::PointState::new(config.fault_points.clone(), seed),
            props: Default::default(),
            config,
        };
        let record_full = state.rec.mode() == microsim_traces::RecordMode::Full;
        Inner {
            state: RefCell::new(state),
            wakes: RefCell::new(Vec::new()),
            woken: Cell::new(false),
            seed,
            record_full,
            net_faulty: Cell::new(false),
            send_slow: Cell::new(record_full),
        }
    }

    /// Sets `net_faulty` (and `send_slow` with it).
    pub(crate) fn set_net_faulty(&self, faulty: bool) {
        self.net_faulty.set(faulty);
        self.send_slow.set(faulty || self.record_full);
    }

    /// The node whose task is running, or `NO_NODE` on the test's side.
    pub(crate) fn current_node(&self) -> NodeIx {
        self.state.borrow().tasks.current_node().unwrap_or(NO_NODE)
    }
}

/// What taking the next event did.
pub(crate) enum Next {
    /// An event was handled.
    Handled,
    /// An event was handled and woke a task that may be polled at once (see
    /// `task::wake_direct`).
    Run(crate::task::Woken),
    /// A message could not be delivered: drop it once the state is released.
    Dropped(Payload),
    /// A plan step is due: take it and apply it once the state is released.
    PlanStep,
}

/// Why the run loop returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The run is over (successfully or not): see `State::failure`.
    Finished,
    /// The deadline given to the loop was reached; the run can go on.
    Deadline,
}

impl Inner {
    /// Runs until the run is over or virtual time reaches `deadline`. Out of
    /// line, so that its code does not depend on its callers'.
    #[inline(never)]
    pub(crate) fn run_loop(&self, deadline: Option<u64>) -> Stop {
        self.start_nodes();
        // Plan steps due now go before the tasks that are ready now (at the start
        // of a run, nodes' first polls): "at 0 ms" means before anything runs.
        loop {
            let step = {
                let mut st = self.state.borrow_mut();
                if st.next_step_ns <= st.now {
                    st.pop_step()
                } else {
                    None
                }
            };
            match step {
                Some(step) => self.apply_step(&step),
                None => break,
            }
        }
        loop {
            let mut st = self.state.borrow_mut();
            // The plan's next step changes only here (`pop_step`, after which the
            // loop comes back here), so the stop time holds until then.
            let stop = st.event_stop(deadline);
            // Polls a task an event woke, if the FIFO queue would give it next
            // anyway (unless wakes from outside the simulator wait to be queued
            // before it); else queues it. A macro, expanded once per kind of
            // event, so that each event's result is branched on directly.
            macro_rules! run_woken {
                ($task:expr) => {
                    let task = $task;
                    if self.woken.get() {
                        st.queue_woken(task);
                    } else {
                        match st.take_woken(task) {
                            Ok(task) => {
                                drop(st);
                                match self.poll_task(task) {
                                    Some(again) => st = again,
                                    None => break,
                                }
                            }
                            Err(task) => st.queue_woken(task),
                        }
                    }
                };
            }
            // The borrow is kept while events are handled (no user code runs)
            // and released before a task is polled or a payload dropped.
            loop {
                if self.woken.get() {
                    self.drain_wakes(&mut st);
                }
                if st.failed {
                    return Stop::Finished;
                }
                if let Some(task) = st.take_ready_task() {
                    drop(st);
                    match self.poll_task(task) {
                        Some(again) => st = again,
                        None => break,
                    }
                    continue;
                }
                if st.nodes.clients_done() {
                    return Stop::Finished;
                }
                match st.next_due(deadline, stop) {
                    Some(Taken::Deliver(env)) => match st.deliver_next(env) {
                        Some(task) => {
                            run_woken!(task);
                        }
                        // The payload of a dropped message is released after the borrow ends.
                        None if st.net.dropped.is_some() => {
                            let dropped = st.net.dropped.take();
                            drop(st);
                            drop(dropped);
                            break;
                        }
                        None => {}
                    },
                    Some(Taken::Timer(key)) => {
                        if let Some(task) = st.fire_timer(key) {
                            run_woken!(task);
                        }
                    }
                    None => match st.next_event_slow(deadline) {
                        Ok(Next::Handled) => {}
                        Ok(Next::Run(task)) => {
                            run_woken!(task);
                        }
                        Ok(Next::Dropped(dropped)) => {
                            drop(st);
                            drop(dropped);
                            break;
                        }
                        Ok(Next::PlanStep) => {
                            let step = st.pop_step().expect("a step is due");
                            drop(st);
                            self.apply_step(&step);
                            break;
                        }
                        Err(stop) => return stop,
                    },
                }
            }
        }
    }

    /// Applies a plan step. Plans are validated before the run; a step that no
    /// longer applies (a node the workload crashed itself) is a failure of the
    /// run, named with the step.
    fn apply_step(&self, step: &crate::plan::Step) {
        if let Err(e) = self.apply(&step.fault) {
            let mut st = self.state.borrow_mut();
            let time = Instant::from_nanos(st.now);
            st.fail(Failure::PlanStep { time, step: step.to_string(), error: e.to_string() });
        }
    }

    /// Moves woken tasks into the scheduler, in wake order, once each.
    #[inline]
    fn drain_wakes(&self, st: &mut State) {
        self.woken.set(false);
        let mut wakes = self.wakes.borrow_mut();
        for key in wakes.drain(..) {
            if let Some(task) = st.tasks.mark_ready(key) {
                st.ready.push(task);
            }
        }
    }
}

impl State {
    /// Handles the earliest event (returning a payload it dropped), or says why
    /// the loop must stop.
    /// The earliest time at which the loop must do more than handle the next
    /// event: the next plan step, just past the deadline, just past the time limit.
    fn event_stop(&self, deadline: Option<u64>) -> u64 {
        self.next_step_ns
            .min(self.max_time_ns.saturating_add(1))
            .min(deadline.map_or(u64::MAX, |d| d.saturating_add(1)))
    }

    /// The common case of taking the next event: it comes before `stop`
    /// ([`State::event_stop`], kept by the caller while it holds) and a step is
    /// left (two comparisons). Takes it, moving time to it; `None` when
    /// [`State::next_event_slow`] must decide.
    #[inline(always)]
    fn next_due(&mut self, deadline: Option<u64>, stop: u64) -> Option<Taken> {
        let time = self.events.peek_time()?;
        debug_assert_eq!(stop, self.event_stop(deadline));
        if time < stop && self.steps_left != 0 {
            self.steps_left -= 1;
            debug_assert!(time >= self.now, "time went backwards: {time} < {}", self.now);
            self.now = time;
            return Some(self.events.take_next());
        }
        None
    }

    /// Delivers the message [`Events::take_next`] left at the top of the queue
    /// (see [`State::deliver`]), then removes its event.
    #[inline(always)]
    fn deliver_next(&mut self, env: *mut crate::net::Envelope) -> Option<crate::task::Woken> {
        // SAFETY: `env` is the top event's envelope (`take_next`); `deliver`
        // moves it out and nothing changes the queue before it is removed.
        unsafe {
            let woken = self.deliver(env);
            self.events.remove_moved_top();
            woken
        }
    }

    /// Taking the next event when a plan step, a deadline or a limit may come first.
    #[inline(never)]
    fn next_event_slow(&mut self, deadline: Option<u64>) -> Result<Next, Stop> {
        let event_time = self.events.peek_time();
        // Plan steps go before events at the same time.
        let plan_first = self.next_step_ns <= event_time.unwrap_or(u64::MAX) && !self.plan.is_empty();
        let Some(time) = (if plan_first { Some(self.next_step_ns) } else { event_time }) else {
            if let Some(d) = deadline {
                return Err(self.advance_to_deadline(d));
            }
            let waiting = self.nodes.waiting_clients();
            if !waiting.is_empty() {
                let time = Instant::from_nanos(self.now);
                self.fail(Failure::Deadlock { time, waiting });
            }
            return Err(Stop::Finished);
        };
        if let Some(d) = deadline.filter(|&d| time > d) {
            return Err(self.advance_to_deadline(d));
        }
        if time > self.max_time_ns {
            self.now = self.max_time_ns;
            self.fail(Failure::TimeLimit { limit: Instant::from_nanos(self.max_time_ns) });
            return Err(Stop::Finished);
        }
        if self.count_step() {
            return Err(Stop::Finished);
        }
        debug_assert!(time >= self.now, "time went backwards: {time} < {}", self.now);
        self.now = time;
        if plan_first {
            return Ok(Next::PlanStep);
        }
        let event = self.events.pop().expect("peeked event is there");
        Ok(self.handle_event(event))
    }

    /// Takes the next plan step, keeping `next_step_ns` up to date.
    pub(crate) fn pop_step(&mut self) -> Option<crate::plan::Step> {
        let step = self.plan.pop_front();
        self.next_step_ns =
            self.plan.front().map_or(u64::MAX, |s| u64::try_from(s.at.0.as_nanos()).unwrap_or(u64::MAX));
        step
    }

    /// Moves time to the test side's deadline when nothing happens before it;
    /// a deadline past the time limit ends the run at the limit.
    fn advance_to_deadline(&mut self, deadline: u64) -> Stop {
        if deadline > self.max_time_ns {
            self.now = self.now.max(self.max_time_ns);
            self.fail(Failure::TimeLimit { limit: Instant::from_nanos(self.max_time_ns) });
            return Stop::Finished;
        }
        self.now = self.now.max(deadline);
        Stop::Deadline
    }

    /// Records the run's first failure (later ones are consequences).
    pub(crate) fn fail(&mut self, failure: Failure) {
        if self.failure.is_none() {
            self.failure = Some(failure);
            self.failed = true;
        }
    }

    /// Counts a step; true when the step limit is exceeded (and the failure set).
    #[inline]
    pub(crate) fn count_step(&mut self) -> bool {
        if self.steps_left == 0 {
            self.steps_over += 1;
            let limit = self.config.limits.max_steps;
            self.fail(Failure::StepLimit { limit });
            return true;
        }
        self.steps_left -= 1;
        false
    }

    /// Whether a step may be counted without exceeding the step limit.
    #[inline]
    pub(crate) fn has_step_left(&self) -> bool {
        self.steps_left != 0
    }

    /// Steps taken (task polls plus events handled).
    pub(crate) fn steps(&self) -> u64 {
        self.config.limits.max_steps - self.steps_left + self.steps_over
    }
}
