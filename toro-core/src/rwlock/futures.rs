//! The waits of an [`RwLock`]: a read or a write acquire, borrowing the lock or holding
//! an `Arc` of it.

use std::sync::Arc;

use super::RwLock;
use super::guards::{OwnedReadGuard, OwnedWriteGuard, ReadGuard, WriteGuard};
use crate::cell::{ReadHold, WriteHold};
use crate::deadline::wait_future;
use crate::tokens::{Acquirers, Held};
use crate::waiters::StageOf;

wait_future! {
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
    pub struct AcquireRead<'a, T = ()>(pub(crate) StageOf<&'a RwLock<T>, Acquirers>)
        -> ReadGuard<'a, T>;
    finish |rw, request| ReadGuard { hold: ReadHold::new(Held::granted(rw, request)) },
}

wait_future! {
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
    pub struct AcquireWrite<'a, T = ()>(pub(crate) StageOf<&'a RwLock<T>, Acquirers>)
        -> WriteGuard<'a, T>;
    finish |rw, request| WriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
}

wait_future! {
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
    pub struct OwnedAcquireRead<T = ()>(pub(crate) StageOf<Arc<RwLock<T>>, Acquirers>)
        -> OwnedReadGuard<T>;
    finish |rw, request| OwnedReadGuard { hold: ReadHold::new(Held::granted(rw, request)) },
}

wait_future! {
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
    pub struct OwnedAcquireWrite<T = ()>(pub(crate) StageOf<Arc<RwLock<T>>, Acquirers>)
        -> OwnedWriteGuard<T>;
    finish |rw, request| OwnedWriteGuard { hold: WriteHold::new(Held::granted(rw, request)) },
}
