//! [`Lock`]: a mutual-exclusion lock with a FIFO line and direct hand-off, bare (toro's
//! `Lock`) or guarding data (`Lock<T>`, an async mutex).

use std::fmt;
use std::sync::Arc;

use crate::cell::{Exclusive, Guarded, WriteHold, data_anchors, data_guards};
use crate::deadline::wait_future;
use crate::error::NotLocked;
use crate::sync::const_fn;
use crate::tokens::{Acquirers, Held, TokenPool, too_many_tokens};
use crate::waiters::StageOf;

/// A lock for coroutines: toro's `Lock`, or, as `Lock<T>`, an async mutex guarding a `T`.
///
/// Strictly first come, first served: releasing it hands ownership straight to the oldest
/// waiter, inside the release, so [`locked`](Self::locked) stays `true` and nobody barges
/// in. Not reentrant.
///
/// `Lock::new()` builds toro's bare lock (`Lock<()>`, guarding nothing);
/// [`Lock::with_value`] builds one that owns its data, reached only through the guard,
/// which derefs to it (std's `HashMap::new` pattern: the default type parameter is `()`).
/// The guard may be held across `.await` and moved to another task; owned guards
/// ([`acquire_owned`](Self::acquire_owned)) borrow nothing and can move into a spawned
/// task.
///
/// No poisoning: a task that panics while holding the guard releases the lock, and the
/// data stays as the task left it.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use toro_core::Lock;
/// # toro_core::block_on(async {
/// let cache: Lock<HashMap<&str, u32>> = Lock::with_value(HashMap::new());
/// cache.acquire().await.insert("answer", 42);
/// let guard = cache.acquire().await;
/// assert!(cache.locked());
/// assert_eq!(guard.get("answer"), Some(&42));
/// drop(guard);
/// assert!(!cache.locked());
/// # });
/// ```
pub struct Lock<T = ()> {
    pub(crate) inner: Guarded<T, Exclusive>,
}

const TOO_MANY: &str = too_many_tokens!("Lock");

impl Lock {
    const_fn! {
        /// An unlocked bare lock (toro's `Lock()`). `const`, so it can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// static LOCK: toro_core::Lock = toro_core::Lock::new();
        /// assert!(!LOCK.locked());
        /// ```
        pub fn new() -> Self {
            Lock::with_value(())
        }
    }
}

impl<T> Lock<T> {
    const_fn! {
        /// An unlocked lock guarding `value`. `const`, so it can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use toro_core::Lock;
        ///
        /// static COUNTER: Lock<u64> = Lock::with_value(0);
        /// # toro_core::block_on(async {
        /// *COUNTER.acquire().await += 1;
        /// assert_eq!(*COUNTER.acquire().await, 1);
        /// # });
        /// ```
        pub fn with_value(value: T) -> Self {
            Lock {
                inner: Guarded::new(value, 1, TOO_MANY),
            }
        }
    }

