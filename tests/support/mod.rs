//! Hand-polling helpers shared by the test binaries in `tests/` (`mod support;`).
//!
//! - Polling: [`poll`] (no-op waker), [`poll_by`] (a given waker), [`poll_unpin`] (a given
//!   context, for code that takes a polling function).
//! - Wakers: [`Probe`], a task stand-in that counts and logs its wake-ups and can run a
//!   hook inside them; [`WakeCount`], a plain counting waker.
//! - Clocks: [`MockClock`], moved by hand, counting its calls; [`expired_clock`], on which
//!   every deadline has already passed.
//! - Panics: [`panic_message`], the message of a call that must panic.
//!
//! Each test binary uses a subset, hence `dead_code` is allowed here.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use toro::{Clock, LoopHandle, Sleep};

/// Runs `f`, which must panic, and returns its panic message.
#[track_caller]
pub fn panic_message(f: impl FnOnce()) -> String {
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("expected a panic");
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(panic) => panic
            .downcast::<&'static str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------
// Polling by hand.

/// Polls `future` once with a no-op waker (nobody is told of a wake-up).
pub fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_by(future, futures::task::noop_waker_ref())
}

/// Polls `future` once with `waker`.
pub fn poll_by<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    poll_unpin(future, &mut Context::from_waker(waker))
}

/// Polls `future` once in `cx`; a plain function, so it can be passed where a polling
/// function is expected.
pub fn poll_unpin<F: Future + Unpin>(future: &mut F, cx: &mut Context<'_>) -> Poll<F::Output> {
    Pin::new(future).poll(cx)
}

/// An instant one second before now (now itself where the clock cannot go back that far):
/// an absolute deadline that has passed.
pub fn past() -> Instant {
    let now = Instant::now();
    now.checked_sub(Duration::from_secs(1)).unwrap_or(now)
}

// ---------------------------------------------------------------------------------------
// Wakers.

/// The order in which a set of probes was woken (their ids, one entry per wake-up).
#[derive(Clone, Default)]
pub struct WakeLog(Arc<Mutex<Vec<usize>>>);

impl WakeLog {
    /// The ids logged so far, oldest first; empties the log.
    pub fn take(&self) -> Vec<usize> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Code a [`Probe`] runs inside each of its wake-ups.
pub type Hook = Box<dyn Fn() + Send + Sync>;

/// What a [`Probe`]'s waker points to.
struct Flag {
    id: usize,
    hits: AtomicUsize,
    log: WakeLog,
    hook: Option<Hook>,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.hits.fetch_add(1, SeqCst);
        self.log.0.lock().unwrap().push(self.id);
        if let Some(hook) = &self.hook {
            hook();
        }
    }
}

/// A counting waker standing for one task: polls futures by hand, counts its wake-ups,
/// logs its id to a [`WakeLog`] at each one and optionally runs a [`Hook`] inside it.
/// Every poll uses the same waker, so a primitive may keep the one it has.
pub struct Probe {
    flag: Arc<Flag>,
    waker: Waker,
}

impl Probe {
    /// A probe with `id`, logging to `log`, running `hook` at each wake-up.
    pub fn build(id: usize, log: &WakeLog, hook: Option<Hook>) -> Self {
        let flag = Arc::new(Flag {
            id,
            hits: AtomicUsize::new(0),
            log: log.clone(),
            hook,
        });
        let waker = Waker::from(flag.clone());
        Probe { flag, waker }
    }

    /// A probe that only counts (id 0, a log of its own, no hook).
    pub fn new() -> Self {
        Probe::build(0, &WakeLog::default(), None)
    }

    /// A probe that logs `id` to the shared `log` at each wake-up.
    pub fn logged(id: usize, log: &WakeLog) -> Self {
        Probe::build(id, log, None)
    }

    /// A probe that runs `hook` inside every wake-up (like a Tornado done-callback).
    pub fn hooked(hook: impl Fn() + Send + Sync + 'static) -> Self {
        Probe::build(0, &WakeLog::default(), Some(Box::new(hook)))
    }

    /// How many times it was woken.
    pub fn wakes(&self) -> usize {
        self.flag.hits.load(SeqCst)
    }

    /// Its waker (the same one at every poll).
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Polls `future` once with this probe's waker.
    pub fn poll<F: Future + Unpin>(&self, future: &mut F) -> Poll<F::Output> {
        poll_by(future, &self.waker)
    }

