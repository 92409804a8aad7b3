//! The errors of toro, with toro's messages.

use std::fmt;

/// A wait's deadline passed before it completed.
///
/// `Timeout<T>` carries back whatever the wait held: a timed-out
/// [`Queue::put`](crate::Queue::put) gives its item back through
/// [`into_inner`](Timeout::into_inner), so nothing is ever lost. Waits that carry nothing
/// use `Timeout<()>`, the default.
///
/// `Debug` shows `Timeout` for a timeout that carries nothing and `Timeout(..)` for one
/// that carries an item (items need not be `Debug`, and a large one would flood an
/// `unwrap` message): take the item out with [`into_inner`](Timeout::into_inner).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # toro_core::block_on(async {
/// let q = toro_core::Queue::new(1);
/// q.put_nowait("a").unwrap();
/// let err = q.put("b").deadline(Duration::ZERO).await.unwrap_err();
/// assert_eq!(err.to_string(), "Timeout");
/// assert_eq!(format!("{err:?}"), "Timeout(..)");
/// assert_eq!(err.into_inner(), "b");
/// assert_eq!(format!("{:?}", toro_core::Timeout::new(())), "Timeout");
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timeout<T = ()>(pub(crate) T);

impl<T> Timeout<T> {
    /// Builds a timeout that carries `value` back to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = toro_core::Timeout::new(5);
    /// assert_eq!(t.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Timeout(value)
    }

    /// Gives back what the timed-out wait carried (the item of a `put`, `()` otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = toro_core::Timeout::new("item");
    /// assert_eq!(t.into_inner(), "item");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Releasing something that is not held: toro's `RuntimeError('release unlocked lock')`.
///
/// # Examples
///
/// ```
/// let lock = toro_core::Lock::new();
/// let err = lock.release().unwrap_err();
/// assert_eq!(err.to_string(), "release unlocked lock");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NotLocked;

/// A [`BoundedSemaphore::release`](crate::BoundedSemaphore::release) with no forgotten
/// token to give back: toro's `ValueError('Semaphore released too many times')`.
///
/// The message is toro's own, word for word, which says `Semaphore` although only a
/// `BoundedSemaphore` refuses a release: code that matches on toro's messages keeps
/// working; the type, not the text, is what names the bounded semaphore.
///
/// A bounded semaphore's manual release gives back only a token whose guard was given up
/// with `forget()` and not released yet. Every other release is refused, nothing changing:
/// with the counter at its initial value (toro's case), and also below it while live
/// guards hold the missing tokens (they give them back when dropped).
///
/// # Examples
///
/// ```
/// let sem = toro_core::BoundedSemaphore::new(1);
/// let err = sem.release().unwrap_err();
/// assert_eq!(err.to_string(), "Semaphore released too many times");
///
/// let guard = sem.try_acquire().unwrap();
/// assert!(sem.release().is_err()); // the guard's token is not released for it
/// guard.forget();
/// assert!(sem.release().is_ok()); // a forgotten token is
/// assert_eq!(sem.counter(), 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TooManyReleases;

/// [`AsyncResult::get_nowait`](crate::AsyncResult::get_nowait) before a value was set.
///
/// # Examples
///
/// ```
/// let r = toro_core::AsyncResult::<u8>::new();
/// assert_eq!(r.get_nowait(), Err(toro_core::NotReady));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NotReady;

/// A second [`AsyncResult::set`](crate::AsyncResult::set); the rejected value comes back
/// through [`into_inner`](AlreadySet::into_inner).
///
/// # Examples
///
/// ```
/// let r = toro_core::AsyncResult::new();
/// r.set(1).unwrap();
/// assert_eq!(r.set(2).unwrap_err().into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlreadySet<T>(pub(crate) T);

impl<T> AlreadySet<T> {
    /// Gives back the value that was not stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::new();
    /// r.set("first").unwrap();
    /// assert_eq!(r.set("second").unwrap_err().into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// [`Queue::get_nowait`](crate::Queue::get_nowait) on an empty queue.
///
/// # Examples
///
/// ```
/// let q = toro_core::Queue::<u8>::new(0);
/// assert_eq!(q.get_nowait(), Err(toro_core::Empty));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Empty;

/// [`Queue::put_nowait`](crate::Queue::put_nowait) on a full queue; the item comes back
/// through [`into_inner`](Full::into_inner).
///
/// # Examples
///
/// ```
/// let q = toro_core::Queue::new(1);
/// q.put_nowait(1).unwrap();
/// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full<T>(pub(crate) T);

impl<T> Full<T> {
    /// Gives back the item that did not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// q.put_nowait('a').unwrap();
    /// assert_eq!(q.put_nowait('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// [`JoinableQueue::task_done`](crate::JoinableQueue::task_done) called more often than
/// items were put: toro's `ValueError('task_done() called too many times')`.
///
/// # Examples
///
/// ```
/// let q = toro_core::JoinableQueue::<u8>::new(0);
/// assert_eq!(q.task_done().unwrap_err().to_string(), "task_done() called too many times");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TooManyTaskDone;

/// An acquire of a [`Semaphore`](crate::Semaphore) or
/// [`BoundedSemaphore`](crate::BoundedSemaphore) that was [closed](crate::Semaphore::close)
/// (tokio's `AcquireError`).
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let sem = toro_core::Semaphore::new(0);
/// let waiting = sem.acquire().or_closed();
/// sem.close();
/// let err = waiting.await.unwrap_err();
/// assert_eq!(err, toro_core::Closed);
/// assert_eq!(err.to_string(), "semaphore closed");
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Closed;

macro_rules! plain_error {
    ($($ty:ident => $msg:literal),* $(,)?) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($ty))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl std::error::Error for $ty {}
    )*};
}

