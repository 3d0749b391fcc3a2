//! A type-erased message that is stored inline when small: the network's cargo.
//!
//! Every message in flight is a [`Payload`]. Values of up to 16 bytes (with an
//! alignment of at most 8) live inside the payload itself, so sending a `u64`, an
//! enum of small fields or an `Rc` costs no allocation; larger values are boxed.
//! The payload remembers the type's identity, how to drop, clone and render it,
//! in a `'static` table made once per type at compile time.

use std::any::TypeId;
use std::fmt;
use std::mem::{self, MaybeUninit};
use std::ptr;

/// What the network can carry: any `'static` value that can be cloned (for
/// duplicated deliveries) and rendered (for traces, through `Debug`).
pub trait Message: Clone + fmt::Debug + 'static {}

impl<T: Clone + fmt::Debug + 'static> Message for T {}

type Inline = [usize; 2];

struct VTable {
    type_id: fn() -> TypeId,
    type_name: fn() -> &'static str,
    inline: bool,
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
}

/// A message of any [`Message`] type, inline when it is small.
pub struct Payload {
    table: &'static VTable,
    data: MaybeUninit<Inline>,
}

impl Payload {
    /// Wraps a value.
    #[inline]
    pub fn new<T: Message>(value: T) -> Payload {
        let mut data = MaybeUninit::<Inline>::uninit();
        if VTableOf::<T>::INLINE {
            // SAFETY: `T` fits the buffer in size and alignment (checked by INLINE).
            unsafe { data.as_mut_ptr().cast::<T>().write(value) }
        } else {
            let boxed = Box::into_raw(Box::new(value));
            // SAFETY: the buffer has room for one pointer.
            unsafe { data.as_mut_ptr().cast::<*mut T>().write(boxed) }
        }
        Payload { table: VTableOf::<T>::TABLE, data }
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
}
