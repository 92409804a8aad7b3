//! loom models of every primitive family's state machine.
//!
//! Run with `scripts/loom` (`RUSTFLAGS="--cfg loom"`, bounded preemptions). toro-core takes
//! every mutex and atomic from its `sync` module, which switches to `loom::sync` under
//! `--cfg loom`, so these models explore the code that ships.
//!
//! Shape of most models: the main thread holds the futures (they borrow the primitive),
//! a spawned thread makes the racing call that needs no borrow (`release`, `put_nowait`,
//! `set`, `notify`), and the end state is checked after `join`: the token is with a live
//! waiter or back in the counter, the item is delivered or still queued, nothing is lost.
//! A future left pending with nobody to wake it makes `loom::future::block_on` deadlock,
//! which loom reports: that is how a lost wake-up shows.
//!
//! Deadlines use a mock clock whose every deadline has already passed, so a
//! `.deadline_on(&mock, Duration::ZERO)` wait polled once is a give-up racing whatever the
//! other thread does.
#![cfg(loom)]

use std::time::{Duration, Instant};

use loom::future::block_on;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use toro_core::{
    AsyncResult, Barrier, BoundedSemaphore, Clock, Condition, Event, JoinableQueue, Lock,
    LoopHandle, ManualClock, PriorityQueue, Queue, RwLock, Semaphore, Sleep, TooManyReleases,
    UpgradableReadGuard,
};

/// A clock frozen at one instant whose sleeps end at once: a zero deadline has passed.
struct Expired(Instant);

impl Clock for Expired {
    fn now(&self) -> Instant {
        self.0
    }

    fn sleep_until(&self, _: Instant) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

fn expired() -> LoopHandle {
    LoopHandle::new("mock", Expired(Instant::now()))
}

/// Counts who is inside a critical section; panics on a second writer (or a reader
/// beside a writer).
struct Section {
    readers: AtomicUsize,
    writers: AtomicUsize,
}

impl Section {
    fn new() -> Self {
        Section {
            readers: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
        }
    }

    fn write(&self) {
        assert_eq!(self.writers.fetch_add(1, SeqCst), 0, "two writers inside");
        assert_eq!(self.readers.load(SeqCst), 0, "a reader beside a writer");
        thread::yield_now();
        self.writers.fetch_sub(1, SeqCst);
    }

    fn read(&self) {
        self.readers.fetch_add(1, SeqCst);
        assert_eq!(self.writers.load(SeqCst), 0, "a writer beside a reader");
        self.readers.fetch_sub(1, SeqCst);
    }
}

// ---------------------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------------------

/// A release racing the drop of the only waiter: the lock ends up free.
#[test]
fn lock_release_races_waiter_drop() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let waiter = lock.acquire();
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release().unwrap())
        };
        drop(waiter);
        releaser.join().unwrap();
        assert!(!lock.locked(), "the token was lost with the dropped waiter");
        assert!(lock.try_acquire().is_some());
    });
}

/// A release racing the drop of the first of two waiters: the second one gets the lock.
#[test]
fn lock_release_races_first_waiter_drop_second_gets_it() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let first = lock.acquire();
        let second = lock.acquire();
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release().unwrap())
        };
        drop(first);
        let guard = block_on(second);
        assert!(lock.locked());
        releaser.join().unwrap();
        drop(guard);
        assert!(!lock.locked());
    });
}

/// A hand-off racing the waiter's give-up at its deadline: either the waiter got the
/// lock (and holds it), or the lock went back to the counter.
#[test]
fn lock_handoff_races_deadline() {
    loom::model(|| {
        let mock = expired();
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let waiter = lock.acquire();
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release().unwrap())
        };
        let result = block_on(waiter.deadline_on(&mock, Duration::ZERO));
        releaser.join().unwrap();
        match result {
            Ok(guard) => {
                assert!(lock.locked());
                drop(guard);
            }
            Err(timeout) => timeout.into_inner(),
        }
        assert!(!lock.locked(), "the token was lost at the deadline");
    });
}

/// Two acquirers of a held lock on two threads, both the first to wait: both make the
/// lazily made line at once, one box wins, the other is freed; both get the lock in turn.
#[test]
fn lock_line_made_by_two_waiters_at_once() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let section = Arc::new(Section::new());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (lock, section) = (lock.clone(), section.clone());
                thread::spawn(move || {
                    let guard = block_on(lock.acquire());
                    section.write();
                    drop(guard);
                })
            })
            .collect();
        lock.release().unwrap();
        waiters.into_iter().for_each(|w| w.join().unwrap());
        assert!(!lock.locked());
        assert_eq!(lock.waiters(), 0);
    });
}

/// The last waiter of a line leaving (dropped) while a release comes on another thread:
/// the token goes to the waiter or back to the counter, never lost with the line empty.
#[test]
fn semaphore_last_waiter_leaves_while_a_release_comes() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiter = sem.acquire();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        drop(waiter);
        releaser.join().unwrap();
        assert_eq!(sem.counter(), 1);
        assert_eq!(sem.waiters(), 0);
        assert!(sem.try_acquire().is_some());
    });
}

/// `forget_permits`'s lock-free take racing an acquirer that finds no token and joins the
/// line: the one token is either taken by the acquirer (and `forget_permits` takes none)
/// or forgotten (and the acquirer waits, until a token added later goes to it). Never
/// both, never neither.
#[test]
fn semaphore_forget_permits_races_an_acquirer_joining() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let forgetter = {
            let sem = sem.clone();
            thread::spawn(move || sem.forget_permits(1))
        };
        let mut acquire = sem.acquire();
        let (woken, waker) = flag();
        // The guard is kept until the end: dropped, it would free the token again.
        let at_once = match poll_with(&mut acquire, &waker) {
            std::task::Poll::Ready(guard) => Some(guard),
            std::task::Poll::Pending => None,
        };
        let forgot = forgetter.join().unwrap();
        let guard = match at_once {
            Some(guard) => {
                assert_eq!(forgot, 0, "the token was held, not free");
                guard
            }
            None => {
                assert_eq!(forgot, 1, "the acquirer waits: the token was forgotten");
                assert_eq!((sem.counter(), sem.waiters()), (0, 1));
                sem.add_permits(1);
                assert!(woken.0.load(SeqCst), "a lost wake-up");
                match poll_with(&mut acquire, &waker) {
                    std::task::Poll::Ready(guard) => guard,
                    std::task::Poll::Pending => panic!("the added token went elsewhere"),
                }
            }
        };
        assert_eq!(sem.counter(), 0);
        drop(guard);
        assert_eq!((sem.counter(), sem.waiters()), (1, 0), "one token in all");
    });
}

/// `add_permits` racing a waiter's deadline: the added permit goes to the waiter (which
/// then holds it) or to the counter; none is lost or counted twice.
#[test]
fn semaphore_add_permits_races_a_timeout() {
    loom::model(|| {
        let mock = expired();
        let sem = Arc::new(Semaphore::new(0));
        let waiter = sem.acquire();
        let adder = {
            let sem = sem.clone();
            thread::spawn(move || sem.add_permits(1))
        };
        let got = block_on(waiter.deadline_on(&mock, Duration::ZERO));
        adder.join().unwrap();
        match got {
            Ok(guard) => {
                assert_eq!(sem.counter(), 0);
                drop(guard);
            }
            Err(timeout) => timeout.into_inner(),
        }
        assert_eq!(sem.counter(), 1, "the added permit is there once");
    });
}

/// A timer firing on one thread (a `ManualClock` advanced past the deadline) while a
/// release hands the lock over on another: the wait either has the lock (the grant came
/// first) or timed out and took nothing, and the lock is free at the end either way.
#[test]
fn lock_timer_fires_while_a_grant_arrives() {
    loom::model(|| {
        let clock = ManualClock::new();
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let mut waiter = lock
            .acquire()
            .deadline_on(&clock.handle(), Duration::from_secs(1));
        let (_, waker) = flag();
        assert!(poll_with(&mut waiter, &waker).is_pending(), "armed");
        let advancer = thread::spawn(move || clock.advance(Duration::from_secs(1)));
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release().unwrap())
        };
        let result = block_on(waiter);
        advancer.join().unwrap();
        releaser.join().unwrap();
        match result {
            Ok(guard) => {
                assert!(lock.locked());
                drop(guard);
            }
            Err(timeout) => timeout.into_inner(),
        }
        assert!(!lock.locked(), "the token was lost at the deadline");
    });
}

