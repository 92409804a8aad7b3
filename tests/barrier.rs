//! `Barrier`: tokio's own barrier tests (tokio/tests/sync_barrier.rs) translated to toro's
//! eager waits, then toro's rules: the n-th arrival trips the barrier inside its call and
//! leads, the others are released oldest first inside that call, exactly one leader a
//! round, rounds after rounds; an arrival withdrawn (dropped or timed out) before the trip
//! does not count, one released by it cannot be undone; exact deadlines on a manual clock
//! and on tokio's paused clock; and threads meeting for many rounds while one of them keeps
//! withdrawing.
//!
//! The poll-level tests poll by hand with counting wakers ([`Probe`]), so they see which
//! waiter was woken, in which order and how often.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use toro::{Barrier, BarrierWait, BarrierWaitResult, ManualClock, Timeout};

mod support;
use support::{Probe, WakeLog, expired_clock, poll, probes};

/// Polls a wait that must be ready and returns whether it led its round.
#[track_caller]
fn leads(wait: &mut BarrierWait<'_>) -> bool {
    match poll(wait) {
        Poll::Ready(result) => result.is_leader(),
        Poll::Pending => panic!("expected the barrier wait to be ready"),
    }
}

// ---------------------------------------------------------------------------------------
// tokio's barrier tests, translated. tokio's `wait()` is an `async fn` that arrives at its
// first poll; toro's arrives at the call, so "spawn, then poll" becomes "call, then poll",
// and the leader is known exactly: the arrival that tripped the barrier.

#[test]
fn zero_does_not_block() {
    let b = Barrier::new(0);
    for _ in 0..2 {
        let mut w = b.wait();
        assert!(leads(&mut w), "every wait on Barrier::new(0) leads");
    }
    assert_eq!(format!("{b:?}"), "Barrier { n: 1, arrived: 0, waiters: 0 }");
}

#[test]
fn single() {
    let b = Barrier::new(1);
    for _ in 0..3 {
        let mut w = b.wait();
        assert!(leads(&mut w));
        assert_eq!(b.waiters(), 0);
    }
}

#[test]
fn tango() {
    let b = Barrier::new(2);
    let mut w1 = b.wait();
    assert!(poll(&mut w1).is_pending());
    let mut w2 = b.wait();
    let wr2 = leads(&mut w2);
    let wr1 = leads(&mut w1);
    // tokio asks for exactly one leader; toro also says which: the tripping arrival.
    assert!(wr1 || wr2);
    assert!(!(wr1 && wr2));
    assert!(wr2 && !wr1, "the second arrival tripped the barrier");
}

#[test]
fn lots() {
    let b = Barrier::new(100);
    for _ in 0..10 {
        let mut wait = Vec::new();
        for _ in 0..99 {
            let mut w = b.wait();
            assert!(poll(&mut w).is_pending());
            wait.push(w);
        }
        for w in &mut wait {
            assert!(poll(w).is_pending());
        }
        assert_eq!(b.waiters(), 99);
        // Pass the barrier.
        let mut w = b.wait();
        let mut found_leader = leads(&mut w);
        for mut w in wait {
            if leads(&mut w) {
                assert!(!found_leader, "two leaders in one round");
                found_leader = true;
            }
        }
        assert!(found_leader);
        assert_eq!(b.waiters(), 0);
    }
}

// ---------------------------------------------------------------------------------------
// Tripping: inside the n-th call, FIFO, one leader a round, rounds after rounds.

