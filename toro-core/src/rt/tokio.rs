//! tokio's clock and timer: `tokio::time::Instant::now()` follows `tokio::time::pause`,
//! and a wait's sleep runs on the timer of the runtime its deadline was set in.
//!
//! A wait's tokio sleep is set when its deadline is set, inside the runtime (as
//! `tokio::time::timeout` makes its own), so the wait may then be polled anywhere: on
//! another thread, under another executor.
//!
//! **Sleeps are reused.** tokio's `Sleep` must stay pinned once polled, and toro's wait
//! futures are `Unpin`, so it lives in a box. When a wait finishes, its sleep is not
//! dropped but kept by the thread (a few per thread, by runtime), still registered with
//! tokio's timer, and the thread's next timed wait resets it to its own deadline. Moving a
//! registered sleep's deadline later is one atomic operation in tokio (its timer files it
//! again when the old instant comes), where making a sleep and dropping it take tokio's
//! timer lock twice: so a timed wait that does not time out touches no lock of tokio's
//! and allocates nothing. The price: a kept sleep that no wait reuses before its old
//! deadline fires then, and wakes the task that last waited on it once, for nothing (a
//! spurious wake-up, which every future tolerates); it also keeps that task's header
//! alive until then.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ::tokio::runtime::{Handle, Id};
use ::tokio::time::Sleep;

/// Panics, with tokio's own message, on a thread that drives tokio tasks: a runtime's
/// worker, or the thread inside `Runtime::block_on`, where blocking stalls the runtime's
/// tasks (a current-thread runtime's for good), which is why tokio's `blocking_*` methods
/// panic there too. Inside `spawn_blocking`, or on a thread that only entered a runtime,
/// it returns: blocking is what those threads are for. tokio tells the two apart only
/// inside its own blocking entry points, so this asks one of them to run a future that is
/// ready at once: no other effect.
#[track_caller]
pub(crate) fn may_block() {
    if let Ok(handle) = Handle::try_current() {
        handle.block_on(std::future::ready(()));
    }
}

/// tokio's clock now (its paused clock, if paused), as a std `Instant`.
pub(crate) fn now() -> Instant {
    ::tokio::time::Instant::now().into_std()
}

/// What a thread has seen of tokio runtimes, for [`runtime_with_timer`].
#[derive(Clone, Copy)]
enum Seen {
    Nothing,
    /// One runtime, and whether it has a timer.
    One(Id, bool),
    /// Several runtimes: ask tokio every time.
    Several,
}

thread_local! {
    static SEEN: Cell<Seen> = const { Cell::new(Seen::Nothing) };
}

/// The runtime this thread is in, if it is a tokio runtime whose timer can be used (it
/// has a time driver, `enable_time`).
///
/// Asking tokio (`Handle::try_current`) clones the runtime's handle, two atomic
/// read-modify-writes on a line every worker shares. A thread that has only ever seen one
/// runtime, with a timer, and that is polling a tokio task now (a thread-local read) is in
/// that runtime: a worker's every timed wait takes this path. (Should a thread run a task
/// of a second runtime before it asked tokio there, the sleep is made in the runtime that
/// polls the task anyway; only a second runtime without a timer would then refuse it,
/// which [`TokioAlarm::new`] catches.)
#[inline]
pub(crate) fn runtime_with_timer() -> Option<Id> {
    if let Ok(Seen::One(id, true)) = SEEN.try_with(Cell::get) {
        if ::tokio::task::try_id().is_some() {
            return Some(id);
        }
    }
    ask_tokio()
}

#[cold]
fn ask_tokio() -> Option<Id> {
    let runtime = Handle::try_current().ok()?;
    let id = runtime.id();
    let (answer, seen) = match SEEN.try_with(Cell::get) {
        Ok(Seen::One(last, answer)) if last == id => (answer, Seen::One(id, answer)),
        Ok(Seen::Nothing) => {
            let answer = has_timer(id);
            (answer, Seen::One(id, answer))
        }
        _ => (has_timer(id), Seen::Several),
    };
    let _ = SEEN.try_with(|s| s.set(seen));
    answer.then_some(id)
}

