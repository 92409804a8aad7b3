//! Regression tests for defects that peers shipped (and that toro must never have), and
//! for the ones these tests found in toro itself.
//!
//! - async-lock#18: two releases in a row woke one waiter (`notify` instead of
//!   `notify_additional`): the second token sat unused while a waiter slept.
//! - toro (Python): an `RWLock` writer that timed out kept the tokens it had claimed.
//! - flume: a `send_timeout` that timed out while a receiver took the slot lost the item.
//! - event-listener users: a waiter dropped after it was handed the resource took the
//!   resource with it, and a listener that was woken but never polled again blocked the
//!   others behind it.
//! - toro-core: a grant given back by a dropped future passed the primitive's bound (a
//!   `Lock` with two tokens, a `BoundedSemaphore` over its value).
//!
//! Most tests poll by hand with wakers that count, and time out on a mock clock whose
//! deadlines have all passed, so nothing depends on timing; the threaded ones only check
//! what was delivered, never how fast.

use std::sync::{Arc, mpsc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use toro::{
    BoundedSemaphore, Condition, Event, Lock, NotLocked, Queue, RwLock, Semaphore, TooManyReleases,
};

mod support;
use support::{Probe, expired_clock, panic_message};

// ---------------------------------------------------------------------------------------
// Harness: a `Probe` stands for one waiting task; `expired_clock` (both in `support`).

/// Runs `f` on a thread and fails the test (instead of hanging) if it does not finish.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what}: still running after 30 s (a lost wake-up?)"))
}

// ---------------------------------------------------------------------------------------
// async-lock#18: every release wakes a distinct waiter

#[test]
fn two_releases_in_a_row_wake_two_semaphore_waiters() {
    let sem = Semaphore::new(0);
    let (a, b) = (Probe::new(), Probe::new());
    let mut first = sem.acquire();
    let mut second = sem.acquire();
    assert!(a.poll(&mut first).is_pending());
    assert!(b.poll(&mut second).is_pending());

    sem.release();
    sem.release();

    assert_eq!(
        (a.wakes(), b.wakes()),
        (1, 1),
        "each release wakes its own waiter"
    );
    assert_eq!(
        sem.counter(),
        0,
        "both tokens were handed over, none left in the counter"
    );
    assert!(a.poll(&mut first).is_ready());
    assert!(b.poll(&mut second).is_ready());
}

#[test]
fn two_releases_in_a_row_wake_two_bounded_semaphore_waiters() {
    let sem = BoundedSemaphore::new(2);
    sem.try_acquire().unwrap().forget();
    sem.try_acquire().unwrap().forget();
    let (a, b) = (Probe::new(), Probe::new());
    let mut first = sem.acquire();
    let mut second = sem.acquire();
    assert!(a.poll(&mut first).is_pending());
    assert!(b.poll(&mut second).is_pending());

    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.release(), Ok(()));

    assert_eq!((a.wakes(), b.wakes()), (1, 1));
    let guards = (a.poll(&mut first), b.poll(&mut second));
    assert!(guards.0.is_ready() && guards.1.is_ready());
    drop(guards);
    assert_eq!(sem.counter(), 2);
    assert_eq!(sem.release(), Err(TooManyReleases));
}

#[test]
fn two_puts_in_a_row_wake_two_getters() {
    let queue = Queue::new(0);
    let (a, b) = (Probe::new(), Probe::new());
    let mut first = queue.get();
    let mut second = queue.get();
    assert!(a.poll(&mut first).is_pending());
    assert!(b.poll(&mut second).is_pending());

    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();

    assert_eq!((a.wakes(), b.wakes()), (1, 1));
    assert_eq!(a.poll(&mut first), Poll::Ready(1));
    assert_eq!(b.poll(&mut second), Poll::Ready(2));
}

#[test]
fn one_write_release_wakes_every_reader_it_admits() {
    let rw = RwLock::new(2);
    let writer = rw.try_acquire_write().unwrap();
    let (a, b) = (Probe::new(), Probe::new());
    let mut first = rw.acquire_read();
    let mut second = rw.acquire_read();
    assert!(a.poll(&mut first).is_pending());
    assert!(b.poll(&mut second).is_pending());

    drop(writer);

    assert_eq!((a.wakes(), b.wakes()), (1, 1));
    assert!(a.poll(&mut first).is_ready());
    assert!(b.poll(&mut second).is_ready());
}

/// The same on OS threads: two blocked acquirers, two releases, both get through.
#[test]
fn two_releases_in_a_row_release_two_blocked_threads() {
    for _ in 0..200 {
        let sem = Arc::new(Semaphore::new(0));
        let (ready_tx, ready_rx) = mpsc::channel();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (sem, ready_tx) = (sem.clone(), ready_tx.clone());
                thread::spawn(move || {
                    let acquire = sem.acquire();
                    ready_tx.send(()).unwrap();
                    toro::block_on(acquire).forget();
                })
            })
            .collect();
        ready_rx.recv().unwrap();
        ready_rx.recv().unwrap();
        sem.release();
        sem.release();
        within("two blocked acquirers", move || {
            for waiter in waiters {
                waiter.join().unwrap();
            }
        });
        assert_eq!(sem.counter(), 0);
    }
}

// ---------------------------------------------------------------------------------------
// toro's RWLock bug: a timed-out writer kept its tokens

