//! `AsyncResult` as a `OnceCell`: `get_or_init` and `get_or_try_init`.
//!
//! - tokio's own `OnceCell` tests (tokio/tests/sync_once_cell.rs), translated; where toro
//!   chose otherwise (`set` while an initialiser runs) the test says what toro does.
//! - toro's rules, polled by hand: one initialiser at a time, the others in a FIFO line;
//!   a success gives every waiter the value; a cancelled, panicking or failed initialiser
//!   lets the oldest caller in line run its own `f`; a set value is returned without
//!   calling `f`; `set` while an initialiser runs wins.
//! - Deadlines, exact, on a `ManualClock` and on tokio's paused clock: a caller timed out
//!   in line leaves it; one timed out while its `f` runs passes the turn.
//! - A multi-thread stress test: many tasks and threads racing, failures injected; one `f`
//!   succeeds, once, and everyone sees its value.

mod support;

use std::future::{Future, Ready, poll_fn, ready};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use toro::{AsyncResult, DeadlineExt, ManualClock, Timeout};

use support::{WakeLog, panic_message, poll, probes};

// ---------------------------------------------------------------------------------------
// Helpers.

/// A value handed to an initialiser's future later: `f` returns [`Gate::wait`], pending
/// until [`Gate::open`].
struct Gate<V>(Arc<Mutex<(Option<V>, Option<Waker>)>>);

impl<V> Clone for Gate<V> {
    fn clone(&self) -> Self {
        Gate(self.0.clone())
    }
}

impl<V> Gate<V> {
    fn new() -> Self {
        Gate(Arc::new(Mutex::new((None, None))))
    }

    /// Another, closed gate for the same kind of value.
    fn clone_fresh(&self) -> Self {
        Gate::new()
    }

