//! Token pools: Lock, Semaphore, BoundedSemaphore and RwLock against one model of
//! toro's bounded token pool (FIFO hand-off inside the releasing call, a writer claiming
//! every free token at once, nothing lost when a waiter leaves), with an RwLock's
//! upgradable reads and the guards' owned and mapped forms.
//!
//! Upgradable reads, in the model: one holder of the upgradable slot at a time, beside
//! plain readers; an upgradable read stands in the one FIFO line, and at its head holds
//! every token that comes while the slot is taken (none shows free while a line stands),
//! passing the surplus on once the slot is its own. An upgrade is served ahead of the
//! line and takes back what waiters in line were handed; it frees the slot when whole (at
//! the call, or when its future collects the grant). Timed out, it hands the upgradable
//! read back and the tokens it gathered to the line; dropped in line, it gives back the
//! upgradable read too. A mapped guard holds what its guard held.

use super::*;

mod model;
mod real;

use model::*;
use real::*;

#[derive(Clone, Copy, Debug)]
enum PoolKind {
    Lock,
    Semaphore(usize),
    Bounded(usize),
    RwLock(usize),
}

#[derive(Clone, Debug)]
enum PoolOp {
    /// `acquire()` (`acquire_read()` on an RwLock).
    Acquire,
    /// `acquire_write()` on an RwLock, `acquire()` elsewhere.
    AcquireWrite,
    /// `wait()` on a semaphore, `acquire()` elsewhere.
    Wait,
    TryAcquire,
    TryAcquireWrite,
    /// `acquire_owned()` (`acquire_read_owned()`, or with `write` `acquire_write_owned()`,
    /// on an RwLock).
    AcquireOwned {
        write: bool,
    },
    /// `try_acquire_owned()` (the RwLock's as for `AcquireOwned`).
    TryAcquireOwned {
        write: bool,
    },
    /// `acquire_upgradable()` (with `owned`, `acquire_upgradable_owned()`); RwLock only.
    AcquireUpgradable {
        owned: bool,
    },
    /// `try_acquire_upgradable()` (with `owned`, its owned form); RwLock only.
    TryAcquireUpgradable {
        owned: bool,
    },
    /// `upgrade(guard)` of the upgradable read, if one is held: a new future.
    Upgrade,
    /// `try_upgrade(guard)` of the upgradable read, if one is held.
    TryUpgrade,
    /// `downgrade` of guard `i`, if it is an upgradable read or a write.
    Downgrade(usize),
    /// `map` of guard `i` (`try_map` with `Some(found)`: its closure finds the part or
    /// not), if it is a `Lock`'s or an `RwLock`'s guard, mapped already or not.
    Map(usize, Option<bool>),
    /// A manual `release()` (`release_read()`).
    Release,
    /// `release_write()` on an RwLock, `release()` elsewhere.
    ReleaseWrite,
    Poll(usize),
    PollAll,
    Drop(usize),
    Expire(usize),
    DropGuard(usize),
    ForgetGuard(usize),
}

/// The steps of every pool: acquires (borrowed and owned) and releases, polls, drops,
/// expired deadlines, guards dropped, forgotten and mapped.
fn pool_op() -> impl Strategy<Value = PoolOp> {
    prop_oneof![
        4 => Just(PoolOp::Acquire),
        2 => Just(PoolOp::AcquireWrite),
        1 => Just(PoolOp::Wait),
        1 => Just(PoolOp::TryAcquire),
        1 => Just(PoolOp::TryAcquireWrite),
        1 => any::<bool>().prop_map(|write| PoolOp::AcquireOwned { write }),
        1 => any::<bool>().prop_map(|write| PoolOp::TryAcquireOwned { write }),
        2 => Just(PoolOp::Release),
        1 => Just(PoolOp::ReleaseWrite),
        3 => any::<usize>().prop_map(PoolOp::Poll),
        1 => Just(PoolOp::PollAll),
        2 => any::<usize>().prop_map(PoolOp::Drop),
        2 => any::<usize>().prop_map(PoolOp::Expire),
        4 => any::<usize>().prop_map(PoolOp::DropGuard),
        1 => any::<usize>().prop_map(PoolOp::ForgetGuard),
        1 => (any::<usize>(), any::<Option<bool>>()).prop_map(|(i, how)| PoolOp::Map(i, how)),
    ]
}

