//! Locks that carry data, owned guards, downgrade, `acquire_many` and sound manual release,
//! through the facade.
//!
//! Most tests poll by hand with counting wakers ([`Probe`]), so each sees exactly who was
//! woken, when, and what the lock showed at that moment. The last section runs one data
//! lock scenario on every runtime, spawning with each runtime's own `spawn`.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use toro::{
    BoundedSemaphore, Lock, LockGuard, NotLocked, OwnedLockGuard, RwLock, Semaphore,
    TooManyReleases,
};

mod support;
use support::{MockClock, Probe, WakeLog, expired_clock, probes, yield_now};

// ---------------------------------------------------------------------------------------
// Helpers

/// Free tokens of an `RwLock`, counted by taking read tokens (valid only when nobody
/// waits, the only time a token can be free).
fn free_reads<T>(rw: &RwLock<T>) -> usize {
    let mut held = Vec::new();
    while let Some(guard) = rw.try_acquire_read() {
        held.push(guard);
    }
    held.len()
}

/// Runs `f`, which must panic, and catches the panic (its message still prints).
fn panics(f: impl FnOnce()) {
    assert!(
        catch_unwind(AssertUnwindSafe(f)).is_err(),
        "expected a panic"
    );
}

// ---------------------------------------------------------------------------------------
// Hand-off into an owned waiter.

/// Owned and borrowed waiters stand in one line: the lock goes to each in the order of
/// the calls, inside the release, with the data each holder left.
#[test]
fn owned_and_borrowed_waiters_are_handed_the_lock_in_call_order() {
    let lock = Arc::new(Lock::with_value(Vec::new()));
    let log = WakeLog::default();
    let p = probes(4, &log);
    let mut holder = lock.try_acquire_owned().unwrap();
    holder.push(99);

    let mut b0 = lock.acquire();
    let mut o1 = lock.acquire_owned();
    let mut b2 = lock.acquire();
    let mut o3 = lock.acquire_owned();
    // Polled in reverse: the line is the order of the calls.
    p[3].pending(&mut o3);
    p[2].pending(&mut b2);
    p[1].pending(&mut o1);
    p[0].pending(&mut b0);
    assert!(format!("{lock:?}").contains("waiters: 4"));

    drop(holder);
    assert_eq!(log.take(), [0], "the oldest waiter (borrowed) is woken");
    assert!(lock.locked(), "handed over, not freed");
    assert!(lock.try_acquire_owned().is_none(), "nobody barges in");
    let mut g0 = p[0].ready(&mut b0);
    assert_eq!(*g0, [99]);
    g0.push(0);

    drop(g0);
    assert_eq!(log.take(), [1], "then the owned waiter behind it");
    p[2].pending(&mut b2);
    p[3].pending(&mut o3);
    let mut g1: OwnedLockGuard<Vec<i32>> = p[1].ready(&mut o1);
    assert!(Arc::ptr_eq(OwnedLockGuard::lock(&g1), &lock));
    assert_eq!(*g1, [99, 0]);
    g1.push(1);

    drop(g1);
    assert_eq!(log.take(), [2]);
    let mut g2 = p[2].ready(&mut b2);
    g2.push(2);
    drop(g2);
    assert_eq!(log.take(), [3]);
    let mut g3 = p[3].ready(&mut o3);
    g3.push(3);
    drop(g3);
    assert!(log.take().is_empty());
    assert!(!lock.locked());
    assert_eq!(*lock.try_acquire().unwrap(), [99, 0, 1, 2, 3]);
    drop((b0, b2, o1, o3));
    assert_eq!(
        Arc::strong_count(&lock),
        1,
        "no owned guard or future leaked an Arc"
    );
}

/// `acquire_owned` is eager like `acquire`: the uncontended call takes the lock, and the
/// future and then the guard keep the `Arc` alive, not longer.
#[test]
fn acquire_owned_is_eager_and_keeps_the_arc_only_while_alive() {
    let lock = Arc::new(Lock::with_value(1u8));
    let acquire = lock.acquire_owned(); // never polled
    assert!(lock.locked(), "the call takes an uncontended lock");
    assert_eq!(Arc::strong_count(&lock), 2, "the future holds an Arc");
    let guard = acquire.now_or_never().expect("already holds the lock");
    assert_eq!(Arc::strong_count(&lock), 2, "the guard holds the Arc now");
    drop(guard);
    assert!(!lock.locked());
    assert_eq!(Arc::strong_count(&lock), 1);

    let guard = lock.try_acquire_owned().unwrap();
    assert_eq!(Arc::strong_count(&lock), 2);
    drop(guard);
    assert_eq!(Arc::strong_count(&lock), 1);
    assert_eq!(Arc::try_unwrap(lock).ok().unwrap().into_inner(), 1);

    // An owned guard (or future) may be the lock's last owner.
    let mut guard = Arc::new(Lock::with_value(String::from("only")))
        .try_acquire_owned()
        .unwrap();
    guard.push_str(" owner");
    assert_eq!(*guard, "only owner");
    let lock = Arc::clone(OwnedLockGuard::lock(&guard));
    let acquire = lock.acquire_owned();
    drop(lock);
    drop(guard); // hands the lock to `acquire`, the last owner now
    let guard = acquire.now_or_never().expect("handed over");
    assert_eq!(*guard, "only owner");
}

/// An owned future handed the lock and then dropped unpolled passes it to the next
/// waiter, and drops its `Arc`.
#[test]
fn dropped_owned_future_that_was_handed_the_lock_passes_it_on() {
    let lock = Arc::new(Lock::with_value(0u32));
    let mut holder = lock.try_acquire_owned().unwrap();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut owned = lock.acquire_owned();
    let mut borrowed = lock.acquire();
    p1.pending(&mut owned);
    p2.pending(&mut borrowed);
    *holder = 7;
    drop(holder);
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    drop(owned); // granted, never polled again
    assert_eq!(p2.wakes(), 1, "the lock went on to the next waiter");
    assert!(lock.locked());
    let g = p2.ready(&mut borrowed);
    assert_eq!(*g, 7);
    drop(g);
    drop(borrowed);
    assert!(!lock.locked());
    assert_eq!(Arc::strong_count(&lock), 1);
}