#[test]
fn the_nth_arrival_trips_inside_its_call_and_releases_the_others_oldest_first() {
    let b = Barrier::new(4);
    let log = WakeLog::default();
    let ps = probes(3, &log);
    let mut waits: Vec<BarrierWait<'_>> = (0..3).map(|_| b.wait()).collect();
    // Polled newest first: the release order is the order of the calls, not of the polls.
    for i in (0..3).rev() {
        ps[i].pending(&mut waits[i]);
    }
    assert_eq!(b.waiters(), 3);
    assert!(log.take().is_empty());
    let mut last = b.wait();
    // Before anything else is polled: every waiter was woken, once, oldest first.
    assert_eq!(log.take(), [0, 1, 2]);
    assert_eq!(b.waiters(), 0);
    assert!(leads(&mut last), "the tripping arrival leads");
    for (i, wait) in waits.iter_mut().enumerate() {
        assert!(!ps[i].ready(wait).is_leader());
        assert_eq!(ps[i].wakes(), 1);
    }
    assert!(log.take().is_empty(), "woken once each");
}

#[test]
fn exactly_one_leader_a_round_over_many_rounds() {
    let b = Barrier::new(3);
    for round in 0..20 {
        let mut waits: Vec<BarrierWait<'_>> = (0..3).map(|_| b.wait()).collect();
        let leaders: Vec<bool> = waits.iter_mut().map(leads).collect();
        assert_eq!(leaders, [false, false, true], "round {round}");
    }
}

/// Released waiters not yet polled belong to the round they passed: the next round starts
/// empty, and their late polls and drops do not touch it.
#[test]
fn a_new_round_starts_empty_while_the_last_one_is_still_being_collected() {
    let b = Barrier::new(3);
    let (mut a1, b1) = (b.wait(), b.wait());
    let mut c1 = b.wait(); // trips round 1
    let (pa, pb) = (Probe::new(), Probe::new());
    let (mut a2, mut b2) = (b.wait(), b.wait());
    pa.pending(&mut a2);
    pb.pending(&mut b2);
    assert_eq!(b.waiters(), 2, "round 2 holds its own two arrivals only");
    assert!(!leads(&mut a1));
    drop(b1); // released by round 1, never polled: changes nothing
    assert_eq!(b.waiters(), 2);
    assert_eq!((pa.wakes(), pb.wakes()), (0, 0));
    let mut c2 = b.wait(); // trips round 2
    assert!(leads(&mut c2));
    assert!(!pa.ready(&mut a2).is_leader());
    assert!(!pb.ready(&mut b2).is_leader());
    assert!(leads(&mut c1), "round 1's leader, collected last");
}

#[test]
fn the_leader_can_be_awaited_later_or_dropped_without_effect() {
    let b = Barrier::new(2);
    let mut a = b.wait();
    drop(b.wait()); // trips, the leader dropped unpolled
    assert!(!leads(&mut a));
    assert_eq!(b.waiters(), 0);
    let mut c = b.wait();
    assert!(
        poll(&mut c).is_pending(),
        "the next round needs two new arrivals"
    );
    let mut d = b.wait();
    assert!(leads(&mut d) && !leads(&mut c));
}

// ---------------------------------------------------------------------------------------
// Withdrawal: before the trip an arrival can be taken back; after it, it cannot.

#[test]
fn a_dropped_waiter_withdraws_its_arrival() {
    let b = Barrier::new(3);
    let (pa, pb) = (Probe::new(), Probe::new());
    let mut a = b.wait();
    let mut bw = b.wait();
    pa.pending(&mut a);
    pb.pending(&mut bw);
    drop(a);
    assert_eq!(b.waiters(), 1);
    assert_eq!(pb.wakes(), 0);
    // Two arrivals were counted, one withdrew: the third call does not trip it.
    let pc = Probe::new();
    let mut c = b.wait();
    pc.pending(&mut c);
    assert_eq!(b.waiters(), 2);
    assert_eq!((pa.wakes(), pb.wakes()), (0, 0));
    let mut d = b.wait();
    assert!(leads(&mut d));
    assert_eq!((pa.wakes(), pb.wakes(), pc.wakes()), (0, 1, 1));
    assert!(!pb.ready(&mut bw).is_leader());
    assert!(!pc.ready(&mut c).is_leader());
}