#[test]
fn timed_out_writer_gives_back_the_tokens_it_claimed() {
    let clock = expired_clock();
    let rw = RwLock::new(3);
    let reader = rw.try_acquire_read().unwrap();
    let writer = rw.acquire_write(); // claims the two free tokens at the call
    assert!(rw.locked());

    let result = Probe::new().poll(&mut writer.deadline_on(&clock, Duration::ZERO));
    assert!(
        matches!(result, Poll::Ready(Err(_))),
        "the writer must time out"
    );

    assert!(!rw.locked(), "the two claimed tokens are free again");
    assert!(rw.try_acquire_read().is_some());
    drop(reader);
    assert!(rw.try_acquire_write().is_some(), "every token is back");
}

#[test]
fn timed_out_writer_hands_its_tokens_to_the_reader_behind_it() {
    let clock = expired_clock();
    let rw = RwLock::new(2);
    let r1 = rw.try_acquire_read().unwrap();
    let r2 = rw.try_acquire_read().unwrap();
    let writer = rw.acquire_write();
    let reader_task = Probe::new();
    let mut reader = rw.acquire_read(); // queued behind the writer
    assert!(reader_task.poll(&mut reader).is_pending());

    drop(r1); // the writer now holds one token and waits for the other
    assert!(
        reader_task.poll(&mut reader).is_pending(),
        "no barging past the writer"
    );

    let result = Probe::new().poll(&mut writer.deadline_on(&clock, Duration::ZERO));
    assert!(matches!(result, Poll::Ready(Err(_))));
    assert_eq!(
        reader_task.wakes(),
        1,
        "the writer's token went on to the reader"
    );
    let Poll::Ready(r3) = reader_task.poll(&mut reader) else {
        panic!("the reader behind the timed-out writer must be admitted");
    };

    drop((r2, r3));
    assert!(rw.try_acquire_write().is_some(), "no token leaked");
}

#[test]
fn dropped_writer_gives_back_the_tokens_it_claimed() {
    let rw = RwLock::new(4);
    let reader = rw.try_acquire_read().unwrap();
    let writer = rw.acquire_write();
    assert!(rw.locked());
    drop(writer);
    assert!(!rw.locked());
    drop(reader);
    assert!(rw.try_acquire_write().is_some());
}

// ---------------------------------------------------------------------------------------
// flume: a timed-out send lost its item

#[test]
fn timed_out_put_returns_its_item() {
    let clock = expired_clock();
    let queue = Queue::new(1);
    queue.put_nowait("kept").unwrap();
    let result = Probe::new().poll(&mut queue.put("returned").deadline_on(&clock, Duration::ZERO));
    let Poll::Ready(Err(timeout)) = result else {
        panic!("a put on a full queue must time out");
    };
    assert_eq!(timeout.into_inner(), "returned");
    assert_eq!(queue.qsize(), 1);
    assert_eq!(queue.get_nowait(), Ok("kept"));
    assert!(queue.empty(), "the timed-out item did not sneak in");
}

#[test]
fn put_admitted_before_its_deadline_is_observed_succeeds() {
    let clock = expired_clock();
    let queue = Queue::with_items(1, [1]);
    let mut put = queue.put(2).deadline_on(&clock, Duration::ZERO);
    assert_eq!(queue.get_nowait(), Ok(1), "the get admits the blocked put");
    assert_eq!(
        Probe::new().poll(&mut put),
        Poll::Ready(Ok(())),
        "ready wins: the item is in, not handed back"
    );
    assert_eq!(queue.get_nowait(), Ok(2));
}

