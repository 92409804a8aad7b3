//! Instruction counts of the single-task rows, under callgrind (`gungraun`): the same
//! count every run, whatever the machine is doing, where wall time on a shared 2-core
//! machine swings by ±30%. Criterion (`primitives`, `queues`) stays for wall time.
//!
//! Each function does `OPS` operations (after the runtime and the primitive are made, in
//! its setup, which is not counted): divide the instructions by `OPS` for one operation.
//! Tasks run on a tokio current-thread runtime, so one thread does all the work and the
//! count repeats exactly.
//!
//! Run: `cargo install gungraun-runner --version 0.17.2` once (the runner must match the
//! `gungraun` crate), then `cargo bench --features tokio --bench instructions`.
//!
//! The tasks' bodies are functions of their own, outside the benchmark functions:
//! callgrind toggles its counting on entry to anything named like the benchmark function,
//! and an async block inside it would be named so, and switch the counting off.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use gungraun::{library_benchmark, library_benchmark_group, main};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

mod common;
use common::{
    condition_pingpong, event_pingpong, notify_pingpong, pending_once, poll_once, priority,
    toro_queue_pingpong, waiter_tasks,
};

/// Operations per benchmark function.
const OPS: usize = 1000;
const CAPACITY: usize = 64;
/// A deadline that is never reached.
const FAR: Duration = Duration::from_secs(60);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime")
}

/// A runtime, with a flag for the function.
fn runtime_and(flag: bool) -> (Runtime, bool) {
    (runtime(), flag)
}

fn toro_queue() -> toro::Queue<u64> {
    toro::Queue::new(CAPACITY)
}

fn flume_channel() -> (flume::Sender<u64>, flume::Receiver<u64>) {
    flume::bounded(CAPACITY)
}

fn async_channel_channel() -> (async_channel::Sender<u64>, async_channel::Receiver<u64>) {
    async_channel::bounded(CAPACITY)
}

type TokioChannel = (
    tokio::sync::mpsc::Sender<u64>,
    tokio::sync::mpsc::Receiver<u64>,
);

fn tokio_channel() -> TokioChannel {
    tokio::sync::mpsc::channel(CAPACITY)
}

fn async_lock_mutex() -> async_lock::Mutex<()> {
    async_lock::Mutex::new(())
}

fn tokio_mutex() -> tokio::sync::Mutex<()> {
    tokio::sync::Mutex::new(())
}

/// Spawns the tasks `spawn` makes on `rt` (a current-thread runtime made by the setup)
/// and runs them to their end.
fn run(rt: &Runtime, spawn: impl FnOnce() -> Vec<JoinHandle<()>>) {
    let _entered = rt.enter();
    let tasks = spawn();
    rt.block_on(join_all(tasks));
}

