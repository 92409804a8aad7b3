//! Mapped guards: a data lock's guard narrowed to a part of the data still holds exactly
//! what the guard held, hands it on in FIFO order when dropped, comes back whole from a
//! `try_map` that picks nothing, and gives everything back when the mapping closure panics.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use toro::{
    Lock, LockGuard, MappedLockGuard, MappedReadGuard, MappedWriteGuard, OwnedLockGuard,
    OwnedMappedLockGuard, OwnedMappedReadGuard, OwnedMappedWriteGuard, OwnedReadGuard,
    OwnedWriteGuard, ReadGuard, RwLock, WriteGuard,
};

mod support;
use support::Probe;

#[derive(Debug, Default)]
struct Account {
    name: String,
    balance: i64,
}

#[test]
fn a_mapped_lock_guard_holds_the_lock_and_hands_it_on_in_order() {
    let lock = Lock::with_value(Account::default());
    let mut balance: MappedLockGuard<'_, i64> =
        LockGuard::map(lock.try_acquire().unwrap(), |a| &mut a.balance);
    *balance += 5;
    assert!(lock.locked());
    let (p1, p2) = (Probe::new(), Probe::new());
    let mut first = lock.acquire();
    let mut second = lock.acquire();
    p1.pending(&mut first);
    p2.pending(&mut second);
    drop(balance);
    // Handed to the oldest waiter inside the drop; nobody barges in.
    assert_eq!((p1.wakes(), p2.wakes()), (1, 0));
    assert!(lock.try_acquire().is_none());
    let mut guard = p1.ready(&mut first);
    assert_eq!(guard.balance, 5);
    guard.name.push_str("first");
    drop(guard);
    assert_eq!(p2.wakes(), 1);
    assert_eq!(p2.ready(&mut second).name, "first");
}

#[test]
fn try_map_that_picks_nothing_gives_the_guard_back_still_holding() {
    let lock = Lock::with_value(vec![1, 2, 3]);
    let guard = lock.try_acquire().unwrap();
    let mut guard = LockGuard::try_map(guard, |v| v.get_mut(10)).unwrap_err();
    assert!(lock.locked());
    guard.push(4);
    let mut last = LockGuard::try_map(guard, |v| v.last_mut()).unwrap();
    *last *= 10;
    drop(last);
    assert!(!lock.locked());
    assert_eq!(*lock.try_acquire().unwrap(), [1, 2, 3, 40]);
}

#[test]
fn a_panicking_map_releases_the_lock_to_the_next_waiter() {
    let lock = Lock::with_value(0);
    let guard = lock.try_acquire().unwrap();
    let p = Probe::new();
    let mut waiting = lock.acquire();
    p.pending(&mut waiting);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _never: MappedLockGuard<'_, i32> = LockGuard::map(guard, |_| panic!("in map"));
    }));
    assert!(panicked.is_err());
    assert_eq!(p.wakes(), 1, "the lock went to the waiter");
    drop(p.ready(&mut waiting));
    assert!(!lock.locked());
}

