//! [`AsyncResult::get_or_init`] and [`AsyncResult::get_or_try_init`]: the result as a
//! `OnceCell`, with tokio's signatures and toro's line.
//!
//! One initialiser holds *the turn* at a time: it runs its `f`. The other callers wait in
//! a FIFO line of their own ([`ResultLine::initialisers`]), beside the `get()`s. When the
//! turn holder stores a value, every waiter gets it; when it gives the turn up (its `f`
//! failed or panicked, its future was dropped or its deadline passed), the turn goes,
//! inside that call, to the oldest initialiser still in line, whose future then runs its
//! own `f`. A turn handed to a waiter is a kept grant in its entry: if its future is
//! dropped before it collects it, the line gives the turn on
//! ([`Line::return_grant`](crate::waiters::Line::return_grant)), as a `Condition` passes on
//! a wake-up.
//!
//! A waiter granted from that line learns what it was given from the value: set, it
//! returns it; not set, it holds the turn. The value is written only under the line's
//! lock and never taken back, so the answer cannot change from "set" to "not set".
//!
//! The user's code (`f`, its future, the value's `Drop`, a waker) never runs under the
//! line's lock. A panic in `f` or its future passes the turn on while it unwinds.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::{AsyncResult, ResultLine, ResultWaiters, value_of};
use crate::deadline::{Deadline, DeadlineExt, Deadlined};
use crate::rt::LoopHandle;
use crate::sync::lock;
use crate::waiters::{Waiter, WakeList};

/// The initialisers waiting for their turn (or for the value).
type Initialisers<T> = ResultWaiters<T, true>;

/// Where an initialiser stands.
enum Turn<'a, T> {
    /// The value is there: `f` is not called.
    Set,
    /// In line for the turn (or the value).
    Waiting(Waiter<&'a AsyncResult<T>, Initialisers<T>>),
    /// Holds the turn: `f` is called at the next poll (unless it was), and its future
    /// polled until it completes.
    Holding,
    /// Returned, or gave the turn up while a panic in `f` or its future unwound.
    Done,
}