/// Producers retry each timed-out put with the item the timeout hands back; a consumer
/// takes everything. Every item arrives exactly once and in order, however the deadlines
/// and the gets interleave.
#[test]
fn timed_out_puts_lose_nothing_across_threads() {
    const ITEMS: u32 = 2_000;
    let queue = Arc::new(Queue::new(1));
    let producer = {
        let queue = queue.clone();
        thread::spawn(move || {
            let mut timeouts = 0u32;
            for mut item in 0..ITEMS {
                loop {
                    let deadline = Duration::from_micros(u64::from(item % 3) * 20);
                    match toro::block_on(queue.put(item).deadline(deadline)) {
                        Ok(()) => break,
                        Err(timeout) => {
                            timeouts += 1;
                            item = timeout.into_inner();
                        }
                    }
                }
            }
            timeouts
        })
    };
    let received = within("the consumer", move || {
        (0..ITEMS)
            .map(|_| toro::block_on(queue.get()))
            .collect::<Vec<_>>()
    });
    let _timeouts = producer.join().unwrap();
    assert_eq!(received, (0..ITEMS).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// A waiter dropped after a hand-off passes it on

#[test]
fn lock_waiter_dropped_after_hand_off_passes_the_lock_on() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    let (a, b) = (Probe::new(), Probe::new());
    let mut first = lock.acquire();
    let mut second = lock.acquire();
    assert!(a.poll(&mut first).is_pending());
    assert!(b.poll(&mut second).is_pending());

    drop(guard); // handed to `first`
    assert_eq!(a.wakes(), 1);
    drop(first); // ... which never takes it
    assert_eq!(b.wakes(), 1, "the lock went on to the next waiter");
    assert!(lock.locked());
    assert!(b.poll(&mut second).is_ready());
}

#[test]
fn semaphore_waiter_dropped_after_hand_off_passes_the_token_on() {
    let sem = Semaphore::new(0);
    let b = Probe::new();
    let first = sem.acquire();
    let mut second = sem.acquire();
    assert!(b.poll(&mut second).is_pending());
    sem.release();
    drop(first);
    assert_eq!(b.wakes(), 1);
    assert_eq!(sem.counter(), 0);
    assert!(b.poll(&mut second).is_ready());
}

#[test]
fn reader_dropped_after_hand_off_passes_the_token_on() {
    let rw = RwLock::new(1);
    let writer = rw.try_acquire_write().unwrap();
    let b = Probe::new();
    let first = rw.acquire_read();
    let mut second = rw.acquire_read();
    assert!(b.poll(&mut second).is_pending());
    drop(writer);
    drop(first);
    assert_eq!(b.wakes(), 1);
    assert!(b.poll(&mut second).is_ready());
}

#[test]
fn getter_dropped_after_hand_off_passes_the_item_on() {
    let queue = Queue::new(0);
    let b = Probe::new();
    let first = queue.get();
    let mut second = queue.get();
    assert!(b.poll(&mut second).is_pending());
    queue.put_nowait("item").unwrap();
    drop(first);
    assert_eq!(b.wakes(), 1);
    assert_eq!(b.poll(&mut second), Poll::Ready("item"));
}

#[test]
fn getter_dropped_after_hand_off_with_nobody_behind_puts_the_item_back_first() {
    let queue = Queue::new(0);
    let first = queue.get();
    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    drop(first);
    assert_eq!(queue.get_nowait(), Ok(1), "the returned item is next out");
    assert_eq!(queue.get_nowait(), Ok(2));
}

#[test]
fn notified_waiter_dropped_passes_the_notification_on() {
    let cond = Condition::new();
    let b = Probe::new();
    let first = cond.wait();
    let mut second = cond.wait();
    assert!(b.poll(&mut second).is_pending());
    cond.notify(1);
    drop(first);
    assert_eq!(b.wakes(), 1);
    assert!(b.poll(&mut second).is_ready());
    assert_eq!(cond.waiters(), 0);
}

/// A future dropped after the eager fast path gave it a token or an item, before it was
/// ever polled, gives that back too.
#[test]
fn future_granted_at_the_call_and_dropped_unpolled_gives_back() {
    let lock = Lock::new();
    drop(lock.acquire());
    assert!(!lock.locked());

    let queue = Queue::with_items(0, [1, 2]);
    drop(queue.get());
    assert_eq!(queue.get_nowait(), Ok(1));
}

// ---------------------------------------------------------------------------------------
// A listener woken but never polled again must not block the others once dropped

#[test]
fn woken_lock_waiter_never_polled_again_then_dropped_does_not_block_the_line() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    let tasks: Vec<Probe> = (0..3).map(|_| Probe::new()).collect();
    let mut waiters: Vec<_> = (0..3).map(|_| lock.acquire()).collect();
    for (task, waiter) in tasks.iter().zip(&mut waiters) {
        assert!(task.poll(waiter).is_pending());
    }

    drop(guard);
    assert_eq!(tasks[0].wakes(), 1, "woken; its task never polls it again");
    // While it sits on the grant, nobody barges: newcomers queue.
    assert!(lock.locked());
    assert!(lock.try_acquire().is_none());

    let abandoned = waiters.remove(0);
    drop(abandoned);
    assert_eq!(tasks[1].wakes(), 1, "the next waiter is woken");
    assert_eq!(tasks[2].wakes(), 0, "and only the next");
    let Poll::Ready(guard) = tasks[1].poll(&mut waiters[0]) else {
        panic!("the next waiter must hold the lock");
    };
    drop(guard);
    assert_eq!(tasks[2].wakes(), 1);
    assert!(tasks[2].poll(&mut waiters[1]).is_ready());
}

#[test]
fn woken_event_waiter_never_polled_again_does_not_block_the_others() {
    let event = Event::new();
    let tasks: Vec<Probe> = (0..3).map(|_| Probe::new()).collect();
    let mut waiters: Vec<_> = (0..3).map(|_| event.wait()).collect();
    for (task, waiter) in tasks.iter().zip(&mut waiters) {
        assert!(task.poll(waiter).is_pending());
    }
    event.set();
    assert!(tasks.iter().all(|t| t.wakes() == 1));
    drop(waiters.remove(0));
    for (task, waiter) in tasks[1..].iter().zip(&mut waiters) {
        assert!(task.poll(waiter).is_ready());
    }
}

#[test]
fn woken_getter_never_polled_again_then_dropped_passes_the_item_on() {
    let queue = Queue::new(0);
    let tasks: Vec<Probe> = (0..2).map(|_| Probe::new()).collect();
    let mut getters: Vec<_> = (0..2).map(|_| queue.get()).collect();
    for (task, getter) in tasks.iter().zip(&mut getters) {
        assert!(task.poll(getter).is_pending());
    }
    queue.put_nowait('x').unwrap();
    assert_eq!(tasks[0].wakes(), 1);
    drop(getters.remove(0));
    assert_eq!(tasks[1].wakes(), 1);
    assert_eq!(tasks[1].poll(&mut getters[0]), Poll::Ready('x'));
}

