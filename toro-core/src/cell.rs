//! The data under [`Lock<T>`](crate::Lock) and [`RwLock<T>`](crate::RwLock): one of the
//! modules of toro-core with `unsafe` code.
//!
//! A data lock is a [`TokenPool`] and an `UnsafeCell` side by side ([`Guarded`]). The pool
//! decides who may touch the data; this module turns holding tokens into references:
//!
//! - a [`WriteHold`] holds **every** token of the pool (the pool's bound: 1 for a `Lock`,
//!   `max_readers` for an `RwLock`), so while it lives nobody else holds any: it may hand
//!   out `&mut T`;
//! - a [`ReadHold`] holds at least one token and no `WriteHold` can exist beside it: it
//!   may hand out `&T`, and several may do so at once (hence `RwLock<T>: Sync` needs
//!   `T: Sync`).
//!
//! Both are built only from a [`Held`], which only the pool makes for tokens it has just
//! given out, and both check the token count when built, so the exclusion argument rests
//! on the pool's invariant alone (no token is ever given to two holders), which the loom
//! models in `tests/loom.rs` check, together with the accesses themselves: under loom the
//! cell is `loom::cell::UnsafeCell`, and each hold keeps loom's access token for as long as
//! it lives, so two overlapping holds fail the model.

#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::tokens::{Held, TokenPool};
use crate::waiters::Anchor;

#[cfg(loom)]
use loom::cell::UnsafeCell;
#[cfg(not(loom))]
use std::cell::UnsafeCell;

/// How a data lock shares its data: [`Exclusive`] (`Lock`) or [`Shared`] (`RwLock`).
pub(crate) trait Mode {}

/// One holder at a time: `Sync` needs only `T: Send`, like `std::sync::Mutex`.
pub(crate) enum Exclusive {}

/// Several readers at once: `Sync` needs `T: Send + Sync`, like `std::sync::RwLock`.
pub(crate) enum Shared {}

impl Mode for Exclusive {}
impl Mode for Shared {}

/// A token pool and the data it guards.
pub(crate) struct Guarded<T, M: Mode> {
    pub(crate) pool: TokenPool,
    value: UnsafeCell<T>,
    _mode: PhantomData<M>,
}

// SAFETY: the data moves with the lock, so sending the lock needs `T: Send`; the pool is
// `Send`. (`UnsafeCell<T>: Send` already; stated for the loom cell, which is not.)
unsafe impl<T: Send, M: Mode> Send for Guarded<T, M> {}

// SAFETY: through a shared `Guarded`, the data is reached only by a `WriteHold` (all tokens:
// one holder, which may be on another thread, so `T: Send`) or by `ReadHold`s.
// `Exclusive` locks never make a `ReadHold`, so `T: Send` is enough for them, as for
// `std::sync::Mutex`.
unsafe impl<T: Send> Sync for Guarded<T, Exclusive> {}

// SAFETY: as above, and several `ReadHold`s on several threads share `&T` at once, so
// `T: Sync` too, as for `std::sync::RwLock`.
unsafe impl<T: Send + Sync> Sync for Guarded<T, Shared> {}

impl<T, M: Mode> Guarded<T, M> {
    crate::sync::const_fn! {
        pub(crate) fn new(value: T, tokens: usize, what: &'static str) -> Self {
            Guarded {
                pool: TokenPool::new(tokens, tokens, what),
                value: UnsafeCell::new(value),
                _mode: PhantomData,
            }
        }
    }

    /// The data, through a unique borrow of the lock: no guard can exist.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        #[cfg(not(loom))]
        {
            self.value.get_mut()
        }
        #[cfg(loom)]
        {
            // SAFETY: `&mut self` proves no hold exists, and the reference cannot outlive
            // the borrow. loom's cell has no safe `get_mut`.
            self.value.with_mut(|ptr| unsafe { &mut *ptr })
        }
    }

    pub(crate) fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