/// An RwLock's steps, upgradable reads, upgrades and downgrades among them.
fn rwlock_op() -> impl Strategy<Value = PoolOp> {
    prop_oneof![
        3 => Just(PoolOp::Acquire),
        2 => Just(PoolOp::AcquireWrite),
        1 => Just(PoolOp::TryAcquire),
        1 => Just(PoolOp::TryAcquireWrite),
        1 => any::<bool>().prop_map(|write| PoolOp::AcquireOwned { write }),
        3 => any::<bool>().prop_map(|owned| PoolOp::AcquireUpgradable { owned }),
        1 => any::<bool>().prop_map(|owned| PoolOp::TryAcquireUpgradable { owned }),
        3 => Just(PoolOp::Upgrade),
        1 => Just(PoolOp::TryUpgrade),
        2 => any::<usize>().prop_map(PoolOp::Downgrade),
        1 => (any::<usize>(), any::<Option<bool>>()).prop_map(|(i, how)| PoolOp::Map(i, how)),
        1 => Just(PoolOp::Release),
        4 => any::<usize>().prop_map(PoolOp::Poll),
        1 => Just(PoolOp::PollAll),
        2 => any::<usize>().prop_map(PoolOp::Drop),
        3 => any::<usize>().prop_map(PoolOp::Expire),
        4 => any::<usize>().prop_map(PoolOp::DropGuard),
        1 => any::<usize>().prop_map(PoolOp::ForgetGuard),
    ]
}

fn pool_kind() -> impl Strategy<Value = PoolKind> {
    prop_oneof![
        Just(PoolKind::Lock),
        (0..3usize).prop_map(PoolKind::Semaphore),
        (0..3usize).prop_map(PoolKind::Bounded),
        (1..4usize).prop_map(PoolKind::RwLock),
    ]
}

/// Polls future `i` and compares with the model; a completed future's guard is kept.
fn poll_pool<'a>(
    slots: &mut Vec<Slot<PoolFuture<'a>>>,
    guards: &mut Vec<PoolGuard<'a>>,
    model: &mut PoolModel,
    i: usize,
) {
    let real = slots[i].poll(|f, cx| f.poll(cx));
    match (real, model.poll(i)) {
        (Poll::Pending, false) => {}
        (Poll::Ready(guard), true) => {
            slots.remove(i);
            guards.extend(guard);
        }
        (real, expected) => panic!(
            "poll of future #{i}: ready {} but the model says {expected}",
            real.is_ready()
        ),
    }
}