async fn join_all(tasks: Vec<JoinHandle<()>>) {
    for task in tasks {
        task.await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// One task: put then get, one poll each (queue_single_uncontended).

#[library_benchmark]
#[bench::cap64(setup = toro_queue)]
fn single_toro(q: toro::Queue<u64>) {
    for i in 0..OPS as u64 {
        poll_once(q.put(black_box(i))).unwrap();
        black_box(poll_once(q.get()).unwrap());
    }
}

#[library_benchmark]
#[bench::cap64(setup = flume_channel)]
fn single_flume((tx, rx): (flume::Sender<u64>, flume::Receiver<u64>)) {
    for i in 0..OPS as u64 {
        poll_once(tx.send_async(black_box(i))).unwrap().unwrap();
        black_box(poll_once(rx.recv_async()).unwrap().unwrap());
    }
}

#[library_benchmark]
#[bench::cap64(setup = async_channel_channel)]
fn single_async_channel((tx, rx): (async_channel::Sender<u64>, async_channel::Receiver<u64>)) {
    for i in 0..OPS as u64 {
        poll_once(tx.send(black_box(i))).unwrap().unwrap();
        black_box(poll_once(rx.recv()).unwrap().unwrap());
    }
}

#[library_benchmark]
#[bench::cap64(setup = tokio_channel)]
fn single_tokio_mpsc((tx, mut rx): TokioChannel) {
    for i in 0..OPS as u64 {
        poll_once(tx.send(black_box(i))).unwrap().unwrap();
        black_box(poll_once(rx.recv()).unwrap().unwrap());
    }
}

library_benchmark_group!(
    name = queue_single;
    benchmarks = single_toro, single_flume, single_async_channel, single_tokio_mpsc
);

// ---------------------------------------------------------------------------------------
// Priority queue, one task: with 32 items held, put one and get the least, one poll each
// (what priority_queue times per item, without the tasks). The reference is what the
// wall-time row compares with: a `Mutex<BinaryHeap>` (its `Notify` calls find nobody
// waiting here, as on this path).

const HELD: usize = 32;

fn toro_priority_queue() -> toro::PriorityQueue<usize> {
    let q = toro::PriorityQueue::new(CAPACITY);
    for i in 0..HELD {
        q.put_nowait(priority(i)).unwrap();
    }
    q
}

fn heap_notify() -> HeapNotify {
    let heap = (0..HELD).map(|i| std::cmp::Reverse(priority(i))).collect();
    (std::sync::Mutex::new(heap), tokio::sync::Notify::new())
}

type HeapNotify = (
    std::sync::Mutex<std::collections::BinaryHeap<std::cmp::Reverse<usize>>>,
    tokio::sync::Notify,
);

#[library_benchmark]
#[bench::held32(setup = toro_priority_queue)]
fn priority_toro(q: toro::PriorityQueue<usize>) {
    for i in HELD..HELD + OPS {
        poll_once(q.put(black_box(priority(i)))).unwrap();
        black_box(poll_once(q.get()).unwrap());
    }
}

#[library_benchmark]
#[bench::held32(setup = heap_notify)]
fn priority_heap_notify((heap, notify): HeapNotify) {
    for i in HELD..HELD + OPS {
        heap.lock()
            .unwrap()
            .push(std::cmp::Reverse(black_box(priority(i))));
        notify.notify_one();
        black_box(heap.lock().unwrap().pop().unwrap());
        notify.notify_one();
    }
}

library_benchmark_group!(
    name = priority_single;
    benchmarks = priority_toro, priority_heap_notify
);

// ---------------------------------------------------------------------------------------
// One producer task, one consumer task, capacity 64 (queue_spsc/ct).

/// The producer and the consumer of a toro queue.
fn spsc_toro_tasks() -> Vec<JoinHandle<()>> {
    let q = Arc::new(toro::Queue::new(CAPACITY));
    let (tx, rx) = (q.clone(), q);
    vec![
        tokio::spawn(async move {
            for i in 0..OPS {
                tx.put(i).await;
            }
        }),
        tokio::spawn(async move {
            for _ in 0..OPS {
                black_box(rx.get().await);
            }
        }),
    ]
}

fn spsc_flume_tasks() -> Vec<JoinHandle<()>> {
    let (tx, rx) = flume::bounded(CAPACITY);
    vec![
        tokio::spawn(async move {
            for i in 0..OPS {
                tx.send_async(i).await.unwrap();
            }
        }),
        tokio::spawn(async move {
            for _ in 0..OPS {
                black_box(rx.recv_async().await.unwrap());
            }
        }),
    ]
}

fn spsc_async_channel_tasks() -> Vec<JoinHandle<()>> {
    let (tx, rx) = async_channel::bounded(CAPACITY);
    vec![
        tokio::spawn(async move {
            for i in 0..OPS {
                tx.send(i).await.unwrap();
            }
        }),
        tokio::spawn(async move {
            for _ in 0..OPS {
                black_box(rx.recv().await.unwrap());
            }
        }),
    ]
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn spsc_toro(rt: Runtime) {
    run(&rt, spsc_toro_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn spsc_flume(rt: Runtime) {
    run(&rt, spsc_flume_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn spsc_async_channel(rt: Runtime) {
    run(&rt, spsc_async_channel_tasks);
}

library_benchmark_group!(
    name = queue_spsc;
    benchmarks = spsc_toro, spsc_flume, spsc_async_channel
);

// ---------------------------------------------------------------------------------------
// Two tasks ping-ponging through two capacity-1 queues (queue_pingpong/ct): OPS hops.

fn pingpong_toro_tasks() -> Vec<JoinHandle<()>> {
    let qs = Arc::new((toro::Queue::new(1), toro::Queue::new(1)));
    toro_queue_pingpong(qs, OPS / 2)
}

fn pingpong_tokio_mpsc_tasks() -> Vec<JoinHandle<()>> {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel(1);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel(1);
    vec![
        tokio::spawn(async move {
            for i in 0..OPS / 2 {
                ping_tx.send(i).await.unwrap();
                black_box(pong_rx.recv().await.unwrap());
            }
        }),
        tokio::spawn(async move {
            for _ in 0..OPS / 2 {
                let i = ping_rx.recv().await.unwrap();
                pong_tx.send(i).await.unwrap();
            }
        }),
    ]
}

fn pingpong_flume_tasks() -> Vec<JoinHandle<()>> {
    let (ping_tx, ping_rx) = flume::bounded(1);
    let (pong_tx, pong_rx) = flume::bounded(1);
    vec![
        tokio::spawn(async move {
            for i in 0..OPS / 2 {
                ping_tx.send_async(i).await.unwrap();
                black_box(pong_rx.recv_async().await.unwrap());
            }
        }),
        tokio::spawn(async move {
            for _ in 0..OPS / 2 {
                let i = ping_rx.recv_async().await.unwrap();
                pong_tx.send_async(i).await.unwrap();
            }
        }),
    ]
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn pingpong_toro(rt: Runtime) {
    run(&rt, pingpong_toro_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn pingpong_tokio_mpsc(rt: Runtime) {
    run(&rt, pingpong_tokio_mpsc_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn pingpong_flume(rt: Runtime) {
    run(&rt, pingpong_flume_tasks);
}

library_benchmark_group!(
    name = queue_pingpong;
    benchmarks = pingpong_toro, pingpong_tokio_mpsc, pingpong_flume
);

// ---------------------------------------------------------------------------------------
// A wait with and without a deadline (timed_wait/ct): what the deadline adds, toro's
// `.deadline(d)` beside tokio's `timeout`.

/// `OPS` gets from a toro queue, each pending once (its timer armed, with a deadline),
/// then satisfied.
fn timed_toro_task(deadline: bool) -> Vec<JoinHandle<()>> {
    let q = Arc::new(toro::Queue::new(CAPACITY));
    vec![tokio::spawn(async move {
        for i in 0..OPS {
            if deadline {
                let mut get = q.get().deadline(FAR);
                assert!(pending_once(&mut get).await);
                q.put_nowait(i).unwrap();
                black_box(get.await.unwrap());
            } else {
                let mut get = q.get();
                assert!(pending_once(&mut get).await);
                q.put_nowait(i).unwrap();
                black_box(get.await);
            }
        }
    })]
}

/// The same with tokio's channel, and `tokio::time::timeout` for the deadline.
fn timed_tokio_task(with_timeout: bool) -> Vec<JoinHandle<()>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
    vec![tokio::spawn(async move {
        for i in 0..OPS {
            if with_timeout {
                let mut recv = pin!(tokio::time::timeout(FAR, rx.recv()));
                assert!(pending_once(&mut recv).await);
                tx.try_send(i).unwrap();
                black_box(recv.await.unwrap().unwrap());
            } else {
                let mut recv = pin!(rx.recv());
                assert!(pending_once(&mut recv).await);
                tx.try_send(i).unwrap();
                black_box(recv.await.unwrap());
            }
        }
    })]
}

#[library_benchmark]
#[bench::with_deadline(args = (true), setup = runtime_and)]
#[bench::without(args = (false), setup = runtime_and)]
fn timed_toro((rt, deadline): (Runtime, bool)) {
    run(&rt, || timed_toro_task(deadline));
}

#[library_benchmark]
#[bench::with_timeout(args = (true), setup = runtime_and)]
#[bench::without(args = (false), setup = runtime_and)]
fn timed_tokio((rt, with_timeout): (Runtime, bool)) {
    run(&rt, || timed_tokio_task(with_timeout));
}

library_benchmark_group!(
    name = timed_wait;
    benchmarks = timed_toro, timed_tokio
);

// ---------------------------------------------------------------------------------------
// `WAITERS` tasks waiting at once, each pending once, all released by one set
// (deadline_waiters/ct at 1 000): what a waiter costs with and without its own timer.

/// Waiters per round of the `deadline_waiters` rows.
const WAITERS: usize = 1000;

/// [`waiter_tasks`] for `WAITERS` waiters.
fn waiters<W: Future<Output = ()> + Send + 'static>(
    wait: impl Fn() -> W,
    release: impl FnOnce() + Send + 'static,
) -> Vec<JoinHandle<()>> {
    waiter_tasks(WAITERS, &Arc::new(AtomicUsize::new(0)), wait, release)
}

fn toro_event_waiters(deadline: bool) -> Vec<JoinHandle<()>> {
    let event = Arc::new(toro::Event::new());
    let setter = event.clone();
    waiters(
        move || {
            let event = event.clone();
            async move {
                if deadline {
                    event.wait().deadline(FAR).await.unwrap();
                } else {
                    event.wait().await;
                }
            }
        },
        move || setter.set(),
    )
}

fn tokio_notify_waiters(with_timeout: bool) -> Vec<JoinHandle<()>> {
    let notify = Arc::new(tokio::sync::Notify::new());
    let notifier = notify.clone();
    waiters(
        move || {
            let notify = notify.clone();
            async move {
                let mut notified = pin!(notify.notified());
                notified.as_mut().enable();
                if with_timeout {
                    tokio::time::timeout(FAR, notified).await.unwrap();
                } else {
                    notified.await;
                }
            }
        },
        move || notifier.notify_waiters(),
    )
}

#[library_benchmark]
#[bench::with_deadline(args = (true), setup = runtime_and)]
#[bench::without(args = (false), setup = runtime_and)]
fn waiters_toro_event((rt, deadline): (Runtime, bool)) {
    run(&rt, || toro_event_waiters(deadline));
}

#[library_benchmark]
#[bench::with_timeout(args = (true), setup = runtime_and)]
#[bench::without(args = (false), setup = runtime_and)]
fn waiters_tokio_notify((rt, with_timeout): (Runtime, bool)) {
    run(&rt, || tokio_notify_waiters(with_timeout));
}

library_benchmark_group!(
    name = deadline_waiters;
    benchmarks = waiters_toro_event, waiters_tokio_notify
);

// ---------------------------------------------------------------------------------------
// Uncontended lock: acquire + release, one poll (lock_uncontended).

#[library_benchmark]
#[bench::one_poll(setup = toro::Lock::new)]
fn lock_toro(lock: toro::Lock) {
    for _ in 0..OPS {
        drop(black_box(poll_once(lock.acquire()).unwrap()));
    }
}

#[library_benchmark]
#[bench::one_poll(setup = async_lock_mutex)]
fn lock_async_lock(lock: async_lock::Mutex<()>) {
    for _ in 0..OPS {
        drop(black_box(poll_once(lock.lock()).unwrap()));
    }
}

#[library_benchmark]
#[bench::one_poll(setup = tokio_mutex)]
fn lock_tokio(lock: tokio::sync::Mutex<()>) {
    for _ in 0..OPS {
        drop(black_box(poll_once(lock.lock()).unwrap()));
    }
}

library_benchmark_group!(
    name = lock_uncontended;
    benchmarks = lock_toro, lock_async_lock, lock_tokio
);

// ---------------------------------------------------------------------------------------
// Barriers in one thread, no runtime: `one_poll`, a barrier of 1, each wait ready at once
// (barrier_uncontended); `pair`, a barrier of 2, the first wait polled once (pending, in
// line), the second tripping it, the first polled again (barrier_pair_uncontended). OPS
// waits either way.

/// One wait on a barrier of 1 per operation.
macro_rules! barrier_one_poll {
    ($barrier:expr) => {
        for _ in 0..OPS {
            black_box(poll_once($barrier.wait()).unwrap().is_leader());
        }
    };
}

/// Two waits on a barrier of 2 per two operations.
macro_rules! barrier_pair {
    ($barrier:expr) => {
        for _ in 0..OPS / 2 {
            let mut first = pin!($barrier.wait());
            assert!(poll_once(first.as_mut()).is_none());
            let second = poll_once($barrier.wait()).unwrap();
            black_box(second.is_leader() && !poll_once(first).unwrap().is_leader());
        }
    };
}

fn toro_barrier(n: usize) -> (toro::Barrier, usize) {
    (toro::Barrier::new(n), n)
}

fn async_lock_barrier(n: usize) -> (async_lock::Barrier, usize) {
    (async_lock::Barrier::new(n), n)
}

fn tokio_barrier(n: usize) -> (tokio::sync::Barrier, usize) {
    (tokio::sync::Barrier::new(n), n)
}

#[library_benchmark]
#[bench::one_poll(args = (1), setup = toro_barrier)]
#[bench::pair(args = (2), setup = toro_barrier)]
fn barrier_toro((barrier, n): (toro::Barrier, usize)) {
    if n == 1 {
        barrier_one_poll!(barrier);
    } else {
        barrier_pair!(barrier);
    }
}

#[library_benchmark]
#[bench::one_poll(args = (1), setup = async_lock_barrier)]
#[bench::pair(args = (2), setup = async_lock_barrier)]
fn barrier_async_lock((barrier, n): (async_lock::Barrier, usize)) {
    if n == 1 {
        barrier_one_poll!(barrier);
    } else {
        barrier_pair!(barrier);
    }
}

#[library_benchmark]
#[bench::one_poll(args = (1), setup = tokio_barrier)]
#[bench::pair(args = (2), setup = tokio_barrier)]
fn barrier_tokio((barrier, n): (tokio::sync::Barrier, usize)) {
    if n == 1 {
        barrier_one_poll!(barrier);
    } else {
        barrier_pair!(barrier);
    }
}

library_benchmark_group!(
    name = barrier_uncontended;
    benchmarks = barrier_toro, barrier_async_lock, barrier_tokio
);

// ---------------------------------------------------------------------------------------
// An upgradable read, upgraded, released, one poll each (rwlock_upgrade_uncontended).

fn toro_rwlock() -> toro::RwLock {
    toro::RwLock::new(64)
}

fn async_lock_rwlock() -> async_lock::RwLock<()> {
    async_lock::RwLock::new(())
}

#[library_benchmark]
#[bench::one_poll(setup = toro_rwlock)]
fn upgrade_toro(lock: toro::RwLock) {
    for _ in 0..OPS {
        let read = poll_once(lock.acquire_upgradable()).unwrap();
        drop(black_box(
            poll_once(toro::UpgradableReadGuard::upgrade(read)).unwrap(),
        ));
    }
}

#[library_benchmark]
#[bench::one_poll(setup = async_lock_rwlock)]
fn upgrade_async_lock(lock: async_lock::RwLock<()>) {
    for _ in 0..OPS {
        let read = poll_once(lock.upgradable_read()).unwrap();
        drop(black_box(
            poll_once(async_lock::RwLockUpgradableReadGuard::upgrade(read)).unwrap(),
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Two tasks waking each other (wakeup_pingpong/ct): OPS round trips.

fn event_pingpong_tasks() -> Vec<JoinHandle<()>> {
    event_pingpong(Arc::new((toro::Event::new(), toro::Event::new())), OPS)
}

fn condition_pingpong_tasks() -> Vec<JoinHandle<()>> {
    condition_pingpong(
        Arc::new((toro::Condition::new(), toro::Condition::new())),
        OPS,
    )
}

fn notify_pingpong_tasks() -> Vec<JoinHandle<()>> {
    notify_pingpong(
        Arc::new((tokio::sync::Notify::new(), tokio::sync::Notify::new())),
        OPS,
    )
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn wakeup_toro_event(rt: Runtime) {
    run(&rt, event_pingpong_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn wakeup_toro_condition(rt: Runtime) {
    run(&rt, condition_pingpong_tasks);
}

#[library_benchmark]
#[bench::ct(setup = runtime)]
fn wakeup_tokio_notify(rt: Runtime) {
    run(&rt, notify_pingpong_tasks);
}

library_benchmark_group!(
    name = wakeup_pingpong;
    benchmarks = wakeup_toro_event, wakeup_toro_condition, wakeup_tokio_notify
);

library_benchmark_group!(
    name = rwlock_upgrade_uncontended;
    benchmarks = upgrade_toro, upgrade_async_lock
);

main!(
    library_benchmark_groups = queue_single,
    priority_single,
    queue_spsc,
    queue_pingpong,
    timed_wait,
    deadline_waiters,
    lock_uncontended,
    barrier_uncontended,
    rwlock_upgrade_uncontended,
    wakeup_pingpong
);