    /// Moves the line's ticket counter on, as if `n` acquires had waited and left (or,
    /// with `handed_over`, been handed the lock): starts a loom model next to a boundary.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn skip_tickets(&self, n: u64, handed_over: bool) {
        self.inner.pool.skip_tickets(n, handed_over);
    }

    /// Whether the lock is held (or promised to a waiter); toro's name for
    /// [`is_locked`](Self::is_locked).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// let _g = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    #[inline]
    #[doc(alias = "is_locked")]
    pub fn locked(&self) -> bool {
        self.inner.pool.free() == 0
    }

    /// Whether the lock is held (or promised to a waiter); Rust's name for
    /// [`locked`](Self::locked).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// assert!(!lock.is_locked());
    /// let _g = lock.try_acquire();
    /// assert!(lock.is_locked());
    /// ```
    #[inline]
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        self.locked()
    }

    /// How many acquirers wait in line now.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// let _held = lock.try_acquire().unwrap();
    /// let waiting = lock.acquire();
    /// assert_eq!(lock.waiters(), 1);
    /// drop(waiting);
    /// assert_eq!(lock.waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.inner.pool.waiting().0
    }

    /// The data, through a unique borrow of the lock: no guard can exist, so no locking
    /// is needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = toro_core::Lock::with_value(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    /// Consumes the lock, returning its data.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::with_value(String::from("data"));
    /// assert_eq!(lock.into_inner(), "data");
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
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
    pub fn try_acquire(&self) -> Option<LockGuard<'_, T>> {
        Held::try_take(self, 1).map(|held| LockGuard {
            hold: WriteHold::new(held),
        })
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
    pub fn acquire(&self) -> LockAcquire<'_, T> {
        LockAcquire {
            stage: TokenPool::acquire(self, 1),
        }
    }

    /// [`try_acquire`](Self::try_acquire) for a lock in an `Arc`: the guard keeps the
    /// `Arc` and borrows nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(toro_core::Lock::with_value(5));
    /// let guard = lock.try_acquire_owned().unwrap();
    /// assert!(lock.try_acquire_owned().is_none());
    /// assert_eq!(*guard, 5);
    /// ```
    #[inline]
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedLockGuard<T>> {
        Held::try_take(Arc::clone(self), 1).map(|held| OwnedLockGuard {
            hold: WriteHold::new(held),
        })
    }

    /// [`acquire`](Self::acquire) for a lock in an `Arc`: the future and its guard keep a
    /// clone of the `Arc` and borrow nothing, so both are `'static` and can move into a
    /// spawned task.
    ///
    /// Eager, FIFO and with `.deadline(d)` like `acquire`.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{Lock, OwnedLockGuard};
    /// # toro_core::block_on(async {
    /// let lock = Arc::new(Lock::with_value(Vec::new()));
    /// let mut guard: OwnedLockGuard<Vec<u32>> = lock.acquire_owned().await;
    /// std::thread::spawn(move || guard.push(1)).join().unwrap();
    /// assert_eq!(*lock.acquire().await, [1]);
    /// # });
    /// ```
    #[inline]
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedLockAcquire<T> {
        OwnedLockAcquire {
            stage: TokenPool::acquire(Arc::clone(self), 1),
        }
    }

    /// Releases a lock whose guard was given up with [`LockGuard::forget`]: ownership
    /// passes to the oldest waiter, if any.
    ///
    /// Only a forgotten guard's lock can be released this way: while the lock is held by a
    /// live guard, this is refused and changes nothing, so the guard's holder keeps the
    /// lock (toro released it from under its holder).
    ///
    /// # Errors
    ///
    /// [`NotLocked`] ("release unlocked lock") if no forgotten guard holds the lock: it is
    /// free, or held by a live guard.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = toro_core::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert_eq!(lock.release(), Err(toro_core::NotLocked)); // a live guard holds it
    /// guard.forget();
    /// assert!(lock.release().is_ok());
    /// assert_eq!(lock.release(), Err(toro_core::NotLocked));
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), NotLocked> {
        self.inner.pool.release_forgotten(1).map_err(|()| NotLocked)
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::with_value(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    fn from(value: T) -> Self {
        Lock::with_value(value)
    }
}

/// Shows the data if the lock is free (taking it for the moment, like
/// `std::sync::Mutex`'s `Debug`), `<locked>` if it is held.
impl<T: fmt::Debug> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.try_acquire();
        let mut d = f.debug_struct("Lock");
        d.field("locked", &guard.is_none())
            .field("waiters", &self.inner.pool.waiting().0);
        match &guard {
            Some(guard) => d.field("data", &**guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

// A lock's pool always has one token: its fast paths need not read the bound.
data_anchors!(Lock, Exclusive, bound: Some(1));

data_guards! {
    /// Holds a [`Lock`]; releases it when dropped. Derefs to the lock's data.
    ///
    /// Made by [`Lock::acquire`] and [`Lock::try_acquire`]. Keep it alive for the critical
    /// section; it may be held across `.await` and sent to another thread (`T: Send`).
    /// Dropping it hands the lock straight to the oldest waiter. To release from elsewhere,
    /// give it up with [`forget`](Self::forget) and call [`Lock::release`] later.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Lock, LockGuard};
    /// # toro_core::block_on(async {
    /// let lock = Lock::with_value(0);
    /// {
    ///     let mut guard: LockGuard<'_, i32> = lock.acquire().await;
    ///     *guard += 1;
    ///     assert!(lock.locked());
    /// } // dropped here: released
    /// assert!(!lock.locked());
    /// assert_eq!(*lock.acquire().await, 1);
    /// # });
    /// ```
    #[must_use = "the lock is released as soon as the guard is dropped"]
    pub struct LockGuard<'a, T = ()> { pub(crate) hold: WriteHold<&'a Lock<T>> }
}

impl<T> LockGuard<'_, T> {
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
        self.hold.forget()
    }
}