    fn open(&self, value: V) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = Some(value);
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Pending until the gate opens; then the value.
    fn wait(&self) -> impl Future<Output = V> + Unpin + use<V> {
        let gate = self.clone();
        poll_fn(move |cx| {
            let mut state = gate.0.lock().unwrap();
            match state.0.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    state.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

/// An `f` that must not be called.
fn never<T>() -> Ready<T> {
    panic!("an f called where it must not be")
}

/// Which initialisers' `f` were called, in order.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<&'static str>>>);

impl Calls {
    fn record(&self, who: &'static str) {
        self.0.lock().unwrap().push(who);
    }

    fn get(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// An `f` that records its call as `who` and returns `gate`'s wait.
fn gated<V: 'static>(
    calls: &Calls,
    who: &'static str,
    gate: &Gate<V>,
) -> impl FnOnce() -> Box<dyn Future<Output = V> + Unpin> + use<V> {
    let (calls, gate) = (calls.clone(), gate.clone());
    move || {
        calls.record(who);
        Box::new(gate.wait())
    }
}

/// A value that counts its drops.
#[derive(Debug)]
struct Counted(u32, Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
    }
}

// ---------------------------------------------------------------------------------------
// tokio's OnceCell tests, translated.

mod from_tokio {
    use super::*;
    use tokio::runtime;
    use tokio::time;

    async fn func1() -> u32 {
        5
    }

    async fn func2() -> u32 {
        time::sleep(Duration::from_millis(1)).await;
        10
    }

    async fn func_err() -> Result<u32, ()> {
        Err(())
    }

    async fn func_ok() -> Result<u32, ()> {
        Ok(10)
    }

    async fn func_panic() -> u32 {
        time::sleep(Duration::from_millis(1)).await;
        panic!();
    }

    async fn sleep_and_set() -> u32 {
        // The cell is found being initialised by this call when the other task sets it.
        time::sleep(Duration::from_millis(2)).await;
        5
    }

    async fn advance_time_and_set(
        cell: &'static AsyncResult<u32>,
        v: u32,
    ) -> Result<(), toro::AlreadySet<u32>> {
        time::advance(Duration::from_millis(1)).await;
        cell.set(v)
    }

    #[test]
    fn drop_cell() {
        let num_drops = Arc::new(AtomicUsize::new(0));
        {
            let once_cell = AsyncResult::new();
            let prev = once_cell.set(Counted(1, num_drops.clone()));
            assert!(prev.is_ok());
        }
        assert_eq!(num_drops.load(SeqCst), 1);
    }

    #[test]
    fn drop_cell_made_by_get_or_init() {
        let num_drops = Arc::new(AtomicUsize::new(0));
        {
            let once_cell = AsyncResult::new();
            let drops = num_drops.clone();
            let value = toro::block_on(once_cell.get_or_init(|| async { Counted(1, drops) }));
            assert_eq!(value.0, 1);
            assert_eq!(num_drops.load(SeqCst), 0);
        }
        assert_eq!(num_drops.load(SeqCst), 1);
    }

    #[test]
    fn get_or_init() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            let handle1 = rt.spawn(async { ONCE.get_or_init(func1).await });
            let handle2 = rt.spawn(async { ONCE.get_or_init(func2).await });

            time::advance(Duration::from_millis(1)).await;
            time::resume();

            let result1 = handle1.await.unwrap();
            let result2 = handle2.await.unwrap();

            assert_eq!(*result1, 5);
            assert_eq!(*result2, 5);
        });
    }

    #[test]
    fn get_or_init_panic() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            time::pause();

            let handle1 = rt.spawn(async { ONCE.get_or_init(func1).await });
            let handle2 = rt.spawn(async { ONCE.get_or_init(func_panic).await });

            time::advance(Duration::from_millis(1)).await;

            let result1 = handle1.await.unwrap();
            let result2 = handle2.await.unwrap();

            assert_eq!(*result1, 5);
            assert_eq!(*result2, 5);
        });
    }

    /// Beyond tokio's test: the panicking initialiser goes first; its task gets the panic,
    /// and the caller in line behind it runs its own `f`.
    #[test]
    fn get_or_init_panic_first_passes_the_turn() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            let handle1 = rt.spawn(async { ONCE.get_or_init(func_panic).await });
            let handle2 = rt.spawn(async { ONCE.get_or_init(func2).await });

            let result1 = handle1.await;
            let result2 = handle2.await.unwrap();

            assert!(result1.unwrap_err().is_panic());
            assert_eq!(*result2, 10);
            assert_eq!(ONCE.get_nowait(), Ok(&10));
        });
    }

    #[test]
    fn set_and_get() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            let _ = rt.spawn(async { ONCE.set(5) }).await;
            let value = ONCE.get_nowait().unwrap();
            assert_eq!(*value, 5);
        });
    }

    #[test]
    fn get_uninit() {
        static ONCE: AsyncResult<u32> = AsyncResult::new();
        let uninit = ONCE.get_nowait();
        assert!(uninit.is_err());
    }

    #[test]
    fn set_twice() {
        static ONCE: AsyncResult<u32> = AsyncResult::new();

        let first = ONCE.set(5);
        assert_eq!(first, Ok(()));
        let second = ONCE.set(6);
        assert_eq!(second.unwrap_err().into_inner(), 6);
    }

    /// tokio refuses the `set` (`is_initializing_err`); toro's `set` wins: it stores its
    /// value, and the initialiser, when its `f` completes, drops the value it made and
    /// returns the one that was set.
    #[test]
    fn set_while_initializing() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            time::pause();

            let handle1 = rt.spawn(async { ONCE.get_or_init(sleep_and_set).await });
            let handle2 = rt.spawn(async { advance_time_and_set(&ONCE, 10).await });

            time::advance(Duration::from_millis(2)).await;

            let result1 = handle1.await.unwrap();
            let result2 = handle2.await.unwrap();

            assert_eq!(*result1, 10);
            assert_eq!(result2, Ok(()));
        });
    }

    #[test]
    fn get_or_try_init() {
        let rt = runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();

        static ONCE: AsyncResult<u32> = AsyncResult::new();

        rt.block_on(async {
            let handle1 = rt.spawn(async { ONCE.get_or_try_init(func_err).await });
            let handle2 = rt.spawn(async { ONCE.get_or_try_init(func_ok).await });

            time::advance(Duration::from_millis(1)).await;
            time::resume();

            let result1 = handle1.await.unwrap();
            assert!(result1.is_err());

            let result2 = handle2.await.unwrap();
            assert_eq!(*result2.unwrap(), 10);
        });
    }
}

// ---------------------------------------------------------------------------------------
// toro's rules, polled by hand.

