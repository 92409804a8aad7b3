//! Mapped guards: a guard of a data lock narrowed to a part of its data (a field, an
//! element, a slice), still holding the lock, with tokio's pattern and closure signatures.
//!
//! `map` and `try_map` are associated functions (`LockGuard::map(guard, f)`), so that they
//! hide no method of the data the guard derefs to. A mapped guard holds exactly what its
//! guard held (the lock, a read token, every token for a write) and gives it back when
//! dropped, handing it to the next in line as the guard would have. A borrowing guard's
//! mapped form forgets the data's type (`MappedLockGuard<'a, U>`); an owned one keeps it,
//! with its `Arc` (`OwnedMappedLockGuard<T, U>`).
//!
//! A panic in `f` drops the guard: the lock is released (or handed on), nothing is held
//! by nobody.
//!
//! A mapped write guard is invariant in its part, as `&mut U` is: a guard of a
//! `&'static str` cannot pass for one of a shorter-lived `&str` (which could then be
//! written into the data and outlive its referent); a mapped read guard is covariant, as
//! `&U` is.
//!
//! ```compile_fail
//! use toro_core::MappedLockGuard;
//! fn shorten<'a>(g: MappedLockGuard<'a, &'static str>) -> MappedLockGuard<'a, &'a str> {
//!     g
//! }
//! ```
//!
//! ```
//! use toro_core::MappedReadGuard;
//! fn shorten<'a>(g: MappedReadGuard<'a, &'static str>) -> MappedReadGuard<'a, &'a str> {
//!     g
//! }
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::cell::{MappedRead, MappedWrite};
use crate::lock::{Lock, LockGuard, OwnedLockGuard};
use crate::rwlock::{OwnedReadGuard, OwnedWriteGuard, ReadGuard, RwLock, WriteGuard};
use crate::tokens::TokenPool;

/// Declares mapped guards, each as written, with `Deref` to its part and a `Debug` that
/// shows it; one whose hold is a [`MappedWrite`] derefs mutably too.
macro_rules! mapped_guards {
    ($(
        $(#[$attr:meta])*
        pub struct $mapped:ident<$p:tt, U: ?Sized $(= $default:ty)?>
            { hold: $hold:ident<$keeps:ty, U> }
    )*) => {$(
        $(#[$attr])*
        pub struct $mapped<$p, U: ?Sized $(= $default)?> { hold: $hold<$keeps, U> }

        impl<$p, U: ?Sized> Deref for $mapped<$p, U> {
            type Target = U;
            #[inline]
            fn deref(&self) -> &U {
                self.hold.get()
            }
        }

        impl<$p, U: ?Sized + fmt::Debug> fmt::Debug for $mapped<$p, U> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($mapped)).field("data", &self.hold.get()).finish()
            }
        }

        mapped_guards!(@mut $hold $mapped<$p>);
    )*};
    (@mut MappedWrite $mapped:ident<$p:tt>) => {
        impl<$p, U: ?Sized> DerefMut for $mapped<$p, U> {
            #[inline]
            fn deref_mut(&mut self) -> &mut U {
                self.hold.get_mut()
            }
        }
    };
    (@mut MappedRead $mapped:ident<$p:tt>) => {};
}