/// Two threads putting into one `PriorityQueue` at once: each runs the queue's `Ord` in
/// turn, under its mutex, and neither takes the other's run for a call back into the
/// queue (the thread running a queue's `Ord` is named in one word of the queue).
#[test]
fn priority_queue_ords_on_two_threads_are_no_call_back() {
    loom::model(|| {
        let q = Arc::new(PriorityQueue::new(0));
        q.put_nowait(2).unwrap();
        let other = {
            let q = q.clone();
            thread::spawn(move || q.put_nowait(3).unwrap())
        };
        q.put_nowait(1).unwrap();
        other.join().unwrap();
        assert_eq!(q.qsize(), 3);
        assert_eq!(q.get_nowait().unwrap(), 1);
        assert_eq!(q.get_nowait().unwrap(), 2);
        assert_eq!(q.get_nowait().unwrap(), 3);
    });
}

/// A bounded semaphore's guard dropped on one thread while `add_permits` grows the bound
/// on another: the drop's lock-free release may read the old bound, and must not be
/// refused for it (the token would be lost).
#[test]
fn bounded_semaphore_guard_drop_races_add_permits() {
    loom::model(|| {
        // A std `Arc`: the owned guard's type takes one (loom's `Arc` is not modelled here).
        let sem = std::sync::Arc::new(BoundedSemaphore::new(1));
        let guard = sem.try_acquire_owned().unwrap();
        let dropper = thread::spawn(move || drop(guard));
        sem.add_permits(1);
        dropper.join().unwrap();
        assert_eq!(sem.counter(), 2, "the dropped guard's token is back");
    });
}

/// A `ManualClock` advanced past a deadline on one thread while another thread's wait
/// takes its first pending poll: the timer is armed under the clock's lock before the
/// waker is brought in, so an advance in between must still be seen (the wait times out,
/// no wake-up is lost, no timer is left armed) and the held lock is untouched.
#[test]
fn manual_clock_advance_races_a_first_poll() {
    loom::model(|| {
        let clock = ManualClock::new();
        let lock = Lock::new();
        let held = lock.try_acquire().unwrap();
        let waiter = lock
            .acquire()
            .deadline_on(&clock.handle(), Duration::from_secs(1));
        let advancer = {
            let clock = clock.clone();
            thread::spawn(move || clock.advance(Duration::from_secs(1)))
        };
        assert!(
            block_on(waiter).is_err(),
            "the deadline passed, the lock is held"
        );
        advancer.join().unwrap();
        assert_eq!(clock.sleepers(), 0);
        assert!(lock.locked());
        drop(held);
        assert!(!lock.locked());
    });
}

/// The lock-free fast path of one thread racing the queued slow path of another (the
/// `QUEUED` bit in src/tokens/mod.rs): mutual exclusion, no lost wake-up, the lock free at the end.
#[test]
fn lock_fast_path_races_slow_path() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let section = Arc::new(Section::new());
        let other = {
            let (lock, section) = (lock.clone(), section.clone());
            thread::spawn(move || {
                let guard = block_on(lock.acquire());
                section.write();
                drop(guard);
            })
        };
        let guard = block_on(lock.acquire());
        section.write();
        drop(guard);
        other.join().unwrap();
        assert!(!lock.locked());
    });
}

/// An acquire granted at the call and dropped unpolled (its tokens go back lock-free, as a
/// guard's drop gives them) racing another thread's acquire that may be joining the line:
/// that one gets the lock (a lost hand-off would hang its `block_on`), and the lock is
/// free at the end.
#[test]
fn lock_unpolled_grant_dropped_races_an_acquirer_joining() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let granted = lock.acquire(); // the lock is free: granted at the call
        let other = {
            let lock = lock.clone();
            thread::spawn(move || drop(block_on(lock.acquire())))
        };
        drop(granted);
        other.join().unwrap();
        assert!(!lock.locked());
        assert_eq!(lock.waiters(), 0);
    });
}

/// A lock-free release racing an acquirer that is joining the line: the release must not
/// add a token the acquirer never sees (it retries, or the release hands it over).
#[test]
fn lock_release_races_enqueue() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.try_acquire().unwrap().forget();
        let acquirer = {
            let lock = lock.clone();
            thread::spawn(move || block_on(lock.acquire()).forget())
        };
        lock.release().unwrap();
        acquirer.join().unwrap();
        assert!(lock.locked(), "the acquirer must hold the lock");
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

// ---------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore
// ---------------------------------------------------------------------------------------

/// Two releases in a row wake two waiters (async-lock#18's lost wake-up).
#[test]
fn semaphore_back_to_back_releases_wake_two_waiters() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let acquirers: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || block_on(sem.acquire()).forget())
            })
            .collect();
        sem.release();
        sem.release();
        for acquirer in acquirers {
            acquirer.join().unwrap();
        }
        assert_eq!(sem.counter(), 0);
    });
}

/// Two waiters already in line, two releases from another thread: both are served.
#[test]
fn semaphore_two_releases_serve_two_queued_waiters() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let first = sem.acquire();
        let second = sem.acquire();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || {
                sem.release();
                sem.release();
            })
        };
        let a = block_on(first);
        let b = block_on(second);
        releaser.join().unwrap();
        assert_eq!(sem.counter(), 0);
        drop((a, b));
        assert_eq!(sem.counter(), 2);
    });
}

/// A release racing the drop of the only waiter: the token is back in the counter.
#[test]
fn semaphore_release_races_waiter_drop() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiter = sem.acquire();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        drop(waiter);
        releaser.join().unwrap();
        assert_eq!(
            sem.counter(),
            1,
            "the token was lost with the dropped waiter"
        );
    });
}

/// `wait()` racing a release: it completes (fast path or woken), and takes nothing.
#[test]
fn semaphore_wait_races_release() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        block_on(sem.wait());
        releaser.join().unwrap();
        assert_eq!(sem.counter(), 1);
    });
}

/// A release goes to the waiting acquirer, not to the watcher behind it; dropping the
/// watcher then racing nothing leaves the line consistent.
#[test]
fn semaphore_release_prefers_acquirer_over_watcher() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let acquirer = sem.acquire();
        let watcher = sem.wait();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        let guard = block_on(acquirer);
        releaser.join().unwrap();
        assert_eq!(sem.counter(), 0);
        drop(guard);
        block_on(watcher);
        assert_eq!(sem.counter(), 1);
    });
}

/// A bounded semaphore's release racing its waiter's deadline: the token ends up with the
/// waiter or in the counter, and the bound still holds.
#[test]
fn bounded_semaphore_release_races_deadline() {
    loom::model(|| {
        let mock = expired();
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.try_acquire().unwrap().forget();
        let waiter = sem.acquire();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        let result = block_on(waiter.deadline_on(&mock, Duration::ZERO));
        assert_eq!(releaser.join().unwrap(), Ok(()));
        match result {
            Ok(guard) => {
                assert_eq!(sem.counter(), 0);
                drop(guard);
            }
            Err(timeout) => timeout.into_inner(),
        }
        assert_eq!(sem.counter(), 1);
        assert_eq!(sem.release(), Err(TooManyReleases));
    });
}

/// Two racing releases of one taken token: exactly one is accepted.
#[test]
fn bounded_semaphore_racing_releases_respect_the_bound() {
    loom::model(|| {
        let sem = Arc::new(BoundedSemaphore::new(1));
        sem.try_acquire().unwrap().forget();
        let other = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        let mine = sem.release();
        let theirs = other.join().unwrap();
        assert!(
            mine.is_ok() != theirs.is_ok(),
            "exactly one release may succeed: {mine:?} {theirs:?}"
        );
        assert_eq!(sem.counter(), 1);
    });
}

// ---------------------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------------------