#[test]
fn an_unpolled_waiter_dropped_withdraws_too() {
    let b = Barrier::new(2);
    drop(b.wait());
    assert_eq!(b.waiters(), 0);
    let mut a = b.wait();
    assert!(poll(&mut a).is_pending(), "the dropped arrival was counted");
    let mut c = b.wait();
    assert!(leads(&mut c) && !leads(&mut a));
}

/// The line keeps its order around a waiter that left from the middle.
#[test]
fn a_withdrawal_from_the_middle_keeps_the_others_in_order() {
    let b = Barrier::new(4);
    let log = WakeLog::default();
    let ps = probes(4, &log);
    let mut waits: Vec<Option<BarrierWait<'_>>> = (0..3).map(|_| Some(b.wait())).collect();
    for (p, w) in ps.iter().zip(&mut waits) {
        p.pending(w.as_mut().unwrap());
    }
    waits[1] = None; // withdrawn
    waits.push(Some(b.wait()));
    ps[3].pending(waits[3].as_mut().unwrap());
    assert_eq!(b.waiters(), 3);
    let mut last = b.wait();
    assert_eq!(log.take(), [0, 2, 3]);
    assert!(leads(&mut last));
}

#[test]
fn a_waiter_dropped_after_the_trip_changes_nothing() {
    let b = Barrier::new(2);
    let p = Probe::new();
    let mut a = b.wait();
    p.pending(&mut a);
    let mut lead = b.wait();
    assert_eq!(p.wakes(), 1);
    drop(a); // released, never collected
    assert_eq!(b.waiters(), 0);
    assert!(leads(&mut lead));
    // The next round counts from zero: one arrival waits, the second trips it.
    let mut c = b.wait();
    assert!(poll(&mut c).is_pending());
    assert_eq!(b.waiters(), 1);
    let mut d = b.wait();
    assert!(leads(&mut d) && !leads(&mut c));
}

#[test]
fn waiters_counts_live_arrivals_of_the_current_round() {
    let b = Barrier::new(4);
    assert_eq!(b.waiters(), 0);
    let a = b.wait();
    let c = b.wait();
    assert_eq!(b.waiters(), 2);
    assert_eq!(format!("{b:?}"), "Barrier { n: 4, arrived: 2, waiters: 2 }");
    assert!(format!("{a:?}").contains("waiting: true"));
    drop(a);
    assert_eq!(b.waiters(), 1);
    let timed = b.wait().deadline_on(&expired_clock(), Duration::ZERO);
    assert_eq!(b.waiters(), 2);
    let mut timed = timed;
    assert_eq!(poll(&mut timed), Poll::Ready(Err(Timeout::new(()))));
    assert_eq!(b.waiters(), 1, "the timed-out arrival withdrew");
    let d = b.wait();
    let e = b.wait();
    assert_eq!(b.waiters(), 3);
    let mut f = b.wait(); // c, d, e and f: four
    assert_eq!(b.waiters(), 0);
    assert!(leads(&mut f));
    assert_eq!(format!("{b:?}"), "Barrier { n: 4, arrived: 0, waiters: 0 }");
    drop((c, d, e));
    assert_eq!(b.waiters(), 0);
}

// ---------------------------------------------------------------------------------------
// Deadlines.

/// On a manual clock: pending a nanosecond before the deadline, timed out at it, with
/// the arrival withdrawn (the barrier then needs one more).
#[test]
fn a_timed_out_wait_withdraws_exactly_at_its_deadline() {
    let clock = ManualClock::new();
    let handle = clock.handle();
    let b = Barrier::new(2);
    let p = Probe::new();
    let mut a = b.wait().deadline_on(&handle, Duration::from_secs(5));
    p.pending(&mut a);
    assert_eq!(b.waiters(), 1);
    clock.advance(Duration::from_secs(5) - Duration::from_nanos(1));
    assert_eq!(p.wakes(), 0);
    p.pending(&mut a);
    clock.advance(Duration::from_nanos(1));
    assert_eq!(p.wakes(), 1, "the timer woke the wait at its deadline");
    assert_eq!(p.poll(&mut a), Poll::Ready(Err(Timeout::new(()))));
    assert_eq!(b.waiters(), 0);
    assert_eq!(clock.sleepers(), 0);
    // The timed-out arrival does not count: this one waits, the next trips.
    let mut c = b.wait();
    assert!(poll(&mut c).is_pending());
    let mut d = b.wait();
    assert!(leads(&mut d) && !leads(&mut c));
}

