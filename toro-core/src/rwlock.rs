//! [`RwLock`]: toro's reader-writer lock, one FIFO line of token requests.

use std::fmt;

use crate::deadline::wait_future;
use crate::error::NotLocked;
use crate::tokens::{Acquirers, TokenPool};
use crate::waiters::Stage;

/// A reader-writer lock: up to `max_readers` readers at once, or one writer.
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
/// granted (toro leaked them).
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let rw = toro_core::RwLock::new(2);
/// let r1 = rw.acquire_read().await;
/// assert!(!rw.locked()); // one token still free
/// let r2 = rw.acquire_read().await;
/// assert!(rw.locked());
/// drop((r1, r2));
/// let _w = rw.acquire_write().await;
/// assert!(rw.try_acquire_read().is_none());
/// # });
/// ```
pub struct RwLock {
    pool: TokenPool,
    max_readers: usize,
}

impl RwLock {
    /// A lock admitting `max_readers` concurrent readers (`1`: reads are exclusive too).
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
        assert!(
            max_readers > 0,
            "RwLock::new: max_readers must be at least 1, got 0"
        );
        RwLock {
            pool: TokenPool::new(max_readers, max_readers),
            max_readers,
        }
    }

    /// How many readers may hold the lock at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::RwLock::new(3).max_readers(), 3);
    /// ```
    pub fn max_readers(&self) -> usize {
        self.max_readers
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
    pub fn locked(&self) -> bool {
        self.pool.free() == 0
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
    pub fn try_acquire_read(&self) -> Option<ReadGuard<'_>> {
        self.pool
            .try_acquire(1)
            .then(|| ReadGuard { pool: &self.pool })
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
    pub fn try_acquire_write(&self) -> Option<WriteGuard<'_>> {
        self.pool
            .try_acquire(self.max_readers)
            .then(|| WriteGuard { pool: &self.pool })
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
    pub fn acquire_read(&self) -> AcquireRead<'_> {
        AcquireRead {
            stage: self.pool.acquire(1),
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
    pub fn acquire_write(&self) -> AcquireWrite<'_> {
        AcquireWrite {
            stage: self.pool.acquire(self.max_readers),
        }
    }

    /// Gives back one read token (for a [`ReadGuard::forget`]-ed guard).
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if every token is free already.
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(2);
    /// rw.try_acquire_read().unwrap().forget();
    /// assert!(rw.release_read().is_ok());
    /// assert!(rw.release_read().is_err());
    /// ```
    #[inline]
    pub fn release_read(&self) -> Result<(), NotLocked> {
        self.pool.release(1).map_err(|()| NotLocked)
    }

    /// Gives back all `max_readers` tokens (for a [`WriteGuard::forget`]-ed guard).
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if any token is free, i.e. the lock is not
    /// write-held.
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
        self.pool.release(self.max_readers).map_err(|()| NotLocked)
    }
}

impl fmt::Debug for RwLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("max_readers", &self.max_readers)
            .field("counter", &self.pool.free())
            .field("waiters", &self.pool.waiting().0)
            .finish()
    }
}

/// A read token of an [`RwLock`], given back when dropped.
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
/// let rw = RwLock::new(2);
/// let a: ReadGuard<'_> = rw.acquire_read().await;
/// let b: ReadGuard<'_> = rw.acquire_read().await; // readers share the lock
/// assert!(rw.locked());
/// drop(a);
/// assert!(!rw.locked()); // one token free again
/// # drop(b);
/// # });
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct ReadGuard<'a> {
    pool: &'a TokenPool,
}

impl ReadGuard<'_> {
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
        std::mem::forget(self)
    }
}

impl Drop for ReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.pool.release(1);
    }
}

impl fmt::Debug for ReadGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadGuard").finish_non_exhaustive()
    }
}

/// Every token of an [`RwLock`], given back when dropped.
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
/// let rw = RwLock::new(2);
/// let writer: WriteGuard<'_> = rw.acquire_write().await;
/// let (r1, r2) = (rw.acquire_read(), rw.acquire_read()); // both wait
/// drop(writer); // both readers are admitted by this one release
/// let _readers = (r1.await, r2.await);
/// assert!(rw.locked());
/// assert!(rw.try_acquire_write().is_none());
/// # });
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct WriteGuard<'a> {
    pool: &'a TokenPool,
}

impl WriteGuard<'_> {
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
        std::mem::forget(self)
    }
}

impl Drop for WriteGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // A writer holds every token: as many as the pool's bound (`max_readers`).
        let _ = self.pool.release(self.pool.bound());
    }
}

impl fmt::Debug for WriteGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteGuard").finish_non_exhaustive()
    }
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
pub struct AcquireRead<'a> {
    stage: Stage<'a, Acquirers>,
}

wait_future! {
    AcquireRead<'a> -> ReadGuard<'a>,
    finish |pool, _| ReadGuard { pool },
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
pub struct AcquireWrite<'a> {
    stage: Stage<'a, Acquirers>,
}

wait_future! {
    AcquireWrite<'a> -> WriteGuard<'a>,
    finish |pool, _| WriteGuard { pool },
    carries () |_| (),
}
