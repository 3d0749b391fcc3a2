//! Tasks: the slab of futures, cheap wakers, spawning, join handles and polling.
//!
//! A task belongs to a node. Its waker is its slab key packed into the waker's
//! data word, so making, cloning and dropping a waker allocates nothing; waking
//! only appends the key to the simulation's wake list. A key whose task is gone
//! (finished, or dropped by a crash) finds nothing, so old wakers are harmless.

use crate::outcome::Failure;
use crate::panic;
use crate::runtime::{self, Inner, State, CTX};
use crate::sched::ReadyTask;
use crate::slab::{fresh_generation, Key, Slab};
use crate::time::Instant;
use microsim_traces::{Event, NodeIx};
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

const _: () = assert!(std::mem::size_of::<usize>() == 8, "microsim packs task keys into pointers: 64-bit only");

pub(crate) type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A task's future, owned through a raw pointer so that it can be polled where
/// it lives while the task table changes: inserting into the table may move
/// the slots, never the future's own allocation. It is dropped (in place, as
/// the pinned box it came from) by `Drop` or after `into_future`.
struct TaskBox(NonNull<dyn Future<Output = ()>>);

impl TaskBox {
    fn new(fut: TaskFuture) -> TaskBox {
        // SAFETY: the future is never moved out of its allocation: it is only
        // polled in place (`Inner::poll_task`) and dropped as a pinned box.
        let raw = Box::into_raw(unsafe { Pin::into_inner_unchecked(fut) });
        // SAFETY: `Box::into_raw` never returns null.
        TaskBox(unsafe { NonNull::new_unchecked(raw) })
    }

    /// Gives ownership back as the pinned box.
    fn into_future(self) -> TaskFuture {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the pointer came from `Box::into_raw` of a pinned box and is
        // owned by `self`, whose destructor will not run.
        unsafe { Pin::new_unchecked(Box::from_raw(this.0.as_ptr())) }
    }
}

impl Drop for TaskBox {
    fn drop(&mut self) {
        // SAFETY: as in `into_future`; `self` is not used again.
        drop(unsafe { Pin::new_unchecked(Box::from_raw(self.0.as_ptr())) });
    }
}

struct TaskSlot {
    fut: TaskBox,
    node: NodeIx,
    serial: u64,
    queued: bool,
}

/// Every task of a simulation being dropped (see [`Tasks::remove_all`]):
/// dropping it drops their futures, in slot order, with no list of them made.
pub(crate) struct RemovedTasks {
    _tasks: Slab<TaskSlot>,
}

/// The task table.
#[derive(Default)]
pub(crate) struct Tasks {
    slab: Slab<TaskSlot>,
    /// The task being polled and its node.
    current: Option<(Key, NodeIx)>,
    /// The future of the task being polled, if the task was removed from the
    /// table during its own poll (it aborted itself, or its node crashed): kept
    /// alive until the poll returns, then dropped by the poller.
    orphan: Option<TaskBox>,
    /// The node a factory is being run for (outside any task).
    pub(crate) factory_node: Option<NodeIx>,
    next_serial: u64,
}

impl Tasks {
    pub(crate) fn current_node(&self) -> Option<NodeIx> {
        self.current.map(|(_, n)| n).or(self.factory_node)
    }

    pub(crate) fn live(&self) -> usize {
        self.slab.len()
    }

    /// Marks a woken task ready; `None` if it is gone or already queued.
    #[inline]
    pub(crate) fn mark_ready(&mut self, key: u64) -> Option<ReadyTask> {
        let key = Key::from_u64(key)?;
        let slot = self.slab.get_mut(key)?;
        if slot.queued {
            return None;
        }
        slot.queued = true;
        Some(ReadyTask { key: key.to_u64(), node: slot.node })
    }

    /// Removes every task (the simulation is being dropped; none is running).
    /// Dropping what it returns drops their futures, in slot order (as
    /// `remove_node_tasks(None)`): the caller does so once the state is no
    /// longer borrowed.
    pub(crate) fn remove_all(&mut self) -> RemovedTasks {
        debug_assert!(self.current.is_none(), "no task runs while the simulation is dropped");
        RemovedTasks { _tasks: std::mem::take(&mut self.slab) }
    }

    /// Removes every task of `node` (or of every node), returning their futures.
    pub(crate) fn remove_node_tasks(&mut self, node: Option<NodeIx>) -> Vec<(u64, NodeIx, Option<TaskFuture>)> {
        let keys: Vec<Key> =
            self.slab.iter().filter(|(_, s)| node.is_none_or(|n| s.node == n)).map(|(k, _)| k).collect();
        keys.into_iter().filter_map(|k| self.remove(k)).collect()
    }

