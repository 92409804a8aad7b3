//! [`ManualClock`]: a virtual clock for deadline tests, moved by hand.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::heap::TimerHeap;
use super::{ClockRef, LoopHandle};
use crate::sync::{Mutex, MutexGuard, lock};
use crate::waiters::{FreshWaker, Key};

/// A virtual clock for deadline tests: time stands still until the test moves it, and
/// every timer due then fires, in deadline order.
///
/// Its [`handle`](Self::handle) is a [`LoopHandle`] like any other: give it to a wait with
/// `.deadline_on(&handle, d)`, enter it for a thread with [`LoopHandle::enter`] (or let
/// `#[toro::test(clock = "manual")]` do that, and hand the test the clock as its
/// argument), and every toro deadline started there is measured on it, under tokio,
/// smol, async-std, the built-in loop or [`block_on`] alike. So "this request times out
/// after 5 s" is tested in microseconds, exactly, on the runtime of your choice.
///
/// Clones share one clock. It starts at the real `Instant::now()` of its creation and
/// moves only by [`advance`](Self::advance) and [`advance_to`](Self::advance_to).
///
/// **Beside tokio's paused clock.** tokio's `start_paused` pauses tokio's own clock: it
/// exists only under tokio, times tokio's timers (`tokio::time::sleep` too), and moves
/// forward by itself whenever the runtime has nothing left to do. toro keeps honouring
/// it: waits inside tokio use tokio's timer unless another handle is entered. A
/// `ManualClock` drives only toro's deadlines timed on it (not `tokio::time::sleep`, nor
/// any other library's timers), works on any runtime or none, and moves only when the
/// test says so: deterministic to the instant, a deadline of 5 s fires at
/// `advance(5 s)` and never at 4.999 s. An advance wakes the waits now due; the tasks
/// run when their executor polls them.
///
/// [`block_on`]: crate::block_on
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::{Condition, ManualClock};
///
/// let clock = ManualClock::new();
/// let cond = Condition::new();
/// let mut wait = Box::pin(cond.wait().deadline_on(&clock.handle(), Duration::from_secs(5)));
/// let waker = std::task::Waker::noop();
/// let mut cx = std::task::Context::from_waker(waker);
/// assert!(wait.as_mut().poll(&mut cx).is_pending()); // armed: one sleeper
/// assert_eq!(clock.sleepers(), 1);
/// clock.advance(Duration::from_secs(4));
/// assert!(wait.as_mut().poll(&mut cx).is_pending()); // not yet
/// clock.advance(Duration::from_secs(1));
/// assert!(wait.as_mut().poll(&mut cx).is_ready()); // exactly at 5 s: timed out
/// assert_eq!(clock.sleepers(), 0);
/// # use std::future::Future;
/// ```
#[derive(Clone)]
pub struct ManualClock {
    shared: Arc<Mutex<Manual>>,
}

struct Manual {
    now: Instant,
    timers: TimerHeap,
}

