//! User callbacks that panic or call back into the primitive (issue 11): a waker's
//! `wake`, `clone` and `Drop`, a value's `Drop` and `Debug`, a clock's `now`, timer and
//! timer `Drop`. toro runs none of them under its own mutex, and a panic in one loses no
//! item and no wake-up.
//!
//! Every test runs its body under [`watchdog`]: a deadlock (user code re-entering a
//! primitive whose mutex toro holds) fails the test after 10 s instead of hanging the
//! suite. Tests poll by hand; the clocks are scripted, nothing depends on timing.
//!
//! Sections: wakers and values on `Event`, `Condition` and `AsyncResult`; deadlines and
//! loop handles; then queues, locks and semaphores (added by their owners).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::task::{Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use toro::{
    AsyncResult, Clock, Condition, DeadlineExt, Event, Lock, LoopHandle, RwLock, Semaphore, Sleep,
    Timeout,
};

mod support;
use support::{expired_clock, poll_by, MockClock, Probe};

// ---------------------------------------------------------------------------------------
// Harness.

/// How long a test body may run before it counts as hung.
const HANG_LIMIT: Duration = Duration::from_secs(10);

/// Runs `body` on a thread of its own: its panic is the test's, and if it is still running
/// after [`HANG_LIMIT`] (a deadlock), the test fails saying so.
fn watchdog<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let out = body();
        let _ = done_tx.send(());
        out
    });
    match done_rx.recv_timeout(HANG_LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung for {HANG_LIMIT:?}: user code deadlocked inside a primitive")
        }
    }
}

/// Runs `f`, which must panic, and returns its panic message.
#[track_caller]
fn panic_message(f: impl FnOnce()) -> String {
    let panic = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(panic) => panic
            .downcast::<&'static str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

/// A waker that runs `on_drop` when its last clone is dropped, and counts its wake-ups.
struct DropHook {
    wakes: Arc<AtomicUsize>,
    on_drop: Box<dyn Fn() + Send + Sync>,
}

impl Wake for DropHook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
    }
}

impl Drop for DropHook {
    fn drop(&mut self) {
        (self.on_drop)();
    }
}

/// A waker whose drop runs `on_drop`, and the count of its wake-ups (kept outside the
/// waker, which is gone once dropped).
fn drop_hook_waker(on_drop: impl Fn() + Send + Sync + 'static) -> (Waker, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let hook = DropHook {
        wakes: wakes.clone(),
        on_drop: Box::new(on_drop),
    };
    (Waker::from(Arc::new(hook)), wakes)
}

/// The message of a waker that panics when cloned.
const CLONE_PANICS: &str = "this waker panics when cloned";

/// A waker whose `clone` panics (its wake and drop do nothing): what a primitive does
/// when it stores the waker of a wait it cannot finish yet.
fn clone_panics_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        panic!("{CLONE_PANICS}")
    }
    fn ignore(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, ignore);
    // SAFETY: the data pointer is never read, and every vtable function is sound for it:
    // `wake`, `wake_by_ref` and `drop` do nothing, `clone` panics before returning.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

// ---------------------------------------------------------------------------------------
// Event.

#[test]
fn event_wake_that_calls_back_into_the_event() {
    watchdog(|| {
        let event = Arc::new(Event::new());
        let inside = event.clone();
        let woken = Probe::hooked(move || {
            // Everything an awoken task might do, from inside `wake`.
            assert!(inside.is_set());
            inside.clear();
            assert_eq!(inside.waiters(), 0);
            let again = inside.wait();
            assert_eq!(inside.waiters(), 1);
            drop(again);
            inside.set();
        });
        let mut wait = event.wait();
        woken.pending(&mut wait);
        event.set();
        assert_eq!(woken.wakes(), 1);
        woken.ready(&mut wait);
        assert!(event.is_set(), "the hook's own set() went through");
        assert_eq!(event.waiters(), 0);
    });
}