#[test]
fn a_set_value_is_returned_at_once_without_calling_f() {
    let result = AsyncResult::new();
    result.set(1).unwrap();
    let mut init = result.get_or_init(never);
    assert_eq!(poll(&mut init), Poll::Ready(&1));
    let mut try_init = result.get_or_try_init(|| ready(Err::<u32, ()>(())));
    assert_eq!(poll(&mut try_init), Poll::Ready(Ok(&1)));
    assert_eq!(result.waiters(), 0);
}

#[test]
fn the_first_caller_initialises_and_later_callers_get_its_value_without_calling_f() {
    let result = AsyncResult::new();
    let calls = Calls::default();
    let gate = Gate::new();
    let mut first = result.get_or_init(gated(&calls, "first", &gate));
    assert!(
        calls.get().is_empty(),
        "f is called at the first poll, not at the call"
    );
    assert!(poll(&mut first).is_pending());
    assert_eq!(calls.get(), ["first"]);
    gate.open(7);
    let value = match poll(&mut first) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the gate is open"),
    };
    assert_eq!(*value, 7);
    let again = toro::block_on(result.get_or_init(|| async { unreachable!() }));
    assert!(std::ptr::eq(value, again), "the same stored value");
    assert_eq!(calls.get(), ["first"]);
}

/// One initialiser at a time, in the order of the calls: the second caller's `f` runs
/// only after the first failed, the third's only after the second failed.
#[test]
fn initialisers_take_their_turns_in_the_order_they_called() {
    let result = AsyncResult::new();
    let calls = Calls::default();
    let log = WakeLog::default();
    let ps = probes(4, &log);
    let gates: Vec<Gate<Result<u32, &str>>> = (0..3).map(|_| Gate::new()).collect();
    let mut a = result.get_or_try_init(gated(&calls, "a", &gates[0]));
    let mut b = result.get_or_try_init(gated(&calls, "b", &gates[1]));
    let mut c = result.get_or_try_init(gated(&calls, "c", &gates[2]));
    assert_eq!(
        result.waiters(),
        2,
        "b and c wait in line; a holds the turn"
    );
    // Polled in reverse: those in line do not run their `f`.
    ps[2].pending(&mut c);
    ps[1].pending(&mut b);
    ps[0].pending(&mut a);
    assert_eq!(calls.get(), ["a"]);

    gates[0].open(Err("a failed"));
    assert_eq!(ps[0].ready(&mut a), Err("a failed"));
    assert_eq!(
        log.take(),
        [0, 1],
        "a's gate woke a; a's failure woke b, not c"
    );
    assert_eq!(result.waiters(), 1);
    ps[2].pending(&mut c);
    assert_eq!(calls.get(), ["a"], "c still waits");
    ps[1].pending(&mut b);
    assert_eq!(calls.get(), ["a", "b"]);

    gates[1].open(Err("b failed"));
    assert_eq!(ps[1].ready(&mut b), Err("b failed"));
    assert_eq!(log.take(), [1, 2]);
    assert_eq!(result.waiters(), 0);
    ps[2].pending(&mut c);
    assert_eq!(calls.get(), ["a", "b", "c"]);
    assert!(!result.ready());

    // A newcomer while c runs waits in line; c's success is its value too.
    let mut d = result.get_or_try_init(gated(&calls, "d", &gates[2].clone_fresh()));
    ps[3].pending(&mut d);
    gates[2].open(Ok(3));
    assert_eq!(ps[2].ready(&mut c), Ok(&3));
    assert_eq!(log.take(), [2, 3]);
    assert_eq!(ps[3].ready(&mut d), Ok(&3));
    assert_eq!(calls.get(), ["a", "b", "c"], "d's f is never called");
}