/// On threads: a task whose acquire was granted gives up on it (dropped, never polled
/// again) while others wait; they all still get the lock, one at a time.
#[test]
fn abandoned_grant_does_not_stall_threads_waiting_behind_it() {
    let lock = Arc::new(Lock::new());
    let held = lock.try_acquire().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let abandoned = lock.acquire();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let (lock, ready_tx) = (lock.clone(), ready_tx.clone());
            thread::spawn(move || {
                let acquire = lock.acquire();
                ready_tx.send(()).unwrap();
                drop(toro::block_on(acquire));
            })
        })
        .collect();
    for _ in 0..3 {
        ready_rx.recv().unwrap();
    }
    drop(held); // granted to `abandoned`, which nobody polls
    drop(abandoned);
    within("waiters behind an abandoned grant", move || {
        for waiter in waiters {
            waiter.join().unwrap();
        }
    });
    assert!(!lock.locked());
}

// ---------------------------------------------------------------------------------------
// Found by these tests: a dropped grant must not pass the primitive's bound; since the
// manual release only gives back forgotten tokens, the hole cannot open at all.

/// A `Lock` has one token. A manual `release()` while an unpolled acquire holds the lock is
/// refused (no guard was forgotten), so the grant given back on drop is the only release.
#[test]
fn lock_never_holds_two_tokens_after_a_dropped_granted_acquire() {
    let lock = Lock::new();
    let acquire = lock.acquire(); // granted at the call
    assert_eq!(lock.release(), Err(NotLocked));
    assert!(lock.locked());
    drop(acquire);
    let _first = lock.try_acquire().expect("the lock is free");
    assert!(
        lock.try_acquire().is_none(),
        "two holders of one Lock: the dropped grant added a token"
    );
}

/// The same through the line: the release of a forgotten guard hands the lock to a queued
/// waiter; a second release is refused, since the waiter's token was not forgotten.
#[test]
fn lock_never_holds_two_tokens_after_a_dropped_granted_waiter() {
    let lock = Lock::new();
    lock.try_acquire().unwrap().forget();
    let waiter = lock.acquire();
    assert_eq!(lock.release(), Ok(())); // to the waiter
    assert_eq!(lock.release(), Err(NotLocked)); // the waiter's grant is nobody's to free
    drop(waiter);
    let _first = lock.try_acquire().expect("the lock is free");
    assert!(lock.try_acquire().is_none(), "two holders of one Lock");
}

/// A `BoundedSemaphore` never shows more than its initial value: a manual release with
/// only a live guard out is refused, and the guard's drop hands its token on.
#[test]
fn bounded_semaphore_stays_within_its_bound_when_a_granted_waiter_is_dropped() {
    let sem = BoundedSemaphore::new(1);
    let guard = sem.try_acquire().unwrap();
    let waiter = sem.acquire();
    assert_eq!(sem.release(), Err(TooManyReleases)); // the guard still holds its token
    drop(guard); // to the waiter
    assert_eq!(sem.counter(), 0);
    drop(waiter);
    assert_eq!(sem.counter(), 1, "a BoundedSemaphore(1) past its bound");
}

// ---------------------------------------------------------------------------------------
// Deadlines never panic for want of a timer or a reactor

/// A tokio runtime built without `enable_time` has no timer: detection must not pick
/// tokio's clock there (its sleeps panic "timers are disabled"), but the runtime-free one.
#[cfg(feature = "tokio")]
#[test]
fn deadlines_in_a_tokio_runtime_without_timers_use_the_runtime_free_clock() {
    use toro::{DeadlineExt, LoopHandle};
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for runtime in [current_thread, multi_thread] {
        within("timed waits in a timer-less tokio runtime", move || {
            runtime.block_on(async {
                assert_eq!(LoopHandle::current().name(), "runtime-free");
                let lock = Lock::new();
                let _held = lock.acquire().await;
                let late = lock.acquire().deadline(Duration::from_millis(5)).await;
                assert!(
                    late.is_err(),
                    "the deadline fired on the runtime-free clock"
                );
                let never = std::future::pending::<()>();
                assert!(never.deadline(Duration::from_millis(5)).await.is_err());
                // On a worker (or the same thread), again: the answer is kept per runtime.
                let on_task = tokio::spawn(async {
                    let event = Event::new();
                    let waited = event.wait().deadline(Duration::from_millis(5)).await;
                    (LoopHandle::current().name(), waited.is_err())
                });
                assert_eq!(on_task.await.unwrap(), ("runtime-free", true));
            })
        });
    }
    // A runtime with a timer, on this same thread afterwards, is detected as tokio.
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    paused.block_on(async {
        assert_eq!(LoopHandle::current().name(), "tokio");
        let start = tokio::time::Instant::now();
        let cond = Condition::new();
        assert!(cond.wait().deadline(Duration::from_secs(60)).await.is_err());
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(60),
            "tokio's paused clock"
        );
    });
}

