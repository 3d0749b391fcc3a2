//! A binary min-heap specialised for the event queue.
//!
//! `std::collections::BinaryHeap` is a max-heap of values it swaps around.
//! Here an entry is 64 bytes, so both sifts move a hole instead: each entry on
//! the way is moved once, and the entry being placed is written once, at the
//! end. A pop takes the hole to the bottom, always moving the smaller child up
//! (chosen without a branch: with random event times it goes either way, and a
//! mispredicted branch per level is what made a deep queue slow), then the
//! last entry back up from there (it came from the bottom, so it seldom
//! climbs). Entries are moved bitwise (they need not be `Copy`: an event
//! carries its message), so `Ord` must not panic: a panic mid-sift would leave
//! a hole.
//! The top entry can be used in place and then removed ([`MinHeap::top`],
//! [`MinHeap::remove_moved_top`]), so that a large entry is not copied out
//! only to be copied again.

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

impl<T: Ord> MinHeap<T> {
    /// The smallest entry.
    #[inline]
    pub(crate) fn peek(&self) -> Option<&T> {
        self.v.first()
    }

    /// The smallest entry, for use in place: see [`MinHeap::remove_moved_top`].
    #[inline(always)]
    pub(crate) fn top(&mut self) -> Option<*mut T> {
        (!self.v.is_empty()).then_some(self.v.as_mut_ptr())
    }

    /// Removes the smallest entry, which the caller has moved out of the slot
    /// [`MinHeap::top`] gave (so it is not dropped here).
    ///
    /// # Safety
    ///
    /// The heap is not empty, its top was moved out (read with `ptr::read` or
    /// copied bitwise to its new owner), and the heap was not changed since.
    #[inline(always)]
    pub(crate) unsafe fn remove_moved_top(&mut self) {
        debug_assert!(!self.v.is_empty(), "a top to remove");
        let n = self.v.len() - 1;
        // SAFETY: the caller's promise: the top slot is a hole, `n` entries
        // remain after the last one is taken out below, at index `n`.
        unsafe {
            self.v.set_len(n);
            if n > 0 {
                self.sift_down_from_top(n);
            }
        }
    }

    /// Adds an entry.
    #[inline(always)]
    pub(crate) fn push(&mut self, item: T) {
        // SAFETY: the slot is written at once, before anything else runs.
        unsafe { self.push_slot(|parent| item < *parent).write(item) }
    }

    /// Makes room for a new entry, which `goes_before` compares with the
    /// entries already queued (it must agree with `Ord` and not panic), and
    /// returns its slot, so that the entry is written there directly rather
    /// than built elsewhere and copied in.
    ///
    /// # Safety
    ///
    /// The caller writes the slot at once, before using the heap again (the
    /// length already counts it).
    #[inline(always)]
    pub(crate) unsafe fn push_slot(&mut self, goes_before: impl Fn(&T) -> bool) -> *mut T {
        let len = self.v.len();
        if len == self.v.capacity() {
            self.grow();
        }
        let v = self.v.as_mut_ptr();
        // SAFETY: there is room for `len + 1` entries; every index written is at
        // most `hole`, which starts at `len` and only decreases, and every index
        // read is a parent, below `hole`, so initialised. Each parent moved down
        // leaves its slot a hole (its bits live on in the child's slot), filled
        // by the next move or by the caller.
        unsafe {
            let mut hole = len;
            while hole > 0 {
                let parent = (hole - 1) / 2;
                if !goes_before(&*v.add(parent)) {
                    break;
                }
                std::ptr::copy_nonoverlapping(v.add(parent), v.add(hole), 1);
                hole = parent;
            }
            self.v.set_len(len + 1);
            v.add(hole)
        }
    }

    #[cold]
    fn grow(&mut self) {
        self.v.reserve(self.v.capacity().max(4));
    }