    /// Removes a task: its serial, node and future. The future of the task
    /// being polled is not returned but kept in `orphan` until its poll returns.
    fn remove(&mut self, key: Key) -> Option<(u64, NodeIx, Option<TaskFuture>)> {
        let slot = self.slab.remove(key)?;
        let fut = if self.current.is_some_and(|(k, _)| k == key) {
            debug_assert!(self.orphan.is_none(), "one task runs at a time");
            self.orphan = Some(slot.fut);
            None
        } else {
            Some(slot.fut.into_future())
        };
        Some((slot.serial, slot.node, fut))
    }
}

// ---- wakers -------------------------------------------------------------------

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_raw, drop_raw);

fn clone_raw(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake_raw(data: *const ()) {
    // Outside a simulation (a waker kept past its run) waking does nothing.
    CTX.try_with(|inner| {
        inner.wakes.borrow_mut().push(data as u64);
        inner.woken.set(true);
    });
}

fn drop_raw(_: *const ()) {}

/// Wakes `waker` from inside the simulator, with the state already borrowed: a
/// waker of ours makes its task ready directly; any other kind of waker (a
/// combinator's) is woken normally and reaches us through the wake list.
///
/// When our task would be the only one in a FIFO ready queue (nothing else
/// ready, no node of `nodes` paused), it is returned to be polled at once
/// instead of being queued: the FIFO queue would hand it out next anyway. The
/// caller polls it ([`State::take_woken`]) or queues it ([`State::queue_woken`]).
#[inline(always)]
pub(crate) fn wake_direct(
    tasks: &mut Tasks,
    ready: &mut crate::sched::ReadyQueue,
    nodes: &crate::node::Nodes,
    waker: &Waker,
) -> Option<Woken> {
    if !std::ptr::eq(waker.vtable(), &VTABLE) {
        waker.wake_by_ref();
        return None;
    }
    let key = Key::from_u64(waker.data() as u64)?;
    let slot = tasks.slab.get_mut(key)?;
    if slot.queued {
        return None;
    }
    if ready.is_empty_fifo() && !nodes.any_paused() {
        return Some(Woken { key: key.to_u64(), node: slot.node, fut: NonNull::from(&slot.fut) });
    }
    slot.queued = true;
    ready.push(ReadyTask { key: key.to_u64(), node: slot.node });
    None
}

/// A task woken by an event that may be polled at once (see [`wake_direct`]):
/// it is not marked queued and is in no queue. It carries a pointer to the
/// task's slot's `TaskBox`, valid while the task table is not changed: the run
/// loop polls or queues it before anything else happens. (A thin pointer, one
/// word: the future's own pointer is two, and carrying it here would store it
/// as one wide word and read it back as two narrow ones; for the same
/// reason the key is kept packed, as the one word the waker holds.)
pub(crate) struct Woken {
    key: u64,
    node: NodeIx,
    fut: NonNull<TaskBox>,
}

fn waker_for(key: u64) -> Waker {
    // SAFETY: the vtable's functions treat the data word as a plain integer and
    // never dereference it, so any value is valid and the waker is trivially
    // thread-safe (waking from a thread without a simulation does nothing).
    unsafe { Waker::from_raw(RawWaker::new(key as *const (), &VTABLE)) }
}

// ---- spawning and join handles ----------------------------------------------------

/// Why a task produced no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The task was dropped before finishing: its node crashed, it was aborted,
    /// or it was never started because of a limit.
    #[error("task was cancelled before it finished")]
    Cancelled,
}

struct JoinState<T> {
    result: Option<Result<T, JoinError>>,
    waker: Option<Waker>,
}

/// Completes the join state when the task finishes, or cancels it when the task
/// is dropped unfinished (the guard is captured by the task's future).
struct Completion<T>(Rc<RefCell<JoinState<T>>>);

impl<T> Completion<T> {
    fn complete(&self, value: T) {
        let waker = {
            let mut st = self.0.borrow_mut();
            st.result = Some(Ok(value));
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.0.borrow_mut();
            if st.result.is_some() {
                return;
            }
            st.result = Some(Err(JoinError::Cancelled));
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Awaits a spawned task's output. Dropping the handle detaches the task.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
    task: Option<u64>,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("finished", &self.is_finished()).finish()
    }
}

impl<T> JoinHandle<T> {
    /// Whether the task has finished (or was cancelled).
    pub fn is_finished(&self) -> bool {
        self.state.borrow().result.is_some()
    }

