//! Poll-level semantics of the signalling primitives: `Condition`, `Event` and
//! `AsyncResult`.
//!
//! Every test polls by hand with a counting waker, so it sees exactly which waiter was
//! woken, in which order, how often, and what the primitive showed at the wake-up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use toro::{AlreadySet, AsyncResult, Condition, Event, NotReady};

mod support;
use support::{Probe, WakeLog, past, probes};

// ---------------------------------------------------------------------------------------
// Condition.

#[test]
fn condition_wait_registers_at_the_call() {
    let cond = Condition::new();
    let a = cond.wait();
    let b = cond.wait();
    assert_eq!(cond.waiters(), 2, "unpolled waits are in line");
    cond.notify(1);
    assert_eq!(cond.waiters(), 1);
    assert!(
        a.now_or_never().is_some(),
        "the unpolled first wait was notified"
    );
    drop(b);
    assert_eq!(cond.waiters(), 0);
}

#[test]
fn condition_notify_before_wait_is_not_remembered() {
    let cond = Condition::new();
    cond.notify(1);
    cond.notify(5);
    cond.notify_all();
    let p = Probe::new();
    let mut w = cond.wait();
    p.pending(&mut w);
    assert_eq!(p.wakes(), 0);
    assert_eq!(cond.waiters(), 1);
    cond.notify(1);
    assert_eq!(p.wakes(), 1);
    p.ready(&mut w);
}

#[test]
fn condition_wait_always_waits() {
    let cond = Condition::new();
    let mut w = cond.wait().deadline(Duration::ZERO);
    assert!(Probe::new().ready(&mut w).is_err());
}

#[test]
fn condition_notify_n_wakes_the_n_oldest_in_order() {
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(5, &log);
    let mut ws: Vec<_> = (0..5).map(|_| cond.wait()).collect();
    for i in (0..5).rev() {
        ps[i].pending(&mut ws[i]);
    }
    cond.notify(2);
    assert_eq!(log.take(), vec![0, 1], "woken inside notify, oldest first");
    assert_eq!(cond.waiters(), 3);
    ps[0].ready(&mut ws[0]);
    ps[1].ready(&mut ws[1]);
    for i in 2..5 {
        ps[i].pending(&mut ws[i]);
    }
    cond.notify(1);
    assert_eq!(log.take(), vec![2]);
    ps[2].ready(&mut ws[2]);
    cond.notify(10); // more than wait: all of them, no error
    assert_eq!(log.take(), vec![3, 4]);
    assert_eq!(cond.waiters(), 0);
    ps[3].ready(&mut ws[3]);
    ps[4].ready(&mut ws[4]);
    let counts: Vec<usize> = ps.iter().map(Probe::wakes).collect();
    assert_eq!(counts, vec![1; 5], "each woken exactly once");
}

#[test]
fn condition_notify_zero_does_nothing() {
    let cond = Condition::new();
    let p = Probe::new();
    let mut w = cond.wait();
    p.pending(&mut w);
    cond.notify(0);
    assert_eq!(p.wakes(), 0);
    assert_eq!(cond.waiters(), 1);
    p.pending(&mut w);
}

#[test]
fn condition_timed_out_waiters_do_not_count_against_n() {
    // test_notify_n_with_timeout.
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(4, &log);
    let mut w0 = cond.wait();
    let mut w1 = cond.wait().deadline(Duration::ZERO);
    let mut w2 = cond.wait();
    let mut w3 = cond.wait();
    ps[0].pending(&mut w0);
    assert!(ps[1].ready(&mut w1).is_err());
    ps[2].pending(&mut w2);
    ps[3].pending(&mut w3);
    assert_eq!(cond.waiters(), 3, "the timed-out waiter left the line");
    cond.notify(2);
    assert_eq!(log.take(), vec![0, 2]);
    ps[0].ready(&mut w0);
    ps[2].ready(&mut w2);
    ps[3].pending(&mut w3);
    assert_eq!(cond.waiters(), 1);
}

