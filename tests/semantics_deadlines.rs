//! Deadlines: ready wins (a wait that can complete succeeds whatever its deadline),
//! hand-offs before the deadline is observed win, exact timeouts on a hand-driven mock clock
//! and on tokio's paused clock, no clock and no timer on the fast path, and the `Timeout`
//! error.

use std::time::{Duration, Instant};

use futures::FutureExt;
use toro::{
    AsyncResult, BoundedSemaphore, Condition, Deadline, DeadlineExt, Event, Lock, LoopHandle,
    RwLock, Semaphore, Timeout,
};

mod support;
use support::{MockClock, Probe, past};

// ---------------------------------------------------------------------------------------
// The mock clock (`support::MockClock`): time moves only when the test advances it, and
// every call is counted.

#[test]
fn mock_clock_sleep_completes_only_when_advanced_past() {
    // Guards the helper the exact-deadline tests rely on.
    let (clock, handle) = MockClock::new();
    let start = clock.peek();
    let mut sleep = handle.sleep_until(start + Duration::from_secs(2));
    let p = Probe::new();
    p.pending(&mut sleep);
    clock.advance(Duration::from_secs(1));
    assert_eq!(p.wakes(), 0);
    p.pending(&mut sleep);
    clock.advance(Duration::from_secs(1));
    assert_eq!(p.wakes(), 1, "the latest waker, once");
    p.ready(&mut sleep);
    assert_eq!(handle.now(), start + Duration::from_secs(2));
}

// ---------------------------------------------------------------------------------------
// Deadline values.

#[test]
fn deadline_conversions() {
    let d = Duration::from_millis(5);
    let at = Instant::now();
    assert_eq!(Deadline::from(d), Deadline::after(d));
    assert_eq!(Deadline::from(at), Deadline::at(at));
    assert_eq!(Deadline::from(Some(d)), Deadline::after(d));
    assert_eq!(Deadline::from(Some(at)), Deadline::at(at));
    assert_eq!(Deadline::from(None::<Duration>), Deadline::NEVER);
    assert_eq!(Deadline::from(None::<Instant>), Deadline::NEVER);
    assert!(!Deadline::NEVER.is_set());
    assert!(
        Deadline::from(Duration::ZERO).is_set(),
        "zero is an expired deadline, not no deadline"
    );
    assert!(Deadline::from(past()).is_set());
}

// ---------------------------------------------------------------------------------------
// Ready wins: a wait that can complete at the call succeeds whatever its deadline, and that
// fast path touches no clock.

#[test]
fn ready_at_the_call_wins_over_zero_and_past_deadlines() {
    let lock = Lock::new();
    for deadline in [Deadline::from(Duration::ZERO), Deadline::from(past())] {
        let g = lock.acquire().deadline(deadline).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{deadline:?}");
    }
    let sem = Semaphore::new(1);
    assert_eq!(
        sem.wait().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(()))
    );
    let event = Event::new();
    event.set();
    assert_eq!(event.wait().deadline(past()).now_or_never(), Some(Ok(())));
    let result = AsyncResult::new();
    result.set(1).unwrap();
    assert_eq!(result.get().deadline(past()).now_or_never(), Some(Ok(&1)));
    let rw = RwLock::new(2);
    assert!(matches!(
        rw.acquire_write().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(_))
    ));
}

#[test]
fn waits_ready_at_the_call_read_no_clock_and_make_no_timer() {
    let (clock, handle) = MockClock::new();
    let far = clock.peek() + Duration::from_secs(3600);
    let deadlines = [
        Deadline::from(Duration::ZERO),
        Deadline::from(Duration::from_secs(5)),
        Deadline::at(clock.peek()),
        Deadline::at(far),
        Deadline::NEVER,
    ];
    let lock = Lock::new();
    let sem = Semaphore::new(1);
    let bounded = BoundedSemaphore::new(1);
    let rw = RwLock::new(2);
    let event = Event::new();
    event.set();
    let result = AsyncResult::new();
    result.set('v').unwrap();
    for d in deadlines {
        let g = lock.acquire().deadline_on(&handle, d).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{d:?}");
        drop(g);
        let g = sem.acquire().deadline_on(&handle, d).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{d:?}");
        drop(g);
        assert_eq!(
            sem.wait().deadline_on(&handle, d).now_or_never(),
            Some(Ok(()))
        );
        let g = bounded.acquire().deadline_on(&handle, d).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{d:?}");
        drop(g);
        let g = rw.acquire_read().deadline_on(&handle, d).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{d:?}");
        drop(g);
        let g = rw.acquire_write().deadline_on(&handle, d).now_or_never();
        assert!(matches!(g, Some(Ok(_))), "{d:?}");
        drop(g);
        assert_eq!(
            event.wait().deadline_on(&handle, d).now_or_never(),
            Some(Ok(()))
        );
        assert_eq!(
            result.get().deadline_on(&handle, d).now_or_never(),
            Some(Ok(&'v'))
        );
    }
    assert_eq!(clock.now_calls(), 0, "the fast path reads no clock");
    assert!(clock.sleeps().is_empty(), "the fast path makes no timer");
}