impl<T> AsyncResult<T> {
    /// The value, or the caller's turn to make it: returns the value at once if it is
    /// set, without calling `f`; otherwise the caller initialises, one at a time, in the
    /// order they called. Like tokio's `OnceCell::get_or_init`.
    ///
    /// If no initialiser runs, this caller takes the turn; otherwise it waits in line
    /// (FIFO) behind the others. Whoever holds the turn calls `f` (at its future's first
    /// poll, not at this call) and awaits the future `f` returns; its value is stored, and
    /// every waiter gets it, inside that poll: [`get`](Self::get)s and initialisers in
    /// line alike. If the turn holder gives up instead (its future was dropped, its
    /// deadline passed, or `f` panicked), the oldest caller still in line takes the turn
    /// and runs its own `f`. A value [`set`](Self::set) meanwhile wins: see `set`.
    ///
    /// Eager, like every toro wait: the turn or the place in line is taken at this call
    /// (tokio's future does nothing until polled). A future that holds the turn and is
    /// never polled keeps everyone behind it waiting, as an unpolled `acquire()` holds a
    /// lock: drop it to pass the turn on.
    ///
    /// Give it a deadline with `.deadline(d)` (the same as [`DeadlineExt::deadline`]):
    /// `Err(Timeout)` if the deadline passes first. A caller timed out in line leaves it
    /// having taken nothing; one timed out while its `f` runs drops `f`'s future, and the
    /// turn passes on.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line, or gives the turn up (dropping `f`'s future
    /// first) to the next caller in line: nobody waits for a caller that is gone. The
    /// value, once stored, stays.
    ///
    /// # Panics
    ///
    /// If `f` or its future panics, the panic goes on to this caller (out of the poll),
    /// and the turn passes to the next caller in line as it unwinds. Polling the future
    /// again then panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::AsyncResult;
    /// # toro_core::block_on(async {
    /// static CONFIG: AsyncResult<String> = AsyncResult::new();
    ///
    /// let first = CONFIG.get_or_init(|| async { "loaded once".to_string() }).await;
    /// assert_eq!(first, "loaded once");
    /// // Set: `f` is not called again.
    /// let again = CONFIG.get_or_init(|| async { unreachable!() }).await;
    /// assert!(std::ptr::eq(first, again));
    ///
    /// // The turn passes on: a caller that gives up lets the next one in line run its `f`.
    /// let cell = AsyncResult::new();
    /// let runs = cell.get_or_init(|| std::future::pending()); // holds the turn
    /// let next = cell.get_or_init(|| async { 2 }); // waits in line
    /// assert_eq!(cell.waiters(), 1);
    /// drop(runs);
    /// assert_eq!(*next.await, 2);
    /// # });
    /// ```
    pub fn get_or_init<F, Fut>(&self, f: F) -> AsyncResultGetOrInit<'_, T, F, Fut>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        AsyncResultGetOrInit {
            init: Initialise::new(self, f),
        }
    }

    /// The value, or the caller's turn to try to make it: like
    /// [`get_or_init`](Self::get_or_init), but `f`'s future may fail. Like tokio's
    /// `OnceCell::get_or_try_init`.
    ///
    /// On `Ok(value)`, the value is stored and every waiter gets it. On `Err`, the cell
    /// stays unset, the error goes to this caller, and the turn passes to the oldest
    /// caller still in line, which runs its own `f`.
    ///
    /// Deadlines as for `get_or_init`: `.deadline(d)` resolves to
    /// `Result<Result<&T, E>, Timeout>`.
    ///
    /// # Errors
    ///
    /// `Err(e)` if this caller's `f` resolved to `Err(e)`, even when a value was
    /// [`set`](Self::set) while it ran (the callers in line have that value). A caller
    /// that waited in line never sees another caller's error: it gets the value or its
    /// own turn.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line, or gives the turn up (dropping `f`'s future
    /// first) to the next caller in line.
    ///
    /// # Panics
    ///
    /// If `f` or its future panics, the panic goes on to this caller, and the turn passes
    /// to the next caller in line as it unwinds. Polling the future again then panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::AsyncResult;
    /// # toro_core::block_on(async {
    /// let cell = AsyncResult::<u32>::new();
    /// let failed = cell.get_or_try_init(|| async { Err("unreachable host") }).await;
    /// assert_eq!(failed, Err("unreachable host"));
    /// assert!(!cell.ready()); // still unset: the next caller tries
    /// let value = cell.get_or_try_init(|| async { Ok::<_, &str>(7) }).await;
    /// assert_eq!(value, Ok(&7));
    /// # });
    /// ```
    pub fn get_or_try_init<E, F, Fut>(&self, f: F) -> AsyncResultGetOrTryInit<'_, T, F, Fut>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        AsyncResultGetOrTryInit {
            init: Initialise::new(self, f),
        }
    }

    /// At the call: the value is there, or this caller takes the free turn, or it joins
    /// the line for it.
    fn take_turn_or_join(&self) -> Turn<'_, T> {
        let mut line = lock(self.line());
        // The value is stored with the lock held: re-check under it.
        if self.ready() {
            Turn::Set
        } else if !line.turn_taken {
            line.turn_taken = true;
            Turn::Holding
        } else {
            Turn::Waiting(Waiter::enqueue(self, &mut *line, ()))
        }
    }

    /// The turn holder's `f` made `value`: stored, and every waiter gets it; or, if a
    /// `set` came first, dropped (after the lock, and after the wake-ups: it is user
    /// code). The stored value either way.
    fn store_initialised(&self, value: T) -> &T {
        // A refused value comes back from `set` and is dropped here, after its lock.
        drop(self.set(value));
        value_of(self)
    }

    /// The turn holder gives the turn up: it goes to the oldest initialiser in line.
    fn pass_turn(&self) {
        let mut wakes = WakeList::new();
        self.pass_turn_locked(&mut lock(self.line()), &mut wakes);
        // Also while a panic in `f` unwinds: `wake_all` then catches a panicking waker.
        wakes.wake_all();
    }

    /// [`pass_turn`](Self::pass_turn) with the lock held. Once the value is set there is
    /// no turn to pass: everyone in line has been given the value.
    pub(super) fn pass_turn_locked(&self, line: &mut ResultLine, wakes: &mut WakeList) {
        if self.ready() {
            return;
        }
        if line.initialisers.grant_front(wakes).is_none() {
            line.turn_taken = false;
        }
    }
}

