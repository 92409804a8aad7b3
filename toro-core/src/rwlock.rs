//! [`RwLock`]: toro's reader-writer lock, one FIFO line of token requests, bare or
//! guarding data (`RwLock<T>`).

use std::fmt;
use std::sync::Arc;

use crate::cell::{Guarded, ReadHold, Shared, WriteHold, data_anchors, guard_access};
use crate::deadline::wait_future;
use crate::error::NotLocked;
use crate::tokens::{Acquirers, Held, TokenPool, too_many_tokens};
use crate::waiters::StageOf;

/// A reader-writer lock: up to `max_readers` readers at once, or one writer; bare (toro's
/// `RWLock`) or, as `RwLock<T>`, guarding a `T` that readers share and a writer changes.
///
/// toro's model: a pool of `max_readers` tokens. A reader holds one; a writer holds all of
/// them. Readers and writers stand in **one** FIFO line. A writer takes every free token
/// the moment it asks and waits for the rest at one place in line, so readers that come
/// after it queue behind it: writers never starve. A release hands tokens to the head of
/// the line, so one write release can admit several queued readers at once.
///
/// [`locked`](Self::locked) keeps toro's meaning: *no token is free* (a writer holds or
/// waits, or `max_readers` readers hold).
///
/// Unlike toro, a writer that times out or is dropped gives back every token it had been
/// granted (toro leaked them). No poisoning: a holder that panics releases, and the data
/// stays as it left it. [`ReadGuard`] derefs to the data, [`WriteGuard`] mutably; the
/// `_owned` forms keep an `Arc` of the lock and borrow nothing.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let rw = toro_core::RwLock::with_value(vec![1, 2], 2);
/// let r1 = rw.acquire_read().await;
/// assert!(!rw.locked()); // one token still free
/// let r2 = rw.acquire_read().await;
/// assert!(rw.locked());
/// assert_eq!(r1.len() + r2.len(), 4);
/// drop((r1, r2));
/// rw.acquire_write().await.push(3);
/// assert_eq!(*rw.acquire_read().await, [1, 2, 3]);
/// # });
/// ```
pub struct RwLock<T = ()> {
    pub(crate) inner: Guarded<T, Shared>,
}

const TOO_MANY: &str = too_many_tokens!("RwLock: max_readers");

impl RwLock {
    /// A bare lock admitting `max_readers` concurrent readers (`1`: reads are exclusive
    /// too): toro's `RWLock(max_readers)`.
    ///
    /// # Panics
    ///
    /// If `max_readers` is 0 (toro's degenerate lock that no reader can ever take) or
    /// exceeds `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(10);
    /// assert_eq!(rw.max_readers(), 10);
    /// ```
    pub fn new(max_readers: usize) -> Self {
        RwLock::with_value((), max_readers)
    }
}

impl<T> RwLock<T> {
    /// A lock guarding `value`, admitting `max_readers` concurrent readers.
    ///
    /// # Panics
    ///
    /// If `max_readers` is 0 or exceeds `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::with_value(String::from("config"), 8);
    /// assert_eq!(rw.max_readers(), 8);
    /// assert_eq!(*rw.try_acquire_read().unwrap(), "config");
    /// ```
    pub fn with_value(value: T, max_readers: usize) -> Self {
        assert!(
            max_readers > 0,
            "RwLock::new: max_readers must be at least 1, got 0"
        );
        RwLock {
            inner: Guarded::new(value, max_readers, TOO_MANY),
        }
    }

    fn pool(&self) -> &TokenPool {
        &self.inner.pool
    }

    /// How many readers may hold the lock at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::RwLock::new(3).max_readers(), 3);
    /// ```
    pub fn max_readers(&self) -> usize {
        self.pool().bound()
    }

    /// Whether no token is free: a read would have to wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(10);
    /// let r = rw.try_acquire_read().unwrap();
    /// assert!(!rw.locked());
    /// drop(r);
    /// let _w = rw.try_acquire_write().unwrap();
    /// assert!(rw.locked());
    /// ```
    #[inline]
    #[doc(alias = "is_locked")]
    pub fn locked(&self) -> bool {
        self.pool().free() == 0
    }

