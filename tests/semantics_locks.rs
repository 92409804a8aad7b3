//! Poll-level semantics of the token primitives: `Lock`, `RwLock`, `Semaphore` and
//! `BoundedSemaphore`.
//!
//! Every test polls by hand with a counting waker, so it sees exactly which waiter was
//! woken, how often, and what the primitive showed at the moment of the wake-up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use toro::{BoundedSemaphore, Lock, NotLocked, RwLock, Semaphore, TooManyReleases};

mod support;
use support::{Hook, Probe, WakeLog, past};

// ---------------------------------------------------------------------------------------
// Hand-polling helpers (the rest are in `support`).

/// Free tokens of an `RwLock`, counted by taking read tokens (valid when nobody waits,
/// which is the only time a token can be free).
fn free_reads(rw: &RwLock) -> usize {
    let mut held = Vec::new();
    while let Some(guard) = rw.try_acquire_read() {
        held.push(guard);
    }
    held.len()
}

// ---------------------------------------------------------------------------------------
// Lock.

#[test]
fn lock_acquire_is_eager_uncontended() {
    let lock = Lock::new();
    assert!(!lock.locked());
    let acquire = lock.acquire(); // never polled
    assert!(
        lock.locked(),
        "an uncontended acquire() takes the lock at the call"
    );
    assert!(lock.try_acquire().is_none());
    let guard = acquire.now_or_never().expect("already holds the lock");
    assert!(lock.locked());
    drop(guard);
    assert!(!lock.locked());
}

#[test]
fn lock_unpolled_waiter_keeps_its_place_and_absorbs_the_handoff() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let mut first = lock.acquire(); // in line, never polled
    let p = Probe::new();
    let mut second = lock.acquire();
    p.pending(&mut second);
    drop(holder);
    assert!(lock.locked());
    assert_eq!(
        p.wakes(),
        0,
        "the unpolled first waiter got the lock, not the second"
    );
    p.pending(&mut second);
    let guard = Probe::new().ready(&mut first);
    drop(guard);
    assert_eq!(p.wakes(), 1);
    let _g = p.ready(&mut second);
}

#[test]
fn lock_order_of_calls_is_order_of_handoff_whatever_the_poll_order() {
    let lock = Lock::new();
    let log = WakeLog::default();
    let holder = lock.try_acquire().unwrap();
    let probes: Vec<Probe> = (0..3).map(|i| Probe::logged(i, &log)).collect();
    let mut waits: Vec<_> = (0..3).map(|_| lock.acquire()).collect();
    // Polled last-first: the line is still the order of the calls.
    for i in (0..3).rev() {
        probes[i].pending(&mut waits[i]);
    }
    drop(holder);
    assert_eq!(log.take(), vec![0]);
    let g0 = probes[0].ready(&mut waits[0]);
    probes[1].pending(&mut waits[1]);
    probes[2].pending(&mut waits[2]);
    drop(g0);
    assert_eq!(log.take(), vec![1]);
    let g1 = probes[1].ready(&mut waits[1]);
    probes[2].pending(&mut waits[2]);
    drop(g1);
    assert_eq!(log.take(), vec![2]);
    let g2 = probes[2].ready(&mut waits[2]);
    drop(g2);
    assert!(!lock.locked());
}

#[test]
fn lock_release_hands_off_directly_without_barging() {
    let lock = Arc::new(Lock::new());
    let guard = lock.try_acquire().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (l2, s2) = (lock.clone(), seen.clone());
    // The waker runs inside the releasing drop: the lock must already be the waiter's.
    let p = Probe::hooked(move || s2.lock().unwrap().push(l2.locked()));
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);

    drop(guard);
    assert_eq!(
        p.wakes(),
        1,
        "the waiter is woken inside the release, exactly once"
    );
    assert_eq!(*seen.lock().unwrap(), vec![true]);
    assert!(lock.locked(), "locked() stays true on hand-off");
    assert!(lock.try_acquire().is_none(), "a newcomer cannot barge in");
    let mut newcomer = lock.acquire();
    let q = Probe::new();
    q.pending(&mut newcomer);

    let g = p.ready(&mut waiter);
    assert_eq!(p.wakes(), 1);
    assert!(lock.locked());
    drop(g);
    assert_eq!(q.wakes(), 1);
    assert!(lock.locked());
    let g = q.ready(&mut newcomer);
    drop(g);
    assert!(!lock.locked());
    assert_eq!(p.wakes(), 1, "no later wake-up for a finished waiter");
}

#[test]
fn lock_handoff_wakes_only_the_oldest_waiter() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let probes: Vec<Probe> = (0..3).map(|_| Probe::new()).collect();
    let mut waits: Vec<_> = (0..3).map(|_| lock.acquire()).collect();
    for (p, w) in probes.iter().zip(waits.iter_mut()) {
        p.pending(w);
    }
    drop(holder);
    let counts: Vec<usize> = probes.iter().map(Probe::wakes).collect();
    assert_eq!(counts, vec![1, 0, 0]);
    // Polling the others again changes nothing.
    probes[1].pending(&mut waits[1]);
    probes[2].pending(&mut waits[2]);
    let g = probes[0].ready(&mut waits[0]);
    drop(g);
    let counts: Vec<usize> = probes.iter().map(Probe::wakes).collect();
    assert_eq!(counts, vec![1, 1, 0]);
    let g = probes[1].ready(&mut waits[1]);
    drop(g);
    let counts: Vec<usize> = probes.iter().map(Probe::wakes).collect();
    assert_eq!(counts, vec![1, 1, 1]);
    drop(probes[2].ready(&mut waits[2]));
}

