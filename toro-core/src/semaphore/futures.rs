//! The waits of a semaphore: an acquire (borrowing or owned, panicking or resolving to
//! `Err(Closed)` on a closed semaphore) and [`SemaphoreWait`], which takes nothing.

use crate::deadline::wait_future;
use crate::error::Closed;
use crate::tokens::{Acquirers, Held, Request, Watchers};
use crate::waiters::{Stage, StageOf};

use super::guards::{OwnedSemaphoreGuard, SemaphoreArc, SemaphoreGuard};
#[cfg(doc)]
use super::{BoundedSemaphore, Semaphore};

wait_future! {
    /// The future of [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
    ///
    /// It already holds its place in line (or its token) when created. Await it for the
    /// [`SemaphoreGuard`]; give it a deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
    ///
    /// # Panics
    ///
    /// Polling it panics if the semaphore was [closed](Semaphore::close) before the tokens
    /// were granted (a refused acquire has no guard to give): "acquire of a closed semaphore:
    /// await `.or_closed()` on the acquire to get `Err(Closed)`". Where the semaphore may be
    /// closed, await [`or_closed`](Self::or_closed) instead.
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
    pub struct SemaphoreAcquire<'a>(pub(crate) Stage<'a, Acquirers>) -> SemaphoreGuard<'a>;
    finish |pool, request| SemaphoreGuard { held: Held::granted(pool, not_closed(request)) },
}

/// The plain acquires' output is a guard: a refused one cannot be told apart, so it says
/// what happened and how to handle it.
#[inline]
fn not_closed(request: Request) -> Request {
    if request.is_closed() {
        refused_plainly();
    }
    request
}

/// The `or_closed` acquires' output: a request refused by `close` is `Err(Closed)`.
#[inline]
fn or_closed(request: Request) -> Result<Request, Closed> {
    if request.is_closed() {
        Err(Closed)
    } else {
        Ok(request)
    }
}

#[cold]
#[inline(never)]
fn refused_plainly() -> ! {
    panic!(
        "acquire of a closed semaphore: await `.or_closed()` on the acquire to get `Err(Closed)`"
    );
}

impl<'a> SemaphoreAcquire<'a> {
    /// This acquire, resolving to `Err(Closed)` instead of panicking if the semaphore is
    /// [closed](Semaphore::close) before it is granted.
    ///
    /// Keeps the acquire's place in line (or its tokens); `.deadline(d)` works on it too.
    ///
    /// # Errors
    ///
    /// The future resolves to [`Closed`] if the semaphore was closed before every token
    /// was granted (those handed to it so far go back). Tokens granted before the close
    /// win: the guard comes back as `Ok`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::{Closed, Semaphore};
    /// # toro_core::block_on(async {
    /// let sem = Semaphore::new(1);
    /// assert!(sem.acquire().or_closed().await.is_ok());
    /// sem.close();
    /// let refused = sem.acquire_many(2).or_closed().deadline(Duration::from_secs(1)).await;
    /// assert_eq!(refused.unwrap().unwrap_err(), Closed);
    /// # });
    /// ```
    pub fn or_closed(self) -> SemaphoreAcquireOrClosed<'a> {
        SemaphoreAcquireOrClosed { stage: self.stage }
    }
}

wait_future! {
    /// [`SemaphoreAcquire::or_closed`]: an acquire resolving to `Result<SemaphoreGuard, Closed>`.
    ///
    /// # Errors
    ///
    /// Resolves to `Err(`[`Closed`]`)` if the semaphore was [closed](Semaphore::close) before
    /// every token was granted; `Ok(guard)` if they were granted first.
    ///
    /// # Cancel safety
    ///
    /// As for [`SemaphoreAcquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Semaphore, SemaphoreAcquireOrClosed};
    /// # toro_core::block_on(async {
    /// let sem = Semaphore::new(0);
    /// let waiting: SemaphoreAcquireOrClosed<'_> = sem.acquire().or_closed();
    /// sem.release(); // handed to the waiter before any close
    /// sem.close();
    /// assert_eq!(waiting.await.unwrap().tokens(), 1);
    /// # });
    /// ```
    #[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
    pub struct SemaphoreAcquireOrClosed<'a>(pub(crate) Stage<'a, Acquirers>)
        -> Result<SemaphoreGuard<'a>, Closed>;
    finish |pool, request| {
        or_closed(request).map(|request| SemaphoreGuard { held: Held::granted(pool, request) })
    },
}

