//! The `Send` / `Sync` / `Unpin` matrix of every public type and future (the rule: every
//! primitive and future is `Send + Sync` where `T` allows; guards are `Send`).
//!
//! Almost all of it is checked at compile time: this file does not build if a type loses
//! an auto trait it should have, or gains one it must not have (`EnterGuard` is tied to
//! its thread; a container of `Rc` is not `Send`). The few rows that toro does not meet
//! yet are checked at run time instead (autoref specialisation), so that they fail as
//! tests without keeping the rest of the suite from compiling.

#![allow(dead_code)]

use std::cell::Cell;
use std::future::{Pending, Ready};
use std::marker::PhantomData;
use std::rc::Rc;

use std::sync::{Arc, MutexGuard};

use toro::queue::order::{Fifo, Lifo, Priority};
use toro::{
    AcquireRead, AcquireWrite, AlreadySet, AsyncResult, AsyncResultGet, AsyncResultGetOrInit,
    AsyncResultGetOrTryInit, Barrier, BarrierWait, BarrierWaitResult, BoundedSemaphore, Condition,
    ConditionWait, Deadline, Deadlined, Empty, EnterGuard, Event, EventWait, Full, JoinableQueue,
    LifoQueue, Lock, LockAcquire, LockGuard, LoopHandle, NotLocked, NotReady, OwnedAcquireRead,
    OwnedAcquireWrite, OwnedLockAcquire, OwnedLockGuard, OwnedReadGuard, OwnedSemaphoreAcquire,
    OwnedSemaphoreGuard, OwnedWriteGuard, PriorityQueue, Queue, QueueGet, QueueJoin, QueuePut,
    ReadGuard, RwLock, Semaphore, SemaphoreAcquire, SemaphoreGuard, SemaphoreWait, Sleep, Timeout,
    TooManyReleases, TooManyTaskDone, WithDeadline, WriteGuard,
};

// ---------------------------------------------------------------------------------------
// Helpers

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}
fn is_static<T: 'static>() {}
/// `Send + Sync + Unpin`: what every primitive and future should be when `T` allows.
fn all<T: Send + Sync + Unpin>() {}

/// Compiles only when `T` is *not* `Send`: with `T: Send` both impls apply and the call is
/// ambiguous (the trick of the `static_assertions` crate).
trait NotSend<A> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

trait NotSync<A> {
    fn check() {}
}
impl<T: ?Sized> NotSync<()> for T {}
impl<T: ?Sized + Sync> NotSync<u8> for T {}

macro_rules! not_send {
    ($($t:ty),* $(,)?) => { $( <$t as NotSend<_>>::check(); )* };
}

macro_rules! not_sync {
    ($($t:ty),* $(,)?) => { $( <$t as NotSync<_>>::check(); )* };
}

/// Run-time probes for rows not met yet (autoref specialisation: the by-value impl
/// applies only when `T: Sync`, otherwise method resolution falls back to the `&` impl).
struct Probe<T: ?Sized>(PhantomData<T>);

trait IsSync {
    fn is_sync(&self) -> bool {
        true
    }
}
impl<T: ?Sized + Sync> IsSync for Probe<T> {}

trait NotSyncFallback {
    fn is_sync(&self) -> bool {
        false
    }
}
impl<T: ?Sized> NotSyncFallback for &Probe<T> {}

macro_rules! is_sync {
    ($t:ty) => {
        (&Probe::<$t>(PhantomData)).is_sync()
    };
}

// ---------------------------------------------------------------------------------------
// The matrix

#[test]
fn primitives_are_send_sync_unpin() {
    all::<Lock>();
    all::<RwLock>();
    all::<Semaphore>();
    all::<BoundedSemaphore>();
    all::<Condition>();
    all::<Event>();
    all::<Barrier>();
    all::<AsyncResult<u32>>();
    all::<Queue<u32>>();
    all::<LifoQueue<u32>>();
    all::<PriorityQueue<u32>>();
    all::<JoinableQueue<u32>>();
    // A queue shares its items only through a mutex: `Send` items are enough for `Sync`.
    all::<Queue<Cell<u32>>>();
    all::<JoinableQueue<Cell<u32>>>();
    all::<PriorityQueue<Box<u32>>>();
    // An AsyncResult hands out `&T` to many tasks: `Sync` needs `T: Sync`.
    send::<AsyncResult<Cell<u32>>>();
    not_sync!(AsyncResult<Cell<u32>>);
}