    /// Drops the task now (its destructors run); awaiting the handle then gives
    /// [`JoinError::Cancelled`] unless it had already finished.
    pub fn abort(&self) {
        if let Some(key) = self.task {
            runtime::with(|inner| inner.abort_task(key));
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.state.borrow_mut();
        if let Some(r) = st.result.take() {
            return Poll::Ready(r);
        }
        if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            st.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Spawns a task on the current node. It is dropped if the node crashes.
///
/// ```
/// # let mut sim = microsim::Sim::builder().build();
/// sim.client("c", || async {
///     let h = microsim::spawn(async { 40 + 2 });
///     assert_eq!(h.await.unwrap(), 42);
/// }).unwrap();
/// assert!(sim.run().is_ok());
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let state = Rc::new(RefCell::new(JoinState { result: None, waker: None }));
    let guard = Completion(state.clone());
    let task: TaskFuture = Box::pin(async move {
        let guard = guard;
        let out = future.await;
        guard.complete(out);
    });
    let key = runtime::with(|inner| {
        let node = inner.current_node();
        assert!(node != microsim_traces::NO_NODE, "microsim::spawn must be called from a node's task");
        inner.spawn_task(node, task)
    });
    JoinHandle { state, task: key }
}

/// Yields once: the task is ready again at once, after the tasks ready before it.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

impl Inner {
    /// Adds a task to `node` and makes it ready. Returns its key, or `None` when
    /// it could not be started (the future is dropped).
    pub(crate) fn spawn_task(&self, node: NodeIx, fut: TaskFuture) -> Option<u64> {
        let mut st = self.state.borrow_mut();
        if let Err(reason) = st.can_spawn(node) {
            st.fail_if(reason);
            drop(st);
            drop(fut);
            return None;
        }
        let st = &mut *st;
        let serial = st.tasks.next_serial;
        st.tasks.next_serial += 1;
        let key =
            st.tasks.slab.insert(fresh_generation(), TaskSlot { fut: TaskBox::new(fut), node, serial, queued: true });
        st.ready.push(ReadyTask { key: key.to_u64(), node });
        st.rec.push(st.now, node, Event::Spawn { task: serial });
        st.stats.tasks_spawned += 1;
        st.stats.max_live_tasks = st.stats.max_live_tasks.max(st.tasks.live() as u64);
        Some(key.to_u64())
    }

    /// Polls a task chosen by [`State::take_ready_task`] where it lives in the
    /// table, catching a panic as the run's failure; removes it if it finished,
    /// and drops its future if it was removed while it ran. In the common case
    /// (the task is pending) returns the state, borrowed again, for the run loop
    /// to go on with.
    #[inline(always)]
    pub(crate) fn poll_task(&self, task: Taken) -> Option<std::cell::RefMut<'_, State>> {
        let Taken { key, node, fut } = task;
        // Dropping one of our wakers does nothing: skip the call through the vtable.
        let waker = std::mem::ManuallyDrop::new(waker_for(key.to_u64()));
        let mut cx = Context::from_waker(&waker);
        // SAFETY: `fut` is the future of task `key`, pinned in its own allocation
        // (`TaskBox`). It stays alive until this poll returns: removing the
        // running task from the table moves its `TaskBox` into `Tasks::orphan`
        // (see `Tasks::remove`) instead of dropping it, and only this function
        // drops it, after the poll. Nothing else touches the future meanwhile:
        // the run loop polls one task at a time and only `poll_task` polls.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            unsafe { Pin::new_unchecked(&mut *fut.as_ptr()) }.poll(&mut cx)
        }));
        if let Ok(Poll::Pending) = result {
            let mut st = self.state.borrow_mut();
            st.tasks.current = None;
            if st.tasks.orphan.is_none() {
                return Some(st);
            }
            self.after_poll(st, key, node, Ok(Poll::Pending));
            return None;
        }
        // A panic's payload is turned into its message (and dropped) before the
        // state is borrowed: dropping it runs its destructor.
        let result = result.map_err(panic::message);
        let mut st = self.state.borrow_mut();
        st.tasks.current = None;
        self.after_poll(st, key, node, result);
        None
    }

    /// The rarer outcomes of a poll: the task finished, panicked, or was
    /// removed while it ran.
    #[inline(never)]
    fn after_poll(
        &self,
        mut st: std::cell::RefMut<'_, State>,
        key: Key,
        node: NodeIx,
        result: Result<Poll<()>, String>,
    ) {
        // The task was dropped while it ran (its node crashed, or it aborted
        // itself): its future is dropped now that it is not running.
        let orphan = st.tasks.orphan.take().map(TaskBox::into_future);
        match result {
            Ok(Poll::Pending) => self.drop_outside(st, orphan),
            Ok(Poll::Ready(())) => {
                let fut = st.task_exited(key);
                self.drop_outside(st, fut.or(orphan));
            }
            Err(message) => {
                let time = Instant::from_nanos(st.now);
                let node = st.nodes.name(node).to_string();
                st.fail(Failure::Panic { node, time, message });
                let fut = st.task_exited(key);
                self.drop_outside(st, fut.or(orphan));
            }
        }
    }

    /// Releases the state borrow, then drops `futs` (their destructors may use
    /// the simulation), catching a panicking destructor as a failure.
    pub(crate) fn drop_outside<I>(&self, st: std::cell::RefMut<'_, State>, futs: I)
    where
        I: IntoIterator<Item = TaskFuture>,
    {
        drop(st);
        if let Err(message) = panic::catch(move || drop(futs)) {
            let mut st = self.state.borrow_mut();
            let time = Instant::from_nanos(st.now);
            st.fail(Failure::Panic { node: "(destructor)".into(), time, message });
        }
    }

    /// Drops one task (from `JoinHandle::abort`).
    pub(crate) fn abort_task(&self, key: u64) {
        let mut st = self.state.borrow_mut();
        let Some(key) = Key::from_u64(key) else { return };
        let Some((serial, node, fut)) = st.tasks.remove(key) else { return };
        let now = st.now;
        st.rec.push(now, node, Event::Exit { task: serial });
        st.after_exit(key, node);
        self.drop_outside(st, fut);
    }
}