wait_future! {
    /// The future of `acquire_owned` on [`Semaphore`] and [`BoundedSemaphore`]: like
    /// [`SemaphoreAcquire`], holding an `Arc` of the semaphore, so it is `'static`.
    ///
    /// # Panics
    ///
    /// Polling it panics if the semaphore was [closed](Semaphore::close) before the token was
    /// granted, as [`SemaphoreAcquire`] does; await [`or_closed`](Self::or_closed) where the
    /// semaphore may be closed.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line and takes nothing; a token already handed to it goes to
    /// the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedSemaphoreAcquire, Semaphore};
    /// # toro_core::block_on(async {
    /// let sem = Arc::new(Semaphore::new(0));
    /// let waiting: OwnedSemaphoreAcquire = sem.acquire_owned();
    /// sem.release(); // handed straight to `waiting`
    /// assert_eq!(waiting.await.tokens(), 1);
    /// # });
    /// ```
    #[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
    pub struct OwnedSemaphoreAcquire(pub(crate) StageOf<SemaphoreArc, Acquirers>)
        -> OwnedSemaphoreGuard;
    finish |sem, request| OwnedSemaphoreGuard { held: Held::granted(sem, not_closed(request)) },
}

impl OwnedSemaphoreAcquire {
    /// This acquire, resolving to `Err(Closed)` instead of panicking if the semaphore is
    /// [closed](Semaphore::close) before it is granted; see
    /// [`SemaphoreAcquire::or_closed`].
    ///
    /// # Errors
    ///
    /// The future resolves to [`Closed`] if the semaphore was closed before the token was
    /// granted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # toro_core::block_on(async {
    /// let sem = Arc::new(toro_core::Semaphore::new(0));
    /// let waiting = sem.acquire_owned().or_closed();
    /// sem.close();
    /// assert!(waiting.await.is_err());
    /// # });
    /// ```
    pub fn or_closed(self) -> OwnedSemaphoreAcquireOrClosed {
        OwnedSemaphoreAcquireOrClosed { stage: self.stage }
    }
}

wait_future! {
    /// [`OwnedSemaphoreAcquire::or_closed`]: an owned acquire resolving to
    /// `Result<OwnedSemaphoreGuard, Closed>`.
    ///
    /// # Errors
    ///
    /// Resolves to `Err(`[`Closed`]`)` if the semaphore was [closed](Semaphore::close) before
    /// the token was granted; `Ok(guard)` if it was granted first.
    ///
    /// # Cancel safety
    ///
    /// As for [`OwnedSemaphoreAcquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::OwnedSemaphoreAcquireOrClosed;
    /// # toro_core::block_on(async {
    /// let sem = Arc::new(toro_core::BoundedSemaphore::new(1));
    /// let first: OwnedSemaphoreAcquireOrClosed = sem.acquire_owned().or_closed();
    /// assert!(first.await.is_ok());
    /// # });
    /// ```
    #[must_use = "the token is taken or the place in line held already; .await the future to get the guard"]
    pub struct OwnedSemaphoreAcquireOrClosed(pub(crate) StageOf<SemaphoreArc, Acquirers>)
        -> Result<OwnedSemaphoreGuard, Closed>;
    finish |sem, request| {
        or_closed(request).map(|request| OwnedSemaphoreGuard { held: Held::granted(sem, request) })
    },
}

wait_future! {
    /// The future of [`Semaphore::wait`] and [`BoundedSemaphore::wait`].
    ///
    /// Completes once a token is free, taking none: use it to learn that capacity is back
    /// without claiming it. Give it a deadline with `.deadline(d)` or
    /// `.deadline_on(&handle, d)`. A [`close`](Semaphore::close) does not end it (it has
    /// nothing to refuse): on a closed semaphore it still completes once a token is free.
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
    pub struct SemaphoreWait<'a>(pub(crate) Stage<'a, Watchers>) -> ();
    finish |_, ()| (),
}
