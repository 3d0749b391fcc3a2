//! A type-erased message that is stored inline when small: the network's cargo.
//!
//! Every message in flight is a [`Payload`]. Values of up to 16 bytes (with an
//! alignment of at most 8) live inside the payload itself, so sending a `u64`, an
//! enum of small fields or an `Rc` costs no allocation; larger values are boxed.
//! The payload remembers the type's identity, how to drop, clone and render it,
//! in a `'static` table made once per type at compile time.
//!
//! A [`PayloadLog`] keeps clones of payloads back to back in one byte buffer,
//! each as a one-byte type index and the value's own bytes: the sent messages
//! that a full trace renders only if it is read.

use std::any::TypeId;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::ptr;

/// What the network can carry: any `'static` value that can be cloned (for
/// duplicated deliveries) and rendered (for traces, through `Debug`).
pub trait Message: Clone + fmt::Debug + 'static {}

impl<T: Clone + fmt::Debug + 'static> Message for T {}

type Inline = [usize; 2];

/// A payload's buffer: the words of an `Inline`, each possibly uninitialised
/// (as separate words, a payload is taken apart into them and put together
/// again without a transmute).
type Words = [MaybeUninit<usize>; 2];

struct VTable {
    type_id: fn() -> TypeId,
    type_name: fn() -> &'static str,
    inline: bool,
    /// The bytes of the buffer that hold the value: its size, or a box pointer's.
    size: usize,
    /// Whether dropping the payload does anything (it frees a box, or `T` has drop glue).
    needs_drop: bool,
    drop: unsafe fn(*mut u8),
    clone: unsafe fn(*const u8) -> Payload,
    render: unsafe fn(*const u8, &mut fmt::Formatter<'_>) -> fmt::Result,
}

struct VTableOf<T>(T);

impl<T: Message> VTableOf<T> {
    const INLINE: bool =
        mem::size_of::<T>() <= mem::size_of::<Inline>() && mem::align_of::<T>() <= mem::align_of::<Inline>();

    const TABLE: &'static VTable = &VTable {
        type_id: TypeId::of::<T>,
        type_name: std::any::type_name::<T>,
        inline: Self::INLINE,
        size: if Self::INLINE { mem::size_of::<T>() } else { mem::size_of::<*mut T>() },
        needs_drop: !Self::INLINE || mem::needs_drop::<T>(),
        drop: Self::drop,
        clone: Self::clone,
        render: Self::render,
    };

    /// The value's address: inside the buffer, or the box pointer stored there.
    ///
    /// SAFETY: `data` points to a payload buffer that holds a `T` made by `Payload::new`.
    unsafe fn value(data: *const u8) -> *const T {
        if Self::INLINE {
            data.cast::<T>()
        } else {
            // SAFETY: a boxed payload stores its `*mut T` at the start of the buffer.
            unsafe { data.cast::<*const T>().read() }
        }
    }

    unsafe fn drop(data: *mut u8) {
        if Self::INLINE {
            // SAFETY: the buffer holds a live, properly aligned `T`.
            unsafe { ptr::drop_in_place(data.cast::<T>()) }
        } else {
            // SAFETY: the buffer holds a pointer from `Box::into_raw`.
            unsafe { drop(Box::from_raw(data.cast::<*mut T>().read())) }
        }
    }

    unsafe fn clone(data: *const u8) -> Payload {
        // SAFETY: the buffer holds a live `T`.
        Payload::new(unsafe { (*Self::value(data)).clone() })
    }

    unsafe fn render(data: *const u8, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: the buffer holds a live `T`.
        fmt::Debug::fmt(unsafe { &*Self::value(data) }, f)
    }
}