#[test]
fn event_waker_dropped_after_the_wake_up_calls_back() {
    watchdog(|| {
        let event = Arc::new(Event::new());
        let inside = event.clone();
        let (waker, wakes) = drop_hook_waker(move || {
            inside.clear();
            drop(inside.wait());
        });
        let mut wait = event.wait();
        assert!(poll_by(&mut wait, &waker).is_pending());
        drop(waker); // toro holds the last clone now
        event.set(); // takes the waker out, wakes (and drops) it after its lock is released
        assert_eq!(wakes.load(SeqCst), 1);
        assert!(support::poll(&mut wait).is_ready());
        assert!(!event.is_set(), "the dropped waker's clear() went through");
    });
}

#[test]
fn event_replaced_waker_whose_drop_calls_back() {
    watchdog(|| {
        let event = Arc::new(Event::new());
        let inside = event.clone();
        let (old, _) = drop_hook_waker(move || {
            assert_eq!(inside.waiters(), 1);
        });
        let mut wait = event.wait();
        assert!(poll_by(&mut wait, &old).is_pending());
        drop(old);
        // The task moved: a new waker replaces the stored one, whose drop re-enters.
        assert!(support::poll(&mut wait).is_pending());
        event.set();
        assert!(support::poll(&mut wait).is_ready());
    });
}

#[test]
fn event_dropped_wait_whose_waker_drop_calls_back() {
    watchdog(|| {
        let event = Arc::new(Event::new());
        let inside = event.clone();
        let (waker, _) = drop_hook_waker(move || {
            assert_eq!(inside.waiters(), 0);
        });
        let mut wait = event.wait();
        assert!(poll_by(&mut wait, &waker).is_pending());
        drop(waker);
        drop(wait); // leaves the line, dropping the stored waker
        assert_eq!(event.waiters(), 0);
    });
}

#[test]
fn event_timed_wait_whose_waker_drop_calls_back() {
    watchdog(|| {
        let event = Arc::new(Event::new());
        let inside = event.clone();
        let dropped = Arc::new(AtomicUsize::new(0));
        let counted = dropped.clone();
        let (waker, _) = drop_hook_waker(move || {
            let _ = inside.waiters();
            counted.fetch_add(1, SeqCst);
        });
        let (clock, handle) = MockClock::new();
        let mut wait = event.wait().deadline_on(&handle, Duration::from_secs(1));
        assert_eq!(poll_by(&mut wait, &waker), Poll::Pending);
        drop(waker);
        clock.advance(Duration::from_secs(1));
        // The deadline fires at this poll, which also replaces the stored waker.
        assert_eq!(support::poll(&mut wait), Poll::Ready(Err(Timeout::new(()))));
        assert_eq!(dropped.load(SeqCst), 1);
        assert_eq!(event.waiters(), 0);
    });
}

#[test]
fn event_set_with_a_panicking_waker_still_wakes_the_others() {
    watchdog(|| {
        let event = Event::new();
        let panics = Probe::hooked(|| panic!("this waker panics when woken"));
        let (second, third) = (Probe::new(), Probe::new());
        let mut waits: Vec<_> = (0..3).map(|_| event.wait()).collect();
        panics.pending(&mut waits[0]);
        second.pending(&mut waits[1]);
        third.pending(&mut waits[2]);
        // The panic may reach the caller of `set`; the wake-ups must not be lost with it.
        let _ = catch_unwind(AssertUnwindSafe(|| event.set()));
        assert_eq!((second.wakes(), third.wakes()), (1, 1), "lost wake-ups");
        second.ready(&mut waits[1]);
        third.ready(&mut waits[2]);
    });
}

