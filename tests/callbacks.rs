//! User callbacks that panic or call back into the primitive: a waker's `wake`, `clone`
//! and `Drop`, a value's `Drop` and `Debug`, a clock's `now`, timer and timer `Drop`. toro
//! runs none of them under its own mutex, and a panic in one loses no item and no wake-up.
//!
//! Every test runs its body under [`watchdog`]: a deadlock (user code re-entering a
//! primitive whose mutex toro holds) fails the test after 10 s instead of hanging the
//! suite. Tests poll by hand; the clocks are scripted, nothing depends on timing.
//!
//! Sections: wakers and values on `Event`, `Condition` and `AsyncResult`; deadlines and
//! loop handles; every wait of the locks, semaphores and `Barrier` (and
//! `JoinableQueue::join`), the barrier's trip past wakers that panic or arrive again, an
//! `RwLock`'s upgradable read and its upgrade, and the data of a `Lock<T>`; then every queue's waits and its items' `Drop`, `Debug` and
//! `Ord`, streams and sinks. The waker tests shared by all waits are written once
//! ([`waker_callbacks!`], [`queue_callbacks!`]), and run for `Event` and `Condition` too:
//! among them, a stored waker whose `drop` panics, replaced by a later poll or dropped
//! with its wait.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak, mpsc};
use std::task::{Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use toro::{
    AsyncResult, Barrier, BarrierWait, BoundedSemaphore, Clock, Condition, DeadlineExt, Event,
    JoinableQueue, LifoQueue, Lock, LoopHandle, PriorityQueue, Queue, RwLock, Semaphore, Shutdown,
    Sleep, Timeout, TooManyReleases, TooManyTaskDone, TryRecvError, UpgradableReadGuard,
};

mod support;
use support::{MockClock, Probe, expired_clock, panic_message, poll_by};

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

// AsyncResult as a OnceCell: the initialiser's `f`, its future and its value are user code.

/// An `f` that must not be called.
fn never_called<T>() -> std::future::Ready<T> {
    panic!("an f called where it must not be")
}

/// An `f`'s future that yields once, then resolves to `value`: it runs across two polls.
fn after_a_yield<T: Unpin>(value: T) -> impl std::future::Future<Output = T> + Unpin {
    let mut yielded = false;
    let mut value = Some(value);
    std::future::poll_fn(move |cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(value.take().expect("polled after it completed"))
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn async_result_initialiser_whose_f_calls_back_into_the_result() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let inside = result.clone();
        let (task, reader) = (Probe::new(), Probe::new());
        let mut get = result.get();
        reader.pending(&mut get);
        let mut init = result.get_or_init(move || {
            // Everything an initialiser might do to its own result: none of it runs under
            // toro's lock.
            assert_eq!(inside.get_nowait(), Err(toro::NotReady));
            assert_eq!(inside.waiters(), 1);
            assert_eq!(
                format!("{inside:?}"),
                "AsyncResult { value: <unset>, initialising: true, waiters: 1 }"
            );
            let in_line = inside.get_or_init(never_called);
            assert_eq!(inside.waiters(), 2);
            drop(in_line);
            // `set` wins over the running initialiser.
            inside.set(8).unwrap();
            after_a_yield(7)
        });
        assert_eq!(task.poll(&mut init), Poll::Pending);
        assert_eq!(reader.wakes(), 1, "the set inside f released the reader");
        assert_eq!(task.ready(&mut init), &8, "f's own 7 was dropped");
        assert_eq!(reader.ready(&mut get), &8);
        assert_eq!(result.waiters(), 0);
    });
}

#[test]
fn async_result_initialiser_panicking_while_the_next_ones_waker_panics() {
    watchdog(|| {
        let result = AsyncResult::new();
        let next_waker = panicking_probe();
        let mut holder = result.get_or_init(|| -> std::future::Ready<u32> { panic!("f panics") });
        let mut next = result.get_or_init(|| std::future::ready(2));
        next_waker.pending(&mut next);
        // The turn passes while f's panic unwinds; the next waker's panic, a second one,
        // is caught there (it would abort the process), and f's panic goes on.
        let message = panic_message(|| {
            let _ = Probe::new().poll(&mut holder);
        });
        assert_eq!(message, "f panics");
        assert_eq!(next_waker.wakes(), 1, "woken, though its wake panicked");
        assert_eq!(Probe::new().ready(&mut next), &2, "it held the turn");
    });
}

/// A future that panics when dropped.
struct DropPanics;

impl std::future::Future for DropPanics {
    type Output = u32;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<u32> {
        Poll::Pending
    }
}

impl Drop for DropPanics {
    fn drop(&mut self) {
        panic!("f's future panics when dropped")
    }
}

#[test]
fn async_result_cancelled_initialiser_whose_future_panics_when_dropped() {
    watchdog(|| {
        let result = AsyncResult::new();
        let next_task = Probe::new();
        let mut holder = result.get_or_init(|| DropPanics);
        let mut next = result.get_or_init(|| std::future::ready(2));
        assert!(Probe::new().poll(&mut holder).is_pending());
        next_task.pending(&mut next);
        // The panic reaches whoever dropped the holder; the turn passed on all the same.
        assert_eq!(
            panic_message(move || drop(holder)),
            "f's future panics when dropped"
        );
        assert_eq!(next_task.wakes(), 1);
        assert_eq!(next_task.ready(&mut next), &2);
    });
}

#[test]
fn async_result_initialised_value_lost_to_a_set_whose_drop_panics() {
    watchdog(|| {
        let result = AsyncResult::new();
        let reader = Probe::new();
        let mut holder = result.get_or_init(|| after_a_yield(PanicsOnDrop(2)));
        let mut get = result.get();
        assert!(Probe::new().poll(&mut holder).is_pending());
        reader.pending(&mut get);
        result
            .set(PanicsOnDrop(1))
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(reader.wakes(), 1);
        // The initialiser's own value is dropped in its poll, after the lock and the
        // wake-ups: the panic goes to its caller, the set value stays.
        let message = panic_message(|| {
            let _ = Probe::new().poll(&mut holder);
        });
        assert_eq!(message, "value 2 panics when dropped");
        assert!(matches!(reader.ready(&mut get), PanicsOnDrop(1)));
        assert!(matches!(result.get_nowait(), Ok(PanicsOnDrop(1))));
        drop((holder, get));
        std::mem::forget(result); // its value panics when dropped
    });
}

#[test]
fn async_result_init_with_a_panicking_waker_still_wakes_the_others() {
    watchdog(|| {
        let result = AsyncResult::new();
        let (panics, other, reader) = (panicking_probe(), Probe::new(), Probe::new());
        let mut holder = result.get_or_init(|| after_a_yield(3));
        let mut in_line = [
            result.get_or_init(never_called),
            result.get_or_init(never_called),
        ];
        let mut get = result.get();
        assert!(Probe::new().poll(&mut holder).is_pending());
        panics.pending(&mut in_line[0]);
        other.pending(&mut in_line[1]);
        reader.pending(&mut get);
        // The value is stored before the wake-ups: the panic goes to the initialiser.
        let message = panic_message(|| {
            let _ = Probe::new().poll(&mut holder);
        });
        assert_eq!(message, WAKE_PANICS);
        assert_eq!((other.wakes(), reader.wakes()), (1, 1), "a lost wake-up");
        assert_eq!(panics.ready(&mut in_line[0]), &3);
        assert_eq!(other.ready(&mut in_line[1]), &3);
        assert_eq!(reader.ready(&mut get), &3);
    });
}

#[test]
fn async_result_failed_init_passes_the_turn_to_a_panicking_waker() {
    watchdog(|| {
        let result = AsyncResult::new();
        let panics = panicking_probe();
        let mut failing = result.get_or_try_init(|| std::future::ready(Err::<u32, _>("no")));
        let mut next = result.get_or_try_init(|| std::future::ready(Ok::<_, &str>(2)));
        let mut after = result.get_or_try_init(never_called::<Result<u32, &str>>);
        panics.pending(&mut next);
        // The turn is handed over before the wake-up: the panic reaches the failing
        // caller, and the turn is the next one's.
        let message = panic_message(|| {
            let _ = Probe::new().poll(&mut failing);
        });
        assert_eq!(message, WAKE_PANICS);
        assert_eq!(
            result.waiters(),
            1,
            "the turn went to `next`, `after` waits"
        );
        assert_eq!(Probe::new().ready(&mut next), Ok(&2));
        assert_eq!(Probe::new().ready(&mut after), Ok(&2));
    });
}

