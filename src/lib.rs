//! toro: Tornado-style coordination primitives for async Rust, with a deadline on every
//! wait, on tokio, async-std, smol or no runtime at all.
//!
//! A port of the Python library toro: [`Lock`], [`RwLock`], [`Semaphore`],
//! [`BoundedSemaphore`], [`Condition`], [`Event`], [`AsyncResult`], and the queues
//! [`Queue`], [`LifoQueue`], [`PriorityQueue`] and [`JoinableQueue`].
//!
//! Beside them, what the peers have, done toro's way: [`Barrier`] (std's and tokio's,
//! cancel safe: a wait dropped or timed out before the barrier trips does not count).
//!
//! ```
//! use std::time::Duration;
//! use toro::{Lock, Queue};
//!
//! #[toro::main]
//! async fn main() {
//!     let lock = Lock::new();
//!     let queue = Queue::new(1);
//!     {
//!         let _guard = lock.acquire().await;
//!         queue.put("work").await;
//!     }
//!     assert_eq!(queue.get().deadline(Duration::from_secs(1)).await, Ok("work"));
//! }
//! ```
//!
//! # Semantics
//!
//! Every primitive keeps toro's rules, made safe for Rust's cancellation:
//!
//! - **Eager.** `acquire()`, `get()`, `put()` and `wait()` act when called, not when first
//!   polled: an uncontended `lock.acquire()` has taken the lock before it is awaited, and
//!   places in line follow the order of the calls.
//! - **Direct hand-off, strict FIFO.** A release, put or notify hands the token, item or
//!   wake-up to the oldest waiter inside that call; `locked()`, `counter()` and `qsize()`
//!   already show it when the call returns. Nobody barges in.
//! - **Nothing is lost.** A waiter that timed out or was dropped consumes nothing. A future
//!   dropped after it was handed something gives it back: the token to the next waiter,
//!   the item to the next getter or the head of the queue, a `notify(n)` wake-up to the
//!   next waiter. A timed-out `put` returns its item in [`Timeout<T>`](Timeout).
//! - **Ready wins.** A wait that can complete when called completes whatever its deadline;
//!   a hand-off that happened before the deadline was observed wins over it.
//!
//! Each waiting method returns a named future that has registered already; dropping it
//! leaves the line. A future that was woken must be polled or dropped: one kept alive and
//! never polled again holds what it was handed.
//!
//! # Deadlines
//!
//! Every wait has `.deadline(d)` and `.deadline_on(&handle, d)`; any other future gets the
//! same from [`DeadlineExt`]. A [`Deadline`] comes from a `Duration` (relative, fixed when
//! the deadline is set), an `Instant` (absolute, on the loop's clock) or an `Option` of
//! either (`None`: never). `Duration::ZERO` or a past instant is an expired deadline, not
//! "no deadline". Only a wait that could not finish at once reads a clock or makes a timer.
//!
//! # Loops and clocks
//!
//! A [`LoopHandle`] is toro's `io_loop`: a clock and a timer. A wait uses, in order, the
//! handle given to `.deadline_on`; the one entered by `#[toro::main]` / `#[toro::test]`
//! ([`LoopHandle::enter`], [`LoopHandle::set_default`]); a tokio runtime detected at run
//! time (feature `tokio`), whose clock follows `tokio::time::pause`; otherwise a
//! runtime-free timer thread, so deadlines work under any executor. [`now()`] reads the
//! current loop's clock. Implement [`Clock`] to bring your own (a simulation, a mock).
//!
//! # Features
//!
//! - `macros` (on by default): `#[toro::main]`, `#[toro::test]` and `toro::with!`, from
//!   the proc-macro crate `toro-macros`. With no runtime feature, `#[toro::main]` runs on
//!   a small built-in single-threaded loop ([`block_on`]).
//! - no runtime feature: every primitive, deadlines on the runtime-free timer. What a
//!   library should depend on, with `default-features = false` when it does not use the
//!   macros: then toro builds no proc-macro crate (no `syn`, `quote`, `proc-macro2`).
//! - `tokio`: deadlines on tokio's timer inside a tokio runtime; `toro::tokio::handle()`;
//!   `#[toro::main]` builds a tokio runtime.
//! - `smol`: `toro::smol::handle()` on async-io's timer; `#[toro::main]` runs on smol.
//! - `async-std`: `toro::async_std::handle()`; `#[toro::main]` runs on async-std.
//!
//! Features are additive: several may be on at once; `#[toro::main]` then picks tokio,
//! then smol, then async-std, unless told otherwise with `runtime = "..."`.
//!
//! # Differences from Python toro
//!
//! Cancellation is safe (see above); a timed-out `put` returns its item; a timed-out
//! `RwLock` writer gives back the tokens it was granted (toro leaked them);
//! `PriorityQueue` is stable among equal items; timed-out waiters leave the line at once
//! (no tombstones); sizes are `usize`, so toro's negative and float sizes cannot be
//! written; `Condition::notify` takes a `usize` (use `notify_all` where toro used `n < 0`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly): each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use toro_core::*;

