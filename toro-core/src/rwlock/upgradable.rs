//! Upgradable reads of an [`RwLock`]: a read that may later become a write without
//! letting go of the lock in between.
//!
//! One upgradable read at a time holds the lock beside any plain readers; it stands in
//! the one FIFO line like every other acquire. Its upgrade waits only for the other
//! holders to leave: it goes ahead of the line (a writer queued behind the upgradable
//! holder would otherwise wait for it while it waits for the writer), and readers who
//! come after it wait behind it.

use std::sync::Arc;

use super::RwLock;
use super::guards::{OwnedReadGuard, OwnedWriteGuard, ReadGuard, WriteGuard};
use crate::cell::{ReadHold, UpgradableHold, WriteHold, data_guards};
use crate::deadline::wait_future;
use crate::tokens::{Held, TokenPool, UpgradableAcquirers, Upgrades};
use crate::waiters::StageOf;

impl<T> RwLock<T> {
    /// Waits for an upgradable read: a read token, and the right to upgrade it to a write
    /// later ([`UpgradableReadGuard::upgrade`]) without letting go of the lock.
    ///
    /// One upgradable read holds the lock at a time, beside any number of plain readers
    /// (up to `max_readers` tokens in all); writers wait for it. It takes its place in the
    /// one FIFO line at the call, like every acquire: readers who come after a waiting
    /// upgradable read wait behind it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line; a token (and the upgradable slot) already
    /// handed to it go on to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{RwLock, UpgradableReadGuard};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(1, 4);
    /// let upgradable = rw.acquire_upgradable().await;
    /// let reader = rw.acquire_read().await; // plain readers still get in
    /// assert!(rw.try_acquire_upgradable().is_none()); // one upgradable read at a time
    /// assert!(rw.try_acquire_write().is_none());
    /// drop(reader);
    /// let mut write = UpgradableReadGuard::upgrade(upgradable).await;
    /// *write += 1;
    /// # });
    /// ```
    pub fn acquire_upgradable(&self) -> AcquireUpgradable<'_, T> {
        AcquireUpgradable {
            stage: TokenPool::acquire_upgradable(self),
        }
    }

    /// An upgradable read now, if a token and the upgradable slot are free and nobody is
    /// in line.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// let first = rw.try_acquire_upgradable().unwrap();
    /// assert!(rw.try_acquire_upgradable().is_none());
    /// assert!(rw.try_acquire_read().is_some());
    /// drop(first);
    /// assert!(rw.try_acquire_upgradable().is_some());
    /// ```
    pub fn try_acquire_upgradable(&self) -> Option<UpgradableReadGuard<'_, T>> {
        Held::try_take_upgradable(self).map(|held| UpgradableReadGuard {
            hold: UpgradableHold::new(ReadHold::new(held)),
        })
    }

    /// [`acquire_upgradable`](Self::acquire_upgradable), holding an `Arc` of the lock: the
    /// future and its guard borrow nothing and are `'static`.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_upgradable`](Self::acquire_upgradable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedUpgradableReadGuard, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = Arc::new(RwLock::with_value(vec![1], 2));
    /// let upgradable = rw.acquire_upgradable_owned().await;
    /// let mut write = OwnedUpgradableReadGuard::upgrade(upgradable).await;
    /// write.push(2);
    /// # });
    /// ```
    pub fn acquire_upgradable_owned(self: &Arc<Self>) -> OwnedAcquireUpgradable<T> {
        OwnedAcquireUpgradable {
            stage: TokenPool::acquire_upgradable(Arc::clone(self)),
        }
    }

    /// [`try_acquire_upgradable`](Self::try_acquire_upgradable), holding an `Arc` of the
    /// lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::new(2));
    /// let guard = rw.try_acquire_upgradable_owned().unwrap();
    /// assert!(rw.try_acquire_upgradable_owned().is_none());
    /// # drop(guard);
    /// ```
    pub fn try_acquire_upgradable_owned(self: &Arc<Self>) -> Option<OwnedUpgradableReadGuard<T>> {
        Held::try_take_upgradable(Arc::clone(self)).map(|held| OwnedUpgradableReadGuard {
            hold: UpgradableHold::new(ReadHold::new(held)),
        })
    }
}

