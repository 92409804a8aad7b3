//! tokio's clock and timer: `tokio::time::Instant::now()` follows `tokio::time::pause`,
//! and a wait's sleep runs on the timer of the runtime its deadline was set in.
//!
//! A wait's tokio sleep is made when its deadline is set, inside the runtime (as
//! `tokio::time::timeout` makes its own), so the wait may then be polled anywhere: on
//! another thread, under another executor. tokio's `Sleep` must stay pinned once polled,
//! and toro's wait futures are `Unpin`, so it lives in a box; boxes are kept per thread
//! and reused, so a timed wait allocates nothing once a thread has made a few.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ::tokio::runtime::{Handle, Id};
use ::tokio::time::Sleep;

/// tokio's clock now (its paused clock, if paused), as a std `Instant`.
pub(crate) fn now() -> Instant {
    ::tokio::time::Instant::now().into_std()
}

/// Whether this thread is inside a tokio runtime whose timer can be used: it has a time
/// driver (`enable_time`).
pub(crate) fn in_runtime_with_timer() -> bool {
    match Handle::try_current() {
        Ok(runtime) => has_timer(runtime.id()),
        Err(_) => false,
    }
}

/// A tokio sleep in a box of this thread's pool.
pub(crate) struct TokioAlarm {
    slot: Option<Pin<Box<Option<Sleep>>>>,
}

/// How many empty boxes a thread keeps for later sleeps.
const POOL: usize = 32;

thread_local! {
    static BOXES: RefCell<Vec<Pin<Box<Option<Sleep>>>>> = const { RefCell::new(Vec::new()) };
}

impl TokioAlarm {
    /// A sleep until `at` on the current runtime's timer; the caller checked that there
    /// is one ([`in_runtime_with_timer`]).
    pub(crate) fn new(at: Instant) -> Self {
        let mut slot = BOXES
            .try_with(|boxes| boxes.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Box::pin(None));
        slot.set(Some(::tokio::time::sleep_until(
            ::tokio::time::Instant::from_std(at),
        )));
        TokioAlarm { slot: Some(slot) }
    }

    /// Polls the sleep. `Err` if tokio's timer can no longer be used (its runtime shut
    /// down): the caller moves the alarm to another timer.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
        let slot = self
            .slot
            .as_mut()
            .expect("tokio alarm polled after it was given up");
        let sleep = slot
            .as_mut()
            .as_pin_mut()
            .expect("tokio alarm without a sleep");
        poll_caught(sleep, cx)
    }
}

/// Polls a tokio sleep, which panics once its runtime has shut down: caught, and said as
/// `Err` (the panic hook has printed tokio's message).
#[cfg(panic = "unwind")]
fn poll_caught(sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sleep.poll(cx))).map_err(drop)
}

#[cfg(not(panic = "unwind"))]
fn poll_caught(sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
    Ok(sleep.poll(cx))
}

impl Drop for TokioAlarm {
    fn drop(&mut self) {
        if let Some(mut slot) = self.slot.take() {
            // Drop the sleep in place (it leaves tokio's timer), keep the box.
            slot.set(None);
            let _ = BOXES.try_with(|boxes| {
                let mut boxes = boxes.borrow_mut();
                if boxes.len() < POOL {
                    boxes.push(slot);
                }
            });
        }
    }
}

/// Whether the runtime `id` has a time driver (`enable_time`), so that tokio's timer can
/// be used in it: without one, `tokio::time::sleep_until` panics ("timers are disabled").
///
/// tokio has no public way to ask. The answer is found by making a sleep in
/// `catch_unwind` once per runtime (and thread), and kept: the last answer on this
/// thread, by runtime id, and every runtime found without a timer, process-wide, so
/// that the probe panics once per such runtime, not once per thread or wait.
fn has_timer(id: Id) -> bool {
    thread_local! {
        static LAST: Cell<Option<(Id, bool)>> = const { Cell::new(None) };
    }
    if let Ok(Some((last, answer))) = LAST.try_with(Cell::get) {
        if last == id {
            return answer;
        }
    }
    match probe(id) {
        Some(answer) => {
            let _ = LAST.try_with(|last| last.set(Some((id, answer))));
            answer
        }
        // Unknown: no timer, for this wait only.
        None => false,
    }
}

/// How many timer-less runtimes are remembered; older ones are probed again.
const REMEMBERED: usize = 64;

/// Runtimes found without a time driver (ids are not reused while a runtime runs).
static WITHOUT_TIMER: std::sync::Mutex<Vec<Id>> = std::sync::Mutex::new(Vec::new());

/// Whether the runtime `id` has a timer; `None` if that cannot be found out now.
fn probe(id: Id) -> Option<bool> {
    let without_timer = || WITHOUT_TIMER.lock().unwrap_or_else(|e| e.into_inner());
    if without_timer().contains(&id) {
        return Some(false);
    }
    let has_timer = sleep_can_be_made()?;
    if !has_timer {
        let mut known = without_timer();
        if known.len() == REMEMBERED {
            known.remove(0);
        }
        known.push(id);
    }
    Some(has_timer)
}

/// Makes (and drops) a tokio sleep, catching the panic of a runtime with no timer.
/// The panic hook still runs, so that panic's message is printed (once per such
/// runtime); with `panic = "abort"` nothing can be caught, and a timer is assumed.
#[cfg(panic = "unwind")]
fn sleep_can_be_made() -> Option<bool> {
    // A second panic while this thread unwinds would abort the process: don't try
    // (a timed wait started by a destructor during a panic, or by a panic hook).
    if std::thread::panicking() {
        return None;
    }
    let now = ::tokio::time::Instant::now();
    Some(std::panic::catch_unwind(|| drop(::tokio::time::sleep_until(now))).is_ok())
}

#[cfg(not(panic = "unwind"))]
fn sleep_can_be_made() -> Option<bool> {
    Some(true)
}