/// Two writers on two threads: never inside together, and every token free at the end.
#[test]
fn rwlock_two_writers() {
    loom::model(|| {
        let rw = Arc::new(RwLock::new(2));
        let section = Arc::new(Section::new());
        let other = {
            let (rw, section) = (rw.clone(), section.clone());
            thread::spawn(move || {
                let guard = block_on(rw.acquire_write());
                section.write();
                drop(guard);
            })
        };
        let guard = block_on(rw.acquire_write());
        section.write();
        drop(guard);
        other.join().unwrap();
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

/// A writer racing a reader: exclusion holds both ways.
#[test]
fn rwlock_writer_races_reader() {
    loom::model(|| {
        let rw = Arc::new(RwLock::new(2));
        let section = Arc::new(Section::new());
        let writer = {
            let (rw, section) = (rw.clone(), section.clone());
            thread::spawn(move || {
                let guard = block_on(rw.acquire_write());
                section.write();
                drop(guard);
            })
        };
        let guard = block_on(rw.acquire_read());
        section.read();
        drop(guard);
        writer.join().unwrap();
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

/// A writer that holds part of its tokens times out while a reader releases: no token
/// leaks (toro's bug).
#[test]
fn rwlock_timed_out_writer_leaks_no_token() {
    loom::model(|| {
        let mock = expired();
        let rw = Arc::new(RwLock::new(2));
        rw.try_acquire_read().unwrap().forget();
        let writer = rw.acquire_write(); // claims the free token, waits for the other
        let releaser = {
            let rw = rw.clone();
            thread::spawn(move || rw.release_read().unwrap())
        };
        let result = block_on(writer.deadline_on(&mock, Duration::ZERO));
        releaser.join().unwrap();
        match result {
            Ok(guard) => {
                assert!(rw.locked());
                drop(guard);
            }
            Err(timeout) => timeout.into_inner(),
        }
        assert!(
            rw.try_acquire_write().is_some(),
            "the writer leaked a token"
        );
    });
}

/// One write release racing two readers joining the line: both readers are admitted
/// (the release hands a token to each, not one token per release).
#[test]
fn rwlock_write_release_admits_two_readers() {
    loom::model(|| {
        let rw = Arc::new(RwLock::new(2));
        rw.try_acquire_write().unwrap().forget();
        let first = rw.acquire_read();
        let second = rw.acquire_read();
        let releaser = {
            let rw = rw.clone();
            thread::spawn(move || rw.release_write().unwrap())
        };
        let a = block_on(first);
        let b = block_on(second);
        releaser.join().unwrap();
        assert!(rw.locked());
        drop((a, b));
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

/// A partly granted writer dropped while a reader releases: the reader queued behind it
/// gets the tokens.
#[test]
fn rwlock_dropped_writer_passes_tokens_on() {
    loom::model(|| {
        let rw = Arc::new(RwLock::new(2));
        rw.try_acquire_read().unwrap().forget();
        let writer = rw.acquire_write();
        let reader = rw.acquire_read();
        let releaser = {
            let rw = rw.clone();
            thread::spawn(move || rw.release_read().unwrap())
        };
        drop(writer);
        let guard = block_on(reader);
        releaser.join().unwrap();
        drop(guard);
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

/// An upgrade racing a reader's release: the upgrade completes exactly once, as the only
/// holder (the data section proves it), and every token and the slot come back.
#[test]
fn rwlock_upgrade_races_a_reader_release() {
    loom::model(|| {
        let rw = std::sync::Arc::new(RwLock::new(2));
        let section = Arc::new(Section::new());
        let reader = {
            let (rw, section) = (rw.clone(), section.clone());
            let guard = rw.try_acquire_read_owned().unwrap();
            thread::spawn(move || {
                section.read();
                drop(guard);
            })
        };
        let upgradable = rw.try_acquire_upgradable().unwrap();
        let write = block_on(UpgradableReadGuard::upgrade(upgradable));
        section.write();
        drop(write);
        reader.join().unwrap();
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
        assert!(rw.try_acquire_upgradable().is_some(), "the slot leaked");
    });
}

/// An upgrade whose deadline passes while the last reader releases: either it got every
/// token (the write wins), or it hands its upgradable read back with the others given on;
/// nothing leaks either way.
#[test]
fn rwlock_upgrade_deadline_races_a_reader_release() {
    loom::model(|| {
        let mock = expired();
        let rw = std::sync::Arc::new(RwLock::new(2));
        let reader = rw.try_acquire_read_owned().unwrap();
        let upgradable = rw.try_acquire_upgradable().unwrap();
        let releaser = thread::spawn(move || drop(reader));
        let upgrade = UpgradableReadGuard::upgrade(upgradable);
        match block_on(upgrade.deadline_on(&mock, Duration::ZERO)) {
            Ok(write) => {
                assert!(rw.try_acquire_read().is_none());
                drop(write);
            }
            Err(timeout) => drop(timeout.into_inner()),
        }
        releaser.join().unwrap();
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
        assert!(rw.try_acquire_upgradable().is_some(), "the slot leaked");
    });
}

/// An upgradable read waiting for the slot while the holder drops its guard: it gets the
/// slot (and a token) exactly once.
#[test]
fn rwlock_upgradable_waiter_races_the_slot_release() {
    loom::model(|| {
        let rw = std::sync::Arc::new(RwLock::new(2));
        let first = rw.try_acquire_upgradable_owned().unwrap();
        let second = rw.acquire_upgradable();
        let releaser = thread::spawn(move || drop(first));
        let second = block_on(second);
        releaser.join().unwrap();
        assert!(
            rw.try_acquire_upgradable().is_none(),
            "the slot is the second's"
        );
        drop(second);
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

// ---------------------------------------------------------------------------------------
// Condition
// ---------------------------------------------------------------------------------------

/// `notify(1)` racing the drop of the first waiter: the second is woken either way.
#[test]
fn condition_notify_races_waiter_drop() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let first = cond.wait();
        let second = cond.wait();
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        drop(first);
        block_on(second);
        notifier.join().unwrap();
        assert_eq!(cond.waiters(), 0);
    });
}

/// `notify(1)` on another thread racing the first `wait()` ever, which makes the line:
/// `notify` finds no line (nothing to remember), or the line with nobody in it yet, or the
/// waiter in it, which it then wakes. Never a line read before it was made, and a waiter
/// it missed is still in line for the next `notify`.
#[test]
fn condition_first_notify_races_the_first_wait_making_the_line() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        let mut wait = cond.wait();
        notifier.join().unwrap();
        let (woken, waker) = flag();
        if poll_with(&mut wait, &waker).is_pending() {
            assert_eq!(cond.waiters(), 1, "missed by the notify, still in line");
            cond.notify(1);
            assert!(woken.0.load(SeqCst), "a lost wake-up");
            assert!(poll_with(&mut wait, &waker).is_ready());
        }
        assert_eq!(cond.waiters(), 0);
    });
}

/// `notify(1)` racing the first waiter's deadline: if it timed out, the notification went
/// to the second waiter.
#[test]
fn condition_notify_races_deadline() {
    loom::model(|| {
        let mock = expired();
        let cond = Arc::new(Condition::new());
        let first = cond.wait();
        let second = cond.wait();
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        let result = block_on(first.deadline_on(&mock, Duration::ZERO));
        if result.is_err() {
            block_on(second);
            notifier.join().unwrap();
        } else {
            notifier.join().unwrap();
            assert_eq!(cond.waiters(), 1, "one notify woke two waiters");
            drop(second);
        }
        assert_eq!(cond.waiters(), 0);
    });
}

/// A waiter parking its waker in its slot (at its first poll, no mutex) while `notify(1)`
/// on another thread hands it the wake-up: ready at that poll, or woken; never missed.
#[test]
fn condition_waiter_parks_while_notify_hands_it() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let mut wait = cond.wait(); // in line at the call
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        let (woken, waker) = flag();
        if poll_with(&mut wait, &waker).is_pending() {
            while !woken.0.load(SeqCst) {
                thread::yield_now();
            }
            assert!(
                poll_with(&mut wait, &waker).is_ready(),
                "woken but not notified"
            );
        }
        notifier.join().unwrap();
        assert_eq!(cond.waiters(), 0);
    });
}

/// A parked waiter re-polled with another waker (under the mutex) while `notify(1)` hands
/// it the wake-up: ready at that poll, or the new waker is woken, never only the old one.
#[test]
fn condition_waker_replaced_races_notify() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let mut wait = cond.wait();
        let (_first, first_waker) = flag();
        assert!(poll_with(&mut wait, &first_waker).is_pending());
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        let (second, second_waker) = flag();
        if poll_with(&mut wait, &second_waker).is_pending() {
            while !second.0.load(SeqCst) {
                thread::yield_now();
            }
            assert!(
                poll_with(&mut wait, &second_waker).is_ready(),
                "woken but not notified"
            );
        }
        notifier.join().unwrap();
    });
}

/// A parked waiter dropped while `notify(1)` hands it the wake-up, a second waiter behind
/// it: the wake-up reaches the second either way (passed on if the first had it), and
/// exactly one wake-up is spent.
#[test]
fn condition_parked_waiter_dropped_races_notify() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let mut first = cond.wait();
        let mut second = cond.wait();
        let (_w1, waker1) = flag();
        assert!(poll_with(&mut first, &waker1).is_pending());
        let (woken2, waker2) = flag();
        assert!(poll_with(&mut second, &waker2).is_pending());
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify(1))
        };
        drop(first);
        notifier.join().unwrap();
        assert!(
            woken2.0.load(SeqCst),
            "the wake-up was lost with the first waiter"
        );
        assert!(poll_with(&mut second, &waker2).is_ready());
        assert_eq!(cond.waiters(), 0);
    });
}