data_guards! {
    /// An upgradable read of an [`RwLock`]: a read token, and the right to upgrade it to a
    /// write without letting go of the lock. Derefs to the data.
    ///
    /// Made by [`RwLock::acquire_upgradable`] and [`RwLock::try_acquire_upgradable`]. Only
    /// one exists at a time per lock. Turn it into a write with [`upgrade`](Self::upgrade)
    /// (a wait) or [`try_upgrade`](Self::try_upgrade), or into a plain read with
    /// [`downgrade`](Self::downgrade); these are associated functions
    /// (`UpgradableReadGuard::upgrade(guard)`), so that they hide no method of the data.
    /// Dropping it gives its token and the upgradable slot to the head of the line.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{RwLock, UpgradableReadGuard};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(String::from("draft"), 3);
    /// let doc = rw.acquire_upgradable().await;
    /// if doc.starts_with("draft") {
    ///     let mut doc = UpgradableReadGuard::upgrade(doc).await;
    ///     doc.replace_range(..5, "final");
    /// }
    /// assert_eq!(*rw.acquire_read().await, "final");
    /// # });
    /// ```
    #[must_use = "the upgradable read is released as soon as the guard is dropped"]
    pub struct UpgradableReadGuard<'a, T = ()> { pub(crate) hold: UpgradableHold<&'a RwLock<T>> }

    /// An upgradable read of an [`RwLock`] in an `Arc`: like [`UpgradableReadGuard`], but it
    /// borrows nothing and is `'static`.
    ///
    /// Made by [`RwLock::acquire_upgradable_owned`] and
    /// [`RwLock::try_acquire_upgradable_owned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedUpgradableReadGuard, RwLock};
    /// let rw = Arc::new(RwLock::with_value(1, 2));
    /// let guard = rw.try_acquire_upgradable_owned().unwrap();
    /// let write = OwnedUpgradableReadGuard::try_upgrade(guard).unwrap();
    /// assert_eq!(*write, 1);
    /// ```
    #[must_use = "the upgradable read is released as soon as the guard is dropped"]
    pub struct OwnedUpgradableReadGuard<T = ()> { pub(crate) hold: UpgradableHold<Arc<RwLock<T>>> }
}

/// `upgrade`, `try_upgrade` and `downgrade` of an upgradable guard, into the write,
/// upgrade future and read types of the same kind (borrowed or owned).
macro_rules! upgradable_fns {
    (
        $guard:ident[$($lt:lifetime)?] => $write:ident, $upgrade:ident, $read:ident,
        |$hold:ident| $owner:expr; $example:literal
    ) => {
        impl<$($lt,)? T> $guard<$($lt,)? T> {
            /// Upgrades to a write once every other holder has left: a wait, with
            /// `.deadline(d)`, that goes ahead of the line (readers who come after it wait
            /// behind it; a writer already waiting gives up the tokens it claimed, so the
            /// two do not wait for each other). An associated function, so that it hides
            /// no method of the data.
            ///
            /// # Cancel safety
            ///
            /// With a deadline, a timeout hands this guard back, still holding its read
            /// (`Err(Timeout(guard))`). Dropping the future gives everything back: the
            /// tokens it gathered and the upgradable read itself, as dropping the guard
            /// would.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn upgrade(guard: Self) -> $upgrade<$($lt,)? T> {
                let held = guard.hold.into_held();
                let $hold = held.owner();
                let owner = $owner;
                let want = held.owner().max_readers() - 1;
                // Its token travels in the upgrade's request from here.
                let _one = held.disown();
                $upgrade {
                    stage: TokenPool::upgrade(owner, want),
                }
            }

            /// Upgrades to a write now, if every other holder has left (tokens a waiting
            /// writer claimed are taken from it: the upgrade goes ahead); otherwise gives
            /// the guard back.
            ///
            /// # Errors
            ///
            /// `Err(guard)`, still an upgradable read, if another holder is still in.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn try_upgrade(guard: Self) -> Result<$write<$($lt,)? T>, Self> {
                let rw = guard.hold.owner();
                let want = rw.max_readers() - 1;
                if !rw.pool().try_upgrade(want) {
                    return Err(guard);
                }
                let mut held = guard.hold.into_held();
                held.grow(want);
                Ok($write {
                    hold: WriteHold::new(held),
                })
            }

            /// Turns it into a plain read, keeping its token: the upgradable slot goes to
            /// an upgradable read waiting at the head of the line, if any.
            ///
            /// # Examples
            ///
            #[doc = $example]
            pub fn downgrade(guard: Self) -> $read<$($lt,)? T> {
                $read {
                    hold: guard.hold.downgrade(),
                }
            }
        }
    };
}