#[test]
fn async_result_wake_that_calls_back_into_get_or_init() {
    watchdog(|| {
        let result = Arc::new(AsyncResult::new());
        let inside = result.clone();
        let woken = Probe::hooked(move || {
            // The value is there by the time the wake-up runs: at once, without f.
            let mut again = inside.get_or_init(never_called);
            assert_eq!(support::poll(&mut again), Poll::Ready(&5));
            assert_eq!(inside.waiters(), 0);
        });
        let mut holder = result.get_or_init(|| after_a_yield(5));
        let mut in_line = result.get_or_init(never_called);
        assert!(Probe::new().poll(&mut holder).is_pending());
        woken.pending(&mut in_line);
        assert_eq!(Probe::new().ready(&mut holder), &5);
        assert_eq!(woken.wakes(), 1);
        assert_eq!(woken.ready(&mut in_line), &5);
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
// Every wait of the locks, semaphores and queues: wakers whose `Drop` or `clone` calls
// back into the primitive (one module per wait, from `waker_callbacks!`), and wakers
// whose `wake` panics.

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

/// What a re-entering waker saw: the primitive's `Debug` at each call of its hook.
/// `Debug` of every primitive takes its mutex, so a hook run under it would deadlock.
type Seen = Arc<Mutex<Vec<String>>>;

/// A waker whose `Drop` formats `primitive`, recording what it saw.
fn debug_on_drop_waker<P>(primitive: &Arc<P>) -> (Waker, Seen)
where
    P: std::fmt::Debug + Send + Sync + 'static,
{
    let (inside, seen) = (Arc::clone(primitive), Seen::default());
    let record = seen.clone();
    let (waker, _) = drop_hook_waker(move || record.lock().unwrap().push(format!("{inside:?}")));
    (waker, seen)
}

/// A waker whose `clone` formats `primitive`, recording what it saw.
fn debug_on_clone_waker<P>(primitive: &Arc<P>) -> (Waker, Seen)
where
    P: std::fmt::Debug + Send + Sync + 'static,
{
    let (inside, seen) = (Arc::clone(primitive), Seen::default());
    let record = seen.clone();
    let waker = clone_hook_waker(move || record.lock().unwrap().push(format!("{inside:?}")));
    (waker, seen)
}

/// The message of a waker that panics when woken.
const WAKE_PANICS: &str = "this waker panics when woken";
/// The message of a waker that panics when its last clone is dropped.
const DROP_PANICS: &str = "this waker panics when dropped";

/// A probe whose wake-up panics with [`WAKE_PANICS`].
fn panicking_probe() -> Probe {
    Probe::hooked(|| panic!("{WAKE_PANICS}"))
}

/// The waker tests every wait gets, in a module named after the wait. `$p` names the
/// primitive (an `Arc`) in the expressions: `new` makes it with the `wait` blocked,
/// `release` lets the oldest waiter in, `granted` checks what a wait finished with (then
/// drops it), and `settled` checks the state once every wait is gone.
macro_rules! waker_callbacks {
    ($(
        $name:ident: |$p:ident| {
            new: $new:expr,
            wait: $wait:expr,
            release: $release:expr,
            granted: |$out:pat_param| $granted:expr,
            settled: $settled:expr $(,)?
        }
    )*) => {$(
        mod $name {
            use super::*;

            /// A second poll with another task's waker replaces the stored one, which is
            /// dropped after the mutex is released: its drop sees the wait still in line,
            /// and the release wakes the new waker.
            #[test]
            fn replaced_waker_whose_drop_calls_back() {
                watchdog(|| {
                    let $p = Arc::new($new);
                    let (old, seen) = debug_on_drop_waker(&$p);
                    let task = Probe::new();
                    let mut wait = $wait;
                    assert!(poll_by(&mut wait, &old).is_pending());
                    drop(old); // toro holds the last clone
                    task.pending(&mut wait);
                    assert_eq!(
                        *seen.lock().unwrap(),
                        [format!("{:?}", $p)],
                        "dropped once, with the wait still in line"
                    );
                    $release;
                    assert_eq!(task.wakes(), 1, "the new waker was woken");
                    {
                        let $out = task.ready(&mut wait);
                        $granted;
                    }
                    drop(wait);
                    $settled;
                });
            }

            /// A wait dropped in line drops its stored waker after leaving the line and
            /// releasing the mutex: the waker's drop sees it gone, and the release goes
            /// to the waiter behind it.
            #[test]
            fn dropped_wait_whose_waker_drop_calls_back() {
                watchdog(|| {
                    let $p = Arc::new($new);
                    let (waker, seen) = debug_on_drop_waker(&$p);
                    let next = Probe::new();
                    let mut leaving = $wait;
                    let mut staying = $wait;
                    assert!(poll_by(&mut leaving, &waker).is_pending());
                    next.pending(&mut staying);
                    drop(waker);
                    drop(leaving);
                    assert_eq!(
                        *seen.lock().unwrap(),
                        [format!("{:?}", $p)],
                        "dropped once, after the wait left the line"
                    );
                    $release;
                    assert_eq!(next.wakes(), 1, "the waiter left in line was let in");
                    {
                        let $out = next.ready(&mut staying);
                        $granted;
                    }
                    drop(staying);
                    $settled;
                });
            }

            /// A second poll replaces a stored waker whose `drop` panics: the panic
            /// reaches that poll only once the new waker has taken the old one's place
            /// and the mutex is released, so the release still wakes the wait, and the
            /// wait keeps its grant.
            #[test]
            fn replaced_waker_whose_drop_panics() {
                watchdog(|| {
                    let $p = Arc::new($new);
                    let (old, _) = drop_hook_waker(|| panic!("{DROP_PANICS}"));
                    let task = Probe::new();
                    let mut wait = $wait;
                    assert!(poll_by(&mut wait, &old).is_pending());
                    drop(old); // toro holds the last clone
                    assert_eq!(panic_message(|| task.pending(&mut wait)), DROP_PANICS);
                    $release;
                    assert_eq!(task.wakes(), 1, "the new waker was woken");
                    {
                        let $out = task.ready(&mut wait);
                        $granted;
                    }
                    drop(wait);
                    $settled;
                });
            }

            /// A wait dropped in line whose stored waker's `drop` panics: the panic comes
            /// once the wait has left the line, so the release goes to the waiter behind
            /// it, and nothing stays in line or held.
            #[test]
            fn dropped_wait_whose_waker_drop_panics() {
                watchdog(|| {
                    let $p = Arc::new($new);
                    let (waker, _) = drop_hook_waker(|| panic!("{DROP_PANICS}"));
                    let next = Probe::new();
                    let mut leaving = $wait;
                    let mut staying = $wait;
                    assert!(poll_by(&mut leaving, &waker).is_pending());
                    next.pending(&mut staying);
                    drop(waker);
                    assert_eq!(panic_message(move || drop(leaving)), DROP_PANICS);
                    $release;
                    assert_eq!(next.wakes(), 1, "the waiter left in line was let in");
                    {
                        let $out = next.ready(&mut staying);
                        $granted;
                    }
                    drop(staying);
                    $settled;
                });
            }

            /// A waker whose `clone` calls back: toro clones it to store it with no
            /// mutex held, and only once for a task that polls again.
            #[test]
            fn waker_whose_clone_calls_back() {
                watchdog(|| {
                    let $p = Arc::new($new);
                    let (waker, seen) = debug_on_clone_waker(&$p);
                    let mut wait = $wait;
                    assert!(poll_by(&mut wait, &waker).is_pending());
                    assert!(poll_by(&mut wait, &waker).is_pending());
                    assert_eq!(
                        *seen.lock().unwrap(),
                        [format!("{:?}", $p)],
                        "cloned once, with the wait in line"
                    );
                    $release;
                    {
                        let $out = Probe::new().ready(&mut wait);
                        $granted;
                    }
                    drop(wait);
                    $settled;
                });
            }
        }
    )*};
}

/// `Debug` of a token primitive, once nobody waits and nothing is held.
const LOCK_FREE: &str = "Lock { locked: false, waiters: 0, data: () }";
const RWLOCK_FREE: &str = "RwLock { max_readers: 2, counter: 2, waiters: 0, data: () }";

// Each primitive is blocked by a guard given up with `forget()`, and a manual release
// gives that token back to the oldest waiter.
waker_callbacks! {
    lock: |p| {
        new: {
            let lock = Lock::new();
            lock.try_acquire().unwrap().forget();
            lock
        },
        wait: p.acquire(),
        release: p.release().unwrap(),
        granted: |_guard| assert!(p.locked()),
        settled: assert_eq!(format!("{p:?}"), LOCK_FREE),
    }
    rwlock_read: |p| {
        new: {
            let rw = RwLock::new(2);
            rw.try_acquire_write().unwrap().forget();
            rw
        },
        wait: p.acquire_read(),
        release: p.release_write().unwrap(),
        granted: |_reader| assert!(p.try_acquire_write().is_none()),
        settled: assert_eq!(format!("{p:?}"), RWLOCK_FREE),
    }
    rwlock_write: |p| {
        new: {
            let rw = RwLock::new(2);
            rw.try_acquire_read().unwrap().forget();
            rw
        },
        // The first writer takes the free token at the call and waits for the other.
        wait: p.acquire_write(),
        release: p.release_read().unwrap(),
        granted: |_writer| assert!(p.try_acquire_read().is_none()),
        settled: assert_eq!(format!("{p:?}"), RWLOCK_FREE),
    }
    // An upgradable read waits for a token; the one granted holds the upgradable slot.
    rwlock_upgradable: |p| {
        new: {
            let rw = RwLock::new(2);
            rw.try_acquire_write().unwrap().forget();
            rw
        },
        wait: p.acquire_upgradable(),
        release: p.release_write().unwrap(),
        granted: |_upgradable| {
            assert!(p.try_acquire_upgradable().is_none(), "one upgradable read at a time");
            assert!(p.try_acquire_read().is_some(), "plain readers still get in");
        },
        settled: {
            assert_eq!(format!("{p:?}"), RWLOCK_FREE);
            assert!(p.try_acquire_upgradable().is_some(), "the slot came back");
        },
    }
    semaphore: |p| {
        new: {
            let sem = Semaphore::new(1);
            sem.try_acquire().unwrap().forget();
            sem
        },
        wait: p.acquire(),
        release: p.release(),
        granted: |guard| assert_eq!((guard.tokens(), p.counter()), (1, 0)),
        settled: assert_eq!(
            format!("{p:?}"),
            "Semaphore { counter: 1, waiters: 0, watchers: 0, closed: false }"
        ),
    }
    semaphore_wait: |p| {
        new: Semaphore::new(0),
        wait: p.wait(),
        release: p.release(),
        granted: |()| assert_eq!(p.counter(), 1, "the wait took nothing"),
        settled: assert_eq!(
            format!("{p:?}"),
            "Semaphore { counter: 1, waiters: 0, watchers: 0, closed: false }"
        ),
    }
    bounded_semaphore: |p| {
        new: {
            let sem = BoundedSemaphore::new(1);
            sem.try_acquire().unwrap().forget();
            sem
        },
        wait: p.acquire(),
        release: p.release().unwrap(),
        granted: |guard| assert_eq!((guard.tokens(), p.counter()), (1, 0)),
        settled: {
            assert_eq!(
                format!("{p:?}"),
                "BoundedSemaphore { counter: 1, waiters: 0, watchers: 0, closed: false }"
            );
            assert_eq!(p.release(), Err(TooManyReleases), "nothing left to release");
        },
    }
    joinable_queue_join: |p| {
        new: JoinableQueue::with_items(0, [1u32]),
        wait: p.join(),
        release: p.task_done().unwrap(),
        granted: |()| assert_eq!(p.unfinished_tasks(), 0),
        settled: assert!(format!("{p:?}").contains("getters: 0, putters: 0, tasks: 0")),
    }
    // One wait stands in line when `release` runs (a dropped one withdrew its arrival):
    // two more arrivals trip the barrier, the second leading.
    barrier: |p| {
        new: Barrier::new(3),
        wait: p.wait(),
        release: {
            let mut other = p.wait();
            let mut last = p.wait();
            assert!(Probe::new().ready(&mut last).is_leader(), "the third arrival leads");
            assert!(!Probe::new().ready(&mut other).is_leader());
        },
        granted: |result| assert!(!result.is_leader()),
        settled: assert_eq!(format!("{p:?}"), BARRIER_EMPTY),
    }
}

// Event and Condition have their own callback tests above; these add the shared ones.
waker_callbacks! {
    event: |p| {
        new: Event::new(),
        wait: p.wait(),
        release: p.set(),
        granted: |()| assert!(p.is_set()),
        settled: assert_eq!(p.waiters(), 0),
    }
    condition: |p| {
        new: Condition::new(),
        wait: p.wait(),
        release: p.notify(1),
        granted: |()| assert_eq!(p.waiters(), 0),
        settled: assert_eq!(p.waiters(), 0),
    }
}

/// `Debug` of a `Barrier::new(3)` between rounds.
const BARRIER_EMPTY: &str = "Barrier { n: 3, arrived: 0, waiters: 0 }";

/// The tripping arrival wakes the round after the barrier's mutex is released: a waker
/// whose `wake` panics costs the others neither their release nor their wake-up. The
/// panic reaches the tripping `wait()` call; the barrier has tripped and the next round
/// starts empty.
#[test]
fn barrier_trip_with_a_panicking_waker_still_releases_the_others() {
    watchdog(|| {
        let b = Barrier::new(4);
        let (panics, second, third) = (panicking_probe(), Probe::new(), Probe::new());
        let mut waits: Vec<BarrierWait<'_>> = (0..3).map(|_| b.wait()).collect();
        panics.pending(&mut waits[0]);
        second.pending(&mut waits[1]);
        third.pending(&mut waits[2]);
        assert_eq!(panic_message(|| drop(b.wait())), WAKE_PANICS);
        assert_eq!((second.wakes(), third.wakes()), (1, 1), "lost wake-ups");
        assert_eq!(b.waiters(), 0);
        for (probe, wait) in [&panics, &second, &third].into_iter().zip(&mut waits) {
            assert!(!probe.ready(wait).is_leader());
        }
        // The next round counts from zero.
        let mut next: Vec<BarrierWait<'_>> = (0..3).map(|_| b.wait()).collect();
        for wait in &mut next {
            assert!(support::poll(wait).is_pending());
        }
        assert!(Probe::new().ready(&mut b.wait()).is_leader());
        assert!(next.iter_mut().all(|w| support::poll(w).is_ready()));
    });
}

/// A woken task arrives again from inside its `wake`, as a task looping over rounds
/// would: it joins the next round (no deadlock: nobody is woken under the mutex), and
/// the round after the trip holds it alone.
#[test]
fn barrier_wake_that_arrives_again_joins_the_next_round() {
    watchdog(|| {
        let b: &'static Barrier = Box::leak(Box::new(Barrier::new(2)));
        let again: Arc<Mutex<Vec<BarrierWait<'static>>>> = Arc::default();
        let hook = {
            let again = again.clone();
            move || {
                assert_eq!(b.waiters(), 0, "woken after the round left the line");
                assert_eq!(format!("{b:?}"), "Barrier { n: 2, arrived: 0, waiters: 0 }");
                again.lock().unwrap().push(b.wait());
                assert_eq!(b.waiters(), 1);
            }
        };
        let woken = Probe::hooked(hook);
        let mut first = b.wait();
        woken.pending(&mut first);
        let mut leader = b.wait();
        assert_eq!(woken.wakes(), 1);
        assert!(Probe::new().ready(&mut leader).is_leader());
        assert!(!woken.ready(&mut first).is_leader());
        // The hook's arrival waits for a partner of the next round.
        let mut rejoined = again.lock().unwrap().pop().unwrap();
        assert!(support::poll(&mut rejoined).is_pending());
        assert!(Probe::new().ready(&mut b.wait()).is_leader());
        assert!(!Probe::new().ready(&mut rejoined).is_leader());
        assert_eq!(b.waiters(), 0);
    });
}

/// A released waiter's stored waker is dropped after the mutex is released, and its drop
/// may withdraw an arrival of the next round: the line stays whole.
#[test]
fn barrier_waker_dropped_after_the_trip_calls_back() {
    watchdog(|| {
        let b = Arc::new(Barrier::new(2));
        let inside = b.clone();
        let (waker, wakes) = drop_hook_waker(move || {
            let next = inside.wait(); // arrives in the next round...
            assert_eq!(inside.waiters(), 1);
            drop(next); // ...and withdraws
            assert_eq!(inside.waiters(), 0);
        });
        let mut wait = b.wait();
        assert!(poll_by(&mut wait, &waker).is_pending());
        drop(waker); // toro holds the last clone now
        drop(b.wait()); // trips: takes the waker out, wakes and drops it after the mutex
        assert_eq!(wakes.load(SeqCst), 1);
        assert!(support::poll(&mut wait).is_ready());
        assert_eq!(format!("{b:?}"), "Barrier { n: 2, arrived: 0, waiters: 0 }");
    });
}

/// A timed wait times out at a poll with another waker: that poll first replaces the
/// stored waker, dropped after the mutex is released (its drop sees the arrival still in
/// line), then withdraws the arrival.
#[test]
fn barrier_timed_wait_whose_waker_drop_calls_back() {
    watchdog(|| {
        let b = Arc::new(Barrier::new(2));
        let (waker, seen) = debug_on_drop_waker(&b);
        let (clock, handle) = MockClock::new();
        let mut wait = b.wait().deadline_on(&handle, Duration::from_secs(1));
        assert_eq!(poll_by(&mut wait, &waker), Poll::Pending);
        drop(waker);
        clock.advance(Duration::from_secs(1));
        assert_eq!(support::poll(&mut wait), Poll::Ready(Err(Timeout::new(()))));
        assert_eq!(
            *seen.lock().unwrap(),
            ["Barrier { n: 2, arrived: 1, waiters: 1 }"],
            "dropped once, outside the mutex"
        );
        assert_eq!(b.waiters(), 0, "withdrawn");
        // Withdrawn: the next arrival waits for a partner.
        let mut alone = b.wait();
        assert!(support::poll(&mut alone).is_pending());
    });
}

#[test]
fn barrier_wait_polled_with_a_waker_that_panics_on_clone() {
    watchdog(|| {
        let b = Barrier::new(3);
        let other = Probe::new();
        let mut first = b.wait();
        let mut second = b.wait();
        other.pending(&mut second);
        let message = panic_message(|| {
            let _ = poll_by(&mut first, &clone_panics_waker());
        });
        assert_eq!(message, CLONE_PANICS);
        // The barrier is whole: both arrivals still count, and a third trips it.
        assert_eq!(b.waiters(), 2);
        assert!(Probe::new().ready(&mut b.wait()).is_leader());
        assert_eq!(other.wakes(), 1);
        assert!(!other.ready(&mut second).is_leader());
        assert!(support::poll(&mut first).is_ready());
        assert_eq!(b.waiters(), 0);
    });
}

// An AsyncResult's initialisers wait in line behind a turn holder that never finishes (a
// forgotten future); `set` gives them all the value.
waker_callbacks! {
    async_result_get_or_init: |p| {
        new: {
            let result = AsyncResult::<u32>::new();
            std::mem::forget(result.get_or_init(std::future::pending));
            result
        },
        wait: p.get_or_init(never_called),
        release: p.set(1).unwrap(),
        granted: |value| assert_eq!(*value, 1),
        settled: assert_eq!(format!("{p:?}"), "AsyncResult { value: 1 }"),
    }
}

#[test]
fn lock_release_to_a_panicking_waker_hands_the_lock_on_and_loses_nothing() {
    watchdog(|| {
        let lock = Lock::with_value(0);
        let holder = lock.try_acquire().unwrap();
        let (panics, next) = (panicking_probe(), Probe::new());
        let mut first = lock.acquire();
        let mut second = lock.acquire();
        panics.pending(&mut first);
        next.pending(&mut second);
        // The hand-off comes before the wake-up: the panic reaches the holder's drop, and
        // the lock belongs to the first waiter.
        assert_eq!(panic_message(move || drop(holder)), WAKE_PANICS);
        assert!(lock.locked());
        assert_eq!(next.wakes(), 0, "the lock went to the first in line");
        *panics.ready(&mut first) += 1;
        assert_eq!(next.wakes(), 1, "the first's guard handed the lock on");
        assert_eq!(*next.ready(&mut second), 1);
        assert_eq!(
            format!("{lock:?}"),
            "Lock { locked: false, waiters: 0, data: 1 }"
        );
    });
}

#[test]
fn rwlock_hand_off_to_a_panicking_writer_loses_no_token() {
    watchdog(|| {
        let rw = RwLock::new(2);
        let holder = rw.try_acquire_write().unwrap();
        let (panics, r1, r2) = (panicking_probe(), Probe::new(), Probe::new());
        let mut writer = rw.acquire_write();
        let mut readers = [rw.acquire_read(), rw.acquire_read()];
        panics.pending(&mut writer);
        r1.pending(&mut readers[0]);
        r2.pending(&mut readers[1]);
        assert_eq!(panic_message(move || drop(holder)), WAKE_PANICS);
        assert_eq!(
            (r1.wakes(), r2.wakes()),
            (0, 0),
            "both tokens went to the writer"
        );
        drop(panics.ready(&mut writer));
        assert_eq!(
            (r1.wakes(), r2.wakes()),
            (1, 1),
            "its guard admitted both readers"
        );
        drop((r1.ready(&mut readers[0]), r2.ready(&mut readers[1])));
        assert_eq!(format!("{rw:?}"), RWLOCK_FREE);
    });
}

/// One guard of two tokens, dropped, serves two acquirers in one call: the first one's
/// panicking wake-up costs the second neither its token nor its wake-up. Evaluates to
/// the semaphore, both tokens back.
macro_rules! release_two_past_a_panicking_waker {
    ($sem:expr) => {{
        let sem = $sem;
        let both = sem.try_acquire_many(2).unwrap();
        let (panics, other) = (panicking_probe(), Probe::new());
        let mut waits = [sem.acquire(), sem.acquire()];
        panics.pending(&mut waits[0]);
        other.pending(&mut waits[1]);
        assert_eq!(panic_message(move || drop(both)), WAKE_PANICS);
        assert_eq!(other.wakes(), 1, "a lost wake-up");
        assert_eq!(sem.counter(), 0, "both tokens were handed over");
        let guards = [panics.ready(&mut waits[0]), other.ready(&mut waits[1])];
        assert_eq!(
            guards.iter().map(|g| g.tokens()).collect::<Vec<_>>(),
            [1, 1]
        );
        drop(guards);
        drop(waits);
        assert_eq!(sem.counter(), 2);
        sem
    }};
}

#[test]
fn semaphore_releases_two_tokens_past_a_panicking_waker() {
    watchdog(|| drop(release_two_past_a_panicking_waker!(Semaphore::new(2))));
}

#[test]
fn bounded_semaphore_releases_two_tokens_past_a_panicking_waker() {
    watchdog(|| {
        let sem = release_two_past_a_panicking_waker!(BoundedSemaphore::new(2));
        assert_eq!(sem.release(), Err(TooManyReleases), "and none was gained");
    });
}

#[test]
fn semaphore_release_wakes_every_watcher_past_a_panicking_one() {
    watchdog(|| {
        let sem = Semaphore::new(0);
        let (panics, other) = (panicking_probe(), Probe::new());
        let mut waits = [sem.wait(), sem.wait()];
        panics.pending(&mut waits[0]);
        other.pending(&mut waits[1]);
        assert_eq!(panic_message(|| sem.release()), WAKE_PANICS);
        assert_eq!(other.wakes(), 1, "a lost wake-up");
        assert_eq!(sem.counter(), 1, "the release went through");
        panics.ready(&mut waits[0]);
        other.ready(&mut waits[1]);
        assert_eq!(
            format!("{sem:?}"),
            "Semaphore { counter: 1, waiters: 0, watchers: 0, closed: false }"
        );
    });
}

#[test]
fn task_done_ends_every_join_past_a_panicking_joiner() {
    watchdog(|| {
        let q = JoinableQueue::with_items(0, [1]);
        let (panics, other) = (panicking_probe(), Probe::new());
        let mut joins = [q.join(), q.join()];
        panics.pending(&mut joins[0]);
        other.pending(&mut joins[1]);
        assert_eq!(panic_message(|| q.task_done().unwrap()), WAKE_PANICS);
        assert_eq!(other.wakes(), 1, "a lost wake-up");
        assert_eq!(q.unfinished_tasks(), 0, "the task_done went through");
        panics.ready(&mut joins[0]);
        other.ready(&mut joins[1]);
        assert_eq!(q.task_done(), Err(TooManyTaskDone));
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

// `UpgradableReadGuard::upgrade` has one waiter at most (the slot's holder), so it cannot
// go through `waker_callbacks!` (whose tests stand two waits in line): its cases follow by
// hand. Each upgrade waits for a plain read given up with `forget()`, which
// `release_read()` gives back.

/// `Debug` of an `RwLock::new(2)` whose upgrade waits for the forgotten read.
const UPGRADE_IN_LINE: &str = "RwLock { max_readers: 2, counter: 0, waiters: 1, data: <locked> }";

/// An `RwLock::new(2)` with its upgradable read taken (returned) and its other token
/// held by a read given up with `forget()`.
fn upgradable_beside_a_forgotten_read(rw: &RwLock) -> UpgradableReadGuard<'_> {
    let upgradable = rw.try_acquire_upgradable().unwrap();
    rw.try_acquire_read().unwrap().forget();
    upgradable
}

/// Once every guard is gone: both tokens free, and the upgradable slot too.
fn assert_rwlock_settled(rw: &RwLock) {
    assert_eq!(format!("{rw:?}"), RWLOCK_FREE);
    assert!(rw.try_acquire_upgradable().is_some(), "the slot came back");
}

#[test]
fn upgrade_replaced_waker_whose_drop_calls_back() {
    watchdog(|| {
        let rw = Arc::new(RwLock::new(2));
        let (old, seen) = debug_on_drop_waker(&rw);
        let task = Probe::new();
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        assert!(poll_by(&mut upgrade, &old).is_pending());
        drop(old); // toro holds the last clone
        task.pending(&mut upgrade);
        assert_eq!(
            *seen.lock().unwrap(),
            [UPGRADE_IN_LINE],
            "dropped once, with the upgrade still in line"
        );
        rw.release_read().unwrap();
        assert_eq!(task.wakes(), 1, "the new waker was woken");
        drop(task.ready(&mut upgrade));
        drop(upgrade);
        assert_rwlock_settled(&rw);
    });
}

/// An upgrade dropped in line drops its stored waker once it has left the line and the
/// mutex is released; the same drop gives back the upgradable read it carried (the waker's
/// drop may still see that read held).
#[test]
fn dropped_upgrade_whose_waker_drop_calls_back() {
    watchdog(|| {
        let rw = Arc::new(RwLock::new(2));
        let (waker, seen) = debug_on_drop_waker(&rw);
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        assert!(poll_by(&mut upgrade, &waker).is_pending());
        drop(waker);
        drop(upgrade);
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert_eq!(seen.len(), 1, "dropped once");
        assert!(
            seen[0].contains("waiters: 0"),
            "after leaving the line: {}",
            seen[0]
        );
        assert_eq!(
            format!("{rw:?}"),
            "RwLock { max_readers: 2, counter: 1, waiters: 0, data: () }",
            "the upgradable read went with the upgrade"
        );
        rw.release_read().unwrap();
        assert_rwlock_settled(&rw);
    });
}

/// A waker whose `clone` calls back: toro clones it to store it with no mutex held, and
/// only once for a task that polls again.
#[test]
fn upgrade_waker_whose_clone_calls_back() {
    watchdog(|| {
        let rw = Arc::new(RwLock::new(2));
        let (waker, seen) = debug_on_clone_waker(&rw);
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        assert!(poll_by(&mut upgrade, &waker).is_pending());
        assert!(poll_by(&mut upgrade, &waker).is_pending());
        assert_eq!(
            *seen.lock().unwrap(),
            [UPGRADE_IN_LINE],
            "cloned once, with the upgrade in line"
        );
        rw.release_read().unwrap();
        drop(Probe::new().ready(&mut upgrade));
        drop(upgrade);
        assert_rwlock_settled(&rw);
    });
}

/// The upgrade's wake-up runs after the mutex is released: a wake that looks at the lock
/// sees the upgrade granted (out of line, every token its own).
#[test]
fn upgrade_wake_that_calls_back_into_the_rwlock() {
    watchdog(|| {
        let rw = Arc::new(RwLock::new(2));
        let seen = Seen::default();
        let woken = {
            let (inside, seen) = (Arc::clone(&rw), seen.clone());
            Probe::hooked(move || {
                assert!(
                    inside.try_acquire_read().is_none(),
                    "the upgrade holds both"
                );
                assert!(inside.try_acquire_upgradable().is_none());
                seen.lock().unwrap().push(format!("{inside:?}"));
            })
        };
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        woken.pending(&mut upgrade);
        rw.release_read().unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            ["RwLock { max_readers: 2, counter: 0, waiters: 0, data: <locked> }"]
        );
        drop(woken.ready(&mut upgrade));
        drop(upgrade);
        assert_rwlock_settled(&rw);
    });
}

/// The upgrade's wake-up panics inside the `release_read()` that completed it: the
/// tokens are its own all the same, and its write guard hands them on to the reader
/// waiting behind it.
#[test]
fn upgrade_granted_to_a_panicking_waker_loses_no_token() {
    watchdog(|| {
        let rw = RwLock::new(2);
        let (panics, reader) = (panicking_probe(), Probe::new());
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        panics.pending(&mut upgrade);
        let mut late = rw.acquire_read();
        reader.pending(&mut late);
        assert_eq!(panic_message(|| rw.release_read().unwrap()), WAKE_PANICS);
        assert_eq!(reader.wakes(), 0, "the token went to the upgrade");
        assert!(rw.locked());
        drop(panics.ready(&mut upgrade));
        assert_eq!(reader.wakes(), 1, "the write guard handed the tokens on");
        drop(reader.ready(&mut late));
        drop((upgrade, late));
        assert_rwlock_settled(&rw);
    });
}

/// A timed upgrade times out at a poll with another waker: that poll first replaces the
/// stored waker, dropped after the mutex is released (its drop sees the upgrade still in
/// line), then leaves the line and hands the upgradable read back.
#[test]
fn timed_upgrade_whose_waker_drop_calls_back() {
    watchdog(|| {
        let rw = Arc::new(RwLock::new(2));
        let (waker, seen) = debug_on_drop_waker(&rw);
        let (clock, handle) = MockClock::new();
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw))
            .deadline_on(&handle, Duration::from_secs(1));
        assert!(poll_by(&mut upgrade, &waker).is_pending());
        drop(waker);
        clock.advance(Duration::from_secs(1));
        let Poll::Ready(Err(timeout)) = support::poll(&mut upgrade) else {
            panic!("the upgrade timed out");
        };
        assert_eq!(
            *seen.lock().unwrap(),
            [UPGRADE_IN_LINE],
            "dropped once, outside the mutex"
        );
        let upgradable = timeout.into_inner();
        assert!(rw.try_acquire_upgradable().is_none(), "handed back whole");
        rw.release_read().unwrap();
        let write = UpgradableReadGuard::try_upgrade(upgradable)
            .unwrap_or_else(|_| panic!("the reader is gone: the upgrade goes through"));
        drop(write);
        drop(upgrade);
        assert_rwlock_settled(&rw);
    });
}

#[test]
fn upgrade_polled_with_a_waker_that_panics_on_clone() {
    watchdog(|| {
        let rw = RwLock::new(2);
        let mut upgrade = UpgradableReadGuard::upgrade(upgradable_beside_a_forgotten_read(&rw));
        let message = panic_message(|| {
            let _ = poll_by(&mut upgrade, &clone_panics_waker());
        });
        assert_eq!(message, CLONE_PANICS);
        // Still in line: the release goes to it.
        assert_eq!(rw.waiters(), 1);
        rw.release_read().unwrap();
        drop(Probe::new().ready(&mut upgrade));
        drop(upgrade);
        assert_rwlock_settled(&rw);
    });
}

/// An upgradable read and a plain read wait behind a write; the release hands the first
/// its token and the slot and the second the surplus, then wakes both: the first wake-up
/// panics, the second is not lost.
#[test]
fn upgradable_read_granted_to_a_panicking_waker_passes_the_surplus_on() {
    watchdog(|| {
        let rw = RwLock::new(3);
        let writer = rw.try_acquire_write().unwrap();
        let (panics, reader) = (panicking_probe(), Probe::new());
        let mut upgradable = rw.acquire_upgradable();
        let mut plain = rw.acquire_read();
        panics.pending(&mut upgradable);
        reader.pending(&mut plain);
        assert_eq!(panic_message(move || drop(writer)), WAKE_PANICS);
        assert_eq!(reader.wakes(), 1, "a lost wake-up");
        let guards = (panics.ready(&mut upgradable), reader.ready(&mut plain));
        assert_eq!(
            format!("{rw:?}"),
            "RwLock { max_readers: 3, counter: 1, waiters: 0, data: () }"
        );
        assert!(rw.try_acquire_upgradable().is_none(), "the slot is taken");
        drop(guards);
        drop((upgradable, plain));
        assert!(rw.try_acquire_write().is_some(), "every token came back");
        assert!(rw.try_acquire_upgradable().is_some(), "the slot came back");
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

/// A holder that panics hands the lock, while unwinding, to a waiter whose waker panics
/// too: that second panic, during the first one's unwinding, would abort the process. It
/// is caught, the lock is the waiter's, and the waiter behind it is woken when it is
/// handed on. The same holds for every release made from a destructor while unwinding.
#[test]
fn lock_handed_while_unwinding_to_a_waker_that_panics_aborts_nothing() {
    watchdog(|| {
        let lock = Arc::new(Lock::with_value(0));
        let guard = lock.try_acquire_owned().unwrap();
        let (panics, next) = (panicking_probe(), Probe::new());
        let mut first = lock.acquire();
        let mut second = lock.acquire();
        panics.pending(&mut first);
        next.pending(&mut second);
        let holder = thread::spawn(move || {
            let _guard = guard;
            panic!("holder panics");
        });
        assert_eq!(panic_message_of(holder.join()), "holder panics");
        assert!(lock.locked(), "the lock went to the first waiter");
        *panics.ready(&mut first) += 1;
        assert_eq!(next.wakes(), 1, "the first's guard handed the lock on");
        assert_eq!(*next.ready(&mut second), 1);
    });
}

/// An `Event` set from a destructor while a panic unwinds, to three waiters whose first
/// waker panics: no abort, and the other two are woken.
#[test]
fn event_set_while_unwinding_wakes_everyone_past_a_waker_that_panics() {
    watchdog(|| {
        struct SetOnDrop(Arc<Event>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.set();
            }
        }
        let event = Arc::new(Event::new());
        let (panics, second, third) = (panicking_probe(), Probe::new(), Probe::new());
        let mut waits: Vec<_> = (0..3).map(|_| event.wait()).collect();
        panics.pending(&mut waits[0]);
        second.pending(&mut waits[1]);
        third.pending(&mut waits[2]);
        let setter = SetOnDrop(event.clone());
        let panicking = thread::spawn(move || {
            let _setter = setter;
            panic!("setter's thread panics");
        });
        assert_eq!(panic_message_of(panicking.join()), "setter's thread panics");
        assert_eq!((second.wakes(), third.wakes()), (1, 1), "lost wake-ups");
        for (probe, wait) in [&panics, &second, &third].into_iter().zip(&mut waits) {
            probe.ready(wait);
        }
    });
}

/// The message of a thread's panic, from its `join`.
fn panic_message_of(joined: thread::Result<()>) -> String {
    let payload = joined.expect_err("the thread panicked");
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Queues: wakers on every queue's get and put (`queue_callbacks!`, one module per queue),
// and the items' `Drop`, `Debug` and (for the `PriorityQueue`) `Ord`.

/// Code an item runs from its `Debug` or `Drop`.
type ItemHook = Box<dyn Fn() + Send + Sync>;

/// A queue item that runs user code: its `Debug` and `Drop` run the hooks it was made
/// with. Ordered by `n` alone, so it goes in a `PriorityQueue` too.
struct Nosy {
    n: u32,
    on_debug: Option<ItemHook>,
    on_drop: Option<ItemHook>,
}

impl Nosy {
    fn plain(n: u32) -> Self {
        Nosy {
            n,
            on_debug: None,
            on_drop: None,
        }
    }

    fn on_debug(n: u32, hook: impl Fn() + Send + Sync + 'static) -> Self {
        Nosy {
            n,
            on_debug: Some(Box::new(hook)),
            on_drop: None,
        }
    }

    fn on_drop(n: u32, hook: impl Fn() + Send + Sync + 'static) -> Self {
        Nosy {
            n,
            on_debug: None,
            on_drop: Some(Box::new(hook)),
        }
    }
}

impl std::fmt::Debug for Nosy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(hook) = &self.on_debug {
            hook();
        }
        write!(f, "Nosy({})", self.n)
    }
}

impl Drop for Nosy {
    fn drop(&mut self) {
        if let Some(hook) = self.on_drop.take() {
            hook();
        }
    }
}

impl PartialEq for Nosy {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
    }
}

impl Eq for Nosy {}

impl PartialOrd for Nosy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Nosy {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.n.cmp(&other.n)
    }
}

/// The tests every queue gets, in a module named after it: the waker tests of its `get`
/// and `put` (every item is 2, so that any discipline gives the same answers), a getter's
/// and a putter's panicking wake-up, and its items' `Drop` and `Debug` calling back.
/// `$debug` is the queue's `Debug` holding one item.
macro_rules! queue_callbacks {
    ($($name:ident: $Q:ident, $debug:literal;)*) => {$(
        mod $name {
            use super::*;

            waker_callbacks! {
                get: |p| {
                    new: $Q::<u32>::new(1),
                    wait: p.get(),
                    release: p.put_nowait(2).unwrap(),
                    // Handed straight to the getter: the buffer stays empty.
                    granted: |item| assert_eq!((item, p.qsize()), (2, 0)),
                    settled: assert!(format!("{p:?}").contains("qsize: 0, getters: 0, putters: 0")),
                }
                put: |p| {
                    new: $Q::with_items(1, [2u32]),
                    wait: p.put(2),
                    release: assert_eq!(p.get_nowait(), Ok(2)),
                    // Admitted into the slot the get freed.
                    granted: |()| assert_eq!(p.qsize(), 1),
                    settled: assert!(format!("{p:?}").contains("qsize: 1, getters: 0, putters: 0")),
                }
            }

            /// An item is handed to the getter before its wake-up: the panic reaches the
            /// putter, and the item is the getter's.
            #[test]
            fn put_to_a_panicking_getter_loses_no_item() {
                watchdog(|| {
                    let q = $Q::new(1);
                    let (panics, other) = (panicking_probe(), Probe::new());
                    let mut gets = [q.get(), q.get()];
                    panics.pending(&mut gets[0]);
                    other.pending(&mut gets[1]);
                    assert_eq!(panic_message(|| q.put_nowait(1).unwrap()), WAKE_PANICS);
                    assert_eq!((q.qsize(), other.wakes()), (0, 0), "handed to the first");
                    q.put_nowait(2).unwrap();
                    assert_eq!(other.wakes(), 1);
                    assert_eq!(panics.ready(&mut gets[0]), 1);
                    assert_eq!(other.ready(&mut gets[1]), 2);
                    assert!(q.empty());
                });
            }

            /// A get that admits a blocked putter wakes it before returning the item it
            /// took: if that wake panics, the item goes back to its place (the queue
            /// holds one over `maxsize`, as after any given-back item), never lost in the
            /// unwinding return. For `get_nowait`, an eager `get` and a stream's poll.
            #[test]
            fn get_admitting_a_panicking_putter_loses_no_item() {
                use futures::Stream;
                watchdog(|| {
                    for how in ["get_nowait", "get", "stream"] {
                        // Both items are equal (any discipline may take either); each
                        // counts its own drops.
                        let drops = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
                        let counted = |i: usize| {
                            let drops = drops[i].clone();
                            move || {
                                drops.fetch_add(1, SeqCst);
                            }
                        };
                        let q = $Q::with_items(1, [Nosy::on_drop(1, counted(0))]);
                        let panics = panicking_probe();
                        let mut put = q.put(Nosy::on_drop(1, counted(1)));
                        panics.pending(&mut put);
                        let mut stream = q.stream();
                        let message = panic_message(|| match how {
                            "get_nowait" => drop(q.get_nowait()),
                            "get" => drop(q.get()),
                            _ => {
                                let waker = futures::task::noop_waker();
                                let mut cx = std::task::Context::from_waker(&waker);
                                let _ = std::pin::Pin::new(&mut stream).poll_next(&mut cx);
                            }
                        });
                        assert_eq!(message, WAKE_PANICS, "{how}");
                        panics.ready(&mut put);
                        drop(stream);
                        let dropped = || drops.iter().map(|d| d.load(SeqCst)).collect::<Vec<_>>();
                        assert_eq!(dropped(), [0, 0], "{how}: an item was dropped");
                        assert_eq!(q.qsize(), 2, "{how}: the taken item is not back");
                        drop([q.get_nowait().unwrap(), q.get_nowait().unwrap()]);
                        assert_eq!(dropped(), [1, 1], "{how}: each item once");
                    }
                });
            }

            /// `shutdown_immediate` wakes every waiter before it returns the drained
            /// items: if a wake panics, the items go back into the (shut down) queue,
            /// where gets still drain them.
            #[test]
            fn shutdown_immediate_past_a_panicking_waker_loses_no_item() {
                watchdog(|| {
                    let q = $Q::with_items(1, [7u32]);
                    let panics = panicking_probe();
                    let mut send = q.send(8);
                    panics.pending(&mut send);
                    assert_eq!(panic_message(|| drop(q.shutdown_immediate())), WAKE_PANICS);
                    assert_eq!(panics.ready(&mut send).unwrap_err().into_inner(), 8);
                    assert_eq!(q.try_recv(), Ok(7), "the drained item was lost");
                    assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
                });
            }

            /// A shutdown ends every waiting getter and putter in one call: a panicking
            /// wake-up costs the others theirs, and each putter gets its item back.
            #[test]
            fn shutdown_ends_every_wait_past_a_panicking_waker() {
                watchdog(|| {
                    let q = $Q::<u32>::new(1);
                    let (panics, getter) = (panicking_probe(), Probe::new());
                    let mut recvs = [q.recv(), q.recv()];
                    panics.pending(&mut recvs[0]);
                    getter.pending(&mut recvs[1]);
                    assert_eq!(panic_message(|| q.shutdown()), WAKE_PANICS);
                    assert_eq!(getter.wakes(), 1, "a lost wake-up");
                    assert!(panics.ready(&mut recvs[0]).is_err());
                    assert!(getter.ready(&mut recvs[1]).is_err());

                    let q = $Q::with_items(1, [1u32]);
                    let (panics, putter) = (panicking_probe(), Probe::new());
                    let mut sends = [q.send(2), q.send(3)];
                    panics.pending(&mut sends[0]);
                    putter.pending(&mut sends[1]);
                    assert_eq!(panic_message(|| q.shutdown()), WAKE_PANICS);
                    assert_eq!(putter.wakes(), 1, "a lost wake-up");
                    let back = |r: Result<(), Shutdown<u32>>| r.unwrap_err().into_inner();
                    assert_eq!(back(panics.ready(&mut sends[0])), 2);
                    assert_eq!(back(putter.ready(&mut sends[1])), 3);
                    assert_eq!(q.shutdown_immediate(), [1], "nothing else entered");
                });
            }

            /// A blocked putter dropped drops its item after leaving the line and
            /// releasing the mutex: the item's `Drop` may use the queue.
            #[test]
            fn item_dropped_with_its_putter_calls_back() {
                watchdog(|| {
                    let q = Arc::new($Q::with_items(1, [Nosy::plain(1)]));
                    let (inside, drops) = (Arc::downgrade(&q), Arc::new(AtomicUsize::new(0)));
                    let counted = drops.clone();
                    let mut putter = q.put(Nosy::on_drop(2, move || {
                        let q = inside.upgrade().expect("the queue lives");
                        assert!(format!("{q:?}").contains("qsize: 1, getters: 0, putters: 0"));
                        assert_eq!(q.get_nowait().map(|item| item.n), Ok(1));
                        q.put_nowait(Nosy::plain(3)).unwrap();
                        counted.fetch_add(1, SeqCst);
                    }));
                    Probe::new().pending(&mut putter);
                    drop(putter);
                    assert_eq!(drops.load(SeqCst), 1, "dropped with its putter, once");
                    assert_eq!(q.get_nowait().map(|item| item.n), Ok(3), "the drop's put");
                    assert!(q.empty());
                });
            }

            /// A blocked `put` refused by a shutdown panics when polled (its output is
            /// `()`), dropping its item while unwinding, with no mutex held.
            #[test]
            fn item_of_a_put_refused_by_a_shutdown_calls_back() {
                watchdog(|| {
                    let q = Arc::new($Q::with_items(1, [Nosy::plain(1)]));
                    let (inside, seen) = (Arc::downgrade(&q), Arc::new(Mutex::new(Vec::new())));
                    let record = seen.clone();
                    // No assertion in here: it runs while a panic unwinds.
                    let mut putter = q.put(Nosy::on_drop(2, move || {
                        let q = inside.upgrade().expect("the queue lives");
                        record.lock().unwrap().push((q.is_shutdown(), q.qsize()));
                    }));
                    Probe::new().pending(&mut putter);
                    q.shutdown();
                    let message = panic_message(|| {
                        let _ = support::poll(&mut putter);
                    });
                    assert!(message.starts_with("put on a shut-down queue"), "{message}");
                    assert_eq!(*seen.lock().unwrap(), [(true, 1)]);
                });
            }

            /// `Debug` of a queue shows its counts and runs no item's `Debug`.
            #[test]
            fn debug_runs_no_item_debug() {
                watchdog(|| {
                    let q = Arc::new($Q::<Nosy>::new(0));
                    let (inside, calls) = (Arc::downgrade(&q), Arc::new(AtomicUsize::new(0)));
                    let counted = calls.clone();
                    q.put_nowait(Nosy::on_debug(1, move || {
                        let _ = inside.upgrade().map(|q| q.qsize());
                        counted.fetch_add(1, SeqCst);
                    }))
                    .unwrap();
                    assert_eq!(format!("{q:?}"), $debug);
                    assert_eq!(calls.load(SeqCst), 0);
                    // Once out of the queue, the item's own `Debug` may read the queue.
                    let item = q.get_nowait().unwrap();
                    assert_eq!(format!("{item:?}"), "Nosy(1)");
                    assert_eq!(calls.load(SeqCst), 1);
                });
            }
        }
    )*};
}

queue_callbacks! {
    queue: Queue,
        "Queue { maxsize: 0, qsize: 1, getters: 0, putters: 0, shutdown: false }";
    lifo_queue: LifoQueue,
        "LifoQueue { maxsize: 0, qsize: 1, getters: 0, putters: 0, shutdown: false }";
    priority_queue: PriorityQueue,
        "PriorityQueue { maxsize: 0, qsize: 1, getters: 0, putters: 0, shutdown: false }";
    joinable_queue: JoinableQueue,
        "JoinableQueue { maxsize: 0, qsize: 1, getters: 0, putters: 0, tasks: 1, shutdown: false }";
}

// PriorityQueue: the items' `Ord` runs under the queue's mutex.

thread_local! {
    static TOUCHY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Ordered by its number; its `cmp` panics while `TOUCHY` is set on this thread.
#[derive(Debug, PartialEq, Eq)]
struct Touchy(u32);

impl Ord for Touchy {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if TOUCHY.with(|t| t.get()) {
            panic!("Touchy::cmp");
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Runs `f` with every `Touchy::cmp` on this thread panicking; returns its panic message.
fn with_touchy_ord(f: impl FnOnce()) -> String {
    TOUCHY.with(|t| t.set(true));
    let message = panic_message(f);
    TOUCHY.with(|t| t.set(false));
    message
}

/// What is left in a priority queue of `Touchy`, sorted: after an `Ord` panicked, the
/// order the queue gives them in is unspecified (as for std's `BinaryHeap`), but every
/// item is there.
fn drain_touchy(q: &PriorityQueue<Touchy>) -> Vec<u32> {
    let mut left: Vec<u32> = std::iter::from_fn(|| q.get_nowait().ok())
        .map(|t| t.0)
        .collect();
    left.sort_unstable();
    left
}

#[test]
fn priority_queue_get_whose_ord_panics_loses_no_wake_up_and_no_item() {
    watchdog(|| {
        let q = PriorityQueue::with_items(1, [Touchy(2)]);
        let probe = Probe::new();
        let mut putter = q.put(Touchy(1));
        probe.pending(&mut putter);
        assert_eq!(with_touchy_ord(|| drop(q.get_nowait())), "Touchy::cmp");
        // The putter it admitted was woken despite the panic, and no item was dropped.
        assert_eq!(probe.wakes(), 1, "the admitted putter was woken");
        probe.ready(&mut putter);
        assert_eq!(drain_touchy(&q), [1, 2]);
    });
}

#[test]
fn priority_queue_item_given_back_whose_ord_panics_is_not_lost() {
    watchdog(|| {
        let q = PriorityQueue::with_items(0, [Touchy(1), Touchy(2)]);
        let getter = q.get(); // holds 1, unreturned
        assert_eq!(q.qsize(), 1);
        // Dropped, it puts 1 back in its place: that runs `Ord`, which panics.
        assert_eq!(with_touchy_ord(move || drop(getter)), "Touchy::cmp");
        assert_eq!(q.qsize(), 2);
        assert_eq!(drain_touchy(&q), [1, 2]);
    });
}

/// `shutdown_immediate` sorts the drained items after the queue's mutex is released (a
/// short queue keeps them sorted already: no `Ord` runs); an `Ord` that panics there puts
/// them back into the shut-down queue (where gets still drain them) before the panic goes
/// on. (They were dropped with the sort's `Vec`.)
#[test]
fn priority_queue_shutdown_immediate_whose_ord_panics_loses_no_item() {
    watchdog(|| {
        let q = PriorityQueue::with_items(0, [Touchy(3), Touchy(1), Touchy(2)]);
        TOUCHY.with(|t| t.set(true));
        let drained = q.shutdown_immediate();
        TOUCHY.with(|t| t.set(false));
        assert_eq!(drained, [Touchy(1), Touchy(2), Touchy(3)]);
        // Past the sorted bound (128 items), the queue keeps a heap: draining sorts it.
        let q = PriorityQueue::with_items(0, (0..200).rev().map(Touchy));
        assert_eq!(
            with_touchy_ord(|| drop(q.shutdown_immediate())),
            "Touchy::cmp"
        );
        assert!(q.is_shutdown());
        assert_eq!(q.qsize(), 200, "every drained item is back");
        assert_eq!(drain_touchy(&q), (0..200).collect::<Vec<_>>());
        assert!(q.get_nowait().is_err());
    });
}

#[test]
fn priority_queue_ord_that_calls_back_panics_instead_of_deadlocking() {
    use std::sync::OnceLock;
    /// Its `cmp` reads the queue it is in.
    struct Nosy(u32, Arc<OnceLock<Arc<PriorityQueue<Nosy>>>>);
    impl PartialEq for Nosy {
        fn eq(&self, o: &Self) -> bool {
            self.0 == o.0
        }
    }
    impl Eq for Nosy {}
    impl PartialOrd for Nosy {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Nosy {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            if let Some(q) = self.1.get() {
                let _ = q.qsize();
            }
            self.0.cmp(&o.0)
        }
    }
    watchdog(|| {
        let cell = Arc::new(OnceLock::new());
        let q = Arc::new(PriorityQueue::new(0));
        q.put_nowait(Nosy(2, Arc::clone(&cell))).unwrap();
        cell.set(Arc::clone(&q)).ok().unwrap();
        let message = panic_message(|| q.put_nowait(Nosy(1, Arc::clone(&cell))).unwrap());
        assert_eq!(message, "PriorityQueue: Ord called back into the queue");
        // The queue is still usable, both items in it. (The cycle through `cell` is
        // leaked on purpose.)
        assert_eq!(q.qsize(), 2);
    });
}

/// An item whose `cmp` runs a hook first (set per test through the item's shared cell).
struct Hooked(u32, Arc<dyn Fn() + Send + Sync>);
impl PartialEq for Hooked {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Hooked {}
impl PartialOrd for Hooked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Hooked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.1)();
        self.0.cmp(&o.0)
    }
}

/// One queue's `Ord` may use another queue (nothing is locked twice); only a call back
/// into a queue whose `Ord` is running on this thread, however deep, is refused.
#[test]
fn priority_queue_ord_may_use_another_queue_but_not_an_outer_one() {
    use std::sync::OnceLock;
    watchdog(|| {
        let outer: Arc<OnceLock<Arc<PriorityQueue<Hooked>>>> = Arc::new(OnceLock::new());
        let inner: Arc<PriorityQueue<Hooked>> = Arc::new(PriorityQueue::new(0));
        // The inner queue's `Ord` reads the outer queue, if asked to.
        let reads_outer = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let inner_hook: Arc<dyn Fn() + Send + Sync> = {
            let (outer, reads_outer) = (Arc::clone(&outer), Arc::clone(&reads_outer));
            Arc::new(move || {
                if reads_outer.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = outer.get().unwrap().qsize();
                }
            })
        };
        inner
            .put_nowait(Hooked(5, Arc::clone(&inner_hook)))
            .unwrap();
        // The outer queue's `Ord` puts into the inner queue and takes it out again.
        let outer_hook: Arc<dyn Fn() + Send + Sync> = {
            let (inner, inner_hook) = (Arc::clone(&inner), Arc::clone(&inner_hook));
            Arc::new(move || {
                inner
                    .put_nowait(Hooked(1, Arc::clone(&inner_hook)))
                    .unwrap();
                assert_eq!(inner.get_nowait().unwrap().0, 1);
            })
        };
        let q = Arc::new(PriorityQueue::new(0));
        outer.set(Arc::clone(&q)).ok().unwrap();
        q.put_nowait(Hooked(2, Arc::clone(&outer_hook))).unwrap();
        // Nested use of another queue works.
        q.put_nowait(Hooked(1, Arc::clone(&outer_hook))).unwrap();
        assert_eq!(q.qsize(), 2);
        assert_eq!(inner.qsize(), 1);
        // A call back into the outer queue from the inner queue's `Ord` is refused.
        reads_outer.store(true, std::sync::atomic::Ordering::Relaxed);
        let message = panic_message(|| q.put_nowait(Hooked(3, Arc::clone(&outer_hook))).unwrap());
        assert_eq!(message, "PriorityQueue: Ord called back into the queue");
        reads_outer.store(false, std::sync::atomic::Ordering::Relaxed);
        // Both queues are still usable afterwards, with every item they held: the outer
        // queue's third item, and the item its `Ord` had put into the inner queue when the
        // inner queue's `Ord` panicked.
        assert_eq!(q.qsize(), 3);
        assert_eq!(inner.qsize(), 2);
        assert_eq!(q.get_nowait().unwrap().0, 1);
    });
}

/// While one thread runs a queue's `Ord`, another thread's calls are not taken for a call
/// back: they wait for the mutex (or, taking none, go ahead) as usual.
#[test]
fn priority_queue_ord_running_on_another_thread_is_no_call_back() {
    use std::sync::mpsc;
    watchdog(|| {
        let (in_ord_tx, in_ord_rx) = mpsc::channel::<()>();
        let (go_on_tx, go_on_rx) = mpsc::channel::<()>();
        let in_ord_tx = std::sync::Mutex::new(Some(in_ord_tx));
        let go_on_rx = std::sync::Mutex::new(go_on_rx);
        // The first comparison says it is running, then waits to be let go.
        let hook: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(tx) = in_ord_tx.lock().unwrap().take() {
                tx.send(()).unwrap();
                go_on_rx.lock().unwrap().recv().unwrap();
            }
        });
        let q = Arc::new(PriorityQueue::new(0));
        q.put_nowait(Hooked(2, Arc::clone(&hook))).unwrap();
        let putter = {
            let (q, hook) = (Arc::clone(&q), Arc::clone(&hook));
            thread::spawn(move || q.put_nowait(Hooked(1, hook)).unwrap())
        };
        in_ord_rx.recv().unwrap();
        // The putter's thread is inside the queue's `Ord` now: this thread is not.
        assert!(q.qsize() >= 1);
        let getter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.get_nowait().unwrap().0)
        };
        go_on_tx.send(()).unwrap();
        putter.join().unwrap();
        assert_eq!(getter.join().unwrap(), 1, "the getter waited for the put");
        assert_eq!(q.get_nowait().unwrap().0, 2);
    });
}