/// Gives the turn up when dropped armed: while a panic in `f`, its future or its drop
/// unwinds out of a poll or a drop. Disarmed with `mem::forget`.
struct PassOnUnwind<'a, T>(&'a AsyncResult<T>);

impl<T> Drop for PassOnUnwind<'_, T> {
    fn drop(&mut self) {
        self.0.pass_turn();
    }
}

pin_project! {
    /// The state machine of both initialising futures: the turn or a place in line, and
    /// `f` until it is called, then its future in the same place.
    struct Initialise<'a, T, F, Fut> {
        result: &'a AsyncResult<T>,
        turn: Turn<'a, T>,
        #[pin]
        step: Step<F, Fut>,
    }

    impl<'a, T, F, Fut> PinnedDrop for Initialise<'a, T, F, Fut> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // A waiter in line leaves it as its field drops (a turn it was handed and
            // never took passes on, see `Initialisers`).
            if matches!(this.turn, Turn::Holding) {
                *this.turn = Turn::Done;
                // `f`'s future goes first, so that one initialiser runs at a time; the
                // turn passes on even if its drop panics.
                let pass = PassOnUnwind(*this.result);
                let mut step = this.step;
                step.set(Step::Done);
                drop(pass);
            }
        }
    }
}

pin_project! {
    /// The user's part of an initialiser: `f`, then the future it returned.
    #[project = StepProj]
    #[project_replace = StepReplace]
    enum Step<F, Fut> {
        Unstarted { f: F },
        Running { #[pin] future: Fut },
        Done,
    }
}

impl<'a, T, F, Fut> Initialise<'a, T, F, Fut> {
    fn new(result: &'a AsyncResult<T>, f: F) -> Self {
        let turn = if result.ready() {
            Turn::Set
        } else {
            result.take_turn_or_join()
        };
        Initialise {
            result,
            turn,
            step: Step::Unstarted { f },
        }
    }

    /// Polls towards the value; `outcome` reads what `f`'s future resolved to.
    fn poll_init<E>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        outcome: impl FnOnce(Fut::Output) -> Result<T, E>,
    ) -> Poll<Result<&'a T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let mut this = self.project();
        let result = *this.result;
        loop {
            match this.turn {
                Turn::Set => {
                    *this.turn = Turn::Done;
                    return Poll::Ready(Ok(value_of(result)));
                }
                Turn::Waiting(waiter) => {
                    let (_, ()) = ready!(waiter.poll_granted(cx));
                    // Granted: the value, or the turn (see the module's notes).
                    *this.turn = if result.ready() {
                        Turn::Set
                    } else {
                        Turn::Holding
                    };
                }
                Turn::Holding => {
                    let started = matches!(*this.step, Step::Running { .. });
                    if !started && result.ready() {
                        // A `set` came before `f` was called: it never will be.
                        *this.turn = Turn::Set;
                        continue;
                    }
                    // User code from here on: should it panic, the turn is given up as the
                    // panic unwinds, and this future is done.
                    *this.turn = Turn::Done;
                    let pass = PassOnUnwind(result);
                    if !started {
                        let StepReplace::Unstarted { f } =
                            this.step.as_mut().project_replace(Step::Done)
                        else {
                            unreachable!("toro: an initialiser's f called twice")
                        };
                        this.step.set(Step::Running { future: f() });
                    }
                    let StepProj::Running { future } = this.step.as_mut().project() else {
                        unreachable!("toro: f's future is there")
                    };
                    let Poll::Ready(output) = future.poll(cx) else {
                        std::mem::forget(pass);
                        *this.turn = Turn::Holding;
                        return Poll::Pending;
                    };
                    // The finished future goes before the turn is used (its drop, too, is
                    // the user's).
                    this.step.set(Step::Done);
                    std::mem::forget(pass);
                    return Poll::Ready(match outcome(output) {
                        Ok(value) => Ok(result.store_initialised(value)),
                        Err(error) => {
                            result.pass_turn();
                            Err(error)
                        }
                    });
                }
                Turn::Done => {
                    panic!("toro: an AsyncResult initialiser polled after it completed or panicked")
                }
            }
        }
    }

    /// What the future is doing, for `Debug`.
    fn stage(&self) -> &'static str {
        match (&self.turn, &self.step) {
            (Turn::Set, _) => "set",
            (Turn::Waiting(_), _) => "waiting",
            (Turn::Holding, Step::Running { .. }) => "initialising",
            (Turn::Holding, _) => "holding the turn",
            (Turn::Done, _) => "done",
        }
    }
}