/// What a guard holds a data lock by: `&'a Lock<T>` or `Arc<Lock<T>>` (and the `RwLock`
/// twins). Reaches the lock's [`Guarded`].
pub(crate) trait DataAnchor: Anchor<TokenPool> {
    type Value;
    type Mode: Mode;
    fn guarded(&self) -> &Guarded<Self::Value, Self::Mode>;

    /// What a mapped guard keeps the pool by: a borrow of the pool for a borrowing guard
    /// (so that the mapped guard's type forgets `T`), the same `Arc` for an owned one.
    type Keeps: Anchor<TokenPool>;
    fn keeps(&self) -> Self::Keeps;
}

/// Every token of a data lock: the right to `&mut T`.
pub(crate) struct WriteHold<R: DataAnchor> {
    #[cfg(loom)]
    access: loom::cell::MutPtr<R::Value>,
    /// Declared after `access`: under loom the access ends before the tokens go back.
    held: Held<R>,
}

// SAFETY: sending a write hold sends the `&mut T` it gives: `T: Send`, as for a
// `&mut T`. (Stated because loom's access token is not `Send`.)
unsafe impl<R: DataAnchor + Send> Send for WriteHold<R> where R::Value: Send {}

// SAFETY: sharing a write hold shares the `&T` it gives: `T: Sync`, as for `&T`. Without
// this impl the hold would be `Sync` whenever the lock is, i.e. for `T: Send` only.
unsafe impl<R: DataAnchor + Sync> Sync for WriteHold<R> where R::Value: Sync {}

impl<R: DataAnchor> WriteHold<R> {
    /// # Panics
    ///
    /// If `held` is not every token of the lock's pool (a bug in toro).
    #[inline]
    pub(crate) fn new(held: Held<R>) -> Self {
        let guarded = held.owner().guarded();
        assert!(
            held.tokens() == R::BOUND.unwrap_or_else(|| guarded.pool.bound()),
            "toro: a write hold without every token"
        );
        WriteHold {
            #[cfg(loom)]
            access: guarded.value.get_mut(),
            held,
        }
    }

    #[inline]
    pub(crate) fn owner(&self) -> &R {
        self.held.owner()
    }