    /// Whether no token is free; Rust's name for [`locked`](Self::locked) (toro's
    /// meaning: a writer holds the lock, or every reader's token is taken).
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// let _w = rw.try_acquire_write().unwrap();
    /// assert!(rw.is_locked());
    /// ```
    #[inline]
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        self.locked()
    }

    /// How many waiters (readers and writers) stand in line now.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(1);
    /// let _r = rw.try_acquire_read().unwrap();
    /// let writer = rw.acquire_write();
    /// assert_eq!(rw.waiters(), 1);
    /// drop(writer);
    /// assert_eq!(rw.waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.pool().waiting().0
    }

    /// The data, through a unique borrow of the lock: no guard can exist.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rw = toro_core::RwLock::with_value(1, 4);
    /// *rw.get_mut() = 2;
    /// assert_eq!(rw.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Consumes the lock, returning its data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::RwLock::with_value('x', 1).into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }

    /// Takes a read token if one is free and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(1);
    /// let _r = rw.try_acquire_read().unwrap();
    /// assert!(rw.try_acquire_read().is_none());
    /// ```
    #[inline]
    pub fn try_acquire_read(&self) -> Option<ReadGuard<'_, T>> {
        Held::try_take(self, 1).map(|held| ReadGuard {
            hold: ReadHold::new(held),
        })
    }

    /// Takes every token if all are free and nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// let r = rw.try_acquire_read().unwrap();
    /// assert!(rw.try_acquire_write().is_none());
    /// drop(r);
    /// assert!(rw.try_acquire_write().is_some());
    /// ```
    #[inline]
    pub fn try_acquire_write(&self) -> Option<WriteGuard<'_, T>> {
        Held::try_take(self, self.max_readers()).map(|held| WriteGuard {
            hold: WriteHold::new(held),
        })
    }

    /// Takes one read token, waiting in line if none is free.
    ///
    /// Eager: the token is taken, or the place in line held, when this is called.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line; a token already handed to it goes on to the
    /// next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let rw = toro_core::RwLock::new(4);
    /// let _r = rw.acquire_read().await;
    /// # });
    /// ```
    #[inline]
    pub fn acquire_read(&self) -> AcquireRead<'_, T> {
        AcquireRead {
            stage: TokenPool::acquire(self, 1),
        }
    }

    /// Takes every token, waiting in line for those not free.
    ///
    /// Eager: the free tokens are claimed when this is called, and the rest are waited for
    /// at one place in line; readers arriving later queue behind.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future (or its deadline passing) gives back every token it had been
    /// granted, to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let rw = toro_core::RwLock::new(3);
    /// let r = rw.acquire_read().await;
    /// // Times out: the two tokens it claimed come back.
    /// assert!(rw.acquire_write().deadline(Duration::from_millis(1)).await.is_err());
    /// drop(r);
    /// assert!(rw.try_acquire_write().is_some());
    /// # });
    /// ```
    #[inline]
    pub fn acquire_write(&self) -> AcquireWrite<'_, T> {
        AcquireWrite {
            stage: TokenPool::acquire(self, self.max_readers()),
        }
    }

    /// [`try_acquire_read`](Self::try_acquire_read) for a lock in an `Arc`: the guard
    /// keeps the `Arc` and borrows nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::with_value(3, 2));
    /// let guard = rw.try_acquire_read_owned().unwrap();
    /// assert_eq!(*guard, 3);
    /// ```
    #[inline]
    pub fn try_acquire_read_owned(self: &Arc<Self>) -> Option<OwnedReadGuard<T>> {
        Held::try_take(Arc::clone(self), 1).map(|held| OwnedReadGuard {
            hold: ReadHold::new(held),
        })
    }

    /// [`try_acquire_write`](Self::try_acquire_write) for a lock in an `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::with_value(3, 2));
    /// *rw.try_acquire_write_owned().unwrap() += 1;
    /// assert_eq!(*rw.try_acquire_read().unwrap(), 4);
    /// ```
    #[inline]
    pub fn try_acquire_write_owned(self: &Arc<Self>) -> Option<OwnedWriteGuard<T>> {
        Held::try_take(Arc::clone(self), self.max_readers()).map(|held| OwnedWriteGuard {
            hold: WriteHold::new(held),
        })
    }

    /// [`acquire_read`](Self::acquire_read) for a lock in an `Arc`: the future and its
    /// guard are `'static` and can move into a spawned task.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_read`](Self::acquire_read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # toro_core::block_on(async {
    /// let rw = Arc::new(toro_core::RwLock::with_value("shared", 4));
    /// let guard = rw.acquire_read_owned().await;
    /// std::thread::spawn(move || assert_eq!(*guard, "shared")).join().unwrap();
    /// # });
    /// ```
    #[inline]
    pub fn acquire_read_owned(self: &Arc<Self>) -> OwnedAcquireRead<T> {
        OwnedAcquireRead {
            stage: TokenPool::acquire(Arc::clone(self), 1),
        }
    }

    /// [`acquire_write`](Self::acquire_write) for a lock in an `Arc`: the future and its
    /// guard are `'static` and can move into a spawned task.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_write`](Self::acquire_write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # toro_core::block_on(async {
    /// let rw = Arc::new(toro_core::RwLock::with_value(0, 4));
    /// let mut guard = rw.acquire_write_owned().await;
    /// std::thread::spawn(move || *guard += 1).join().unwrap();
    /// assert_eq!(*rw.acquire_read().await, 1);
    /// # });
    /// ```
    #[inline]
    pub fn acquire_write_owned(self: &Arc<Self>) -> OwnedAcquireWrite<T> {
        OwnedAcquireWrite {
            stage: TokenPool::acquire(Arc::clone(self), self.max_readers()),
        }
    }

    /// Gives back one read token of a [`ReadGuard::forget`]-ed guard.
    ///
    /// Only forgotten guards' tokens can be given back this way (a write guard forgotten
    /// counts as `max_readers` of them); with only live guards this is refused and changes
    /// nothing.
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if no forgotten token is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// let live = rw.try_acquire_read().unwrap();
    /// assert!(rw.release_read().is_err()); // the live guard keeps its token
    /// rw.try_acquire_read().unwrap().forget();
    /// assert!(rw.release_read().is_ok());
    /// assert!(rw.release_read().is_err());
    /// # drop(live);
    /// ```
    #[inline]
    pub fn release_read(&self) -> Result<(), NotLocked> {
        self.pool().release_forgotten(1).map_err(|()| NotLocked)
    }

    /// Gives back all `max_readers` tokens of a [`WriteGuard::forget`]-ed guard.
    ///
    /// Only forgotten guards' tokens can be given back this way; with only live guards this
    /// is refused and changes nothing.
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if fewer than `max_readers` forgotten tokens
    /// are left.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// rw.try_acquire_write().unwrap().forget();
    /// assert!(rw.release_write().is_ok());
    /// assert!(rw.release_write().is_err());
    /// ```
    #[inline]
    pub fn release_write(&self) -> Result<(), NotLocked> {
        self.pool()
            .release_forgotten(self.max_readers())
            .map_err(|()| NotLocked)
    }
}

