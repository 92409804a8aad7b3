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
//!
//! Any other future gets a deadline from [`DeadlineExt`]; there, at the deadline, the future
//! is simply dropped.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use toro_core::{Deadline, DeadlineExt, Queue};
//!
//! toro_core::block_on(async {
//!     let queue = Queue::new(1);
//!     // Nothing to get: the wait times out, having taken nothing.
//!     assert!(queue.get().deadline(Duration::from_millis(1)).await.is_err());
//!
//!     // Ready wins: an item that is there is taken, even with an expired deadline.
//!     queue.put_nowait(7).unwrap();
//!     assert_eq!(queue.get().deadline(Duration::ZERO).await, Ok(7));
//!
//!     // An absolute deadline on the current loop's clock, or none at all.
//!     queue.put_nowait(8).unwrap();
//!     let at = toro_core::now() + Duration::from_secs(1);
//!     assert_eq!(queue.get().deadline(at).await, Ok(8));
//!     queue.put_nowait(9).unwrap();
//!     assert_eq!(queue.get().deadline(Deadline::NEVER).await, Ok(9));
//!
//!     // A timed-out put hands its item back.
//!     queue.put_nowait(10).unwrap();
//!     let timeout = queue.put(11).deadline(Duration::ZERO).await.unwrap_err();
//!     assert_eq!(timeout.into_inner(), 11);
//!
//!     // Any future, through `DeadlineExt`.
//!     let never = std::future::pending::<()>();
//!     assert!(never.deadline(Duration::from_millis(1)).await.is_err());
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::error::Timeout;
use crate::rt::{ClockRef, LoopHandle, Timer};

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
    ///
    /// The same as `Deadline::from(None)`; useful where a `Deadline` must be passed but the
    /// caller wants none, e.g. a configurable timeout that is switched off.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::Deadline;
    ///
    /// assert_eq!(Deadline::from(None::<Duration>), Deadline::NEVER);
    /// # toro_core::block_on(async {
    /// let event = toro_core::Event::new();
    /// let wait = event.wait().deadline(Deadline::NEVER);
    /// event.set();
    /// // With no deadline, the wait can only end by completing.
    /// assert_eq!(wait.await, Ok(()));
    /// # });
    /// ```
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

    /// The instant this deadline falls at, measured on `clock`.
    fn resolve(self, clock: &ClockRef) -> Option<Instant> {
        match self.0 {
            When::Never => None,
            // A duration too large for an `Instant` is as good as never.
            When::After(duration) => clock.now().checked_add(duration),
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

/// The alarm clock of one timed wait: resolved when the deadline is set (its timer made
/// then, inline: no allocation and no dynamic call on toro's own clocks), armed only at
/// the first poll that finds the wait still pending, and silenced (its timer dropped)
/// once the wait has finished.
enum Alarm {
    /// No deadline, or one too far off for an `Instant`: it never rings.
    Never,
    /// The wait was complete when the deadline was set: no clock was read, none will be.
    Unneeded,
    /// A deadline at `at`, on `timer`'s clock.
    Set {
        at: Instant,
        /// Whether the clock may already be past `at` when the wait first pends: true for
        /// an absolute deadline, and for a relative one of zero. A positive relative
        /// deadline was just measured from `now()`, so its first pending poll arms the
        /// timer at once instead of reading the clock a second time.
        check_first: bool,
        timer: Timer,
    },
    /// The wait has finished: it completed, or the deadline passed first.
    Finished { timed_out: bool },
}

impl Alarm {
    #[inline]
    fn new(deadline: Deadline, handle: Option<&LoopHandle>) -> Self {
        if !deadline.is_set() {
            return Alarm::Never;
        }
        Alarm::set(deadline, handle)
    }

    fn set(deadline: Deadline, handle: Option<&LoopHandle>) -> Self {
        let (clock, tokio_here) = LoopHandle::clock_for(handle);
        let Some(at) = deadline.resolve(&clock) else {
            return Alarm::Never;
        };
        let check_first = !matches!(deadline.0, When::After(d) if !d.is_zero());
        Alarm::Set {
            at,
            check_first,
            timer: clock.timer(at, tokio_here),
        }
    }

    fn poll_rang(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Alarm::Set {
            at,
            check_first,
            timer,
        } = self
        else {
            return Poll::Pending;
        };
        if std::mem::take(check_first) && timer.now() >= *at {
            return Poll::Ready(());
        }
        timer.poll(*at, cx)
    }

    /// Records the end of the wait, dropping its timer (a finished future kept alive
    /// holds none).
    fn finish(&mut self, timed_out: bool) {
        *self = Alarm::Finished { timed_out };
    }

    /// Panics if the wait has finished: `what` was polled after it returned.
    #[track_caller]
    fn assert_running(&self, what: &str) {
        if let Alarm::Finished { timed_out } = self {
            let how = if *timed_out { "timed out" } else { "completed" };
            panic!("`{what}` polled after it {how}");
        }
    }
}

/// Shows where the deadline stands: `never`, `at Instant { .. }`, `unneeded (ready at
/// the call)`, `completed` or `timed out`.
impl fmt::Debug for Alarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Alarm::Never => f.write_str("never"),
            Alarm::Unneeded => f.write_str("unneeded (ready at the call)"),
            Alarm::Set { at, .. } => write!(f, "at {at:?}"),
            Alarm::Finished { timed_out: false } => f.write_str("completed"),
            Alarm::Finished { timed_out: true } => f.write_str("timed out"),
        }
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
///
/// Use it as a bound in code that takes any toro wait with a deadline, e.g. a helper that
/// awaits a [`WithDeadline`] and recovers what a timed-out wait carried.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::{Queue, WaitFuture, WithDeadline};
///
/// /// What a toro wait handed back if it timed out; `None` if it completed.
/// async fn left_over<F: WaitFuture>(wait: WithDeadline<F>) -> Option<F::Carried> {
///     wait.await.err().map(|timeout| timeout.into_inner())
/// }
///
/// # toro_core::block_on(async {
/// let queue = Queue::new(1);
/// queue.put_nowait("a").unwrap();
/// // The queue is full: the put times out and its item comes back.
/// assert_eq!(left_over(queue.put("b").deadline(Duration::ZERO)).await, Some("b"));
/// // The get takes "a" at once: ready wins over the expired deadline.
/// assert_eq!(left_over(queue.get().deadline(Duration::ZERO)).await, None);
/// assert!(queue.empty());
/// # });
/// ```
pub trait WaitFuture: Future + Unpin + Sealed {
    /// What the wait hands back when it times out (a `put`'s item; `()` for the others),
    /// inside the [`Timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::{Condition, Queue, Timeout};
    /// # toro_core::block_on(async {
    /// let queue = Queue::new(1);
    /// queue.put_nowait(1).unwrap();
    /// // A put carries its item: `Carried` is the item type.
    /// let timeout: Timeout<i32> = queue.put(2).deadline(Duration::ZERO).await.unwrap_err();
    /// assert_eq!(timeout.into_inner(), 2);
    /// // Every other wait carries `()`.
    /// let cond = Condition::new();
    /// let timeout: Timeout<()> = cond.wait().deadline(Duration::ZERO).await.unwrap_err();
    /// let () = timeout.into_inner();
    /// # });
    /// ```
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
/// Once it has returned, `Ok` or `Err(Timeout)`, it has left the line for good and holds
/// no timer; keeping it alive (a `select!` loop over `&mut wait`) takes nothing from
/// anyone.
///
/// # Cancel safety
///
/// Dropping it drops the wait, which gives back whatever it had been handed.
///
/// # Panics
///
/// Polling it again after it returned panics ("`WithDeadline` polled after it timed out"
/// or "... completed"), like any finished future, and changes nothing in the primitive.
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
            Alarm::Unneeded
        } else {
            Alarm::new(deadline, handle)
        };
        WithDeadline { wait, alarm }
    }

    /// Waits on this thread, as the wait's own `block()` does, until it completes or its
    /// deadline passes.
    ///
    /// # Errors
    ///
    /// `Err(Timeout)` if the deadline passed first: the wait left its line, carrying back
    /// what it carried (a `put`'s item), exactly as when awaited.
    ///
    /// # Panics
    ///
    /// On a thread that drives async tasks, as the wait's `block()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let queue = toro_core::Queue::new(1);
    /// queue.put(1).block();
    /// // Full: the second put times out and hands its item back.
    /// let timed_out = queue.put(2).deadline(Duration::from_millis(5)).block();
    /// assert_eq!(timed_out.unwrap_err().into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn block(self) -> Result<F::Output, Timeout<F::Carried>> {
        crate::rt::block(self)
    }
}

