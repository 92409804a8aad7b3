//! `.block()`: every wait from a plain thread. The same wait as when awaited (its place in
//! line, FIFO hand-off, deadline rules, what a timeout hands back), parking the thread; a
//! clear panic on a thread that drives async tasks; items crossing between threads and
//! tasks counted exactly once.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use toro::{Condition, Event, Lock, ManualClock, Queue, RwLock, Semaphore, Timeout};

mod support;
use support::panic_message;

/// Spins (yielding) until `cond` holds: a blocked thread has joined its line.
fn until(cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(10), "gave up waiting");
        thread::yield_now();
    }
}

#[test]
fn a_ready_wait_blocks_not_at_all() {
    let lock = Lock::with_value(1);
    assert_eq!(*lock.acquire().block(), 1);
    let sem = Semaphore::new(2);
    assert_eq!(sem.acquire_many(2).block().tokens(), 2);
    let queue = Queue::new(1);
    queue.put('a').block();
    assert_eq!(queue.get().block(), 'a');
}

#[test]
fn blocked_threads_keep_their_place_in_line() {
    let lock = Arc::new(Lock::new());
    let order = Arc::new(Mutex::new(Vec::new()));
    let held = lock.try_acquire().unwrap();
    let threads: Vec<_> = (0..3)
        .map(|id| {
            let (mine, order) = (Arc::clone(&lock), Arc::clone(&order));
            let t = thread::spawn(move || {
                let lock = mine;
                let _guard = lock.acquire().block();
                order.lock().unwrap().push(id);
            });
            // The next thread joins only once this one stands in line.
            until(|| lock.waiters() == id + 1);
            t
        })
        .collect();
    // Nobody barges in on a blocked thread's place.
    assert!(lock.try_acquire().is_none());
    drop(held);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
}

#[test]
fn a_release_hands_straight_to_the_blocked_thread() {
    let sem = Arc::new(Semaphore::new(0));
    let waiter = {
        let sem = Arc::clone(&sem);
        // The guard comes back with the thread: the token stays taken until then.
        thread::spawn(move || sem.acquire_owned().block())
    };
    until(|| sem.waiters() == 1);
    sem.release();
    // Handed inside `release`: the counter never shows the token.
    assert_eq!(sem.counter(), 0);
    let guard = waiter.join().unwrap();
    assert_eq!((guard.tokens(), sem.counter()), (1, 0));
    drop(guard);
    assert_eq!(sem.counter(), 1);
}

#[test]
fn a_timed_out_put_hands_its_item_back() {
    let queue = Queue::new(1);
    queue.put(1).block();
    let started = Instant::now();
    let timed_out = queue.put(2).deadline(Duration::from_millis(20)).block();
    assert_eq!(timed_out.unwrap_err().into_inner(), 2);
    assert!(started.elapsed() >= Duration::from_millis(20));
    // It left the line and the buffer: only the first item is there.
    assert_eq!(queue.putters(), 0);
    assert_eq!(queue.get_nowait(), Ok(1));
    assert!(queue.is_empty());
}

#[test]
fn ready_wins_over_an_expired_deadline() {
    let event = Event::new();
    event.set();
    assert!(event.wait().deadline(Duration::ZERO).block().is_ok());
    let rw = RwLock::with_value(5, 2);
    assert_eq!(
        *rw.acquire_read().deadline(Duration::ZERO).block().unwrap(),
        5
    );
}

#[test]
fn a_hand_off_before_the_deadline_wins() {
    let lock = Arc::new(Lock::with_value(0));
    let held = lock.try_acquire().unwrap();
    let waiter = {
        let lock = Arc::clone(&lock);
        thread::spawn(move || {
            lock.acquire()
                .deadline(Duration::from_secs(30))
                .block()
                .map(|mut guard| {
                    *guard += 1;
                })
        })
    };
    until(|| lock.waiters() == 1);
    drop(held);
    assert_eq!(waiter.join().unwrap(), Ok(()));
    assert_eq!(*lock.try_acquire().unwrap(), 1);
}