// Streams and sinks.

#[test]
fn stream_and_sink_drop_replaced_wakers_outside_the_queues_mutex() {
    use futures::{Sink, Stream};
    use std::pin::Pin;
    use std::task::Context;
    watchdog(|| {
        let q = Arc::new(Queue::<u32>::new(1));
        let probe = Probe::new();
        fn cx(waker: &Waker) -> Context<'_> {
            Context::from_waker(waker)
        }
        let dropped = |seen: &Seen| seen.lock().unwrap().len();
        // A stream's stored waker, replaced by a later poll's.
        let mut stream = Arc::clone(&q).into_stream();
        let (waker, seen) = debug_on_drop_waker(&q);
        assert!(
            Pin::new(&mut stream)
                .poll_next(&mut cx(&waker))
                .is_pending()
        );
        drop(waker); // the queue holds the last clone
        assert!(
            Pin::new(&mut stream)
                .poll_next(&mut cx(probe.waker()))
                .is_pending()
        );
        assert_eq!(dropped(&seen), 1, "replaced");
        // Dropped with the stream.
        let mut other = q.stream();
        let (waker, seen) = debug_on_drop_waker(&q);
        assert!(Pin::new(&mut other).poll_next(&mut cx(&waker)).is_pending());
        drop(waker);
        drop(other);
        assert_eq!(dropped(&seen), 1, "dropped with the stream");
        // A sink's waiting item: its waker replaced, then dropped with the sink.
        q.put_nowait(1).unwrap(); // to the first stream
        q.put_nowait(2).unwrap(); // fills the queue
        let mut sink = q.sink();
        Pin::new(&mut sink).start_send(3).unwrap();
        let (waker, seen) = debug_on_drop_waker(&q);
        assert!(Pin::new(&mut sink).poll_flush(&mut cx(&waker)).is_pending());
        drop(waker);
        assert!(
            Pin::new(&mut sink)
                .poll_flush(&mut cx(probe.waker()))
                .is_pending()
        );
        assert_eq!(dropped(&seen), 1, "replaced in the sink");
        let (waker, seen) = debug_on_drop_waker(&q);
        assert!(Pin::new(&mut sink).poll_flush(&mut cx(&waker)).is_pending());
        drop(waker);
        drop(sink);
        assert_eq!(dropped(&seen), 1, "dropped with the sink");
        assert_eq!(
            Pin::new(&mut stream).poll_next(&mut cx(probe.waker())),
            Poll::Ready(Some(1))
        );
        assert_eq!(q.get_nowait(), Ok(2), "the sink's item never entered");
    });
}

