//! Upgradable reads of `RwLock`: async-lock's own tests translated (`upgrade`,
//! `not_upgrade`, `upgradable_with_concurrent_writer`, `yields_when_contended`,
//! `cancellation`, `arc_rwlock_refcounts`), then toro's rules at poll level: one
//! upgradable read at a time beside plain readers, FIFO with everyone else, an upgrade
//! that goes ahead of the line (taking back what a queued writer claimed), a timed-out
//! upgrade that hands its guard back, nothing lost when an upgrade is dropped, and a
//! multi-thread stress count.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::{Either, select};
use toro::{OwnedUpgradableReadGuard, RwLock, UpgradableReadGuard, WriteGuard};

mod support;
use support::{Probe, WakeLog, probes};

/// Free tokens of an `RwLock`, counted by taking read tokens (valid only when nobody
/// waits, the only time a token can be free).
fn free_reads<T>(rw: &RwLock<T>) -> usize {
    let mut held = Vec::new();
    while let Some(guard) = rw.try_acquire_read() {
        held.push(guard);
    }
    held.len()
}

// ---------------------------------------------------------------------------------------
// async-lock's tests (tests/rwlock.rs), translated.

#[test]
fn upgrade() {
    toro::block_on(async {
        let lock = RwLock::with_value(0, 4);
        let read_guard = lock.acquire_read().await;
        let read_guard2 = lock.acquire_read().await;
        // Should be able to obtain an upgradable lock.
        let upgradable_guard = lock.acquire_upgradable().await;
        // Should be able to obtain a read lock when an upgradable lock is active.
        let read_guard3 = lock.acquire_read().await;
        assert_eq!(0, *read_guard3);
        drop(read_guard);
        drop(read_guard2);
        drop(read_guard3);
        // Writers should not pass.
        assert!(lock.try_acquire_write().is_none());
        let mut write_guard = UpgradableReadGuard::try_upgrade(upgradable_guard)
            .expect("no more readers: the upgrade goes through");
        *write_guard += 1;
        drop(write_guard);
        let read_guard = lock.acquire_read().await;
        assert_eq!(1, *read_guard);
    });
}

#[test]
fn upgrade_arc() {
    toro::block_on(async {
        let lock = Arc::new(RwLock::with_value(0, 4));
        let read_guard = lock.acquire_read_owned().await;
        let read_guard2 = lock.acquire_read_owned().await;
        let upgradable_guard = lock.acquire_upgradable_owned().await;
        let read_guard3 = lock.acquire_read_owned().await;
        assert_eq!(0, *read_guard3);
        drop((read_guard, read_guard2, read_guard3));
        assert!(lock.try_acquire_write().is_none());
        let mut write_guard = OwnedUpgradableReadGuard::try_upgrade(upgradable_guard)
            .expect("no more readers: the upgrade goes through");
        *write_guard += 1;
        drop(write_guard);
        assert_eq!(1, *lock.acquire_read_owned().await);
    });
}

#[test]
fn not_upgrade() {
    toro::block_on(async {
        let lock = RwLock::with_value(0, 4);
        let read_guard = lock.acquire_read().await;
        let read_guard2 = lock.acquire_read().await;
        let upgradable_guard = lock.acquire_upgradable().await;
        let read_guard3 = lock.acquire_read().await;
        assert_eq!(0, *read_guard3);
        drop((read_guard, read_guard2, read_guard3));
        // Drop the upgradable lock.
        drop(upgradable_guard);
        assert_eq!(0, *(lock.acquire_read().await));
        // A write lock is free now: no more readers.
        let mut write_guard = lock.acquire_write().await;
        *write_guard += 1;
        drop(write_guard);
        assert_eq!(1, *lock.acquire_read().await);
    });
}

#[test]
fn upgradable_with_concurrent_writer() {
    toro::block_on(async {
        let lock = Arc::new(RwLock::with_value(0, 4));
        let lock2 = Arc::clone(&lock);
        let upgradable_guard = lock.acquire_upgradable().await;
        // The writer is polled first: it claims every free token and waits for the
        // upgradable read's. The upgrade goes ahead of it and takes them back.
        let writer = async move {
            let mut write_guard = lock2.acquire_write().await;
            *write_guard = 1;
        };
        let upgrader = async move {
            let mut write_guard = UpgradableReadGuard::upgrade(upgradable_guard).await;
            assert_eq!(*write_guard, 0);
            *write_guard = 2;
        };
        match select(Box::pin(writer), Box::pin(upgrader)).await {
            Either::Left(_) => panic!("the writer passed the upgrade"),
            // The writer's future is dropped here, leaving the line.
            Either::Right(((), _writer)) => {}
        }
        assert_eq!(2, *(lock.acquire_write().await));
        assert_eq!(2, *lock.acquire_read().await);
    });
}