upgradable_fns! {
    UpgradableReadGuard['a] => WriteGuard, Upgrade, ReadGuard, |rw| *rw;
    "```
use std::time::Duration;
use toro_core::{RwLock, UpgradableReadGuard};
# toro_core::block_on(async {
let rw = RwLock::with_value(0, 2);
let upgradable = rw.acquire_upgradable().await;
let reader = rw.acquire_read().await;
// The reader is still in: the upgrade cannot finish, and its deadline gives the guard back.
let upgradable = UpgradableReadGuard::try_upgrade(upgradable).unwrap_err();
let timed_out = UpgradableReadGuard::upgrade(upgradable).deadline(Duration::ZERO).await;
let upgradable = timed_out.unwrap_err().into_inner();
drop(reader);
let mut write = UpgradableReadGuard::upgrade(upgradable).await;
*write += 1;
let read = toro_core::WriteGuard::downgrade(write);
assert_eq!(*read, 1);
drop(read);
let again = rw.acquire_upgradable().await;
let _read = UpgradableReadGuard::downgrade(again); // the slot is free for the next
assert!(rw.try_acquire_upgradable().is_some());
# });
```"
}

upgradable_fns! {
    OwnedUpgradableReadGuard[] => OwnedWriteGuard, OwnedUpgrade, OwnedReadGuard,
        |rw| Arc::clone(rw);
    "```
use std::sync::Arc;
use toro_core::{OwnedUpgradableReadGuard, RwLock};
let rw = Arc::new(RwLock::with_value(0, 2));
let reader = rw.try_acquire_read_owned().unwrap();
let upgradable = rw.try_acquire_upgradable_owned().unwrap();
let upgradable = OwnedUpgradableReadGuard::try_upgrade(upgradable).unwrap_err(); // a reader is in
// Borrowing nothing, the guard can move to a thread and wait there for its upgrade.
let writer = std::thread::spawn(move || {
    *OwnedUpgradableReadGuard::upgrade(upgradable).block() += 1;
});
drop(reader);
writer.join().unwrap();
let read = OwnedUpgradableReadGuard::downgrade(rw.try_acquire_upgradable_owned().unwrap());
assert_eq!(*read, 1);
```"
}

wait_future! {
    /// The future of [`RwLock::acquire_upgradable`]: already holds its upgradable read or its
    /// place in line.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line; a token and slot already handed to it go on to the next
    /// in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{AcquireUpgradable, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::new(2);
    /// let first = rw.acquire_upgradable().await;
    /// let second: AcquireUpgradable<'_> = rw.acquire_upgradable(); // waits for the slot
    /// assert_eq!(rw.waiters(), 1);
    /// drop(first); // the slot goes straight to `second`
    /// let _second = second.await;
    /// # });
    /// ```
    #[must_use = "the upgradable read is taken or the place in line held already; .await the future to get the guard"]
    pub struct AcquireUpgradable<'a, T = ()>(StageOf<&'a RwLock<T>, UpgradableAcquirers>)
        -> UpgradableReadGuard<'a, T>;
    finish |rw, request| UpgradableReadGuard {
        hold: UpgradableHold::new(ReadHold::new(Held::granted(rw, request))),
    },
}