/// The type of a payload's value, cheap to compare.
#[derive(Clone, Copy)]
pub(crate) struct PayloadType(&'static VTable);

impl PayloadType {
    #[inline]
    pub(crate) fn of<T: Message>() -> PayloadType {
        PayloadType(VTableOf::<T>::TABLE)
    }

    /// Whether dropping a payload of this type runs any code (see
    /// [`Payload::needs_drop`]).
    #[inline(always)]
    pub(crate) fn needs_drop(self) -> bool {
        self.0.needs_drop
    }
}

/// A message of any [`Message`] type, inline when it is small.
///
/// It is neither `Send` nor `Sync`, as the message types need not be:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(microsim::Payload::new(std::rc::Rc::new(1)));
/// ```
pub struct Payload {
    table: &'static VTable,
    data: Words,
    _not_send: PhantomData<*const ()>,
}

impl Payload {
    /// Wraps a value.
    #[inline]
    pub fn new<T: Message>(value: T) -> Payload {
        let mut data: Words = [MaybeUninit::uninit(); 2];
        if VTableOf::<T>::INLINE {
            // SAFETY: `T` fits the buffer in size and alignment (checked by INLINE).
            unsafe { data.as_mut_ptr().cast::<T>().write(value) }
        } else {
            let boxed = Box::into_raw(Box::new(value));
            // SAFETY: the buffer has room for one pointer.
            unsafe { data.as_mut_ptr().cast::<*mut T>().write(boxed) }
        }
        Payload { table: VTableOf::<T>::TABLE, data, _not_send: PhantomData }
    }

    /// Whether the value is a `T`.
    #[inline]
    pub fn is<T: Message>(&self) -> bool {
        self.same_type(PayloadType::of::<T>())
    }

    /// Whether the value's type is `ty`: a pointer comparison in the common
    /// case, a `TypeId` comparison when the compiler duplicated the type's table.
    #[inline]
    pub(crate) fn same_type(&self, ty: PayloadType) -> bool {
        ptr::eq(self.table, ty.0) || (self.table.type_id)() == (ty.0.type_id)()
    }

    /// The name of the value's type.
    pub fn type_name(&self) -> &'static str {
        (self.table.type_name)()
    }

    /// Whether the value is stored inline (no allocation).
    pub fn is_inline(&self) -> bool {
        self.table.inline
    }

    /// Takes the value out if it is a `T`, or gives the payload back.
    #[inline]
    pub fn downcast<T: Message>(self) -> Result<T, Payload> {
        if !self.is::<T>() {
            return Err(self);
        }
        // SAFETY: just checked.
        Ok(unsafe { self.downcast_unchecked() })
    }

    /// Takes the value out, knowing it is a `T`.
    ///
    /// # Safety
    ///
    /// The value must be a `T` (`self.is::<T>()`).
    #[inline]
    pub(crate) unsafe fn downcast_unchecked<T: Message>(self) -> T {
        debug_assert!(self.is::<T>(), "downcast_unchecked to the wrong type");
        let this = mem::ManuallyDrop::new(self);
        let data = this.data.as_ptr().cast::<u8>();
        if VTableOf::<T>::INLINE {
            // SAFETY: the type matches (the caller's promise) and the value is
            // inline; `this` is not dropped.
            unsafe { data.cast::<T>().read() }
        } else {
            // SAFETY: the type matches and the buffer holds the box pointer.
            *unsafe { Box::from_raw(data.cast::<*mut T>().read()) }
        }
    }
}

/// A payload taken apart into its words (see [`Payload::into_parts`]).
pub(crate) type PayloadParts = (PayloadType, MaybeUninit<usize>, MaybeUninit<usize>);

impl Payload {
    /// Takes the payload apart into its words. A `Payload` (three words) passed
    /// by value to a function that is not inlined goes through memory: the
    /// caller stores it word by word, and a copy that then loads it with wider
    /// loads waits for those stores (they cannot be forwarded). Passed as
    /// three words, it can stay in registers.
    #[inline(always)]
    pub(crate) fn into_parts(self) -> PayloadParts {
        let this = mem::ManuallyDrop::new(self);
        let [a, b] = this.data;
        (PayloadType(this.table), a, b)
    }

    /// Puts a payload taken apart by [`Payload::into_parts`] back together.
    #[inline(always)]
    pub(crate) fn from_parts((PayloadType(table), a, b): PayloadParts) -> Payload {
        Payload { table, data: [a, b], _not_send: PhantomData }
    }

    /// Writes a payload taken apart by [`Payload::into_parts`] to `dst`, word
    /// by word, each word from where it is (a register): built whole, a
    /// payload is put together in memory first and copied with wider loads
    /// than its words were stored with, which the processor cannot forward
    /// from its store buffer.
    ///
    /// # Safety
    ///
    /// `dst` is valid for writes; whatever it held is overwritten, not dropped.
    #[inline(always)]
    pub(crate) unsafe fn write_parts(dst: *mut Payload, (PayloadType(table), a, b): PayloadParts) {
        // SAFETY: the caller's promise; the fields are written in place.
        unsafe {
            ptr::addr_of_mut!((*dst).table).write(table);
            let data = ptr::addr_of_mut!((*dst).data).cast::<MaybeUninit<usize>>();
            data.write(a);
            data.add(1).write(b);
        }
    }