/// async-lock's `check_yields_when_contended`: the wait is pending while `guard` is held,
/// and woken (then ready) once it is dropped.
fn check_yields_when_contended<G, F: Future + Unpin>(guard: G, mut wait: F) {
    let p = Probe::new();
    p.pending(&mut wait);
    p.pending(&mut wait);
    assert_eq!(p.wakes(), 0);
    drop(guard);
    assert_eq!(p.wakes(), 1);
    drop(p.ready(&mut wait));
}

#[test]
fn yields_when_contended() {
    let rw = RwLock::new(2);
    check_yields_when_contended(rw.try_acquire_write().unwrap(), rw.acquire_read());
    check_yields_when_contended(rw.try_acquire_write().unwrap(), rw.acquire_upgradable());
    check_yields_when_contended(rw.try_acquire_write().unwrap(), rw.acquire_write());
    check_yields_when_contended(rw.try_acquire_read().unwrap(), rw.acquire_write());
    check_yields_when_contended(rw.try_acquire_upgradable().unwrap(), rw.acquire_write());
    check_yields_when_contended(
        rw.try_acquire_upgradable().unwrap(),
        rw.acquire_upgradable(),
    );
    let upgradable = rw.try_acquire_upgradable().unwrap();
    check_yields_when_contended(
        rw.try_acquire_read().unwrap(),
        UpgradableReadGuard::upgrade(upgradable),
    );
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn yields_when_contended_arc() {
    let rw = Arc::new(RwLock::new(2));
    check_yields_when_contended(
        rw.try_acquire_write_owned().unwrap(),
        rw.acquire_read_owned(),
    );
    check_yields_when_contended(
        rw.try_acquire_write_owned().unwrap(),
        rw.acquire_upgradable_owned(),
    );
    check_yields_when_contended(
        rw.try_acquire_upgradable_owned().unwrap(),
        rw.acquire_write_owned(),
    );
    check_yields_when_contended(
        rw.try_acquire_upgradable_owned().unwrap(),
        rw.acquire_upgradable_owned(),
    );
    let upgradable = rw.try_acquire_upgradable_owned().unwrap();
    check_yields_when_contended(
        rw.try_acquire_read_owned().unwrap(),
        OwnedUpgradableReadGuard::upgrade(upgradable),
    );
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn cancellation() {
    toro::block_on(async {
        let rw = RwLock::new(3);
        drop(rw.acquire_read());
        drop(rw.acquire_upgradable());
        drop(rw.acquire_write());
        drop(rw.acquire_read().await);
        drop(rw.acquire_upgradable().await);
        drop(rw.acquire_write().await);
        let upgradable = rw.acquire_upgradable().await;
        drop(UpgradableReadGuard::upgrade(upgradable));
        let upgradable = rw.acquire_upgradable().await;
        drop(UpgradableReadGuard::upgrade(upgradable).await);
        // Everything came back, the upgradable slot included.
        assert_eq!(free_reads(&rw), 3);
        assert!(rw.try_acquire_upgradable().is_some());
    });
}

#[test]
fn arc_rwlock_refcounts() {
    toro::block_on(async {
        let rw = Arc::new(RwLock::new(2));
        assert_eq!(Arc::strong_count(&rw), 1);
        drop(rw.acquire_upgradable_owned());
        assert_eq!(Arc::strong_count(&rw), 1);
        let upgradable = rw.acquire_upgradable_owned().await;
        assert_eq!(Arc::strong_count(&rw), 2);
        drop(upgradable);
        assert_eq!(Arc::strong_count(&rw), 1);
        let upgradable = rw.acquire_upgradable_owned().await;
        drop(OwnedUpgradableReadGuard::upgrade(upgradable));
        assert_eq!(Arc::strong_count(&rw), 1);
        let upgradable = rw.acquire_upgradable_owned().await;
        let write = OwnedUpgradableReadGuard::upgrade(upgradable).await;
        assert_eq!(Arc::strong_count(&rw), 2);
        drop(write);
        assert_eq!(Arc::strong_count(&rw), 1);
    });
}

// ---------------------------------------------------------------------------------------
// toro's rules.

/// A second upgradable read waits at the head of the line; plain readers who come after
/// it wait behind it (FIFO), and get in, in order, once it has the slot.
#[test]
fn readers_after_a_waiting_upgradable_read_wait_behind_it() {
    let rw = RwLock::with_value(0, 3);
    let first = rw.try_acquire_upgradable().unwrap();
    let log = WakeLog::default();
    let p = probes(3, &log);
    let mut second = rw.acquire_upgradable();
    let mut reader = rw.acquire_read();
    p[0].pending(&mut second);
    p[1].pending(&mut reader);
    // Two tokens are free, but the line holds them: nobody barges past it.
    assert!(rw.try_acquire_read().is_none());
    assert_eq!(rw.waiters(), 2);
    drop(first);
    assert_eq!(
        log.take(),
        [0, 1],
        "the slot, then the surplus tokens, in line order"
    );
    let second = p[0].ready(&mut second);
    let reader = p[1].ready(&mut reader);
    assert_eq!(free_reads(&rw), 1);
    drop((second, reader));
    assert_eq!(free_reads(&rw), 3);
}

/// A downgrade keeps the read and frees the slot for the upgradable read at the head.
#[test]
fn a_downgrade_hands_the_slot_to_the_next_upgradable_read() {
    let rw = RwLock::with_value(5, 2);
    let first = rw.try_acquire_upgradable().unwrap();
    let p = Probe::new();
    let mut second = rw.acquire_upgradable();
    p.pending(&mut second);
    let read = UpgradableReadGuard::downgrade(first);
    assert_eq!(*read, 5);
    assert_eq!(p.wakes(), 1);
    let second = p.ready(&mut second);
    assert!(rw.try_acquire_read().is_none(), "both tokens are held");
    drop((read, second));
    assert_eq!(free_reads(&rw), 2);
}

/// A writer queued behind the upgradable read claimed the free tokens; the upgrade takes
/// them back and goes first. The writer then gets the lock after the upgraded write.
#[test]
fn an_upgrade_goes_ahead_of_a_queued_writer() {
    let rw = RwLock::with_value(Vec::new(), 3);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    let reader = rw.try_acquire_read().unwrap();
    let log = WakeLog::default();
    let p = probes(3, &log);
    let mut writer = rw.acquire_write();
    p[0].pending(&mut writer);
    let mut late_reader = rw.acquire_read();
    p[1].pending(&mut late_reader);
    let mut upgrade = UpgradableReadGuard::upgrade(upgradable);
    p[2].pending(&mut upgrade);
    assert_eq!(rw.waiters(), 3);
    drop(reader);
    assert_eq!(
        log.take(),
        [2],
        "the reader's token goes to the upgrade, not the writer"
    );
    let mut write = p[2].ready(&mut upgrade);
    write.push("upgrade");
    drop(write);
    assert_eq!(log.take(), [0]);
    p[0].ready(&mut writer).push("writer");
    assert_eq!(log.take(), [1]);
    assert_eq!(*p[1].ready(&mut late_reader), ["upgrade", "writer"]);
}

/// A timed-out upgrade hands the upgradable guard back, and the tokens it gathered to the
/// head of the line.
#[test]
fn a_timed_out_upgrade_hands_the_guard_back() {
    let rw = RwLock::with_value(0, 3);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    let reader = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut writer = rw.acquire_write();
    p.pending(&mut writer);
    let timed_out = UpgradableReadGuard::upgrade(upgradable)
        .deadline(Duration::ZERO)
        .now_or_never()
        .expect("an expired deadline is observed at the first poll");
    let upgradable: UpgradableReadGuard<'_, i32> = timed_out.unwrap_err().into_inner();
    assert_eq!(*upgradable, 0);
    // The writer got back the token the upgrade took from it, and waits for two.
    drop(reader);
    assert_eq!(p.wakes(), 0);
    assert!(
        rw.try_acquire_upgradable().is_none(),
        "the slot is still taken"
    );
    drop(upgradable);
    assert_eq!(p.wakes(), 1);
    drop(p.ready(&mut writer));
    assert_eq!(free_reads(&rw), 3);
}

/// Dropping an upgrade in line releases everything: the gathered tokens and the
/// upgradable read it carried.
#[test]
fn a_dropped_upgrade_releases_the_upgradable_read_too() {
    let rw = RwLock::new(2);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    let reader = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut upgrade = UpgradableReadGuard::upgrade(upgradable);
    p.pending(&mut upgrade);
    drop(upgrade);
    assert_eq!(rw.waiters(), 0);
    drop(reader);
    assert_eq!(free_reads(&rw), 2);
    assert!(rw.try_acquire_upgradable().is_some(), "the slot is free");
}

/// An upgrade granted but never polled again (dropped after the last reader left) gives
/// every token back, and the slot.
#[test]
fn a_granted_upgrade_dropped_uncollected_gives_everything_back() {
    let rw = RwLock::new(3);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    let reader = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut upgrade = UpgradableReadGuard::upgrade(upgradable);
    p.pending(&mut upgrade);
    drop(reader);
    assert_eq!(p.wakes(), 1, "granted");
    drop(upgrade);
    assert_eq!(free_reads(&rw), 3);
    assert!(rw.try_acquire_upgradable().is_some());
}

#[test]
fn try_upgrade_refuses_while_a_reader_holds_and_changes_nothing() {
    let rw = RwLock::with_value(1, 2);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    let reader = rw.try_acquire_read().unwrap();
    let upgradable = UpgradableReadGuard::try_upgrade(upgradable).unwrap_err();
    assert_eq!(*upgradable, 1);
    assert!(rw.try_acquire_upgradable().is_none());
    drop(reader);
    let write: WriteGuard<'_, i32> = UpgradableReadGuard::try_upgrade(upgradable).unwrap();
    assert!(rw.try_acquire_read().is_none());
    drop(write);
    assert_eq!(free_reads(&rw), 2);
}

#[test]
fn an_upgradable_read_of_a_one_reader_lock_upgrades_at_once() {
    let rw = RwLock::with_value(0, 1);
    let upgradable = rw.try_acquire_upgradable().unwrap();
    assert!(rw.try_acquire_read().is_none());
    let mut write = UpgradableReadGuard::upgrade(upgradable)
        .now_or_never()
        .expect("no other holder can exist");
    *write = 7;
    drop(write);
    assert_eq!(*rw.try_acquire_read().unwrap(), 7);
}

/// Needs toro's `tokio` feature: without it, deadlines run on the runtime-free clock,
/// which tokio's paused clock does not drive.
#[cfg(feature = "tokio")]
#[tokio::test(start_paused = true)]
async fn an_upgrade_deadline_fires_exactly_on_the_paused_clock() {
    let rw = RwLock::with_value(0, 2);
    let upgradable = rw.acquire_upgradable().await;
    let _reader = rw.acquire_read().await;
    let start = tokio::time::Instant::now();
    let timed_out = UpgradableReadGuard::upgrade(upgradable)
        .deadline(Duration::from_secs(5))
        .await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    let guard = timed_out.map(drop).unwrap_err();
    assert!(matches!(guard, toro::Timeout { .. }));
    assert_eq!(*guard.into_inner(), 0);
}

/// Upgradable reads, upgrades, plain reads and writes from many tasks on a multi-thread
/// runtime: every increment lands exactly once, nobody deadlocks.
#[test]
fn upgrades_readers_and_writers_under_stress() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 500;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rw = Arc::new(RwLock::with_value(0usize, 3));
    let landed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    rt.block_on(async {
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let (rw, landed) = (Arc::clone(&rw), Arc::clone(&landed));
                let add = move |n: &mut usize| {
                    *n += 1;
                    landed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                };
                tokio::spawn(async move {
                    for round in 0..ROUNDS {
                        match (t + round) % 5 {
                            0 => {
                                let up = rw.acquire_upgradable_owned().await;
                                tokio::task::yield_now().await;
                                add(&mut *OwnedUpgradableReadGuard::upgrade(up).await);
                            }
                            1 => add(&mut *rw.acquire_write().await),
                            2 => {
                                let up = rw.acquire_upgradable().await;
                                drop(UpgradableReadGuard::downgrade(up));
                            }
                            3 => {
                                // An upgrade that may time out: it hands its guard back.
                                let up = rw.acquire_upgradable().await;
                                let timed = UpgradableReadGuard::upgrade(up)
                                    .deadline(Duration::from_micros(20))
                                    .await;
                                match timed {
                                    Ok(mut write) => add(&mut write),
                                    Err(timeout) => drop(timeout.into_inner()),
                                }
                            }
                            _ => {
                                let read = rw.acquire_read().await;
                                tokio::task::yield_now().await;
                                drop(read);
                            }
                        }
                    }
                })
            })
            .collect();
        let deadline = tokio::time::timeout(Duration::from_secs(60), async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        deadline.await.expect("deadlocked");
    });
    let landed = landed.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        landed >= TASKS * ROUNDS * 2 / 5,
        "rounds 0 and 1 of every 5 always add"
    );
    assert_eq!(
        *rw.try_acquire_read().unwrap(),
        landed,
        "each increment exactly once"
    );
    assert_eq!(free_reads(&rw), 3);
}