#[test]
fn lock_handoff_wakes_the_latest_waker() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let (old, new) = (Probe::new(), Probe::new());
    let mut waiter = lock.acquire();
    old.pending(&mut waiter);
    new.pending(&mut waiter); // the task moved: only the new waker counts
    drop(holder);
    assert_eq!((old.wakes(), new.wakes()), (0, 1));
    drop(new.ready(&mut waiter));
}

#[test]
fn lock_fifo_for_ten_waiters() {
    let lock = Lock::new();
    let log = WakeLog::default();
    let mut guard = Some(lock.try_acquire().unwrap());
    let probes: Vec<Probe> = (0..10).map(|i| Probe::logged(i, &log)).collect();
    let mut waits: Vec<_> = (0..10).map(|_| lock.acquire()).collect();
    for i in [7, 2, 9, 0, 4, 1, 8, 3, 6, 5] {
        probes[i].pending(&mut waits[i]);
    }
    for i in 0..10 {
        drop(guard.take());
        assert!(lock.locked());
        assert_eq!(log.take(), vec![i], "release {i} goes to waiter {i}");
        for j in i + 1..10 {
            probes[j].pending(&mut waits[j]);
        }
        guard = Some(probes[i].ready(&mut waits[i]));
    }
    drop(guard);
    assert!(!lock.locked());
}

#[test]
fn lock_timed_out_waiter_in_the_middle_is_skipped() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let (pa, pb, pc) = (Probe::new(), Probe::new(), Probe::new());
    let mut a = lock.acquire();
    let mut b = lock.acquire().deadline(Duration::ZERO);
    let mut c = lock.acquire();
    pa.pending(&mut a);
    assert!(pb.ready(&mut b).is_err(), "B times out");
    pc.pending(&mut c);
    assert!(
        lock.locked(),
        "a timed-out acquire leaves the lock as it was"
    );

    drop(holder);
    assert_eq!((pa.wakes(), pb.wakes(), pc.wakes()), (1, 0, 0));
    let ga = pa.ready(&mut a);
    drop(ga);
    assert_eq!(
        pc.wakes(),
        1,
        "the second release goes to C, not to the timed-out B"
    );
    let gc = pc.ready(&mut c);
    assert!(lock.locked());
    drop(gc);
    assert!(!lock.locked());
}

#[test]
fn lock_dropped_waiters_are_skipped() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let (pa, pb, pc) = (Probe::new(), Probe::new(), Probe::new());
    let mut a = lock.acquire();
    let mut b = lock.acquire();
    let never_polled = lock.acquire();
    let mut c = lock.acquire();
    pa.pending(&mut a);
    pb.pending(&mut b);
    pc.pending(&mut c);
    drop(b); // polled, then dropped
    drop(never_polled); // dropped without a poll

    drop(holder);
    let ga = pa.ready(&mut a);
    drop(ga);
    assert_eq!((pb.wakes(), pc.wakes()), (0, 1));
    drop(pc.ready(&mut c));
    assert!(!lock.locked());
}

#[test]
fn lock_granted_future_dropped_passes_the_lock_on() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let (pa, pb) = (Probe::new(), Probe::new());
    let mut a = lock.acquire();
    let mut b = lock.acquire();
    pa.pending(&mut a);
    pb.pending(&mut b);
    drop(holder);
    assert_eq!(pa.wakes(), 1);
    drop(a); // granted, never returned its guard
    assert!(lock.locked(), "the lock went to B, not to the pool");
    assert_eq!(pb.wakes(), 1);
    assert!(lock.try_acquire().is_none());
    let gb = pb.ready(&mut b);
    drop(gb);
    assert!(!lock.locked());

    // Granted and dropped with nobody behind: the lock is released.
    let holder = lock.try_acquire().unwrap();
    let mut c = lock.acquire();
    Probe::new().pending(&mut c);
    drop(holder);
    drop(c);
    assert!(!lock.locked());
    assert!(lock.try_acquire().is_some());
}

#[test]
fn lock_timeout_takes_nothing() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let mut late = lock.acquire().deadline(Duration::ZERO);
    assert!(Probe::new().ready(&mut late).is_err());
    drop(late);
    assert!(lock.locked());
    drop(holder);
    assert!(
        !lock.locked(),
        "the release was not swallowed by the timed-out waiter"
    );
}

#[test]
fn lock_is_not_reentrant() {
    let lock = Lock::new();
    let _first = lock.try_acquire().unwrap();
    let mut again = lock.acquire();
    Probe::new().pending(&mut again);
    assert!(lock.try_acquire().is_none());
}

#[test]
fn lock_release_errors_and_forget() {
    let lock = Lock::new();
    assert_eq!(lock.release(), Err(NotLocked));
    assert_eq!(
        lock.release().unwrap_err().to_string(),
        "release unlocked lock"
    );

    lock.try_acquire().unwrap().forget();
    assert!(lock.locked(), "a forgotten guard keeps the lock");
    assert_eq!(lock.release(), Ok(()));
    assert!(!lock.locked());
    assert_eq!(lock.release(), Err(NotLocked));
    assert!(!lock.locked(), "a refused release changes nothing");
}