/// A successful initialiser gives its value to every waiter, inside its poll: plain
/// `get()`s and initialisers waiting for their turn.
#[test]
fn a_successful_initialiser_releases_every_waiter() {
    let result = Arc::new(AsyncResult::<String>::new());
    let log = WakeLog::default();
    let ps = probes(5, &log);
    let calls = Calls::default();
    let gate = Gate::new();
    let mut init = result.get_or_init(gated(&calls, "init", &gate));
    let mut early_get = result.get();
    let mut queued: Vec<_> = (0..2).map(|_| result.get_or_init(never)).collect();
    let mut late_get = result.get();
    assert_eq!(result.waiters(), 4);
    ps[0].pending(&mut init);
    ps[1].pending(&mut early_get);
    ps[2].pending(&mut queued[0]);
    ps[3].pending(&mut queued[1]);
    ps[4].pending(&mut late_get);
    assert_eq!(log.take(), Vec::<usize>::new());

    gate.open("made".to_string());
    assert_eq!(log.take(), [0]);
    let value: *const String = ps[0].ready(&mut init);
    let mut woken = log.take();
    woken.sort_unstable();
    assert_eq!(
        woken,
        [1, 2, 3, 4],
        "every waiter, inside the initialiser's poll"
    );
    assert_eq!(result.waiters(), 0);
    assert!(std::ptr::eq(ps[1].ready(&mut early_get), value));
    assert!(std::ptr::eq(ps[2].ready(&mut queued[0]), value));
    assert!(std::ptr::eq(ps[3].ready(&mut queued[1]), value));
    assert!(std::ptr::eq(ps[4].ready(&mut late_get), value));
    assert_eq!(calls.get(), ["init"]);
}

#[test]
fn waiters_counts_callers_in_line_but_not_the_turn_holder() {
    let result = AsyncResult::<u8>::new();
    assert_eq!(result.waiters(), 0);
    let holder = result.get_or_init(|| async { 1 });
    assert_eq!(result.waiters(), 0, "the turn holder does not wait in line");
    let in_line = result.get_or_init(|| async { 2 });
    let get = result.get();
    let try_in_line = result.get_or_try_init(|| async { Ok::<u8, ()>(3) });
    assert_eq!(result.waiters(), 3);
    drop(get);
    assert_eq!(result.waiters(), 2);
    drop(try_in_line);
    assert_eq!(result.waiters(), 1);
    // The holder gives up: the turn goes to `in_line`, which leaves the line.
    drop(holder);
    assert_eq!(result.waiters(), 0);
    assert_eq!(toro::block_on(in_line), &2);
}

/// A cancelled initialiser (its future dropped) lets the next caller in line run its own
/// `f`: while its `f` runs, before its first poll, and once handed the turn but not yet
/// polled.
#[test]
fn a_cancelled_initialiser_passes_the_turn() {
    let result = AsyncResult::new();
    let calls = Calls::default();
    let log = WakeLog::default();
    let ps = probes(4, &log);
    let dropped_fut = Arc::new(AtomicUsize::new(0));
    let gate = Gate::<u32>::new();
    let mut running = {
        let (calls, gate, dropped) = (calls.clone(), gate.clone(), dropped_fut.clone());
        result.get_or_init(move || {
            calls.record("running");
            let guard = Counted(0, dropped);
            let wait = gate.wait();
            Box::pin(async move {
                let _guard = guard;
                wait.await
            })
        })
    };
    let never_polled = result.get_or_init(gated(&calls, "never polled", &Gate::new()));
    let mut handed_then_dropped = result.get_or_init(gated(&calls, "handed", &Gate::new()));
    let next_gate = Gate::new();
    let mut next = result.get_or_init(gated(&calls, "next", &next_gate));
    ps[0].pending(&mut running);
    ps[2].pending(&mut handed_then_dropped);
    ps[3].pending(&mut next);
    assert_eq!(calls.get(), ["running"]);

    // Dropped while its f runs: f's future is dropped, the turn goes to the oldest in line.
    drop(running);
    assert_eq!(
        dropped_fut.load(SeqCst),
        1,
        "f's future dropped with its caller"
    );
    assert_eq!(
        log.take(),
        Vec::<usize>::new(),
        "never_polled has no waker yet"
    );
    assert_eq!(result.waiters(), 2);
    // Handed the turn, dropped before its first poll: f never called, the turn goes on.
    drop(never_polled);
    assert_eq!(log.take(), [2]);
    assert_eq!(result.waiters(), 1);
    // Handed the turn, woken, dropped before it polls: the turn goes on again.
    drop(handed_then_dropped);
    assert_eq!(log.take(), [3]);
    assert_eq!(result.waiters(), 0);
    ps[3].pending(&mut next);
    assert_eq!(calls.get(), ["running", "next"]);
    next_gate.open(4);
    assert_eq!(ps[3].ready(&mut next), &4);

    // A turn holder dropped before its first poll, with nobody in line: the turn is free.
    let cell = AsyncResult::new();
    drop(cell.get_or_init(|| async { unreachable!() }));
    assert_eq!(toro::block_on(cell.get_or_init(|| async { 5 })), &5);
}