/// Owned readers and writers share the `RwLock`'s one FIFO line with borrowed ones.
#[test]
fn rwlock_owned_waiters_keep_their_place_in_the_one_line() {
    let rw = Arc::new(RwLock::with_value(0u32, 2));
    let log = WakeLog::default();
    let p = probes(4, &log);
    let mut writer = rw.try_acquire_write_owned().unwrap();
    *writer = 1;
    let mut r0 = rw.acquire_read_owned();
    let mut r1 = rw.acquire_read();
    let mut w2 = rw.acquire_write_owned();
    let mut r3 = rw.acquire_read_owned();
    p[0].pending(&mut r0);
    p[1].pending(&mut r1);
    p[2].pending(&mut w2);
    p[3].pending(&mut r3);

    drop(writer);
    assert_eq!(
        log.take(),
        [0, 1],
        "both readers at the head enter together"
    );
    let g0 = p[0].ready(&mut r0);
    let g1 = p[1].ready(&mut r1);
    assert_eq!((*g0, *g1), (1, 1));
    p[2].pending(&mut w2);
    p[3].pending(&mut r3);
    drop(g0);
    assert!(log.take().is_empty(), "the writer waits for every reader");
    drop(g1);
    assert_eq!(log.take(), [2]);
    let mut g2 = p[2].ready(&mut w2);
    *g2 = 2;
    p[3].pending(&mut r3);
    drop(g2);
    assert_eq!(
        log.take(),
        [3],
        "the reader behind the writer comes after it"
    );
    let g3 = p[3].ready(&mut r3);
    assert_eq!(*g3, 2);
    drop(g3);
    drop((r0, w2, r3));
    assert_eq!(free_reads(&rw), 2);
    assert_eq!(Arc::strong_count(&rw), 1);
}

/// Owned semaphore guards queue with borrowed acquirers and give back their token.
#[test]
fn semaphore_owned_acquirers_are_served_in_line() {
    let sem = Arc::new(Semaphore::new(1));
    let log = WakeLog::default();
    let p = probes(2, &log);
    let held = sem.try_acquire_owned().unwrap();
    assert_eq!(held.tokens(), 1);
    assert_eq!(sem.counter(), 0);
    let mut o0 = sem.acquire_owned();
    let mut b1 = sem.acquire();
    p[1].pending(&mut b1);
    p[0].pending(&mut o0);
    drop(held);
    assert_eq!(log.take(), [0]);
    assert_eq!(sem.counter(), 0, "handed over, not freed");
    let g0 = p[0].ready(&mut o0);
    drop(g0);
    assert_eq!(log.take(), [1]);
    drop(p[1].ready(&mut b1));
    assert_eq!(sem.counter(), 1);
    drop(o0);
    assert_eq!(Arc::strong_count(&sem), 1);

    let bounded = Arc::new(BoundedSemaphore::new(1));
    let held = bounded.acquire_owned().now_or_never().unwrap();
    let mut waiter = bounded.acquire_owned();
    let q = Probe::new();
    q.pending(&mut waiter);
    assert!(bounded.try_acquire_owned().is_none());
    drop(held);
    assert_eq!(q.wakes(), 1);
    assert_eq!(bounded.counter(), 0);
    drop(q.ready(&mut waiter));
    assert_eq!(bounded.counter(), 1);
    drop(waiter);
    assert_eq!(Arc::strong_count(&bounded), 1);
}

// ---------------------------------------------------------------------------------------
// Downgrade.

/// Readers at the head enter inside the downgrade and see what the writer wrote; the
/// downgraded guard keeps exactly one token.
#[test]
fn downgrade_lets_waiting_readers_in_at_once() {
    let rw = RwLock::with_value(String::new(), 4);
    let log = WakeLog::default();
    let p = probes(2, &log);
    let mut w = rw.try_acquire_write().unwrap();
    w.push_str("written");
    let mut r0 = rw.acquire_read();
    let mut r1 = rw.acquire_read();
    p[0].pending(&mut r0);
    p[1].pending(&mut r1);

    let read = w.downgrade();
    assert_eq!(log.take(), [0, 1], "both woken inside the downgrade");
    assert_eq!(&*read, "written");
    let g0 = p[0].ready(&mut r0);
    let g1 = p[1].ready(&mut r1);
    assert_eq!((g0.as_str(), g1.as_str()), ("written", "written"));
    // 4 tokens: the downgraded reader keeps one, each reader one, one is free.
    assert_eq!(free_reads(&rw), 1);
    assert!(rw.try_acquire_write().is_none(), "readers are in");
    drop((read, g0, g1));
    assert_eq!(free_reads(&rw), 4);
}

/// More readers wait than the downgrade has tokens to give: those it can serve enter, in
/// order; the next waits for a token.
#[test]
fn downgrade_gives_no_more_tokens_than_it_has() {
    let rw = RwLock::with_value(0u8, 3);
    let log = WakeLog::default();
    let p = probes(3, &log);
    let w = rw.try_acquire_write().unwrap();
    let mut r: Vec<_> = (0..3).map(|_| rw.acquire_read()).collect();
    for (probe, wait) in p.iter().zip(&mut r) {
        probe.pending(wait);
    }
    let read = w.downgrade();
    assert_eq!(
        log.take(),
        [0, 1],
        "two tokens given, to the two oldest readers"
    );
    let g0 = p[0].ready(&mut r[0]);
    let g1 = p[1].ready(&mut r[1]);
    p[2].pending(&mut r[2]);
    drop(g0);
    assert_eq!(log.take(), [2]);
    let g2 = p[2].ready(&mut r[2]);
    drop((read, g1, g2));
    drop(r);
    assert_eq!(free_reads(&rw), 3);
}

/// A writer at the head gets what the downgrade gives but still waits for the downgraded
/// reader; a reader behind that writer stays behind it, and nobody barges in.
#[test]
fn downgrade_with_a_writer_at_the_head_keeps_it_waiting_for_the_reader() {
    let rw = RwLock::with_value(0u32, 3);
    let log = WakeLog::default();
    let p = probes(2, &log);
    let mut w = rw.try_acquire_write().unwrap();
    *w = 1;
    let mut w0 = rw.acquire_write();
    let mut r1 = rw.acquire_read();
    p[0].pending(&mut w0);
    p[1].pending(&mut r1);

    let read = w.downgrade();
    assert!(
        log.take().is_empty(),
        "neither the writer nor the reader behind it"
    );
    assert!(rw.locked());
    assert!(
        rw.try_acquire_read().is_none(),
        "a newcomer cannot pass the writer"
    );
    p[0].pending(&mut w0);
    p[1].pending(&mut r1);
    assert_eq!(*read, 1);

    drop(read);
    assert_eq!(log.take(), [0], "the writer, once the reader is gone");
    let mut g0 = p[0].ready(&mut w0);
    *g0 = 2;
    p[1].pending(&mut r1);
    drop(g0);
    assert_eq!(log.take(), [1]);
    assert_eq!(*p[1].ready(&mut r1), 2);
    assert_eq!(free_reads(&rw), 3);
}