/// A deadline set inside a tokio runtime is measured on that runtime's timer, and the wait
/// may then be polled anywhere: another thread, toro's loop, smol's executor. (Its tokio
/// sleep was made at the first pending poll, and there, outside the runtime, it panicked
/// with "there is no reactor running"; tokio's own `timeout` makes its sleep at once.)
/// Polled after its runtime shut down, the wait keeps its deadline on the runtime-free
/// timer (tokio's panics then; the panic hook prints its message).
#[cfg(feature = "tokio")]
#[test]
fn a_deadline_set_inside_tokio_can_be_polled_anywhere() {
    use toro::{DeadlineExt, Timeout};
    within("deadlines polled outside their runtime", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap();
        let cond = Arc::new(Condition::new());
        let ms = Duration::from_millis;
        // Made inside the runtime, awaited outside it.
        let entered = runtime.enter();
        let wait = cond.wait().deadline(ms(20));
        let never = std::future::pending::<()>().deadline(ms(20));
        let on_smol = cond.wait().deadline(ms(20));
        let mut late = cond.wait().deadline(ms(40));
        drop(entered);
        assert_eq!(toro::block_on(wait), Err(Timeout::default()));
        let on_a_plain_thread = thread::spawn(move || toro::block_on(never));
        assert_eq!(on_a_plain_thread.join().unwrap(), Err(Timeout::default()));
        assert_eq!(smol::block_on(on_smol), Err(Timeout::default()));
        // A wait left pending on the runtime's timer, then the runtime shuts down.
        assert!(Probe::new().poll(&mut late).is_pending());
        drop(runtime);
        assert_eq!(toro::block_on(late), Err(Timeout::default()));
        assert_eq!(cond.waiters(), 0, "every timed-out wait left the line");
    });
}

/// `toro::tokio::run` (what `#[toro::main]` runs) must not make tokio's handle the process
/// default: a plain thread, or the program after `run` returned, has no tokio reactor, and
/// a timed wait there panicked with "there is no reactor running".
#[cfg(feature = "tokio")]
#[test]
fn tokio_run_leaves_plain_threads_on_the_runtime_free_clock() {
    use toro::LoopHandle;
    fn timed_wait_on_a_plain_thread() -> (&'static str, bool) {
        let cond = Condition::new();
        let waited = toro::block_on(cond.wait().deadline(Duration::from_millis(5)));
        (LoopHandle::current().name(), waited.is_err())
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = within("a timed wait on a plain thread", move || {
        toro::tokio::run(runtime, async {
            let on_worker = tokio::spawn(async { LoopHandle::current().name() });
            let plain = thread::spawn(timed_wait_on_a_plain_thread);
            (
                LoopHandle::current().name(),
                on_worker.await.unwrap(),
                plain
                    .join()
                    .expect("the plain thread's timed wait panicked"),
            )
        })
    });
    assert_eq!(seen, ("tokio", "tokio", ("runtime-free", true)));
    // After `run` returned, on another thread: no tokio default left behind.
    let after = thread::spawn(timed_wait_on_a_plain_thread).join();
    assert_eq!(
        after.expect("a timed wait after run panicked"),
        ("runtime-free", true)
    );
}

/// The smol and async-std adapters enter their handle on the thread that runs the body,
/// and set no process default either.
#[cfg(all(feature = "smol", feature = "async-std"))]
#[test]
fn smol_and_async_std_run_set_no_process_default() {
    use toro::LoopHandle;
    fn elsewhere() -> &'static str {
        thread::spawn(|| LoopHandle::current().name())
            .join()
            .unwrap()
    }
    let smol = toro::smol::run(async { (LoopHandle::current().name(), elsewhere()) });
    assert_eq!(smol, ("async-io", "runtime-free"));
    let async_std = toro::async_std::run(async { (LoopHandle::current().name(), elsewhere()) });
    assert_eq!(async_std, ("async-std", "runtime-free"));
    assert_eq!(
        LoopHandle::current().name(),
        "runtime-free",
        "nothing left entered"
    );
    assert_eq!(elsewhere(), "runtime-free", "no process default");
}

// ---------------------------------------------------------------------------------------
// A finished deadline wrapper takes nothing from anyone

/// `DeadlineExt::deadline` on a toro wait, kept alive after it timed out (as in a `select!`
/// loop over `&mut fut`): the wait inside must be gone, so the next token goes to the
/// newer waiter, and polling again must not return `Ok`.
#[test]
fn deadlined_drops_its_future_when_the_deadline_fires() {
    use toro::{DeadlineExt, Timeout};
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let expired = expired_clock();
    let old = Probe::new();
    let mut kept = DeadlineExt::deadline_on(lock.acquire(), &expired, Duration::ZERO);
    assert_eq!(old.ready(&mut kept).err(), Some(Timeout::new(())));

    let newer = Probe::new();
    let mut next = lock.acquire();
    newer.pending(&mut next);
    drop(held);
    assert_eq!(newer.wakes(), 1, "the token went to the newer waiter");
    assert_eq!(old.wakes(), 0, "not to the timed-out one");
    let guard = newer.ready(&mut next);

    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| old.poll(&mut kept)));
    let message = again.expect_err("a finished Deadlined must not complete again");
    let message = message.downcast_ref::<String>().unwrap();
    assert_eq!(message, "`Deadlined` polled after it timed out");
    assert!(lock.locked(), "the panicking poll took nothing");
    drop(guard);
    assert!(!lock.locked());
    drop(kept);
}