/// A panicking `f` (or a panicking poll of its future): the panic goes to its caller, and
/// the turn passes on as it unwinds, before the future is even dropped.
#[test]
fn a_panicking_initialiser_passes_the_turn() {
    let result = AsyncResult::new();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut panics_in_f = result.get_or_init(|| -> std::future::Ready<u32> { panic!("in f") });
    let mut panics_in_poll = result.get_or_init(|| {
        Box::pin(async {
            support::yield_now().await;
            panic!("in f's future")
        })
    });
    let mut last = result.get_or_init(|| ready(3));
    ps[1].pending(&mut panics_in_poll);
    ps[2].pending(&mut last);

    let message = panic_message(|| {
        let _ = ps[0].poll(&mut panics_in_f);
    });
    assert_eq!(message, "in f");
    assert_eq!(log.take(), [1], "the turn passed as the panic unwound");
    let again = panic_message(|| {
        let _ = ps[0].poll(&mut panics_in_f);
    });
    assert!(
        again.contains("polled after it completed or panicked"),
        "{again}"
    );

    ps[1].pending(&mut panics_in_poll); // f called: yields once
    assert_eq!(log.take(), [1], "its own yield");
    let message = panic_message(|| {
        let _ = ps[1].poll(&mut panics_in_poll);
    });
    assert_eq!(message, "in f's future");
    assert_eq!(log.take(), [2]);
    assert_eq!(ps[2].ready(&mut last), &3);
    // The panicked futures, dropped now, pass nothing on again.
    drop((panics_in_f, panics_in_poll));
    assert_eq!(result.get_nowait(), Ok(&3));
}

/// An `Err` lets the next caller in line run its own `f`; the error goes to its own
/// caller alone.
#[test]
fn a_failed_initialiser_passes_the_turn_and_keeps_its_error() {
    let result = AsyncResult::new();
    let mut failing = result.get_or_try_init(|| ready(Err::<u32, _>("no")));
    let mut next = result.get_or_try_init(|| ready(Ok::<_, &str>(2)));
    let mut get = result.get();
    assert_eq!(poll(&mut failing), Poll::Ready(Err("no")));
    assert!(!result.ready());
    assert_eq!(poll(&mut next), Poll::Ready(Ok(&2)));
    assert_eq!(poll(&mut get), Poll::Ready(&2));
}

/// `set` while an initialiser holds the turn wins: every waiter gets the value set, the
/// initialiser's own value is dropped when its `f` completes, and it returns the value
/// set. A turn holder that has not called `f` yet never calls it.
#[test]
fn set_while_an_initialiser_runs_wins() {
    let drops = Arc::new(AtomicUsize::new(0));
    let result = AsyncResult::new();
    let calls = Calls::default();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let gate = Gate::new();
    let mut running = result.get_or_init(gated(&calls, "running", &gate));
    let mut in_line = result.get_or_init(gated(&calls, "in line", &Gate::new()));
    let mut get = result.get();
    ps[0].pending(&mut running);
    ps[1].pending(&mut in_line);
    ps[2].pending(&mut get);
    assert_eq!(
        format!("{result:?}"),
        "AsyncResult { value: <unset>, initialising: true, waiters: 2 }"
    );

    assert!(result.set(Counted(1, drops.clone())).is_ok());
    assert_eq!(log.take(), [2, 1], "readers, then initialisers in line");
    assert_eq!(ps[1].ready(&mut in_line).0, 1);
    assert_eq!(ps[2].ready(&mut get).0, 1);
    assert_eq!(drops.load(SeqCst), 0);

    gate.open(Counted(2, drops.clone()));
    assert_eq!(ps[0].ready(&mut running).0, 1, "the value set");
    assert_eq!(
        drops.load(SeqCst),
        1,
        "the initialiser's own value was dropped"
    );
    assert_eq!(calls.get(), ["running"]);

    // A turn holder not yet polled when the value is set never calls `f`.
    let cell = AsyncResult::new();
    let mut holder = cell.get_or_init(never);
    cell.set(5).unwrap();
    assert_eq!(poll(&mut holder), Poll::Ready(&5));
    assert_eq!(
        result
            .set(Counted(3, drops.clone()))
            .unwrap_err()
            .into_inner()
            .0,
        3
    );
}