    #[inline]
    pub(crate) fn get(&self) -> &R::Value {
        #[cfg(not(loom))]
        {
            // SAFETY: this hold has every token of the pool (checked in `new`), so no other
            // hold exists, and none can be made, until it is dropped; the reference lives
            // no longer than `&self`, and `R` keeps the lock alive.
            unsafe { &*self.held.owner().guarded().value.get() }
        }
        #[cfg(loom)]
        {
            // SAFETY: as above; loom's access token lives as long as the hold.
            unsafe { &*self.access.deref() }
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut R::Value {
        #[cfg(not(loom))]
        {
            // SAFETY: as in `get`; `&mut self` makes the reference unique.
            unsafe { &mut *self.held.owner().guarded().value.get() }
        }
        #[cfg(loom)]
        {
            // SAFETY: as above; loom's access token lives as long as the hold.
            unsafe { self.access.deref() }
        }
    }

    /// The tokens, the data access ended (under loom, its token dropped first).
    fn into_held(self) -> Held<R> {
        let WriteHold { held, .. } = self;
        held
    }

    /// Gives up the tokens for good (`forget`): only a manual `release()` gives them back.
    pub(crate) fn forget(self) {
        self.into_held().forget();
    }
}

impl<R: DataAnchor> WriteHold<R> {
    /// Narrows the hold to the part of the data `f` picks, or gives it back if `f` picks
    /// none. A panic in `f` drops the hold: the tokens go back.
    pub(crate) fn try_map<U: ?Sized>(
        mut self,
        f: impl FnOnce(&mut R::Value) -> Option<&mut U>,
    ) -> Result<MappedWrite<R::Keeps, U>, Self> {
        let Some(part) = f(self.get_mut()).map(NonNull::from) else {
            return Err(self);
        };
        let keeps = self.owner().keeps();
        Ok(MappedWrite {
            part,
            held: self.into_held().rehome(keeps),
            _invariant: PhantomData,
        })
    }
}

impl<R: DataAnchor<Mode = Shared>> WriteHold<R> {
    /// Keeps one token, gives the rest to the head of the line (FIFO: readers at the head
    /// enter at once, a writer there still waits for this reader), and becomes a read
    /// hold.
    pub(crate) fn downgrade(self) -> ReadHold<R> {
        let mut held = self.into_held();
        held.keep_only(1);
        ReadHold::new(held)
    }
}

/// At least one token of an `RwLock`'s pool: the right to `&T`, shared with other readers.
pub(crate) struct ReadHold<R: DataAnchor<Mode = Shared>> {
    #[cfg(loom)]
    access: loom::cell::ConstPtr<R::Value>,
    /// Declared after `access`: under loom the access ends before the token goes back.
    held: Held<R>,
}

// SAFETY: a read hold gives `&T`, and other read holds may give `&T` on other threads at
// the same time: sending or sharing one needs `T: Sync`, as for `&T`.
unsafe impl<R: DataAnchor<Mode = Shared> + Send> Send for ReadHold<R> where R::Value: Sync {}

// SAFETY: as above.
unsafe impl<R: DataAnchor<Mode = Shared> + Sync> Sync for ReadHold<R> where R::Value: Sync {}

impl<R: DataAnchor<Mode = Shared>> ReadHold<R> {
    /// # Panics
    ///
    /// If `held` is not one token (a bug in toro). One token of a pool of `max_readers`
    /// excludes every writer, who needs all of them.
    #[inline]
    pub(crate) fn new(held: Held<R>) -> Self {
        assert!(
            held.tokens() == 1,
            "toro: a read hold of more than one token"
        );
        #[cfg(loom)]
        let guarded = held.owner().guarded();
        ReadHold {
            #[cfg(loom)]
            access: guarded.value.get(),
            held,
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> &R::Value {
        #[cfg(not(loom))]
        {
            // SAFETY: this hold has one token (checked in `new`), so no write hold exists,
            // and none can be made, until it is dropped: only shared references exist.
            unsafe { &*self.held.owner().guarded().value.get() }
        }
        #[cfg(loom)]
        {
            // SAFETY: as above; loom's access token lives as long as the hold.
            unsafe { self.access.deref() }
        }
    }

    /// Gives up the token for good (`forget`): only a manual `release_read()` gives it
    /// back.
    pub(crate) fn forget(self) {
        let ReadHold { held, .. } = self;
        held.forget();
    }

    /// The token, the data access ended (under loom, its token dropped first).
    fn into_held(self) -> Held<R> {
        let ReadHold { held, .. } = self;
        held
    }

    /// Narrows the hold to the part of the data `f` picks, or gives it back if `f` picks
    /// none. A panic in `f` drops the hold: the token goes back.
    pub(crate) fn try_map<U: ?Sized>(
        self,
        f: impl FnOnce(&R::Value) -> Option<&U>,
    ) -> Result<MappedRead<R::Keeps, U>, Self> {
        let Some(part) = f(self.get()).map(NonNull::from) else {
            return Err(self);
        };
        let keeps = self.held.owner().keeps();
        let ReadHold { held, .. } = self;
        Ok(MappedRead {
            part,
            held: held.rehome(keeps),
        })
    }
}

/// A read token held with an `RwLock`'s upgradable slot (an upgradable read): a
/// [`ReadHold`] whose release also frees the slot.
pub(crate) struct UpgradableHold<R: DataAnchor<Mode = Shared>>(Option<ReadHold<R>>);

impl<R: DataAnchor<Mode = Shared>> UpgradableHold<R> {
    /// `read`, whose token was taken with the slot.
    #[inline]
    pub(crate) fn new(read: ReadHold<R>) -> Self {
        UpgradableHold(Some(read))
    }

    #[inline]
    fn read(&self) -> &ReadHold<R> {
        self.0
            .as_ref()
            .expect("toro: an upgradable hold is whole until it is consumed")
    }

    #[inline]
    pub(crate) fn get(&self) -> &R::Value {
        self.read().get()
    }

    #[inline]
    pub(crate) fn owner(&self) -> &R {
        self.read().held.owner()
    }

    fn take(&mut self) -> ReadHold<R> {
        self.0
            .take()
            .expect("toro: an upgradable hold is whole until it is consumed")
    }

    /// Frees the slot and keeps the read token (a downgrade).
    pub(crate) fn downgrade(mut self) -> ReadHold<R> {
        let read = self.take();
        read.held.owner().anchor().release_upgradable(0);
        read
    }

    /// The token, the slot still taken: an upgrade takes both over.
    pub(crate) fn into_held(mut self) -> Held<R> {
        self.take().into_held()
    }
}

impl<R: DataAnchor<Mode = Shared>> Drop for UpgradableHold<R> {
    fn drop(&mut self) {
        if let Some(read) = self.0.take() {
            read.into_held().release_upgradable();
        }
    }
}

/// A [`WriteHold`] narrowed to a part of the data (a mapped guard): every token of the
/// pool, held by `P`, and a pointer to the part.
///
/// Under loom a mapped hold keeps the tokens but not loom's access token (which names
/// the whole data's type): its accesses are not tracked, and the models check the tokens
/// that make them exclusive.
pub(crate) struct MappedWrite<P: Anchor<TokenPool>, U: ?Sized> {
    /// Points into the data the tokens guard (or at something that outlives it): `f`
    /// made it from the hold's `&mut T`.
    part: NonNull<U>,
    held: Held<P>,
    /// Invariant in `U`, as `&mut U`: a hold of `&'static str` must not pass for one of a
    /// shorter-lived `&str`, which could then be written into the data.
    _invariant: PhantomData<*mut U>,
}

// SAFETY: as a `WriteHold`'s, and as for `&mut U`: sending the hold sends the `&mut U` it
// gives (`U: Send`), and the pool's keeper (`P: Send`).
unsafe impl<P: Anchor<TokenPool> + Send, U: ?Sized + Send> Send for MappedWrite<P, U> {}

// SAFETY: sharing it shares `&U` (`U: Sync`), as for `&mut U`.
unsafe impl<P: Anchor<TokenPool> + Sync, U: ?Sized + Sync> Sync for MappedWrite<P, U> {}

impl<P: Anchor<TokenPool>, U: ?Sized> MappedWrite<P, U> {
    #[inline]
    pub(crate) fn get(&self) -> &U {
        // SAFETY: `held` is every token of the pool, taken from a `WriteHold` (which had
        // them all, checked when it was made), so no other hold exists or can be made
        // until this one is dropped; `part` was derived from that hold's `&mut T` (or
        // outlives it), `P` keeps the lock alive, and the reference lives no longer than
        // `&self`.
        unsafe { self.part.as_ref() }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut U {
        // SAFETY: as in `get`; `&mut self` makes the reference unique.
        unsafe { self.part.as_mut() }
    }

    /// Narrows it further, as [`WriteHold::try_map`].
    pub(crate) fn try_map<V: ?Sized>(
        mut self,
        f: impl FnOnce(&mut U) -> Option<&mut V>,
    ) -> Result<MappedWrite<P, V>, Self> {
        match f(self.get_mut()).map(NonNull::from) {
            Some(part) => Ok(MappedWrite {
                part,
                held: self.held,
                _invariant: PhantomData,
            }),
            None => Err(self),
        }
    }
}

/// A [`ReadHold`] narrowed to a part of the data: one token of the pool, held by `P`, and
/// a pointer to the part. (Under loom, untracked as a [`MappedWrite`].)
pub(crate) struct MappedRead<P: Anchor<TokenPool>, U: ?Sized> {
    /// Points into the data the token guards (or at something that outlives it).
    part: NonNull<U>,
    held: Held<P>,
}

// SAFETY: a mapped read hold gives `&U` while other holds may give `&T` on other threads:
// sending or sharing it needs `U: Sync`, as for `&U`.
unsafe impl<P: Anchor<TokenPool> + Send, U: ?Sized + Sync> Send for MappedRead<P, U> {}

// SAFETY: as above.
unsafe impl<P: Anchor<TokenPool> + Sync, U: ?Sized + Sync> Sync for MappedRead<P, U> {}

impl<P: Anchor<TokenPool>, U: ?Sized> MappedRead<P, U> {
    #[inline]
    pub(crate) fn get(&self) -> &U {
        // SAFETY: `held` is a token of an `RwLock`'s pool, taken from a `ReadHold`, so no
        // write hold exists or can be made until it is dropped: only shared references to
        // the data exist; `part` was derived from that hold's `&T` (or outlives it), and
        // `P` keeps the lock alive.
        unsafe { self.part.as_ref() }
    }

    /// Narrows it further, as [`ReadHold::try_map`].
    pub(crate) fn try_map<V: ?Sized>(
        self,
        f: impl FnOnce(&U) -> Option<&V>,
    ) -> Result<MappedRead<P, V>, Self> {
        match f(self.get()).map(NonNull::from) {
            Some(part) => Ok(MappedRead {
                part,
                held: self.held,
            }),
            None => Err(self),
        }
    }
}

/// `Anchor` and `DataAnchor` for the two ways a guard holds a data lock (`&'a L<T>` and
/// `Arc<L<T>>`), whose `inner` is its [`Guarded`] in `mode`.
macro_rules! data_anchors {
    ($lock:ident, $mode:ty, bound: $bound:expr) => {
        data_anchors!(@one ['a] &'a $lock<T>, $mode, $bound, &'a $crate::tokens::TokenPool,
            |lock| &lock.inner.pool);
        data_anchors!(@one [] std::sync::Arc<$lock<T>>, $mode, $bound, std::sync::Arc<$lock<T>>,
            |lock| std::sync::Arc::clone(lock));
    };
    (@one [$($lt:lifetime)?] $ty:ty, $mode:ty, $bound:expr, $keeps:ty, |$lock:ident| $keep:expr) => {
        impl<$($lt,)? T> $crate::waiters::Anchor<$crate::tokens::TokenPool> for $ty {
            #[inline]
            fn anchor(&self) -> &$crate::tokens::TokenPool {
                &self.inner.pool
            }

            const BOUND: Option<usize> = $bound;
        }

        impl<$($lt,)? T> $crate::cell::DataAnchor for $ty {
            type Value = T;
            type Mode = $mode;
            #[inline]
            fn guarded(&self) -> &$crate::cell::Guarded<T, $mode> {
                &self.inner
            }

            type Keeps = $keeps;
            #[inline]
            fn keeps(&self) -> $keeps {
                let $lock = self;
                $keep
            }
        }
    };
}
pub(crate) use data_anchors;

/// Declares guards of a data lock, each as written, with `Deref` to the data and a `Debug`
/// that shows it; one whose hold is a [`WriteHold`] derefs mutably too.
macro_rules! data_guards {
    ($(
        $(#[$attr:meta])*
        pub struct $guard:ident<$($lt:lifetime,)? T = ()>
            { pub(crate) hold: $hold:ident<$owner:ty> }
    )*) => {$(
        $(#[$attr])*
        pub struct $guard<$($lt,)? T = ()> { pub(crate) hold: $hold<$owner> }

        impl<$($lt,)? T> std::ops::Deref for $guard<$($lt,)? T> {
            type Target = T;
            #[inline]
            fn deref(&self) -> &T {
                self.hold.get()
            }
        }

        impl<$($lt,)? T: std::fmt::Debug> std::fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($guard)).field("data", self.hold.get()).finish()
            }
        }

        $crate::cell::data_guards!(@mut $hold $guard$(<$lt>)?);
    )*};
    (@mut WriteHold $guard:ident$(<$lt:lifetime>)?) => {
        impl<$($lt,)? T> std::ops::DerefMut for $guard<$($lt,)? T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                self.hold.get_mut()
            }
        }
    };
    // A `ReadHold` or an `UpgradableHold`: shared access only.
    (@mut $read:ident $guard:ident$(<$lt:lifetime>)?) => {};
}
pub(crate) use data_guards;