#[test]
fn event_wait_polled_with_a_waker_that_panics_on_clone() {
    watchdog(|| {
        let event = Event::new();
        let other = Probe::new();
        let mut first = event.wait();
        let mut second = event.wait();
        other.pending(&mut second);
        let message = panic_message(|| {
            let _ = poll_by(&mut first, &clone_panics_waker());
        });
        assert_eq!(message, CLONE_PANICS);
        // The event is whole: both waits are still in line, and `set` releases them.
        assert_eq!(event.waiters(), 2);
        event.set();
        assert_eq!(other.wakes(), 1);
        other.ready(&mut second);
        assert!(support::poll(&mut first).is_ready());
        assert_eq!(event.waiters(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Condition.

#[test]
fn condition_wake_that_notifies_again_passes_the_baton() {
    watchdog(|| {
        let cond = Arc::new(Condition::new());
        let inside = cond.clone();
        let first = Probe::hooked(move || inside.notify(1));
        let inside = cond.clone();
        let second = Probe::hooked(move || {
            // Waiting and leaving from inside a wake-up.
            let again = inside.wait();
            assert_eq!(inside.waiters(), 2);
            drop(again);
        });
        let third = Probe::new();
        let mut waits: Vec<_> = (0..3).map(|_| cond.wait()).collect();
        first.pending(&mut waits[0]);
        second.pending(&mut waits[1]);
        third.pending(&mut waits[2]);
        cond.notify(1);
        assert_eq!(
            (first.wakes(), second.wakes(), third.wakes()),
            (1, 1, 0),
            "the first's wake-up notified the second, inside the call"
        );
        first.ready(&mut waits[0]);
        second.ready(&mut waits[1]);
        assert_eq!(cond.waiters(), 1);
    });
}

#[test]
fn condition_waker_dropped_after_the_wake_up_calls_back() {
    watchdog(|| {
        let cond = Arc::new(Condition::new());
        let inside = cond.clone();
        let (waker, wakes) = drop_hook_waker(move || inside.notify_all());
        let next = Probe::new();
        let mut first = cond.wait();
        let mut second = cond.wait();
        assert!(poll_by(&mut first, &waker).is_pending());
        next.pending(&mut second);
        drop(waker);
        cond.notify(1);
        assert_eq!(wakes.load(SeqCst), 1);
        assert_eq!(
            next.wakes(),
            1,
            "the dropped waker's notify_all reached the second"
        );
        assert!(support::poll(&mut first).is_ready());
        next.ready(&mut second);
    });
}

#[test]
fn condition_replaced_waker_whose_drop_calls_back() {
    watchdog(|| {
        let cond = Arc::new(Condition::new());
        let inside = cond.clone();
        let (old, _) = drop_hook_waker(move || inside.notify(1));
        let mut wait = cond.wait();
        assert!(poll_by(&mut wait, &old).is_pending());
        drop(old);
        // This poll replaces (and drops) the old waker, whose notify(1) reaches the wait.
        let _ = support::poll(&mut wait);
        assert!(
            support::poll(&mut wait).is_ready(),
            "the old waker's notify(1)"
        );
    });
}

#[test]
fn condition_dropped_wait_whose_waker_drop_calls_back() {
    watchdog(|| {
        let cond = Arc::new(Condition::new());
        let inside = cond.clone();
        let (waker, _) = drop_hook_waker(move || inside.notify(1));
        let next = Probe::new();
        let mut leaving = cond.wait();
        let mut staying = cond.wait();
        assert!(poll_by(&mut leaving, &waker).is_pending());
        next.pending(&mut staying);
        drop(waker);
        drop(leaving);
        assert_eq!(next.wakes(), 1, "the leaving waker's notify(1)");
        next.ready(&mut staying);
    });
}

#[test]
fn condition_notify_with_a_panicking_waker_still_wakes_the_others() {
    watchdog(|| {
        let cond = Condition::new();
        let panics = Probe::hooked(|| panic!("this waker panics when woken"));
        let (second, third) = (Probe::new(), Probe::new());
        let mut waits: Vec<_> = (0..3).map(|_| cond.wait()).collect();
        panics.pending(&mut waits[0]);
        second.pending(&mut waits[1]);
        third.pending(&mut waits[2]);
        let _ = catch_unwind(AssertUnwindSafe(|| cond.notify(2)));
        assert_eq!(
            (second.wakes(), third.wakes()),
            (1, 0),
            "notify(2): a lost wake-up"
        );
        let _ = catch_unwind(AssertUnwindSafe(|| cond.notify_all()));
        assert_eq!(third.wakes(), 1, "notify_all: a lost wake-up");
    });
}

#[test]
fn condition_wait_polled_with_a_waker_that_panics_on_clone() {
    watchdog(|| {
        let cond = Condition::new();
        let next = Probe::new();
        let mut first = cond.wait();
        let mut second = cond.wait();
        next.pending(&mut second);
        let message = panic_message(|| {
            let _ = poll_by(&mut first, &clone_panics_waker());
        });
        assert_eq!(message, CLONE_PANICS);
        assert_eq!(cond.waiters(), 2, "both still in line");
        // The notification goes to the first; an executor drops a task whose poll
        // panicked, and the wake-up passes on to the next waiter.
        cond.notify(1);
        drop(first);
        assert_eq!(next.wakes(), 1);
        next.ready(&mut second);
        assert_eq!(cond.waiters(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// AsyncResult.

/// A value whose `Drop` panics.
struct PanicsOnDrop(u32);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("value {} panics when dropped", self.0);
        }
    }
}

#[test]
fn async_result_value_whose_drop_panics() {
    watchdog(|| {
        let result = AsyncResult::new();
        let reader = Probe::new();
        let mut get = result.get();
        reader.pending(&mut get);
        result
            .set(PanicsOnDrop(1))
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(reader.wakes(), 1);
        assert!(matches!(reader.ready(&mut get), PanicsOnDrop(1)));
        drop(get);

        // The rejected value comes back; its drop panics in the caller's code, and the
        // result keeps its first value.
        let again = result.set(PanicsOnDrop(2)).map_err(|e| e.into_inner());
        let rejected = again.expect_err("already set");
        assert_eq!(rejected.0, 2);
        let message = panic_message(move || drop(rejected));
        assert_eq!(message, "value 2 panics when dropped");
        assert!(matches!(result.get_nowait(), Ok(PanicsOnDrop(1))));
        assert!(matches!(
            support::poll(&mut result.get()),
            Poll::Ready(PanicsOnDrop(1))
        ));
        assert_eq!(result.waiters(), 0);

        // Dropping the result drops its value: the panic reaches the dropper, once.
        let message = panic_message(move || drop(result));
        assert_eq!(message, "value 1 panics when dropped");
    });
}

/// A value whose `Debug` reads the very result that holds it.
struct LooksBack(Mutex<Weak<AsyncResult<LooksBack>>>);

impl std::fmt::Debug for LooksBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let result = self.0.lock().unwrap().upgrade().expect("the result lives");
        assert!(result.ready());
        write!(f, "LooksBack(waiters: {})", result.waiters())
    }
}

#[test]
fn async_result_value_whose_debug_calls_back() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let value = LooksBack(Mutex::new(Arc::downgrade(&result)));
        result.set(value).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            format!("{result:?}"),
            "AsyncResult { value: LooksBack(waiters: 0) }"
        );
    });
}

/// A value whose `Debug` panics.
struct DebugPanics;

impl std::fmt::Debug for DebugPanics {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("this value's Debug panics")
    }
}