#[test]
fn condition_dropped_waiters_do_not_count_against_n() {
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut w0 = cond.wait();
    let mut w1 = cond.wait();
    let unpolled = cond.wait();
    let mut w2 = cond.wait();
    ps[0].pending(&mut w0);
    ps[1].pending(&mut w1);
    ps[2].pending(&mut w2);
    drop(w1);
    drop(unpolled);
    cond.notify(2);
    assert_eq!(log.take(), vec![0, 2]);
    ps[0].ready(&mut w0);
    ps[2].ready(&mut w2);
}

#[test]
fn condition_notify_all_wakes_those_present_only() {
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(4, &log);
    let mut w0 = cond.wait();
    let mut w1 = cond.wait().deadline(Duration::ZERO);
    let mut w2 = cond.wait();
    ps[0].pending(&mut w0);
    assert!(ps[1].ready(&mut w1).is_err());
    ps[2].pending(&mut w2);
    cond.notify_all();
    assert_eq!(log.take(), vec![0, 2]);
    let mut late = cond.wait();
    ps[3].pending(&mut late);
    assert_eq!(ps[3].wakes(), 0, "a wait after notify_all waits");
    ps[0].ready(&mut w0);
    ps[2].ready(&mut w2);
    assert_eq!(cond.waiters(), 1);
    cond.notify_all();
    ps[3].ready(&mut late);
}

#[test]
fn condition_notified_waiter_dropped_passes_the_wakeup_on() {
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut w0 = cond.wait();
    let mut w1 = cond.wait();
    let mut w2 = cond.wait();
    ps[0].pending(&mut w0);
    ps[1].pending(&mut w1);
    ps[2].pending(&mut w2);
    cond.notify(1);
    assert_eq!(log.take(), vec![0]);
    drop(w0); // notified, never returned
    assert_eq!(log.take(), vec![1], "the wake-up passes to the next waiter");
    ps[1].ready(&mut w1);
    ps[2].pending(&mut w2);
    assert_eq!(cond.waiters(), 1);
    // A notified wait that completed is not passed on when dropped afterwards.
    drop(w1);
    assert_eq!(ps[2].wakes(), 0);
}

#[test]
fn condition_notify_all_wakeups_are_not_passed_on() {
    let cond = Condition::new();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut w0 = cond.wait();
    let mut w1 = cond.wait();
    ps[0].pending(&mut w0);
    ps[1].pending(&mut w1);
    cond.notify_all();
    assert_eq!(log.take(), vec![0, 1]);
    let mut late = cond.wait();
    ps[2].pending(&mut late);
    drop(w0);
    drop(w1);
    assert_eq!(
        ps[2].wakes(),
        0,
        "notify_all woke those present; nothing to pass on"
    );
    ps[2].pending(&mut late);
    assert_eq!(cond.waiters(), 1);
}

#[test]
fn condition_notify_before_the_deadline_is_observed_wins() {
    // test_wait_timeout_preempted, and `c.wait(deadline=past); c.notify()`.
    let cond = Condition::new();
    let mut zero = cond.wait().deadline(Duration::ZERO);
    let mut past = cond.wait().deadline(past());
    cond.notify(2);
    assert_eq!(Probe::new().ready(&mut zero), Ok(()));
    assert_eq!(Probe::new().ready(&mut past), Ok(()));
}

#[test]
fn condition_nested_notify_from_a_wakeup_reaches_the_rest() {
    // Tornado's test_nested_notify: a woken waiter's callback notifies again.
    let cond = Arc::new(Condition::new());
    let log = WakeLog::default();
    let c2 = cond.clone();
    let p0 = Probe::build(0, &log, Some(Box::new(move || c2.notify(1))));
    let (p1, p2) = (Probe::logged(1, &log), Probe::logged(2, &log));
    let mut w0 = cond.wait();
    let mut w1 = cond.wait();
    let mut w2 = cond.wait();
    p0.pending(&mut w0);
    p1.pending(&mut w1);
    p2.pending(&mut w2);
    cond.notify(1);
    assert_eq!(log.take(), vec![0, 1]);
    p0.ready(&mut w0);
    p1.ready(&mut w1);
    p2.pending(&mut w2);
}

