//! A slab with generation-checked keys: stable slots, reused without allocation.
//!
//! Tasks and timers live in slabs. A key names a slot and the generation
//! of its occupant, so a stale key (a waker of a dropped task, a timer that was
//! cancelled) finds nothing instead of the slot's next occupant. Generations
//! are never zero; a vacant slot has generation zero, so a lookup is one
//! generation comparison (no separate check that the slot is occupied).

use std::num::NonZeroU32;

/// A slot index and the generation of the value it was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    pub(crate) index: u32,
    pub(crate) generation: NonZeroU32,
}

impl Key {
    /// Packs the key into one word (index low, generation high).
    #[inline]
    pub(crate) fn to_u64(self) -> u64 {
        u64::from(self.index) | u64::from(self.generation.get()) << 32
    }

    /// Unpacks a key made by [`Key::to_u64`] (`None` for a word no key makes).
    #[inline]
    pub(crate) fn from_u64(word: u64) -> Option<Key> {
        Some(Key { index: word as u32, generation: NonZeroU32::new((word >> 32) as u32)? })
    }
}

/// Invariant: `value` is `Some` exactly when `generation` is not zero.
#[derive(Debug)]
struct Entry<T> {
    /// The occupant's generation, zero when vacant.
    generation: u32,
    /// When vacant, the next vacant slot of the free list (`NO_SLOT`: none).
    /// It sits beside the generation, where the value's alignment leaves room.
    next_free: u32,
    value: Option<T>,
}

/// The end of the free list.
const NO_SLOT: u32 = u32::MAX;

/// Values addressed by [`Key`]s.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// The vacant slot freed last (the free list runs through the vacant
    /// entries, last freed first: no second vector to allocate).
    free: u32,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { entries: Vec::new(), free: NO_SLOT, len: 0 }
    }
}

impl<T> Slab<T> {
    /// Stores a value; `generation` must differ from any earlier occupant's of
    /// the slot that a live key may still name (callers use a global counter).
    #[inline]
    pub(crate) fn insert(&mut self, generation: NonZeroU32, value: T) -> Key {
        self.len += 1;
        if self.free != NO_SLOT {
            let index = self.free;
            let e = &mut self.entries[index as usize];
            assert!(e.generation == 0 && e.value.is_none(), "free slot {index} is occupied");
            self.free = e.next_free;
            e.generation = generation.get();
            e.value = Some(value);
            return Key { index, generation };
        }
        let index = u32::try_from(self.entries.len()).ok().filter(|&i| i != NO_SLOT).expect("slab exceeds u32 slots");
        self.entries.push(Entry { generation: generation.get(), next_free: NO_SLOT, value: Some(value) });
        Key { index, generation }
    }

    /// The value under `key`, if it is still there.
    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        match self.entries.get(key.index as usize) {
            // SAFETY: the generations are equal, so not zero: the slot is occupied.
            Some(e) if e.generation == key.generation.get() => Some(unsafe { e.value.as_ref().unwrap_unchecked() }),
            _ => None,
        }
    }

    /// The value under `key`, mutably, if it is still there.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.index as usize) {
            // SAFETY: the generations are equal, so not zero: the slot is occupied.
            Some(e) if e.generation == key.generation.get() => Some(unsafe { e.value.as_mut().unwrap_unchecked() }),
            _ => None,
        }
    }

    /// Removes and returns the value under `key`, if it is still there.
    #[inline]
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let e = self.entries.get_mut(key.index as usize)?;
        if e.generation != key.generation.get() {
            return None;
        }
        // SAFETY: the generations are equal, so not zero: the slot is occupied.
        let value = unsafe { e.value.take().unwrap_unchecked() };
        e.generation = 0;
        e.next_free = self.free;
        self.free = key.index;
        self.len -= 1;
        Some(value)
    }

    /// How many values are stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The stored values with their keys, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            Some((Key { index: i as u32, generation: NonZeroU32::new(e.generation)? }, e.value.as_ref()?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacant_slots_are_reused_last_freed_first() {
        let mut s = Slab::default();
        let g = |n| NonZeroU32::new(n).unwrap();
        let keys: Vec<Key> = (1..=4).map(|n| s.insert(g(n), n)).collect();
        assert_eq!(s.remove(keys[1]), Some(2));
        assert_eq!(s.remove(keys[3]), Some(4));
        assert_eq!(s.remove(keys[0]), Some(1));
        let reused: Vec<u32> = (5..=8).map(|n| s.insert(g(n), n).index).collect();
        assert_eq!(reused, [0, 3, 1, 4], "last freed first, then a new slot");
        assert_eq!(s.len(), 5);
        assert_eq!(s.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [5, 7, 3, 6, 8]);
    }

    #[test]
    fn stale_keys_find_nothing() {
        let mut s = Slab::default();
        let a = s.insert(NonZeroU32::MIN, "a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert(NonZeroU32::new(2).unwrap(), "b");
        assert_eq!(a.index, b.index, "the slot is reused");
        assert_eq!(s.get(a), None);
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(b), Some(&"b"));
        assert_eq!(s.len(), 1);
        assert_eq!(Key::from_u64(b.to_u64()), Some(b));
        assert_eq!(Key::from_u64(7), None);
    }
}

thread_local! {
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A generation number not handed out on this thread recently (a counter shared
/// by every simulation on the thread, so a key from an earlier run never matches
/// an occupant of a later one until the counter wraps after 2^32 insertions).
#[inline]
pub(crate) fn fresh_generation() -> NonZeroU32 {
    GENERATION.with(|g| {
        let v = NonZeroU32::new(g.get().wrapping_add(1)).unwrap_or(NonZeroU32::MIN);
        g.set(v.get());
        v
    })
}