#[test]
fn async_result_value_whose_debug_panics() {
    watchdog(|| {
        let result = AsyncResult::new();
        result.set(DebugPanics).unwrap();
        let message = panic_message(|| drop(format!("{result:?}")));
        assert_eq!(message, "this value's Debug panics");
        assert!(result.ready());
        assert!(support::poll(&mut result.get()).is_ready());
        assert_eq!(result.waiters(), 0);
    });
}

#[test]
fn async_result_wake_that_calls_back_into_the_result() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let inside = result.clone();
        let first = Probe::hooked(move || {
            assert_eq!(inside.get_nowait(), Ok(&7));
            assert_eq!(inside.set(8).unwrap_err().into_inner(), 8);
            assert!(support::poll(&mut inside.get()).is_ready());
        });
        let second = Probe::new();
        let mut gets: Vec<_> = (0..2).map(|_| result.get()).collect();
        first.pending(&mut gets[0]);
        second.pending(&mut gets[1]);
        result.set(7).unwrap();
        assert_eq!((first.wakes(), second.wakes()), (1, 1));
        assert_eq!(first.ready(&mut gets[0]), &7);
        assert_eq!(second.ready(&mut gets[1]), &7);
    });
}

#[test]
fn async_result_replaced_waker_whose_drop_calls_back() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let inside = result.clone();
        let (old, _) = drop_hook_waker(move || {
            let _ = inside.set(1);
        });
        let mut get = result.get();
        assert!(poll_by(&mut get, &old).is_pending());
        drop(old);
        let _ = support::poll(&mut get);
        assert_eq!(result.get_nowait(), Ok(&1));
    });
}