/// `notify_all` racing a parked waiter's drop: the waiter behind it is woken by the
/// `notify_all` itself; a dropped waiter's `notify_all` wake-up is not passed on, so a
/// third waiter that joins afterwards still waits.
#[test]
fn condition_notify_all_races_parked_waiter_drop() {
    loom::model(|| {
        let cond = Arc::new(Condition::new());
        let mut first = cond.wait();
        let mut second = cond.wait();
        let (_w1, waker1) = flag();
        assert!(poll_with(&mut first, &waker1).is_pending());
        let (_w2, waker2) = flag();
        assert!(poll_with(&mut second, &waker2).is_pending());
        let notifier = {
            let cond = cond.clone();
            thread::spawn(move || cond.notify_all())
        };
        drop(first);
        notifier.join().unwrap();
        let mut third = cond.wait();
        assert!(poll_with(&mut second, &waker2).is_ready());
        let (_w3, waker3) = flag();
        assert!(
            poll_with(&mut third, &waker3).is_pending(),
            "a notify_all wake-up passed on"
        );
        assert_eq!(cond.waiters(), 1);
    });
}

// ---------------------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------------------

/// `set()` racing `wait()`: the waiter completes whether it came before or after.
#[test]
fn event_set_races_wait() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let early = event.wait();
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        block_on(event.wait());
        block_on(early);
        setter.join().unwrap();
        assert!(event.is_set());
        assert_eq!(event.waiters(), 0);
    });
}

/// A waiter parking its waker (at its first poll) while `set()` on another thread
/// releases it: ready at that poll, or woken; never missed.
#[test]
fn event_waiter_parks_while_set_releases_it() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let mut wait = event.wait(); // in line at the call
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        let (woken, waker) = flag();
        if poll_with(&mut wait, &waker).is_pending() {
            while !woken.0.load(SeqCst) {
                thread::yield_now();
            }
            assert!(
                poll_with(&mut wait, &waker).is_ready(),
                "woken but not released"
            );
        }
        setter.join().unwrap();
        assert_eq!(event.waiters(), 0);
    });
}

/// The last parked waiter dropped while `set()` comes on another thread: the set finds
/// it in line and releases it, or finds the line empty (the waiter cleared `WAITING` as
/// it left, or the set takes the lock after it); either way a later wait after a `clear`
/// waits, and one before it passes.
#[test]
fn event_last_waiter_leaves_while_set_comes() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let mut leaving = event.wait();
        let (_, waker) = flag();
        assert!(poll_with(&mut leaving, &waker).is_pending());
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        drop(leaving);
        setter.join().unwrap();
        assert_eq!(event.waiters(), 0);
        assert!(
            poll_with(&mut event.wait(), &waker).is_ready(),
            "set, so it passes"
        );
        event.clear();
        let mut after = event.wait();
        assert!(
            poll_with(&mut after, &waker).is_pending(),
            "cleared, so it waits"
        );
        event.set();
        assert!(poll_with(&mut after, &waker).is_ready());
    });
}

/// A release that empties the line leaves `WAITING` set; the next wait joins seeing it
/// with a load (no read-modify-write) while a `set` comes on another thread: the wait is
/// released by that `set`, or sees it at the call; never left in line.
#[test]
fn event_wait_joining_on_a_left_waiting_bit_races_set() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let first = event.wait();
        event.set(); // releases `first`, leaves `WAITING` set
        block_on(first);
        event.clear();
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        block_on(event.wait());
        setter.join().unwrap();
        assert!(event.is_set());
        assert_eq!(event.waiters(), 0);
    });
}

/// A pulse (`set` then `clear`) releases the waiter that was present.
#[test]
fn event_pulse_releases_present_waiter() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let waiter = event.wait();
        let pulser = {
            let event = event.clone();
            thread::spawn(move || {
                event.set();
                event.clear();
            })
        };
        block_on(waiter);
        pulser.join().unwrap();
        assert!(!event.is_set());
    });
}

/// A `set` releases only the waiters that came before it: one that joins after a later
/// `clear` waits for the next `set`, even while the first `set` is still on its way to
/// the line (it saw somebody waiting and has not taken the lock yet).
#[test]
fn event_set_does_not_release_a_waiter_after_a_later_clear() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let present = event.wait();
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        block_on(event.wait()); // after the set, by the flag or by a hand-over
        event.clear();
        let mut late = event.wait();
        setter.join().unwrap();
        block_on(present);
        let (_, waker) = flag();
        assert!(
            poll_with(&mut late, &waker).is_pending(),
            "released by the set before the clear"
        );
        assert_eq!(event.waiters(), 1);
    });
}

// ---------------------------------------------------------------------------------------
// Counters next to their boundaries: 64-bit tickets past 2^31 and 2^32 (where 32-bit ones
// wrapped), and Event's 62-bit generation at its wrap.
// ---------------------------------------------------------------------------------------

/// After 2^31 + 1 acquires that waited and left (their tickets spent, no grant handed
/// over), a release racing a new acquirer's joining: one holder at a time, and the
/// acquirer gets the lock.
#[test]
fn lock_after_two_to_the_31_abandoned_waits_is_held_once() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        lock.skip_tickets((1 << 31) + 1, false);
        let section = Arc::new(Section::new());
        let guard = lock.try_acquire().unwrap();
        let acquirer = {
            let (lock, section) = (lock.clone(), section.clone());
            thread::spawn(move || {
                let guard = block_on(lock.acquire());
                section.write();
                drop(guard);
            })
        };
        section.write();
        drop(guard);
        acquirer.join().unwrap();
        assert!(!lock.locked());
    });
}

/// A waiter handed its token, then 2^32 hand-overs later (counters moved on), a new
/// waiter joins at its freed key while another thread releases: the old waiter keeps its
/// token, the new one gets the released one, none is lost.
#[test]
fn semaphore_grant_across_two_to_the_32_hand_overs() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let early = sem.acquire();
        sem.release(); // handed to `early`
        sem.skip_tickets(1 << 32, true);
        let now = sem.acquire();
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        let early = block_on(early);
        let now = block_on(now);
        releaser.join().unwrap();
        assert_eq!(sem.counter(), 0);
        drop((early, now));
        assert_eq!(sem.counter(), 2, "no token lost");
    });
}

/// The pulse model at the wrap of Event's generation: a `set` on its way to the line
/// releases the waiters before it and none that came after a later `clear`, the
/// generation wrapping from its last value to 0 in between.
#[test]
fn event_set_across_the_generation_wrap() {
    loom::model(|| {
        let event = Arc::new(Event::at_generation(u64::MAX >> 2));
        event.skip_tickets((1 << 31) + 1);
        let present = event.wait();
        let setter = {
            let event = event.clone();
            thread::spawn(move || event.set())
        };
        block_on(event.wait());
        event.clear(); // the generation wraps to 0
        let mut late = event.wait();
        setter.join().unwrap();
        block_on(present);
        let (_, waker) = flag();
        assert!(
            poll_with(&mut late, &waker).is_pending(),
            "released by the set before the clear"
        );
        event.set();
        assert!(poll_with(&mut late, &waker).is_ready());
    });
}

// ---------------------------------------------------------------------------------------
// AsyncResult
// ---------------------------------------------------------------------------------------

/// `set` racing `get` on two threads: every getter sees the value.
#[test]
fn async_result_set_races_get() {
    loom::model(|| {
        let result = Arc::new(AsyncResult::new());
        let early = result.get();
        let setter = {
            let result = result.clone();
            thread::spawn(move || result.set(7).unwrap())
        };
        assert_eq!(*block_on(result.get()), 7);
        assert_eq!(*block_on(early), 7);
        setter.join().unwrap();
        assert_eq!(result.set(8).unwrap_err().into_inner(), 8);
        assert_eq!(result.waiters(), 0);
    });
}