/// The sleeps a thread keeps for its next timed waits, with their runtimes.
const KEPT: usize = 8;

thread_local! {
    static KEPT_SLEEPS: RefCell<Vec<(Id, Pin<Box<Sleep>>)>> = const { RefCell::new(Vec::new()) };
}

/// A tokio sleep of one wait, in a box, and the runtime whose timer it is on.
pub(crate) struct TokioAlarm {
    sleep: Option<Pin<Box<Sleep>>>,
    runtime: Id,
}

impl TokioAlarm {
    /// A sleep until `at` on the timer of `runtime`, the runtime this thread is in
    /// ([`runtime_with_timer`]): one this thread kept, reset, or a new one. `None` if tokio
    /// refuses to make one after all (a runtime without a timer, see there).
    pub(crate) fn new(at: Instant, runtime: Id) -> Option<Self> {
        let at = ::tokio::time::Instant::from_std(at);
        let kept = KEPT_SLEEPS
            .try_with(|kept| {
                let mut kept = kept.borrow_mut();
                let i = kept.iter().rposition(|(id, _)| *id == runtime)?;
                Some(kept.swap_remove(i).1)
            })
            .ok()
            .flatten();
        let sleep = match kept {
            Some(mut sleep) => {
                sleep.as_mut().reset(at);
                sleep
            }
            None => Box::pin(make_sleep(at)?),
        };
        Some(TokioAlarm {
            sleep: Some(sleep),
            runtime,
        })
    }

    /// Polls the sleep. `Err` if tokio's timer can no longer be used (its runtime shut
    /// down): the caller moves the alarm to another timer.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
        let sleep = self
            .sleep
            .as_mut()
            .expect("a tokio alarm without its sleep");
        let polled = poll_caught(sleep.as_mut(), cx);
        if polled.is_err() {
            // Its runtime is gone: never keep it.
            self.sleep = None;
        }
        polled
    }
}

/// Polls a tokio sleep, which panics once its runtime has shut down: caught, and said as
/// `Err` (the panic hook has printed tokio's message).
#[cfg(panic = "unwind")]
fn poll_caught(sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sleep.poll(cx))).map_err(drop)
}

/// `tokio::time::sleep_until(at)`, or `None` (and this thread asks tokio from now on) if
/// it panics: the current runtime has no timer.
#[cfg(panic = "unwind")]
fn make_sleep(at: ::tokio::time::Instant) -> Option<Sleep> {
    let sleep = std::panic::catch_unwind(|| ::tokio::time::sleep_until(at)).ok();
    if sleep.is_none() {
        let _ = SEEN.try_with(|s| s.set(Seen::Several));
    }
    sleep
}

#[cfg(not(panic = "unwind"))]
fn make_sleep(at: ::tokio::time::Instant) -> Option<Sleep> {
    Some(::tokio::time::sleep_until(at))
}

#[cfg(not(panic = "unwind"))]
fn poll_caught(sleep: Pin<&mut Sleep>, cx: &mut Context<'_>) -> Result<Poll<()>, ()> {
    Ok(sleep.poll(cx))
}

impl Drop for TokioAlarm {
    fn drop(&mut self) {
        let Some(sleep) = self.sleep.take() else {
            return;
        };
        // Kept, still registered, for the thread's next timed wait (see the module docs);
        // a full thread drops it, which takes it out of tokio's timer.
        let runtime = self.runtime;
        let _ = KEPT_SLEEPS.try_with(move |kept| {
            let mut kept = kept.borrow_mut();
            if kept.len() < KEPT {
                kept.push((runtime, sleep));
            }
        });
    }
}

/// Whether the runtime `id` has a time driver (`enable_time`), so that tokio's timer can
/// be used in it: without one, `tokio::time::sleep_until` panics ("timers are disabled").
///
/// tokio has no public way to ask. The answer is found by making a sleep in
/// `catch_unwind` once per runtime, and kept (in [`SEEN`] per thread, and every runtime
/// found without a timer process-wide), so that the probe panics once per such runtime,
/// not once per thread or wait. Unknown (see [`probe`]): no timer, for this wait only.
fn has_timer(id: Id) -> bool {
    probe(id).unwrap_or(false)
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