mapped_guards! {
    /// A [`LockGuard`] narrowed to a part of the data, with [`LockGuard::map`] or
    /// [`LockGuard::try_map`]; still holds the lock, and releases it when dropped. Derefs
    /// (mutably) to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Lock, LockGuard, MappedLockGuard};
    /// # toro_core::block_on(async {
    /// let lock = Lock::with_value((0, String::from("a")));
    /// let mut name: MappedLockGuard<'_, String> =
    ///     LockGuard::map(lock.acquire().await, |p| &mut p.1);
    /// name.push('b');
    /// assert!(lock.locked());
    /// drop(name);
    /// assert_eq!(lock.acquire().await.1, "ab");
    /// # });
    /// ```
    #[must_use = "the lock is released as soon as the guard is dropped"]
    pub struct MappedLockGuard<'a, U: ?Sized> { hold: MappedWrite<&'a TokenPool, U> }

    /// An [`OwnedLockGuard`] narrowed to a part of the data, with [`OwnedLockGuard::map`] or
    /// [`OwnedLockGuard::try_map`]: keeps the lock's `Arc` (so it is `'static`), holds the
    /// lock, and releases it when dropped. Derefs (mutably) to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{Lock, OwnedLockGuard, OwnedMappedLockGuard};
    /// let lock = Arc::new(Lock::with_value(vec![1, 2, 3]));
    /// let last: OwnedMappedLockGuard<Vec<i32>, i32> =
    ///     OwnedLockGuard::map(lock.try_acquire_owned().unwrap(), |v| v.last_mut().unwrap());
    /// std::thread::spawn(move || *{ last } += 10).join().unwrap();
    /// assert_eq!(*lock.try_acquire().unwrap(), [1, 2, 13]);
    /// ```
    #[must_use = "the lock is released as soon as the guard is dropped"]
    pub struct OwnedMappedLockGuard<T, U: ?Sized = T> { hold: MappedWrite<Arc<Lock<T>>, U> }

    /// A [`ReadGuard`] narrowed to a part of the data, with [`ReadGuard::map`] or
    /// [`ReadGuard::try_map`]; still holds its read token, and gives it back when dropped.
    /// Derefs to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{MappedReadGuard, ReadGuard, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(vec![String::from("x")], 2);
    /// let first: MappedReadGuard<'_, str> =
    ///     ReadGuard::map(rw.acquire_read().await, |v| v[0].as_str());
    /// let other_reader = rw.acquire_read().await; // readers still share the lock
    /// assert_eq!(&*first, "x");
    /// # drop((first, other_reader));
    /// # });
    /// ```
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    pub struct MappedReadGuard<'a, U: ?Sized> { hold: MappedRead<&'a TokenPool, U> }

    /// An [`OwnedReadGuard`] narrowed to a part of the data, with [`OwnedReadGuard::map`] or
    /// [`OwnedReadGuard::try_map`]: keeps the lock's `Arc`, holds a read token, and gives it
    /// back when dropped. Derefs to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedMappedReadGuard, OwnedReadGuard, RwLock};
    /// let rw = Arc::new(RwLock::with_value((1, 2), 4));
    /// let second: OwnedMappedReadGuard<(i32, i32), i32> =
    ///     OwnedReadGuard::map(rw.try_acquire_read_owned().unwrap(), |pair| &pair.1);
    /// assert_eq!(*second, 2);
    /// ```
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    pub struct OwnedMappedReadGuard<T, U: ?Sized = T> { hold: MappedRead<Arc<RwLock<T>>, U> }

    /// A [`WriteGuard`] narrowed to a part of the data, with [`WriteGuard::map`] or
    /// [`WriteGuard::try_map`]; still holds every token, and gives them back when dropped.
    /// Derefs (mutably) to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{MappedWriteGuard, RwLock, WriteGuard};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value([0u8; 4], 2);
    /// let mut tail: MappedWriteGuard<'_, [u8]> =
    ///     WriteGuard::map(rw.acquire_write().await, |a| &mut a[2..]);
    /// tail.fill(9);
    /// assert!(rw.try_acquire_read().is_none()); // still written
    /// drop(tail);
    /// assert_eq!(*rw.acquire_read().await, [0, 0, 9, 9]);
    /// # });
    /// ```
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    pub struct MappedWriteGuard<'a, U: ?Sized> { hold: MappedWrite<&'a TokenPool, U> }

    /// An [`OwnedWriteGuard`] narrowed to a part of the data, with [`OwnedWriteGuard::map`]
    /// or [`OwnedWriteGuard::try_map`]: keeps the lock's `Arc`, holds every token, and gives
    /// them back when dropped. Derefs (mutably) to the part.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedMappedWriteGuard, OwnedWriteGuard, RwLock};
    /// let rw = Arc::new(RwLock::with_value((0, 0), 2));
    /// let mut first: OwnedMappedWriteGuard<(i32, i32), i32> =
    ///     OwnedWriteGuard::map(rw.try_acquire_write_owned().unwrap(), |pair| &mut pair.0);
    /// *first = 5;
    /// drop(first);
    /// assert_eq!(*rw.try_acquire_read().unwrap(), (5, 0));
    /// ```
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    pub struct OwnedMappedWriteGuard<T, U: ?Sized = T> { hold: MappedWrite<Arc<RwLock<T>>, U> }
}