/// `set` racing a getter's deadline: `Ok` carries the value; nobody is left in line.
#[test]
fn async_result_set_races_deadline() {
    loom::model(|| {
        let mock = expired();
        let result = Arc::new(AsyncResult::new());
        let getter = result.get();
        let setter = {
            let result = result.clone();
            thread::spawn(move || result.set(7).unwrap())
        };
        if let Ok(value) = block_on(getter.deadline_on(&mock, Duration::ZERO)) {
            assert_eq!(*value, 7);
        }
        setter.join().unwrap();
        assert_eq!(result.waiters(), 0);
        assert_eq!(result.get_nowait(), Ok(&7));
    });
}

/// The turn to initialise passing on: the main thread's initialiser is cancelled (its
/// future dropped while its `f` runs) while a second caller, on another thread, joins the
/// line (or finds the turn free). The second one runs its `f` exactly once and gets its
/// value; a lost wake-up would leave it waiting, which loom reports.
#[test]
fn async_result_cancelled_initialiser_passes_the_turn_to_one_joining() {
    loom::model(|| {
        let result = Arc::new(AsyncResult::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut first = result.get_or_init(|| std::future::pending::<u32>());
        let (_, waker) = flag();
        assert!(poll_with(&mut first, &waker).is_pending(), "its f runs");
        let second = {
            let (result, calls) = (result.clone(), calls.clone());
            thread::spawn(move || {
                *block_on(result.get_or_init(|| {
                    calls.fetch_add(1, SeqCst);
                    std::future::ready(2)
                }))
            })
        };
        drop(first);
        assert_eq!(second.join().unwrap(), 2);
        assert_eq!(calls.load(SeqCst), 1, "the second f ran exactly once");
        assert_eq!(result.get_nowait(), Ok(&2));
        assert_eq!(result.waiters(), 0);
    });
}

/// A caller handed the turn by a failing initialiser, and dropped before it polls, on
/// another thread: the turn goes on again, to the caller behind. Neither the failure
/// racing the second caller's join nor the drop loses the turn.
#[test]
fn async_result_turn_handed_to_a_dropped_caller_goes_on() {
    loom::model(|| {
        let result = Arc::new(AsyncResult::<u32>::new());
        let mut failing = result.get_or_try_init(|| std::future::ready(Err(())));
        let dropper = {
            let result = result.clone();
            thread::spawn(move || {
                drop(
                    result.get_or_try_init(|| -> std::future::Ready<Result<u32, ()>> {
                        unreachable!("dropped before its first poll")
                    }),
                )
            })
        };
        let (_, waker) = flag();
        assert_eq!(
            poll_with(&mut failing, &waker),
            std::task::Poll::Ready(Err(()))
        );
        dropper.join().unwrap();
        assert_eq!(result.waiters(), 0);
        assert_eq!(
            block_on(result.get_or_try_init(|| async { Ok::<_, ()>(3) })),
            Ok(&3)
        );
    });
}

/// A successful initialiser racing a caller on another thread who joins the line for the
/// turn and then a plain `get()`: both get the value, and the second `f` never runs.
#[test]
fn async_result_initialiser_success_races_callers_joining() {
    loom::model(|| {
        let result = Arc::new(AsyncResult::new());
        let holder = result.get_or_init(|| std::future::ready(1));
        let other = {
            let result = result.clone();
            thread::spawn(move || {
                let init = block_on(result.get_or_init(|| -> std::future::Ready<u32> {
                    unreachable!("the holder made the value")
                }));
                assert_eq!(*init, 1);
                assert_eq!(*block_on(result.get()), 1);
            })
        };
        assert_eq!(*block_on(holder), 1);
        other.join().unwrap();
        assert_eq!(result.waiters(), 0);
    });
}

/// `set` on another thread racing an initialiser whose `f` runs: the value stored is the
/// first to arrive, and every caller sees it. If `set` came first, the initialiser's own
/// value is dropped and it returns the set one (or its `f` never ran); if the initialiser
/// stored first, `set` is refused with its value back.
#[test]
fn async_result_set_races_an_initialiser() {
    loom::model(|| {
        let result = Arc::new(AsyncResult::new());
        let setter = {
            let result = result.clone();
            thread::spawn(move || result.set(2).map_err(|refused| refused.into_inner()))
        };
        let made = *block_on(result.get_or_init(|| std::future::ready(1)));
        let set = setter.join().unwrap();
        match set {
            Ok(()) => assert_eq!(made, 2, "set first: the initialiser returns the set value"),
            Err(refused) => {
                assert_eq!((made, refused), (1, 2), "initialised first: set refused");
            }
        }
        assert_eq!(result.get_nowait(), Ok(&made));
        assert_eq!(*block_on(result.get()), made);
        assert_eq!(result.waiters(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Barrier
// ---------------------------------------------------------------------------------------

/// A waiter withdrawing (its wait dropped) while the last arrival of its round comes, on
/// `Barrier::new(3)` with two arrivals in line. Either the arrival came first and tripped
/// the barrier with both counted (the dropped waiter was woken: the drop then changes
/// nothing), or the withdrawal came first and the round waits for one more, which must
/// be a live arrival. Never a lost wake-up (`block_on` would hang), never a withdrawn
/// arrival counted: a round with the dropped waiter gone trips only with a third live
/// arrival, and there is exactly one leader.
#[test]
fn barrier_withdrawal_races_the_last_arrival() {
    loom::model(|| {
        let mock = expired();
        let barrier = Arc::new(Barrier::new(3));
        let (dropped_woken, dropped_waker) = flag();
        let mut leaving = barrier.wait();
        assert!(poll_with(&mut leaving, &dropped_waker).is_pending());
        let mut staying = barrier.wait();
        let last = {
            let barrier = barrier.clone();
            thread::spawn(move || block_on(barrier.wait()).is_leader())
        };
        drop(leaving);
        // One more arrival, which gives up at once unless a trip reaches it first.
        let timed = block_on(barrier.wait().deadline_on(&mock, Duration::ZERO));
        let (_, waker) = flag();
        let extra = match poll_with(&mut staying, &waker) {
            std::task::Poll::Ready(result) => {
                assert!(!result.is_leader(), "the first arrival never leads");
                None
            }
            std::task::Poll::Pending => {
                // Not tripped: `staying` and (now or soon) the thread are the round's
                // two live arrivals; a third trips it.
                assert!(
                    timed.is_err(),
                    "a round tripped without releasing `staying`"
                );
                let extra = block_on(barrier.wait()).is_leader();
                assert!(!block_on(staying).is_leader());
                Some(extra)
            }
        };
        let thread_led = last.join().unwrap();
        let timed_led = matches!(timed, Ok(r) if r.is_leader());
        if dropped_woken.0.load(SeqCst) {
            // The trip came before the drop: `leaving`, `staying` and the thread.
            assert!(
                thread_led,
                "the dropped waiter was released by another trip"
            );
            assert!(timed.is_err() && extra.is_none(), "a second round tripped");
        } else {
            // The drop came first: the trip needed the timed arrival or the extra one.
            assert!(
                timed.is_ok() || extra.is_some(),
                "the withdrawn arrival was counted"
            );
        }
        let leaders = [thread_led, timed_led, extra == Some(true)];
        assert_eq!(leaders.iter().filter(|&&l| l).count(), 1, "{leaders:?}");
        assert_eq!(barrier.waiters(), 0);
    });
}

/// A waiter's deadline racing the arrival that trips `Barrier::new(2)`: the trip wins
/// (the waiter resolves `Ok` as a follower) or the waiter withdrew first (`Err`) and the
/// arrival waits for a partner. One leader, nobody left in line.
#[test]
fn barrier_deadline_races_the_tripping_arrival() {
    loom::model(|| {
        let mock = expired();
        let barrier = Arc::new(Barrier::new(2));
        let timed = barrier.wait().deadline_on(&mock, Duration::ZERO);
        let last = {
            let barrier = barrier.clone();
            thread::spawn(move || block_on(barrier.wait()).is_leader())
        };
        let mut leaders = 0;
        match block_on(timed) {
            Ok(result) => assert!(!result.is_leader(), "a waiter in line never leads"),
            // Withdrawn: the thread's arrival needs a partner.
            Err(_) => leaders += usize::from(block_on(barrier.wait()).is_leader()),
        }
        leaders += usize::from(last.join().unwrap());
        assert_eq!(leaders, 1);
        assert_eq!(barrier.waiters(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------------------

/// A queue whose ring is open (made and opened by a first put and get).
fn open_queue(maxsize: usize) -> Arc<Queue<u32>> {
    let queue = Arc::new(Queue::new(maxsize));
    queue.put_nowait(0).unwrap();
    assert_eq!(queue.get_nowait(), Ok(0));
    queue
}

/// A put on the lock-free ring racing a getter that finds the queue empty and joins the
/// line (closing the ring): the getter gets the item, from the ring or handed over.
#[test]
fn queue_fast_put_races_getter_joining() {
    loom::model(|| {
        let queue = open_queue(2);
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(1).unwrap())
        };
        assert_eq!(block_on(queue.get()), 1);
        putter.join().unwrap();
        assert!(queue.empty());
        // The line is gone: the ring is open again, and FIFO.
        queue.put_nowait(2).unwrap();
        queue.put_nowait(3).unwrap();
        assert_eq!(queue.get_nowait(), Ok(2));
    });
}

/// A get on the lock-free ring racing a putter that finds the queue full and joins the
/// line: the putter's item gets in (admitted by the get, or into the room it left), and
/// the items leave in order.
#[test]
fn queue_fast_get_races_putter_joining() {
    loom::model(|| {
        let queue = open_queue(1);
        queue.put_nowait(1).unwrap();
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_nowait())
        };
        block_on(queue.put(2));
        let got = getter.join().unwrap();
        assert_eq!(got, Ok(1), "the ring's oldest item first");
        assert_eq!(queue.get_nowait(), Ok(2));
        assert!(queue.empty());
    });
}

/// Two threads through a capacity-1 ring, each side on its fast path with the mutex as
/// fallback: every item once, in order (the ring's two slots never hand out one twice).
#[test]
fn queue_capacity_one_ring_passes_each_item_once() {
    loom::model(|| {
        let queue = open_queue(1);
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                for item in 1..=2 {
                    block_on(queue.put(item));
                }
            })
        };
        assert_eq!(block_on(queue.get()), 1);
        assert_eq!(block_on(queue.get()), 2);
        producer.join().unwrap();
        assert!(queue.empty());
    });
}

/// An item taken on the fast path and given back (its getter dropped unpolled) racing a
/// put on another thread: the given-back item still leaves first.
#[test]
fn queue_give_back_races_fast_put() {
    loom::model(|| {
        let queue = open_queue(0);
        queue.put_nowait(1).unwrap();
        let getter = queue.get(); // took 1 at the call
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(2).unwrap())
        };
        drop(getter); // 1 goes back in front
        putter.join().unwrap();
        assert_eq!(queue.get_nowait(), Ok(1));
        assert_eq!(queue.get_nowait(), Ok(2));
    });
}

/// A shutdown racing a put on the fast path: the item is either refused (handed back)
/// or drained by `shutdown_immediate`, never lost.
#[test]
fn queue_shutdown_races_fast_put() {
    loom::model(|| {
        let queue = open_queue(0);
        let sender = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_send(1))
        };
        let drained = queue.shutdown_immediate();
        let sent = sender.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(drained, [1], "accepted, so drained"),
            Err(refused) => {
                assert!(refused.is_shutdown());
                assert_eq!(refused.into_inner(), 1);
                assert!(drained.is_empty());
            }
        }
        assert!(queue.empty());
    });
}

