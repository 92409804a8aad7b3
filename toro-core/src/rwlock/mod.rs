//! [`RwLock`]: toro's reader-writer lock, one FIFO line of token requests, bare or
//! guarding data (`RwLock<T>`).

use std::fmt;
use std::sync::Arc;

use crate::cell::{Guarded, ReadHold, Shared, WriteHold, data_anchors};
use crate::error::NotLocked;
use crate::tokens::{Held, TokenPool, too_many_tokens};

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

data_anchors!(RwLock, Shared, bound: None);

mod futures;
mod guards;
mod upgradable;

pub use futures::{AcquireRead, AcquireWrite, OwnedAcquireRead, OwnedAcquireWrite};
pub use guards::{OwnedReadGuard, OwnedWriteGuard, ReadGuard, WriteGuard};
pub use upgradable::{
    AcquireUpgradable, OwnedAcquireUpgradable, OwnedUpgradableReadGuard, OwnedUpgrade,
    UpgradableReadGuard, Upgrade,
};
