//! [`Semaphore`] and [`BoundedSemaphore`]: a counter of tokens with a FIFO line.

use std::fmt;

use crate::deadline::wait_future;
use crate::error::TooManyReleases;
use crate::tokens::{Acquirers, TokenPool, Watchers, MAX_TOKENS};
use crate::waiters::Stage;

/// A semaphore: `counter()` tokens, taken by [`acquire`](Self::acquire) and given back by
/// dropping the guard or by [`release`](Self::release).
///
/// Acquirers are served strictly first come, first served: a release hands its token
/// straight to the oldest waiting acquirer, inside the `release` call, so `counter()` stays
/// 0 and nobody can barge in. Releasing more than was acquired simply raises the counter;
/// use [`BoundedSemaphore`] to refuse that.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let sem = toro_core::Semaphore::new(2);
/// let a = sem.acquire().await;
/// let _b = sem.acquire().await;
/// assert!(sem.locked());
/// drop(a);
/// assert_eq!(sem.counter(), 1);
/// # });
/// ```
pub struct Semaphore {
    pool: TokenPool,
}

impl Semaphore {
    /// A semaphore with `value` free tokens (`0` starts locked).
    ///
    /// # Panics
    ///
    /// If `value` exceeds `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(0);
    /// assert!(sem.locked());
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: usize) -> Self {
        Semaphore {
            pool: TokenPool::new(value, MAX_TOKENS),
        }
    }

    #[cfg(loom)]
    #[allow(missing_docs)]
    pub fn new(value: usize) -> Self {
        Semaphore {
            pool: TokenPool::new(value, MAX_TOKENS),
        }
    }

    /// The number of free tokens now. Waiting acquirers do not make it negative.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(3);
    /// let _g = sem.try_acquire().unwrap();
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[inline]
    pub fn counter(&self) -> usize {
        self.pool.free()
    }

    /// Whether no token is free (`counter() == 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// let _g = sem.try_acquire().unwrap();
    /// assert!(sem.locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.counter() == 0
    }

    /// Takes a token if one is free, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// let g = sem.try_acquire();
    /// assert!(g.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.pool
            .try_acquire(1)
            .then(|| SemaphoreGuard { pool: &self.pool })
    }

    /// Takes a token, waiting for one if none is free.
    ///
    /// Eager: the token is taken, or the place in line held, when `acquire()` is called,
    /// before the future is first polled.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line and takes nothing; if a token had already been
    /// handed to it, the token goes to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(1);
    /// let _held = sem.acquire().await;
    /// assert!(sem.acquire().deadline(Duration::ZERO).await.is_err());
    /// # });
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            stage: self.pool.acquire(1),
        }
    }

    /// Gives a token back: to the oldest waiting acquirer if any, otherwise to the counter
    /// (waking every [`wait`](Self::wait)er).
    ///
    /// Use it for tokens whose guard was given up with [`SemaphoreGuard::forget`], or to
    /// add tokens.
    ///
    /// # Panics
    ///
    /// If the counter would exceed `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(0);
    /// sem.release();
    /// sem.release();
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[inline]
    pub fn release(&self) {
        self.pool.release(1).expect("Semaphore counter overflow");
    }

    /// Waits until a token is free, without taking it.
    ///
    /// Completes at once while `counter() > 0`; otherwise it is woken by a release that no
    /// waiting acquirer took. It reserves nothing: by the time the waiter runs, the token
    /// may be gone again.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(0);
    /// let wait = sem.wait();
    /// sem.release();
    /// wait.await;
    /// assert_eq!(sem.counter(), 1);
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> SemaphoreWait<'_> {
        SemaphoreWait {
            stage: self.pool.watch(),
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_pool(f, "Semaphore", &self.pool)
    }
}

fn debug_pool(f: &mut fmt::Formatter<'_>, name: &str, pool: &TokenPool) -> fmt::Result {
    let (acquirers, watchers) = pool.waiting();
    f.debug_struct(name)
        .field("counter", &pool.free())
        .field("waiters", &acquirers)
        .field("watchers", &watchers)
        .finish()
}

