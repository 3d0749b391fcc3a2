//! A socket's message queue: the oldest message in a slot of its own, the
//! others in a [`Ring`].
//!
//! A socket usually holds no message or one (it is read as soon as its
//! receiver runs), so the first message goes in the inline slot and the ring
//! allocates only when a second one waits behind it: most sockets never
//! allocate. Order is kept: the slot is used only while the ring is empty, so
//! whatever is in the slot is older than everything in the ring.

use crate::ring::Ring;

/// A FIFO whose first value is stored inline.
pub(crate) struct Mailbox<T> {
    first: Option<T>,
    rest: Ring<T>,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox { first: None, rest: Ring::with_capacity(0) }
    }
}

impl<T> Mailbox<T> {
    /// How many values are queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// Moves the value at `src` to the back, unless `capacity` values are
    /// queued already; whether it did (if not, `src` is left as it was).
    ///
    /// # Safety
    ///
    /// `src` points to an initialised value; when this returns `true`, it was
    /// moved out and is not used or dropped after (as `ptr::read`).
    #[inline(always)]
    pub(crate) unsafe fn push_back_from(&mut self, src: *const T, capacity: usize) -> bool {
        // The common case first: an empty queue (no length to work out).
        if self.first.is_none() && self.rest.len() == 0 {
            if capacity == 0 {
                return false;
            }
            // SAFETY: the caller's promise.
            self.first = Some(unsafe { std::ptr::read(src) });
        } else {
            if self.len() >= capacity {
                return false;
            }
            // SAFETY: the copy initialises the slot; the caller gives `src` up.
            unsafe { self.rest.push_back_in_place(|dst| std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), 1)) };
        }
        true
    }

    /// Appends a value at the back (with no capacity limit).
    #[cfg(test)]
    pub(crate) fn push_back(&mut self, value: T) {
        assert!(self.push_within(value, usize::MAX).is_none());
    }

    /// Appends `value` with room for `capacity` values; gives it back if refused.
    #[cfg(test)]
    fn push_within(&mut self, value: T, capacity: usize) -> Option<T> {
        let value = std::mem::ManuallyDrop::new(value);
        // SAFETY: `value` is moved out only when the push says so.
        let pushed = unsafe { self.push_back_from(&*value, capacity) };
        (!pushed).then(|| std::mem::ManuallyDrop::into_inner(value))
    }

    /// Removes the value at the front.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        match self.first.take() {
            Some(value) => Some(value),
            None => self.rest.pop_front(),
        }
    }

    /// Takes every value out, in order, leaving it empty.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> {
        let first = self.first.take();
        let rest = std::mem::replace(&mut self.rest, Ring::with_capacity(0));
        first.into_iter().chain(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::rc::Rc;

    #[test]
    fn keeps_the_order_of_a_deque() {
        let mut m = Mailbox::default();
        let mut d = VecDeque::new();
        let mut x: u32 = 11;
        for step in 0..3000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            if x >> 30 < 2 {
                m.push_back(step);
                d.push_back(step);
            } else {
                assert_eq!(m.pop_front(), d.pop_front());
            }
            assert_eq!(m.len(), d.len());
        }
        assert!(m.drain().eq(d));
        assert_eq!(m.len(), 0);
    }

    #[test]
    fn one_waiting_value_allocates_nothing_and_all_are_dropped_once() {
        let counted = Rc::new(());
        let mut m = Mailbox::default();
        m.push_back(counted.clone());
        assert_eq!(m.rest.len(), 0, "the first value waits inline");
        m.push_back(counted.clone());
        m.push_back(counted.clone());
        assert_eq!(m.pop_front().map(|_| ()), Some(()));
        m.push_back(counted.clone());
        assert_eq!(Rc::strong_count(&counted), 4);
        drop(m);
        assert_eq!(Rc::strong_count(&counted), 1);
    }

    #[test]
    fn a_full_queue_refuses_a_value_and_gives_it_back() {
        let mut m = Mailbox::default();
        assert_eq!(m.push_within(1, 0), Some(1), "no room at all");
        assert_eq!(m.len(), 0);
        for v in [1, 2, 3] {
            assert_eq!(m.push_within(v, 3), None);
        }
        assert_eq!(m.push_within(4, 3), Some(4), "three queued, room for three");
        // The inline slot is free but two values wait in the ring.
        assert_eq!(m.pop_front(), Some(1));
        assert_eq!(m.push_within(4, 2), Some(4), "two queued, room for two");
        assert_eq!(m.push_within(4, 3), None);
        assert!(m.drain().eq([2, 3, 4]));
    }
}