    /// Polls `future` once and asserts it is pending.
    #[track_caller]
    pub fn pending<F: Future + Unpin>(&self, future: &mut F) {
        assert!(
            self.poll(future).is_pending(),
            "expected the wait to be pending"
        );
    }

    /// Polls `future` once, asserts it is ready and returns its output.
    #[track_caller]
    pub fn ready<F: Future + Unpin>(&self, future: &mut F) -> F::Output {
        match self.poll(future) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the wait to be ready"),
        }
    }
}

/// `n` probes with ids `0..n`, all logging to `log`.
pub fn probes(n: usize, log: &WakeLog) -> Vec<Probe> {
    (0..n).map(|i| Probe::logged(i, log)).collect()
}

/// A plain waker that counts its wake-ups (see [`wake_counter`]).
#[derive(Default)]
pub struct WakeCount(AtomicUsize);

impl WakeCount {
    /// How many times it was woken.
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A fresh [`WakeCount`] and a waker that counts into it.
pub fn wake_counter() -> (Arc<WakeCount>, Waker) {
    let count = Arc::new(WakeCount::default());
    (count.clone(), Waker::from(count))
}

// ---------------------------------------------------------------------------------------
// Clocks.

/// A clock that moves only when the test advances it, so deadlines fire exactly when the
/// test says. It counts `now()` calls and records every `sleep_until` instant.
#[derive(Clone)]
pub struct MockClock(Arc<Mutex<MockState>>);

struct MockState {
    now: Instant,
    now_calls: usize,
    /// Every instant `sleep_until` was asked for, in order.
    sleeps_asked: Vec<Instant>,
    /// Pending sleeps: (sleep id, instant, latest waker).
    sleepers: Vec<(usize, Instant, Waker)>,
}

impl MockClock {
    /// A clock starting at the real `Instant::now()`, and a `LoopHandle` named `"mock"`
    /// that uses it.
    pub fn new() -> (MockClock, LoopHandle) {
        let clock = MockClock(Arc::new(Mutex::new(MockState {
            now: Instant::now(),
            now_calls: 0,
            sleeps_asked: Vec::new(),
            sleepers: Vec::new(),
        })));
        let handle = LoopHandle::new("mock", clock.clone());
        (clock, handle)
    }

    /// The current mock instant, without counting it as a `now()` call.
    pub fn peek(&self) -> Instant {
        self.0.lock().unwrap().now
    }

    /// Moves time forward and wakes (once, with its latest waker) each sleep now due.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut state = self.0.lock().unwrap();
            state.now += by;
            let now = state.now;
            let (due, waiting) = std::mem::take(&mut state.sleepers)
                .into_iter()
                .partition(|(_, at, _)| *at <= now);
            state.sleepers = waiting;
            due.into_iter().map(|(_, _, waker)| waker).collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// How many times `Clock::now` was called.
    pub fn now_calls(&self) -> usize {
        self.0.lock().unwrap().now_calls
    }

    /// The instants `sleep_until` was asked for, in order (its call count is the length).
    pub fn sleeps(&self) -> Vec<Instant> {
        self.0.lock().unwrap().sleeps_asked.clone()
    }
}

impl Clock for MockClock {
    fn now(&self) -> Instant {
        let mut state = self.0.lock().unwrap();
        state.now_calls += 1;
        state.now
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let mut state = self.0.lock().unwrap();
        state.sleeps_asked.push(deadline);
        Box::pin(MockSleep {
            state: self.0.clone(),
            id: state.sleeps_asked.len(),
            at: deadline,
        })
    }
}

/// A [`MockClock`] sleep: ready once the clock reaches `at`.
struct MockSleep {
    state: Arc<Mutex<MockState>>,
    id: usize,
    at: Instant,
}

impl Future for MockSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap();
        state.sleepers.retain(|(id, _, _)| *id != self.id);
        if state.now >= self.at {
            Poll::Ready(())
        } else {
            state.sleepers.push((self.id, self.at, cx.waker().clone()));
            Poll::Pending
        }
    }
}

/// A clock frozen at one instant whose sleeps are ready at once: a zero deadline has
/// passed at the first poll.
pub struct Expired(pub Instant);

impl Clock for Expired {
    fn now(&self) -> Instant {
        self.0
    }

    fn sleep_until(&self, _: Instant) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

/// A `LoopHandle` named `"mock"` on an [`Expired`] clock.
pub fn expired_clock() -> LoopHandle {
    LoopHandle::new("mock", Expired(Instant::now()))
}

/// Yields once to the executor (works on any executor).
pub fn yield_now() -> impl Future<Output = ()> {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    YieldNow(false)
}