/// Reader, writer, reader in line: the downgrade admits only the first reader; the writer
/// gets the rest of the tokens and waits; the last reader stays behind it.
#[test]
fn downgrade_admits_readers_only_up_to_the_first_writer() {
    let rw = RwLock::with_value((), 4);
    let log = WakeLog::default();
    let p = probes(3, &log);
    let w = rw.try_acquire_write().unwrap();
    let mut r0 = rw.acquire_read();
    let mut w1 = rw.acquire_write();
    let mut r2 = rw.acquire_read();
    p[0].pending(&mut r0);
    p[1].pending(&mut w1);
    p[2].pending(&mut r2);

    let read = w.downgrade();
    assert_eq!(log.take(), [0]);
    let g0 = p[0].ready(&mut r0);
    p[1].pending(&mut w1);
    p[2].pending(&mut r2);
    assert!(
        rw.try_acquire_read().is_none(),
        "every token is out or promised"
    );
    drop(read);
    assert!(log.take().is_empty(), "one reader is still in");
    drop(g0);
    assert_eq!(log.take(), [1]);
    let g1 = p[1].ready(&mut w1);
    p[2].pending(&mut r2);
    drop(g1);
    assert_eq!(log.take(), [2]);
    drop(p[2].ready(&mut r2));
    assert_eq!(free_reads(&rw), 4);
}

/// A writer that was given the downgrade's tokens and then leaves the line (timed out
/// here) hands them on to the readers behind it.
#[test]
fn downgrade_then_the_waiting_writer_leaves_hands_its_tokens_to_the_readers_behind() {
    let (clock, handle) = MockClock::new();
    let rw = RwLock::with_value(5u8, 3);
    let log = WakeLog::default();
    let p = probes(3, &log);
    let w = rw.try_acquire_write().unwrap();
    let mut w0 = rw
        .acquire_write()
        .deadline_on(&handle, Duration::from_secs(1));
    let mut r1 = rw.acquire_read();
    let mut r2 = rw.acquire_read();
    p[0].pending(&mut w0);
    p[1].pending(&mut r1);
    p[2].pending(&mut r2);
    let read = w.downgrade();
    assert!(log.take().is_empty());
    clock.advance(Duration::from_secs(1));
    assert_eq!(log.take(), [0], "the writer's timer fired");
    assert!(p[0].ready(&mut w0).is_err());
    assert_eq!(log.take(), [1, 2], "its two tokens went to both readers");
    let (g1, g2) = (p[1].ready(&mut r1), p[2].ready(&mut r2));
    assert_eq!((*read, *g1, *g2), (5, 5, 5));
    assert!(rw.try_acquire_read().is_none(), "all three tokens are out");
    drop((read, g1, g2));
    assert_eq!(free_reads(&rw), 3);
}

/// With `max_readers == 1` a downgrade gives nothing: the waiting reader waits for the
/// downgraded one.
#[test]
fn downgrade_with_one_token_keeps_it() {
    let rw = RwLock::with_value(3u8, 1);
    let w = rw.try_acquire_write().unwrap();
    let p = Probe::new();
    let mut r = rw.acquire_read();
    p.pending(&mut r);
    let read = w.downgrade();
    assert_eq!(p.wakes(), 0);
    assert_eq!(*read, 3);
    assert!(rw.locked());
    drop(read);
    assert_eq!(p.wakes(), 1);
    assert_eq!(*p.ready(&mut r), 3);
}

/// The owned twin: readers at the head enter, a writer behind them waits for every
/// reader, including the downgraded one; the `Arc` is not leaked.
#[test]
fn owned_downgrade_follows_the_same_order() {
    let rw = Arc::new(RwLock::with_value(vec![0u8], 3));
    let log = WakeLog::default();
    let p = probes(3, &log);
    let mut w = rw.acquire_write_owned().now_or_never().unwrap();
    w.push(1);
    let mut r0 = rw.acquire_read_owned();
    let mut w1 = rw.acquire_write_owned();
    let mut r2 = rw.acquire_read_owned();
    p[0].pending(&mut r0);
    p[1].pending(&mut w1);
    p[2].pending(&mut r2);

    let read = w.downgrade();
    assert_eq!(log.take(), [0]);
    assert_eq!(*read, [0, 1]);
    let g0 = p[0].ready(&mut r0);
    assert_eq!(*g0, [0, 1]);
    p[1].pending(&mut w1);
    p[2].pending(&mut r2);
    drop(g0);
    assert!(log.take().is_empty(), "the downgraded reader is still in");
    drop(read);
    assert_eq!(log.take(), [1]);
    let mut g1 = p[1].ready(&mut w1);
    g1.push(2);
    drop(g1);
    assert_eq!(log.take(), [2]);
    assert_eq!(*p[2].ready(&mut r2), [0, 1, 2]);
    drop((r0, w1, r2));
    assert_eq!(Arc::strong_count(&rw), 1);
    assert_eq!(free_reads(&rw), 3);
}

// ---------------------------------------------------------------------------------------
// Manual release: refused with live guards only, accepted after forget.

#[test]
fn lock_release_with_live_guards_only_is_refused_and_changes_nothing() {
    let lock = Arc::new(Lock::with_value(1u32));
    let mut guard = lock.try_acquire().unwrap();
    *guard = 2;
    let p = Probe::new();
    let mut waiter = lock.acquire_owned();
    p.pending(&mut waiter);
    assert_eq!(lock.release(), Err(NotLocked));
    assert!(lock.locked());
    assert_eq!(p.wakes(), 0, "the waiter was not handed the lock");
    p.pending(&mut waiter);
    assert_eq!(*guard, 2, "the guard still holds it");
    drop(guard);
    assert_eq!(p.wakes(), 1);
    let owned = p.ready(&mut waiter);
    assert_eq!(*owned, 2);
    // A live owned guard is refused too.
    assert_eq!(lock.release(), Err(NotLocked));
    assert!(lock.locked());
    assert!(
        lock.try_acquire().is_none(),
        "still held by the owned guard"
    );
    drop(owned);
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(NotLocked), "free: nothing to release");
    assert!(!lock.locked());
}