#[test]
fn any_ready_future_with_an_absolute_deadline_reads_no_clock() {
    let (clock, handle) = MockClock::new();
    let at = clock.peek();
    assert_eq!(
        async { 5 }.deadline_on(&handle, at).now_or_never(),
        Some(Ok(5))
    );
    assert_eq!(
        async { 6 }
            .deadline_on(&handle, Deadline::NEVER)
            .now_or_never(),
        Some(Ok(6))
    );
    assert_eq!(clock.now_calls(), 0);
    assert!(clock.sleeps().is_empty());
    // A relative deadline is resolved once, but still no timer for a ready future.
    assert_eq!(
        async { 7 }
            .deadline_on(&handle, Duration::from_secs(1))
            .now_or_never(),
        Some(Ok(7))
    );
    assert!(clock.sleeps().is_empty());
}

#[test]
fn handoff_before_the_deadline_is_observed_wins() {
    // `f = q.get(deadline=0); q.put_nowait(1)` gives 1, for every token primitive.
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let mut zero = lock.acquire().deadline(Duration::ZERO);
    drop(held);
    let g = Probe::new().ready(&mut zero).expect("handed over first");
    drop(g);

    let sem = Semaphore::new(0);
    let mut acquire = sem.acquire().deadline(past());
    sem.release();
    assert!(Probe::new().ready(&mut acquire).is_ok());

    let cond = Condition::new();
    let mut wait = cond.wait().deadline(Deadline::at(past()));
    cond.notify(1);
    assert_eq!(Probe::new().ready(&mut wait), Ok(()));
}

#[test]
fn handoff_before_the_first_poll_makes_no_timer() {
    let (clock, handle) = MockClock::new();
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let mut waiter = lock.acquire().deadline_on(&handle, Duration::from_secs(5));
    drop(held);
    assert!(Probe::new().ready(&mut waiter).is_ok());
    assert!(
        clock.sleeps().is_empty(),
        "the timer is armed only by a poll that finds the wait pending"
    );
}

// ---------------------------------------------------------------------------------------
// Exact deadlines on the mock clock.

#[test]
fn mock_clock_exact_relative_timeout() {
    let (clock, handle) = MockClock::new();
    let start = clock.peek();
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut waiter = lock.acquire().deadline_on(&handle, Duration::from_secs(10));
    p.pending(&mut waiter);
    assert_eq!(clock.sleeps(), vec![start + Duration::from_secs(10)]);

    clock.advance(Duration::from_secs(10) - Duration::from_nanos(1));
    assert_eq!(p.wakes(), 0, "not a nanosecond early");
    p.pending(&mut waiter);
    clock.advance(Duration::from_nanos(1));
    assert_eq!(p.wakes(), 1, "woken by the timer at the deadline");
    let err: Timeout = p.ready(&mut waiter).unwrap_err();
    assert_eq!(err.to_string(), "Timeout");
    assert_eq!(clock.sleeps().len(), 1, "one timer per wait");

    assert!(lock.locked(), "the timeout changed nothing");
    drop(held);
    assert!(!lock.locked(), "and absorbed no release");
}