/// A task chosen to be polled, with a pointer to its future (see `TaskBox`).
pub(crate) struct Taken {
    key: Key,
    node: NodeIx,
    fut: NonNull<dyn Future<Output = ()>>,
}

impl State {
    /// Chooses the next runnable task to poll, counting the step; tasks of
    /// paused nodes are held back. `None` when no task is ready
    /// (or the step limit was just exceeded).
    #[inline]
    pub(crate) fn take_ready_task(&mut self) -> Option<Taken> {
        loop {
            let task = self.ready.pop()?;
            let Some(key) = Key::from_u64(task.key) else { continue };
            let Some(slot) = self.tasks.slab.get_mut(key) else { continue };
            if self.nodes.hold_if_paused(task) {
                continue;
            }
            slot.queued = false;
            let fut = slot.fut.0;
            if self.count_step() {
                // The run is over; the future is dropped with the sim.
                return None;
            }
            self.tasks.current = Some((key, task.node));
            self.stats.polls += 1;
            return Some(Taken { key, node: task.node, fut });
        }
    }

    /// Takes a task that [`wake_direct`] returned, to be polled now (as
    /// `take_ready_task` would have popped it from the FIFO queue), counting the
    /// step. `Err` gives it back when the step budget is spent: it is then queued
    /// ([`State::queue_woken`]) and the usual path ends the run.
    #[inline(always)]
    pub(crate) fn take_woken(&mut self, task: Woken) -> Result<Taken, Woken> {
        // (`wake_direct` packed a valid key, so the first test never fails.)
        let Some(key) = Key::from_u64(task.key) else { return Err(task) };
        if !self.has_step_left() {
            return Err(task);
        }
        self.count_step();
        // Nothing changed the table since `wake_direct` found the task there.
        debug_assert!(
            self.tasks.slab.get(key).is_some_and(|slot| std::ptr::eq(&slot.fut, task.fut.as_ptr())),
            "a woken task is in the table"
        );
        self.tasks.current = Some((key, task.node));
        self.stats.polls += 1;
        // SAFETY: `task.fut` points to the task's `TaskBox` in the table, which
        // has not changed since `wake_direct` (see `Woken`).
        let fut = unsafe { task.fut.as_ref() }.0;
        Ok(Taken { key, node: task.node, fut })
    }

    /// Queues a task that [`wake_direct`] returned, as `wake_in` would have.
    #[cold]
    pub(crate) fn queue_woken(&mut self, task: Woken) {
        if let Some(slot) = Key::from_u64(task.key).and_then(|key| self.tasks.slab.get_mut(key)) {
            slot.queued = true;
        }
        self.ready.push(ReadyTask { key: task.key, node: task.node });
    }

    fn can_spawn(&self, node: NodeIx) -> Result<(), Option<Failure>> {
        if !self.nodes.is_running(node) {
            return Err(None);
        }
        let limit = self.config.limits.max_tasks;
        if self.tasks.live() >= limit {
            return Err(Some(Failure::TaskLimit { limit, node: self.nodes.name(node).to_string() }));
        }
        Ok(())
    }

    fn fail_if(&mut self, failure: Option<Failure>) {
        if let Some(f) = failure {
            self.fail(f);
        }
    }

    /// Removes a finished task (no longer running) and records its exit;
    /// returns its future, to be dropped once the state is not borrowed.
    fn task_exited(&mut self, key: Key) -> Option<TaskFuture> {
        let (serial, node, fut) = self.tasks.remove(key)?;
        self.rec.push(self.now, node, Event::Exit { task: serial });
        self.after_exit(key, node);
        fut
    }
}