#[test]
fn rwlock_release_read_with_live_readers_only_is_refused() {
    let rw = RwLock::with_value(0u8, 2);
    let r = rw.try_acquire_read().unwrap();
    // One token free, one held by a live reader: refused, no token appears.
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(free_reads(&rw), 1);
    let r2 = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut writer = rw.acquire_write();
    p.pending(&mut writer);
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(rw.release_write(), Err(NotLocked));
    assert_eq!(p.wakes(), 0, "the writer was given nothing");
    assert!(rw.locked());
    drop(r);
    assert_eq!(p.wakes(), 0, "still one reader in");
    drop(r2);
    assert_eq!(p.wakes(), 1);
    drop(p.ready(&mut writer));
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_release_write_with_a_live_writer_is_refused() {
    let rw = Arc::new(RwLock::with_value(0u8, 2));
    let mut w = rw.try_acquire_write_owned().unwrap();
    *w = 9;
    let p = Probe::new();
    let mut reader = rw.acquire_read();
    p.pending(&mut reader);
    assert_eq!(rw.release_write(), Err(NotLocked));
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(p.wakes(), 0, "the reader was not let in beside the writer");
    assert!(rw.locked());
    assert_eq!(*w, 9);
    drop(w);
    assert_eq!(p.wakes(), 1);
    assert_eq!(*p.ready(&mut reader), 9);
}

#[test]
fn bounded_release_with_live_guards_only_is_refused_and_changes_nothing() {
    let sem = Arc::new(BoundedSemaphore::new(2));
    let g1 = sem.try_acquire().unwrap();
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 1);
    let g2 = sem.try_acquire_owned().unwrap();
    let p = Probe::new();
    let mut waiter = sem.acquire();
    p.pending(&mut waiter);
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 0);
    assert!(sem.locked());
    assert_eq!(p.wakes(), 0, "the waiter was not handed a token");
    drop(g1);
    assert_eq!(p.wakes(), 1);
    let g3 = p.ready(&mut waiter);
    assert_eq!(sem.counter(), 0);
    drop((g2, g3));
    assert_eq!(sem.counter(), 2);
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 2);
}

/// An unbounded `Semaphore::release` still adds a token, guards or not.
#[test]
fn semaphore_release_still_adds_a_token() {
    let sem = Semaphore::new(1);
    let g = sem.try_acquire().unwrap();
    sem.release();
    assert_eq!(sem.counter(), 1);
    drop(g);
    assert_eq!(sem.counter(), 2);
}

#[test]
fn lock_release_after_forget_is_accepted_once_per_forgotten_guard() {
    let lock = Arc::new(Lock::with_value(0u32));
    let mut g = lock.try_acquire().unwrap();
    *g = 4;
    g.forget();
    assert!(lock.locked(), "a forgotten guard keeps the lock");
    let p = Probe::new();
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);
    assert_eq!(lock.release(), Ok(()));
    assert_eq!(p.wakes(), 1, "handed to the waiter");
    assert!(lock.locked());
    let g = p.ready(&mut waiter);
    assert_eq!(*g, 4, "the data the forgotten guard left");
    assert_eq!(
        lock.release(),
        Err(NotLocked),
        "one release per forgotten guard"
    );
    assert!(lock.locked());
    drop(g);
    assert!(!lock.locked());

    // An owned guard's forget drops its Arc but keeps the lock.
    lock.try_acquire_owned().unwrap().forget();
    assert_eq!(Arc::strong_count(&lock), 1);
    assert!(lock.locked());
    assert_eq!(lock.release(), Ok(()));
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(NotLocked));
    let mut owned = lock.acquire_owned();
    Probe::new().ready(&mut owned).forget();
    assert_eq!(lock.release(), Ok(()));
    assert!(!lock.locked());
}

#[test]
fn rwlock_releases_after_forget_are_accepted() {
    let rw = Arc::new(RwLock::with_value(0u8, 2));
    rw.try_acquire_read().unwrap().forget();
    let live = rw.try_acquire_read_owned().unwrap();
    assert_eq!(
        rw.release_write(),
        Err(NotLocked),
        "one token forgotten, not two"
    );
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(
        rw.release_read(),
        Err(NotLocked),
        "the other reader is live"
    );
    assert_eq!(free_reads(&rw), 1);
    live.forget();
    assert_eq!(Arc::strong_count(&rw), 1);
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(free_reads(&rw), 2);

    // A forgotten writer, released by hand, hands off to both waiting readers.
    let log = WakeLog::default();
    let p = probes(2, &log);
    rw.try_acquire_write_owned().unwrap().forget();
    assert_eq!(Arc::strong_count(&rw), 1);
    let mut r0 = rw.acquire_read();
    let mut r1 = rw.acquire_read_owned();
    p[0].pending(&mut r0);
    p[1].pending(&mut r1);
    assert_eq!(rw.release_write(), Ok(()));
    assert_eq!(log.take(), [0, 1]);
    assert_eq!(rw.release_write(), Err(NotLocked));
    drop((p[0].ready(&mut r0), p[1].ready(&mut r1)));
    assert_eq!(free_reads(&rw), 2);

    let mut w = rw.try_acquire_write().unwrap();
    *w = 1;
    w.forget();
    assert_eq!(rw.release_write(), Ok(()));
    assert_eq!(*rw.try_acquire_read().unwrap(), 1);
}

#[test]
fn bounded_release_after_forget_is_accepted_once_per_forgotten_token() {
    let sem = Arc::new(BoundedSemaphore::new(2));
    sem.try_acquire().unwrap().forget();
    let live = sem.try_acquire_owned().unwrap();
    assert_eq!(sem.counter(), 0);
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.counter(), 1);
    assert_eq!(
        sem.release(),
        Err(TooManyReleases),
        "the other guard is live"
    );
    assert_eq!(sem.counter(), 1);
    live.forget();
    assert_eq!(Arc::strong_count(&sem), 1);
    let p = Probe::new();
    let mut big = sem.acquire_many(2);
    p.pending(&mut big);
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(
        p.wakes(),
        1,
        "the released token completed the waiting request"
    );
    let g = p.ready(&mut big);
    assert_eq!(g.tokens(), 2);
    g.forget();
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 2);
}

// ---------------------------------------------------------------------------------------
// Data: visible to the next holder, no poisoning.

#[test]
fn data_written_by_one_holder_is_seen_by_the_waiter_handed_the_lock() {
    let lock = Arc::new(Lock::with_value(Vec::new()));
    let mut guard = lock.try_acquire_owned().unwrap();
    let p = Probe::new();
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);
    // The holder writes on another thread and drops the guard there.
    std::thread::spawn(move || {
        guard.push("from the thread");
        drop(guard);
    })
    .join()
    .unwrap();
    assert_eq!(p.wakes(), 1);
    let mut g = p.ready(&mut waiter);
    assert_eq!(*g, ["from the thread"]);
    g.push("from main");
    drop(g);
    assert_eq!(
        *lock.try_acquire().unwrap(),
        ["from the thread", "from main"]
    );

    let rw = RwLock::with_value(0u64, 2);
    let mut w = rw.try_acquire_write().unwrap();
    let mut r = rw.acquire_read();
    *w += 40;
    *w += 2;
    drop(w);
    assert_eq!(*Probe::new().ready(&mut r), 42);
}