/// toro on tokio (feature `tokio`).
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use toro_tokio as tokio;

/// toro on smol (feature `smol`).
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub use toro_smol as smol;

/// toro on async-std (feature `async-std`).
#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub use toro_async_std as async_std;

// ==== Macros: #[toro::main], #[toro::test], toro::with! (toro-macros) ====

/// Runs an `async fn main` on a runtime: the one the facade's features enable (tokio
/// first, then smol, then async-std), or toro's built-in single-threaded loop when none
/// is on, so `#[toro::main]` always works and deadlines always have a clock.
///
/// Choose with `runtime = "tokio" | "smol" | "async-std" | "builtin"`; tune tokio with
/// `flavor = "current_thread" | "multi_thread"` and `worker_threads = N`, for example
/// `#[toro::main(runtime = "tokio", flavor = "current_thread")]`.
///
/// The expansion names toro as `::toro`; under another name (a renamed dependency,
/// `my_toro = { package = "toro", version = "0.1" }`, or a re-export), say which with
/// `crate = "path"`, as with tokio's: `#[my_toro::main(crate = "my_toro")]`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[toro::main]
/// async fn main() {
///     let lock = toro::Lock::new();
///     let answer = toro::with!(_held = lock.acquire(), deadline = Duration::from_secs(1) => 42);
///     assert_eq!(answer, Ok(42));
///     // "tokio", "async-io", "async-std" or "runtime-free", by the features on.
///     println!("deadlines measured on {}", toro::LoopHandle::current().name());
/// }
/// ```
///
/// ```
/// #[toro::main(runtime = "builtin")]
/// async fn main() -> Result<(), toro::NotLocked> {
///     assert_eq!(toro::LoopHandle::current().name(), "runtime-free");
///     let lock = toro::Lock::new();
///     lock.acquire().await.forget();
///     lock.release()?;
///     Ok(())
/// }
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use toro_macros::main;

/// Runs an `async fn` test on a runtime, or, with `runtimes(...)`, on each of several.
///
/// Same options as [`main`](macro@main), plus `start_paused = true` for tokio (a paused,
/// auto-advancing clock: exact deadlines; needs tokio's `test-util` feature in your
/// dev-dependencies, like `#[tokio::test(start_paused = true)]`) and
/// `runtimes(tokio, smol, async_std, builtin)`: one test per runtime, in a module named
/// after the function (`cargo test my_test::smol`), each compiled only where its
/// runtime's feature is on.
///
/// With `clock = "manual"`, the test's deadlines are measured on a fresh [`ManualClock`],
/// which the test may take as its one argument and which moves only when the test
/// advances it: "times out after 5 s" is tested in microseconds, to the instant, on any
/// runtime. Unlike tokio's `start_paused`, it times toro's deadlines only and never
/// moves by itself.
///
/// Like [`main`](macro@main), it takes `crate = "path"` for a renamed dependency.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[toro::test(runtimes(tokio, smol, async_std, builtin))]
/// async fn a_held_lock_times_out() {
///     let lock = toro::Lock::new();
///     let _held = lock.acquire().await;
///     assert!(lock.acquire().deadline(Duration::from_millis(5)).await.is_err());
/// }
/// # fn main() {}
/// ```
///
/// ```
/// use std::pin::pin;
/// use std::time::Duration;
/// use toro::ManualClock;
///
/// #[toro::test(clock = "manual", runtimes(tokio, builtin))]
/// async fn a_held_lock_times_out_at_five_seconds(clock: ManualClock) {
///     let lock = toro::Lock::new();
///     let _held = lock.acquire().await;
///     let late = pin!(lock.acquire().deadline(Duration::from_secs(5)));
///     let waiter = async { late.await.is_err() };
///     let mover = async {
///         clock.advance(Duration::from_millis(4999));
///         assert_eq!(clock.sleepers(), 1, "still waiting at 4.999 s");
///         clock.advance(Duration::from_millis(1));
///     };
///     let (timed_out, ()) = futures::join!(waiter, mover);
///     assert!(timed_out);
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use toro_macros::test;