impl ManualClock {
    /// A clock standing at the real `Instant::now()`, with no timer armed.
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = toro_core::ManualClock::new();
    /// let start = clock.now();
    /// clock.advance(std::time::Duration::from_secs(60));
    /// assert_eq!(clock.now() - start, std::time::Duration::from_secs(60));
    /// ```
    pub fn new() -> Self {
        ManualClock {
            shared: Arc::new(Mutex::new(Manual {
                now: Instant::now(),
                timers: TimerHeap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Manual> {
        // Nothing of the user's runs under this lock.
        lock(&self.shared)
    }

    /// The [`LoopHandle`] of this clock (named `"manual"`), for `.deadline_on`,
    /// [`LoopHandle::enter`] or [`LoopHandle::set_default`].
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = toro_core::ManualClock::new();
    /// let handle = clock.handle();
    /// assert_eq!(handle.name(), "manual");
    /// assert_eq!(handle.now(), clock.now());
    /// ```
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::with_clock("manual", ClockRef::Manual(self.clone()))
    }

    /// The clock's current instant.
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = toro_core::ManualClock::new();
    /// assert_eq!(clock.now(), clock.now()); // it does not move by itself
    /// ```
    pub fn now(&self) -> Instant {
        self.lock().now
    }

    /// Moves the clock forward by `by` and fires every timer now due, in deadline order
    /// (in the order they were armed among equal deadlines): their waits are woken, and
    /// time out when next polled.
    ///
    /// # Panics
    ///
    /// If the clock would pass the largest `Instant` this platform has.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use toro_core::{Event, ManualClock, Timeout};
    /// # toro_core::block_on(async {
    /// let clock = ManualClock::new();
    /// let _entered = clock.handle().enter(); // every deadline on this thread uses it
    /// let event = Event::new();
    /// let wait = event.wait().deadline(Duration::from_secs(30));
    /// clock.advance(Duration::from_secs(30)); // the deadline is resolved already
    /// assert_eq!(wait.await, Err(Timeout::new(())));
    /// # });
    /// ```
    pub fn advance(&self, by: Duration) {
        let to = self
            .now()
            .checked_add(by)
            .expect("ManualClock::advance: the clock would pass the largest Instant");
        self.advance_to(to);
    }

    /// Moves the clock forward to `instant` and fires every timer now due, in deadline
    /// order. An instant at or before now changes nothing: the clock never goes back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let clock = toro_core::ManualClock::new();
    /// let later = clock.now() + Duration::from_millis(1500);
    /// clock.advance_to(later);
    /// assert_eq!(clock.now(), later);
    /// clock.advance_to(later - Duration::from_secs(1)); // backwards: ignored
    /// assert_eq!(clock.now(), later);
    /// ```
    pub fn advance_to(&self, instant: Instant) {
        let mut wakes = Vec::new();
        {
            let mut manual = self.lock();
            if instant > manual.now {
                manual.now = instant;
            }
            let now = manual.now;
            manual.timers.fire_due(now, &mut wakes);
        }
        wake_in_order(wakes);
    }

    /// How many timers are armed on this clock and not yet fired: waits with a deadline
    /// on it that have been polled and are still waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::ManualClock::new().sleepers(), 0);
    /// ```
    pub fn sleepers(&self) -> usize {
        self.lock().timers.armed()
    }

    /// Polls the alarm at `key` (arming it with `cx`'s waker at the first poll).
    pub(crate) fn poll_alarm(
        &self,
        key: &mut Option<Key>,
        at: Instant,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut fresh = FreshWaker::none();
        loop {
            let mut manual = self.lock();
            let k = match *key {
                None if manual.now >= at => return Poll::Ready(()),
                // Armed before it has a waker at hand: a firing that comes while it clones
                // one is found at its next look.
                None => *key.insert(manual.timers.insert(at, None)),
                Some(k) if manual.timers.is_fired(k) => {
                    let waker = manual.timers.remove(k);
                    *key = None;
                    drop(manual);
                    drop(waker);
                    return Poll::Ready(());
                }
                Some(k) => k,
            };
            if fresh.park(manual, cx, |manual| manual.timers.waker_slot(k)) {
                return Poll::Pending;
            }
        }
    }

    /// Disarms the alarm at `key`.
    pub(crate) fn cancel(&self, key: Key) {
        let waker = self.lock().timers.remove(key);
        drop(waker);
    }
}

/// Wakes `wakes` in order; a waker that panics does not cost the others their wake-up.
fn wake_in_order(wakes: Vec<Waker>) {
    let mut panic = None;
    for waker in wakes {
        if let Err(payload) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()))
        {
            panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = panic {
        std::panic::resume_unwind(payload);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

/// Shows the clock's instant and its armed timers.
impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (now, sleepers) = {
            let manual = self.lock();
            (manual.now, manual.timers.armed())
        };
        f.debug_struct("ManualClock")
            .field("now", &now)
            .field("sleepers", &sleepers)
            .finish()
    }
}

/// The alarm of one wait on a [`ManualClock`].
pub(crate) struct ManualAlarm {
    clock: ManualClock,
    key: Option<Key>,
}

impl ManualAlarm {
    pub(crate) fn new(clock: ManualClock) -> Self {
        ManualAlarm { clock, key: None }
    }

    pub(crate) fn poll(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        self.clock.poll_alarm(&mut self.key, at, cx)
    }

    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }
}

impl Drop for ManualAlarm {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.clock.cancel(key);
        }
    }
}