#[test]
fn a_holder_that_panics_releases_the_lock_and_leaves_the_data_as_it_was() {
    let lock = Lock::with_value(vec![1]);
    let p = Probe::new();
    let mut waiter = None;
    panics(|| {
        let mut g = lock.try_acquire().unwrap();
        g.push(2);
        // A waiter queues while the lock is held.
        let mut w = lock.acquire();
        p.pending(&mut w);
        waiter = Some(w);
        panic!("holder panics");
    });
    assert_eq!(p.wakes(), 1, "the unwinding guard handed the lock on");
    let mut waiter = waiter.unwrap();
    let g = p.ready(&mut waiter);
    assert_eq!(
        *g,
        [1, 2],
        "no poisoning: the data as the panicking holder left it"
    );
    drop(g);
    assert!(!lock.locked());
}

#[test]
fn a_thread_that_panics_with_an_owned_guard_releases_the_lock() {
    let lock = Arc::new(Lock::with_value(0u32));
    let guard = lock.try_acquire_owned().unwrap();
    let joined = std::thread::spawn(move || {
        let mut guard = guard;
        *guard = 5;
        panic!("thread panics while holding the lock");
    })
    .join();
    assert!(joined.is_err());
    assert!(!lock.locked());
    assert_eq!(Arc::strong_count(&lock), 1);
    assert_eq!(*lock.try_acquire().unwrap(), 5);
}

#[test]
fn a_task_that_panics_while_holding_releases_the_lock() {
    let lock = Arc::new(Lock::with_value(String::from("a")));
    let task_lock = lock.clone();
    let joined = std::thread::spawn(move || {
        toro::block_on(async move {
            let mut g = task_lock.acquire_owned().await;
            g.push('b');
            yield_now().await;
            if g.len() == 2 {
                panic!("task panics while holding the lock");
            }
        })
    })
    .join();
    assert!(joined.is_err());
    assert!(!lock.locked());
    assert_eq!(*lock.try_acquire().unwrap(), "ab");

    // RwLock: a panicking writer and a panicking reader release their tokens.
    let rw = RwLock::with_value(0u8, 2);
    panics(|| {
        let mut w = rw.try_acquire_write().unwrap();
        *w = 3;
        panic!("writer panics");
    });
    panics(|| {
        let r = rw.try_acquire_read().unwrap();
        assert_eq!(*r, 3);
        panic!("reader panics");
    });
    assert_eq!(free_reads(&rw), 2);
    assert_eq!(*rw.try_acquire_write().unwrap(), 3);
}

// ---------------------------------------------------------------------------------------
// acquire_many.

/// A request for many tokens at the head is served whole before anyone behind it, even
/// while enough tokens for the small ones are coming back.
#[test]
fn a_large_request_at_the_head_is_not_overtaken_by_small_ones() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire().unwrap();
    let b = sem.try_acquire().unwrap();
    let log = WakeLog::default();
    let p = probes(2, &log);
    let mut big = sem.acquire_many(3);
    assert_eq!(sem.counter(), 0, "the free token is claimed by the request");
    let mut small = sem.acquire();
    p[0].pending(&mut big);
    p[1].pending(&mut small);
    assert!(sem.try_acquire().is_none());

    drop(a);
    assert!(
        log.take().is_empty(),
        "the big request still misses a token"
    );
    assert_eq!(
        sem.counter(),
        0,
        "the returned token went to the big request"
    );
    assert!(sem.try_acquire().is_none(), "nobody barges in");
    p[1].pending(&mut small);
    drop(b);
    assert_eq!(log.take(), [0]);
    let g = p[0].ready(&mut big);
    assert_eq!(g.tokens(), 3);
    p[1].pending(&mut small);
    drop(g);
    assert_eq!(log.take(), [1]);
    assert_eq!(
        sem.counter(),
        2,
        "three back, one handed to the small request"
    );
    let s = p[1].ready(&mut small);
    assert_eq!(s.tokens(), 1);
    drop(s);
    assert_eq!(sem.counter(), 3);
}

/// A large request that leaves the line gives back the tokens it had gathered.
#[test]
fn dropping_a_waiting_large_request_gives_back_its_partial_tokens() {
    let sem = Semaphore::new(3);
    let a = sem.try_acquire().unwrap();
    let b = sem.try_acquire().unwrap();
    let p = Probe::new();
    let pb = Probe::new();
    let mut big = sem.acquire_many(3); // takes the free token
    let mut small = sem.acquire();
    pb.pending(&mut big);
    p.pending(&mut small);
    drop(a); // to the big request: it holds two now
    assert_eq!(sem.counter(), 0);
    assert_eq!((pb.wakes(), p.wakes()), (0, 0));
    pb.pending(&mut big);
    drop(big);
    assert_eq!(p.wakes(), 1, "the small request behind it got one of them");
    assert_eq!(sem.counter(), 1, "and the other is free");
    let s = p.ready(&mut small);
    drop((s, b));
    assert_eq!(sem.counter(), 3);

    // The same when it times out.
    let bounded = BoundedSemaphore::new(2);
    let a = bounded.try_acquire().unwrap();
    let mut big = bounded
        .acquire_many(2)
        .deadline_on(&expired_clock(), Duration::ZERO);
    assert_eq!(bounded.counter(), 0);
    assert!(Probe::new().ready(&mut big).is_err());
    assert_eq!(bounded.counter(), 1, "the claimed token is back");
    drop(a);
    assert_eq!(bounded.counter(), 2);
    assert_eq!(bounded.release(), Err(TooManyReleases));
}