#[test]
fn condition_debug_shows_waiters() {
    let cond = Condition::new();
    let (a, b) = (cond.wait(), cond.wait());
    let text = format!("{cond:?}");
    assert!(text.starts_with("Condition"), "{text}");
    assert!(text.contains("waiters: 2"), "{text}");
    drop((a, b));
    assert!(format!("{cond:?}").contains("waiters: 0"));
}

// ---------------------------------------------------------------------------------------
// Event.

#[test]
fn event_wait_registers_at_the_call_and_blocks_while_clear() {
    let event = Event::new();
    assert!(!event.is_set());
    let w = event.wait();
    assert_eq!(event.waiters(), 1);
    let mut w2 = event.wait();
    Probe::new().pending(&mut w2);
    drop(w);
    drop(w2);
    assert_eq!(event.waiters(), 0);
}

#[test]
fn event_set_releases_every_waiter_present() {
    let event = Arc::new(Event::new());
    let log = WakeLog::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let ps: Vec<Probe> = (0..3)
        .map(|i| {
            let (e, s) = (event.clone(), seen.clone());
            Probe::build(
                i,
                &log,
                Some(Box::new(move || s.lock().unwrap().push(e.is_set()))),
            )
        })
        .collect();
    let mut ws: Vec<_> = (0..3).map(|_| event.wait()).collect();
    for (p, w) in ps.iter().zip(ws.iter_mut()) {
        p.pending(w);
    }
    event.set();
    assert_eq!(log.take(), vec![0, 1, 2], "inside set, in FIFO order");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![true; 3],
        "wake-ups see is_set()"
    );
    assert_eq!(event.waiters(), 0);
    for (p, w) in ps.iter().zip(ws.iter_mut()) {
        p.ready(w);
        assert_eq!(p.wakes(), 1);
    }
    event.set(); // again: harmless
    assert!(event.is_set());
}

#[test]
fn event_set_then_clear_is_a_pulse() {
    let event = Event::new();
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut a = event.wait();
    let mut b = event.wait();
    ps[0].pending(&mut a);
    ps[1].pending(&mut b);
    event.set();
    event.clear();
    assert!(!event.is_set());
    assert_eq!(log.take(), vec![0, 1]);
    let mut later = event.wait();
    ps[2].pending(&mut later);
    // The pulse released a and b even though the flag is clear now.
    ps[0].ready(&mut a);
    ps[1].ready(&mut b);
    ps[2].pending(&mut later);
    assert_eq!(ps[2].wakes(), 0, "waiters after the clear block");
    event.set();
    assert_eq!(ps[2].wakes(), 1);
    ps[2].ready(&mut later);
}

#[test]
fn event_pulse_releases_unpolled_waiters_too() {
    let event = Event::new();
    let w = event.wait();
    event.set();
    event.clear();
    assert!(w.now_or_never().is_some());
}

#[test]
fn event_wait_on_a_set_event_is_ready_at_once_whatever_the_deadline() {
    let event = Event::new();
    event.set();
    let w = event.wait();
    assert_eq!(event.waiters(), 0, "nothing queued");
    assert!(w.now_or_never().is_some());
    assert_eq!(
        event.wait().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(()))
    );
    assert_eq!(event.wait().deadline(past()).now_or_never(), Some(Ok(())));
}

#[test]
fn event_set_before_the_deadline_is_observed_wins() {
    let event = Event::new();
    let mut w = event.wait().deadline(Duration::ZERO);
    event.set();
    event.clear();
    assert_eq!(Probe::new().ready(&mut w), Ok(()));
}

