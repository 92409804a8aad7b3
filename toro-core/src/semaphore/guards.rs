//! The tokens a semaphore hands out: [`SemaphoreGuard`] (borrowing the semaphore) and
//! [`OwnedSemaphoreGuard`] (holding an `Arc` of it), each giving its tokens back when
//! dropped.

use std::fmt;
use std::sync::Arc;

use super::{BoundedSemaphore, Semaphore};
use crate::tokens::{Held, TokenPool};
use crate::waiters::Anchor;

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
    pub(super) held: Held<&'a TokenPool>,
}

impl SemaphoreGuard<'_> {
    /// Keeps the tokens taken: they come back only through a manual `release()`.
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
        self.held.forget()
    }

    /// How many tokens the guard holds (1, or `n` from `acquire_many(n)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(4);
    /// assert_eq!(sem.try_acquire().unwrap().tokens(), 1);
    /// assert_eq!(sem.try_acquire_many(3).unwrap().tokens(), 3);
    /// ```
    pub fn tokens(&self) -> usize {
        self.held.tokens()
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("tokens", &self.tokens())
            .finish()
    }
}

/// What an owned semaphore guard or wait holds: an `Arc` of either kind of semaphore.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum SemaphoreArc {
    Unbounded(Arc<Semaphore>),
    Bounded(Arc<BoundedSemaphore>),
}

impl Anchor<TokenPool> for SemaphoreArc {
    #[inline]
    fn anchor(&self) -> &TokenPool {
        match self {
            SemaphoreArc::Unbounded(sem) => &sem.pool,
            SemaphoreArc::Bounded(sem) => &sem.pool,
        }
    }
}

/// A token of a [`Semaphore`] or [`BoundedSemaphore`] in an `Arc`, given back when
/// dropped.
///
/// Made by `acquire_owned` and `try_acquire_owned`: it keeps the `Arc`, borrows nothing,
/// and is `'static` and `Send`, so a permit can move into a spawned task and comes back
/// when the task ends, even by a panic. Otherwise like [`SemaphoreGuard`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use toro_core::{OwnedSemaphoreGuard, Semaphore};
///
/// fn work(permit: OwnedSemaphoreGuard) -> std::thread::JoinHandle<()> {
///     std::thread::spawn(move || {
///         let _permit = permit;
///         panic!("the permit still comes back");
///     })
/// }
///
/// let sem = Arc::new(Semaphore::new(1));
/// assert!(work(sem.try_acquire_owned().unwrap()).join().is_err());
/// assert_eq!(sem.counter(), 1);
/// ```
#[must_use = "the token is given back as soon as the guard is dropped"]
pub struct OwnedSemaphoreGuard {
    pub(super) held: Held<SemaphoreArc>,
}

impl OwnedSemaphoreGuard {
    /// Keeps the token taken (the `Arc` is dropped): it comes back only through a manual
    /// `release()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(toro_core::BoundedSemaphore::new(1));
    /// sem.try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.counter(), 0);
    /// sem.release().unwrap();
    /// ```
    pub fn forget(self) {
        self.held.forget()
    }

    /// How many tokens the guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(toro_core::Semaphore::new(1));
    /// assert_eq!(sem.try_acquire_owned().unwrap().tokens(), 1);
    /// ```
    pub fn tokens(&self) -> usize {
        self.held.tokens()
    }
}

impl fmt::Debug for OwnedSemaphoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphoreGuard")
            .field("tokens", &self.tokens())
            .finish()
    }
}