#[test]
fn mock_clock_relative_deadline_is_resolved_when_set() {
    let (clock, handle) = MockClock::new();
    let start = clock.peek();
    let cond = Condition::new();
    let mut wait = cond.wait().deadline_on(&handle, Duration::from_secs(10));
    clock.advance(Duration::from_secs(4)); // before the first poll
    let p = Probe::new();
    p.pending(&mut wait);
    assert_eq!(clock.sleeps(), vec![start + Duration::from_secs(10)]);
    clock.advance(Duration::from_secs(6));
    assert_eq!(p.ready(&mut wait), Err(Timeout::default()));
}

#[test]
fn mock_clock_absolute_deadline() {
    let (clock, handle) = MockClock::new();
    let at = clock.peek() + Duration::from_secs(3);
    let event = Event::new();
    let p = Probe::new();
    let mut wait = event.wait().deadline_on(&handle, at);
    p.pending(&mut wait);
    assert_eq!(clock.sleeps(), vec![at]);
    clock.advance(Duration::from_secs(2));
    p.pending(&mut wait);
    clock.advance(Duration::from_secs(1));
    assert!(p.ready(&mut wait).is_err());
    assert_eq!(event.waiters(), 0, "the timed-out waiter left the line");
}

#[test]
fn mock_clock_deadline_never_never_fires() {
    let (clock, handle) = MockClock::new();
    let sem = Semaphore::new(0);
    let p = Probe::new();
    let mut acquire = sem.acquire().deadline_on(&handle, Deadline::NEVER);
    p.pending(&mut acquire);
    clock.advance(Duration::from_secs(1_000_000));
    p.pending(&mut acquire);
    assert_eq!(clock.now_calls(), 0);
    assert!(clock.sleeps().is_empty());
    sem.release();
    assert_eq!(p.wakes(), 1);
    assert!(p.ready(&mut acquire).is_ok());
}

#[test]
fn mock_clock_handoff_after_the_timer_fired_but_before_the_poll_wins() {
    let (clock, handle) = MockClock::new();
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut waiter = lock.acquire().deadline_on(&handle, Duration::from_secs(5));
    p.pending(&mut waiter);
    clock.advance(Duration::from_secs(6)); // the timer fired...
    drop(held); // ...but the lock is handed over before the wait sees it
    let g = p
        .ready(&mut waiter)
        .expect("the hand-off wins over the deadline");
    assert!(lock.locked());
    drop(g);
    assert!(!lock.locked());
}

#[test]
fn mock_clock_timed_out_waiter_in_the_middle_is_skipped() {
    let (clock, handle) = MockClock::new();
    let sem = Semaphore::new(0);
    let (pa, pb, pc) = (Probe::new(), Probe::new(), Probe::new());
    let mut a = sem.acquire().deadline_on(&handle, Duration::from_secs(10));
    let mut b = sem.acquire().deadline_on(&handle, Duration::from_secs(1));
    let mut c = sem.acquire().deadline_on(&handle, Duration::from_secs(10));
    pa.pending(&mut a);
    pb.pending(&mut b);
    pc.pending(&mut c);
    clock.advance(Duration::from_secs(1));
    assert_eq!((pa.wakes(), pb.wakes(), pc.wakes()), (0, 1, 0));
    assert!(pb.ready(&mut b).is_err());
    sem.release();
    sem.release();
    assert_eq!((pa.wakes(), pc.wakes()), (1, 1));
    let (ga, gc) = (pa.ready(&mut a), pc.ready(&mut c));
    assert!(ga.is_ok() && gc.is_ok());
    assert_eq!(sem.counter(), 0);
}

#[test]
fn mock_clock_timed_out_writer_returns_its_tokens_to_the_line() {
    let (clock, handle) = MockClock::new();
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let (pw, pr) = (Probe::new(), Probe::new());
    let mut w = rw
        .acquire_write()
        .deadline_on(&handle, Duration::from_secs(1));
    let mut r2 = rw.acquire_read();
    pw.pending(&mut w);
    pr.pending(&mut r2);
    clock.advance(Duration::from_secs(1));
    assert!(pw.ready(&mut w).is_err());
    assert_eq!(
        pr.wakes(),
        1,
        "the reader behind the writer gets a returned token"
    );
    let g2 = pr.ready(&mut r2);
    assert!(!rw.locked(), "one token is free again");
    drop((r1, g2));
    assert!(rw.try_acquire_write().is_some(), "no token leaked");
}

