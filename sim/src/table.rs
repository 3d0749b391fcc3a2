//! A table of values addressed by plain `u32` indices, with an embedded free list.
//!
//! Unlike [`crate::slab::Slab`] there is no generation check: it is for values
//! named by exactly one owner that removes them exactly once (an in-flight
//! message is named only by its delivery event), so no stale index can exist.
//! Free slots link to each other in place, so inserting and removing touch one
//! slot and one head index, and never a second vector.

use std::mem::MaybeUninit;
use std::ptr;

const NONE: u32 = u32::MAX;

enum Slot<T> {
    Full(T),
    Free(u32),
}

/// Values addressed by the index [`Table::insert`] returned.
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    /// The first free slot (`NONE` when every slot is full).
    free: u32,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { slots: Vec::new(), free: NONE }
    }
}

impl<T> Table<T> {
    /// Stores a value and returns its index.
    #[inline(always)]
    pub(crate) fn insert(&mut self, value: T) -> u32 {
        self.insert_with(|| value)
    }

    /// Stores the value `make` returns (made once its slot is chosen, so that it
    /// is written straight into it) and returns its index.
    #[inline(always)]
    pub(crate) fn insert_with(&mut self, make: impl FnOnce() -> T) -> u32 {
        let index = self.free;
        if let Some(slot) = self.slots.get_mut(index as usize) {
            let Slot::Free(next) = *slot else { unreachable!("the free list names a full slot") };
            self.free = next;
            *slot = Slot::Full(make());
            return index;
        }
        self.push_new(make())
    }

    #[cold]
    fn push_new(&mut self, value: T) -> u32 {
        let index = u32::try_from(self.slots.len()).ok().filter(|&i| i != NONE).expect("table exceeds u32 slots");
        self.slots.push(Slot::Full(value));
        index
    }

    /// The value at `index`; panics if there is none.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> &T {
        match &self.slots[index as usize] {
            Slot::Full(value) => value,
            Slot::Free(_) => panic!("table slot {index} is empty"),
        }
    }

    /// Moves the value at `index` into `dst` (which it initialises) and frees
    /// its slot, copying it once; panics if there is none (as `remove`).
    #[inline(always)]
    pub(crate) fn remove_into(&mut self, index: u32, dst: &mut MaybeUninit<T>) {
        let free = self.free;
        let slot = &mut self.slots[index as usize];
        let Slot::Full(value) = slot else { panic!("table slot {index} is empty") };
        // SAFETY: the value is copied bitwise into `dst`, then its slot is
        // overwritten (without dropping the value) by a free slot: `dst` is its
        // only owner. `value` and `dst` do not overlap (`dst` is a `&mut`).
        unsafe {
            ptr::copy_nonoverlapping(value as *const T, dst.as_mut_ptr(), 1);
            ptr::write(slot, Slot::Free(free));
        }
        self.free = index;
    }

    /// Removes and returns the value at `index`; panics if there is none (the
    /// single owner of an index removes it once).
    #[inline]
    pub(crate) fn remove(&mut self, index: u32) -> T {
        let slot = &mut self.slots[index as usize];
        assert!(matches!(slot, Slot::Full(_)), "table slot {index} is empty");
        match std::mem::replace(slot, Slot::Free(self.free)) {
            Slot::Full(value) => {
                self.free = index;
                value
            }
            Slot::Free(_) => unreachable!(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_last_freed_first() {
        let mut t = Table::default();
        let a = t.insert("a");
        let b = t.insert("b");
        let c = t.insert("c");
        assert_eq!(t.remove(b), "b");
        assert_eq!(t.remove(a), "a");
        assert_eq!(t.insert("d"), a);
        assert_eq!(t.insert("e"), b);
        assert_eq!(t.insert("f"), 3);
        assert_eq!(t.remove(c), "c");
        assert_eq!(t.remove(a), "d");
    }
}