pin_project! {
    /// The future of [`AsyncResult::get_or_init`]: resolves to the value, made by this
    /// caller's `f` if it is its turn.
    ///
    /// Holds the turn or its place in line from the call on. Give it a deadline with
    /// `.deadline(d)` or `.deadline_on(&handle, d)`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line, or gives the turn up to the next caller in line
    /// (dropping `f`'s future first).
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{AsyncResult, AsyncResultGetOrInit};
    /// # toro_core::block_on(async {
    /// let cell = AsyncResult::new();
    /// let calls: Vec<AsyncResultGetOrInit<'_, u32, _, _>> =
    ///     (0..3).map(|i| cell.get_or_init(move || async move { i })).collect();
    /// for call in calls {
    ///     assert_eq!(*call.await, 0); // the first caller's value, for everyone
    /// }
    /// # });
    /// ```
    #[must_use = "the turn or the place in line is held already; .await the future to get the value"]
    pub struct AsyncResultGetOrInit<'a, T, F, Fut> {
        #[pin]
        init: Initialise<'a, T, F, Fut>,
    }
}

pin_project! {
    /// The future of [`AsyncResult::get_or_try_init`]: resolves to the value, made by
    /// this caller's `f` if it is its turn, or to the error its `f` failed with.
    ///
    /// Holds the turn or its place in line from the call on. Give it a deadline with
    /// `.deadline(d)` or `.deadline_on(&handle, d)`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line, or gives the turn up to the next caller in line
    /// (dropping `f`'s future first).
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{AsyncResult, AsyncResultGetOrTryInit};
    /// # toro_core::block_on(async {
    /// let cell = AsyncResult::new();
    /// let calls: Vec<AsyncResultGetOrTryInit<'_, u32, _, _>> = (0..3)
    ///     .map(|i| cell.get_or_try_init(move || async move { if i == 0 { Err(i) } else { Ok(i) } }))
    ///     .collect();
    /// let mut outcomes = Vec::new();
    /// for call in calls {
    ///     outcomes.push(call.await);
    /// }
    /// // The first failed, the second made the value, the third got it.
    /// assert_eq!(outcomes, [Err(0), Ok(&1), Ok(&1)]);
    /// # });
    /// ```
    #[must_use = "the turn or the place in line is held already; .await the future to get the value"]
    pub struct AsyncResultGetOrTryInit<'a, T, F, Fut> {
        #[pin]
        init: Initialise<'a, T, F, Fut>,
    }
}

