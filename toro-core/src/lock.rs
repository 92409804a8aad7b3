//! [`Lock`]: a mutual-exclusion lock with a FIFO line and direct hand-off.

use std::fmt;

use crate::deadline::wait_future;
use crate::error::NotLocked;
use crate::tokens::{Acquirers, TokenPool};
use crate::waiters::Stage;

/// A lock for coroutines: toro's `Lock`, guarding no data of its own.
///
/// Strictly first come, first served: releasing it hands ownership straight to the oldest
/// waiter, inside the release, so [`locked`](Self::locked) stays `true` and nobody barges
/// in. Not reentrant, and not tied to an owner: any code may [`release`](Self::release)
/// a lock whose guard was [`forget`](LockGuard::forget)-ed.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let lock = toro_core::Lock::new();
/// let guard = lock.acquire().await;
/// assert!(lock.locked());
/// drop(guard);
/// assert!(!lock.locked());
/// # });
/// ```
pub struct Lock {
    pool: TokenPool,
}

impl Lock {
    /// An unlocked lock. `const`, so it can live in a `static`.
    ///
    /// # Examples
    ///
    /// ```
    /// static LOCK: toro_core::Lock = toro_core::Lock::new();
    /// assert!(!LOCK.locked());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Lock {
            pool: TokenPool::new(1, 1),
        }
    }

    #[cfg(loom)]
    #[allow(missing_docs)]
    pub fn new() -> Self {
        Lock {
            pool: TokenPool::new(1, 1),
        }
    }

    /// Whether the lock is held (or promised to a waiter).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// let _g = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.pool.free() == 0
    }

    /// Takes the lock if it is free and nobody waits, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// let g = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// drop(g);
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        self.pool
            .try_acquire(1)
            .then(|| LockGuard { pool: &self.pool })
    }

    /// Takes the lock, waiting in line if it is held.
    ///
    /// Eager: an uncontended lock is taken by the call itself, before the future is
    /// awaited, and a contended call holds its place in line from that moment.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line; if the lock had already been handed to it,
    /// the lock passes to the next waiter (or is released).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let lock = toro_core::Lock::new();
    /// let first = lock.acquire(); // taken here, before any .await
    /// assert!(lock.locked());
    /// let _g = first.await;
    /// assert!(lock.acquire().deadline(Duration::from_millis(1)).await.is_err());
    /// # });
    /// ```
    #[inline]
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            stage: self.pool.acquire(1),
        }
    }

    /// Releases a lock whose guard was given up with [`LockGuard::forget`]: ownership
    /// passes to the oldest waiter, if any.
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if the lock is not held.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// lock.try_acquire().unwrap().forget();
    /// assert!(lock.release().is_ok());
    /// assert_eq!(lock.release(), Err(toro_core::NotLocked));
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), NotLocked> {
        self.pool.release(1).map_err(|()| NotLocked)
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.locked())
            .field("waiters", &self.pool.waiting().0)
            .finish()
    }
}

/// Holds a [`Lock`]; releases it when dropped.
///
/// Made by [`Lock::acquire`] and [`Lock::try_acquire`]. Keep it alive for the critical
/// section; the lock guards no data of its own, so the guard gives no access to any.
/// Dropping it hands the lock straight to the oldest waiter. To release from elsewhere,
/// give it up with [`forget`](Self::forget) and call [`Lock::release`] later.
///
/// # Examples
///
/// ```
/// use toro_core::{Lock, LockGuard};
/// # toro_core::block_on(async {
/// let lock = Lock::new();
/// {
///     let _guard: LockGuard<'_> = lock.acquire().await;
///     assert!(lock.locked());
/// } // dropped here: released
/// assert!(!lock.locked());
/// # });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    pool: &'a TokenPool,
}

impl LockGuard<'_> {
    /// Keeps the lock held after the guard is gone; release it with [`Lock::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// lock.try_acquire().unwrap().forget();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// ```
    pub fn forget(self) {
        std::mem::forget(self)
    }
}

impl Drop for LockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Refused only if the lock was also released by hand: it is free already.
        let _ = self.pool.release(1);
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

/// The future of [`Lock::acquire`]: already holds the lock or its place in line.
///
/// Await it for the [`LockGuard`]; give it a deadline with `.deadline(d)` or
/// `.deadline_on(&handle, d)`. Name the type to keep a pending acquire in a struct.
///
/// # Cancel safety
///
/// Dropping it leaves the line; a lock already handed to it passes to the next waiter
/// (or is released).
///
/// # Examples
///
/// ```
/// use toro_core::{Lock, LockAcquire};
/// # toro_core::block_on(async {
/// let lock = Lock::new();
/// let first: LockAcquire<'_> = lock.acquire(); // the lock is taken here
/// let second: LockAcquire<'_> = lock.acquire(); // in line behind `first`
/// drop(first.await); // released: handed straight to `second`
/// assert!(lock.locked());
/// assert!(lock.try_acquire().is_none()); // nobody barges in
/// let _guard = second.await;
/// # });
/// ```
#[must_use = "the lock is taken or the place in line held already; .await the future to get the guard"]
pub struct LockAcquire<'a> {
    stage: Stage<'a, Acquirers>,
}

wait_future! {
    LockAcquire<'a> -> LockGuard<'a>,
    finish |pool, _| LockGuard { pool },
    carries () |_| (),
}