/// A getter dropped while a put on another thread hands it an item: the item goes back
/// into the queue (or was never handed), and the ring opens again.
#[test]
fn queue_getter_dropped_while_an_item_moves_to_it() {
    loom::model(|| {
        let queue = open_queue(0);
        let getter = queue.get();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(1).unwrap())
        };
        drop(getter);
        putter.join().unwrap();
        assert_eq!(queue.qsize(), 1);
        assert_eq!(queue.get_nowait(), Ok(1));
        queue.put_nowait(2).unwrap();
        assert_eq!(queue.get_nowait(), Ok(2));
    });
}

/// A put racing the drop of the only getter: the item is never lost.
#[test]
fn queue_put_races_dropped_getter() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let getter = queue.get();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(1).unwrap())
        };
        drop(getter);
        putter.join().unwrap();
        assert_eq!(
            queue.qsize(),
            1,
            "the item was lost with the dropped getter"
        );
        assert_eq!(queue.get_nowait(), Ok(1));
    });
}

/// A put racing the drop of the first of two getters: the second gets the item.
#[test]
fn queue_put_races_dropped_getter_next_gets_it() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let first = queue.get();
        let second = queue.get();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(1).unwrap())
        };
        drop(first);
        assert_eq!(block_on(second), 1);
        putter.join().unwrap();
        assert!(queue.empty());
    });
}

/// A blocked put racing a get that admits it and the put's deadline: the item is either
/// in the queue or handed back in the `Timeout`, never both, never neither (flume's bug).
#[test]
fn queue_timed_out_put_keeps_its_item() {
    loom::model(|| {
        let mock = expired();
        let queue = Arc::new(Queue::with_items(1, [1]));
        let put = queue.put(2);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_nowait().unwrap())
        };
        let result = block_on(put.deadline_on(&mock, Duration::ZERO));
        assert_eq!(getter.join().unwrap(), 1);
        let mut items: Vec<i32> = std::iter::from_fn(|| queue.get_nowait().ok()).collect();
        if let Err(timeout) = result {
            items.push(timeout.into_inner());
        }
        assert_eq!(items, [2]);
    });
}

/// A sink's blocked item admitted by a get on another thread while the sink flushes: the
/// admission hands the putter over (no entry to collect), so the flush completes (a lost
/// wake-up would hang it) and the item is in the queue once; dropping the sink then takes
/// nothing back.
#[test]
fn queue_sink_admission_races_its_flush() {
    use futures::Sink;
    use std::pin::Pin;
    loom::model(|| {
        let queue = Arc::new(Queue::with_items(1, [1]));
        let mut sink = queue.sink();
        Pin::new(&mut sink).start_send(2).unwrap(); // full: it waits in line
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.get_nowait().unwrap())
        };
        block_on(std::future::poll_fn(|cx| {
            Pin::new(&mut sink).poll_flush(cx)
        }))
        .unwrap();
        assert_eq!(getter.join().unwrap(), 1);
        drop(sink);
        assert_eq!(queue.get_nowait(), Ok(2));
        assert!(queue.empty());
        assert_eq!(queue.putters(), 0);
    });
}

/// Producer and consumer on a queue of one slot: every item out once, in order.
#[test]
fn queue_bounded_producer_consumer() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                block_on(queue.put(1));
                block_on(queue.put(2));
            })
        };
        let a = block_on(queue.get());
        let b = block_on(queue.get());
        producer.join().unwrap();
        assert_eq!((a, b), (1, 2));
        assert!(queue.empty());
    });
}

/// `task_done` racing `join`: the joiner is released when the count reaches zero.
#[test]
fn joinable_queue_task_done_races_join() {
    loom::model(|| {
        let queue = Arc::new(JoinableQueue::with_items(0, [1]));
        let worker = {
            let queue = queue.clone();
            thread::spawn(move || {
                assert_eq!(queue.get_nowait(), Ok(1));
                queue.task_done().unwrap();
            })
        };
        block_on(queue.join());
        assert_eq!(queue.unfinished_tasks(), 0);
        worker.join().unwrap();
    });
}

// ---------------------------------------------------------------------------------------
// Queue shutdown
// ---------------------------------------------------------------------------------------

/// A shutdown racing a get that would admit a blocked send: the send's item is admitted
/// (and drained by a later get) or handed back in `Shutdown`, exactly one of the two.
#[test]
fn queue_shutdown_races_blocked_send_and_get() {
    loom::model(|| {
        let queue = Arc::new(Queue::with_items(1, [1]));
        let send = queue.send(2);
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_recv().ok())
        };
        let shutter = {
            let queue = queue.clone();
            thread::spawn(move || queue.shutdown())
        };
        let sent = block_on(send); // a hang here: the shutdown lost the sender's wake-up
        let mut items: Vec<i32> = getter.join().unwrap().into_iter().collect();
        shutter.join().unwrap();
        items.extend(std::iter::from_fn(|| queue.try_recv().ok()));
        if let Err(refused) = sent {
            items.push(refused.into_inner());
        }
        items.sort_unstable();
        assert_eq!(items, [1, 2], "an item lost or duplicated");
        assert!(queue.is_shutdown());
    });
}

