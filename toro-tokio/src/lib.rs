//! toro on [tokio](https://docs.rs/tokio): the loop handle on tokio's timer and the glue
//! `#[toro::main]` uses.
//!
//! Inside a tokio runtime, toro's waits find tokio's timer by themselves (the facade's
//! `tokio` feature turns on `toro-core`'s run-time detection), so deadlines follow
//! `tokio::time::pause` and `advance`.
//!
//! Most users get it through the `toro` facade's `tokio` feature and `#[toro::main]`; use
//! it directly to pick tokio's handle by hand ([`handle`]) or to run a future the way
//! `#[toro::main]` does ([`run`]).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread()
//!     .enable_time()
//!     .start_paused(true)
//!     .build()
//!     .unwrap();
//! toro_tokio::run(runtime, async {
//!     assert_eq!(toro_core::LoopHandle::current().name(), "tokio");
//!     let queue = toro_core::Queue::<u32>::new(0);
//!     let start = toro_core::now();
//!     // Nothing to get: times out after exactly 5 s of tokio's paused clock.
//!     assert!(queue.get().deadline(Duration::from_secs(5)).await.is_err());
//!     assert_eq!(toro_core::now() - start, Duration::from_secs(5));
//! });
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;

pub use toro_core::LoopHandle;

#[doc(hidden)]
pub use tokio;

/// The loop handle on tokio's clock and timer (paused time included). Use it from inside
/// a tokio runtime.
///
/// Inside a tokio runtime toro finds this handle by itself; name it with
/// `.deadline_on(&handle, d)` to be explicit, or to read tokio's clock with
/// [`LoopHandle::now`].
///
/// # Panics
///
/// Making the handle never panics, but its timer is tokio's: a wait that has to sleep on
/// it (a deadline not yet reached) panics outside a tokio runtime with the time driver
/// enabled, as `tokio::time::sleep_until` does.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[tokio::main(flavor = "current_thread", start_paused = true)]
/// async fn main() {
///     let handle = toro_tokio::handle();
///     let lock = toro_core::Lock::new();
///     let _held = lock.acquire().await;
///     let start = handle.now();
///     let timed_out = lock.acquire().deadline_on(&handle, Duration::from_secs(60)).await;
///     assert!(timed_out.is_err());
///     assert_eq!(handle.now() - start, Duration::from_secs(60)); // paused clock: exact
/// }
/// ```
pub fn handle() -> LoopHandle {
    toro_core::tokio_handle()
}

/// Runs `future` to completion on `runtime`: what `#[toro::main]` expands to under tokio.
///
/// It sets no process-wide default handle: toro's waits detect tokio on the runtime's
/// own threads (the one in `block_on`, the workers, the blocking pool), where they use
/// tokio's timer and clock (paused time included), or the runtime-free clock if the
/// runtime was built without `enable_time`. Any other thread (a `std::thread` started by
/// the body, the program after `run` returns) keeps the runtime-free clock, so a timed
/// wait there never panics for want of a tokio reactor.
///
/// # Panics
///
/// As [`Runtime::block_on`](tokio::runtime::Runtime::block_on): if called from inside an
/// asynchronous execution context (another runtime's `block_on`, or a task).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// let clocks = toro_tokio::run(rt, async {
///     let here = toro_core::LoopHandle::current().name();
///     let on_a_worker = tokio::spawn(async { toro_core::LoopHandle::current().name() });
///     // A plain thread is outside the runtime: its deadlines use the runtime-free clock.
///     let on_a_thread = std::thread::spawn(|| {
///         let event = toro_core::Event::new();
///         let waited = toro_core::block_on(event.wait().deadline(Duration::from_millis(1)));
///         assert!(waited.is_err());
///         toro_core::LoopHandle::current().name()
///     });
///     (here, on_a_worker.await.unwrap(), on_a_thread.join().unwrap())
/// });
/// assert_eq!(clocks, ("tokio", "tokio", "runtime-free"));
/// ```
pub fn run<F: Future>(runtime: tokio::runtime::Runtime, future: F) -> F::Output {
    runtime.block_on(future)
}