#[test]
fn a_blocked_deadline_fires_exactly_on_a_manual_clock() {
    let clock = ManualClock::new();
    let cond = Arc::new(Condition::new());
    let waiter = {
        let (cond, handle) = (Arc::clone(&cond), clock.handle());
        thread::spawn(move || {
            let _entered = handle.enter();
            cond.wait().deadline(Duration::from_secs(5)).block()
        })
    };
    until(|| clock.sleepers() == 1);
    clock.advance(Duration::from_millis(4_999));
    // Still waiting: a wrong clock would have fired by now or never.
    thread::sleep(Duration::from_millis(20));
    assert!(!waiter.is_finished());
    assert_eq!(cond.waiters(), 1);
    clock.advance(Duration::from_millis(1));
    assert_eq!(waiter.join().unwrap(), Err(Timeout::new(())));
    assert_eq!(cond.waiters(), 0, "the timed-out wait left the line");
}

#[test]
fn block_inside_block_on_panics_with_a_reason() {
    let lock = Lock::new();
    let message = panic_message(|| {
        toro::block_on(async {
            let _guard = lock.acquire().block();
        });
    });
    assert!(
        message.contains("`.block()` inside a future that `toro::block_on` drives"),
        "{message}"
    );
    // The panic left nothing behind: the lock is free, and blocking is fine again.
    drop(lock.acquire().block());
}

#[cfg(feature = "tokio")]
mod on_tokio {
    use super::*;

    #[test]
    fn block_on_a_runtime_worker_panics_and_takes_nothing() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let sem = Semaphore::new(1);
        let message = panic_message(|| {
            rt.block_on(async {
                let _permit = sem.acquire().block();
            });
        });
        assert!(
            message.contains("Cannot start a runtime from within a runtime"),
            "{message}"
        );
        // The acquire took the token at the call (eagerly); the panic dropped it, and the
        // token came back.
        assert_eq!(sem.counter(), 1);
    }

    #[test]
    fn block_in_spawn_blocking_waits_for_a_task() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let lock = Arc::new(Lock::with_value(Vec::new()));
            let held = lock.acquire().await;
            let blocked = {
                let lock = Arc::clone(&lock);
                tokio::task::spawn_blocking(move || lock.acquire().block().push("thread"))
            };
            while lock.waiters() == 0 {
                tokio::task::yield_now().await;
            }
            drop(held);
            blocked.await.unwrap();
            lock.acquire().await.push("task");
            assert_eq!(*lock.acquire().await, ["thread", "task"]);
        });
    }

    /// Threads put with `.block()`, tasks get with `.await`, and back: every item crosses
    /// exactly once, each producer's items in order.
    #[test]
    fn threads_and_tasks_hand_items_over_exactly_once() {
        const THREADS: usize = 4;
        const EACH: usize = 2_000;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let to_tasks = Arc::new(Queue::new(8));
        let to_threads = Arc::new(Queue::new(8));
        let producers: Vec<_> = (0..THREADS)
            .map(|t| {
                let queue = Arc::clone(&to_tasks);
                thread::spawn(move || {
                    for i in 0..EACH {
                        queue.put((t, i)).block();
                    }
                })
            })
            .collect();
        // Two tasks move every item from one queue to the other.
        let movers: Vec<_> = (0..2)
            .map(|_| {
                let (from, to) = (Arc::clone(&to_tasks), Arc::clone(&to_threads));
                rt.spawn(async move {
                    while let Ok(item) = from.recv().await {
                        to.put(item).await;
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&to_threads);
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Ok(item) = queue.recv().block() {
                        got.push(item);
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        to_tasks.shutdown();
        rt.block_on(async {
            for m in movers {
                m.await.unwrap();
            }
        });
        to_threads.shutdown();
        let mut seen = vec![Vec::new(); THREADS];
        for c in consumers {
            for (t, i) in c.join().unwrap() {
                seen[t].push(i);
            }
        }
        for got in &mut seen {
            got.sort_unstable();
            assert_eq!(
                *got,
                (0..EACH).collect::<Vec<_>>(),
                "each item exactly once"
            );
        }
    }
}
