//! Deadlines: when a wait gives up.
//!
//! Every toro wait can be given a [`Deadline`] with `.deadline(d)` (on the current loop,
//! see [`LoopHandle::current`]) or `.deadline_on(&handle, d)`. The wait then resolves to
//! `Ok(value)`, or `Err(Timeout)` once the deadline passes; a timed-out wait has left its
//! line and taken nothing.
//!
//! **Ready wins**: a wait that could finish when it was called, or that was handed its
//! token or item before the deadline was observed, succeeds whatever the deadline says.
//! A zero or past deadline is a real, already expired deadline, never "no deadline".

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::error::Timeout;
use crate::rt::{LoopHandle, Sleep};

/// When a wait gives up: never, after a duration, or at an instant on the loop's clock.
///
/// - `Duration`: relative, resolved once, when the wait's deadline is set;
/// - `Instant`: absolute, on the loop's clock (tokio's paused clock under tokio);
/// - `Option<D>`: `None` means never.
///
/// `Duration::ZERO`, or an instant in the past, is an expired deadline, not "no deadline":
/// the wait succeeds only if it can finish without waiting.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use toro_core::Deadline;
///
/// assert_eq!(Deadline::from(None::<Duration>), Deadline::NEVER);
/// assert!(Deadline::from(Duration::ZERO).is_set());
/// assert!(Deadline::from(Some(Instant::now())).is_set());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline(When);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum When {
    Never,
    After(Duration),
    At(Instant),
}

impl Deadline {
    /// No deadline: wait for as long as it takes.
    pub const NEVER: Deadline = Deadline(When::Never);

    /// A deadline `duration` after the wait starts.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let d = toro_core::Deadline::after(Duration::from_secs(1));
    /// assert_eq!(d, Duration::from_secs(1).into());
    /// ```
    pub const fn after(duration: Duration) -> Self {
        Deadline(When::After(duration))
    }

    /// A deadline at `instant` on the loop's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(toro_core::Deadline::at(now), now.into());
    /// ```
    pub const fn at(instant: Instant) -> Self {
        Deadline(When::At(instant))
    }

    /// Whether there is a deadline at all.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!toro_core::Deadline::NEVER.is_set());
    /// ```
    pub const fn is_set(&self) -> bool {
        !matches!(self.0, When::Never)
    }

    /// The instant this deadline falls at, measured on `handle`'s clock.
    fn resolve(self, handle: &LoopHandle) -> Option<Instant> {
        match self.0 {
            When::Never => None,
            // A duration too large for an `Instant` is as good as never.
            When::After(duration) => handle.now().checked_add(duration),
            When::At(instant) => Some(instant),
        }
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            When::Never => f.write_str("Deadline::NEVER"),
            When::After(d) => write!(f, "Deadline::after({d:?})"),
            When::At(i) => write!(f, "Deadline::at({i:?})"),
        }
    }
}

impl From<Duration> for Deadline {
    fn from(duration: Duration) -> Self {
        Deadline::after(duration)
    }
}

impl From<Instant> for Deadline {
    fn from(instant: Instant) -> Self {
        Deadline::at(instant)
    }
}

impl<D: Into<Deadline>> From<Option<D>> for Deadline {
    fn from(deadline: Option<D>) -> Self {
        deadline.map_or(Deadline::NEVER, Into::into)
    }
}

/// The alarm clock of one timed wait: resolved when the deadline is set, armed (a timer
/// made) only at the first poll that finds the wait still pending.
struct Alarm {
    handle: Option<LoopHandle>,
    at: Option<Instant>,
    /// Whether the clock may already be past `at` when the wait first pends: true for an
    /// absolute deadline, and for a relative one of zero. A positive relative deadline was
    /// just measured from `now()`, so its first pending poll makes the timer at once
    /// instead of reading the clock a second time.
    check_first: bool,
    sleep: Option<Sleep>,
}

impl Alarm {
    /// An alarm that never rings: the wait already finished, so no clock is read.
    fn silent() -> Self {
        Alarm {
            handle: None,
            at: None,
            check_first: false,
            sleep: None,
        }
    }

    fn new(deadline: Deadline, handle: Option<&LoopHandle>) -> Self {
        if !deadline.is_set() {
            return Alarm::silent();
        }
        let handle = handle.cloned().unwrap_or_else(LoopHandle::current);
        let at = deadline.resolve(&handle);
        let check_first = !matches!(deadline.0, When::After(d) if !d.is_zero());
        Alarm {
            handle: Some(handle),
            at,
            check_first,
            sleep: None,
        }
    }

    fn poll_rang(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let (Some(handle), Some(at)) = (&self.handle, self.at) else {
            return Poll::Pending;
        };
        let sleep = match &mut self.sleep {
            Some(sleep) => sleep,
            None => {
                if self.check_first && handle.now() >= at {
                    return Poll::Ready(());
                }
                self.sleep.insert(handle.sleep_until(at))
            }
        };
        sleep.as_mut().poll(cx)
    }
}

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// A toro wait: a future that stands in a primitive's line and can leave it at a deadline.
///
/// Implemented by every waiting future of toro (`LockAcquire`, `QueueGet`, `QueuePut`, ...);
/// it is what [`WithDeadline`] needs. Sealed: only toro's futures implement it.
pub trait WaitFuture: Future + Unpin + Sealed {
    /// What the wait hands back when it times out (a `put`'s item; `()` for the others).
    type Carried;