/// A [`Semaphore`] that refuses to be released above its initial value.
///
/// Use it where a release without a matching acquire is a bug you want reported: its
/// [`release`](Self::release) returns [`TooManyReleases`] instead of raising the counter.
///
/// # Examples
///
/// ```
/// let sem = toro_core::BoundedSemaphore::new(1);
/// let guard = sem.try_acquire().unwrap();
/// guard.forget();
/// assert!(sem.release().is_ok());
/// assert!(sem.release().is_err());
/// ```
pub struct BoundedSemaphore {
    pool: TokenPool,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `value` tokens; releases past `value` free tokens fail.
    ///
    /// # Panics
    ///
    /// If `value` exceeds `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::BoundedSemaphore::new(2);
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: usize) -> Self {
        BoundedSemaphore {
            pool: TokenPool::new(value, value),
        }
    }

    #[cfg(loom)]
    #[allow(missing_docs)]
    pub fn new(value: usize) -> Self {
        BoundedSemaphore {
            pool: TokenPool::new(value, value),
        }
    }

    /// The number of free tokens now.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::BoundedSemaphore::new(4).counter(), 4);
    /// ```
    #[inline]
    pub fn counter(&self) -> usize {
        self.pool.free()
    }

    /// Whether no token is free.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(toro_core::BoundedSemaphore::new(0).locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.counter() == 0
    }

    /// Takes a token if one is free, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.pool
            .try_acquire(1)
            .then(|| SemaphoreGuard { pool: &self.pool })
    }

    /// Takes a token, waiting for one if none is free; see [`Semaphore::acquire`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line and takes nothing; a token already handed to
    /// it goes to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let sem = toro_core::BoundedSemaphore::new(1);
    /// let g = sem.acquire().await;
    /// assert!(sem.locked());
    /// drop(g);
    /// assert!(!sem.locked());
    /// # });
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            stage: self.pool.acquire(1),
        }
    }

    /// Gives a token back, to the oldest waiting acquirer if any.
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] ("Semaphore released too many times") if `counter()` is already
    /// at the initial value; nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::BoundedSemaphore::new(1);
    /// assert_eq!(sem.release(), Err(toro_core::TooManyReleases));
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), TooManyReleases> {
        self.pool.release(1).map_err(|()| TooManyReleases)
    }

    /// Waits until a token is free, without taking it; see [`Semaphore::wait`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// toro_core::BoundedSemaphore::new(1).wait().await;
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> SemaphoreWait<'_> {
        SemaphoreWait {
            stage: self.pool.watch(),
        }
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_pool(f, "BoundedSemaphore", &self.pool)
    }
}

/// A token of a [`Semaphore`] or [`BoundedSemaphore`], given back when dropped.
///
/// Keep it for as long as you use the capacity it stands for; dropping it hands the token
/// straight to the oldest waiting acquirer. [`forget`](Self::forget) keeps the token
/// taken until a manual `release()`.
///
/// # Examples
///
/// ```
/// let sem = toro_core::Semaphore::new(1);
/// {
///     let _guard = sem.try_acquire().unwrap();
///     assert_eq!(sem.counter(), 0);
/// }
/// assert_eq!(sem.counter(), 1);
/// ```
#[must_use = "the token is given back as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    pool: &'a TokenPool,
}

impl SemaphoreGuard<'_> {
    /// Keeps the token taken: it comes back only through a manual `release()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.counter(), 0);
    /// sem.release();
    /// assert_eq!(sem.counter(), 1);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self)
    }
}

impl Drop for SemaphoreGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // Refused only if the token was also released by hand; then it is back already.
        let _ = self.pool.release(1);
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}

/// The future of [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
///
/// It already holds its place in line (or its token) when created. Await it for the
/// [`SemaphoreGuard`]; give it a deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it leaves the line and takes nothing; a token already handed to it goes to
/// the next in line.
///
/// # Examples
///
/// ```
/// use toro_core::{Semaphore, SemaphoreAcquire};
/// # toro_core::block_on(async {
/// let sem = Semaphore::new(1);
/// let first = sem.acquire().await;
/// let waiting: SemaphoreAcquire<'_> = sem.acquire(); // in line
/// drop(first); // the token goes straight to `waiting`
/// assert_eq!(sem.counter(), 0);
/// assert!(sem.try_acquire().is_none()); // nobody barges in
/// let _second = waiting.await;
/// # });
/// ```
#[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
pub struct SemaphoreAcquire<'a> {
    stage: Stage<'a, Acquirers>,
}

wait_future! {
    SemaphoreAcquire<'a> -> SemaphoreGuard<'a>,
    finish |pool, _| SemaphoreGuard { pool },
    carries () |_| (),
}

/// The future of [`Semaphore::wait`] and [`BoundedSemaphore::wait`].
///
/// Completes once a token is free, taking none: use it to learn that capacity is back
/// without claiming it. Give it a deadline with `.deadline(d)` or
/// `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it takes nothing from anyone.
///
/// # Examples
///
/// ```
/// use toro_core::{Semaphore, SemaphoreWait};
/// # toro_core::block_on(async {
/// let sem = Semaphore::new(0);
/// let watcher: SemaphoreWait<'_> = sem.wait();
/// sem.release(); // no acquirer waits: the counter rises and the watcher wakes
/// watcher.await;
/// assert_eq!(sem.counter(), 1); // the wait took nothing
/// # });
/// ```
#[must_use = "the wait is registered already; .await the future to wait for a free token"]
pub struct SemaphoreWait<'a> {
    stage: Stage<'a, Watchers>,
}

wait_future! {
    SemaphoreWait<'a> -> (),
    finish |_, ()| (),
    carries () |()| (),
}