/// Holds guards for a block, like Python's `with (yield lock.acquire(deadline)):`.
///
/// `with!(guard = lock.acquire(), deadline = d => { body })` is a
/// `Result<body's type, Timeout>`; without `deadline` it is the body's value. Several
/// guards are taken in order under one deadline and released in reverse order when the
/// block ends. The body runs inline in the enclosing async function: `?`, `return` and
/// `break` in it act there. It hands its input to a procedural macro (`toro-macros`), for
/// errors that point at the offending token, together with this crate's path, so it
/// works under a renamed dependency as well.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro::{Lock, Semaphore, Timeout};
///
/// toro::block_on(async {
///     let lock = Lock::new();
///     let slots = Semaphore::new(2);
///
///     let n = toro::with!(_slot = slots.acquire(), guard = lock.acquire() => {
///         assert!(lock.locked());
///         drop(guard); // a guard may be given up early
///         slots.counter()
///     });
///     assert_eq!(n, 1);
///     assert_eq!(slots.counter(), 2); // released at the end of the block
///
///     let _held = lock.acquire().await;
///     let late = toro::with!(_g = lock.acquire(), deadline = Duration::from_millis(5) => {
///         unreachable!("the lock is held elsewhere")
///     });
///     assert_eq!(late, Err::<(), _>(Timeout::new(())));
/// });
/// ```
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[macro_export]
macro_rules! with {
    ($($tokens:tt)*) => {
        $crate::__private::with! { ($crate) $($tokens)* }
    };
}