/// A request for no tokens that reaches the head of the line (the waiter before it left)
/// completes: it needs nothing, so it must not wait for a release that may never come.
#[test]
fn a_zero_token_request_at_the_head_of_the_line_completes() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (pa, pz) = (Probe::new(), Probe::new());
    let mut a = sem.acquire();
    let mut zero = sem.acquire_many(0);
    pa.pending(&mut a);
    // Either at the call (it needs nothing) or once at the head of the line.
    let first = pz.poll(&mut zero);
    drop(a); // leaves the line: the zero request is at the head
    let g = match first {
        std::task::Poll::Ready(g) => g,
        std::task::Poll::Pending => pz.ready(&mut zero),
    };
    assert_eq!(g.tokens(), 0);
    drop(g);
    drop(zero);
    assert_eq!(sem.counter(), 0, "the holder still has its token");
    drop(held);
    assert_eq!(sem.counter(), 1);
    assert!(format!("{sem:?}").contains("waiters: 0"));

    // On a `BoundedSemaphore::new(0)` no release can ever come: it would wait forever.
    let bounded = BoundedSemaphore::new(0);
    let mut a = bounded.acquire();
    let mut zero = bounded.acquire_many(0);
    pa.pending(&mut a);
    let first = pz.poll(&mut zero);
    drop(a);
    let g = match first {
        std::task::Poll::Ready(g) => g,
        std::task::Poll::Pending => pz.ready(&mut zero),
    };
    assert_eq!(g.tokens(), 0);
}

#[test]
fn try_acquire_many_takes_all_or_nothing() {
    let sem = Semaphore::new(3);
    assert!(sem.try_acquire_many(4).is_none());
    assert_eq!(sem.counter(), 3, "a refused try takes nothing");
    let g = sem.try_acquire_many(2).unwrap();
    assert_eq!(g.tokens(), 2);
    assert_eq!(sem.counter(), 1);
    assert!(sem.try_acquire_many(2).is_none());
    assert_eq!(sem.counter(), 1);
    drop(g);
    assert_eq!(sem.counter(), 3, "the guard gives back all it took");

    // Nobody passes a waiting request, even with enough free for the try.
    let g = sem.try_acquire_many(3).unwrap();
    let mut waiting = sem.acquire_many(2);
    let p = Probe::new();
    p.pending(&mut waiting);
    drop(g);
    assert_eq!(p.wakes(), 1);
    assert_eq!(sem.counter(), 1);
    assert_eq!(p.ready(&mut waiting).tokens(), 2);
    drop(waiting);
    assert_eq!(sem.counter(), 3);

    let bounded = BoundedSemaphore::new(2);
    assert!(
        bounded.try_acquire_many(3).is_none(),
        "above the bound: None"
    );
    assert_eq!(bounded.counter(), 2);
    let g = bounded.try_acquire_many(2).unwrap();
    assert_eq!(bounded.counter(), 0);
    drop(g);
    assert_eq!(bounded.counter(), 2);
    let g = bounded
        .acquire_many(2)
        .now_or_never()
        .expect("the bound itself is fine");
    assert_eq!(g.tokens(), 2);
}

// `acquire_many` above what a semaphore can ever hold panics at the call: tested with the
// other panic messages, in `tests/regressions.rs`.

// ---------------------------------------------------------------------------------------
// Owned futures with deadlines.

/// Every owned wait with an expired deadline returns `Err`, leaves the line and gives
/// back every token and `Arc` it had.
#[test]
fn owned_waits_with_an_expired_deadline_give_everything_back() {
    let expired = expired_clock();

    let lock = Arc::new(Lock::with_value(0u8));
    let held = lock.try_acquire_owned().unwrap();
    let mut late = lock.acquire_owned().deadline_on(&expired, Duration::ZERO);
    assert!(Probe::new().ready(&mut late).is_err());
    drop(late);
    assert_eq!(Arc::strong_count(&lock), 2, "the holder's Arc only");
    drop(held);
    assert!(!lock.locked(), "the timed-out waiter took nothing");
    assert!(!format!("{lock:?}").contains("waiters: 1"));

    let rw = Arc::new(RwLock::with_value(0u8, 3));
    let reader = rw.try_acquire_read_owned().unwrap();
    let mut writer = rw
        .acquire_write_owned()
        .deadline_on(&expired, Duration::ZERO);
    assert!(rw.locked(), "the writer claimed the two free tokens");
    let p = Probe::new();
    let mut behind = rw.acquire_read_owned();
    p.pending(&mut behind);
    assert!(Probe::new().ready(&mut writer).is_err());
    assert_eq!(
        p.wakes(),
        1,
        "its claimed tokens went to the reader behind it"
    );
    let g = p.ready(&mut behind);
    assert_eq!(free_reads(&rw), 1);
    drop((g, behind, writer, reader));
    assert_eq!(free_reads(&rw), 3);
    assert_eq!(Arc::strong_count(&rw), 1);

    let w = rw.try_acquire_write_owned().unwrap();
    let mut r = rw
        .acquire_read_owned()
        .deadline_on(&expired, Duration::ZERO);
    assert!(Probe::new().ready(&mut r).is_err());
    drop((w, r));
    assert_eq!(free_reads(&rw), 3);
    assert_eq!(Arc::strong_count(&rw), 1);

    let sem = Arc::new(Semaphore::new(0));
    let mut s = sem.acquire_owned().deadline_on(&expired, Duration::ZERO);
    assert!(Probe::new().ready(&mut s).is_err());
    drop(s);
    sem.release();
    assert_eq!(sem.counter(), 1, "the timed-out acquirer took nothing");
    assert_eq!(Arc::strong_count(&sem), 1);

    let bounded = Arc::new(BoundedSemaphore::new(1));
    let held = bounded.try_acquire_owned().unwrap();
    let mut b = bounded
        .acquire_owned()
        .deadline_on(&expired, Duration::ZERO);
    assert!(Probe::new().ready(&mut b).is_err());
    drop((b, held));
    assert_eq!(bounded.counter(), 1);
    assert_eq!(Arc::strong_count(&bounded), 1);
}

/// On a mock clock: pending until the deadline, then `Err`, and the lock that comes free
/// later goes to the next waiter, not the timed-out one.
#[test]
fn owned_lock_wait_times_out_on_a_mock_clock() {
    let (clock, handle) = MockClock::new();
    let lock = Arc::new(Lock::with_value(0u8));
    let held = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut timed = lock
        .acquire_owned()
        .deadline_on(&handle, Duration::from_secs(5));
    let q = Probe::new();
    let mut next = lock.acquire_owned();
    p.pending(&mut timed);
    q.pending(&mut next);
    clock.advance(Duration::from_secs(4));
    p.pending(&mut timed);
    clock.advance(Duration::from_secs(1));
    assert_eq!(p.wakes(), 1);
    assert!(p.ready(&mut timed).is_err());
    drop(held);
    assert_eq!(q.wakes(), 1, "the next waiter, not the timed-out one");
    drop(q.ready(&mut next));
    drop((timed, next));
    assert!(!lock.locked());
    assert_eq!(Arc::strong_count(&lock), 1);
}