    /// Whether dropping the payload runs any code (it frees a box, or the
    /// value's type has drop glue).
    #[inline(always)]
    pub(crate) fn needs_drop(&self) -> bool {
        self.table.needs_drop
    }
}

impl Clone for Payload {
    fn clone(&self) -> Payload {
        // SAFETY: `data` holds a live value of the table's type.
        unsafe { (self.table.clone)(self.data.as_ptr().cast()) }
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        // SAFETY: `data` holds a live value of the table's type, dropped only here.
        unsafe { (self.table.drop)(self.data.as_mut_ptr().cast()) }
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: `data` holds a live value of the table's type.
        unsafe { (self.table.render)(self.data.as_ptr().cast(), f) }
    }
}

/// Copies a payload buffer word by word (to `dst`, unaligned). The buffer is
/// usually written a moment before (by `Payload::new`, one word for a small
/// value); a load of all of it at once would span that store and the bytes
/// around it, which the processor cannot forward from its store buffer, and
/// wait for the store to reach the cache. Word loads are each served by one
/// store. They are volatile so that the compiler does not merge them.
///
/// # Safety
///
/// `dst` is valid for writing a buffer's bytes.
#[inline(always)]
unsafe fn copy_words(src: &Words, dst: *mut Words) {
    let (s, d) = (ptr::from_ref(src).cast::<MaybeUninit<usize>>(), dst.cast::<MaybeUninit<usize>>());
    for i in 0..mem::size_of::<Inline>() / mem::size_of::<usize>() {
        // SAFETY: both are valid for the buffer's words (`dst` by the caller's
        // promise); `MaybeUninit` words may hold uninitialised bytes.
        unsafe { d.add(i).write_unaligned(s.add(i).read_volatile()) };
    }
}

/// Clones of payloads, kept back to back to be taken out in order.
///
/// Each entry is a type index (one byte; or 255 and a 4-byte index, past 255
/// types) and the first `size` bytes of a payload buffer (the value, or its box
/// pointer): 9 bytes for a `u64` where a `Payload` takes 24. Entries are kept in
/// chunks that never move (growing touches only new memory; no entry straddles
/// two chunks).
#[derive(Default)]
pub(crate) struct PayloadLog {
    /// The chunks before the last.
    full: Vec<Vec<MaybeUninit<u8>>>,
    /// The chunk entries are added to.
    last: Vec<MaybeUninit<u8>>,
    /// Where the next entry to take out starts: a chunk (an index into `full`,
    /// or `full.len()` for `last`) and a byte in it.
    read: (usize, usize),
    /// The types of the entries, by index.
    types: Vec<&'static VTable>,
    /// Whether any entry's type needs dropping.
    needs_drop: bool,
    _not_send: PhantomData<*const ()>,
}

/// The type index that says a 4-byte index follows.
const WIDE_INDEX: u8 = u8::MAX;
/// The bytes of the first chunk, and of the largest.
const FIRST_CHUNK: usize = 2 << 10;
const MAX_CHUNK: usize = 256 << 10;

impl PayloadLog {
    /// Moves `payload` into the log: its index byte(s), then the bytes its buffer
    /// holds (the value, or the box pointer). Runs no code of the value's type,
    /// so it may be called while the simulation state is borrowed.
    #[inline]
    pub(crate) fn push(&mut self, payload: Payload) {
        let payload = mem::ManuallyDrop::new(payload);
        // SAFETY: `payload` is not dropped: the log takes its value over.
        unsafe { self.push_bytes(&payload) }
    }

    /// Pushes a bitwise snapshot of `payload`, which stays with the caller: for
    /// a value stored inline whose type has no drop glue (`!needs_drop`), the
    /// trace's copy of a sent message. The log only ever renders it (through
    /// `Debug`, by shared reference) and dropping it does nothing, so no
    /// `Clone` has to run, nor a copy be made and moved around first.
    #[inline]
    pub(crate) fn push_snapshot(&mut self, payload: &Payload) {
        assert!(!payload.needs_drop(), "a snapshot is of a payload that needs no dropping");
        // SAFETY: the value has no drop glue and is stored inline: the bytes
        // are a second, never-dropped copy, read only by `render`.
        unsafe { self.push_bytes(payload) }
    }