#[test]
fn items_that_are_not_send_make_containers_not_send() {
    not_send!(
        Queue<Rc<u32>>,
        LifoQueue<Rc<u32>>,
        PriorityQueue<Rc<u32>>,
        JoinableQueue<Rc<u32>>,
        AsyncResult<Rc<u32>>,
    );
    not_sync!(Queue<Rc<u32>>, AsyncResult<Rc<u32>>);
}

#[test]
fn guards_are_send_sync_unpin() {
    all::<LockGuard<'static>>();
    all::<ReadGuard<'static>>();
    all::<WriteGuard<'static>>();
    all::<SemaphoreGuard<'static>>();
}

#[test]
fn wait_futures_are_send_sync_unpin() {
    all::<LockAcquire<'static>>();
    all::<AcquireRead<'static>>();
    all::<AcquireWrite<'static>>();
    all::<SemaphoreAcquire<'static>>();
    all::<SemaphoreWait<'static>>();
    all::<ConditionWait<'static>>();
    all::<EventWait<'static>>();
    all::<BarrierWait<'static>>();
    all::<BarrierWaitResult>();
    all::<AsyncResultGet<'static, u32>>();
    all::<QueueGet<'static, u32, Fifo<u32>>>();
    all::<QueueGet<'static, u32, Lifo<u32>>>();
    all::<QueueGet<'static, u32, Priority<u32>>>();
    all::<QueuePut<'static, u32, Fifo<u32>>>();
    all::<QueuePut<'static, u32, Lifo<u32>>>();
    all::<QueuePut<'static, u32, Priority<u32>>>();
    all::<QueueJoin<'static, u32>>();
    // A future carrying a `Send` item can move between threads even if the item is not
    // `Sync`; unpinned whatever the item.
    send::<QueuePut<'static, Cell<u32>, Fifo<Cell<u32>>>>();
    unpin::<QueuePut<'static, std::marker::PhantomPinned, Fifo<std::marker::PhantomPinned>>>();
    // Not `Send` when the value they hand out is not shareable.
    not_send!(
        QueueGet<'static, Rc<u32>, Fifo<Rc<u32>>>,
        QueuePut<'static, Rc<u32>, Fifo<Rc<u32>>>,
        AsyncResultGet<'static, Cell<u32>>,
    );
}

#[test]
fn deadline_futures_are_send_and_unpin() {
    send::<WithDeadline<LockAcquire<'static>>>();
    send::<WithDeadline<AcquireWrite<'static>>>();
    send::<WithDeadline<SemaphoreWait<'static>>>();
    send::<WithDeadline<ConditionWait<'static>>>();
    send::<WithDeadline<EventWait<'static>>>();
    send::<WithDeadline<BarrierWait<'static>>>();
    unpin::<WithDeadline<BarrierWait<'static>>>();
    send::<WithDeadline<AsyncResultGet<'static, u32>>>();
    send::<WithDeadline<QueueGet<'static, u32, Fifo<u32>>>>();
    send::<WithDeadline<QueuePut<'static, u32, Priority<u32>>>>();
    send::<WithDeadline<QueueJoin<'static, u32>>>();
    unpin::<WithDeadline<LockAcquire<'static>>>();
    unpin::<WithDeadline<QueuePut<'static, u32, Fifo<u32>>>>();
    send::<Deadlined<Ready<u32>>>();
    send::<Deadlined<LockAcquire<'static>>>();
    unpin::<Deadlined<Ready<u32>>>();
    unpin::<Deadlined<LockAcquire<'static>>>();
    not_send!(Deadlined<Ready<Rc<u32>>>);
}

