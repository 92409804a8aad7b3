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

use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use toro::{
    BoundedSemaphore, Condition, Event, Lock, NotLocked, Queue, RwLock, Semaphore, TooManyReleases,
};

mod support;
use support::{expired_clock, Probe};

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