    /// Copies the index byte(s) of `payload`'s type and the bytes its buffer
    /// holds (the value, or the box pointer) into the log.
    ///
    /// # Safety
    ///
    /// The log becomes an owner of the value: the caller forgets `payload`, or
    /// its value needs no dropping (see `push_snapshot`).
    #[inline(always)]
    unsafe fn push_bytes(&mut self, payload: &Payload) {
        let table = payload.table;
        let ix = match self.types.iter().position(|&t| ptr::eq(t, table)) {
            Some(ix) => ix,
            None => self.add_type(table),
        };
        let head = if ix < usize::from(WIDE_INDEX) { 1 } else { 5 };
        let need = head + table.size;
        // Room for the whole buffer is asked for, so that it is copied with a
        // fixed size (a couple of moves, no call); only `need` bytes are kept.
        let room = head + mem::size_of::<Inline>();
        if self.last.capacity() - self.last.len() < room {
            self.next_chunk(room);
        }
        let len = self.last.len();
        // SAFETY: the chunk has room for `need` more bytes after `len` (checked above).
        let dst = unsafe { self.last.as_mut_ptr().add(len) }.cast::<u8>();
        // SAFETY: the `head` bytes at `dst` are in the allocation (see above).
        unsafe {
            if head == 1 {
                dst.write(ix as u8);
            } else {
                dst.write(WIDE_INDEX);
                dst.add(1).cast::<[u8; 4]>().write_unaligned((ix as u32).to_le_bytes());
            }
        }
        // SAFETY: the buffer's bytes after the index are in the allocation (room
        // was made for all of them) and not aliased; copying possibly
        // uninitialised bytes into `MaybeUninit<u8>`s is sound. The first `size`
        // of them take over the value (or box), as the caller promised; the
        // rest are past the new length, free space that the next entry
        // overwrites.
        unsafe { copy_words(&payload.data, dst.add(head).cast::<Words>()) };
        // SAFETY: the new length is within the capacity, and bytes of type
        // `MaybeUninit<u8>` need no initialisation (these were all written).
        unsafe { self.last.set_len(len + need) };
    }

    /// Pushes a clone of `payload` (tests).
    #[cfg(test)]
    pub(crate) fn push_clone(&mut self, payload: &Payload) {
        self.push(payload.clone());
    }

    #[cold]
    fn add_type(&mut self, table: &'static VTable) -> usize {
        assert!(self.types.len() < u32::MAX as usize, "more than 2^32 message types");
        self.types.push(table);
        self.needs_drop |= table.needs_drop;
        self.types.len() - 1
    }

    /// Starts a chunk with room for at least `need` bytes.
    #[cold]
    #[inline(never)]
    fn next_chunk(&mut self, need: usize) {
        let capacity = (2 * self.last.capacity()).clamp(FIRST_CHUNK, MAX_CHUNK).max(need);
        let full = mem::replace(&mut self.last, Vec::with_capacity(capacity));
        if !full.is_empty() {
            self.full.push(full);
        }
    }

    /// The bytes the entries take.
    #[cfg(test)]
    fn byte_len(&self) -> usize {
        self.full.iter().map(Vec::len).sum::<usize>() + self.last.len()
    }

    /// Takes out the oldest entry not yet taken.
    pub(crate) fn pop_front(&mut self) -> Option<Payload> {
        let (chunk, at) = loop {
            let (chunk, at) = self.read;
            let bytes = if chunk < self.full.len() { &self.full[chunk] } else { &self.last };
            if at < bytes.len() {
                break (bytes, at);
            }
            if chunk >= self.full.len() {
                return None;
            }
            self.read = (chunk + 1, 0);
        };
        // SAFETY: every index byte was written by `push`.
        let tag = unsafe { chunk[at].assume_init() };
        let (ix, head) = if tag != WIDE_INDEX {
            (usize::from(tag), 1)
        } else {
            let mut wide = [0u8; 4];
            for (i, b) in wide.iter_mut().enumerate() {
                // SAFETY: `push` wrote 4 index bytes after a `WIDE_INDEX`.
                *b = unsafe { chunk[at + 1 + i].assume_init() };
            }
            (u32::from_le_bytes(wide) as usize, 5)
        };
        let table = self.types[ix];
        let value = &chunk[at + head..at + head + table.size];
        let mut data: Words = [MaybeUninit::uninit(); 2];
        // SAFETY: `value` is `size` bytes, at most the buffer's size; the copy
        // moves the value (or box pointer) written by `push` into a
        // buffer laid out as `Payload::new` lays it out.
        unsafe { ptr::copy_nonoverlapping(value.as_ptr(), data.as_mut_ptr().cast(), table.size) };
        self.read.1 = at + head + table.size;
        Some(Payload { table, data, _not_send: PhantomData })
    }
}