/// Any future: dropped inside the poll that returns `Err(Timeout)`, not later.
#[test]
fn deadlined_drops_any_future_at_the_deadline_and_after_completion() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use toro::DeadlineExt;

    struct Counted<F>(F, Arc<AtomicUsize>);
    impl<F: std::future::Future + Unpin> std::future::Future for Counted<F> {
        type Output = F::Output;
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> Poll<F::Output> {
            std::pin::Pin::new(&mut self.0).poll(cx)
        }
    }
    impl<F> Drop for Counted<F> {
        fn drop(&mut self) {
            self.1.fetch_add(1, SeqCst);
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let expired = expired_clock();
    let p = Probe::new();
    let never = Counted(std::future::pending::<()>(), drops.clone());
    let mut timed_out = never.deadline_on(&expired, Duration::ZERO);
    assert!(p.ready(&mut timed_out).is_err());
    assert_eq!(drops.load(SeqCst), 1, "dropped at the deadline");
    drop(timed_out);
    assert_eq!(drops.load(SeqCst), 1, "and only once");

    let ready = Counted(std::future::ready(7), drops.clone());
    let mut done = ready.deadline_on(&expired, Duration::from_secs(60));
    assert_eq!(p.ready(&mut done), Ok(7));
    assert_eq!(drops.load(SeqCst), 2, "dropped once it completed");
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.poll(&mut done)));
    let message = again.expect_err("a completed Deadlined must not be polled again");
    assert_eq!(
        message.downcast_ref::<String>().unwrap(),
        "`Deadlined` polled after it completed"
    );
}

/// The inherent `.deadline(d)` (`WithDeadline`): after `Err(Timeout)` it has left the line;
/// polling it again panics clearly and changes nothing.
#[test]
fn with_deadline_polled_after_it_timed_out_panics_and_takes_nothing() {
    let sem = Semaphore::new(0);
    let expired = expired_clock();
    let old = Probe::new();
    let mut kept = sem.acquire().deadline_on(&expired, Duration::ZERO);
    assert!(old.ready(&mut kept).is_err());
    let newer = Probe::new();
    let mut next = sem.acquire();
    newer.pending(&mut next);
    sem.release();
    assert_eq!((old.wakes(), newer.wakes()), (0, 1));

    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| old.poll(&mut kept)));
    let message = again.expect_err("a finished WithDeadline must not complete again");
    assert_eq!(
        message.downcast_ref::<String>().unwrap(),
        "`WithDeadline` polled after it timed out"
    );
    assert_eq!(sem.counter(), 0, "the token is still the newer waiter's");
    drop(newer.ready(&mut next));
    assert_eq!(sem.counter(), 1);
}

// ---------------------------------------------------------------------------------------
// `EnterGuard`s dropped in any order

#[test]
fn enter_guards_restore_the_handle_whatever_the_drop_order() {
    use std::time::Instant;
    use support::Expired;
    use toro::LoopHandle;
    let a = LoopHandle::new("a", Expired(Instant::now()));
    let b = LoopHandle::new("b", Expired(Instant::now()));
    let c = LoopHandle::new("c", Expired(Instant::now()));
    let name = || LoopHandle::current().name();
    let base = name();
    assert_eq!(base, "runtime-free");

    // Reverse order (nesting).
    let ga = a.enter();
    let gb = b.enter();
    assert_eq!(name(), "b");
    drop(gb);
    assert_eq!(name(), "a");
    drop(ga);
    assert_eq!(name(), base);

    // Outer first: the inner one stays current, then nothing is left entered.
    let ga = a.enter();
    let gb = b.enter();
    drop(ga);
    assert_eq!(name(), "b", "the live guard's handle stays current");
    drop(gb);
    assert_eq!(name(), base, "no handle left entered for good");

    // The middle one of three first, then the last, then the first.
    let ga = a.enter();
    let gb = b.enter();
    let gc = c.enter();
    drop(gb);
    assert_eq!(name(), "c");
    drop(gc);
    assert_eq!(name(), "a");
    drop(ga);
    assert_eq!(name(), base);
}

// ---------------------------------------------------------------------------------------
// Messages that read well

#[test]
fn debug_of_a_wait_ready_at_the_call_does_not_read_as_no_deadline() {
    let event = Event::new();
    event.set();
    let ready = event.wait().deadline(Duration::from_secs(5));
    assert_eq!(
        format!("{ready:?}"),
        "WithDeadline { wait: EventWait { waiting: false }, deadline: unneeded (ready at the call) }"
    );
    let cond = Condition::new();
    let never = cond.wait().deadline(None::<Duration>);
    assert!(
        format!("{never:?}").ends_with("deadline: never }"),
        "{never:?}"
    );

    let expired = expired_clock();
    let mut waiting = cond.wait().deadline_on(&expired, Duration::from_secs(5));
    let debug = format!("{waiting:?}");
    assert!(
        debug.contains("waiting: true") && debug.contains("deadline: at Instant"),
        "{debug}"
    );
    assert!(Probe::new().ready(&mut waiting).is_err());
    assert!(
        format!("{waiting:?}").ends_with("deadline: timed out }"),
        "{waiting:?}"
    );
}