/// What the expansions of toro's macros name; not public API.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    #[cfg(feature = "tokio")]
    pub use toro_tokio::tokio;

    /// `with!` with the facade's path first: `with! { ($crate) ... }`.
    #[cfg(feature = "macros")]
    pub use toro_macros::with;

    pub use crate::{
        __toro_if_async_std as if_async_std, __toro_if_smol as if_smol,
        __toro_if_tokio as if_tokio, __toro_require_async_std as require_async_std,
        __toro_require_smol as require_smol, __toro_require_tokio as require_tokio,
    };

    /// `#[toro::main]` with no runtime named: tokio (multi-thread, like `#[tokio::main]`).
    #[cfg(feature = "tokio")]
    pub fn main_auto<F: Future>(future: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("toro: failed to build the tokio runtime");
        toro_tokio::run(runtime, future)
    }

    /// `#[toro::main]` with no runtime named: smol.
    #[cfg(all(not(feature = "tokio"), feature = "smol"))]
    pub fn main_auto<F: Future>(future: F) -> F::Output {
        toro_smol::run(future)
    }

    /// `#[toro::main]` with no runtime named: async-std.
    #[cfg(all(not(feature = "tokio"), not(feature = "smol"), feature = "async-std"))]
    pub fn main_auto<F: Future>(future: F) -> F::Output {
        toro_async_std::run(future)
    }

    /// `#[toro::main]` with no runtime feature: the built-in loop.
    #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
    pub fn main_auto<F: Future>(future: F) -> F::Output {
        main_builtin(future)
    }

    /// `#[toro::main(runtime = "builtin")]`: the runtime-free clock for the whole process.
    pub fn main_builtin<F: Future>(future: F) -> F::Output {
        crate::LoopHandle::runtime_free().set_default();
        crate::block_on(future)
    }

    // A test's `clock` is its `ManualClock` under `clock = "manual"`: its handle, not the
    // runtime's, is entered on the test's thread for the whole test.

    /// `#[toro::test]` with no runtime named: tokio's current-thread runtime.
    #[cfg(feature = "tokio")]
    pub fn test_auto<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("toro: failed to build the tokio runtime");
        test_tokio(runtime, clock, future)
    }

    /// `#[toro::test]` with no runtime named: smol.
    #[cfg(all(not(feature = "tokio"), feature = "smol"))]
    pub fn test_auto<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        test_smol(clock, future)
    }

    /// `#[toro::test]` with no runtime named: async-std.
    #[cfg(all(not(feature = "tokio"), not(feature = "smol"), feature = "async-std"))]
    pub fn test_auto<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        test_async_std(clock, future)
    }

    /// `#[toro::test]` with no runtime feature: the built-in loop.
    #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
    pub fn test_auto<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        test_builtin(clock, future)
    }

    /// A test on a tokio runtime. No default is set (tests run in parallel): waits detect
    /// tokio, unless a manual clock is entered on the test's thread.
    #[cfg(feature = "tokio")]
    pub fn test_tokio<F: Future>(
        runtime: tokio::runtime::Runtime,
        clock: Option<&crate::ManualClock>,
        future: F,
    ) -> F::Output {
        let _entered = clock.map(|clock| clock.handle().enter());
        runtime.block_on(future)
    }

    /// A test on the built-in loop, the runtime-free clock (or the manual one) entered on
    /// its thread only.
    pub fn test_builtin<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        let handle = clock.map_or_else(crate::LoopHandle::runtime_free, crate::ManualClock::handle);
        let _entered = handle.enter();
        crate::block_on(future)
    }

    /// A test on smol, async-io's handle (or the manual clock's) entered on its thread only.
    #[cfg(feature = "smol")]
    pub fn test_smol<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        let _entered = clock
            .map_or_else(toro_smol::handle, crate::ManualClock::handle)
            .enter();
        toro_smol::smol::block_on(future)
    }

    /// A test on async-std, its handle (or the manual clock's) entered on the test's
    /// thread only.
    #[cfg(feature = "async-std")]
    pub fn test_async_std<F: Future>(clock: Option<&crate::ManualClock>, future: F) -> F::Output {
        let handle = clock.map_or_else(toro_async_std::handle, crate::ManualClock::handle);
        let _entered = handle.enter();
        toro_async_std::async_std::task::block_on(future)
    }
}

// `require_*!(code)`: the code where the runtime's feature is on, a compile error naming
// the feature where it is off (the proc macro cannot see the facade's features).
// `if_*! { items }`: the items, or nothing.

#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_tokio {
    ($($code:tt)*) => { $($code)* };
}

#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_tokio {
    ($($code:tt)*) => {
        ::core::compile_error!(
            "this needs the runtime \"tokio\", whose feature is off: turn on toro's `tokio` feature \
             (toro = { version = \"0.1\", features = [\"tokio\"] }), or choose another runtime"
        )
    };
}

#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_smol {
    ($($code:tt)*) => { $($code)* };
}

#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_smol {
    ($($code:tt)*) => {
        ::core::compile_error!(
            "this needs the runtime \"smol\", whose feature is off: turn on toro's `smol` feature \
             (toro = { version = \"0.1\", features = [\"smol\"] }), or choose another runtime"
        )
    };
}

#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_async_std {
    ($($code:tt)*) => { $($code)* };
}

#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_require_async_std {
    ($($code:tt)*) => {
        ::core::compile_error!(
            "this needs the runtime \"async-std\", whose feature is off: turn on toro's `async-std` feature \
             (toro = { version = \"0.1\", features = [\"async-std\"] }), or choose another runtime"
        )
    };
}

#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_tokio {
    ($($item:tt)*) => { $($item)* };
}

#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_tokio {
    ($($item:tt)*) => {};
}

#[cfg(feature = "smol")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_smol {
    ($($item:tt)*) => { $($item)* };
}

#[cfg(not(feature = "smol"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_smol {
    ($($item:tt)*) => {};
}

#[cfg(feature = "async-std")]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_async_std {
    ($($item:tt)*) => { $($item)* };
}

#[cfg(not(feature = "async-std"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __toro_if_async_std {
    ($($item:tt)*) => {};
}

// ==== end of the macros block ====

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "macros"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