data_guards! {
    /// Holds a [`Lock`] in an `Arc`; releases it when dropped. Derefs to the lock's data.
    ///
    /// Made by [`Lock::acquire_owned`] and [`Lock::try_acquire_owned`]: it keeps the `Arc`,
    /// borrows nothing, and is `'static` and `Send` (for `T: Send + 'static`), so it can move
    /// into a spawned task. Otherwise like [`LockGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{Lock, OwnedLockGuard};
    ///
    /// fn log_in_background(
    ///     mut guard: OwnedLockGuard<Vec<String>>,
    /// ) -> std::thread::JoinHandle<()> {
    ///     std::thread::spawn(move || guard.push("done".into()))
    /// }
    ///
    /// let log = Arc::new(Lock::with_value(Vec::new()));
    /// let guard = log.try_acquire_owned().unwrap();
    /// log_in_background(guard).join().unwrap();
    /// assert_eq!(log.try_acquire().unwrap().len(), 1);
    /// ```
    #[must_use = "the lock is released as soon as the guard is dropped"]
    pub struct OwnedLockGuard<T = ()> { pub(crate) hold: WriteHold<Arc<Lock<T>>> }
}

impl<T> OwnedLockGuard<T> {
    /// Keeps the lock held after the guard is gone (the `Arc` is dropped); release it with
    /// [`Lock::release`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(toro_core::Lock::new());
    /// lock.try_acquire_owned().unwrap().forget();
    /// assert!(lock.locked());
    /// lock.release().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }

    /// The lock this guard holds.
    ///
    /// An associated function (`OwnedLockGuard::lock(&guard)`), so that it does not hide
    /// a method of the data.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::OwnedLockGuard;
    /// let lock = Arc::new(toro_core::Lock::new());
    /// let guard = lock.try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedLockGuard::lock(&guard), &lock));
    /// ```
    pub fn lock(guard: &Self) -> &Arc<Lock<T>> {
        guard.hold.owner()
    }
}

wait_future! {
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
    pub struct LockAcquire<'a, T = ()>(StageOf<&'a Lock<T>, Acquirers>) -> LockGuard<'a, T>;
    finish |lock, request| LockGuard { hold: WriteHold::new(Held::granted(lock, request)) },
}

wait_future! {
    /// The future of [`Lock::acquire_owned`]: like [`LockAcquire`], holding an `Arc` of the
    /// lock instead of a borrow, so it is `'static`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line; a lock already handed to it passes to the next waiter
    /// (or is released).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use toro_core::{Lock, OwnedLockAcquire};
    /// # toro_core::block_on(async {
    /// let lock = Arc::new(Lock::with_value(0));
    /// let held = lock.acquire_owned().await;
    /// let waiting: OwnedLockAcquire<i32> = lock.acquire_owned(); // in line
    /// drop(held); // handed straight to `waiting`
    /// let guard = waiting.deadline(Duration::from_secs(1)).await.unwrap();
    /// assert_eq!(*guard, 0);
    /// # });
    /// ```
    #[must_use = "the lock is taken or the place in line held already; .await the future to get the guard"]
    pub struct OwnedLockAcquire<T = ()>(StageOf<Arc<Lock<T>>, Acquirers>) -> OwnedLockGuard<T>;
    finish |lock, request| OwnedLockGuard { hold: WriteHold::new(Held::granted(lock, request)) },
}