#[test]
fn errors_debug_reads_well() {
    use toro::{AlreadySet, DeadlineExt, Timeout};
    assert_eq!(format!("{:?}", Timeout::new(())), "Timeout");
    assert_eq!(format!("{:?}", Timeout::<()>::default()), "Timeout");
    assert_eq!(format!("{:?}", Timeout::new(5u32)), "Timeout(..)");
    let expired = expired_clock();
    let timed_out =
        toro::block_on(std::future::pending::<()>().deadline_on(&expired, Duration::ZERO));
    assert_eq!(format!("{timed_out:?}"), "Err(Timeout)");
    let queue = Queue::new(1);
    queue.put_nowait("a").unwrap();
    assert_eq!(format!("{:?}", queue.put_nowait("b")), "Err(Full(..))");
    let result = toro::AsyncResult::new();
    result.set(1).unwrap();
    let again: AlreadySet<i32> = result.set(2).unwrap_err();
    assert_eq!(format!("{again:?}"), "AlreadySet(..)");
    assert_eq!(format!("{:?}", toro::NotLocked), "NotLocked");
    assert_eq!(format!("{:?}", TooManyReleases), "TooManyReleases");
}

/// The most tokens a token pool holds; every limit message names it.
const LIMIT: usize = usize::MAX / 2;

#[test]
fn rwlock_over_the_token_limit_names_the_type_and_the_limit() {
    const MESSAGE: &str = "RwLock: max_readers exceeds the limit of usize::MAX / 2 tokens";
    assert_eq!(panic_message(|| drop(RwLock::new(usize::MAX))), MESSAGE);
    assert_eq!(panic_message(|| drop(RwLock::new(LIMIT + 1))), MESSAGE);
    assert_eq!(
        panic_message(|| drop(RwLock::with_value(7, usize::MAX))),
        MESSAGE
    );
    let at_the_limit = RwLock::new(LIMIT);
    assert_eq!(at_the_limit.max_readers(), LIMIT);
    assert!(
        at_the_limit.try_acquire_write().is_some(),
        "a writer takes them all"
    );
}

#[test]
fn semaphores_over_the_token_limit_name_the_type_and_the_limit() {
    assert_eq!(
        panic_message(|| drop(BoundedSemaphore::new(usize::MAX))),
        "BoundedSemaphore::new exceeds the limit of usize::MAX / 2 tokens"
    );
    assert_eq!(
        panic_message(|| drop(BoundedSemaphore::new(LIMIT + 1))),
        "BoundedSemaphore::new exceeds the limit of usize::MAX / 2 tokens"
    );
    assert_eq!(
        panic_message(|| drop(Semaphore::new(usize::MAX))),
        "Semaphore::new exceeds the limit of usize::MAX / 2 tokens"
    );
    assert_eq!(BoundedSemaphore::new(LIMIT).counter(), LIMIT);
    assert_eq!(Semaphore::new(LIMIT).counter(), LIMIT);
}

#[test]
fn semaphore_release_past_the_token_limit_panics_and_changes_nothing() {
    let sem = Semaphore::new(LIMIT - 1);
    sem.release(); // up to the limit: fine
    assert_eq!(
        panic_message(|| sem.release()),
        "Semaphore::release: the counter would exceed usize::MAX / 2"
    );
    assert_eq!(sem.counter(), LIMIT);
    assert!(
        sem.try_acquire_many(LIMIT).is_some(),
        "every token still there"
    );
}

#[test]
fn semaphore_acquire_many_over_the_token_limit_panics_at_the_call() {
    let sem = Semaphore::new(1);
    for n in [LIMIT + 1, usize::MAX] {
        // No poll: the call itself panics, before any future exists.
        assert_eq!(
            panic_message(|| drop(sem.acquire_many(n))),
            format!(
                "Semaphore::acquire_many: {n} tokens asked, more than a semaphore can hold \
                 (usize::MAX / 2); it would wait forever"
            )
        );
    }
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { counter: 1, waiters: 0, watchers: 0, closed: false }",
        "nothing taken, nobody in line"
    );
    let full = Semaphore::new(LIMIT);
    let mut all = full.acquire_many(LIMIT);
    assert_eq!(
        Probe::new().ready(&mut all).tokens(),
        LIMIT,
        "the limit itself is fine"
    );
}

/// A `BoundedSemaphore` can never hold more than its initial value: asking for more panics
/// at the call (plain `Semaphore` waits for releases that may come).
#[test]
fn bounded_semaphore_acquire_many_above_its_bound_panics_at_the_call() {
    let sem = BoundedSemaphore::new(2);
    assert_eq!(
        panic_message(|| drop(sem.acquire_many(3))),
        "BoundedSemaphore::acquire_many: 3 tokens asked of a semaphore of 2; it would wait forever"
    );
    assert_eq!(
        panic_message(|| drop(sem.acquire_many(usize::MAX))),
        format!(
            "BoundedSemaphore::acquire_many: {} tokens asked of a semaphore of 2; it would \
             wait forever",
            usize::MAX
        )
    );
    assert_eq!(
        format!("{sem:?}"),
        "BoundedSemaphore { counter: 2, waiters: 0, watchers: 0, closed: false }",
        "nothing taken, nobody in line"
    );
    let mut both = sem.acquire_many(2);
    assert_eq!(
        Probe::new().ready(&mut both).tokens(),
        2,
        "the bound itself is fine"
    );
}

// ---------------------------------------------------------------------------------------
// Primitives and their waits stay compact. A primitive is its state word and one more: its
// waiter line (a mutex, the waiters, the grants handed over) is made when the first
// waiter has to wait, and holds the pool's bound until then, as async-lock makes its
// listeners. A map of a million locks takes 16 MB, as with async-lock. A queue keeps its
// lock-free ring's positions, three lines, the items handed to getters (so that a getter's
// place in line has no room for an item), the items given back and those behind the
// ring: 384.
// These bounds catch a field added without thought; raise them on purpose.