/// An `Err` from an `f` that ran while a `set` stored the value still goes to its caller.
#[test]
fn an_error_after_a_set_goes_to_its_caller() {
    let result = AsyncResult::new();
    let gate = Gate::new();
    let mut running = result.get_or_try_init(gated(&Calls::default(), "running", &gate));
    assert!(poll(&mut running).is_pending());
    result.set(1).unwrap();
    gate.open(Err("failed"));
    assert_eq!(poll(&mut running), Poll::Ready(Err("failed")));
    assert_eq!(result.get_nowait(), Ok(&1));
}

#[test]
fn debug_shows_the_stage() {
    let result = AsyncResult::new();
    let gate = Gate::new();
    let mut holder = result.get_or_init(gated(&Calls::default(), "holder", &gate));
    let in_line = result.get_or_try_init(|| async { Ok::<u8, ()>(2) });
    assert_eq!(
        format!("{holder:?}"),
        "AsyncResultGetOrInit { stage: \"holding the turn\" }"
    );
    assert_eq!(
        format!("{in_line:?}"),
        "AsyncResultGetOrTryInit { stage: \"waiting\" }"
    );
    assert!(poll(&mut holder).is_pending());
    assert_eq!(
        format!("{holder:?}"),
        "AsyncResultGetOrInit { stage: \"initialising\" }"
    );
    gate.open(1);
    assert!(poll(&mut holder).is_ready());
    assert_eq!(
        format!("{holder:?}"),
        "AsyncResultGetOrInit { stage: \"done\" }"
    );
    let set = result.get_or_init(|| async { 0 });
    assert_eq!(
        format!("{set:?}"),
        "AsyncResultGetOrInit { stage: \"set\" }"
    );
    assert_eq!(format!("{result:?}"), "AsyncResult { value: 1 }");
    drop(in_line);
}

// ---------------------------------------------------------------------------------------
// Deadlines.

/// Exact, on a `ManualClock`: a caller waiting for its turn times out at its deadline,
/// leaving the line, and never runs its `f`; the turn holder is untouched.
#[test]
fn a_deadline_withdraws_a_caller_in_line() {
    let clock = ManualClock::new();
    let handle = clock.handle();
    let result = AsyncResult::<u8>::new();
    let calls = Calls::default();
    let gate = Gate::new();
    let mut holder = result.get_or_init(gated(&calls, "holder", &gate));
    let mut timed = pin!(
        result
            .get_or_init(gated(&calls, "timed", &Gate::new()))
            .deadline_on(&handle, Duration::from_secs(5))
    );
    let mut behind = result.get_or_init(gated(&calls, "behind", &Gate::new()));
    assert!(poll(&mut holder).is_pending());
    assert!(poll(&mut timed).is_pending());
    assert_eq!(result.waiters(), 2);
    clock.advance(Duration::from_secs(4));
    assert!(poll(&mut timed).is_pending(), "4 s: still in line");
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        poll(&mut timed),
        Poll::Ready(Err(Timeout::new(()))),
        "exactly 5 s"
    );
    assert_eq!(result.waiters(), 1, "it left the line");
    assert_eq!(clock.sleepers(), 0);
    // The holder gives up: the turn skips the timed-out caller.
    drop(holder);
    assert!(poll(&mut behind).is_pending());
    assert_eq!(calls.get(), ["holder", "behind"]);
}

