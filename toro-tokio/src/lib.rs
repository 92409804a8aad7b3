//! toro on [tokio](https://docs.rs/tokio): the loop handle on tokio's timer and the glue
//! `#[toro::main]` uses.
//!
//! Inside a tokio runtime, toro's waits find tokio's timer by themselves (the facade's
//! `tokio` feature turns on `toro-core`'s run-time detection), so deadlines follow
//! `tokio::time::pause` and `advance`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;

pub use toro_core::LoopHandle;

#[doc(hidden)]
pub use tokio;

/// The loop handle on tokio's clock and timer (paused time included). Use it from inside
/// a tokio runtime.
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

/// Runs `future` to completion on `runtime`, with tokio's handle as the process default
/// (see [`LoopHandle::set_default`]). What `#[toro::main]` expands to under tokio.
///
/// # Examples
///
/// ```
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// assert_eq!(toro_tokio::run(rt, async { 1 + 1 }), 2);
/// ```
pub fn run<F: Future>(runtime: tokio::runtime::Runtime, future: F) -> F::Output {
    handle().set_default();
    runtime.block_on(future)
}