/// Ready wins: a wait released by a trip before its deadline was observed succeeds,
/// however late it is polled; so does the leader, with an expired deadline.
#[test]
fn a_trip_before_the_deadline_was_observed_wins() {
    let clock = ManualClock::new();
    let handle = clock.handle();
    let b = Barrier::new(2);
    let p = Probe::new();
    let mut a = b.wait().deadline_on(&handle, Duration::from_secs(1));
    p.pending(&mut a);
    let leader = b.wait().deadline_on(&handle, Duration::ZERO);
    clock.advance(Duration::from_secs(2)); // the deadline passed, unobserved
    let mut leader = leader;
    let expected_leader: Poll<Result<BarrierWaitResult, Timeout>> = poll(&mut leader);
    assert!(matches!(expected_leader, Poll::Ready(Ok(r)) if r.is_leader()));
    assert!(matches!(p.poll(&mut a), Poll::Ready(Ok(r)) if !r.is_leader()));
    // A released wait given an expired deadline afterwards succeeds too.
    let mut c = b.wait();
    assert!(poll(&mut c).is_pending());
    drop(b.wait());
    let mut late = c.deadline_on(&expired_clock(), Duration::ZERO);
    assert!(matches!(poll(&mut late), Poll::Ready(Ok(r)) if !r.is_leader()));
}

#[test]
fn an_expired_deadline_times_out_a_wait_that_must_wait() {
    let b = Barrier::new(3);
    let first = b.wait();
    let mut second = b.wait().deadline_on(&expired_clock(), Duration::ZERO);
    assert_eq!(poll(&mut second), Poll::Ready(Err(Timeout::new(()))));
    assert_eq!(b.waiters(), 1);
    // Block-on style: the default loop's clock, with a real (tiny) deadline.
    let out = toro::block_on(b.wait().deadline(Duration::from_millis(2)));
    assert_eq!(out, Err(Timeout::new(())));
    assert_eq!(b.waiters(), 1);
    drop(first);
    assert_eq!(b.waiters(), 0);
}

#[cfg(feature = "tokio")]
mod paused_tokio {
    use super::*;
    use tokio::time::Instant as TokioInstant;

    #[tokio::test(start_paused = true)]
    async fn a_lone_wait_times_out_exactly_at_its_deadline() {
        let b = Barrier::new(2);
        let start = TokioInstant::now();
        let out = b.wait().deadline(Duration::from_secs(60)).await;
        assert_eq!(out, Err(Timeout::new(())));
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        assert_eq!(b.waiters(), 0, "withdrawn");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trip_before_the_deadline_releases_at_the_trip_time() {
        let b = Arc::new(Barrier::new(2));
        let start = TokioInstant::now();
        let arrival = {
            let b = b.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                b.wait().await.is_leader()
            })
        };
        let out = b.wait().deadline(Duration::from_secs(60)).await;
        assert!(matches!(out, Ok(r) if !r.is_leader()));
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        assert!(arrival.await.unwrap(), "the late arrival led");
    }
}

// ---------------------------------------------------------------------------------------
// Many threads and tasks.

/// Runs `f` on its own thread; fails if it is still running after a minute (a hang).
fn watchdog(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("barrier threads hung"),
    }
}

