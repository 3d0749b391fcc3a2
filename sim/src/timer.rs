//! The event queue: timers and message deliveries ordered by (time, sequence).
//!
//! One binary heap holds every future event. Ties in time are broken by a
//! sequence number taken when the event was scheduled, never by an address or a
//! hash, so the order is the same in every run of a seed. A delivery carries its
//! message in its heap entry (no side table to look it up in), and is moved
//! from there straight into the receiving socket's queue. Timers live in a
//! slab; cancelling one frees its slot, and its heap entry is skipped when it
//! surfaces.

use crate::heap::MinHeap;
use crate::net::{Addr, Envelope};
use crate::payload::{Payload, PayloadParts};
use crate::runtime::{Next, State};
use crate::slab::{fresh_generation, Key, Slab};
use microsim_traces::{Event, NodeIx};
use std::cmp::Ordering;
use std::fmt;
use std::task::Waker;

pub(crate) enum What {
    Timer(Key),
    Deliver(Envelope),
}

impl fmt::Debug for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Timer(key) => write!(f, "Timer({key:?})"),
            What::Deliver(env) => write!(f, "Deliver(msg {})", env.msg),
        }
    }
}

/// An event, ordered by (time, sequence): compared as the integer
/// `time << 64 | seq`, so the min-heap yields the earliest first with one wide
/// comparison. The halves are stored apart (alignment 8). An entry is one
/// cache line: the envelope is 48 bytes and a timer's key fits beside the
/// payload's never-null vtable pointer, which tells the variants apart.
#[derive(Debug)]
pub(crate) struct Ev {
    time: u64,
    seq: u64,
    what: What,
}

const _: () = assert!(std::mem::size_of::<Ev>() == 64, "an event entry is 64 bytes");

/// The next event, taken from the top of the queue by [`Events::take_next`].
pub(crate) enum Taken {
    Timer(Key),
    /// A delivery: the envelope is still in the heap's top slot; the taker
    /// moves it out exactly once and then calls [`Events::remove_moved_top`].
    Deliver(*mut Envelope),
}

impl Ev {
    #[inline]
    fn new(time: u64, seq: u64, what: What) -> Ev {
        Ev { time, seq, what }
    }

    #[inline]
    fn rank(&self) -> u128 {
        u128::from(self.time) << 64 | u128::from(self.seq)
    }

    #[inline]
    pub(crate) fn time(&self) -> u64 {
        self.time
    }
}

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        self.rank() == o.rank()
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        self.rank().cmp(&o.rank())
    }
}

#[derive(Debug)]
struct TimerSlot {
    waker: Waker,
    node: NodeIx,
    id: u64,
}

/// Future events and the timers they refer to.
#[derive(Debug, Default)]
pub(crate) struct Events {
    heap: MinHeap<Ev>,
    seq: u64,
    timers: Slab<TimerSlot>,
    next_timer_id: u64,
}

impl Events {
    #[inline(always)]
    fn push(&mut self, time: u64, what: What) {
        self.seq += 1;
        self.heap.push(Ev::new(time, self.seq, what));
    }

    /// Schedules the delivery at `time` of a message from `from` to `to`,
    /// written field by field into its heap slot; the payload is given as its
    /// words, which are written one by one (see `Payload::write_parts`).
    #[inline(always)]
    pub(crate) fn schedule_send(&mut self, time: u64, msg: u64, from: Addr, to: Addr, parts: PayloadParts) {
        self.seq += 1;
        let seq = self.seq;
        let rank = u128::from(time) << 64 | u128::from(seq);
        // The entry is written whole, then its payload's words again, in
        // place: that makes the whole write's payload part dead, and the
        // compiler drops it, with the copy through memory it would make.
        // SAFETY: the slot is written at once; the second write overwrites
        // words of a payload just written, which need no dropping.
        unsafe {
            let slot = self.heap.push_slot(|parent| rank < parent.rank());
            std::ptr::addr_of_mut!((*slot).time).write(time);
            std::ptr::addr_of_mut!((*slot).seq).write(seq);
            let what = std::ptr::addr_of_mut!((*slot).what);
            what.write(What::Deliver(Envelope { msg, from, to, payload: Payload::from_parts(parts) }));
            if let What::Deliver(env) = &mut *what {
                Payload::write_parts(std::ptr::addr_of_mut!(env.payload), parts);
            }
        }
    }