plain_error! {
    NotLocked => "release unlocked lock",
    TooManyReleases => "Semaphore released too many times",
    NotReady => "AsyncResult is not ready",
    Empty => "queue is empty",
    TooManyTaskDone => "task_done() called too many times",
    Closed => "semaphore closed",
}

macro_rules! carrying_error {
    ($($ty:ident => $msg:literal),* $(,)?) => {$(
        // The payload is not shown: items need not be `Debug`, and `unwrap()` on a
        // result carrying a large item should not print it. One that carries nothing
        // (`()`, any zero-sized type) reads as the bare name: `Timeout`, not `Timeout(..)`.
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if std::mem::size_of::<T>() == 0 {
                    f.write_str(stringify!($ty))
                } else {
                    f.write_str(concat!(stringify!($ty), "(..)"))
                }
            }
        }
        impl<T> fmt::Display for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl<T> std::error::Error for $ty<T> {}
    )*};
}

carrying_error! {
    Timeout => "Timeout",
    AlreadySet => "AsyncResult already set",
    Full => "queue is full",
    Shutdown => "queue is shut down",
}

// --- Queue shutdown (asyncio 3.13's `QueueShutDown`) -------------------------------------

/// The queue was shut down: asyncio's `QueueShutDown`. A refused item comes back through
/// [`into_inner`](Shutdown::into_inner).
///
/// Returned by the shutdown-aware queue methods: [`Queue::send`](crate::Queue::send) (as
/// `Shutdown<T>`, the refused item inside) and [`Queue::recv`](crate::Queue::recv) (as
/// `Shutdown<()>`, once the queue is shut down and drained).
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let q = toro_core::Queue::new(0);
/// q.shutdown();
/// let refused = q.send("late").await.unwrap_err();
/// assert_eq!(refused.to_string(), "queue is shut down");
/// assert_eq!(refused.into_inner(), "late");
/// assert_eq!(q.recv().await, Err(toro_core::Shutdown::new(())));
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Shutdown<T = ()>(pub(crate) T);

impl<T> Shutdown<T> {
    /// Builds the error around what a refused call carried.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::Shutdown::new(3).into_inner(), 3);
    /// ```
    pub fn new(value: T) -> Self {
        Shutdown(value)
    }

    /// Gives back the refused item (`()` for a `recv`).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(0);
    /// q.shutdown();
    /// assert_eq!(q.try_send(1).unwrap_err().into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Why [`Queue::try_send`](crate::Queue::try_send) refused an item; the item comes back
/// through [`into_inner`](TrySendError::into_inner).
///
/// # Examples
///
/// ```
/// use toro_core::{Queue, TrySendError};
///
/// let q = Queue::new(1);
/// q.try_send(1).unwrap();
/// assert!(matches!(q.try_send(2), Err(TrySendError::Full(2))));
/// q.shutdown();
/// assert!(matches!(q.try_send(3), Err(TrySendError::Shutdown(3))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrySendError<T> {
    /// The queue is full ("queue is full").
    Full(T),
    /// The queue was shut down ("queue is shut down").
    Shutdown(T),
}

impl<T> TrySendError<T> {
    /// Gives back the refused item.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// q.try_send('a').unwrap();
    /// assert_eq!(q.try_send('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(item) | TrySendError::Shutdown(item) => item,
        }
    }

    /// Whether the queue was shut down (not merely full).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(0);
    /// q.shutdown();
    /// assert!(q.try_send(1).unwrap_err().is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TrySendError::Shutdown(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Shutdown(_) => "Shutdown(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "queue is full",
            TrySendError::Shutdown(_) => "queue is shut down",
        })
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Queue::try_recv`](crate::Queue::try_recv) returned no item.
///
/// # Examples
///
/// ```
/// use toro_core::{Queue, TryRecvError};
///
/// let q = Queue::<u8>::new(0);
/// assert_eq!(q.try_recv(), Err(TryRecvError::Empty));
/// q.shutdown();
/// assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TryRecvError {
    /// No item now; more may come ("queue is empty").
    Empty,
    /// Shut down and drained: no item will ever come ("queue is shut down").
    Shutdown,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "queue is empty",
            TryRecvError::Shutdown => "queue is shut down",
        })
    }
}

impl std::error::Error for TryRecvError {}