/// A shutdown racing a put to a waiting getter: the getter receives the item, or it ends
/// and the put is refused with its item; never both, never neither.
#[test]
fn queue_shutdown_races_put_to_waiting_recv() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let recv = queue.recv();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_send(7))
        };
        let shutter = {
            let queue = queue.clone();
            thread::spawn(move || queue.shutdown())
        };
        let got = block_on(recv); // a hang here: a lost wake-up
        let sent = putter.join().unwrap();
        shutter.join().unwrap();
        match (got, sent) {
            (Ok(7), Ok(())) => {}
            (Err(_), Err(refused)) => {
                assert!(refused.is_shutdown());
                assert_eq!(refused.into_inner(), 7);
            }
            (got, sent) => panic!("lost or duplicated: recv {got:?}, send {sent:?}"),
        }
        assert!(queue.empty());
    });
}

/// `shutdown_immediate` racing a worker's get and `task_done`: `join` ends, and every
/// item was either taken or drained, once.
#[test]
fn joinable_queue_shutdown_immediate_races_task_done_and_join() {
    loom::model(|| {
        let queue = Arc::new(JoinableQueue::with_items(0, [1, 2]));
        let worker = {
            let queue = queue.clone();
            thread::spawn(move || {
                let taken = queue.try_recv().ok();
                if taken.is_some() {
                    queue.task_done().unwrap();
                }
                taken
            })
        };
        let shutter = {
            let queue = queue.clone();
            thread::spawn(move || queue.shutdown_immediate())
        };
        let mut items = shutter.join().unwrap();
        block_on(queue.join()); // a hang here: the drain or the task_done lost the joiner
        items.extend(worker.join().unwrap());
        items.sort_unstable();
        assert_eq!(items, [1, 2]);
        assert_eq!(queue.unfinished_tasks(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Data locks: the cell under Lock<T> and RwLock<T> (toro-core/src/cell.rs)
//
// Under loom the data sits in `loom::cell::UnsafeCell`, and every guard keeps loom's access
// token for as long as it lives: a write guard beside any other guard, or two overlapping
// write guards, fail the model, whatever the interleaving.
// ---------------------------------------------------------------------------------------

/// Two writers on two threads, each a read-modify-write of the data with a preemption
/// point inside: never overlapping, and no increment lost.
#[test]
fn data_lock_writers_are_exclusive() {
    loom::model(|| {
        let lock = Arc::new(Lock::with_value(0usize));
        let other = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut guard = block_on(lock.acquire());
                let seen = *guard;
                thread::yield_now();
                *guard = seen + 1;
            })
        };
        {
            let mut guard = block_on(lock.acquire());
            let seen = *guard;
            thread::yield_now();
            *guard = seen + 1;
        }
        other.join().unwrap();
        assert_eq!(*lock.try_acquire().unwrap(), 2);
    });
}

/// Readers share the data, a writer excludes them: a reader and a writer on two threads
/// and a reader on the main one, on an `RwLock<usize>` of 2 readers.
#[test]
fn data_rwlock_readers_share_writer_excludes() {
    loom::model(|| {
        let rw = Arc::new(RwLock::with_value(0usize, 2));
        let writer = {
            let rw = rw.clone();
            thread::spawn(move || *block_on(rw.acquire_write()) += 1)
        };
        let reader = {
            let rw = rw.clone();
            thread::spawn(move || {
                let value = *block_on(rw.acquire_read());
                assert!(value <= 1);
            })
        };
        let value = *block_on(rw.acquire_read());
        assert!(value <= 1);
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(*rw.try_acquire_read().unwrap(), 1);
        assert!(rw.try_acquire_write().is_some(), "a token leaked");
    });
}

/// A downgrade racing a writer in line on another thread: the downgraded reader still
/// reads what it wrote, the writer enters only after it, and sees that value.
#[test]
fn data_rwlock_downgrade_keeps_the_writer_out() {
    loom::model(|| {
        let rw = Arc::new(RwLock::with_value(0usize, 2));
        let mut guard = rw.try_acquire_write().unwrap();
        *guard = 1;
        let writer = {
            let rw = rw.clone();
            thread::spawn(move || {
                let mut guard = block_on(rw.acquire_write());
                assert_eq!(*guard, 1, "the writer overtook the downgraded reader");
                *guard = 2;
            })
        };
        let reader = guard.downgrade();
        thread::yield_now();
        assert_eq!(*reader, 1, "a writer changed the data under a reader");
        drop(reader);
        writer.join().unwrap();
        assert_eq!(*rw.try_acquire_read().unwrap(), 2);
    });
}

/// An owned guard moved to another thread and dropped there, racing a waiter on the main
/// thread: the waiter gets the lock after the other thread's write and sees it.
#[test]
fn data_owned_guard_dropped_on_another_thread() {
    loom::model(|| {
        // `acquire_owned` takes a std `Arc`; its count is not what is modelled here.
        let lock = std::sync::Arc::new(Lock::with_value(0usize));
        let mut owned = lock.try_acquire_owned().unwrap();
        let waiter = lock.acquire();
        let other = thread::spawn(move || {
            *owned += 1;
            drop(owned);
        });
        let guard = block_on(waiter);
        assert_eq!(*guard, 1);
        drop(guard);
        other.join().unwrap();
        assert!(!lock.locked());
    });
}

/// A manual release racing a live guard's drop: the release is refused (only forgotten
/// tokens may be released), so the lock is never held twice nor freed twice.
#[test]
fn manual_release_races_live_guard_drop() {
    loom::model(|| {
        let lock = Arc::new(Lock::with_value(0usize));
        let guard = lock.try_acquire().unwrap();
        let releaser = {
            let lock = lock.clone();
            thread::spawn(move || lock.release())
        };
        drop(guard);
        assert!(
            releaser.join().unwrap().is_err(),
            "a live guard's lock was released"
        );
        let first = lock.try_acquire().expect("free again");
        assert!(lock.try_acquire().is_none(), "two holders");
        drop(first);
    });
}

/// A guard forgotten on one thread after a write, its token released by hand on another
/// thread, and the data read by the next holder: the write happens before the read (the
/// forget publishes it, the manual release acquires it).
#[test]
fn data_forget_then_release_on_another_thread() {
    loom::model(|| {
        let lock = Arc::new(Lock::with_value(0usize));
        let holder = {
            let lock = lock.clone();
            thread::spawn(move || {
                let mut guard = lock.try_acquire().unwrap();
                *guard = 1;
                guard.forget();
            })
        };
        // Spins until the holder has forgotten its guard: only then is a release taken.
        while lock.release().is_err() {
            thread::yield_now();
        }
        let guard = lock.try_acquire().expect("released");
        assert_eq!(*guard, 1, "the forgotten holder's write is not seen");
        drop(guard);
        holder.join().unwrap();
    });
}

// ---------------------------------------------------------------------------------------
// Waiters (src/waiters/): a waker stored, replaced or given up while a grant comes, and a
// stream's getter that stands in line outside a future.
// ---------------------------------------------------------------------------------------

/// A waker that raises a flag when woken.
struct Flag(loom::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

fn flag() -> (std::sync::Arc<Flag>, std::task::Waker) {
    let flag = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicBool::new(false)));
    let waker = std::task::Waker::from(flag.clone());
    (flag, waker)
}

/// Polls `future` with `waker` once.
fn poll_with<F: std::future::Future + Unpin>(
    future: &mut F,
    waker: &std::task::Waker,
) -> std::task::Poll<F::Output> {
    std::pin::Pin::new(future).poll(&mut std::task::Context::from_waker(waker))
}

/// A waiter re-polled with a new waker while a release grants it: it completes at that
/// poll, or the grant wakes the new waker (never only the old one).
#[test]
fn waiter_waker_replaced_races_grant() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let mut waiter = sem.acquire();
        let (first, first_waker) = flag();
        assert!(poll_with(&mut waiter, &first_waker).is_pending());
        let releaser = {
            let sem = sem.clone();
            thread::spawn(move || sem.release())
        };
        let (second, second_waker) = flag();
        let guard = match poll_with(&mut waiter, &second_waker) {
            std::task::Poll::Ready(guard) => guard,
            std::task::Poll::Pending => {
                // Not granted at that poll: the grant must wake the waker stored by it.
                while !second.0.load(SeqCst) {
                    thread::yield_now();
                }
                match poll_with(&mut waiter, &second_waker) {
                    std::task::Poll::Ready(guard) => guard,
                    std::task::Poll::Pending => panic!("woken but not granted"),
                }
            }
        };
        releaser.join().unwrap();
        let _ = first.0.load(SeqCst);
        assert_eq!(sem.counter(), 0, "the token is held by the waiter's guard");
        drop(guard);
        assert_eq!(sem.counter(), 1);
    });
}