fn run_pool(kind: PoolKind, ops: &[PoolOp]) {
    let clock = expired_clock();
    let pool = Pool::new(kind);
    let mut model = PoolModel::new(kind);
    let mut slots: Vec<Slot<PoolFuture<'_>>> = Vec::new();
    let mut guards: Vec<PoolGuard<'_>> = Vec::new();

    for op in ops {
        match *op {
            PoolOp::Acquire | PoolOp::AcquireWrite => {
                let write = matches!(op, PoolOp::AcquireWrite);
                slots.push(Slot::new(pool.acquire(write)));
                model.acquire(model.tokens(write), model.hold(write));
            }
            PoolOp::AcquireOwned { write } => {
                slots.push(Slot::new(pool.acquire_owned(write)));
                model.acquire(model.tokens(write), model.hold(write));
            }
            PoolOp::Wait => {
                slots.push(Slot::new(pool.wait()));
                if model.has_watch() {
                    model.watch();
                } else {
                    model.acquire(1, model.hold(false));
                }
            }
            PoolOp::TryAcquire | PoolOp::TryAcquireWrite => {
                let write = matches!(op, PoolOp::TryAcquireWrite);
                let real = pool.try_acquire(write);
                let expected = model.try_acquire(model.tokens(write), model.hold(write));
                assert_eq!(real.is_some(), expected);
                guards.extend(real);
            }
            PoolOp::TryAcquireOwned { write } => {
                let real = pool.try_acquire_owned(write);
                let expected = model.try_acquire(model.tokens(write), model.hold(write));
                assert_eq!(real.is_some(), expected);
                guards.extend(real);
            }
            PoolOp::AcquireUpgradable { owned } => {
                if let Some(rw) = pool.rwlock() {
                    slots.push(Slot::new(if owned {
                        PoolFuture::OwnedUpgradable(rw.acquire_upgradable_owned())
                    } else {
                        PoolFuture::Upgradable(rw.acquire_upgradable())
                    }));
                    model.acquire_upgradable();
                }
            }
            PoolOp::TryAcquireUpgradable { owned } => {
                if let Some(rw) = pool.rwlock() {
                    let real = if owned {
                        rw.try_acquire_upgradable_owned()
                            .map(PoolGuard::OwnedUpgradable)
                    } else {
                        rw.try_acquire_upgradable().map(PoolGuard::Upgradable)
                    };
                    assert_eq!(real.is_some(), model.try_acquire_upgradable());
                    guards.extend(real);
                }
            }
            PoolOp::Upgrade => {
                if let Some(i) = model.upgradable_guard() {
                    slots.push(Slot::new(guards.remove(i).upgrade()));
                    model.upgrade(i);
                }
            }
            PoolOp::TryUpgrade => {
                if let Some(i) = model.upgradable_guard() {
                    let (upgraded, guard) = changed(guards.remove(i).try_upgrade());
                    guards.insert(i, guard);
                    assert_eq!(upgraded, model.try_upgrade(i), "try_upgrade of guard #{i}");
                }
            }
            PoolOp::Downgrade(i) => {
                if let Some(i) = pick(i, guards.len()) {
                    let (downgraded, guard) = changed(guards.remove(i).downgrade());
                    guards.insert(i, guard);
                    assert_eq!(downgraded, model.downgrade(i), "downgrade of guard #{i}");
                }
            }
            PoolOp::Map(i, how) => {
                if let Some(i) = pick(i, guards.len()) {
                    let (mapped, guard) = changed(guards.remove(i).map(how));
                    guards.insert(i, guard);
                    assert_eq!(mapped, model.map(i, how), "map of guard #{i}");
                }
            }
            PoolOp::Release | PoolOp::ReleaseWrite => {
                let write = matches!(op, PoolOp::ReleaseWrite);
                let n = model.tokens(write);
                assert_eq!(pool.release(write).is_ok(), model.manual_release(n));
            }
            PoolOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    poll_pool(&mut slots, &mut guards, &mut model, i);
                }
            }
            PoolOp::PollAll => {
                for i in (0..slots.len()).rev() {
                    poll_pool(&mut slots, &mut guards, &mut model, i);
                }
            }
            PoolOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    model.drop_future(i);
                }
            }
            PoolOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots.remove(i).future.expire(&clock);
                    let expected = model.expire(i);
                    assert_eq!(
                        real.as_ref().map(drop).map_err(Option::is_some),
                        expected,
                        "expired future #{i}"
                    );
                    match real {
                        Ok(guard) | Err(guard) => guards.extend(guard),
                    }
                }
            }
            PoolOp::DropGuard(i) => {
                if let Some(i) = pick(i, guards.len()) {
                    drop(guards.remove(i));
                    model.drop_guard(i);
                }
            }
            PoolOp::ForgetGuard(i) => {
                if let Some(i) = pick(i, guards.len()) {
                    let forgot = match guards.remove(i).forget() {
                        Ok(()) => true,
                        Err(guard) => {
                            guards.insert(i, guard);
                            false
                        }
                    };
                    assert_eq!(forgot, model.forget(i), "forget of guard #{i}");
                }
            }
        }
        model.check(&pool, &slots, &guards);
    }

    // Tear down oldest first: every token held by a future or a guard comes back.
    while !slots.is_empty() {
        drop(slots.remove(0));
        model.drop_future(0);
        model.check(&pool, &slots, &guards);
    }
    while !guards.is_empty() {
        drop(guards.remove(0));
        model.drop_guard(0);
        model.check(&pool, &slots, &guards);
    }
    // Forgotten tokens come back by manual release; then every token is free, and an
    // RwLock's upgradable slot too.
    if !matches!(kind, PoolKind::Semaphore(_)) {
        while model.forgotten > 0 {
            assert!(pool.release(false).is_ok());
            assert!(model.manual_release(1));
        }
        model.check(&pool, &slots, &guards);
        assert_eq!(model.free, model.bound);
    }
    if let Some(rw) = pool.rwlock() {
        assert!(rw.try_acquire_write().is_some(), "every token came back");
        assert!(
            rw.try_acquire_upgradable().is_some(),
            "the upgradable slot came back"
        );
    }
}

proptest! {
    #![proptest_config(config(400))]

    /// Lock, Semaphore, BoundedSemaphore and RwLock against the token-pool model.
    #[test]
    fn token_pools_follow_the_model(
        kind in pool_kind(),
        ops in prop::collection::vec(pool_op(), 1..60),
    ) {
        run_pool(kind, &ops);
    }

    /// An RwLock's upgradable reads, upgrades and downgrades among its reads and writes,
    /// against the same model.
    #[test]
    fn rwlock_upgradable_reads_follow_the_model(
        max_readers in 1..5usize,
        ops in prop::collection::vec(rwlock_op(), 1..80),
    ) {
        run_pool(PoolKind::RwLock(max_readers), &ops);
    }
}