#[test]
fn async_result_dropped_get_whose_waker_drop_calls_back() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let inside = result.clone();
        let (waker, _) = drop_hook_waker(move || {
            let _ = inside.set(1);
        });
        let mut get = result.get();
        assert!(poll_by(&mut get, &waker).is_pending());
        drop(waker);
        drop(get);
        assert_eq!(result.get_nowait(), Ok(&1));
    });
}

#[test]
fn async_result_set_with_a_panicking_waker_still_wakes_the_others() {
    watchdog(|| {
        let result = AsyncResult::new();
        let panics = Probe::hooked(|| panic!("this waker panics when woken"));
        let other = Probe::new();
        let mut gets: Vec<_> = (0..2).map(|_| result.get()).collect();
        panics.pending(&mut gets[0]);
        other.pending(&mut gets[1]);
        let _ = catch_unwind(AssertUnwindSafe(|| result.set(3)));
        assert!(result.ready());
        assert_eq!(other.wakes(), 1, "a lost wake-up");
        assert_eq!(other.ready(&mut gets[1]), &3);
    });
}

#[test]
fn async_result_get_polled_with_a_waker_that_panics_on_clone() {
    watchdog(|| {
        let result = AsyncResult::new();
        let mut get = result.get();
        let message = panic_message(|| {
            let _ = poll_by(&mut get, &clone_panics_waker());
        });
        assert_eq!(message, CLONE_PANICS);
        assert_eq!(result.waiters(), 1);
        result.set('v').unwrap();
        assert_eq!(support::poll(&mut get), Poll::Ready(&'v'));
        assert_eq!(result.waiters(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Deadlines and loop handles: a clock is user code too.

/// A clock run by closures: `now`, and `sleep_until` (which makes the timer).
struct Scripted {
    now: Box<dyn Fn() -> Instant + Send + Sync>,
    sleep: Box<dyn Fn(Instant) -> Sleep + Send + Sync>,
}

impl Clock for Scripted {
    fn now(&self) -> Instant {
        (self.now)()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        (self.sleep)(deadline)
    }
}

fn scripted(
    now: impl Fn() -> Instant + Send + Sync + 'static,
    sleep: impl Fn(Instant) -> Sleep + Send + Sync + 'static,
) -> LoopHandle {
    LoopHandle::new(
        "scripted",
        Scripted {
            now: Box::new(now),
            sleep: Box::new(sleep),
        },
    )
}

/// A timer that runs `on_poll` at each poll and `on_drop` when dropped, and fires at its
/// first poll.
struct HookedSleep {
    on_poll: Box<dyn Fn() + Send + Sync>,
    on_drop: Box<dyn Fn() + Send + Sync>,
}

impl std::future::Future for HookedSleep {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        (self.on_poll)();
        Poll::Ready(())
    }
}

impl Drop for HookedSleep {
    fn drop(&mut self) {
        (self.on_drop)();
    }
}

#[test]
fn clock_whose_now_panics_when_the_deadline_is_set() {
    watchdog(|| {
        let lock = Lock::new();
        let held = lock.try_acquire().unwrap();
        let broken = scripted(|| panic!("this clock's now() panics"), |_| unreachable!());
        let message = panic_message(|| {
            drop(lock.acquire().deadline_on(&broken, Duration::from_secs(1)));
        });
        assert_eq!(message, "this clock's now() panics");
        // The wait that was being given the deadline was dropped: it left the line.
        let next = Probe::new();
        let mut acquire = lock.acquire();
        next.pending(&mut acquire);
        drop(held);
        assert_eq!(next.wakes(), 1, "the lock went to the next waiter");
        drop(next.ready(&mut acquire));
        assert!(!lock.locked());
    });
}

#[test]
fn clock_whose_timer_panics_when_made() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        let broken = scripted(Instant::now, |_| panic!("this clock's timer panics"));
        let mut timed = sem.acquire().deadline_on(&broken, Duration::from_secs(1));
        let next = Probe::new();
        let mut behind = sem.acquire();
        next.pending(&mut behind);
        let message = panic_message(|| {
            let _ = support::poll(&mut timed);
        });
        assert_eq!(message, "this clock's timer panics");
        // Still a wait in line: a release reaches it, not the one behind.
        sem.release();
        assert_eq!(next.wakes(), 0);
        assert!(matches!(support::poll(&mut timed), Poll::Ready(Ok(_))));
        drop(timed);
        assert_eq!(
            next.wakes(),
            1,
            "its token passed on when its guard was dropped"
        );
        drop(next.ready(&mut behind));
        assert_eq!(sem.counter(), 1);
    });
}

#[test]
fn timer_that_calls_back_into_the_primitive_when_polled_and_dropped() {
    watchdog(|| {
        let cond = Arc::new(Condition::new());
        let (at_poll, at_drop) = (cond.clone(), cond.clone());
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = drops.clone();
        let clock = scripted(Instant::now, move |_| {
            let (at_poll, at_drop, counted) = (at_poll.clone(), at_drop.clone(), counted.clone());
            Box::pin(HookedSleep {
                // The timer's poll notifies the very condition the wait stands in.
                on_poll: Box::new(move || at_poll.notify_all()),
                on_drop: Box::new(move || {
                    assert_eq!(at_drop.waiters(), 0);
                    at_drop.notify(1);
                    counted.fetch_add(1, SeqCst);
                }),
            })
        });
        let mut wait = cond.wait().deadline_on(&clock, Duration::from_secs(1));
        // Pending wait, then the timer fires having notified it: the hand-off wins.
        assert_eq!(support::poll(&mut wait), Poll::Ready(Ok(())));
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the timer is dropped once the wait finished"
        );
        drop(wait);
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(cond.waiters(), 0);
    });
}