    /// Schedules the delivery of a message at `time`.
    #[inline(always)]
    pub(crate) fn schedule_delivery(&mut self, time: u64, env: Envelope) {
        self.push(time, What::Deliver(env));
    }

    /// Schedules a timer that wakes `waker` at `time`.
    pub(crate) fn add_timer(&mut self, time: u64, node: NodeIx, waker: Waker) -> Key {
        self.next_timer_id += 1;
        let key = self.timers.insert(fresh_generation(), TimerSlot { waker, node, id: self.next_timer_id });
        self.push(time, What::Timer(key));
        key
    }

    /// Replaces the waker of a pending timer (a future moved between tasks).
    pub(crate) fn update_timer(&mut self, key: Key, waker: &Waker) {
        if let Some(t) = self.timers.get_mut(key) {
            if !t.waker.will_wake(waker) {
                t.waker = waker.clone();
            }
        }
    }

    /// Whether a timer is still waiting to fire.
    pub(crate) fn is_pending(&self, key: Key) -> bool {
        self.timers.get(key).is_some()
    }

    /// Cancels a timer; its heap entry is skipped later.
    pub(crate) fn cancel_timer(&mut self, key: Key) {
        self.timers.remove(key);
    }

    /// The time of the earliest live event, discarding cancelled timers on top.
    #[inline(always)]
    pub(crate) fn peek_time(&mut self) -> Option<u64> {
        while let Some(ev) = self.heap.peek() {
            if let What::Timer(key) = ev.what {
                if self.timers.get(key).is_none() {
                    self.heap.pop();
                    continue;
                }
            }
            return Some(ev.time());
        }
        None
    }

    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Ev> {
        self.heap.pop()
    }

    /// Takes the earliest event (the queue is not empty): a timer is removed at
    /// once; a delivery is left in place for the caller to move its envelope
    /// out of (see [`Taken::Deliver`]).
    #[inline(always)]
    pub(crate) fn take_next(&mut self) -> Taken {
        let top = self.heap.top().expect("an event is queued");
        // SAFETY: `top` points to the heap's initialised top entry.
        match unsafe { &mut (*top).what } {
            What::Timer(key) => {
                let key = *key;
                // SAFETY: a key is `Copy`: copying it moved the entry's value
                // out (nothing in it needs dropping).
                unsafe { self.heap.remove_moved_top() };
                Taken::Timer(key)
            }
            What::Deliver(env) => Taken::Deliver(env),
        }
    }

    /// Removes the delivery [`Events::take_next`] left in place, once its
    /// envelope was moved out.
    ///
    /// # Safety
    ///
    /// As [`MinHeap::remove_moved_top`]: the envelope was moved out of the top
    /// entry, and the queue not changed since `take_next`.
    #[inline(always)]
    pub(crate) unsafe fn remove_moved_top(&mut self) {
        // SAFETY: the caller's promise.
        unsafe { self.heap.remove_moved_top() }
    }
}

impl State {
    /// Handles one event at the current time: `Dropped` gives a payload to drop
    /// once the state is no longer borrowed (a message that could not be
    /// delivered), `Run` a task to poll now.
    #[inline]
    pub(crate) fn handle_event(&mut self, ev: Ev) -> Next {
        debug_assert_eq!(ev.time(), self.now);
        let woken = match ev.what {
            What::Timer(key) => self.fire_timer(key),
            What::Deliver(env) => {
                let mut env = std::mem::ManuallyDrop::new(env);
                // SAFETY: `env` is moved out by `deliver` once, and not used after.
                unsafe { self.deliver(&mut *env) }
            }
        };
        match woken {
            Some(task) => Next::Run(task),
            None => match self.net.dropped.take() {
                Some(payload) => Next::Dropped(payload),
                None => Next::Handled,
            },
        }
    }

    /// Fires timer `key` now (nothing if it was cancelled); `Some`: the task
    /// it woke, to be polled at once.
    #[inline(always)]
    pub(crate) fn fire_timer(&mut self, key: Key) -> Option<crate::task::Woken> {
        let timer = self.events.timers.remove(key)?;
        self.stats.timers_fired += 1;
        self.rec.push(self.now, timer.node, Event::Timer { timer: timer.id });
        crate::task::wake_direct(&mut self.tasks, &mut self.ready, &self.nodes, &timer.waker)
    }
}