/// `map` and `try_map` on a guard whose data, of type `$s`, is reached through `$ref $s`,
/// into the mapped guard `$mapped<$($keep,)* U>`; `$($p)*` are the guard's other generic
/// parameters.
macro_rules! map_fns {
    (
        $guard:ident[$($p:tt),*] $s:ident $(: ?$sized:ident)? => $mapped:ident[$($keep:tt),*],
        [$($ref:tt)*];
        $example:literal
    ) => {
        impl<$($p,)* $s $(: ?$sized)?> $guard<$($p,)* $s> {
            /// Narrows the guard to a part of the data that `f` picks, still holding what
            /// the guard held (tokio's `map`). An associated function, so that it hides no
            /// method of the data.
            ///
            /// # Panics
            ///
            /// If `f` panics; the guard is dropped first, giving back what it held.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn map<U: ?Sized>(
                this: Self,
                f: impl FnOnce($($ref)* $s) -> $($ref)* U,
            ) -> $mapped<$($keep,)* U> {
                match this.hold.try_map(|data| Some(f(data))) {
                    Ok(hold) => $mapped { hold },
                    Err(_) => unreachable!("map picks a part"),
                }
            }

            /// Narrows the guard to a part of the data that `f` picks, or gives the guard
            /// back if `f` returns `None` (tokio's `try_map`).
            ///
            /// # Errors
            ///
            /// `Err(guard)`, unchanged and still holding, when `f` returns `None`.
            ///
            /// # Panics
            ///
            /// If `f` panics; the guard is dropped first, giving back what it held.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn try_map<U: ?Sized>(
                this: Self,
                f: impl FnOnce($($ref)* $s) -> Option<$($ref)* U>,
            ) -> Result<$mapped<$($keep,)* U>, Self> {
                this.hold
                    .try_map(f)
                    .map(|hold| $mapped { hold })
                    .map_err(|hold| $guard { hold })
            }
        }
    };
}