#[test]
fn mock_clock_condition_timeouts_do_not_count_against_notify() {
    let (clock, handle) = MockClock::new();
    let cond = Condition::new();
    let (p0, p1, p2) = (Probe::new(), Probe::new(), Probe::new());
    let mut w0 = cond.wait();
    let mut w1 = cond.wait().deadline_on(&handle, Duration::from_millis(10));
    let mut w2 = cond.wait();
    p0.pending(&mut w0);
    p1.pending(&mut w1);
    p2.pending(&mut w2);
    clock.advance(Duration::from_millis(10));
    assert!(p1.ready(&mut w1).is_err());
    cond.notify(2);
    assert_eq!((p0.wakes(), p2.wakes()), (1, 1));
    p0.ready(&mut w0);
    p2.ready(&mut w2);
}

#[test]
fn mock_clock_async_result_timeout_then_set() {
    let (clock, handle) = MockClock::new();
    let result = AsyncResult::new();
    let p = Probe::new();
    let mut timed = result.get().deadline_on(&handle, Duration::from_secs(1));
    let mut plain = result.get();
    p.pending(&mut timed);
    Probe::new().pending(&mut plain);
    clock.advance(Duration::from_secs(1));
    assert!(p.ready(&mut timed).is_err());
    result.set(9).unwrap();
    assert_eq!(Probe::new().ready(&mut plain), &9);
}

#[test]
fn entered_handle_is_used_by_deadline() {
    let (clock, handle) = MockClock::new();
    let _entered = handle.enter();
    assert_eq!(LoopHandle::current().name(), "mock");
    assert_eq!(toro::now(), clock.peek());
    let lock = Lock::new();
    let _held = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut waiter = lock.acquire().deadline(Duration::from_secs(2));
    p.pending(&mut waiter);
    assert_eq!(clock.sleeps(), vec![clock.peek() + Duration::from_secs(2)]);
    clock.advance(Duration::from_secs(2));
    assert!(p.ready(&mut waiter).is_err());
}

#[test]
fn deadline_ext_gives_any_future_an_exact_deadline() {
    let (clock, handle) = MockClock::new();
    let p = Probe::new();
    let mut never = std::future::pending::<u8>().deadline_on(&handle, Duration::from_secs(3));
    p.pending(&mut never);
    clock.advance(Duration::from_secs(2));
    p.pending(&mut never);
    clock.advance(Duration::from_secs(1));
    assert_eq!(p.ready(&mut never), Err(Timeout::default()));
}

// ---------------------------------------------------------------------------------------
// The Timeout error.

#[test]
fn timeout_error() {
    fn is_error<E: std::error::Error + Send + Sync + Clone + PartialEq + 'static>() {}
    is_error::<Timeout>();
    is_error::<Timeout<String>>();
    let t: Timeout = Timeout::default();
    assert_eq!(t.to_string(), "Timeout");
    assert_eq!(Timeout::new("item").into_inner(), "item");
    assert_eq!(Timeout::new(vec![1, 2]).to_string(), "Timeout");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Timeout::new(3u8));
    assert_eq!(boxed.to_string(), "Timeout");
}

#[test]
fn timed_out_waits_carry_unit() {
    let lock = Lock::new();
    let _held = lock.try_acquire().unwrap();
    let mut w = lock.acquire().deadline(Duration::ZERO);
    let err: Timeout<()> = Probe::new().ready(&mut w).unwrap_err();
    err.into_inner();
}

// ---------------------------------------------------------------------------------------
// Real clocks: only that a short deadline fires, with generous bounds.

#[test]
fn runtime_free_short_deadline_fires_under_any_executor() {
    let lock = Lock::new();
    let _held = lock.try_acquire().unwrap();
    let start = Instant::now();
    let out = futures::executor::block_on(lock.acquire().deadline(Duration::from_millis(20)));
    assert!(out.is_err());
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");

    let cond = Condition::new();
    let out = toro::block_on(cond.wait().deadline(Duration::from_millis(5)));
    assert!(out.is_err());
    assert_eq!(cond.waiters(), 0);
}

// ---------------------------------------------------------------------------------------
// tokio's paused clock (facade feature `tokio`).