    /// Removes and returns the smallest entry.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.v.is_empty() {
            return None;
        }
        let n = self.v.len() - 1;
        // SAFETY: the top is read out (its slot becomes the hole), then the
        // last entry, left in place past the new length, is sifted into it.
        unsafe {
            let top = std::ptr::read(self.v.as_ptr());
            self.v.set_len(n);
            if n > 0 {
                self.sift_down_from_top(n);
            }
            Some(top)
        }
    }

    /// Fills the hole at the top with the entry at index `n` (the length, so
    /// just past the vector's end): the hole goes down to a leaf, the smaller
    /// child moving up at each level, then up again while the entry is smaller
    /// than the hole's parent. The entry stays in its slot while it is compared
    /// (no slot the sift writes is at or past `n`) and is copied once, into the
    /// final hole, so a large entry is not carried through registers and the
    /// stack.
    ///
    /// # Safety
    ///
    /// Slot 0 is a hole (its value moved out), slots `1..=n` are initialised
    /// and `n` is the vector's length (slot `n` is owned by the caller and
    /// given up here).
    #[inline(always)]
    unsafe fn sift_down_from_top(&mut self, n: usize) {
        let v = self.v.as_mut_ptr();
        // SAFETY: every index read or written below `n` is checked, slot `n`
        // is within the capacity and initialised (the caller's promise), and
        // the sift writes only holes below `n`; each entry moved (a child up,
        // then a parent down) leaves its slot the hole, and the last entry
        // fills the final one: every entry is owned exactly once.
        unsafe {
            let last = &*v.add(n);
            let mut hole = 0;
            // Down to a leaf, always moving the smaller child up (the last
            // entry came from the bottom, so it belongs near there) ...
            loop {
                let mut child = 2 * hole + 1;
                if child >= n {
                    break;
                }
                if child + 1 < n {
                    child += usize::from(*v.add(child + 1) < *v.add(child));
                }
                std::ptr::copy_nonoverlapping(v.add(child), v.add(hole), 1);
                hole = child;
            }
            // ... then back up to where it goes.
            while hole > 0 {
                let parent = (hole - 1) / 2;
                if *v.add(parent) <= *last {
                    break;
                }
                std::ptr::copy_nonoverlapping(v.add(parent), v.add(hole), 1);
                hole = parent;
            }
            std::ptr::copy_nonoverlapping(v.add(n), v.add(hole), 1);
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

    #[test]
    fn a_deep_heap_pops_in_order_while_it_grows_and_shrinks() {
        // Random keys with many ties: two pushes and one pop in every three
        // rounds (the heap grows to 1,334 entries, 11 levels), then one pop
        // every round as well (it shrinks).
        let (mut h, mut all, mut most) = (MinHeap::default(), std::collections::BinaryHeap::new(), 0);
        let mut x: u64 = 99;
        for round in 0..6_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if round % 3 != 2 {
                h.push(x >> 53);
                all.push(std::cmp::Reverse(x >> 53));
            }
            most = most.max(h.v.len());
            if round >= 4_000 || round % 3 == 0 {
                assert_eq!(h.pop(), all.pop().map(|r| r.0), "round {round}");
            }
            assert_eq!(h.peek().copied(), all.peek().map(|r| r.0));
        }
        assert_eq!((most, h.v.len()), (1_334, all.len()));
    }

    #[test]
    fn owned_entries_are_moved_not_copied() {
        // Entries with destructors: each is dropped exactly once, by whoever
        // ends up owning it (the caller of `pop`, or the heap when dropped).
        let token = std::rc::Rc::new(());
        let mut h = MinHeap::default();
        for k in [5u64, 3, 9, 1, 7, 3, 8, 2, 6, 4] {
            h.push((k, token.clone()));
        }
        assert_eq!(std::rc::Rc::strong_count(&token), 11);
        let firsts: Vec<u64> = (0..4).map(|_| h.pop().expect("queued").0).collect();
        assert_eq!(firsts, [1, 2, 3, 3]);
        assert_eq!(std::rc::Rc::strong_count(&token), 7);
        // The top used in place, then removed.
        let top = h.top().expect("queued");
        // SAFETY: the top is moved out once, then removed without a change between.
        let (k, t) = unsafe { std::ptr::read(top) };
        unsafe { h.remove_moved_top() };
        assert_eq!(k, 4);
        drop(t);
        assert_eq!(std::rc::Rc::strong_count(&token), 6);
        assert_eq!(h.pop().map(|e| e.0), Some(5));
        drop(h);
        assert_eq!(std::rc::Rc::strong_count(&token), 1);
    }
}