map_fns! {
    LockGuard['a] T => MappedLockGuard['a], [&mut];
    "```
use toro_core::{Lock, LockGuard};
let lock = Lock::with_value(vec![1, 2]);
let second = LockGuard::map(lock.try_acquire().unwrap(), |v| &mut v[1]);
assert_eq!(*second, 2);
drop(second);
let none = LockGuard::try_map(lock.try_acquire().unwrap(), |v| v.get_mut(5));
assert_eq!(*none.unwrap_err(), [1, 2]); // the guard comes back
```"
}

map_fns! {
    MappedLockGuard['a] S: ?Sized => MappedLockGuard['a], [&mut];
    "```
use toro_core::{Lock, LockGuard, MappedLockGuard};
let lock = Lock::with_value((0, [1, 2]));
let pair = LockGuard::map(lock.try_acquire().unwrap(), |t| &mut t.1);
let mut one = MappedLockGuard::map(pair, |p| &mut p[0]);
*one += 1;
drop(one);
assert_eq!(lock.try_acquire().unwrap().1, [2, 2]);
```"
}

map_fns! {
    OwnedLockGuard[] T => OwnedMappedLockGuard[T], [&mut];
    "```
use std::sync::Arc;
use toro_core::{Lock, OwnedLockGuard};
let lock = Arc::new(Lock::with_value(Some(3)));
let inner = OwnedLockGuard::try_map(lock.try_acquire_owned().unwrap(), Option::as_mut);
assert_eq!(*inner.unwrap(), 3);
```"
}

map_fns! {
    OwnedMappedLockGuard[T] S: ?Sized => OwnedMappedLockGuard[T], [&mut];
    "```
use std::sync::Arc;
use toro_core::{Lock, OwnedLockGuard, OwnedMappedLockGuard};
let lock = Arc::new(Lock::with_value((1, (2, 3))));
let inner = OwnedLockGuard::map(lock.try_acquire_owned().unwrap(), |t| &mut t.1);
let last = OwnedMappedLockGuard::map(inner, |p| &mut p.1);
assert_eq!(*last, 3);
```"
}

map_fns! {
    ReadGuard['a] T => MappedReadGuard['a], [&];
    "```
use toro_core::{ReadGuard, RwLock};
let rw = RwLock::with_value(vec![1, 2], 2);
let first = ReadGuard::map(rw.try_acquire_read().unwrap(), |v| &v[0]);
assert_eq!(*first, 1);
let none = ReadGuard::try_map(rw.try_acquire_read().unwrap(), |v| v.get(9));
assert!(none.is_err()); // the read guard comes back
```"
}

map_fns! {
    MappedReadGuard['a] S: ?Sized => MappedReadGuard['a], [&];
    "```
use toro_core::{MappedReadGuard, ReadGuard, RwLock};
let rw = RwLock::with_value((0, [7, 8]), 2);
let pair = ReadGuard::map(rw.try_acquire_read().unwrap(), |t| &t.1);
let eight = MappedReadGuard::map(pair, |p| &p[1]);
assert_eq!(*eight, 8);
```"
}

map_fns! {
    OwnedReadGuard[] T => OwnedMappedReadGuard[T], [&];
    "```
use std::sync::Arc;
use toro_core::{OwnedReadGuard, RwLock};
let rw = Arc::new(RwLock::with_value(String::from(\"toro\"), 2));
let text = OwnedReadGuard::map(rw.try_acquire_read_owned().unwrap(), String::as_str);
assert_eq!(&*text, \"toro\");
```"
}

map_fns! {
    OwnedMappedReadGuard[T] S: ?Sized => OwnedMappedReadGuard[T], [&];
    "```
use std::sync::Arc;
use toro_core::{OwnedMappedReadGuard, OwnedReadGuard, RwLock};
let rw = Arc::new(RwLock::with_value((1, (2, 3)), 2));
let inner = OwnedReadGuard::map(rw.try_acquire_read_owned().unwrap(), |t| &t.1);
let last = OwnedMappedReadGuard::map(inner, |p| &p.1);
assert_eq!(*last, 3);
```"
}

map_fns! {
    WriteGuard['a] T => MappedWriteGuard['a], [&mut];
    "```
use toro_core::{RwLock, WriteGuard};
let rw = RwLock::with_value(vec![1, 2], 2);
let mut first = WriteGuard::map(rw.try_acquire_write().unwrap(), |v| &mut v[0]);
*first = 10;
drop(first);
let none = WriteGuard::try_map(rw.try_acquire_write().unwrap(), |v| v.get_mut(9));
assert_eq!(*none.unwrap_err(), [10, 2]); // the write guard comes back
```"
}

map_fns! {
    MappedWriteGuard['a] S: ?Sized => MappedWriteGuard['a], [&mut];
    "```
use toro_core::{MappedWriteGuard, RwLock, WriteGuard};
let rw = RwLock::with_value((0, [1, 2]), 2);
let pair = WriteGuard::map(rw.try_acquire_write().unwrap(), |t| &mut t.1);
assert!(rw.try_acquire_read().is_none()); // narrowed, it still holds every token
let pair = MappedWriteGuard::try_map(pair, |p| p.get_mut(7)).unwrap_err(); // comes back
let mut one = MappedWriteGuard::map(pair, |p| &mut p[0]);
*one = 5;
drop(one);
assert_eq!(*rw.try_acquire_read().unwrap(), (0, [5, 2]));
```"
}

map_fns! {
    OwnedWriteGuard[] T => OwnedMappedWriteGuard[T], [&mut];
    "```
use std::sync::Arc;
use toro_core::{OwnedWriteGuard, RwLock};
let rw = Arc::new(RwLock::with_value(Some(1), 2));
let mut inner = OwnedWriteGuard::try_map(rw.try_acquire_write_owned().unwrap(), Option::as_mut).unwrap();
*inner = 2;
drop(inner);
assert_eq!(*rw.try_acquire_read().unwrap(), Some(2));
```"
}

map_fns! {
    OwnedMappedWriteGuard[T] S: ?Sized => OwnedMappedWriteGuard[T], [&mut];
    "```
use std::sync::Arc;
use toro_core::{OwnedMappedWriteGuard, OwnedWriteGuard, RwLock};
let rw = Arc::new(RwLock::with_value((1, (2, 3)), 2));
let inner = OwnedWriteGuard::map(rw.try_acquire_write_owned().unwrap(), |t| &mut t.1);
let mut last = OwnedMappedWriteGuard::map(inner, |p| &mut p.1);
*last = 4;
drop(last);
assert_eq!(rw.try_acquire_read().unwrap().1, (2, 4));
```"
}