/// A queue getter whose deadline passes while a put hands it an item: the item is either
/// taken by the getter (the grant came first) or stays in the queue; never lost.
#[test]
fn waiter_give_up_races_item_hand_off() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let handle = expired();
        let getter = queue.get().deadline_on(&handle, Duration::ZERO);
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(7).unwrap())
        };
        let got = block_on(getter);
        putter.join().unwrap();
        match got {
            Ok(item) => {
                assert_eq!(item, 7);
                assert_eq!(queue.qsize(), 0);
            }
            Err(_) => assert_eq!(queue.get_nowait(), Ok(7), "the item was lost"),
        }
    });
}

/// A stream's getter polled while a put on another thread hands it an item: the stream
/// yields the item, woken or at once.
#[test]
fn waiter_stream_getter_races_put() {
    use futures_core::Stream;
    loom::model(|| {
        let queue = Arc::new(Queue::new(0));
        let mut stream = queue.stream();
        let (woken, waker) = flag();
        let first =
            std::pin::Pin::new(&mut stream).poll_next(&mut std::task::Context::from_waker(&waker));
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(5).unwrap())
        };
        let item = match first {
            std::task::Poll::Ready(item) => item,
            std::task::Poll::Pending => loop {
                let next = std::pin::Pin::new(&mut stream)
                    .poll_next(&mut std::task::Context::from_waker(&waker));
                if let std::task::Poll::Ready(item) = next {
                    break item;
                }
                while !woken.0.load(SeqCst) {
                    thread::yield_now();
                }
            },
        };
        putter.join().unwrap();
        assert_eq!(item, Some(5));
        drop(stream);
        assert_eq!(queue.qsize(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Semaphore::close
// ---------------------------------------------------------------------------------------

/// A close racing a release to a waiting acquirer: the waiter is either granted (and its
/// guard gives the token back) or refused (and the token is in the counter); never lost.
#[test]
fn semaphore_close_races_release_to_a_waiter() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(0));
        let waiter = sem.acquire().or_closed();
        let closer = {
            let sem = sem.clone();
            thread::spawn(move || sem.close())
        };
        sem.release();
        let result = block_on(waiter);
        closer.join().unwrap();
        drop(result);
        assert_eq!(sem.counter(), 1, "the released token was lost");
        assert!(sem.try_acquire().is_none(), "a closed semaphore refuses");
    });
}

/// A close racing a new acquire on another thread: the acquire is refused or granted and
/// then gives its token back; no hang, no lost token.
#[test]
fn semaphore_close_races_acquire() {
    loom::model(|| {
        let sem = Arc::new(Semaphore::new(1));
        let acquirer = {
            let sem = sem.clone();
            thread::spawn(move || block_on(sem.acquire().or_closed()).is_ok())
        };
        sem.close();
        acquirer.join().unwrap();
        assert_eq!(sem.counter(), 1);
    });
}

// ---------------------------------------------------------------------------------------
// A waiting getter's slot: parked, handed and released without the queue's mutex
// ---------------------------------------------------------------------------------------

/// A getter in line leaving its waker in its slot (first poll, no mutex) while a put on
/// another thread hands it an item: it is ready at that poll, or woken by the put.
#[test]
fn queue_getter_parks_while_a_put_hands_it_an_item() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let mut getter = queue.get(); // in line at the call
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(3).unwrap())
        };
        let (woken, waker) = flag();
        let item = match poll_with(&mut getter, &waker) {
            std::task::Poll::Ready(item) => item,
            std::task::Poll::Pending => {
                while !woken.0.load(SeqCst) {
                    thread::yield_now();
                }
                match poll_with(&mut getter, &waker) {
                    std::task::Poll::Ready(item) => item,
                    std::task::Poll::Pending => panic!("woken but not handed its item"),
                }
            }
        };
        putter.join().unwrap();
        assert_eq!(item, 3);
        assert!(queue.empty());
        assert_eq!((queue.getters(), queue.putters()), (0, 0));
    });
}

/// A parked getter re-polled with another waker (under the mutex) while a put hands it
/// an item: ready at that poll, or the put wakes the new waker, never only the old one.
#[test]
fn queue_getter_waker_replaced_races_hand_off() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let mut getter = queue.get();
        let (_first, first_waker) = flag();
        assert!(poll_with(&mut getter, &first_waker).is_pending());
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(4).unwrap())
        };
        let (second, second_waker) = flag();
        let item = match poll_with(&mut getter, &second_waker) {
            std::task::Poll::Ready(item) => item,
            std::task::Poll::Pending => {
                while !second.0.load(SeqCst) {
                    thread::yield_now();
                }
                match poll_with(&mut getter, &second_waker) {
                    std::task::Poll::Ready(item) => item,
                    std::task::Poll::Pending => panic!("woken but not handed its item"),
                }
            }
        };
        putter.join().unwrap();
        assert_eq!(item, 4);
    });
}

/// A parked getter dropped while a put on another thread hands it an item: the item is
/// handed to nobody or comes back into the queue; counted exactly once either way.
#[test]
fn queue_parked_getter_dropped_races_hand_off() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let mut getter = queue.get();
        let (_woken, waker) = flag();
        assert!(poll_with(&mut getter, &waker).is_pending());
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(5).unwrap())
        };
        drop(getter);
        putter.join().unwrap();
        assert_eq!(queue.get_nowait(), Ok(5), "the item was lost");
        assert!(queue.empty());
        assert_eq!((queue.getters(), queue.putters()), (0, 0));
    });
}

/// A parked getter's deadline racing a put that hands it an item: the get returns the
/// item (the hand-off won) or times out and the item is in the queue; never both.
#[test]
fn queue_parked_getter_deadline_races_hand_off() {
    loom::model(|| {
        let queue = Arc::new(Queue::new(1));
        let handle = expired();
        let mut getter = queue.get();
        let (_woken, waker) = flag();
        assert!(poll_with(&mut getter, &waker).is_pending());
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || queue.put_nowait(6).unwrap())
        };
        let got = block_on(getter.deadline_on(&handle, Duration::ZERO));
        putter.join().unwrap();
        match got {
            Ok(item) => {
                assert_eq!(item, 6);
                assert!(queue.empty());
            }
            Err(_) => assert_eq!(queue.get_nowait(), Ok(6), "the item was lost"),
        }
    });
}

/// Two threads ping-ponging through two capacity-1 queues: each getter's slot, freed on
/// one thread, is the spare the next getter on either thread joins with. Every item
/// arrives once, in order.
#[test]
fn queue_pingpong_reuses_slots_across_threads() {
    loom::model(|| {
        let queues = Arc::new((Queue::new(1), Queue::new(1)));
        let echo = {
            let queues = queues.clone();
            thread::spawn(move || {
                let (ping, pong) = &*queues;
                for _ in 0..2 {
                    let item = block_on(ping.get());
                    block_on(pong.put(item * 10));
                }
            })
        };
        let (ping, pong) = &*queues;
        for item in 1..=2 {
            block_on(ping.put(item));
            assert_eq!(block_on(pong.get()), item * 10);
        }
        echo.join().unwrap();
        assert!(ping.empty() && pong.empty());
    });
}

/// A shutdown racing a parked getter's poll: the getter ends (`recv` says shut down) and
/// nothing waits any more.
#[test]
fn queue_shutdown_races_parked_recv() {
    loom::model(|| {
        let queue = Arc::new(Queue::<u8>::new(1));
        let mut getter = queue.recv();
        let (woken, waker) = flag();
        let first = poll_with(&mut getter, &waker);
        let closer = {
            let queue = queue.clone();
            thread::spawn(move || queue.shutdown())
        };
        let result = match first {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => loop {
                if let std::task::Poll::Ready(result) = poll_with(&mut getter, &waker) {
                    break result;
                }
                while !woken.0.load(SeqCst) {
                    thread::yield_now();
                }
            },
        };
        closer.join().unwrap();
        assert!(result.is_err());
        assert_eq!((queue.getters(), queue.putters()), (0, 0));
    });
}