impl<F: WaitFuture> Future for WithDeadline<F> {
    type Output = Result<F::Output, Timeout<F::Carried>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.alarm.assert_running("WithDeadline");
        if let Poll::Ready(output) = Pin::new(&mut this.wait).poll(cx) {
            this.alarm.finish(false);
            return Poll::Ready(Ok(output));
        }
        match this.alarm.poll_rang(cx) {
            Poll::Ready(()) => {
                // A grant that came first wins over the deadline.
                let output = this.wait.give_up().map_err(Timeout);
                this.alarm.finish(output.is_err());
                Poll::Ready(output)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Shows the wait and its `deadline`: `never`, `at Instant { .. }`, `unneeded (ready at
/// the call)`, then `completed` or `timed out` once it returned.
impl<F: WaitFuture + fmt::Debug> fmt::Debug for WithDeadline<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithDeadline")
            .field("wait", &self.wait)
            .field("deadline", &self.alarm)
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
    /// This future with a deadline on the current loop (see
    /// [`LoopHandle::current`]).
    ///
    /// For toro's own waits prefer their inherent `.deadline(d)` (it wins, since inherent
    /// methods come first): it leaves the line cleanly and gives back a `put`'s item.
    ///
    /// # Errors
    ///
    /// The returned future resolves to `Err(Timeout)` if the deadline passes before this
    /// future completes; this future is dropped then.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as this future: the deadline cancels it by dropping it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::{DeadlineExt, Timeout};
    /// # toro_core::block_on(async {
    /// // Ready wins, even against an expired deadline.
    /// assert_eq!(async { "ready" }.deadline(Duration::ZERO).await, Ok("ready"));
    /// // A future that never finishes is dropped at the deadline.
    /// let never = std::future::pending::<u8>();
    /// assert_eq!(never.deadline(Duration::from_millis(1)).await, Err(Timeout::new(())));
    /// # });
    /// ```
    fn deadline(self, deadline: impl Into<Deadline>) -> Deadlined<Self> {
        Deadlined {
            future: Running::Polled { future: self },
            alarm: Alarm::new(deadline.into(), None),
        }
    }

    /// This future with a deadline on `handle`'s clock, whatever loop is current.
    ///
    /// # Errors
    ///
    /// The returned future resolves to `Err(Timeout)` if the deadline passes before this
    /// future completes; this future is dropped then.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as this future: the deadline cancels it by dropping it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use toro_core::{Clock, DeadlineExt, LoopHandle, Sleep};
    ///
    /// /// A clock whose timers fire at once.
    /// struct Instantly;
    /// impl Clock for Instantly {
    ///     fn now(&self) -> Instant {
    ///         Instant::now()
    ///     }
    ///     fn sleep_until(&self, _deadline: Instant) -> Sleep {
    ///         Box::pin(async {})
    ///     }
    /// }
    ///
    /// # toro_core::block_on(async {
    /// let handle = LoopHandle::new("instantly", Instantly);
    /// let never = std::future::pending::<()>();
    /// // An hour on `handle`'s clock is over at its first sleep.
    /// let result = never.deadline_on(&handle, Duration::from_secs(3600)).await;
    /// assert!(result.is_err());
    /// # });
    /// ```
    fn deadline_on(self, handle: &LoopHandle, deadline: impl Into<Deadline>) -> Deadlined<Self> {
        Deadlined {
            future: Running::Polled { future: self },
            alarm: Alarm::new(deadline.into(), Some(handle)),
        }
    }
}

impl<F: Future> DeadlineExt for F {}

pin_project_lite::pin_project! {
    /// Any future with a deadline; see [`DeadlineExt`].
    ///
    /// Made by [`DeadlineExt::deadline`] and [`DeadlineExt::deadline_on`]; resolves to
    /// `Ok(output)`, or `Err(Timeout)` once the deadline passes. The future is dropped
    /// right then, inside that poll, even if the `Deadlined` itself is kept alive (a
    /// `select!` loop over `&mut fut`): a toro wait inside it has left its line by the time
    /// `Err(Timeout)` is returned. Name it to store a bounded future in a struct or return
    /// it from a function.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as the future it wraps.
    ///
    /// # Panics
    ///
    /// Polling it again after it returned panics ("`Deadlined` polled after it timed out"
    /// or "... completed"), like any finished future: the future it wrapped is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::time::Duration;
    /// use toro_core::{DeadlineExt, Deadlined};
    ///
    /// fn answer() -> Deadlined<impl Future<Output = u32>> {
    ///     async { 6 * 7 }.deadline(Duration::from_secs(1))
    /// }
    ///
    /// assert_eq!(toro_core::block_on(answer()), Ok(42));
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Deadlined<F> {
        #[pin]
        future: Running<F>,
        alarm: Alarm,
    }
}

pin_project_lite::pin_project! {
    /// The future inside a [`Deadlined`], until it finishes or the deadline drops it.
    #[project = RunningProj]
    #[project_replace = RunningReplace]
    enum Running<F> {
        Polled { #[pin] future: F },
        Gone,
    }
}

impl<F: Future> Deadlined<F> {
    /// Runs the future on this thread, parking it between polls, until it completes or
    /// its deadline passes: what a wait's `block()` is for the futures [`DeadlineExt`]
    /// times (an [`AsyncResult::get_or_init`](crate::AsyncResult::get_or_init), say).
    ///
    /// # Errors
    ///
    /// `Err(Timeout)` if the deadline passed first; the future was dropped.
    ///
    /// # Panics
    ///
    /// On a thread that drives async tasks, as a wait's `block()`; and whatever the
    /// future panics with.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::DeadlineExt;
    /// let never = std::future::pending::<()>();
    /// assert!(never.deadline(Duration::from_millis(5)).block().is_err());
    /// ```
    #[track_caller]
    pub fn block(self) -> Result<F::Output, Timeout> {
        crate::rt::block(self)
    }
}

impl<F: Future> Future for Deadlined<F> {
    type Output = Result<F::Output, Timeout>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        this.alarm.assert_running("Deadlined");
        let RunningProj::Polled { future } = this.future.as_mut().project() else {
            unreachable!("a `Deadlined` whose future is gone has finished")
        };
        let output = match future.poll(cx) {
            Poll::Ready(output) => Ok(output),
            Poll::Pending => match this.alarm.poll_rang(cx) {
                Poll::Ready(()) => Err(Timeout(())),
                Poll::Pending => return Poll::Pending,
            },
        };
        // Drop the future in place now, not when the `Deadlined` is dropped: a wait inside
        // it leaves its line at the deadline. The timer goes first; finished first, too,
        // so that after a panic in the future's `Drop` a new poll says what happened.
        this.alarm.finish(output.is_err());
        this.future.project_replace(Running::Gone);
        Poll::Ready(output)
    }
}

/// Shows its `deadline` (`never`, `at Instant { .. }`, then `completed` or `timed out`
/// once it returned); the future itself is not shown, it need not be `Debug`.
impl<F> fmt::Debug for Deadlined<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadlined")
            .field("deadline", &self.alarm)
            .finish_non_exhaustive()
    }
}

mod wait_future;
pub(crate) use wait_future::wait_future;