/// Shows the state and, if a read token is free, the data (taking the token for the
/// moment); `<locked>` otherwise.
impl<T: fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (counter, waiters) = (self.pool().free(), self.pool().waiting().0);
        let guard = self.try_acquire_read();
        let mut d = f.debug_struct("RwLock");
        d.field("max_readers", &self.max_readers())
            .field("counter", &counter)
            .field("waiters", &waiters);
        match &guard {
            Some(guard) => d.field("data", &**guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

data_anchors!(RwLock, Shared);

/// A read token of an [`RwLock`], given back when dropped. Derefs to the data.
///
/// Made by [`RwLock::acquire_read`] and [`RwLock::try_acquire_read`]; keep it for the
/// read section. Up to `max_readers` read guards exist at once; dropping one hands its
/// token to the head of the line (a waiting writer collects it). To give it back from
/// elsewhere, [`forget`](Self::forget) it and call [`RwLock::release_read`].
///
/// # Examples
///
/// ```
/// use toro_core::{ReadGuard, RwLock};
/// # toro_core::block_on(async {
/// let rw = RwLock::with_value(7, 2);
/// let a: ReadGuard<'_, i32> = rw.acquire_read().await;
/// let b: ReadGuard<'_, i32> = rw.acquire_read().await; // readers share the lock
/// assert_eq!(*a + *b, 14);
/// assert!(rw.locked());
/// drop(a);
/// assert!(!rw.locked()); // one token free again
/// # drop(b);
/// # });
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct ReadGuard<'a, T = ()> {
    hold: ReadHold<&'a RwLock<T>>,
}

/// Every token of an [`RwLock`], given back when dropped. Derefs mutably to the data.
///
/// Made by [`RwLock::acquire_write`] and [`RwLock::try_acquire_write`]; while it lives,
/// no reader or other writer holds the lock. Dropping it hands the tokens to the head of
/// the line, so one release can admit several queued readers at once. To give them back
/// from elsewhere, [`forget`](Self::forget) it and call [`RwLock::release_write`].
///
/// # Examples
///
/// ```
/// use toro_core::{RwLock, WriteGuard};
/// # toro_core::block_on(async {
/// let rw = RwLock::with_value(0, 2);
/// let mut writer: WriteGuard<'_, i32> = rw.acquire_write().await;
/// *writer = 5;
/// let (r1, r2) = (rw.acquire_read(), rw.acquire_read()); // both wait
/// drop(writer); // both readers are admitted by this one release
/// let (r1, r2) = (r1.await, r2.await);
/// assert_eq!((*r1, *r2), (5, 5));
/// assert!(rw.try_acquire_write().is_none());
/// # });
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct WriteGuard<'a, T = ()> {
    hold: WriteHold<&'a RwLock<T>>,
}

