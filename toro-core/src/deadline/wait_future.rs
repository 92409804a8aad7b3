//! [`wait_future!`](crate::deadline::wait_future): how every wait future of toro is
//! declared, with its deadline forms and `block()`, in one place.

/// Declares a toro wait future: its struct (a `stage` field and the attributes given),
/// `Future`, `WaitFuture`, `Debug`, `Unpin` and the inherent `deadline`, `deadline_on`
/// and `block`. `finish` turns the waiter's granted data into the output (a guard, an
/// item), the same on the fast path, after waiting, and when a grant beats the deadline;
/// `carries` turns a waiter's data (`|data|`, or `|owner, data|` where the carry needs the
/// primitive) into what a timed-out wait hands back. Left out, a timeout hands back `()`:
/// most waits carry nothing.
macro_rules! wait_future {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident
            $(<$($lt:lifetime),* $(,)? $($tp:ident $(: $bound:path)? $(= $default:ty)?),*>)?
            ($field_vis:vis $stage:ty) $(where $($wt:ident: $wl:lifetime),+)? -> $output:ty;
        finish |$target:pat_param, $data:pat_param| $finish:expr,
        $(carries $carried:ty |$a:pat_param $(, $b:pat_param)?| $carry:expr $(,)?)?
    ) => {
        $(#[$attr])*
        $vis struct $name $(<$($lt,)* $($tp $(: $bound)? $(= $default)?),*>)?
        $(where $($wt: $wl),+)?
        {
            $field_vis stage: $stage,
        }

        $crate::deadline::wait_future! {
            @impl $name $(<$($lt),* , $($tp $(: $bound)?),*>)? -> $output,
            finish |$target, $data| $finish,
            $(carries $carried |$a $(, $b)?| $carry,)?
        }
    };
    (
        @impl $name:ident $(<$($lt:lifetime),* $(,)? $($tp:ident $(: $bound:path)?),*>)?
            -> $output:ty,
        finish |$target:pat_param, $data:pat_param| $finish:expr,
    ) => {
        $crate::deadline::wait_future! {
            @impl $name $(<$($lt),* , $($tp $(: $bound)?),*>)? -> $output,
            finish |$target, $data| $finish,
            carries () |_, _| (),
        }
    };
    (
        @impl $name:ident $(<$($lt:lifetime),* $(,)? $($tp:ident $(: $bound:path)?),*>)?
            -> $output:ty,
        finish |$target:pat_param, $data:pat_param| $finish:expr,
        carries $carried:ty |$left:pat_param| $carry:expr $(,)?
    ) => {
        $crate::deadline::wait_future! {
            @impl $name $(<$($lt),* , $($tp $(: $bound)?),*>)? -> $output,
            finish |$target, $data| $finish,
            carries $carried |_, $left| $carry,
        }
    };
    (
        @impl $name:ident $(<$($lt:lifetime),* $(,)? $($tp:ident $(: $bound:path)?),*>)?
            -> $output:ty,
        finish |$target:pat_param, $data:pat_param| $finish:expr,
        carries $carried:ty |$owner:pat_param, $left:pat_param| $carry:expr $(,)?
    ) => {
        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? $name$(<$($lt,)* $($tp),*>)? {
            /// Gives this wait a deadline on the current loop (see
            /// [`LoopHandle::current`](crate::LoopHandle::current)): it resolves to
            /// `Err(Timeout)` if the deadline passes first, having taken nothing.
            ///
            /// A wait that can complete at once, or that was handed what it waits for
            /// before the deadline was observed, succeeds whatever the deadline (ready
            /// wins). Every toro wait has this method; the example uses
            /// [`Lock::acquire`](crate::Lock::acquire)'s.
            ///
            /// # Errors
            ///
            /// The returned future resolves to `Err(Timeout)` if the deadline passes
            /// before the wait completes. The wait has then left its line and taken
            /// nothing; the [`Timeout`](crate::Timeout) carries back what it carried (a
            /// `put`'s item, `()` for the others).
            ///
            /// # Cancel safety
            ///
            /// Like the wait's own: dropping the returned future drops the wait, which
            /// leaves its line and gives back whatever it had been handed.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// # toro_core::block_on(async {
            /// let lock = toro_core::Lock::new();
            /// let held = lock.acquire().await;
            /// // Held: a second acquire times out and leaves the line.
            /// assert!(lock.acquire().deadline(Duration::from_millis(1)).await.is_err());
            /// drop(held);
            /// // Free: ready wins, even against an expired deadline.
            /// assert!(lock.acquire().deadline(Duration::ZERO).await.is_ok());
            /// # });
            /// ```
            pub fn deadline(
                self,
                deadline: impl Into<$crate::Deadline>,
            ) -> $crate::WithDeadline<Self> {
                $crate::WithDeadline::new(self, deadline.into(), None)
            }

            /// Gives this wait a deadline on `handle`'s clock, whatever loop is current.
            ///
            /// Use it to time a wait on a particular clock: a mock clock in a test, or
            /// another runtime's timer. Every toro wait has this method; the example uses
            /// [`Lock::acquire`](crate::Lock::acquire)'s.
            ///
            /// # Errors
            ///
            /// The returned future resolves to `Err(Timeout)` if the deadline passes
            /// before the wait completes, as for [`deadline`](Self::deadline).
            ///
            /// # Cancel safety
            ///
            /// Like the wait's own: dropping the returned future drops the wait, which
            /// leaves its line and gives back whatever it had been handed.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::{Duration, Instant};
            /// use toro_core::{Clock, LoopHandle, Sleep};
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
            /// let lock = toro_core::Lock::new();
            /// let _held = lock.acquire().await;
            /// // An hour on `handle`'s clock is over at its first sleep.
            /// let late = lock.acquire().deadline_on(&handle, Duration::from_secs(3600)).await;
            /// assert!(late.is_err());
            /// # });
            /// ```
            pub fn deadline_on(
                self,
                handle: &$crate::LoopHandle,
                deadline: impl Into<$crate::Deadline>,
            ) -> $crate::WithDeadline<Self> {
                $crate::WithDeadline::new(self, deadline.into(), Some(handle))
            }

            /// Waits on this thread: the same wait, parking the thread until it completes,
            /// for plain threads (and tokio's `spawn_blocking`). It keeps its place in line
            /// and its hand-off rules, as when awaited; `.deadline(d).block()` gives it a
            /// deadline. Every toro wait has this method; the example uses
            /// [`Lock::acquire`](crate::Lock::acquire)'s.
            ///
            /// # Panics
            ///
            /// On a thread that drives async tasks, where blocking would stall them:
            /// inside a future that [`block_on`](crate::block_on) drives, and, with the
            /// `tokio` feature, on a tokio runtime's worker or inside `Runtime::block_on`
            /// (with tokio's message, as tokio's own `blocking_*` methods). smol's and
            /// async-std's executor threads are not detected: `.await` there. Also
            /// whatever the wait panics with when awaited.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            /// let lock = Arc::new(toro_core::Lock::with_value(0));
            /// let held = lock.try_acquire().unwrap();
            /// let worker = {
            ///     let lock = Arc::clone(&lock);
            ///     // In line at once; the thread parks until the lock is handed to it.
            ///     std::thread::spawn(move || *lock.acquire().block() += 1)
            /// };
            /// drop(held);
            /// worker.join().unwrap();
            /// assert_eq!(*lock.try_acquire().unwrap(), 1);
            /// ```
            #[track_caller]
            pub fn block(self) -> $output {
                $crate::rt::block(self)
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

            #[inline]
            fn give_up(&mut self) -> Result<$output, $carried> {
                self.stage
                    .give_up_with(|$target, $data| $finish, |$owner, $left| $carry)
            }

            #[inline]
            fn is_ready(&self) -> bool {
                self.stage.is_ready()
            }
        }

        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? ::std::future::Future
            for $name$(<$($lt,)* $($tp),*>)?
        {
            type Output = $output;

            #[inline]
            fn poll(
                self: ::std::pin::Pin<&mut Self>,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<$output> {
                self.get_mut().stage.poll_with(cx, |$target, $data| $finish)
            }
        }

        impl$(<$($lt,)* $($tp $(: $bound)?),*>)? ::std::fmt::Debug
            for $name$(<$($lt,)* $($tp),*>)?
        {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("waiting", &self.stage.is_waiting())
                    .finish()
            }
        }
    };
}
pub(crate) use wait_future;