/// `WORKERS` threads and one flaky thread meet for `ROUNDS` rounds on a
/// `Barrier::new(WORKERS + 1)`. The flaky thread arrives with an expired or a tiny
/// deadline and arrives again each time it times out: a timed-out wait has withdrawn, so
/// a round never trips without it. Nobody passes round `r` before everyone has started
/// it, and every round has exactly one leader.
#[test]
fn threads_meet_round_after_round_while_one_keeps_withdrawing() {
    const WORKERS: usize = 3;
    const ROUNDS: usize = 1500;
    watchdog(|| {
        let barrier = Arc::new(Barrier::new(WORKERS + 1));
        // The round each participant has started (arrived at, at least once).
        let started: Arc<Vec<AtomicUsize>> =
            Arc::new((0..=WORKERS).map(|_| AtomicUsize::new(0)).collect());
        let leaders: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let withdrawals = Arc::new(AtomicUsize::new(0));
        let check_all_started = |started: &[AtomicUsize], round: usize, me: usize| {
            for (who, s) in started.iter().enumerate() {
                let s = s.load(SeqCst);
                assert!(
                    s >= round,
                    "participant {me} passed round {round} before {who} started it ({s})"
                );
            }
        };
        let threads: Vec<_> = (0..=WORKERS)
            .map(|me| {
                let (barrier, started, leaders, withdrawals) = (
                    barrier.clone(),
                    started.clone(),
                    leaders.clone(),
                    withdrawals.clone(),
                );
                thread::spawn(move || {
                    let flaky = me == WORKERS;
                    let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ me as u64;
                    for round in 1..=ROUNDS {
                        started[me].store(round, SeqCst);
                        let result = if flaky {
                            loop {
                                seed ^= seed << 13;
                                seed ^= seed >> 7;
                                seed ^= seed << 17;
                                let deadline = match seed % 4 {
                                    0 => Duration::from_micros(50),
                                    _ => Duration::ZERO,
                                };
                                match toro::block_on(barrier.wait().deadline(deadline)) {
                                    Ok(result) => break result,
                                    Err(timeout) => {
                                        let () = timeout.into_inner();
                                        withdrawals.fetch_add(1, SeqCst);
                                    }
                                }
                            }
                        } else {
                            toro::block_on(barrier.wait())
                        };
                        check_all_started(&started, round, me);
                        if result.is_leader() {
                            leaders[round - 1].fetch_add(1, SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for (round, count) in leaders.iter().enumerate() {
            assert_eq!(count.load(SeqCst), 1, "leaders of round {}", round + 1);
        }
        assert_eq!(barrier.waiters(), 0);
        assert!(
            withdrawals.load(SeqCst) > 0,
            "the flaky thread never withdrew: the test tested nothing"
        );
    });
}

/// Tasks on tokio's multi-thread runtime: every round counted once, one leader each.
#[test]
fn tokio_tasks_meet_for_many_rounds() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 500;
    watchdog(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let barrier = Arc::new(Barrier::new(TASKS));
            let passed: Arc<Vec<AtomicUsize>> =
                Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
            let leaders: Arc<Vec<AtomicUsize>> =
                Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (barrier, passed, leaders) =
                        (barrier.clone(), passed.clone(), leaders.clone());
                    tokio::spawn(async move {
                        for round in 0..ROUNDS {
                            let result = barrier.wait().await;
                            passed[round].fetch_add(1, SeqCst);
                            if result.is_leader() {
                                leaders[round].fetch_add(1, SeqCst);
                            }
                            // Nobody may be a round ahead before everyone passed this one.
                            if round > 0 {
                                assert_eq!(passed[round - 1].load(SeqCst), TASKS);
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            for round in 0..ROUNDS {
                assert_eq!(passed[round].load(SeqCst), TASKS, "round {round}");
                assert_eq!(leaders[round].load(SeqCst), 1, "leaders of round {round}");
            }
            assert_eq!(barrier.waiters(), 0);
        });
    });
}