/// A read token of an [`RwLock`] in an `Arc`: an [`OwnedReadGuard`] borrows nothing, so it
/// is `'static` and can move into a spawned task. Otherwise like [`ReadGuard`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use toro_core::{OwnedReadGuard, RwLock};
/// let rw = Arc::new(RwLock::with_value(1, 2));
/// let guard: OwnedReadGuard<i32> = rw.try_acquire_read_owned().unwrap();
/// std::thread::spawn(move || assert_eq!(*guard, 1)).join().unwrap();
/// assert!(!rw.locked());
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct OwnedReadGuard<T = ()> {
    hold: ReadHold<Arc<RwLock<T>>>,
}

/// Every token of an [`RwLock`] in an `Arc`: an [`OwnedWriteGuard`] borrows nothing, so it
/// is `'static` and can move into a spawned task. Otherwise like [`WriteGuard`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use toro_core::{OwnedWriteGuard, RwLock};
/// let rw = Arc::new(RwLock::with_value(1, 2));
/// let mut guard: OwnedWriteGuard<i32> = rw.try_acquire_write_owned().unwrap();
/// std::thread::spawn(move || *guard += 1).join().unwrap();
/// assert_eq!(*rw.try_acquire_read().unwrap(), 2);
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct OwnedWriteGuard<T = ()> {
    hold: WriteHold<Arc<RwLock<T>>>,
}

impl<'a, T> ReadGuard<'a, T> {
    /// Keeps the token taken; give it back with [`RwLock::release_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(1);
    /// rw.try_acquire_read().unwrap().forget();
    /// assert!(rw.locked());
    /// rw.release_read().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }
}

impl<T> OwnedReadGuard<T> {
    /// Keeps the token taken (the `Arc` is dropped); give it back with
    /// [`RwLock::release_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::new(1));
    /// rw.try_acquire_read_owned().unwrap().forget();
    /// rw.release_read().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }
}

impl<'a, T> WriteGuard<'a, T> {
    /// Keeps the tokens taken; give them back with [`RwLock::release_write`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(3);
    /// rw.try_acquire_write().unwrap().forget();
    /// rw.release_write().unwrap();
    /// assert!(!rw.locked());
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }

    /// Turns the write lock into a read lock without letting anyone in between: keeps one
    /// token and hands the rest to the head of the line, in FIFO order.
    ///
    /// Readers at the head of the line enter at once; a writer at the head still waits
    /// for this reader (and for the readers that entered before it), and readers behind
    /// that writer stay behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let rw = toro_core::RwLock::with_value(0, 2);
    /// let mut w = rw.acquire_write().await;
    /// *w = 1;
    /// let reader = rw.acquire_read();
    /// let r = w.downgrade(); // the waiting reader enters
    /// let other = reader.await;
    /// assert_eq!((*r, *other), (1, 1));
    /// # });
    /// ```
    pub fn downgrade(self) -> ReadGuard<'a, T> {
        ReadGuard {
            hold: self.hold.downgrade(),
        }
    }
}

impl<T> OwnedWriteGuard<T> {
    /// Keeps the tokens taken (the `Arc` is dropped); give them back with
    /// [`RwLock::release_write`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::new(2));
    /// rw.try_acquire_write_owned().unwrap().forget();
    /// rw.release_write().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }

    /// [`WriteGuard::downgrade`] for an owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::with_value(1, 2));
    /// let r = rw.try_acquire_write_owned().unwrap().downgrade();
    /// assert!(rw.try_acquire_read().is_some()); // one token is free again
    /// assert_eq!(*r, 1);
    /// ```
    pub fn downgrade(self) -> OwnedReadGuard<T> {
        OwnedReadGuard {
            hold: self.hold.downgrade(),
        }
    }
}

// `Deref` (and `DerefMut` for the write guards) to the data, and a `Debug` that shows it.
guard_access! {
    ReadGuard<'a>: "ReadGuard";
    OwnedReadGuard: "OwnedReadGuard";
    WriteGuard<'a>: "WriteGuard";
    OwnedWriteGuard: "OwnedWriteGuard";
}
guard_access! {
    mut WriteGuard<'a>;
    mut OwnedWriteGuard;
}