impl Drop for PayloadLog {
    fn drop(&mut self) {
        if self.needs_drop {
            while self.pop_front().is_some() {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[derive(Clone, Debug)]
    struct Counted(Rc<Cell<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn small_values_are_inline_and_round_trip() {
        let p = Payload::new(41u64);
        assert!(p.is_inline());
        assert!(p.is::<u64>() && !p.is::<u32>() && !p.is::<i64>());
        assert_eq!(format!("{p:?}"), "41");
        assert_eq!(p.downcast::<u64>().unwrap(), 41);
    }

    #[test]
    fn large_values_are_boxed_and_round_trip() {
        let v = [7u64; 8];
        let p = Payload::new(v);
        assert!(!p.is_inline());
        let q = p.clone();
        assert_eq!(p.downcast::<[u64; 8]>().unwrap(), v);
        assert_eq!(q.downcast::<[u64; 8]>().unwrap(), v);
    }

    #[test]
    fn wrong_type_gives_the_payload_back() {
        let p = Payload::new(String::from("hi"));
        let p = p.downcast::<u64>().unwrap_err();
        assert_eq!(p.type_name(), "alloc::string::String");
        assert_eq!(p.downcast::<String>().unwrap(), "hi");
    }

    #[test]
    fn every_value_is_dropped_exactly_once() {
        let drops = Rc::new(Cell::new(0));
        let small = Payload::new(Counted(drops.clone()));
        let big = Payload::new((Counted(drops.clone()), [0u64; 4]));
        assert!(small.is_inline() && !big.is_inline());
        let small2 = small.clone();
        drop(small);
        drop(big);
        assert_eq!(drops.get(), 2);
        let v = small2.downcast::<Counted>().unwrap();
        assert_eq!(drops.get(), 2);
        drop(v);
        assert_eq!(drops.get(), 3);
    }

    /// Every payload of `log`, taken out and rendered.
    fn rendered(log: &mut PayloadLog) -> Vec<String> {
        std::iter::from_fn(|| log.pop_front()).map(|p| format!("{p:?}")).collect()
    }

    #[test]
    fn a_log_gives_back_clones_in_order() {
        let mut log = PayloadLog::default();
        let originals = [
            Payload::new(7u64),
            Payload::new(()),
            Payload::new(String::from("boxed")),
            Payload::new((1u8, 2u16)),
            Payload::new([9u64; 8]),
            Payload::new(8u64),
            Payload::new(Some('x')),
        ];
        for p in &originals {
            log.push_clone(p);
        }
        let shown: Vec<String> = originals.iter().map(|p| format!("{p:?}")).collect();
        assert_eq!(rendered(&mut log), shown);
        assert!(log.pop_front().is_none());
        // A `u64` takes its index byte and its 8 bytes.
        let mut small = PayloadLog::default();
        small.push_clone(&Payload::new(1u64));
        small.push_clone(&Payload::new(2u64));
        assert_eq!(small.byte_len(), 2 * 9);
        let p = small.pop_front().unwrap();
        assert!(p.is::<u64>());
        assert_eq!(p.downcast::<u64>().unwrap(), 1);
    }

    #[test]
    fn a_payload_taken_apart_and_put_together_is_the_same_and_dropped_once() {
        let drops = Rc::new(Cell::new(0));
        let mut backs = Vec::new();
        for p in [Payload::new(Counted(drops.clone())), Payload::new((Counted(drops.clone()), [1u64; 4]))] {
            let shown = format!("{p:?}");
            let (ty, a, b) = p.into_parts();
            assert!(ty.needs_drop());
            let back = Payload::from_parts((ty, a, b));
            assert_eq!(format!("{back:?}"), shown);
            backs.push(back);
        }
        assert_eq!(drops.get(), 0, "taking apart moves, it drops nothing");
        drop(backs);
        assert_eq!(drops.get(), 2, "each value was dropped once, after being put together");
        let (ty, a, b) = Payload::new(41u64).into_parts();
        assert!(!ty.needs_drop());
        assert_eq!(Payload::from_parts((ty, a, b)).downcast::<u64>().ok(), Some(41));
    }

    #[test]
    fn a_log_takes_snapshots_of_values_without_drop_glue() {
        // A type that is not `Copy` and has no drop glue: its snapshot is its
        // bits, rendered as the original was when it was taken.
        #[derive(Clone, Debug)]
        #[expect(dead_code, reason = "read through Debug only")]
        struct Reading {
            sensor: u32,
            value: i16,
        }
        let mut log = PayloadLog::default();
        let originals = [Payload::new(Reading { sensor: 3, value: -7 }), Payload::new(42u64), Payload::new(('a', 1u8))];
        for p in &originals {
            assert!(!p.needs_drop());
            log.push_snapshot(p);
        }
        let shown: Vec<String> = originals.iter().map(|p| format!("{p:?}")).collect();
        assert_eq!(rendered(&mut log), shown);
        // Values that need dropping (drop glue, or boxed) are cloned instead.
        assert!(Payload::new(String::from("x")).needs_drop());
        assert!(Payload::new([0u64; 8]).needs_drop());
    }

    #[test]
    fn a_snapshot_of_a_value_that_needs_dropping_is_refused() {
        let mut log = PayloadLog::default();
        let owned = Payload::new(String::from("owned"));
        let refused = crate::panic::catch(|| log.push_snapshot(&owned));
        assert_eq!(refused, Err("a snapshot is of a payload that needs no dropping".to_string()));
        assert_eq!(log.byte_len(), 0, "nothing was logged");
        assert!(log.pop_front().is_none());
        assert_eq!(format!("{owned:?}"), "\"owned\"", "the payload is still its sender's");
    }

    #[test]
    fn a_log_drops_every_clone_once_whether_taken_out_or_not() {
        let drops = Rc::new(Cell::new(0));
        let small = Payload::new(Counted(drops.clone()));
        let big = Payload::new((Counted(drops.clone()), [0u64; 4]));
        let mut log = PayloadLog::default();
        for _ in 0..3 {
            log.push_clone(&small);
            log.push_clone(&big);
            log.push_clone(&Payload::new(5u32));
        }
        assert_eq!(drops.get(), 0);
        drop(log.pop_front());
        drop(log.pop_front());
        assert_eq!(drops.get(), 2);
        drop(log);
        assert_eq!(drops.get(), 6);
        drop((small, big));
        assert_eq!(drops.get(), 8);
    }

    #[test]
    fn a_log_of_hundreds_of_types_keeps_them_apart() {
        #[derive(Clone, Debug)]
        #[allow(dead_code, reason = "the field is read through Debug")]
        struct K<const A: usize, const B: usize>(usize);
        let mut log = PayloadLog::default();
        let mut expected = Vec::new();
        macro_rules! push_all {
            ($($a:literal)*; $b:tt) => { $( push_all!(@row $a; $b); )* };
            (@row $a:literal; [$($b:literal)*]) => { $(
                log.push_clone(&Payload::new(K::<$a, $b>($a * 17 + $b)));
                expected.push(format!("K({})", $a * 17 + $b));
            )* };
        }
        // 17 x 17 = 289 types: past 255 the log writes wide type indices.
        push_all!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16]);
        log.push_clone(&Payload::new(K::<16, 16>(0)));
        log.push_clone(&Payload::new(K::<0, 0>(1)));
        expected.extend(["K(0)".to_string(), "K(1)".to_string()]);
        assert!(log.types.len() > 255);
        assert_eq!(rendered(&mut log), expected);
    }

    #[test]
    fn a_log_spans_many_chunks() {
        let drops = Rc::new(Cell::new(0));
        let counted = Payload::new(Counted(drops.clone()));
        let mut log = PayloadLog::default();
        let mut expected = Vec::new();
        for n in 0..100_000u64 {
            match n % 3 {
                0 => log.push_clone(&Payload::new(n)),
                1 => log.push_clone(&Payload::new([n; 5])),
                _ => log.push_clone(&counted),
            }
            expected.push(n % 3);
        }
        assert!(!log.full.is_empty(), "more than one chunk");
        assert!(log.full.iter().all(|c| c.len() <= MAX_CHUNK));
        for (n, kind) in expected.iter().enumerate().take(50_000) {
            let p = log.pop_front().unwrap();
            match kind {
                0 => assert_eq!(p.downcast::<u64>().unwrap(), n as u64),
                1 => assert_eq!(p.downcast::<[u64; 5]>().unwrap(), [n as u64; 5]),
                _ => assert!(p.is::<Counted>()),
            }
        }
        let taken = drops.get();
        assert_eq!(taken, 50_000 / 3);
        drop(log);
        assert_eq!(drops.get(), 100_000 / 3);
    }
}