#[test]
fn event_timed_out_or_dropped_waiters_do_not_disturb_others() {
    let event = Event::new();
    let log = WakeLog::default();
    let ps = probes(2, &log);
    let mut a = event.wait();
    let mut timed = event.wait().deadline(Duration::ZERO);
    let dropped = event.wait();
    let mut b = event.wait();
    ps[0].pending(&mut a);
    assert!(Probe::new().ready(&mut timed).is_err());
    drop(dropped);
    ps[1].pending(&mut b);
    assert_eq!(event.waiters(), 2);
    event.set();
    assert_eq!(log.take(), vec![0, 1]);
    ps[0].ready(&mut a);
    ps[1].ready(&mut b);
}

#[test]
fn event_clear_does_not_recall_released_waiters() {
    let event = Event::new();
    let p = Probe::new();
    let mut w = event.wait();
    p.pending(&mut w);
    event.set();
    event.clear();
    event.clear();
    p.ready(&mut w);
    assert_eq!(p.wakes(), 1);
}

#[test]
fn event_debug_shows_set_or_clear() {
    let event = Event::new();
    let w = event.wait();
    let text = format!("{event:?}");
    assert!(text.starts_with("Event"), "{text}");
    assert!(text.contains("set: false"), "{text}");
    assert!(text.contains("waiters: 1"), "{text}");
    event.set();
    let text = format!("{event:?}");
    assert!(text.contains("set: true"), "{text}");
    assert!(text.contains("waiters: 0"), "{text}");
    drop(w);
}

// ---------------------------------------------------------------------------------------
// AsyncResult.

#[test]
fn async_result_set_wakes_every_waiter_with_the_same_value() {
    let result = Arc::new(AsyncResult::<String>::new());
    let log = WakeLog::default();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let ps: Vec<Probe> = (0..3)
        .map(|i| {
            let (r, s) = (result.clone(), seen.clone());
            let hook = move || {
                // A done-callback sees ready(), and a fresh get() is resolved at once.
                let again = r.get().now_or_never().cloned();
                s.lock().unwrap().push((r.ready(), again));
            };
            Probe::build(i, &log, Some(Box::new(hook)))
        })
        .collect();
    let mut gets: Vec<_> = (0..3).map(|_| result.get()).collect();
    assert_eq!(result.waiters(), 3, "get() registers at the call");
    for i in (0..3).rev() {
        ps[i].pending(&mut gets[i]);
    }
    assert!(result.set("fizzle".to_string()).is_ok());
    assert_eq!(
        log.take(),
        vec![0, 1, 2],
        "inside set, in registration order"
    );
    let expected = (true, Some("fizzle".to_string()));
    assert_eq!(
        *seen.lock().unwrap(),
        vec![expected.clone(), expected.clone(), expected]
    );
    let stored: *const String = result.get_nowait().unwrap();
    for (p, g) in ps.iter().zip(gets.iter_mut()) {
        let value = p.ready(g);
        assert_eq!(value, "fizzle");
        assert!(
            std::ptr::eq(value, stored),
            "every waiter gets the same object"
        );
        assert_eq!(p.wakes(), 1);
    }
    assert_eq!(result.waiters(), 0);
}

#[test]
fn async_result_unpolled_get_resolves_on_set() {
    let result = AsyncResult::new();
    let get = result.get();
    result.set(7).unwrap();
    assert_eq!(get.now_or_never(), Some(&7));
}

#[test]
fn async_result_second_set_is_refused_and_hands_the_value_back() {
    let result = AsyncResult::new();
    assert_eq!(result.set(vec![1]), Ok(()));
    let err: AlreadySet<Vec<i32>> = result.set(vec![2, 3]).unwrap_err();
    assert!(!err.to_string().is_empty());
    assert_eq!(err.into_inner(), vec![2, 3]);
    assert_eq!(result.get_nowait(), Ok(&vec![1]), "the first value stays");
}

