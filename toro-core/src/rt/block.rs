//! Waiting on a plain thread: [`block_on`](super::block_on) drives any future by parking
//! the thread between polls, and every wait's `.block()` is the same loop, after checking
//! that the thread is not one that drives async tasks (blocking it would stall them, or
//! deadlock a single-threaded runtime for good).

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's waker, made at its first blocking wait and kept: a wait that blocks
    /// allocates nothing, and its waker stays the same from one wait to the next (so a
    /// wait polled again finds it stored already).
    static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));

    /// Whether this thread is inside `block_on`, driving a future.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// `block_on`: drives `future` on this thread, marked as driving one.
pub(super) fn drive<F: Future>(future: F) -> F::Output {
    /// Restores the mark when the future is done, or panicked.
    struct Driving(bool);

    impl Drop for Driving {
        fn drop(&mut self) {
            let _ = DRIVING.try_with(|driving| driving.set(self.0));
        }
    }

    let _driving = Driving(DRIVING.try_with(|d| d.replace(true)).unwrap_or(false));
    park_on(future)
}

/// A wait's `.block()`: [`may_block`], then the wait, parking this thread.
#[track_caller]
pub(crate) fn block<F: Future>(wait: F) -> F::Output {
    may_block();
    park_on(wait)
}

/// Polls `future` until it is ready, parking the thread between polls. (A spurious
/// unpark costs one more poll.)
fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    // The thread's waker, borrowed (no clone per call); a thread-local destructor that
    // blocks gets a waker of its own.
    if let Ok(output) = WAKER.try_with(|waker| poll_parking(future.as_mut(), waker)) {
        return output;
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    poll_parking(future, &waker)
}

/// Polls `future` with `waker` until it is ready, parking the thread between polls.
fn poll_parking<F: Future>(mut future: std::pin::Pin<&mut F>, waker: &Waker) -> F::Output {
    let mut cx = Context::from_waker(waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Panics on a thread that drives async tasks: inside `block_on`'s future, and (with the
/// `tokio` feature) on a tokio runtime's worker or inside `Runtime::block_on`.
#[track_caller]
fn may_block() {
    if DRIVING.try_with(Cell::get).unwrap_or(false) {
        panic!(
            "toro: `.block()` inside a future that `toro::block_on` drives: it would stall \
             that future on this thread; `.await` the wait instead"
        );
    }
    #[cfg(feature = "tokio")]
    super::tokio::may_block();
}