/// Exact, on a `ManualClock`: the turn holder's deadline passes while its `f` runs: `f`'s
/// future is dropped and the next caller in line runs its own.
#[test]
fn a_deadline_while_f_runs_passes_the_turn() {
    let clock = ManualClock::new();
    let handle = clock.handle();
    let result = AsyncResult::new();
    let calls = Calls::default();
    let log = WakeLog::default();
    let ps = probes(2, &log);
    let mut holder = pin!(
        result
            .get_or_init(gated(&calls, "holder", &Gate::new()))
            .deadline_on(&handle, Duration::from_secs(3))
    );
    let next_gate = Gate::new();
    let mut next = result.get_or_init(gated(&calls, "next", &next_gate));
    ps[0].pending(&mut holder);
    ps[1].pending(&mut next);
    clock.advance(Duration::from_millis(2999));
    assert_eq!(log.take(), Vec::<usize>::new());
    clock.advance(Duration::from_millis(1));
    assert_eq!(log.take(), [0], "the holder's timer");
    assert_eq!(ps[0].ready(&mut holder), Err(Timeout::new(())));
    assert_eq!(
        log.take(),
        [1],
        "the turn passed inside the holder's timed-out poll"
    );
    ps[1].pending(&mut next);
    assert_eq!(calls.get(), ["holder", "next"]);
    next_gate.open(9);
    assert_eq!(ps[1].ready(&mut next), &9);
}

/// Every form of deadline: the inherent `.deadline(d)`, `DeadlineExt::deadline`, and
/// on `get_or_try_init`. A set value wins over an expired deadline.
#[test]
fn deadline_forms_and_ready_wins() {
    let clock = ManualClock::new();
    let _entered = clock.handle().enter();
    let result = AsyncResult::new();
    let holder = result.get_or_init(std::future::pending::<u32>);
    let inherent = result.get_or_init(|| async { 1 }).deadline(Duration::ZERO);
    assert_eq!(toro::block_on(inherent), Err(Timeout::new(())));
    let via_ext = DeadlineExt::deadline(result.get_or_init(|| async { 1 }), Duration::ZERO);
    assert_eq!(toro::block_on(via_ext), Err(Timeout::new(())));
    let tried = result
        .get_or_try_init(|| async { Ok::<u32, ()>(1) })
        .deadline(Duration::ZERO);
    assert_eq!(toro::block_on(tried), Err(Timeout::new(())));
    assert_eq!(result.waiters(), 0);
    // The holder, timed out while f runs: the turn is free for the next caller.
    assert!(toro::block_on(holder.deadline(Duration::ZERO)).is_err());
    let made = result.get_or_init(|| async { 2 }).deadline(Duration::ZERO);
    assert_eq!(
        toro::block_on(made),
        Ok(&2),
        "f completes at its first poll: ready wins"
    );
    let set = result
        .get_or_init(|| async { unreachable!() })
        .deadline(Duration::ZERO);
    assert_eq!(toro::block_on(set), Ok(&2));
    let tried = result.get_or_try_init(|| async { Err::<u32, ()>(()) });
    assert_eq!(toro::block_on(tried.deadline(Duration::ZERO)), Ok(Ok(&2)));
    assert_eq!(clock.sleepers(), 0);
}

/// tokio's paused clock: the deadlines fall exactly where they should.
#[cfg(feature = "tokio")]
mod paused_tokio {
    use super::*;
    use tokio::time::{Instant, sleep};

