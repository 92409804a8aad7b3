//! toro on [async-std](https://docs.rs/async-std): the loop handle on async-io's timer (the reactor async-std runs on) and
//! the glue `#[toro::main]` uses.
//!
//! Most users get it through the `toro` facade's `async-std` feature and `#[toro::main]`;
//! use it directly to time waits on async-io's timer by hand ([`handle`]) or to run a
//! future the way `#[toro::main]` does ([`run`]).
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let total = toro_async_std::run(async {
//!     assert_eq!(toro_core::LoopHandle::current().name(), "async-std");
//!     let queue = Arc::new(toro_core::Queue::new(2));
//!     let producer = async_std::task::spawn({
//!         let queue = Arc::clone(&queue);
//!         async move {
//!             for n in 1..=5 {
//!                 queue.put(n).await; // waits while two items are queued
//!             }
//!         }
//!     });
//!     let mut total = 0;
//!     for _ in 0..5 {
//!         total += queue.get().deadline(Duration::from_secs(10)).await.unwrap();
//!     }
//!     producer.await;
//!     total
//! });
//! assert_eq!(total, 15);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;

pub use toro_core::LoopHandle;

#[doc(hidden)]
pub use async_std;

/// The loop handle on async-io's timer, which async-std's reactor drives.
///
/// [`run`] enters it for you; name it with `.deadline_on(&handle, d)` to time a wait on
/// async-io's timer from anywhere else. Its timer works under any executor.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # toro_core::block_on(async {
/// let handle = toro_async_std::handle();
/// assert_eq!(handle.name(), "async-std");
/// let never = toro_core::Condition::new();
/// assert!(never.wait().deadline_on(&handle, Duration::from_millis(1)).await.is_err());
/// # });
/// ```
pub fn handle() -> LoopHandle {
    toro_core::async_io_handle().with_name("async-std")
}

/// Runs `future` to completion with async-std, with this adapter's handle entered on this
/// thread while it runs. What `#[toro::main]` expands to under async-std.
///
/// It sets no process-wide default handle: tasks that async-std runs on other threads, and
/// any thread the program starts, time their waits on the runtime-free clock (the same
/// `Instant`, on a timer thread of its own), and nothing stays entered once `run` returns.
///
/// # Examples
///
/// ```
/// let clocks = toro_async_std::run(async {
///     let here = toro_core::LoopHandle::current().name();
///     let elsewhere = std::thread::spawn(|| toro_core::LoopHandle::current().name());
///     (here, elsewhere.join().unwrap())
/// });
/// assert_eq!(clocks, ("async-std", "runtime-free"));
/// assert_eq!(toro_core::LoopHandle::current().name(), "runtime-free");
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let _entered = handle().enter();
    async_std::task::block_on(future)
}