/// The rule asks every future to be `Sync` too; a deadline's timer (`Sleep`, a boxed
/// `dyn Future + Send`) is not, so neither is a wait with a deadline. An `async` block
/// that holds one across an `.await` is then not `Sync` either.
#[test]
fn deadline_futures_are_sync() {
    let rows = [
        (
            "WithDeadline<LockAcquire>",
            is_sync!(WithDeadline<LockAcquire<'static>>),
        ),
        (
            "WithDeadline<QueuePut<u32>>",
            is_sync!(WithDeadline<QueuePut<'static, u32, Fifo<u32>>>),
        ),
        ("Deadlined<Pending<()>>", is_sync!(Deadlined<Pending<()>>)),
    ];
    let missing: Vec<&str> = rows.iter().filter(|r| !r.1).map(|r| r.0).collect();
    assert!(missing.is_empty(), "not Sync: {missing:?}");
}

#[test]
fn the_probe_tells_sync_from_not_sync() {
    assert!(is_sync!(Lock));
    assert!(!is_sync!(Cell<u32>));
    assert!(!is_sync!(Rc<u32>));
}

#[test]
fn loop_handles_and_values_are_send_sync_unpin() {
    all::<LoopHandle>();
    all::<Deadline>();
    send::<Sleep>();
    unpin::<Sleep>();
    // Entering a loop handle is per thread: its guard must stay on that thread.
    not_send!(EnterGuard);
    not_sync!(EnterGuard);
}

#[test]
fn errors_are_send_sync_unpin() {
    all::<Timeout>();
    all::<Timeout<String>>();
    all::<NotLocked>();
    all::<TooManyReleases>();
    all::<NotReady>();
    all::<AlreadySet<String>>();
    all::<Empty>();
    all::<Full<String>>();
    all::<TooManyTaskDone>();
    // Errors are `std::error::Error + Send + Sync + 'static`: boxable into anyhow-style
    // errors.
    fn boxable<E: std::error::Error + Send + Sync + 'static>() {}
    boxable::<Timeout>();
    boxable::<Timeout<String>>();
    boxable::<NotLocked>();
    boxable::<TooManyReleases>();
    boxable::<NotReady>();
    boxable::<Empty>();
    boxable::<TooManyTaskDone>();
}

#[test]
fn queue_orders_are_send_sync_unpin() {
    all::<Fifo<u32>>();
    all::<Lifo<u32>>();
    all::<Priority<u32>>();
}

/// `get_or_init`'s and `get_or_try_init`'s futures: `Send` when `T: Send + Sync` (they hand
/// out `&T`) and `f` and its future are `Send`; `Sync` likewise; `Unpin` when `f`'s future
/// is. Made `Send`, they can be spawned on a multi-threaded runtime.
#[test]
fn initialising_futures_are_send_sync_where_their_parts_allow() {
    type Init<T, Fut> = AsyncResultGetOrInit<'static, T, fn() -> Fut, Fut>;
    type TryInit<T, Fut> = AsyncResultGetOrTryInit<'static, T, fn() -> Fut, Fut>;
    all::<Init<u32, Ready<u32>>>();
    all::<TryInit<u32, Ready<Result<u32, String>>>>();
    all::<Init<String, Pending<String>>>();
    send::<Deadlined<Init<u32, Ready<u32>>>>();
    send::<Deadlined<TryInit<u32, Ready<Result<u32, ()>>>>>();
    unpin::<Deadlined<Init<u32, Ready<u32>>>>();
    // The value is shared as `&T`: a `T` that is not `Sync` makes them neither.
    not_send!(
        Init<Cell<u32>, Ready<Cell<u32>>>,
        TryInit<Cell<u32>, Ready<Result<Cell<u32>, ()>>>,
    );
    not_sync!(Init<Cell<u32>, Ready<Cell<u32>>>);
    // `f`'s future is held across polls: one that is not `Send` makes them not `Send`.
    not_send!(
        Init<u32, RcFuture>,
        TryInit<u32, RcTryFuture>,
        Deadlined<Init<u32, RcFuture>>,
    );

    // With closures and async blocks, as written in a task.
    fn assert_send<F: std::future::Future + Send>(_: &F) {}
    static CELL: AsyncResult<String> = AsyncResult::new();
    let prefix = String::from("made ");
    let init = CELL.get_or_init(move || async move { prefix + "once" });
    assert_send(&init);
    let try_init = CELL.get_or_try_init(|| async { Ok::<_, std::io::Error>(String::new()) });
    assert_send(&try_init);
    let task = async {
        let value = CELL.get_or_init(|| async { String::new() }).await;
        let timed = CELL
            .get_or_init(|| async { String::new() })
            .deadline(std::time::Duration::from_secs(1))
            .await;
        let _ = (value, timed);
    };
    assert_send(&task);
    drop((init, try_init));
}

/// Futures that are not `Send` (a local boxed future, as an `async` block holding an `Rc`
/// across an `.await` would be).
type RcFuture = std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>;
type RcTryFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<u32, ()>>>>;

/// A guard can cross an `.await` in a task spawned on a multi-threaded runtime.
#[test]
fn futures_that_hold_guards_across_awaits_are_send() {
    fn assert_send<F: std::future::Future + Send>(_: &F) {}
    let lock = Lock::new();
    let queue = Queue::<String>::new(1);
    let rw = RwLock::new(2);
    let barrier = Barrier::new(1);
    let task = async {
        let guard = lock.acquire().await;
        queue.put(String::from("x")).await;
        let read = rw.acquire_read().await;
        let _ = queue.get().await;
        let met = barrier.wait().await;
        drop((guard, read, met));
    };
    assert_send(&task);
}

// ---------------------------------------------------------------------------------------
// Data locks, owned guards and their futures

/// `Sync` but not `Send`: what a data lock must refuse to share (like `std::sync::Mutex`).
type SyncNotSend = MutexGuard<'static, u32>;

#[test]
fn data_locks_are_send_sync_where_their_data_allows() {
    all::<Lock<u64>>();
    all::<RwLock<u64>>();
    all::<Lock<String>>();
    all::<RwLock<Vec<u8>>>();
    // One holder at a time: a `Lock` needs only `T: Send` to be `Sync`, like
    // `std::sync::Mutex`; an `RwLock` shares `&T` between readers, so it needs `T: Sync`.
    all::<Lock<Cell<u32>>>();
    send::<RwLock<Cell<u32>>>();
    not_sync!(RwLock<Cell<u32>>);
    not_send!(
        Lock<Rc<u32>>,
        RwLock<Rc<u32>>,
        Lock<SyncNotSend>,
        RwLock<SyncNotSend>
    );
    not_sync!(
        Lock<Rc<u32>>,
        RwLock<Rc<u32>>,
        Lock<SyncNotSend>,
        RwLock<SyncNotSend>
    );
    // Shared through an `Arc` with spawned tasks.
    send::<Arc<Lock<u64>>>();
    send::<Arc<RwLock<u64>>>();
    send::<Arc<Lock<Cell<u32>>>>();
    not_send!(Arc<RwLock<Cell<u32>>>);
}

#[test]
fn data_guards_are_send_sync_where_their_data_allows() {
    all::<LockGuard<'static, u64>>();
    all::<ReadGuard<'static, u64>>();
    all::<WriteGuard<'static, u64>>();
    all::<OwnedLockGuard<u64>>();
    all::<OwnedReadGuard<u64>>();
    all::<OwnedWriteGuard<u64>>();
    all::<OwnedLockGuard>();
    all::<OwnedReadGuard>();
    all::<OwnedWriteGuard>();
    all::<OwnedSemaphoreGuard>();
    // A lock guard hands out `&mut T` (moving it needs `T: Send`) and, shared, `&T`
    // (sharing it needs `T: Sync`).
    send::<LockGuard<'static, Cell<u32>>>();
    send::<OwnedLockGuard<Cell<u32>>>();
    not_sync!(LockGuard<'static, Cell<u32>>, OwnedLockGuard<Cell<u32>>);
    // The `RwLock` of a `Cell` is not `Sync`, so no guard of it leaves its thread.
    not_send!(
        ReadGuard<'static, Cell<u32>>,
        WriteGuard<'static, Cell<u32>>,
        OwnedReadGuard<Cell<u32>>,
        OwnedWriteGuard<Cell<u32>>,
    );
    not_sync!(
        ReadGuard<'static, Cell<u32>>,
        WriteGuard<'static, Cell<u32>>,
        OwnedReadGuard<Cell<u32>>,
        OwnedWriteGuard<Cell<u32>>,
    );
    not_send!(
        LockGuard<'static, Rc<u32>>,
        OwnedLockGuard<Rc<u32>>,
        ReadGuard<'static, Rc<u32>>,
        OwnedWriteGuard<Rc<u32>>,
        LockGuard<'static, SyncNotSend>,
        OwnedLockGuard<SyncNotSend>,
        ReadGuard<'static, SyncNotSend>,
        OwnedReadGuard<SyncNotSend>,
        WriteGuard<'static, SyncNotSend>,
    );
    not_sync!(
        LockGuard<'static, Rc<u32>>,
        OwnedLockGuard<Rc<u32>>,
        OwnedReadGuard<Rc<u32>>,
        OwnedReadGuard<SyncNotSend>,
    );
}

#[test]
fn owned_guards_and_futures_are_static() {
    is_static::<OwnedLockGuard<u64>>();
    is_static::<OwnedReadGuard<u64>>();
    is_static::<OwnedWriteGuard<u64>>();
    is_static::<OwnedSemaphoreGuard>();
    is_static::<OwnedLockAcquire<u64>>();
    is_static::<OwnedAcquireRead<u64>>();
    is_static::<OwnedAcquireWrite<u64>>();
    is_static::<OwnedSemaphoreAcquire>();
    is_static::<WithDeadline<OwnedLockAcquire<u64>>>();
}

#[test]
fn data_wait_futures_are_send_sync_unpin() {
    all::<LockAcquire<'static, u64>>();
    all::<AcquireRead<'static, u64>>();
    all::<AcquireWrite<'static, u64>>();
    all::<OwnedLockAcquire<u64>>();
    all::<OwnedLockAcquire>();
    all::<OwnedAcquireRead<u64>>();
    all::<OwnedAcquireWrite<u64>>();
    all::<OwnedSemaphoreAcquire>();
    send::<OwnedLockAcquire<Cell<u32>>>();
    not_send!(
        LockAcquire<'static, Rc<u32>>,
        OwnedLockAcquire<Rc<u32>>,
        AcquireRead<'static, Cell<u32>>,
        OwnedAcquireRead<Cell<u32>>,
        OwnedAcquireWrite<Rc<u32>>,
    );
    send::<WithDeadline<OwnedLockAcquire<u64>>>();
    send::<WithDeadline<OwnedAcquireRead<u64>>>();
    send::<WithDeadline<OwnedAcquireWrite<u64>>>();
    send::<WithDeadline<OwnedSemaphoreAcquire>>();
    unpin::<WithDeadline<OwnedLockAcquire<u64>>>();
}

/// What `tokio::spawn` asks of a task (`Send + 'static`): met by a task that holds owned
/// guards of every kind across `.await`s, with and without a deadline.
#[test]
fn tasks_holding_owned_guards_across_awaits_are_spawnable() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: &F) {}
    let lock = Arc::new(Lock::with_value(String::new()));
    let rw = Arc::new(RwLock::with_value(0u64, 2));
    let sem = Arc::new(Semaphore::new(1));
    let bounded = Arc::new(BoundedSemaphore::new(1));
    let task = async move {
        let mut text = lock.acquire_owned().await;
        text.push('x');
        let write = rw.acquire_write_owned().await;
        let read = write.downgrade();
        let permit = sem.acquire_owned().await;
        let bounded_permit = bounded
            .acquire_owned()
            .deadline(std::time::Duration::from_secs(1))
            .await;
        drop((read, permit, bounded_permit));
        // The guard moves on to another thread.
        std::thread::spawn(move || text.push('y')).join().unwrap();
    };
    spawnable(&task);
    toro::block_on(task);
}

// ---------------------------------------------------------------------------------------
// Mapped guards

#[test]
fn mapped_guards_are_send_sync_where_their_part_allows() {
    use toro::{
        MappedLockGuard, MappedReadGuard, MappedWriteGuard, OwnedMappedLockGuard,
        OwnedMappedReadGuard, OwnedMappedWriteGuard,
    };
    all::<MappedLockGuard<'static, u64>>();
    all::<MappedReadGuard<'static, str>>();
    all::<MappedWriteGuard<'static, [u8]>>();
    all::<OwnedMappedLockGuard<String, str>>();
    all::<OwnedMappedReadGuard<Vec<u8>, [u8]>>();
    all::<OwnedMappedWriteGuard<(u8, u64), u64>>();
    is_static::<OwnedMappedLockGuard<String, str>>();
    // A mapped write guard hands out `&mut U`: moving it needs `U: Send`, sharing it
    // `U: Sync`, as for the guard it came from.
    send::<MappedLockGuard<'static, Cell<u32>>>();
    send::<MappedWriteGuard<'static, Cell<u32>>>();
    not_sync!(
        MappedLockGuard<'static, Cell<u32>>,
        MappedWriteGuard<'static, Cell<u32>>
    );
    not_send!(
        MappedLockGuard<'static, Rc<u32>>,
        MappedWriteGuard<'static, Rc<u32>>
    );
    // A mapped read guard shares `&U` with other readers: both need `U: Sync`.
    not_send!(MappedReadGuard<'static, Cell<u32>>);
    not_sync!(MappedReadGuard<'static, Cell<u32>>);
    // An owned one also moves its `Arc`, which needs the whole lock shareable.
    not_send!(OwnedMappedLockGuard<Rc<u32>, u32>);
}
