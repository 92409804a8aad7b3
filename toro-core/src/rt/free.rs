//! The runtime-free timer: one thread per process, started by the first deadline that has
//! to wait on it, sleeping on a condition variable until the earliest armed timer is due.
//!
//! A wait's alarm arms its timer at its first pending poll and cancels it when dropped;
//! the thread is told of a new timer only when it is earlier than the moment the thread
//! already means to wake at, so a stream of waits with similar deadlines costs no thread
//! wake-ups. No allocation per timer once the heap has grown (see [`TimerHeap`]).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use super::heap::TimerHeap;
use crate::waiters::{FreshWaker, Key};

struct State {
    timers: TimerHeap,
    /// When the thread will look at the heap again by itself (`None`: it is not running,
    /// or sleeps until told).
    wakes_at: Option<Instant>,
    started: bool,
}

struct FreeTimer {
    state: Mutex<State>,
    tick: Condvar,
}

static TIMER: FreeTimer = FreeTimer {
    state: Mutex::new(State {
        timers: TimerHeap::new(),
        wakes_at: None,
        started: false,
    }),
    tick: Condvar::new(),
};

fn state() -> MutexGuard<'static, State> {
    // Nothing of the user's runs under this lock: poisoning cannot leave it half-updated.
    TIMER.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The alarm of one wait on the runtime-free clock: unarmed until its first pending poll.
#[derive(Debug, Default)]
pub(crate) struct FreeAlarm {
    key: Option<Key>,
}

impl FreeAlarm {
    /// Ready once `at` has passed; otherwise armed (or kept armed) to wake `cx`'s task.
    pub(crate) fn poll(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let Some(key) = self.key else {
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            // Cloned before the lock: a waker's clone is user code.
            let waker = cx.waker().clone();
            let mut state = state();
            self.key = Some(state.timers.insert(at, Some(waker)));
            if state.wakes_at.is_none_or(|wakes_at| at < wakes_at) {
                state.wakes_at = Some(at);
                if std::mem::replace(&mut state.started, true) {
                    TIMER.tick.notify_one();
                } else {
                    drop(state);
                    start_thread();
                }
            }
            return Poll::Pending;
        };
        let mut fresh = FreshWaker::none();
        loop {
            let mut state = state();
            if state.timers.is_fired(key) {
                let waker = state.timers.remove(key);
                self.key = None;
                drop(state);
                drop(waker);
                // Disarmed: a later poll (there should be none) arms it again.
                return Poll::Ready(());
            }
            if fresh.park(state, cx, |state| state.timers.waker_slot(key)) {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for FreeAlarm {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = state().timers.remove(key);
            drop(waker);
        }
    }
}

fn start_thread() {
    std::thread::Builder::new()
        .name("toro-timer".into())
        .spawn(run)
        .expect("toro: cannot start the runtime-free timer thread");
}

/// The timer thread: fires what is due, wakes it outside the lock, sleeps until the next.
fn run() {
    let mut wakes = Vec::new();
    let mut state = state();
    loop {
        let now = Instant::now();
        state.timers.fire_due(now, &mut wakes);
        if !wakes.is_empty() {
            drop(state);
            for waker in wakes.drain(..) {
                // A panicking waker must not stop the thread every other timer needs.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
            }
            state = self::state();
            continue;
        }
        state.wakes_at = state.timers.earliest();
        state = match state.wakes_at {
            Some(at) => {
                TIMER
                    .tick
                    .wait_timeout(state, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => TIMER
                .tick
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
        };
    }
}