wait_future! {
    /// The future of [`RwLock::acquire_upgradable_owned`]: like [`AcquireUpgradable`],
    /// holding an `Arc` of the lock.
    ///
    /// # Cancel safety
    ///
    /// As for [`AcquireUpgradable`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedAcquireUpgradable, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = Arc::new(RwLock::new(2));
    /// let waiting: OwnedAcquireUpgradable = rw.acquire_upgradable_owned();
    /// let _guard = waiting.await;
    /// # });
    /// ```
    #[must_use = "the upgradable read is taken or the place in line held already; .await the future to get the guard"]
    pub struct OwnedAcquireUpgradable<T = ()>(StageOf<Arc<RwLock<T>>, UpgradableAcquirers>)
        -> OwnedUpgradableReadGuard<T>;
    finish |rw, request| OwnedUpgradableReadGuard {
        hold: UpgradableHold::new(ReadHold::new(Held::granted(rw, request))),
    },
}

wait_future! {
    /// The future of [`UpgradableReadGuard::upgrade`]: waits, ahead of the line, for every
    /// other holder to leave, and resolves to the [`WriteGuard`].
    ///
    /// # Cancel safety
    ///
    /// With a deadline, a timeout hands the [`UpgradableReadGuard`] back in the `Timeout`,
    /// the tokens gathered meanwhile passed on. Dropping it gives back everything, the
    /// upgradable read included.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{RwLock, Upgrade, UpgradableReadGuard};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(0, 2);
    /// let reader = rw.acquire_read().await;
    /// let upgrading: Upgrade<'_, i32> = UpgradableReadGuard::upgrade(rw.acquire_upgradable().await);
    /// drop(reader); // the last token goes straight to the upgrade
    /// *upgrading.await += 1;
    /// # });
    /// ```
    #[must_use = "the upgrade has its place ahead of the line already; .await the future to get the write guard"]
    pub struct Upgrade<'a, T = ()>(StageOf<&'a RwLock<T>, Upgrades>) -> WriteGuard<'a, T>;
    finish |rw, request| WriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
    carries UpgradableReadGuard<'a, T> |rw, request| UpgradableReadGuard {
        hold: UpgradableHold::new(ReadHold::new(Held::carried(rw, request))),
    },
}

wait_future! {
    /// The future of [`OwnedUpgradableReadGuard::upgrade`]: like [`Upgrade`], resolving to
    /// the [`OwnedWriteGuard`].
    ///
    /// # Cancel safety
    ///
    /// As for [`Upgrade`]; a timeout hands the [`OwnedUpgradableReadGuard`] back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedUpgrade, OwnedUpgradableReadGuard, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = Arc::new(RwLock::with_value(0, 2));
    /// let upgrading: OwnedUpgrade<i32> =
    ///     OwnedUpgradableReadGuard::upgrade(rw.acquire_upgradable_owned().await);
    /// *upgrading.await += 1;
    /// # });
    /// ```
    #[must_use = "the upgrade has its place ahead of the line already; .await the future to get the write guard"]
    pub struct OwnedUpgrade<T = ()>(StageOf<Arc<RwLock<T>>, Upgrades>) -> OwnedWriteGuard<T>;
    finish |rw, request| OwnedWriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
    carries OwnedUpgradableReadGuard<T> |rw, request| OwnedUpgradableReadGuard {
        hold: UpgradableHold::new(ReadHold::new(Held::carried(rw, request))),
    },
}