/// A stream's or a sink's stored waker whose `drop` panics, replaced by a later poll or
/// dropped with its owner: the panic comes once the waiter's place is settled, so no item
/// is lost, the new waker is woken, and nobody is left in line.
#[test]
fn stream_and_sink_wakers_whose_drop_panics_lose_nothing() {
    use futures::{Sink, Stream};
    use std::pin::Pin;
    use std::task::Context;
    watchdog(|| {
        let q = Arc::new(Queue::<u32>::new(1));
        let probe = Probe::new();
        fn cx(waker: &Waker) -> Context<'_> {
            Context::from_waker(waker)
        }
        let panics_on_drop = || drop_hook_waker(|| panic!("{DROP_PANICS}")).0;
        // A stream's stored waker, replaced by a later poll's: the new one is woken.
        let mut stream = q.stream();
        let waker = panics_on_drop();
        assert!(
            Pin::new(&mut stream)
                .poll_next(&mut cx(&waker))
                .is_pending()
        );
        drop(waker); // the queue holds the last clone
        let message = panic_message(|| {
            let _ = Pin::new(&mut stream).poll_next(&mut cx(probe.waker()));
        });
        assert_eq!(message, DROP_PANICS);
        q.put_nowait(1).unwrap();
        assert_eq!(probe.wakes(), 1, "the replacing waker was woken");
        assert_eq!(
            Pin::new(&mut stream).poll_next(&mut cx(probe.waker())),
            Poll::Ready(Some(1))
        );
        // Dropped with the stream, in line: the next item stays in the queue.
        let waker = panics_on_drop();
        assert!(
            Pin::new(&mut stream)
                .poll_next(&mut cx(&waker))
                .is_pending()
        );
        drop(waker);
        assert_eq!(panic_message(move || drop(stream)), DROP_PANICS);
        q.put_nowait(2).unwrap();
        assert_eq!(q.get_nowait(), Ok(2), "the dropped stream took nothing");
        // A sink's waiting item: its waker replaced, then the item admitted by a get.
        q.put_nowait(3).unwrap(); // fills the queue
        let mut sink = q.sink();
        Pin::new(&mut sink).start_send(4).unwrap();
        let waker = panics_on_drop();
        assert!(Pin::new(&mut sink).poll_flush(&mut cx(&waker)).is_pending());
        drop(waker);
        let message = panic_message(|| {
            let _ = Pin::new(&mut sink).poll_flush(&mut cx(probe.waker()));
        });
        assert_eq!(message, DROP_PANICS);
        assert_eq!(q.get_nowait(), Ok(3));
        assert_eq!(probe.wakes(), 2, "the sink's new waker was woken");
        assert!(matches!(
            Pin::new(&mut sink).poll_flush(&mut cx(probe.waker())),
            Poll::Ready(Ok(()))
        ));
        // Dropped with the sink, its item waiting: it leaves the line.
        Pin::new(&mut sink).start_send(5).unwrap();
        let waker = panics_on_drop();
        assert!(Pin::new(&mut sink).poll_flush(&mut cx(&waker)).is_pending());
        drop(waker);
        assert_eq!(panic_message(move || drop(sink)), DROP_PANICS);
        assert_eq!(q.get_nowait(), Ok(4), "the admitted item is in the queue");
        assert!(q.empty(), "the dropped sink's item never entered");
        assert!(format!("{q:?}").contains("getters: 0, putters: 0"), "{q:?}");
    });
}