    /// Leaves the line: `Ok` if the wait completed first (it wins), else `Err` with what
    /// it carried.
    #[doc(hidden)]
    fn give_up(&mut self) -> Result<Self::Output, Self::Carried>;

    /// Whether the wait has already completed, so a deadline needs no clock.
    #[doc(hidden)]
    fn is_ready(&self) -> bool;
}

/// A toro wait with a deadline: resolves to `Ok(value)`, or `Err(Timeout)` at the
/// deadline, having left the line and taken nothing.
///
/// Made by the `.deadline(d)` and `.deadline_on(&handle, d)` methods of every toro wait.
///
/// # Cancel safety
///
/// Dropping it drops the wait, which gives back whatever it had been handed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # toro_core::block_on(async {
/// let cond = toro_core::Condition::new();
/// // Nobody notifies: the wait times out.
/// assert!(cond.wait().deadline(Duration::from_millis(1)).await.is_err());
/// # });
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct WithDeadline<F: WaitFuture> {
    wait: F,
    alarm: Alarm,
}

impl<F: WaitFuture> WithDeadline<F> {
    pub(crate) fn new(wait: F, deadline: Deadline, handle: Option<&LoopHandle>) -> Self {
        let alarm = if wait.is_ready() {
            Alarm::silent()
        } else {
            Alarm::new(deadline, handle)
        };
        WithDeadline { wait, alarm }
    }
}

impl<F: WaitFuture> Future for WithDeadline<F> {
    type Output = Result<F::Output, Timeout<F::Carried>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(output) = Pin::new(&mut this.wait).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match this.alarm.poll_rang(cx) {
            Poll::Ready(()) => Poll::Ready(this.wait.give_up().map_err(Timeout)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: WaitFuture + fmt::Debug> fmt::Debug for WithDeadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithDeadline")
            .field("wait", &self.wait)
            .field("at", &self.alarm.at)
            .finish()
    }
}

/// Gives any future a deadline on toro's clock.
///
/// The future is polled first, so one that is ready at the deadline wins; at the deadline
/// it is dropped and the result is `Err(Timeout)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::DeadlineExt;
/// # toro_core::block_on(async {
/// assert_eq!(async { 5 }.deadline(Duration::ZERO).await, Ok(5));
/// let never = std::future::pending::<()>();
/// assert!(never.deadline(Duration::from_millis(1)).await.is_err());
/// # });
/// ```
pub trait DeadlineExt: Future + Sized {
    /// This future with a deadline on the current loop.
    fn deadline(self, deadline: impl Into<Deadline>) -> Deadlined<Self> {
        Deadlined {
            future: self,
            alarm: Alarm::new(deadline.into(), None),
        }
    }

    /// This future with a deadline on `handle`'s clock.
    fn deadline_on(self, handle: &LoopHandle, deadline: impl Into<Deadline>) -> Deadlined<Self> {
        Deadlined {
            future: self,
            alarm: Alarm::new(deadline.into(), Some(handle)),
        }
    }
}

impl<F: Future> DeadlineExt for F {}

pin_project_lite::pin_project! {
    /// Any future with a deadline; see [`DeadlineExt`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Deadlined<F> {
        #[pin]
        future: F,
        alarm: Alarm,
    }
}

impl<F: Future> Future for Deadlined<F> {
    type Output = Result<F::Output, Timeout>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        this.alarm.poll_rang(cx).map(|()| Err(Timeout(())))
    }
}

impl<F> fmt::Debug for Deadlined<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlined")
            .field("at", &self.alarm.at)
            .finish_non_exhaustive()
    }
}

/// Gives a toro wait future its inherent `deadline` and `deadline_on` methods and its
/// `WaitFuture` impl from a `give_up` and an `is_ready`.
macro_rules! wait_future {
    ($name:ident $(<$($lt:lifetime),* $(,)? $($tp:ident $(: $bound:path)?),*>)?, carries $carried:ty) => {
        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? $name$(<$($lt,)* $($tp),*>)? {
            /// Gives this wait a deadline on the current loop (see
            /// [`LoopHandle::current`](crate::LoopHandle::current)): it resolves to
            /// `Err(Timeout)` if the deadline passes first, having taken nothing.
            pub fn deadline(
                self,
                deadline: impl Into<$crate::Deadline>,
            ) -> $crate::WithDeadline<Self> {
                $crate::WithDeadline::new(self, deadline.into(), None)
            }

            /// Gives this wait a deadline on `handle`'s clock.
            pub fn deadline_on(
                self,
                handle: &$crate::LoopHandle,
                deadline: impl Into<$crate::Deadline>,
            ) -> $crate::WithDeadline<Self> {
                $crate::WithDeadline::new(self, deadline.into(), Some(handle))
            }
        }

        // Nothing in a wait future is ever pinned in place: its state lives in the
        // primitive, and the output it may hold is moved out, never projected.
        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? Unpin for $name$(<$($lt,)* $($tp),*>)? {}

        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? $crate::deadline::Sealed
            for $name$(<$($lt,)* $($tp),*>)? {}

        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? $crate::WaitFuture
            for $name$(<$($lt,)* $($tp),*>)?
        {
            type Carried = $carried;

            fn give_up(&mut self) -> Result<Self::Output, Self::Carried> {
                self.give_up_wait()
            }

            fn is_ready(&self) -> bool {
                self.is_ready_now()
            }
        }
    };
}
pub(crate) use wait_future;