#[test]
fn mapped_guards_map_further_and_deref_to_unsized_parts() {
    let lock = Lock::with_value((0u8, String::from("toro")));
    let text = LockGuard::map(lock.try_acquire().unwrap(), |t| &mut t.1);
    let mut bytes: MappedLockGuard<'_, str> = MappedLockGuard::map(text, |s| s.as_mut_str());
    bytes.make_ascii_uppercase();
    assert_eq!(format!("{bytes:?}"), r#"MappedLockGuard { data: "TORO" }"#);
    let none = MappedLockGuard::try_map(bytes, |s| s.get_mut(9..));
    drop(none.unwrap_err());
    assert_eq!(lock.try_acquire().unwrap().1, "TORO");
}

#[test]
fn an_owned_mapped_lock_guard_moves_to_another_thread() {
    let lock = Arc::new(Lock::with_value(Account::default()));
    let name: OwnedMappedLockGuard<Account, String> =
        OwnedLockGuard::map(lock.try_acquire_owned().unwrap(), |a| &mut a.name);
    let further = OwnedMappedLockGuard::map(name, |n| n);
    std::thread::spawn(move || {
        let mut name = further;
        name.push_str("moved");
    })
    .join()
    .unwrap();
    assert_eq!(lock.try_acquire().unwrap().name, "moved");
}

#[test]
fn a_mapped_read_guard_shares_the_lock_and_keeps_writers_out() {
    let rw = RwLock::with_value(Account::default(), 3);
    let name: MappedReadGuard<'_, String> =
        ReadGuard::map(rw.try_acquire_read().unwrap(), |a| &a.name);
    // One token held: other readers come in, a writer waits.
    let other = rw.try_acquire_read().unwrap();
    let p = Probe::new();
    let mut writer = rw.acquire_write();
    p.pending(&mut writer);
    drop(other);
    assert_eq!(p.wakes(), 0, "the mapped guard still holds its token");
    let whole = MappedReadGuard::map(name, |n| n.as_str());
    assert_eq!(&*whole, "");
    drop(whole);
    assert_eq!(p.wakes(), 1);
    let mut w = p.ready(&mut writer);
    w.balance = 1;
    drop(w);
    let balance = ReadGuard::try_map(rw.try_acquire_read().unwrap(), |a| {
        (a.balance > 0).then_some(&a.balance)
    });
    assert_eq!(*balance.unwrap(), 1);
}

#[test]
fn a_mapped_write_guard_keeps_every_token() {
    let rw = RwLock::with_value([0u8; 4], 2);
    let mut tail: MappedWriteGuard<'_, [u8]> =
        WriteGuard::map(rw.try_acquire_write().unwrap(), |a| &mut a[2..]);
    tail.fill(7);
    assert!(rw.try_acquire_read().is_none());
    let p = Probe::new();
    let mut reader = rw.acquire_read();
    p.pending(&mut reader);
    let mut one = MappedWriteGuard::map(tail, |t| &mut t[0]);
    *one = 1;
    drop(one);
    assert_eq!(p.wakes(), 1);
    assert_eq!(*p.ready(&mut reader), [0, 0, 1, 7]);
    assert_eq!(
        free_tokens(&rw),
        2,
        "both tokens came back with the mapped guard"
    );
}

#[test]
fn owned_mapped_rwlock_guards_keep_the_arc_and_the_tokens() {
    let rw = Arc::new(RwLock::with_value((1, vec![2]), 2));
    let read: OwnedMappedReadGuard<(i32, Vec<i32>), i32> =
        OwnedReadGuard::map(rw.try_acquire_read_owned().unwrap(), |t| &t.0);
    assert_eq!(Arc::strong_count(&rw), 2);
    let read = OwnedMappedReadGuard::map(read, |n| n);
    assert!(rw.try_acquire_write().is_none());
    drop(read);
    assert_eq!(Arc::strong_count(&rw), 1);
    let write: OwnedMappedWriteGuard<(i32, Vec<i32>), Vec<i32>> =
        OwnedWriteGuard::map(rw.try_acquire_write_owned().unwrap(), |t| &mut t.1);
    let mut write = OwnedMappedWriteGuard::map(write, |v| v);
    write.push(3);
    assert!(rw.try_acquire_read().is_none());
    drop(write);
    assert_eq!(*rw.try_acquire_read().unwrap(), (1, vec![2, 3]));
    let refused =
        OwnedWriteGuard::try_map(rw.try_acquire_write_owned().unwrap(), |t| t.1.get_mut(5));
    assert_eq!(refused.unwrap_err().1, [2, 3]);
}

/// Free tokens of an `RwLock`, counted by taking read tokens.
fn free_tokens<T>(rw: &RwLock<T>) -> usize {
    let mut held = Vec::new();
    while let Some(guard) = rw.try_acquire_read() {
        held.push(guard);
    }
    held.len()
}