    #[tokio::test(start_paused = true)]
    async fn a_caller_in_line_times_out_exactly_and_the_turn_holder_finishes() {
        let result = Arc::new(AsyncResult::new());
        let start = Instant::now();
        let holder = {
            let result = result.clone();
            tokio::spawn(async move {
                *result
                    .get_or_init(|| async {
                        sleep(Duration::from_secs(10)).await;
                        1
                    })
                    .await
            })
        };
        tokio::task::yield_now().await; // the holder takes the turn
        let timed = result
            .get_or_init(|| async { 2 })
            .deadline(Duration::from_secs(3))
            .await;
        assert_eq!(timed, Err(Timeout::new(())));
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert_eq!(result.waiters(), 0);
        assert_eq!(holder.await.unwrap(), 1);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn an_initialiser_timed_out_while_f_runs_passes_the_turn_exactly_then() {
        let result = Arc::new(AsyncResult::new());
        let start = Instant::now();
        let next = {
            let result = result.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await; // behind the holder
                *result.get_or_init(|| async { Instant::now() }).await
            })
        };
        let holder = result
            .get_or_init(|| async {
                sleep(Duration::from_secs(60)).await;
                start
            })
            .deadline(Duration::from_secs(4))
            .await;
        assert_eq!(holder, Err(Timeout::new(())));
        let made_at = next.await.unwrap();
        assert_eq!(
            made_at - start,
            Duration::from_secs(4),
            "the next f ran at the deadline"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Stress.

/// One initialiser inside its `f`'s future, until it is dropped.
struct Inside(Arc<AtomicUsize>);

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// Many tasks on a multi-thread runtime and many threads race `get_or_try_init` on fresh
/// cells, with failures injected (`Err`, panics, deadlines while `f` runs, callers dropped
/// in line): exactly one `f` succeeds, nobody runs `f` beside another, and everyone who
/// gets a value gets that one.
#[test]
fn stress_racing_initialisers_with_failures() {
    // A lost wake-up would leave a caller waiting forever: fail instead of hanging.
    let (done, finished) = std::sync::mpsc::channel();
    let body = std::thread::spawn(move || {
        racing_initialisers_with_failures();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => body.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(body.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("still running after 60 s: a lost wake-up")
        }
    }
}

fn racing_initialisers_with_failures() {
    const ROUNDS: usize = 40;
    const TASKS: usize = 16;
    const THREADS: usize = 4;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(3)
        .enable_all()
        .build()
        .unwrap();
    for round in 0..ROUNDS {
        let result = Arc::new(AsyncResult::<(usize, Box<u64>)>::new());
        let running = Arc::new(AtomicUsize::new(0));
        let successes = Arc::new(AtomicUsize::new(0));
        let attempt = {
            let (result, running, successes) = (result.clone(), running.clone(), successes.clone());
            move |who: usize| {
                let (result, running, successes) =
                    (result.clone(), running.clone(), successes.clone());
                async move {
                    let f = {
                        let (running, successes) = (running.clone(), successes.clone());
                        move || async move {
                            assert_eq!(running.fetch_add(1, SeqCst), 0, "two initialisers at once");
                            // Leaves when this future ends, however it ends: the next `f`
                            // must not start before.
                            let _inside = Inside(running);
                            support::yield_now().await;
                            std::thread::yield_now();
                            match (who + round) % 5 {
                                0 => Err("injected failure"),
                                1 if who % 2 == 0 => panic!("injected panic"),
                                2 => {
                                    // Never done: cancelled at the caller's deadline.
                                    std::future::pending::<()>().await;
                                    Err("not reached")
                                }
                                _ => {
                                    successes.fetch_add(1, SeqCst);
                                    Ok((who, Box::new(who as u64)))
                                }
                            }
                        }
                    };
                    let outcome = result
                        .get_or_try_init(f)
                        .deadline(Duration::from_millis(20))
                        .await;
                    outcome
                        .ok()
                        .and_then(Result::ok)
                        .map(|v| v as *const _ as usize)
                }
            }
        };
        let mut tasks = Vec::new();
        for who in 0..TASKS {
            tasks.push(rt.spawn(attempt(who)));
        }
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let attempt = attempt.clone();
                let result = result.clone();
                std::thread::spawn(move || {
                    // A caller dropped in line, then a real attempt.
                    drop(result.get_or_init(|| async { unreachable!() }));
                    toro::block_on(attempt(TASKS + t))
                })
            })
            .collect();
        let mut seen: Vec<usize> = Vec::new();
        for task in tasks {
            if let Ok(Some(at)) = rt.block_on(task) {
                seen.push(at);
            }
        }
        for thread in threads {
            if let Ok(Some(at)) = thread.join() {
                seen.push(at);
            }
        }
        // Whoever is left gets the value, or makes it.
        let last = rt.block_on(
            result.get_or_try_init(|| async { Ok::<_, &str>((usize::MAX, Box::new(0))) }),
        );
        let stored: *const _ = last.unwrap();
        assert!(
            seen.iter().all(|&at| at == stored as usize),
            "round {round}: two values"
        );
        let made_by_f = successes.load(SeqCst);
        let made_last = result.get_nowait().unwrap().0 == usize::MAX;
        assert_eq!(
            made_by_f + usize::from(made_last),
            1,
            "round {round}: one success"
        );
        assert_eq!(running.load(SeqCst), 0);
        assert_eq!(result.waiters(), 0);
    }
}