/// `.deadline(d)` on owned waits, with a mock clock entered as the current loop: an owned
/// writer that times out gives back the tokens it claimed, an owned reader and an owned
/// permit take nothing.
#[test]
fn owned_waits_with_deadline_on_the_entered_mock_clock() {
    let (clock, handle) = MockClock::new();
    let _entered = handle.enter();
    let rw = Arc::new(RwLock::with_value(0u8, 2));
    let reader = rw.try_acquire_read_owned().unwrap();
    let (pw, pr) = (Probe::new(), Probe::new());
    let mut writer = rw.acquire_write_owned().deadline(Duration::from_secs(2));
    let mut behind = rw.acquire_read_owned().deadline(Duration::from_secs(3));
    pw.pending(&mut writer);
    pr.pending(&mut behind);
    assert_eq!(clock.sleeps().len(), 2, "the waits use the entered clock");
    clock.advance(Duration::from_secs(2));
    assert_eq!((pw.wakes(), pr.wakes()), (1, 0));
    assert!(pw.ready(&mut writer).is_err());
    assert_eq!(
        pr.wakes(),
        1,
        "the writer's claimed token went to the reader behind it"
    );
    let r = pr
        .ready(&mut behind)
        .expect("handed a token before its deadline");
    assert!(
        rw.try_acquire_read().is_none(),
        "both tokens are held by readers"
    );
    drop((r, reader, writer, behind));
    assert_eq!(free_reads(&rw), 2);
    assert_eq!(Arc::strong_count(&rw), 1);

    let sem = Arc::new(BoundedSemaphore::new(1));
    let held = sem.try_acquire_owned().unwrap();
    let p = Probe::new();
    let mut permit = sem.acquire_owned().deadline(Duration::from_secs(1));
    p.pending(&mut permit);
    clock.advance(Duration::from_secs(1));
    assert!(p.ready(&mut permit).is_err());
    drop((permit, held));
    assert_eq!(sem.counter(), 1);
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(Arc::strong_count(&sem), 1);
}

// ---------------------------------------------------------------------------------------
// Construction, access without locking, Debug.

#[test]
fn get_mut_into_inner_default_and_from() {
    let mut lock = Lock::with_value(vec![1]);
    lock.get_mut().push(2);
    assert_eq!(*lock.try_acquire().unwrap(), [1, 2]);
    assert_eq!(lock.into_inner(), [1, 2]);

    let lock: Lock<Vec<u8>> = Lock::default();
    assert!(!lock.locked());
    assert!(lock.into_inner().is_empty());
    let lock: Lock<u32> = Lock::from(7);
    assert_eq!(*lock.try_acquire().unwrap(), 7);
    let lock: Lock<String> = String::from("x").into();
    assert_eq!(lock.into_inner(), "x");

    let mut rw = RwLock::with_value(1u8, 2);
    *rw.get_mut() += 1;
    assert_eq!(*rw.try_acquire_read().unwrap(), 2);
    assert_eq!(rw.max_readers(), 2);
    assert_eq!(rw.into_inner(), 2);

    // The bare forms are unchanged.
    let bare: Lock = Lock::new();
    let guard: LockGuard<'_> = bare.try_acquire().unwrap();
    assert_eq!(*guard, ());
    drop(guard);
    let bare: RwLock = RwLock::new(1);
    assert_eq!(bare.max_readers(), 1);
}

#[test]
fn a_data_lock_can_be_a_static() {
    static COUNTER: Lock<u64> = Lock::with_value(0);
    static NAMES: Lock<Vec<&str>> = Lock::with_value(Vec::new());
    toro::block_on(async {
        *COUNTER.acquire().await += 1;
        NAMES.acquire().await.push("a");
        let g = COUNTER.acquire().await;
        assert!(COUNTER.locked());
        assert_eq!(*g, 1);
    });
    assert!(!COUNTER.locked());
    assert_eq!(*NAMES.try_acquire().unwrap(), ["a"]);
}

#[test]
fn debug_of_free_and_held_locks_and_guards() {
    let lock = Arc::new(Lock::with_value(5));
    assert_eq!(
        format!("{lock:?}"),
        "Lock { locked: false, waiters: 0, data: 5 }"
    );
    assert!(!lock.locked(), "Debug let go of the lock");
    let guard = lock.try_acquire().unwrap();
    assert_eq!(format!("{guard:?}"), "LockGuard { data: 5 }");
    assert_eq!(
        format!("{lock:?}"),
        "Lock { locked: true, waiters: 0, data: <locked> }"
    );
    let p = Probe::new();
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);
    assert_eq!(
        format!("{lock:?}"),
        "Lock { locked: true, waiters: 1, data: <locked> }"
    );
    drop(guard);
    assert_eq!(p.wakes(), 1);
    assert_eq!(
        format!("{lock:?}"),
        "Lock { locked: true, waiters: 0, data: <locked> }",
        "handed to the waiter: held, nobody in line"
    );
    drop(p.ready(&mut waiter));
    drop(waiter);
    let owned = lock.try_acquire_owned().unwrap();
    assert_eq!(format!("{owned:?}"), "OwnedLockGuard { data: 5 }");
    drop(owned);
    assert_eq!(
        format!("{:?}", Lock::new()),
        "Lock { locked: false, waiters: 0, data: () }"
    );

    let rw = Arc::new(RwLock::with_value("d", 2));
    assert_eq!(
        format!("{rw:?}"),
        "RwLock { max_readers: 2, counter: 2, waiters: 0, data: \"d\" }"
    );
    let r = rw.try_acquire_read().unwrap();
    assert_eq!(format!("{r:?}"), "ReadGuard { data: \"d\" }");
    assert_eq!(
        format!("{rw:?}"),
        "RwLock { max_readers: 2, counter: 1, waiters: 0, data: \"d\" }"
    );
    drop(r);
    assert_eq!(free_reads(&rw), 2, "Debug gave back its read token");
    let w = rw.try_acquire_write_owned().unwrap();
    assert_eq!(format!("{w:?}"), "OwnedWriteGuard { data: \"d\" }");
    assert_eq!(
        format!("{rw:?}"),
        "RwLock { max_readers: 2, counter: 0, waiters: 0, data: <locked> }"
    );
    let r = w.downgrade();
    assert_eq!(format!("{r:?}"), "OwnedReadGuard { data: \"d\" }");
    drop(r);
    let w = rw.try_acquire_write().unwrap();
    assert_eq!(format!("{w:?}"), "WriteGuard { data: \"d\" }");
    drop(w);

    let sem = Arc::new(Semaphore::new(3));
    let g = sem.try_acquire_many(2).unwrap();
    assert_eq!(format!("{g:?}"), "SemaphoreGuard { tokens: 2 }");
    let o = sem.try_acquire_owned().unwrap();
    assert_eq!(format!("{o:?}"), "OwnedSemaphoreGuard { tokens: 1 }");
}

