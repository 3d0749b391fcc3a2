//! A FIFO ring buffer with a power-of-two capacity.
//!
//! Head and tail are free-running counters masked on access, so pushing and
//! popping are a compare, a masked store or load and an increment: no wrap
//! arithmetic and no `Option` per slot. It serves the ready queue and the
//! sockets' message queues.

use std::mem::MaybeUninit;

/// A growable FIFO.
///
/// Invariant: the slots at `(head + k) & mask` for `k` in `0..len()` hold
/// initialised values; every other slot is uninitialised.
pub(crate) struct Ring<T> {
    /// Empty or a power of two long.
    buf: Box<[MaybeUninit<T>]>,
    /// Counts pops (wrapping); the front is at `head & mask`.
    head: usize,
    /// Counts pushes (wrapping); the next free slot is at `tail & mask`.
    tail: usize,
}

impl<T> Ring<T> {
    /// An empty ring with room for `capacity` values (rounded up to a power of
    /// two; zero allocates nothing until the first push).
    pub(crate) fn with_capacity(capacity: usize) -> Ring<T> {
        let cap = if capacity == 0 { 0 } else { capacity.next_power_of_two() };
        Ring { buf: Box::new_uninit_slice(cap), head: 0, tail: 0 }
    }

    /// How many values are queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.tail.wrapping_sub(self.head)
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buf.len().wrapping_sub(1)
    }

    /// Appends a value at the back.
    #[inline(always)]
    pub(crate) fn push_back(&mut self, value: T) {
        if self.len() == self.buf.len() {
            self.grow();
        }
        let i = self.tail & self.mask();
        // SAFETY: the buffer is not empty (it just grew if it was full), and a
        // value masked by `len - 1` of a power of two is below `len`.
        unsafe { self.buf.get_unchecked_mut(i) }.write(value);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Appends a value at the back, written in place by `init`.
    ///
    /// # Safety
    ///
    /// `init` must initialise the slot it is given, unless it panics (then
    /// nothing is appended).
    #[inline(always)]
    pub(crate) unsafe fn push_back_in_place(&mut self, init: impl FnOnce(&mut MaybeUninit<T>)) {
        if self.len() == self.buf.len() {
            self.grow();
        }
        let i = self.tail & self.mask();
        // SAFETY: as in `push_back`; the slot is outside the queued range until
        // `tail` moves, which happens only once `init` initialised it (the
        // caller's promise).
        init(unsafe { self.buf.get_unchecked_mut(i) });
        self.tail = self.tail.wrapping_add(1);
    }

    /// Removes the value at the front.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.head == self.tail {
            return None;
        }
        let i = self.head & self.mask();
        self.head = self.head.wrapping_add(1);
        // SAFETY: the ring was not empty, so the buffer is not empty and `i`
        // (masked by `len - 1` of a power of two) is in bounds; the front slot
        // was initialised and is outside the queued range now, so it is read
        // only once.
        Some(unsafe { self.buf.get_unchecked(i).assume_init_read() })
    }

    /// Removes the value `i` places from the front, putting the back value in
    /// its place (as `VecDeque::swap_remove_back`).
    pub(crate) fn swap_remove_back(&mut self, i: usize) -> Option<T> {
        if i >= self.len() {
            return None;
        }
        let mask = self.mask();
        let at = self.head.wrapping_add(i) & mask;
        self.tail = self.tail.wrapping_sub(1);
        let back = self.tail & mask;
        // SAFETY: `at` and `back` are in the queued range (`i < len`); the value
        // at `at` is read out, then the back value (now outside the range) is
        // moved into its slot (a no-op when they are the same slot).
        unsafe {
            let value = self.buf[at].assume_init_read();
            if at != back {
                let moved = self.buf[back].assume_init_read();
                self.buf[at].write(moved);
            }
            Some(value)
        }
    }

    /// Doubles the capacity (at least 4), keeping the order.
    #[cold]
    fn grow(&mut self) {
        let len = self.len();
        let mut buf = Box::new_uninit_slice((self.buf.len() * 2).max(4));
        for slot in buf.iter_mut().take(len) {
            let value = self.pop_front().expect("len values are queued");
            slot.write(value);
        }
        self.buf = buf;
        self.head = 0;
        self.tail = len;
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        while self.pop_front().is_some() {}
    }
}

impl<T> Iterator for Ring<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::rc::Rc;

    #[test]
    fn behaves_like_a_deque() {
        let mut r = Ring::with_capacity(0);
        let mut d = VecDeque::new();
        let mut x: u32 = 7;
        for step in 0..3000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            match x >> 29 {
                0..=3 => {
                    r.push_back(step.to_string());
                    d.push_back(step.to_string());
                }
                4..=5 => assert_eq!(r.pop_front(), d.pop_front()),
                _ => {
                    let i = (x as usize >> 3) % (d.len() + 1);
                    assert_eq!(r.swap_remove_back(i), d.swap_remove_back(i));
                }
            }
            assert_eq!(r.len(), d.len());
        }
        assert!(r.eq(d));
    }

    #[test]
    fn drops_what_it_holds() {
        let counted = Rc::new(());
        let mut r = Ring::with_capacity(2);
        for _ in 0..5 {
            r.push_back(counted.clone());
        }
        drop(r.pop_front());
        assert_eq!(Rc::strong_count(&counted), 5);
        drop(r);
        assert_eq!(Rc::strong_count(&counted), 1);
    }
}
