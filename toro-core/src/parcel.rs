//! [`Parcel`]: an item carried by a wait future, inline when small, boxed when large. One of
//! toro-core's three modules with `unsafe` code.
//!
//! An eager `get()` takes its item at the call when one is there, so its future must be
//! able to carry an item; a `put()` refused by a shut-down queue carries its item back the
//! same way. Were the item inline, every such future would be as large as the item, the
//! ones still waiting too: 100 000 waiting getters of a `Queue<[u8; 1024]>` would hold
//! 100 MB in their futures alone. A parcel is three words whatever the item: an item that
//! fits is kept in them, a larger one is boxed (one allocation, only for such items, only
//! when the future does carry one).
//!
//! Safe Rust cannot choose a field's type by the size of a generic parameter; this module
//! does it with a union-like buffer written and read as `T` or as `Box<T>`, decided by a
//! constant of `T`.

#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit, align_of, size_of};

/// The room a parcel has inline.
type Room = [usize; 3];

/// An item of type `T`, inline if it fits in three words, boxed otherwise.
pub(crate) struct Parcel<T> {
    room: MaybeUninit<Room>,
    /// Owns a `T` (drop check, auto traits: `Send`/`Sync` exactly as `T`'s).
    _item: PhantomData<T>,
}

impl<T> Parcel<T> {
    /// Whether a `T` is kept inline.
    const INLINE: bool =
        size_of::<T>() <= size_of::<Room>() && align_of::<T>() <= align_of::<Room>();

    #[inline]
    pub(crate) fn new(item: T) -> Self {
        let mut room = MaybeUninit::<Room>::uninit();
        if Self::INLINE {
            // SAFETY: `T` fits in `Room` and needs no stricter alignment (`INLINE`).
            unsafe { room.as_mut_ptr().cast::<T>().write(item) };
        } else {
            // SAFETY: a `Box<T>` is one pointer: it fits in `Room` at its alignment.
            unsafe { room.as_mut_ptr().cast::<Box<T>>().write(Box::new(item)) };
        }
        Parcel {
            room,
            _item: PhantomData,
        }
    }

    /// The item, out of the parcel.
    #[inline]
    pub(crate) fn take(self) -> T {
        let this = ManuallyDrop::new(self);
        if Self::INLINE {
            // SAFETY: `new` wrote a `T` here (`INLINE`), and `this` is never used or dropped
            // again: the item is moved out once.
            unsafe { this.room.as_ptr().cast::<T>().read() }
        } else {
            // SAFETY: as above, for the `Box<T>` that `new` wrote.
            *unsafe { this.room.as_ptr().cast::<Box<T>>().read() }
        }
    }
}

impl<T> Drop for Parcel<T> {
    fn drop(&mut self) {
        if Self::INLINE {
            // SAFETY: `new` wrote a `T` here, and `take` (which forgets the parcel) did not
            // move it out: it is dropped once.
            unsafe { self.room.as_mut_ptr().cast::<T>().drop_in_place() };
        } else {
            // SAFETY: as above, for the `Box<T>`.
            unsafe { self.room.as_mut_ptr().cast::<Box<T>>().drop_in_place() };
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn small_items_inline_large_ones_boxed_and_every_one_dropped_once() {
        let inline = [
            Parcel::<u64>::INLINE,
            Parcel::<String>::INLINE,
            Parcel::<()>::INLINE,
            Parcel::<[u8; 1024]>::INLINE,
            Parcel::<(u64, String)>::INLINE,
        ];
        assert_eq!(inline, [true, true, true, false, false]);
        assert_eq!(size_of::<Parcel<[u8; 1024]>>(), 24);
        let counted = Rc::new(());
        let small = Parcel::new(Rc::clone(&counted));
        let large = Parcel::new([
            Rc::clone(&counted),
            Rc::clone(&counted),
            Rc::clone(&counted),
            Rc::clone(&counted),
        ]);
        assert_eq!(Rc::strong_count(&counted), 6);
        drop(small);
        assert_eq!(Rc::strong_count(&counted), 5);
        let items = large.take();
        assert_eq!(Rc::strong_count(&counted), 5);
        drop(items);
        assert_eq!(Rc::strong_count(&counted), 1);
        assert_eq!(Parcel::new(String::from("x")).take(), "x");
        assert_eq!(Parcel::new([7_u8; 1024]).take()[1023], 7);
    }
}
