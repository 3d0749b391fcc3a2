//! A binary min-heap of small `Copy` entries, specialised for the event queue.
//!
//! `std::collections::BinaryHeap` is a max-heap whose `pop` sifts the moved
//! element to the bottom and back up (good for large heaps of expensive
//! comparisons). Events compare with one integer comparison and the queue is
//! usually small, so a plain sift with a hole (each entry moved once, the
//! moved-in entry written once at the end) does less work per operation.

/// A min-heap: `pop` yields the smallest entry.
#[derive(Debug)]
pub(crate) struct MinHeap<T> {
    v: Vec<T>,
}

impl<T> Default for MinHeap<T> {
    fn default() -> Self {
        MinHeap { v: Vec::new() }
    }
}

impl<T: Copy + Ord> MinHeap<T> {
    /// The smallest entry.
    #[inline]
    pub(crate) fn peek(&self) -> Option<&T> {
        self.v.first()
    }

    /// Adds an entry.
    #[inline(always)]
    pub(crate) fn push(&mut self, item: T) {
        let len = self.v.len();
        self.v.reserve(1);
        let v = self.v.as_mut_ptr();
        // SAFETY: there is room for `len + 1` entries; every index written is at
        // most `hole`, which starts at `len` and only decreases, and every index
        // read is a parent, below `hole`, so initialised. The entry at `len` is
        // written before the length covers it.
        unsafe {
            let mut hole = len;
            while hole > 0 {
                let parent = (hole - 1) / 2;
                if item >= *v.add(parent) {
                    break;
                }
                v.add(hole).write(*v.add(parent));
                hole = parent;
            }
            v.add(hole).write(item);
            self.v.set_len(len + 1);
        }
    }

    /// Removes and returns the smallest entry.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let v = self.v.as_mut_ptr();
        // SAFETY: every index read or written is checked below `n`, the length.
        unsafe {
            let top = *v;
            let mut hole = 0;
            loop {
                let mut child = 2 * hole + 1;
                if child >= n {
                    break;
                }
                if child + 1 < n && *v.add(child + 1) < *v.add(child) {
                    child += 1;
                }
                if last <= *v.add(child) {
                    break;
                }
                *v.add(hole) = *v.add(child);
                hole = child;
            }
            *v.add(hole) = last;
            Some(top)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order() {
        let mut h = MinHeap::default();
        let mut x: u64 = 12345;
        let mut all = Vec::new();
        for round in 0..50 {
            for _ in 0..(round % 7) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let k = x >> 54;
                h.push(k);
                all.push(k);
            }
            all.sort_unstable_by(|a, b| b.cmp(a));
            for _ in 0..(round % 5) {
                assert_eq!(h.pop(), all.pop());
                assert_eq!(h.peek().copied(), all.last().copied());
            }
        }
        while let Some(k) = all.pop() {
            assert_eq!(h.pop(), Some(k));
        }
        assert_eq!(h.pop(), None);
    }
}