/// The future of [`RwLock::acquire_read`].
///
/// Already holds its read token or its place in line when created; await it for the
/// [`ReadGuard`], or give it a deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it leaves the line; a token already handed to it goes on to the next in line.
///
/// # Examples
///
/// ```
/// use toro_core::{AcquireRead, RwLock};
/// # toro_core::block_on(async {
/// let rw = RwLock::new(1);
/// let first: AcquireRead<'_> = rw.acquire_read(); // takes the only token
/// let second: AcquireRead<'_> = rw.acquire_read(); // waits in line
/// drop(first.await); // the token is handed straight to `second`
/// assert!(rw.locked());
/// let _reader = second.await;
/// # });
/// ```
#[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
pub struct AcquireRead<'a, T = ()> {
    stage: StageOf<&'a RwLock<T>, Acquirers>,
}

wait_future! {
    AcquireRead<'a, T> -> ReadGuard<'a, T>,
    finish |rw, request| ReadGuard { hold: ReadHold::new(Held::granted(rw, request)) },
    carries () |_| (),
}

/// The future of [`RwLock::acquire_write`].
///
/// Already holds every token that was free when it was created, and one place in line
/// for the rest: readers that come later queue behind it, so writers never starve. Await
/// it for the [`WriteGuard`], or give it a deadline with `.deadline(d)` or
/// `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it (or its deadline passing) gives back every token it had been granted, to
/// the next in line.
///
/// # Examples
///
/// ```
/// use toro_core::{AcquireWrite, RwLock};
/// # toro_core::block_on(async {
/// let rw = RwLock::new(2);
/// let reader = rw.acquire_read().await;
/// let writer: AcquireWrite<'_> = rw.acquire_write(); // claims the free token now
/// let late_reader = rw.acquire_read(); // queues behind the writer
/// assert!(rw.locked());
/// drop(reader); // the writer now holds both tokens
/// drop(writer.await); // both tokens go to the head of the line
/// let _reader = late_reader.await;
/// assert!(!rw.locked()); // one reader holds one of two tokens
/// # });
/// ```
#[must_use = "the free tokens are claimed and the place in line held already; .await the future to get the guard"]
pub struct AcquireWrite<'a, T = ()> {
    stage: StageOf<&'a RwLock<T>, Acquirers>,
}

wait_future! {
    AcquireWrite<'a, T> -> WriteGuard<'a, T>,
    finish |rw, request| WriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
    carries () |_| (),
}

/// The future of [`RwLock::acquire_read_owned`]: like [`AcquireRead`], holding an `Arc`
/// of the lock, so it is `'static`.
///
/// # Cancel safety
///
/// Dropping it leaves the line; a token already handed to it goes on to the next in line.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use toro_core::{OwnedAcquireRead, RwLock};
/// # toro_core::block_on(async {
/// let rw = Arc::new(RwLock::with_value(9, 1));
/// let w = rw.acquire_write().await;
/// let reader: OwnedAcquireRead<i32> = rw.acquire_read_owned(); // waits in line
/// drop(w);
/// assert_eq!(*reader.await, 9);
/// # });
/// ```
#[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
pub struct OwnedAcquireRead<T = ()> {
    stage: StageOf<Arc<RwLock<T>>, Acquirers>,
}

wait_future! {
    OwnedAcquireRead<T> -> OwnedReadGuard<T>,
    finish |rw, request| OwnedReadGuard { hold: ReadHold::new(Held::granted(rw, request)) },
    carries () |_| (),
}

/// The future of [`RwLock::acquire_write_owned`]: like [`AcquireWrite`], holding an `Arc`
/// of the lock, so it is `'static`.
///
/// # Cancel safety
///
/// Dropping it (or its deadline passing) gives back every token it had been granted, to
/// the next in line.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use toro_core::{OwnedAcquireWrite, RwLock};
/// # toro_core::block_on(async {
/// let rw = Arc::new(RwLock::with_value(9, 3));
/// let r = rw.acquire_read().await;
/// let writer: OwnedAcquireWrite<i32> = rw.acquire_write_owned(); // claims 2 tokens now
/// drop(r);
/// *writer.await += 1;
/// assert_eq!(*rw.acquire_read().await, 10);
/// # });
/// ```
#[must_use = "the free tokens are claimed and the place in line held already; .await the future to get the guard"]
pub struct OwnedAcquireWrite<T = ()> {
    stage: StageOf<Arc<RwLock<T>>, Acquirers>,
}

wait_future! {
    OwnedAcquireWrite<T> -> OwnedWriteGuard<T>,
    finish |rw, request| OwnedWriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
    carries () |_| (),
}
