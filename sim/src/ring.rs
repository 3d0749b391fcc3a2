//! A FIFO ring of `Copy` values with a power-of-two capacity.
//!
//! Head and tail are free-running counters masked on access, so pushing and
//! popping are a compare, a masked store or load and an increment: no wrap
//! arithmetic and no `Option` per slot (free slots hold stale copies).

/// A growable FIFO of `Copy` values.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    buf: Vec<T>,
    /// Counts pops (wrapping); the front is at `head & mask`.
    head: usize,
    /// Counts pushes (wrapping); the next slot is at `tail & mask`.
    tail: usize,
}

impl<T: Copy> Ring<T> {
    /// An empty ring; `fill` is the value free slots start with (never read).
    pub(crate) fn new(fill: T, capacity: usize) -> Ring<T> {
        Ring { buf: vec![fill; capacity.max(1).next_power_of_two()], head: 0, tail: 0 }
    }

    /// How many values are queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.tail.wrapping_sub(self.head)
    }

    #[inline]
    fn mask(&self) -> usize {
        self.buf.len() - 1
    }

    /// Appends a value at the back.
    #[inline]
    pub(crate) fn push_back(&mut self, value: T) {
        if self.len() == self.buf.len() {
            self.grow();
        }
        let i = self.tail & self.mask();
        self.buf[i] = value;
        self.tail = self.tail.wrapping_add(1);
    }

    /// Removes the value at the front.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.head == self.tail {
            return None;
        }
        let value = self.buf[self.head & self.mask()];
        self.head = self.head.wrapping_add(1);
        Some(value)
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
        let value = self.buf[at];
        self.buf[at] = self.buf[self.tail & mask];
        Some(value)
    }

    /// Doubles the capacity, keeping the order.
    #[cold]
    fn grow(&mut self) {
        let (len, mask) = (self.len(), self.mask());
        let mut buf = vec![self.buf[0]; self.buf.len() * 2];
        for (k, slot) in buf.iter_mut().take(len).enumerate() {
            *slot = self.buf[self.head.wrapping_add(k) & mask];
        }
        self.buf = buf;
        self.head = 0;
        self.tail = len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn behaves_like_a_deque() {
        let mut r = Ring::new(0u32, 1);
        let mut d = VecDeque::new();
        let mut x: u32 = 7;
        for step in 0..2000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            match x >> 29 {
                0..=3 => {
                    r.push_back(step);
                    d.push_back(step);
                }
                4..=5 => assert_eq!(r.pop_front(), d.pop_front()),
                _ => {
                    let i = (x as usize >> 3) % (d.len() + 1);
                    assert_eq!(r.swap_remove_back(i), d.swap_remove_back(i));
                }
            }
            assert_eq!(r.len(), d.len());
        }
    }
}
