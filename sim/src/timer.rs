//! The event queue: timers and message deliveries ordered by (time, sequence).
//!
//! One binary heap holds every future event. Ties in time are broken by a
//! sequence number taken when the event was scheduled, never by an address or a
//! hash, so the order is the same in every run of a seed. Timers live in a slab;
//! cancelling one frees its slot, and its heap entry is skipped when it surfaces.

use crate::heap::MinHeap;
use crate::runtime::{Next, State};
use crate::slab::{fresh_generation, Key, Slab};
use microsim_traces::{Event, NodeIx};
use std::cmp::Ordering;
use std::task::Waker;

#[derive(Clone, Copy, Debug)]
pub(crate) enum What {
    Timer(Key),
    Deliver(u32),
}

/// An event, ordered by (time, sequence): compared as the integer
/// `time << 64 | seq`, so the min-heap yields the earliest first with one wide
/// comparison. The halves are stored apart (alignment 8), so an entry is 24
/// bytes (`What` fits 8, a task key's generation being never zero).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ev {
    time: u64,
    seq: u64,
    what: What,
}

const _: () = assert!(std::mem::size_of::<Ev>() == 24, "an event entry is 24 bytes");

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

    #[inline]
    pub(crate) fn what(&self) -> What {
        self.what
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

    /// Schedules the delivery of in-flight message `flight` at `time`.
    #[inline(always)]
    pub(crate) fn schedule_delivery(&mut self, time: u64, flight: u32) {
        self.push(time, What::Deliver(flight));
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
            What::Deliver(flight) => self.deliver(flight),
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