#[test]
fn primitives_stay_compact() {
    use std::mem::size_of;
    macro_rules! at_most {
        ($bytes:expr => $($t:ty),* $(,)?) => {$(
            assert!(size_of::<$t>() <= $bytes, "{}: {} bytes", stringify!($t), size_of::<$t>());
        )*};
    }
    at_most!(16 =>
        toro::Lock, Semaphore, BoundedSemaphore, toro::Event, toro::Condition, toro::Barrier,
    );
    at_most!(24 => toro::RwLock, toro::Lock<u64>, toro::AsyncResult<u64>);
    at_most!(392 => toro::Queue<u64>, toro::PriorityQueue<u64>, toro::JoinableQueue<u64>);
}

/// Every wait future is a few words: its state lives in the primitive. A get carries an
/// item it took at the call (inline up to three words, boxed beyond), so a waiting get is
/// small whatever the item. (A deadline adds its instant and its timer, kept inline:
/// async-io's is the largest.)
#[test]
fn wait_futures_stay_compact() {
    use std::mem::size_of;
    use toro::queue::order::{Fifo, Priority};
    macro_rules! at_most {
        ($bytes:expr => $($t:ty),* $(,)?) => {$(
            assert!(size_of::<$t>() <= $bytes, "{}: {} bytes", stringify!($t), size_of::<$t>());
        )*};
    }
    at_most!(40 =>
        toro::LockAcquire<'static>, toro::OwnedLockAcquire, toro::AcquireRead<'static>,
        toro::AcquireWrite<'static>, toro::OwnedAcquireRead, toro::OwnedAcquireWrite,
        toro::SemaphoreAcquire<'static>, toro::SemaphoreAcquireOrClosed<'static>,
        toro::SemaphoreWait<'static>, toro::ConditionWait<'static>, toro::EventWait<'static>,
        toro::BarrierWait<'static>,
        toro::AsyncResultGet<'static, u64>, toro::QueueJoin<'static, u64>,
        toro::QueuePut<'static, u64, Fifo<u64>>, toro::QueueSend<'static, u64, Fifo<u64>>,
        toro::QueuePut<'static, [u8; 1024], Fifo<[u8; 1024]>>,
    );
    at_most!(56 =>
        toro::QueueGet<'static, u64, Fifo<u64>>, toro::QueueRecv<'static, u64, Priority<u64>>,
        toro::QueueGet<'static, [u8; 1024], Fifo<[u8; 1024]>>,
        toro::QueueRecv<'static, String, Fifo<String>>,
    );
    at_most!(48 => toro::OwnedSemaphoreAcquire, toro::OwnedSemaphoreAcquireOrClosed);
    // An initialiser holds its `f`, then `f`'s future in the same place, beside its place
    // in line: toro's part is 48 bytes (here `f` is a function pointer, its future 16).
    use std::future::Ready;
    at_most!(56 =>
        toro::AsyncResultGetOrInit<'static, u64, fn() -> Ready<u64>, Ready<u64>>,
        toro::AsyncResultGetOrTryInit<'static, u64, fn() -> Ready<Result<u64, ()>>, Ready<Result<u64, ()>>>,
    );
    at_most!(48 => toro::AsyncResultGetOrInit<'static, u64, (), ()>);
    at_most!(136 =>
        toro::WithDeadline<toro::LockAcquire<'static>>,
        toro::WithDeadline<toro::QueueGet<'static, u64, Fifo<u64>>>,
    );
}

// ---------------------------------------------------------------------------------------
// Grants handed over (toro-core/src/waiters/handed.rs, `HandedOver`): a whole grant frees the waiter's entry at
// once, and the next waiter to join may stand in it. The handed-over future must never use
// its old key again: dropped, it gives its grant back through the counter, not the entry.

#[test]
fn a_handed_over_waiter_dropped_after_its_entry_was_reused_gives_its_grant_back() {
    let lock = toro::Lock::new();
    let held = lock.try_acquire().unwrap();
    let (first, second) = (Probe::new(), Probe::new());
    let mut a = lock.acquire();
    first.pending(&mut a);
    drop(held); // handed over to `a`; its entry is free
    assert_eq!(first.wakes(), 1);
    let mut b = lock.acquire(); // stands in `a`'s old entry
    second.pending(&mut b);
    assert!(lock.locked());
    drop(a); // never polled again: its grant passes to `b`
    assert_eq!(second.wakes(), 1, "the lock went to the next waiter");
    let guard = second.ready(&mut b);
    assert!(lock.try_acquire().is_none());
    drop(guard);
    assert!(!lock.locked(), "one token, back in the lock");

    // The same with a semaphore and an Event.
    let sem = Semaphore::new(0);
    let mut a = sem.acquire();
    first.pending(&mut a);
    sem.release();
    let mut b = sem.acquire();
    second.pending(&mut b);
    drop(a);
    drop(second.ready(&mut b));
    assert_eq!(sem.counter(), 1);

    let event = toro::Event::new();
    let mut a = event.wait();
    first.pending(&mut a);
    event.set();
    event.clear();
    let mut b = event.wait();
    second.pending(&mut b);
    drop(a);
    assert_eq!(event.waiters(), 1, "the newcomer still waits");
    event.set();
    second.ready(&mut b);
}