/// The data's `Debug` is user code: it runs with toro's own mutex free, so it may use the
/// very lock being formatted (here: join its line and leave it again).
#[test]
fn debug_of_the_data_runs_outside_toros_mutex() {
    struct Reentrant;
    static LOCK: Lock<Reentrant> = Lock::with_value(Reentrant);
    static RW: std::sync::OnceLock<RwLock<Reentrant>> = std::sync::OnceLock::new();
    impl std::fmt::Debug for Reentrant {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // Debug holds the lock: each call joins the line, then leaves it.
            let waiting = LOCK.acquire();
            let locked = format!("{:?}", LOCK.locked());
            drop(waiting);
            if let Some(rw) = RW.get() {
                drop(rw.acquire_write());
            }
            f.write_str(&locked)
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let text = format!("{LOCK:?}");
        let rw = RW.get_or_init(|| RwLock::with_value(Reentrant, 2));
        let rw_text = format!("{rw:?}");
        let _ = tx.send((text, rw_text));
    });
    let (text, rw_text) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("Debug of the data deadlocked on toro's mutex");
    assert_eq!(text, "Lock { locked: false, waiters: 0, data: true }");
    assert_eq!(
        rw_text,
        "RwLock { max_readers: 2, counter: 2, waiters: 0, data: true }"
    );
    assert!(!LOCK.locked());
    assert_eq!(free_reads(RW.get().unwrap()), 2);
}

/// `LockGuard<'_, T>` is `Send` (it may be held across `.await` on a multi-thread
/// runtime) for a `Send` but not `Sync` `T`; sharing it is what is refused (see
/// `tests/ui/lock_guard_cell_not_sync.rs`).
#[test]
fn a_guard_of_send_data_moves_to_another_thread() {
    let lock = Lock::with_value(Cell::new(1u32));
    std::thread::scope(|s| {
        let guard: LockGuard<'_, Cell<u32>> = lock.try_acquire().unwrap();
        s.spawn(move || {
            guard.set(guard.get() + 1);
        });
    });
    assert_eq!(lock.into_inner().get(), 2);
}

// ---------------------------------------------------------------------------------------
// The data lock on every runtime.

mod runtimes {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::mpsc;
    use std::thread;

    /// A spawned task: awaiting it waits for the task to end (re-raising its panic).
    type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
    type Spawn = fn(Task) -> Task;

    fn tokio_spawn(task: Task) -> Task {
        let handle = tokio::spawn(task);
        Box::pin(async move { handle.await.expect("task panicked") })
    }

    fn async_std_spawn(task: Task) -> Task {
        Box::pin(async_std::task::spawn(task))
    }

    fn smol_spawn(task: Task) -> Task {
        Box::pin(smol::spawn(task))
    }

    /// `toro::block_on` has no spawn: each task gets an OS thread with its own loop; its
    /// end is signalled through a toro `Event`.
    fn toro_spawn(task: Task) -> Task {
        let done = Arc::new((toro::Event::new(), Mutex::new(None)));
        let finished = done.clone();
        thread::spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| toro::block_on(task)));
            *finished.1.lock().unwrap() = outcome.err();
            finished.0.set();
        });
        Box::pin(async move {
            done.0.wait().await;
            if let Some(panic) = done.1.lock().unwrap().take() {
                std::panic::resume_unwind(panic);
            }
        })
    }

    /// Runs `f` on a thread of its own; fails after a generous limit (a hang).
    fn watchdog(f: impl FnOnce() + Send + 'static) {
        const LIMIT: Duration = Duration::from_secs(60);
        let (tx, rx) = mpsc::channel();
        let worker = thread::spawn(move || {
            f();
            let _ = tx.send(());
        });
        match rx.recv_timeout(LIMIT) {
            Ok(()) => worker.join().unwrap(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Err(panic) = worker.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("still running after {LIMIT:?}"),
        }
    }

    const TASKS: usize = 8;
    const ROUNDS: u64 = 50;

    /// `TASKS` spawned tasks increment an `Arc<Lock<u64>>` through `acquire_owned`, with
    /// a yield inside the section (a lost update or two holders shows); then guards are
    /// moved into spawned tasks, which write and drop them.
    async fn data_lock(spawn: Spawn) {
        let lock = Arc::new(Lock::with_value(0u64));
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<Task> = (0..TASKS)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                spawn(Box::pin(async move {
                    for _ in 0..ROUNDS {
                        let mut guard = lock.acquire_owned().await;
                        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders");
                        let seen = *guard;
                        yield_now().await;
                        *guard = seen + 1;
                        inside.fetch_sub(1, SeqCst);
                    }
                }))
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert_eq!(*lock.acquire().await, TASKS as u64 * ROUNDS);

        // Owned guards taken here, in line in call order, each moved into a task.
        let first = lock.acquire_owned().await;
        let waits: Vec<_> = (0..TASKS).map(|_| lock.acquire_owned()).collect();
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<Task> = waits
            .into_iter()
            .enumerate()
            .map(|(i, wait)| {
                let order = order.clone();
                spawn(Box::pin(async move {
                    let mut guard = wait.await;
                    order.lock().unwrap().push(i);
                    yield_now().await;
                    *guard += 1;
                }))
            })
            .collect();
        drop(first);
        for task in tasks {
            task.await;
        }
        assert_eq!(*order.lock().unwrap(), (0..TASKS).collect::<Vec<_>>());
        assert!(!lock.locked());
        assert_eq!(Arc::strong_count(&lock), 1);
        let lock = Arc::try_unwrap(lock).ok().unwrap();
        assert_eq!(lock.into_inner(), (TASKS as u64) * (ROUNDS + 1));
    }

    #[test]
    fn tokio_current_thread() {
        watchdog(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(data_lock(tokio_spawn))
        })
    }

    #[test]
    fn tokio_multi_thread() {
        watchdog(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(data_lock(tokio_spawn))
        })
    }

    #[test]
    fn async_std() {
        watchdog(|| async_std::task::block_on(data_lock(async_std_spawn)))
    }

    #[test]
    fn smol() {
        watchdog(|| smol::block_on(data_lock(smol_spawn)))
    }

    #[test]
    fn toro_block_on() {
        watchdog(|| toro::block_on(data_lock(toro_spawn)))
    }
}