#[test]
fn lock_manual_release_hands_off_to_a_waiter() {
    let lock = Lock::new();
    let mut first = lock.acquire();
    Probe::new().ready(&mut first).forget();
    let p = Probe::new();
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);
    assert_eq!(lock.release(), Ok(()));
    assert!(lock.locked());
    assert_eq!(p.wakes(), 1);
    let g = p.ready(&mut waiter);
    drop(g);
    assert!(!lock.locked());
}

/// A manual release cannot free a lock from under a live guard: it is refused and changes
/// nothing (toro released it, and the old guard's drop then freed the next holder's lock).
#[test]
fn manual_release_is_refused_while_a_live_guard_holds_the_lock() {
    let lock = Lock::new();
    let guard = lock.try_acquire().unwrap();
    let mut waiter = lock.acquire();
    let p = Probe::new();
    p.pending(&mut waiter);
    assert_eq!(lock.release(), Err(NotLocked));
    assert!(lock.locked());
    assert_eq!(p.wakes(), 0, "the waiter was not handed the lock");
    drop(guard); // the guard's own release hands the lock on
    let g = p.ready(&mut waiter);
    assert!(lock.try_acquire().is_none(), "still one holder only");
    drop(g);
    assert!(!lock.locked());
}

#[test]
fn lock_debug_shows_state() {
    let lock = Lock::new();
    let text = format!("{lock:?}");
    assert!(text.contains("Lock"), "{text}");
    assert!(text.contains("locked: false"), "{text}");
    let _g = lock.try_acquire().unwrap();
    let w = lock.acquire();
    let text = format!("{lock:?}");
    assert!(text.contains("locked: true"), "{text}");
    assert!(text.contains("waiters: 1"), "{text}");
    drop(w);
}

// ---------------------------------------------------------------------------------------
// Semaphore.

#[test]
fn semaphore_acquire_is_eager() {
    let sem = Semaphore::new(2);
    let a = sem.acquire();
    assert_eq!(sem.counter(), 1, "the token is taken at the call");
    let b = sem.acquire();
    assert_eq!(sem.counter(), 0);
    assert!(sem.locked());
    let c = sem.acquire();
    assert_eq!(
        sem.counter(),
        0,
        "a waiting acquirer never makes the counter negative"
    );
    let ga = a.now_or_never().unwrap();
    let gb = b.now_or_never().unwrap();
    drop(ga);
    // The released token went to the waiting `c`, inside the drop.
    assert_eq!(sem.counter(), 0);
    let gc = c.now_or_never().expect("c was handed the token");
    drop((gb, gc));
    assert_eq!(sem.counter(), 2);
}

#[test]
fn semaphore_zero_starts_locked_and_release_raises_counter() {
    let sem = Semaphore::new(0);
    assert!(sem.locked());
    assert!(sem.try_acquire().is_none());
    sem.release();
    sem.release();
    assert_eq!(sem.counter(), 2, "releases without acquires are allowed");
    assert!(!sem.locked());
}

#[test]
fn semaphore_handoff_keeps_counter_at_zero() {
    let sem = Arc::new(Semaphore::new(1));
    let guard = sem.try_acquire().unwrap();
    let counters = Arc::new(Mutex::new(Vec::new()));
    let (s2, c2) = (sem.clone(), counters.clone());
    let p = Probe::hooked(move || c2.lock().unwrap().push(s2.counter()));
    let mut waiter = sem.acquire();
    p.pending(&mut waiter);
    drop(guard);
    assert_eq!(p.wakes(), 1);
    assert_eq!(
        *counters.lock().unwrap(),
        vec![0],
        "the token never shows in counter()"
    );
    assert_eq!(sem.counter(), 0);
    assert!(sem.try_acquire().is_none(), "no barging");
    let g = p.ready(&mut waiter);
    drop(g);
    assert_eq!(sem.counter(), 1);
}

#[test]
fn semaphore_fifo_for_ten_waiters() {
    let sem = Semaphore::new(0);
    let log = WakeLog::default();
    let probes: Vec<Probe> = (0..10).map(|i| Probe::logged(i, &log)).collect();
    let mut waits: Vec<_> = (0..10).map(|_| sem.acquire()).collect();
    for i in (0..10).rev() {
        probes[i].pending(&mut waits[i]);
    }
    let mut guards = Vec::new();
    for i in 0..10 {
        sem.release();
        assert_eq!(sem.counter(), 0);
        assert_eq!(log.take(), vec![i]);
        guards.push(probes[i].ready(&mut waits[i]));
    }
    for (i, p) in probes.iter().enumerate() {
        assert_eq!(p.wakes(), 1, "waiter {i} woken exactly once");
    }
    drop(guards);
    assert_eq!(sem.counter(), 10);
}

#[test]
fn semaphore_timed_out_acquirer_in_the_middle_is_skipped() {
    let sem = Semaphore::new(0);
    let (pa, pc) = (Probe::new(), Probe::new());
    let mut a = sem.acquire();
    let mut b = sem.acquire().deadline(Duration::ZERO);
    let mut c = sem.acquire();
    pa.pending(&mut a);
    assert!(Probe::new().ready(&mut b).is_err());
    pc.pending(&mut c);
    sem.release();
    assert_eq!((pa.wakes(), pc.wakes()), (1, 0));
    sem.release();
    assert_eq!(pc.wakes(), 1);
    assert_eq!(sem.counter(), 0, "both tokens went to A and C");
    let (ga, gc) = (pa.ready(&mut a), pc.ready(&mut c));
    sem.release();
    assert_eq!(sem.counter(), 1, "the timed-out B absorbed nothing");
    drop((ga, gc));
    assert_eq!(sem.counter(), 3);
}