/// The inherent `deadline` and `deadline_on` of an initialising future: the same as
/// [`DeadlineExt`]'s, written here so that they need no import, like every toro wait's.
macro_rules! initialiser_deadlines {
    ($name:ident, $method:literal) => {
        impl<'a, T, F, Fut> $name<'a, T, F, Fut>
        where
            Self: Future,
        {
            #[doc = concat!("Gives this `", $method, "` a deadline on the current loop (see")]
            /// [`LoopHandle::current`]): it resolves to `Err(Timeout)` if the deadline
            /// passes first.
            ///
            /// A value that is set wins, whatever the deadline. A caller timed out while it
            /// waits in line leaves it, having taken nothing; one timed out while its `f`
            /// runs drops `f`'s future, and the turn passes to the next caller in line.
            ///
            /// # Errors
            ///
            /// The returned future resolves to `Err(Timeout)` if the deadline passes
            /// before the value is there (or this caller's `f` finished).
            ///
            /// # Cancel safety
            ///
            /// Dropping the returned future drops this one: it leaves the line or gives
            /// the turn up.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// # toro_core::block_on(async {
            /// let cell = toro_core::AsyncResult::new();
            /// let slow = cell.get_or_init(|| std::future::pending::<u8>());
            /// // The turn is taken: a second caller gives up in line.
            /// let late = cell.get_or_init(|| async { 1 }).deadline(Duration::from_millis(1));
            /// assert!(late.await.is_err());
            /// // The slow one is cancelled at its deadline: the turn is free again.
            /// assert!(slow.deadline(Duration::from_millis(1)).await.is_err());
            /// assert_eq!(cell.get_or_init(|| async { 3 }).await, &3);
            /// # });
            /// ```
            pub fn deadline(self, deadline: impl Into<Deadline>) -> Deadlined<Self> {
                DeadlineExt::deadline(self, deadline)
            }

            #[doc = concat!("Gives this `", $method, "` a deadline on `handle`'s clock, whatever")]
            /// loop is current.
            ///
            /// # Errors
            ///
            /// The returned future resolves to `Err(Timeout)` if the deadline passes
            /// first, as for [`deadline`](Self::deadline).
            ///
            /// # Cancel safety
            ///
            /// Dropping the returned future drops this one: it leaves the line or gives
            /// the turn up.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use toro_core::ManualClock;
            /// # toro_core::block_on(async {
            /// let clock = ManualClock::new();
            /// let cell = toro_core::AsyncResult::new();
            /// let _slow = cell.get_or_init(|| std::future::pending::<u8>());
            /// let late = cell
            ///     .get_or_init(|| async { 1 })
            ///     .deadline_on(&clock.handle(), Duration::ZERO);
            /// assert!(late.await.is_err()); // expired in line: nothing taken
            /// assert_eq!(cell.waiters(), 0);
            /// # });
            /// ```
            pub fn deadline_on(
                self,
                handle: &LoopHandle,
                deadline: impl Into<Deadline>,
            ) -> Deadlined<Self> {
                DeadlineExt::deadline_on(self, handle, deadline)
            }

            #[doc = concat!("Runs this `", $method, "` on this thread, parking it until the")]
            /// value is there: for plain threads, as every toro wait's `block()`. This
            /// thread runs `f`'s future if the turn is its own.
            ///
            /// # Panics
            ///
            /// On a thread that drives async tasks (inside a future that
            /// [`block_on`](crate::block_on) drives, or a tokio worker with the `tokio`
            /// feature), and if `f` or its future panics (the turn passes on).
            ///
            /// # Examples
            ///
            /// ```
            /// let cell = toro_core::AsyncResult::new();
            /// let value = std::thread::scope(|s| {
            ///     s.spawn(|| *cell.get_or_init(|| async { 7 }).block()).join().unwrap()
            /// });
            /// assert_eq!(value, 7);
            /// ```
            #[track_caller]
            pub fn block(self) -> <Self as Future>::Output {
                crate::rt::block(self)
            }
        }

        impl<T, F, Fut> fmt::Debug for $name<'_, T, F, Fut> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("stage", &self.init.stage())
                    .finish()
            }
        }
    };
}

initialiser_deadlines!(AsyncResultGetOrInit, "get_or_init");
initialiser_deadlines!(AsyncResultGetOrTryInit, "get_or_try_init");

impl<'a, T, F, Fut> Future for AsyncResultGetOrInit<'a, T, F, Fut>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    type Output = &'a T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'a T> {
        let made = ready!(self.project().init.poll_init(cx, Ok::<T, Infallible>));
        Poll::Ready(match made {
            Ok(value) => value,
            Err(never) => match never {},
        })
    }
}

impl<'a, T, E, F, Fut> Future for AsyncResultGetOrTryInit<'a, T, F, Fut>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<&'a T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<&'a T, E>> {
        self.project().init.poll_init(cx, |made| made)
    }
}