#[test]
fn async_result_get_nowait_and_ready() {
    let result = AsyncResult::<Option<u8>>::new();
    assert!(!result.ready());
    assert_eq!(result.get_nowait(), Err(NotReady));
    result.set(None).unwrap();
    assert!(result.ready(), "set(None) makes it ready");
    assert_eq!(result.get_nowait(), Ok(&None));
}

#[test]
fn async_result_get_on_a_set_result_wins_over_an_expired_deadline() {
    // test_get_timeout: get with a deadline after set returns the value.
    let result = AsyncResult::new();
    result.set("foo").unwrap();
    let get = result.get();
    assert_eq!(result.waiters(), 0);
    assert_eq!(get.now_or_never(), Some(&"foo"));
    assert_eq!(
        result.get().deadline(Duration::ZERO).now_or_never(),
        Some(Ok(&"foo"))
    );
    assert_eq!(
        result.get().deadline(past()).now_or_never(),
        Some(Ok(&"foo"))
    );
}

#[test]
fn async_result_set_before_the_deadline_is_observed_wins() {
    let result = AsyncResult::new();
    let mut get = result.get().deadline(Duration::ZERO);
    result.set(1).unwrap();
    assert_eq!(Probe::new().ready(&mut get), Ok(&1));
}

#[test]
fn async_result_timed_out_get_does_not_affect_set() {
    let result = AsyncResult::new();
    let log = WakeLog::default();
    let ps = probes(2, &log);
    let mut a = result.get();
    let mut timed = result.get().deadline(Duration::ZERO);
    let dropped = result.get();
    let mut b = result.get();
    ps[0].pending(&mut a);
    assert!(Probe::new().ready(&mut timed).is_err());
    drop(dropped);
    ps[1].pending(&mut b);
    assert_eq!(result.set('x'), Ok(()));
    assert_eq!(log.take(), vec![0, 1]);
    assert_eq!(ps[0].ready(&mut a), &'x');
    assert_eq!(ps[1].ready(&mut b), &'x');
}

#[test]
fn async_result_debug_shows_value_or_unset() {
    let result = AsyncResult::<i32>::new();
    let g = result.get();
    let text = format!("{result:?}");
    assert!(text.starts_with("AsyncResult"), "{text}");
    assert!(text.contains("unset"), "{text}");
    assert!(text.contains("waiters: 1"), "{text}");
    drop(g);
    result.set(5).unwrap();
    let text = format!("{result:?}");
    assert!(text.contains("value: 5"), "{text}");
    assert!(!text.contains("unset"), "{text}");
}

// ---------------------------------------------------------------------------------------
// Errors and auto traits.

#[test]
fn signal_errors_are_send_sync_errors() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<NotReady>();
    is_error::<AlreadySet<String>>();
    assert!(!NotReady.to_string().is_empty());
    fn clone_eq<E: Clone + PartialEq + std::fmt::Debug>(err: &E) {
        assert_eq!(err.clone(), *err);
    }
    let result = AsyncResult::new();
    result.set("first".to_string()).unwrap();
    let err = result.set("second".to_string()).unwrap_err();
    clone_eq(&err);
    clone_eq(&NotReady);
    assert_eq!(err.into_inner(), "second");
}

#[test]
fn signal_primitives_and_futures_are_send_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Condition>();
    send_sync::<Event>();
    send_sync::<AsyncResult<String>>();
    send_sync::<toro::ConditionWait<'static>>();
    send_sync::<toro::EventWait<'static>>();
    send_sync::<toro::AsyncResultGet<'static, String>>();
}

#[test]
fn probe_hook_runs_on_wake() {
    // Guards the helper itself: a hooked probe runs its hook once per wake-up.
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let p = Probe::hooked(move || {
        h.fetch_add(1, Ordering::SeqCst);
    });
    let cond = Condition::new();
    let mut w = cond.wait();
    p.pending(&mut w);
    cond.notify(1);
    assert_eq!((p.wakes(), hits.load(Ordering::SeqCst)), (1, 1));
    p.ready(&mut w);
}