#[test]
fn deadlined_future_whose_drop_panics_at_the_deadline() {
    watchdog(|| {
        struct PanicsWhenDropped;
        impl std::future::Future for PanicsWhenDropped {
            type Output = ();
            fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
                Poll::Pending
            }
        }
        impl Drop for PanicsWhenDropped {
            fn drop(&mut self) {
                if !thread::panicking() {
                    panic!("this future panics when dropped");
                }
            }
        }
        let expired = expired_clock();
        let mut timed = PanicsWhenDropped.deadline_on(&expired, Duration::ZERO);
        let message = panic_message(|| {
            let _ = support::poll(&mut timed);
        });
        assert_eq!(message, "this future panics when dropped");
        let message = panic_message(|| {
            let _ = support::poll(&mut timed);
        });
        assert_eq!(message, "`Deadlined` polled after it timed out");
        drop(timed);
    });
}

/// A clock whose `Drop` reads and enters loop handles: the last handle to it may be
/// dropped by an `EnterGuard` leaving it.
struct ReentersOnDrop;

impl Clock for ReentersOnDrop {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, at: Instant) -> Sleep {
        LoopHandle::runtime_free().sleep_until(at)
    }
}

impl Drop for ReentersOnDrop {
    fn drop(&mut self) {
        let _entered = LoopHandle::runtime_free().enter();
        assert_eq!(LoopHandle::current().name(), "runtime-free");
    }
}

#[test]
fn clock_whose_drop_enters_a_handle_while_its_guard_leaves() {
    watchdog(|| {
        let handle = LoopHandle::new("reenters", ReentersOnDrop);
        let guard = handle.enter();
        drop(handle); // the guard's entry holds the last reference
        assert_eq!(LoopHandle::current().name(), "reenters");
        drop(guard);
        assert_eq!(LoopHandle::current().name(), "runtime-free");
    });
}