#[cfg(feature = "tokio")]
mod paused_tokio {
    use super::*;
    use std::sync::Arc;
    use tokio::time::Instant as TokioInstant;

    #[tokio::test(start_paused = true)]
    async fn detected_tokio_clock_gives_exact_timeouts() {
        assert_eq!(LoopHandle::current().name(), "tokio");
        assert_eq!(toro::now(), TokioInstant::now().into_std());
        let lock = Lock::new();
        let _held = lock.acquire().await;
        let start = TokioInstant::now();
        let out = lock.acquire().deadline(Duration::from_secs(60)).await;
        assert!(out.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        assert!(lock.locked());
    }

    #[tokio::test(start_paused = true)]
    async fn explicit_tokio_handle_with_an_absolute_deadline() {
        let handle = toro::tokio::handle();
        assert_eq!(handle.name(), "tokio");
        let start = TokioInstant::now();
        let at = handle.now() + Duration::from_millis(1500);
        let cond = Condition::new();
        let out = cond.wait().deadline_on(&handle, at).await;
        assert_eq!(out, Err(Timeout::default()));
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
        assert_eq!(cond.waiters(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn handoff_before_the_deadline_wins_at_the_handoff_time() {
        let sem = Arc::new(Semaphore::new(0));
        let start = TokioInstant::now();
        let releaser = {
            let sem = sem.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                sem.release();
            })
        };
        let got = sem.acquire().deadline(Duration::from_secs(60)).await;
        assert!(got.is_ok());
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert_eq!(sem.counter(), 0, "the token was handed over, not counted");
        drop(got);
        releaser.await.unwrap();
        assert_eq!(sem.counter(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn each_waiter_times_out_at_its_own_deadline() {
        let event = Arc::new(Event::new());
        let start = TokioInstant::now();
        let mut tasks = Vec::new();
        for secs in [3u64, 1, 2] {
            let event = event.clone();
            tasks.push(tokio::spawn(async move {
                let out = event.wait().deadline(Duration::from_secs(secs)).await;
                (secs, out.is_err(), start.elapsed())
            }));
        }
        for task in tasks {
            let (secs, timed_out, elapsed) = task.await.unwrap();
            assert!(timed_out);
            assert_eq!(elapsed, Duration::from_secs(secs));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn paused_writer_timeout_gives_back_its_tokens() {
        let rw = RwLock::new(3);
        let reader = rw.acquire_read().await;
        let start = TokioInstant::now();
        let out = rw.acquire_write().deadline(Duration::from_secs(5)).await;
        assert!(out.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert!(!rw.locked());
        drop(reader);
        assert!(rw.try_acquire_write().is_some());
    }

    /// A `Deadlined` kept alive in a `select!` loop (polled through `&mut`): at its
    /// deadline, exactly, it returns `Err(Timeout)` and the wait inside has left the line,
    /// though the `Deadlined` itself lives on.
    #[tokio::test(start_paused = true)]
    async fn deadlined_in_a_select_loop_leaves_the_line_at_its_deadline() {
        let sem = Semaphore::new(0);
        let start = TokioInstant::now();
        let mut timed =
            std::pin::pin!(DeadlineExt::deadline(sem.acquire(), Duration::from_secs(5)));
        let mut ticks = 0;
        let out = loop {
            tokio::select! {
                biased;
                out = &mut timed => break out,
                () = tokio::time::sleep(Duration::from_secs(1)) => ticks += 1,
            }
        };
        assert!(out.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(ticks, 4);
        // `timed` still lives; a newer waiter is first in line now.
        let newer = sem.acquire();
        sem.release();
        assert!(newer.deadline(Duration::ZERO).await.is_ok());
        assert_eq!(sem.counter(), 1, "the guard was dropped: the token is back");
        assert!(format!("{:?}", timed.as_ref().get_ref()).contains("timed out"));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_ext_on_the_paused_clock() {
        let start = TokioInstant::now();
        let out = tokio::time::sleep(Duration::from_secs(10))
            .deadline(Duration::from_secs(4))
            .await;
        assert_eq!(out, Err(Timeout::default()));
        assert_eq!(start.elapsed(), Duration::from_secs(4));
        let out = async { 1 }.deadline(Duration::ZERO).await;
        assert_eq!(out, Ok(1));
    }
}
