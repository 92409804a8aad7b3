//! `Semaphore::close`: waiting and later acquires are refused with `Closed` (through
//! `.or_closed()`), held guards still release, `wait()` still sees the tokens, nothing hangs
//! and no token is lost.

mod support;
use support::{Probe, expired_clock};

use std::sync::Arc;
use std::time::Duration;

use toro::{BoundedSemaphore, Closed, Semaphore};

#[test]
fn close_refuses_every_waiting_acquirer_and_wakes_it() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (pa, pb) = (Probe::new(), Probe::new());
    let mut a = sem.acquire().or_closed();
    let mut b = sem.acquire_many(2).or_closed();
    pa.pending(&mut a);
    pb.pending(&mut b);
    sem.close();
    assert!(sem.is_closed());
    assert_eq!(
        (pa.wakes(), pb.wakes()),
        (1, 1),
        "every waiter is woken by the close"
    );
    assert_eq!(pa.ready(&mut a).unwrap_err(), Closed);
    assert_eq!(pb.ready(&mut b).unwrap_err(), Closed);
    assert_eq!(sem.counter(), 0, "the holder still has its token");
    drop(held);
    assert_eq!(sem.counter(), 1, "a held guard still releases");
}

#[test]
fn acquires_after_close_are_refused_at_once() {
    let sem = Semaphore::new(3);
    sem.close();
    assert!(sem.try_acquire().is_none());
    assert!(sem.try_acquire_many(1).is_none());
    let p = Probe::new();
    let mut refused = sem.acquire().or_closed();
    assert_eq!(p.ready(&mut refused).unwrap_err(), Closed);
    assert_eq!(sem.counter(), 3, "a refused acquire takes nothing");
    assert!(format!("{sem:?}").contains("waiters: 0"));
}

#[test]
fn a_partial_request_gives_its_tokens_back_at_the_close() {
    let sem = Semaphore::new(2);
    let one = sem.try_acquire().unwrap();
    let mut big = sem.acquire_many(3).or_closed(); // takes the free token, waits for two
    assert_eq!(sem.counter(), 0);
    Probe::new().pending(&mut big);
    sem.close();
    assert_eq!(sem.counter(), 1, "the token the request held came back");
    assert!(Probe::new().ready(&mut big).is_err());
    drop(one);
    assert_eq!(sem.counter(), 2);
}

#[test]
fn a_grant_made_before_the_close_wins() {
    let sem = Semaphore::new(0);
    let mut waiting = sem.acquire().or_closed();
    let p = Probe::new();
    p.pending(&mut waiting);
    sem.release(); // handed to the waiter
    sem.close();
    let guard = p.ready(&mut waiting).expect("granted before the close");
    assert_eq!(guard.tokens(), 1);
    drop(guard);
    assert_eq!(sem.counter(), 1);
}

#[test]
#[should_panic(expected = "acquire of a closed semaphore: await `.or_closed()`")]
fn a_plain_acquire_of_a_closed_semaphore_panics_instead_of_hanging() {
    let sem = Semaphore::new(0);
    let mut plain = sem.acquire();
    Probe::new().pending(&mut plain);
    sem.close();
    let _ = Probe::new().poll(&mut plain);
}

#[test]
fn wait_still_sees_tokens_released_after_the_close() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    sem.close();
    let p = Probe::new();
    let mut watcher = sem.wait();
    p.pending(&mut watcher);
    drop(held);
    assert_eq!(p.wakes(), 1);
    p.ready(&mut watcher);
    assert_eq!(sem.counter(), 1);
    sem.release(); // a plain semaphore still counts releases
    assert_eq!(sem.counter(), 2);
}

#[test]
fn bounded_close_keeps_the_bound_and_forgotten_releases() {
    let sem = BoundedSemaphore::new(2);
    sem.try_acquire().unwrap().forget();
    let held = sem.try_acquire().unwrap();
    let mut waiting = sem.acquire().or_closed();
    Probe::new().pending(&mut waiting);
    sem.close();
    assert!(sem.is_closed());
    assert!(Probe::new().ready(&mut waiting).is_err());
    assert_eq!(sem.release(), Ok(()), "the forgotten token comes back");
    assert!(sem.release().is_err(), "nothing else was forgotten");
    drop(held);
    assert_eq!(sem.counter(), 2);
    assert!(sem.release().is_err(), "never past the bound");
}

#[test]
fn owned_acquires_are_refused_too_and_deadlines_still_work() {
    let sem = Arc::new(Semaphore::new(0));
    let p = Probe::new();
    let mut owned = sem.acquire_owned().or_closed();
    p.pending(&mut owned);
    let mut timed = sem
        .acquire()
        .or_closed()
        .deadline_on(&expired_clock(), Duration::from_secs(60));
    sem.close();
    assert!(p.ready(&mut owned).is_err());
    // Refused before its deadline was looked at: the refusal wins, as a grant would.
    assert!(matches!(Probe::new().ready(&mut timed), Ok(Err(Closed))));
    assert!(sem.try_acquire_owned().is_none());
}

#[test]
fn close_twice_is_harmless() {
    let sem = Semaphore::new(1);
    sem.close();
    sem.close();
    assert!(sem.is_closed());
    assert_eq!(sem.counter(), 1);
}

/// `Debug` shows the close beside the counter and the lines: the refused acquirer has
/// left the line, the `wait()`er is still in it.
#[test]
fn debug_shows_that_the_semaphore_is_closed() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let p = Probe::new();
    let mut acquirer = sem.acquire().or_closed();
    let mut watcher = sem.wait();
    p.pending(&mut acquirer);
    p.pending(&mut watcher);
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { counter: 0, waiters: 1, watchers: 1, closed: false }"
    );
    sem.close();
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { counter: 0, waiters: 0, watchers: 1, closed: true }"
    );
    assert_eq!(p.ready(&mut acquirer).unwrap_err(), Closed);
    drop(held);
    p.ready(&mut watcher);
    assert_eq!(
        format!("{sem:?}"),
        "Semaphore { counter: 1, waiters: 0, watchers: 0, closed: true }"
    );

    let bounded = BoundedSemaphore::new(2);
    assert_eq!(
        format!("{bounded:?}"),
        "BoundedSemaphore { counter: 2, waiters: 0, watchers: 0, closed: false }"
    );
    bounded.close();
    assert_eq!(
        format!("{bounded:?}"),
        "BoundedSemaphore { counter: 2, waiters: 0, watchers: 0, closed: true }"
    );
}

/// `close` does not end a `wait()`: with no guard out and no token free it waits on, to
/// its deadline, and a `release` still ends it.
#[test]
fn close_does_not_end_a_wait() {
    let sem = Semaphore::new(0);
    let p = Probe::new();
    let mut watcher = sem.wait();
    p.pending(&mut watcher);
    sem.close();
    assert_eq!(p.wakes(), 0);
    p.pending(&mut watcher);
    let timed = sem.wait().deadline_on(&expired_clock(), Duration::ZERO);
    assert!(
        toro::block_on(timed).is_err(),
        "nothing to wait for: the deadline ends it"
    );
    assert!(sem.try_acquire().is_none() && sem.is_closed());
    sem.release();
    assert_eq!(p.wakes(), 1);
    p.ready(&mut watcher);
    assert_eq!(sem.counter(), 1);
    assert!(
        sem.try_acquire().is_none(),
        "closed: still refused with a token free"
    );
}