#[test]
fn timed_wait_whose_waker_drop_calls_back_after_the_hand_off() {
    watchdog(|| {
        let lock = Arc::new(Lock::new());
        let held = lock.try_acquire().unwrap();
        let inside = lock.clone();
        let (waker, wakes) = drop_hook_waker(move || {
            assert!(inside.locked(), "held by the waiter it was handed to");
            assert!(inside.try_acquire().is_none());
        });
        let (clock, handle) = MockClock::new();
        let mut timed = lock.acquire().deadline_on(&handle, Duration::from_secs(1));
        assert!(poll_by(&mut timed, &waker).is_pending());
        drop(waker); // toro holds the last clone now
                     // The hand-off takes the waker out of the line: woken and dropped, no lock held.
        drop(held);
        assert_eq!(wakes.load(SeqCst), 1);
        clock.advance(Duration::from_secs(1));
        let guard = match support::poll(&mut timed) {
            Poll::Ready(Ok(guard)) => guard,
            _ => panic!("the hand-off came before the deadline was observed: it wins"),
        };
        drop(guard);
        assert!(!lock.locked());
    });
}

/// A timed wait started by a destructor while its thread unwinds, inside a tokio runtime:
/// finding out whether the runtime has a timer must not panic again (that would abort),
/// and an answer found mid-panic is not kept.
#[cfg(feature = "tokio")]
#[test]
fn timed_wait_in_a_destructor_during_a_panic_inside_tokio() {
    struct WaitsWhenDropped(&'static str);
    impl Drop for WaitsWhenDropped {
        fn drop(&mut self) {
            assert!(thread::panicking());
            assert_eq!(LoopHandle::current().name(), self.0);
            let event = Event::new();
            let wait = event.wait().deadline(Duration::ZERO);
            assert!(toro::block_on(wait).is_err());
        }
    }
    watchdog(|| {
        for enable_time in [false, true] {
            let mut builder = tokio::runtime::Builder::new_current_thread();
            if enable_time {
                builder.enable_time();
            }
            let runtime = builder.build().unwrap();
            runtime.block_on(async {
                let message = panic_message(|| {
                    let _waits = WaitsWhenDropped("runtime-free");
                    panic!("unwinding");
                });
                assert_eq!(message, "unwinding");
                let expected = if enable_time { "tokio" } else { "runtime-free" };
                assert_eq!(LoopHandle::current().name(), expected);
            });
        }
    });
}

// ---------------------------------------------------------------------------------------
// Queues (Ord, Debug, Drop of items), locks and semaphores: added by their owners.

// ---------------------------------------------------------------------------------------
// Locks and semaphores: wakers, and the data of a `Lock<T>`.

/// A waker whose `clone` runs `hook` first (its wake and drop do nothing).
fn clone_hook_waker(hook: impl Fn() + Send + Sync + 'static) -> Waker {
    type Hook = Box<dyn Fn() + Send + Sync>;
    fn clone(data: *const ()) -> RawWaker {
        // SAFETY: `data` is the leaked `Hook` made below, which lives for the whole test.
        let hook = unsafe { &*(data as *const Hook) };
        hook();
        RawWaker::new(data, &VTABLE)
    }
    fn ignore(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, ignore, ignore, ignore);
    let data: &'static Hook = Box::leak(Box::new(Box::new(hook) as Hook));
    // SAFETY: every vtable function is sound for `data`, a `&'static Hook`: `clone` reads
    // it and returns the same pointer; `wake`, `wake_by_ref` and `drop` do nothing.
    unsafe { Waker::from_raw(RawWaker::new(data as *const Hook as *const (), &VTABLE)) }
}

#[test]
fn lock_waiter_whose_waker_clone_calls_back_into_the_lock() {
    watchdog(|| {
        let lock = Arc::new(Lock::new());
        let inside = lock.clone();
        let clones = Arc::new(AtomicUsize::new(0));
        let counted = clones.clone();
        // `Debug` of a lock takes its mutex (to count the waiters).
        let waker = clone_hook_waker(move || {
            let _ = format!("{inside:?}");
            counted.fetch_add(1, SeqCst);
        });
        let held = lock.try_acquire().unwrap();
        let mut wait = lock.acquire();
        assert!(poll_by(&mut wait, &waker).is_pending());
        assert!(clones.load(SeqCst) >= 1, "the waker was stored");
        drop(held);
        assert!(support::poll(&mut wait).is_ready());
    });
}

#[test]
fn semaphore_replaced_and_dropped_wakers_whose_drop_calls_back() {
    watchdog(|| {
        let sem = Arc::new(Semaphore::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let hook = |sem: &Arc<Semaphore>, dropped: &Arc<AtomicUsize>| {
            let (inside, counted) = (sem.clone(), dropped.clone());
            drop_hook_waker(move || {
                let _ = format!("{inside:?}"); // takes the semaphore's mutex
                counted.fetch_add(1, SeqCst);
            })
            .0
        };
        // Replaced: the second poll stores another task's waker.
        let mut first = sem.acquire();
        assert!(poll_by(&mut first, &hook(&sem, &dropped)).is_pending());
        assert!(support::poll(&mut first).is_pending());
        assert_eq!(dropped.load(SeqCst), 1);
        // Dropped with its wait.
        let mut second = sem.acquire();
        assert!(poll_by(&mut second, &hook(&sem, &dropped)).is_pending());
        drop(second);
        assert_eq!(dropped.load(SeqCst), 2);
        sem.release();
        assert!(support::poll(&mut first).is_ready());
    });
}

#[test]
fn rwlock_write_release_with_a_panicking_waker_still_admits_every_reader() {
    watchdog(|| {
        let rw = RwLock::new(3);
        let writer = rw.try_acquire_write().unwrap();
        let panics = Probe::hooked(|| panic!("this waker panics when woken"));
        let (second, third) = (Probe::new(), Probe::new());
        let mut readers: Vec<_> = (0..3).map(|_| rw.acquire_read()).collect();
        panics.pending(&mut readers[0]);
        second.pending(&mut readers[1]);
        third.pending(&mut readers[2]);
        // The panic reaches the guard's drop; the tokens and wake-ups are not lost with it.
        assert!(catch_unwind(AssertUnwindSafe(|| drop(writer))).is_err());
        assert_eq!((second.wakes(), third.wakes()), (1, 1), "lost wake-ups");
        let guards: Vec<_> = readers.iter_mut().map(support::poll).collect();
        assert!(
            guards.iter().all(Poll::is_ready),
            "every reader was granted"
        );
        assert!(rw.locked());
        drop(guards);
        assert!(rw.try_acquire_write().is_some(), "every token came back");
    });
}

/// Data whose `Debug` and `Drop` use the lock that holds it: `Debug` of the lock takes
/// the lock's token for the moment (never its mutex), so `try_acquire` inside sees it held.
#[test]
fn lock_data_whose_debug_and_drop_call_back_into_the_lock() {
    struct Nosy(Arc<Mutex<Option<Arc<Lock<Nosy>>>>>);
    impl std::fmt::Debug for Nosy {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let lock = self.0.lock().unwrap().clone().unwrap();
            assert!(lock.try_acquire().is_none(), "Debug holds the lock");
            assert!(lock.locked());
            f.write_str("nosy")
        }
    }
    watchdog(|| {
        let slot = Arc::new(Mutex::new(None));
        let lock = Arc::new(Lock::with_value(Nosy(slot.clone())));
        *slot.lock().unwrap() = Some(lock.clone());
        assert_eq!(
            format!("{lock:?}"),
            "Lock { locked: false, waiters: 0, data: nosy }"
        );
        assert!(!lock.locked(), "Debug gave the lock back");
        *slot.lock().unwrap() = None; // break the cycle
    });
}

/// A holder that panics releases the lock (no poisoning), and the data is as it left it;
/// the next waiter in line gets it.
#[test]
fn lock_holder_that_panics_hands_the_lock_on_with_its_data() {
    watchdog(|| {
        let lock = Arc::new(Lock::with_value(vec![1]));
        let mut guard = lock.try_acquire_owned().unwrap();
        let p = Probe::new();
        let mut waiter = lock.acquire();
        p.pending(&mut waiter);
        let holder = thread::spawn(move || {
            guard.push(2);
            panic!("holder panics");
        });
        assert!(holder.join().is_err());
        assert_eq!(p.wakes(), 1, "the unwinding guard handed the lock on");
        assert_eq!(*p.ready(&mut waiter), [1, 2]);
    });
}