#[test]
fn semaphore_dropped_granted_acquirer_gives_its_token_on() {
    let sem = Semaphore::new(0);
    let pb = Probe::new();
    let a = sem.acquire();
    let mut b = sem.acquire();
    pb.pending(&mut b);
    sem.release();
    drop(a); // granted, never polled
    assert_eq!(pb.wakes(), 1, "the token went on to B");
    assert_eq!(sem.counter(), 0);
    let gb = pb.ready(&mut b);
    let c = sem.acquire();
    drop(gb);
    drop(c); // granted through gb's release, then dropped: back to the counter
    assert_eq!(sem.counter(), 1);
    assert!(sem.try_acquire().is_some());
}

#[test]
fn semaphore_wait_is_woken_only_by_a_release_no_acquirer_took() {
    // toro's SemaphoreTests2.test_acquire_callback.
    let sem = Arc::new(Semaphore::new(0));
    let log = WakeLog::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = |id: usize| {
        let (s, seen) = (sem.clone(), seen.clone());
        Box::new(move || seen.lock().unwrap().push((id, s.locked(), s.counter()))) as Hook
    };
    let probes: Vec<Probe> = (0..4)
        .map(|i| Probe::build(i, &log, Some(hook(i))))
        .collect();
    let mut acq1 = sem.acquire();
    let mut acq2 = sem.acquire();
    let mut wait1 = sem.wait();
    let mut wait2 = sem.wait();
    probes[0].pending(&mut acq1);
    probes[1].pending(&mut acq2);
    probes[2].pending(&mut wait1);
    probes[3].pending(&mut wait2);

    sem.release();
    assert_eq!(log.take(), vec![0], "release #1 goes to acquire 1");
    let g1 = probes[0].ready(&mut acq1);
    probes[2].pending(&mut wait1);

    sem.release();
    assert_eq!(log.take(), vec![1], "release #2 goes to acquire 2");
    let g2 = probes[1].ready(&mut acq2);
    probes[3].pending(&mut wait2);
    assert!(sem.locked());

    sem.release();
    assert_eq!(
        log.take(),
        vec![2, 3],
        "release #3 wakes both waits, in order"
    );
    probes[2].ready(&mut wait1);
    probes[3].ready(&mut wait2);
    assert!(!sem.locked());
    assert_eq!(sem.counter(), 1, "wait() takes nothing");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[2..], [(2, false, 1), (3, false, 1)]);
    drop((g1, g2));
}

#[test]
fn semaphore_wait_blocks_after_the_last_token_is_taken() {
    // BaseSemaphoreTests.test_acquire: Semaphore(1); acquire(); wait() blocks.
    let sem = Semaphore::new(1);
    let acquire = sem.acquire(); // bare call: takes the token
    let p = Probe::new();
    let mut wait = sem.wait();
    p.pending(&mut wait);
    assert_eq!(sem.counter(), 0);
    drop(acquire.now_or_never().unwrap());
    assert_eq!(p.wakes(), 1);
    p.ready(&mut wait);
    assert_eq!(sem.counter(), 1);
}

#[test]
fn semaphore_wait_completes_at_once_while_a_token_is_free() {
    let sem = Semaphore::new(2);
    let wait = sem.wait();
    assert_eq!(sem.counter(), 2);
    assert!(wait.now_or_never().is_some());
    assert_eq!(sem.counter(), 2, "wait() reserves nothing");
}

#[test]
fn semaphore_wait_reserves_nothing() {
    let sem = Semaphore::new(0);
    let mut wait = sem.wait();
    let p = Probe::new();
    p.pending(&mut wait);
    sem.release();
    let taken = sem.try_acquire().expect("the token is free for anyone");
    assert_eq!(sem.counter(), 0);
    p.ready(&mut wait); // it was woken; the token is gone again
    drop(taken);
}

#[test]
fn semaphore_gone_waits_leave_no_trace() {
    let sem = Semaphore::new(0);
    let mut timed = sem.wait().deadline(Duration::ZERO);
    assert!(Probe::new().ready(&mut timed).is_err());
    let dropped = sem.wait();
    drop(dropped);
    let dropped_acquire = sem.acquire();
    drop(dropped_acquire);
    sem.release();
    assert_eq!(sem.counter(), 1);
    assert!(
        sem.try_acquire().is_some(),
        "the uncontended path works again"
    );
}

#[test]
fn semaphore_forget_and_manual_release() {
    let sem = Semaphore::new(1);
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.counter(), 0);
    let p = Probe::new();
    let mut waiter = sem.acquire();
    p.pending(&mut waiter);
    sem.release();
    assert_eq!(p.wakes(), 1);
    assert_eq!(sem.counter(), 0);
    drop(p.ready(&mut waiter));
    assert_eq!(sem.counter(), 1);
}

#[test]
fn semaphore_debug_shows_counter_and_waiters() {
    let sem = Semaphore::new(5);
    let text = format!("{sem:?}");
    assert!(text.starts_with("Semaphore"), "{text}");
    assert!(text.contains("counter: 5"), "{text}");
    let empty = Semaphore::new(0);
    let (a, w) = (empty.acquire(), empty.wait());
    let text = format!("{empty:?}");
    assert!(text.contains("counter: 0"), "{text}");
    assert!(text.contains("waiters: 1"), "{text}");
    drop((a, w));
}

// ---------------------------------------------------------------------------------------
// BoundedSemaphore.

#[test]
fn bounded_release_before_acquire_is_refused() {
    let sem = BoundedSemaphore::new(1);
    let err = sem.release().unwrap_err();
    assert_eq!(err, TooManyReleases);
    assert_eq!(err.to_string(), "Semaphore released too many times");
    assert_eq!(sem.counter(), 1, "a refused release changes nothing");
}

#[test]
fn bounded_acquire_release_then_second_release_refused() {
    let sem = BoundedSemaphore::new(1);
    sem.try_acquire().unwrap().forget();
    assert!(sem.locked());
    assert_eq!(sem.release(), Ok(()));
    assert_eq!(sem.counter(), 1);
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 1);
}

#[test]
fn bounded_zero_refuses_every_release() {
    let sem = BoundedSemaphore::new(0);
    assert!(sem.locked());
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 0);
}

#[test]
fn bounded_release_hands_off_to_a_waiter() {
    let sem = BoundedSemaphore::new(1);
    sem.try_acquire().unwrap().forget();
    let p = Probe::new();
    let mut waiter = sem.acquire();
    p.pending(&mut waiter);
    assert_eq!(sem.release(), Ok(()), "counter 0: the release is allowed");
    assert_eq!(p.wakes(), 1);
    assert_eq!(sem.counter(), 0);
    let g = p.ready(&mut waiter);
    drop(g);
    assert_eq!(sem.counter(), 1);
    assert_eq!(sem.release(), Err(TooManyReleases));
}

#[test]
fn bounded_manual_release_is_refused_while_only_live_guards_hold_tokens() {
    let sem = BoundedSemaphore::new(2);
    let g = sem.try_acquire().unwrap();
    assert_eq!(sem.release(), Err(TooManyReleases));
    assert_eq!(sem.counter(), 1, "nothing changed");
    drop(g);
    assert_eq!(sem.counter(), 2);
}

#[test]
fn bounded_fifo_timeouts_and_wait() {
    let sem = BoundedSemaphore::new(1);
    let holder = sem.try_acquire().unwrap();
    let log = WakeLog::default();
    let (pa, pw, pc) = (
        Probe::logged(0, &log),
        Probe::logged(1, &log),
        Probe::logged(2, &log),
    );
    let mut a = sem.acquire();
    let mut b = sem.acquire().deadline(Duration::ZERO);
    let mut w = sem.wait();
    let mut c = sem.acquire();
    pa.pending(&mut a);
    assert!(Probe::new().ready(&mut b).is_err());
    pw.pending(&mut w);
    pc.pending(&mut c);
    drop(holder);
    let ga = pa.ready(&mut a);
    drop(ga);
    let gc = pc.ready(&mut c);
    assert_eq!(
        log.take(),
        vec![0, 2],
        "the wait is not woken by a hand-off"
    );
    drop(gc);
    assert_eq!(log.take(), vec![1]);
    pw.ready(&mut w);
    assert_eq!(sem.counter(), 1);
}

#[test]
fn bounded_debug_shows_its_name_and_counter() {
    let sem = BoundedSemaphore::new(3);
    let _g = sem.try_acquire().unwrap();
    let text = format!("{sem:?}");
    assert!(text.starts_with("BoundedSemaphore"), "{text}");
    assert!(text.contains("counter: 2"), "{text}");
}

// ---------------------------------------------------------------------------------------
// RwLock.

#[test]
#[should_panic(expected = "max_readers")]
fn rwlock_zero_readers_panics() {
    let _ = RwLock::new(0);
}

#[test]
fn rwlock_max_readers_is_a_hard_cap() {
    let rw = RwLock::new(2);
    assert_eq!(rw.max_readers(), 2);
    let r1 = rw.acquire_read();
    assert!(!rw.locked(), "one of two tokens still free");
    let r2 = rw.acquire_read();
    assert!(rw.locked(), "no token free");
    let p = Probe::new();
    let mut r3 = rw.acquire_read();
    p.pending(&mut r3);
    assert!(rw.try_acquire_read().is_none());
    drop(r1.now_or_never().unwrap());
    assert_eq!(p.wakes(), 1);
    assert!(rw.locked());
    let g3 = p.ready(&mut r3);
    drop((r2, g3));
    assert!(!rw.locked());
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_write_is_eager_and_exclusive() {
    let rw = RwLock::new(3);
    let w = rw.acquire_write(); // never polled
    assert!(rw.locked());
    assert!(rw.try_acquire_read().is_none());
    assert!(rw.try_acquire_write().is_none());
    let p = Probe::new();
    let mut r = rw.acquire_read();
    p.pending(&mut r);
    drop(w.now_or_never().expect("uncontended: ready at the call"));
    assert_eq!(p.wakes(), 1);
    let g = p.ready(&mut r);
    assert!(!rw.locked());
    drop(g);
    assert_eq!(free_reads(&rw), 3);
}

#[test]
fn rwlock_locked_means_no_free_token() {
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    assert!(!rw.locked());
    let writer = rw.acquire_write(); // claims the 2 free tokens, waits for 1
    assert!(rw.locked(), "a waiting writer makes locked() true");
    assert!(rw.try_acquire_read().is_none());
    let text = format!("{rw:?}");
    assert!(text.contains("counter: 0"), "{text}");
    assert!(text.contains("waiters: 1"), "{text}");
    drop(writer);
    assert!(!rw.locked());
    drop(r1);
    let all: Vec<_> = (0..3).map(|_| rw.try_acquire_read().unwrap()).collect();
    assert!(rw.locked(), "max_readers readers: locked");
    drop(all);
}

#[test]
fn rwlock_readers_queue_behind_a_waiting_writer() {
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let (pw, pr) = (Probe::new(), Probe::new());
    let mut w = rw.acquire_write();
    let mut r2 = rw.acquire_read();
    pw.pending(&mut w);
    pr.pending(&mut r2);
    drop(r1);
    assert_eq!(
        (pw.wakes(), pr.wakes()),
        (1, 0),
        "the writer is served first"
    );
    let gw = pw.ready(&mut w);
    pr.pending(&mut r2);
    drop(gw);
    assert_eq!(pr.wakes(), 1);
    drop(pr.ready(&mut r2));
}

#[test]
fn rwlock_fairness_grant_order() {
    // Fairness: grants follow the queue's order, and no reader passes a queued writer.
    // RwLock(3), R1 holds; W1, R2, W2, R3 queue.
    let rw = RwLock::new(3);
    let log = WakeLog::default();
    let r1 = rw.try_acquire_read().unwrap();
    let (pw1, pr2, pw2, pr3) = (
        Probe::logged(1, &log),
        Probe::logged(2, &log),
        Probe::logged(3, &log),
        Probe::logged(4, &log),
    );
    let mut w1 = rw.acquire_write();
    let mut r2 = rw.acquire_read();
    let mut w2 = rw.acquire_write();
    let mut r3 = rw.acquire_read();
    pw1.pending(&mut w1);
    pr2.pending(&mut r2);
    pw2.pending(&mut w2);
    pr3.pending(&mut r3);

    drop(r1);
    assert_eq!(log.take(), vec![1], "R1 → W1");
    let gw1 = pw1.ready(&mut w1);
    pr2.pending(&mut r2);

    drop(gw1);
    assert_eq!(log.take(), vec![2], "W1 → R2 (plus 2 tokens of W2)");
    let gr2 = pr2.ready(&mut r2);
    pw2.pending(&mut w2);
    pr3.pending(&mut r3);
    assert!(rw.locked());

    drop(gr2);
    assert_eq!(log.take(), vec![3], "R2 → W2 complete");
    let gw2 = pw2.ready(&mut w2);
    pr3.pending(&mut r3);

    drop(gw2);
    assert_eq!(log.take(), vec![4], "W2 → R3, 2 tokens back to the pool");
    let gr3 = pr3.ready(&mut r3);
    assert!(!rw.locked());
    assert!(format!("{rw:?}").contains("counter: 2"));
    assert_eq!(free_reads(&rw), 2);
    drop(gr3);
    for p in [&pw1, &pr2, &pw2, &pr3] {
        assert_eq!(p.wakes(), 1);
    }
}

#[test]
fn rwlock_write_release_admits_queued_readers_together() {
    let rw = RwLock::new(3);
    let log = WakeLog::default();
    let w = rw.try_acquire_write().unwrap();
    let probes: Vec<Probe> = (0..4).map(|i| Probe::logged(i, &log)).collect();
    let mut reads: Vec<_> = (0..4).map(|_| rw.acquire_read()).collect();
    for (p, r) in probes.iter().zip(reads.iter_mut()) {
        p.pending(r);
    }
    drop(w);
    assert_eq!(
        log.take(),
        vec![0, 1, 2],
        "up to max_readers, in FIFO order"
    );
    let held: Vec<_> = (0..3).map(|i| probes[i].ready(&mut reads[i])).collect();
    probes[3].pending(&mut reads[3]);
    assert!(rw.locked());
    drop(held);
    assert_eq!(log.take(), vec![3]);
    drop(probes[3].ready(&mut reads[3]));
}

#[test]
fn rwlock_two_waiting_writers_do_not_deadlock() {
    let rw = RwLock::new(2);
    let w0 = rw.try_acquire_write().unwrap();
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut w1 = rw.acquire_write();
    let mut w2 = rw.acquire_write();
    p1.pending(&mut w1);
    p2.pending(&mut w2);
    drop(w0);
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    let g1 = p1.ready(&mut w1);
    p2.pending(&mut w2);
    drop(g1);
    assert_eq!(p2.wakes(), 1);
    drop(p2.ready(&mut w2));
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_timed_out_writer_gives_back_claimed_tokens() {
    // toro (Python) leaked these: its timed-out writer kept the tokens it had claimed; the
    // port gives them back.
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let mut w = rw.acquire_write().deadline(Duration::ZERO);
    assert!(rw.locked(), "the writer claimed the 2 free tokens");
    assert!(Probe::new().ready(&mut w).is_err());
    drop(w);
    assert!(!rw.locked());
    assert!(format!("{rw:?}").contains("counter: 2"));
    drop(r1);
    assert!(rw.try_acquire_write().is_some(), "no token was lost");
}

#[test]
fn rwlock_timed_out_writer_gives_back_tokens_handed_to_it_while_waiting() {
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let r2 = rw.try_acquire_read().unwrap();
    let mut w = rw.acquire_write(); // claims 1
    let pw = Probe::new();
    pw.pending(&mut w);
    drop(r1); // hands 1 more to the writer, which still misses 1
    assert_eq!(pw.wakes(), 0);
    assert!(rw.locked());
    let mut timed = w.deadline(Duration::ZERO);
    assert!(pw.ready(&mut timed).is_err());
    drop(timed);
    assert_eq!(free_reads(&rw), 2);
    drop(r2);
    assert_eq!(free_reads(&rw), 3);
}

#[test]
fn rwlock_timed_out_writer_hands_its_tokens_to_the_readers_behind_it() {
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let mut w = rw.acquire_write().deadline(Duration::ZERO);
    let (pr2, pr3) = (Probe::new(), Probe::new());
    let mut r2 = rw.acquire_read();
    let mut r3 = rw.acquire_read();
    pr2.pending(&mut r2);
    pr3.pending(&mut r3);
    assert!(Probe::new().ready(&mut w).is_err());
    assert_eq!((pr2.wakes(), pr3.wakes()), (1, 1));
    let (g2, g3) = (pr2.ready(&mut r2), pr3.ready(&mut r3));
    assert!(rw.locked(), "R1, R2, R3 hold all three tokens");
    drop((r1, g2, g3));
    assert_eq!(free_reads(&rw), 3);
}

#[test]
fn rwlock_dropped_writer_gives_back_tokens() {
    let rw = RwLock::new(3);
    let r1 = rw.try_acquire_read().unwrap();
    let w = rw.acquire_write();
    let p = Probe::new();
    let mut r2 = rw.acquire_read();
    p.pending(&mut r2);
    drop(w); // pending, holding 2 tokens
    assert_eq!(p.wakes(), 1, "R2 behind it gets a token");
    let g2 = p.ready(&mut r2);
    assert_eq!(free_reads(&rw), 1);
    drop((r1, g2));
    assert_eq!(free_reads(&rw), 3);
}

#[test]
fn rwlock_granted_writer_dropped_releases_every_token() {
    let rw = RwLock::new(2);
    let r1 = rw.try_acquire_read().unwrap();
    let w = rw.acquire_write();
    let p = Probe::new();
    let mut r2 = rw.acquire_read();
    p.pending(&mut r2);
    drop(r1); // the writer is whole now
    assert_eq!(p.wakes(), 0);
    drop(w); // granted, never returned its guard
    assert_eq!(p.wakes(), 1);
    let g2 = p.ready(&mut r2);
    assert_eq!(free_reads(&rw), 1);
    drop(g2);
    assert!(rw.try_acquire_write().is_some());
}

#[test]
fn rwlock_reader_waiting_for_its_own_write_waits() {
    // RWLockTests3.test_reacquire: a reader that asks to write waits for its own token.
    let rw = RwLock::new(2);
    let read = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut write = rw.acquire_write();
    p.pending(&mut write);
    drop(read);
    drop(p.ready(&mut write));
}

#[test]
fn rwlock_release_read_errors() {
    let rw = RwLock::new(2);
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(
        rw.release_read().unwrap_err().to_string(),
        "release unlocked lock"
    );
    // test_partial_release: releasing while fewer than max_readers hold is fine.
    rw.try_acquire_read().unwrap().forget();
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(rw.release_read(), Err(NotLocked));
    rw.try_acquire_read().unwrap().forget();
    rw.try_acquire_read().unwrap().forget();
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(rw.release_read(), Err(NotLocked));
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_release_write_errors() {
    let rw = RwLock::new(2);
    assert_eq!(rw.release_write(), Err(NotLocked));
    let r = rw.try_acquire_read().unwrap();
    assert_eq!(rw.release_write(), Err(NotLocked), "a token is free");
    drop(r);
    rw.try_acquire_write().unwrap().forget();
    assert!(rw.locked());
    assert_eq!(rw.release_write(), Ok(()));
    assert!(!rw.locked());
    assert_eq!(rw.release_write(), Err(NotLocked));
    assert_eq!(
        rw.release_write().unwrap_err().to_string(),
        "release unlocked lock"
    );
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_manual_releases_check_tokens_not_roles() {
    // No role tracking: `release_write` succeeds whenever no token is free (max_readers
    // readers), and `release_read` during a write gives back one of the writer's tokens.
    let rw = RwLock::new(2);
    rw.try_acquire_read().unwrap().forget();
    rw.try_acquire_read().unwrap().forget();
    assert_eq!(rw.release_write(), Ok(()));
    assert_eq!(free_reads(&rw), 2);

    rw.try_acquire_write().unwrap().forget();
    assert_eq!(rw.release_read(), Ok(()));
    assert!(!rw.locked());
    assert!(format!("{rw:?}").contains("counter: 1"));
    assert_eq!(rw.release_read(), Ok(()));
    assert_eq!(rw.release_read(), Err(NotLocked));
}

#[test]
fn rwlock_manual_write_release_hands_off_in_fifo_order() {
    let rw = RwLock::new(2);
    rw.try_acquire_write().unwrap().forget();
    let log = WakeLog::default();
    let (pr, pw) = (Probe::logged(0, &log), Probe::logged(1, &log));
    let mut r = rw.acquire_read();
    let mut w = rw.acquire_write();
    pr.pending(&mut r);
    pw.pending(&mut w);
    assert_eq!(rw.release_write(), Ok(()));
    assert_eq!(
        log.take(),
        vec![0],
        "the reader, then the writer's partial claim"
    );
    assert!(rw.locked());
    drop(pr.ready(&mut r));
    assert_eq!(log.take(), vec![1]);
    drop(pw.ready(&mut w));
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn rwlock_debug_shows_state() {
    let rw = RwLock::new(4);
    let _r = rw.try_acquire_read().unwrap();
    let text = format!("{rw:?}");
    assert!(text.starts_with("RwLock"), "{text}");
    assert!(text.contains("max_readers: 4"), "{text}");
    assert!(text.contains("counter: 3"), "{text}");
}

// ---------------------------------------------------------------------------------------
// A refused `try_` changes nothing (no barging, no phantom release).

#[test]
fn failed_try_acquire_changes_nothing() {
    let lock = Lock::new();
    let held = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut waiter = lock.acquire();
    p.pending(&mut waiter);
    assert!(lock.try_acquire().is_none());
    assert!(
        lock.locked(),
        "a refused try_acquire must not release the lock"
    );
    assert_eq!(p.wakes(), 0, "nor hand it to the waiter");
    drop(held);
    drop(p.ready(&mut waiter));
    assert!(!lock.locked());

    let sem = Semaphore::new(0);
    assert!(sem.try_acquire().is_none());
    assert_eq!(sem.counter(), 0, "a refused try_acquire adds no token");

    let bounded = BoundedSemaphore::new(1);
    let held = bounded.try_acquire().unwrap();
    assert!(bounded.try_acquire().is_none());
    assert_eq!(bounded.counter(), 0);
    drop(held);
    assert_eq!(bounded.counter(), 1);

    let rw = RwLock::new(3);
    let w = rw.try_acquire_write().unwrap();
    assert!(rw.try_acquire_write().is_none());
    assert!(rw.try_acquire_read().is_none());
    assert!(
        rw.locked(),
        "refused tries must not release the writer's tokens"
    );
    drop(w);
    let r = rw.try_acquire_read().unwrap();
    assert!(rw.try_acquire_write().is_none());
    assert_eq!(free_reads(&rw), 2);
    drop(r);
    assert_eq!(free_reads(&rw), 3);
}

// ---------------------------------------------------------------------------------------
// Deadlines on the token primitives: ready wins, a wait that can complete succeeds whatever
// its deadline.

#[test]
fn token_waits_ready_at_the_call_win_over_expired_deadlines() {
    let lock = Lock::new();
    let g = lock.acquire().deadline(Duration::ZERO).now_or_never();
    assert!(matches!(g, Some(Ok(_))));
    drop(g);
    let g = lock.acquire().deadline(past()).now_or_never();
    assert!(matches!(g, Some(Ok(_))));
    drop(g);

    let sem = Semaphore::new(1);
    assert!(matches!(
        sem.acquire().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(_))
    ));
    assert_eq!(sem.wait().deadline(past()).now_or_never(), Some(Ok(())));

    let bounded = BoundedSemaphore::new(1);
    assert!(matches!(
        bounded.acquire().deadline(past()).now_or_never(),
        Some(Ok(_))
    ));

    let rw = RwLock::new(2);
    assert!(matches!(
        rw.acquire_read().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(_))
    ));
    assert!(matches!(
        rw.acquire_write().deadline(past()).now_or_never(),
        Some(Ok(_))
    ));
}

#[test]
fn token_handoff_before_the_deadline_is_observed_wins() {
    let lock = Lock::new();
    let holder = lock.try_acquire().unwrap();
    let mut late = lock.acquire().deadline(Duration::ZERO);
    drop(holder); // handed over before the expired deadline is looked at
    let g = Probe::new().ready(&mut late).expect("the hand-off wins");
    assert!(lock.locked());
    drop(g);

    let sem = Semaphore::new(0);
    let mut acquire = sem.acquire().deadline(past());
    let mut wait = sem.wait().deadline(past());
    sem.release();
    sem.release();
    assert!(Probe::new().ready(&mut acquire).is_ok());
    assert_eq!(Probe::new().ready(&mut wait), Ok(()));

    let rw = RwLock::new(2);
    let r = rw.try_acquire_read().unwrap();
    let mut w = rw.acquire_write().deadline(Duration::ZERO);
    drop(r);
    assert!(Probe::new().ready(&mut w).is_ok());
}

// ---------------------------------------------------------------------------------------
// Errors and auto traits.

#[test]
fn lock_errors_are_small_send_sync_errors() {
    fn is_error<E: std::error::Error + Send + Sync + Clone + PartialEq + 'static>() {}
    is_error::<NotLocked>();
    is_error::<TooManyReleases>();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(NotLocked);
    assert_eq!(boxed.to_string(), "release unlocked lock");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(TooManyReleases);
    assert_eq!(boxed.to_string(), "Semaphore released too many times");
}

#[test]
fn primitives_and_futures_are_send_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Lock>();
    send_sync::<RwLock>();
    send_sync::<Semaphore>();
    send_sync::<BoundedSemaphore>();
    send_sync::<toro::LockAcquire<'static>>();
    send_sync::<toro::AcquireRead<'static>>();
    send_sync::<toro::AcquireWrite<'static>>();
    send_sync::<toro::SemaphoreAcquire<'static>>();
    send_sync::<toro::SemaphoreWait<'static>>();
    send::<toro::LockGuard<'static>>();
    send::<toro::ReadGuard<'static>>();
    send::<toro::WriteGuard<'static>>();
    send::<toro::SemaphoreGuard<'static>>();
}
