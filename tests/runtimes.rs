//! The same behaviour on every runtime: each scenario below runs on tokio's current-thread
//! and multi-thread runtimes, async-std, smol, `toro::block_on` and
//! `futures::executor::block_on` (with its thread pool), spawning its tasks with
//! that runtime's own `spawn` (for `toro::block_on`, which has none, each task gets an OS
//! thread with its own `toro::block_on`). Some scenarios add plain threads that wait with
//! `.block()` in the same lines as the tasks.
//!
//! Nothing is gated on the facade's features except the checks of which clock a deadline
//! uses.

mod support;
use support::yield_now;

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use toro::{
    AsyncResult, Barrier, Condition, DeadlineExt, Event, JoinableQueue, Lock, LoopHandle, Queue,
    Semaphore,
};

// ----------------------------------------------------------------------------------------
// Runtimes

/// A spawned task: awaiting it waits for the task to finish (and re-raises its panic).
type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A runtime's `spawn`.
#[derive(Clone, Copy)]
struct Spawner(fn(Task) -> Task);

impl Spawner {
    fn spawn(self, task: impl Future<Output = ()> + Send + 'static) -> Task {
        (self.0)(Box::pin(task))
    }
}

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

/// toro's loop runs one future per thread: each task gets its own thread and loop.
fn toro_spawn(task: Task) -> Task {
    on_thread(move || toro::block_on(task))
}

/// Runs `f` on a plain thread of its own; awaiting the returned task waits for it (its end
/// is signalled through a toro `Event`, so no runtime thread blocks on a join) and
/// re-raises its panic.
fn on_thread(f: impl FnOnce() + Send + 'static) -> Task {
    type Panic = Box<dyn Any + Send>;
    let done = Arc::new((Event::new(), Mutex::new(None::<Panic>)));
    let finished = done.clone();
    thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
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

/// Generous: a healthy scenario takes milliseconds; only a hang gets near this.
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and fails if it has not finished within [`HANG_LIMIT`].
fn watchdog(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("still running after {HANG_LIMIT:?}"),
    }
}

trait Scenario<Fut>: FnOnce(Spawner) -> Fut + Send + 'static {}
impl<F: FnOnce(Spawner) -> Fut + Send + 'static, Fut> Scenario<Fut> for F {}

fn run_tokio_current_thread<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(scenario(Spawner(tokio_spawn)))
    })
}

fn run_tokio_multi_thread<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(scenario(Spawner(tokio_spawn)))
    })
}

fn run_async_std<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || async_std::task::block_on(scenario(Spawner(async_std_spawn))))
}

fn run_smol<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || smol::block_on(scenario(Spawner(smol_spawn))))
}

fn run_toro<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || toro::block_on(scenario(Spawner(toro_spawn))))
}

/// The `futures` crate's executor: a thread pool for spawned tasks, `block_on` for the
/// scenario itself. Neither knows anything of toro.
fn futures_spawn(task: Task) -> Task {
    use futures::task::SpawnExt;
    static POOL: std::sync::OnceLock<futures::executor::ThreadPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .unwrap()
    });
    Box::pin(
        pool.spawn_with_handle(task)
            .expect("spawn on the futures thread pool"),
    )
}

fn run_futures<Fut: Future<Output = ()>>(scenario: impl Scenario<Fut>) {
    watchdog(move || futures::executor::block_on(scenario(Spawner(futures_spawn))))
}

// ----------------------------------------------------------------------------------------
// Helpers

/// Primitives shared with spawned tasks, which need `'static` borrows for the eager wait
/// futures made before spawning.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

async fn join_all(tasks: Vec<Task>) {
    for task in tasks {
        task.await;
    }
}

// ----------------------------------------------------------------------------------------
// Scenarios

mod scenarios {
    use super::*;

    /// Four tasks wait in line for a held lock; they get it one at a time, in the order of
    /// their `acquire()` calls, whatever order the runtime runs them in.
    pub async fn lock_handoff(sp: Spawner) {
        let lock = leak(Lock::new());
        let order = Arc::new(Mutex::new(Vec::new()));
        let inside = Arc::new(AtomicUsize::new(0));
        let held = lock.acquire().await;
        let tasks: Vec<Task> = (0..4)
            .map(|i| {
                let acquire = lock.acquire(); // the place in line is taken here
                let (order, inside) = (order.clone(), inside.clone());
                sp.spawn(async move {
                    let _guard = acquire.await;
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders");
                    order.lock().unwrap().push(i);
                    yield_now().await;
                    inside.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        assert!(lock.locked());
        assert!(format!("{lock:?}").contains("waiters: 4"));
        drop(held);
        join_all(tasks).await;
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
        assert!(!lock.locked());
        // A task releases; the waiting main task gets the lock.
        let held = lock.acquire().await;
        let waiting = lock.acquire();
        let releaser = sp.spawn(async move { drop(held) });
        let _guard = waiting.await;
        releaser.await;
        assert!(lock.locked());
    }

    /// Producers and consumers through a bounded JoinableQueue; `join` after the last put
    /// completes once every item was processed.
    pub async fn producer_consumer(sp: Spawner) {
        const PER_PRODUCER: u32 = 50;
        let q = leak(JoinableQueue::new(2));
        let received = Arc::new(Mutex::new(Vec::new()));
        let left = Arc::new(AtomicUsize::new(2 * PER_PRODUCER as usize));
        let consumers: Vec<Task> = (0..2)
            .map(|_| {
                let (received, left) = (received.clone(), left.clone());
                sp.spawn(async move {
                    while left
                        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        let x = q.get().await;
                        yield_now().await;
                        received.lock().unwrap().push(x);
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let producers: Vec<Task> = (0..2)
            .map(|p| {
                sp.spawn(async move {
                    for i in 0..PER_PRODUCER {
                        q.put(p * 1000 + i).await;
                    }
                })
            })
            .collect();
        join_all(producers).await;
        q.join().await;
        assert_eq!(received.lock().unwrap().len(), 100, "join completed early");
        assert_eq!(q.unfinished_tasks(), 0);
        join_all(consumers).await;
        let mut all = std::mem::take(&mut *received.lock().unwrap());
        all.sort_unstable();
        let expected: Vec<u32> = (0..2)
            .flat_map(|p| (0..PER_PRODUCER).map(move |i| p * 1000 + i))
            .collect();
        assert_eq!(all, expected);
        assert!(q.empty());
    }

    /// A plain Queue between two tasks keeps FIFO order.
    pub async fn queue_fifo_between_tasks(sp: Spawner) {
        let q = leak(Queue::new(3));
        let producer = sp.spawn(async move {
            for i in 0..200u32 {
                q.put(i).await;
            }
        });
        let mut got = Vec::new();
        for _ in 0..200 {
            got.push(q.get().await);
        }
        producer.await;
        assert_eq!(got, (0..200).collect::<Vec<_>>());
    }

    /// `notify` wakes waiters registered before it, oldest first; from another task too.
    pub async fn condition_notify(sp: Spawner) {
        let cond = leak(Condition::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<Task> = (0..3)
            .map(|_| {
                let wait = cond.wait();
                let woken = woken.clone();
                sp.spawn(async move {
                    wait.await;
                    woken.fetch_add(1, SeqCst);
                })
            })
            .collect();
        let mine = cond.wait();
        assert_eq!(cond.waiters(), 4);
        cond.notify(3); // the three tasks, not `mine`
        assert_eq!(cond.waiters(), 1);
        let notifier = sp.spawn(async move { cond.notify(1) });
        mine.await;
        notifier.await;
        join_all(tasks).await;
        assert_eq!(woken.load(SeqCst), 3);
        // A notify with nobody waiting is not remembered.
        cond.notify_all();
        assert!(
            cond.wait()
                .deadline(Duration::from_millis(5))
                .await
                .is_err()
        );
        assert_eq!(cond.waiters(), 0);
    }

    /// `set` from a task releases every waiter; a set event lets waits through; a cleared
    /// one blocks them again.
    pub async fn event_set(sp: Spawner) {
        let event = leak(Event::new());
        let passed = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<Task> = (0..3)
            .map(|_| {
                let passed = passed.clone();
                sp.spawn(async move {
                    event.wait().await;
                    passed.fetch_add(1, SeqCst);
                })
            })
            .collect();
        let mine = event.wait();
        let setter = sp.spawn(async move {
            yield_now().await;
            event.set();
        });
        mine.await;
        setter.await;
        join_all(tasks).await;
        assert_eq!(passed.load(SeqCst), 3);
        assert!(event.is_set());
        event.wait().await;
        event.clear();
        assert!(
            event
                .wait()
                .deadline(Duration::from_millis(5))
                .await
                .is_err()
        );
    }

    /// Semaphore(2): never more than two tasks inside; every token comes back.
    pub async fn semaphore_bounds_concurrency(sp: Spawner) {
        let sem = leak(Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<Task> = (0..6)
            .map(|_| {
                let (inside, most) = (inside.clone(), most.clone());
                sp.spawn(async move {
                    for _ in 0..20 {
                        let _token = sem.acquire().await;
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        assert!(now <= 2, "{now} holders of a Semaphore(2)");
                        most.fetch_max(now, SeqCst);
                        for _ in 0..3 {
                            yield_now().await;
                        }
                        inside.fetch_sub(1, SeqCst);
                    }
                })
            })
            .collect();
        join_all(tasks).await;
        assert!(most.load(SeqCst) <= 2);
        assert_eq!(sem.counter(), 2);
        // `wait` completes once a token is free, taking none.
        let empty = leak(Semaphore::new(0));
        let wait = empty.wait();
        let releaser = sp.spawn(async move { empty.release() });
        wait.await;
        releaser.await;
        assert_eq!(empty.counter(), 1);
    }

    /// Short deadlines on the real clock fire; what a timed-out put carried comes back.
    pub async fn deadline_fires(_sp: Spawner) {
        let cond = Condition::new();
        let start = Instant::now();
        let result = cond.wait().deadline(Duration::from_millis(20)).await;
        let waited = start.elapsed();
        assert!(result.is_err());
        assert!(
            waited >= Duration::from_millis(15),
            "fired early: {waited:?}"
        );
        assert!(waited < Duration::from_secs(20), "fired late: {waited:?}");
        assert_eq!(cond.waiters(), 0, "the timed-out waiter left the line");

        let q = Queue::new(1);
        q.put_nowait('a').unwrap();
        let timeout = q
            .put('b')
            .deadline(Duration::from_millis(5))
            .await
            .unwrap_err();
        assert_eq!(timeout.into_inner(), 'b');
        assert_eq!(q.qsize(), 1);

        let lock = Lock::new();
        let _held = lock.acquire().await;
        assert!(
            lock.acquire()
                .deadline(Duration::from_millis(5))
                .await
                .is_err()
        );

        let never = std::future::pending::<()>();
        assert!(never.deadline(Duration::from_millis(5)).await.is_err());
    }

    /// Deadlines that do not fire: the wait completes when another task delivers.
    pub async fn deadline_does_not_fire(sp: Spawner) {
        let q = leak(Queue::new(0));
        let get = q.get().deadline(Duration::from_secs(30));
        let producer = sp.spawn(async move {
            yield_now().await;
            q.put_nowait(7).unwrap();
        });
        assert_eq!(get.await, Ok(7));
        producer.await;

        let lock = leak(Lock::new());
        let held = lock.acquire().await;
        let waiting = lock.acquire().deadline(Duration::from_secs(30));
        let releaser = sp.spawn(async move {
            yield_now().await;
            drop(held);
        });
        assert!(waiting.await.is_ok());
        releaser.await;

        assert_eq!(async { 5 }.deadline(Duration::from_secs(30)).await, Ok(5));
    }

    /// One AsyncResult read by several tasks: each sees the same value, set once.
    pub async fn async_result_shared(sp: Spawner) {
        let result = leak(AsyncResult::<String>::new());
        let tasks: Vec<Task> = (0..4)
            .map(|_| {
                sp.spawn(async move {
                    let value = result.get().await;
                    assert_eq!(value, "done");
                    assert!(std::ptr::eq(value, result.get_nowait().unwrap()));
                })
            })
            .collect();
        let mine = result.get();
        let setter = sp.spawn(async move {
            yield_now().await;
            result.set("done".to_string()).unwrap();
        });
        assert_eq!(mine.await, "done");
        setter.await;
        join_all(tasks).await;
        assert!(result.ready());
        assert_eq!(
            result.set("again".to_string()).unwrap_err().into_inner(),
            "again"
        );
        assert_eq!(result.get_nowait().map(String::as_str), Ok("done"));
    }

    /// Four tasks meet for many rounds, one leader each round. The first round's arrivals
    /// are made before the tasks are spawned (eager), so the main task's, the last one,
    /// trips it and leads. A lone wait with a deadline withdraws when it times out; one
    /// whose partners arrive from other tasks completes.
    pub async fn barrier_rounds(sp: Spawner) {
        const TASKS: usize = 3;
        const ROUNDS: usize = 20;
        let barrier = leak(Barrier::new(TASKS + 1));
        let leaders = Arc::new(Mutex::new(vec![0usize; ROUNDS]));
        let tasks: Vec<Task> = (0..TASKS)
            .map(|_| {
                let first = barrier.wait(); // arrives here
                let leaders = leaders.clone();
                sp.spawn(async move {
                    assert!(!first.await.is_leader(), "round 0 was led by the main task");
                    for round in 1..ROUNDS {
                        if barrier.wait().await.is_leader() {
                            leaders.lock().unwrap()[round] += 1;
                        }
                        yield_now().await;
                    }
                })
            })
            .collect();
        assert_eq!(barrier.waiters(), TASKS);
        assert!(barrier.wait().await.is_leader(), "the last arrival leads");
        leaders.lock().unwrap()[0] += 1;
        for round in 1..ROUNDS {
            if barrier.wait().await.is_leader() {
                leaders.lock().unwrap()[round] += 1;
            }
        }
        join_all(tasks).await;
        assert_eq!(*leaders.lock().unwrap(), [1; ROUNDS], "leaders per round");
        assert_eq!(barrier.waiters(), 0);

        // Nobody else comes: the wait times out and takes its arrival back.
        assert!(
            barrier
                .wait()
                .deadline(Duration::from_millis(5))
                .await
                .is_err()
        );
        assert_eq!(barrier.waiters(), 0);
        // The partners come from other tasks: the timed wait completes well before its deadline.
        let mine = barrier.wait().deadline(Duration::from_secs(30));
        let partners: Vec<Task> = (0..TASKS)
            .map(|_| {
                sp.spawn(async move {
                    yield_now().await;
                    barrier.wait().await;
                })
            })
            .collect();
        assert!(
            !mine
                .await
                .expect("completed before the deadline")
                .is_leader()
        );
        join_all(partners).await;
        assert_eq!(barrier.waiters(), 0);
    }

    /// Which clock a deadline uses when nothing was entered.
    pub fn expect_clock(
        name: &'static str,
    ) -> impl FnOnce(Spawner) -> Pin<Box<dyn Future<Output = ()>>> + Send {
        move |_sp| {
            Box::pin(async move {
                assert_eq!(LoopHandle::current().name(), name);
                let before = toro::now();
                yield_now().await;
                assert!(toro::now() >= before);
            })
        }
    }
}

macro_rules! on_runtime {
    ($runtime:ident, $run:ident, clock: $clock:expr) => {
        mod $runtime {
            use super::*;

            #[test]
            fn lock_handoff() {
                $run(scenarios::lock_handoff)
            }

            #[test]
            fn producer_consumer() {
                $run(scenarios::producer_consumer)
            }

            #[test]
            fn queue_fifo_between_tasks() {
                $run(scenarios::queue_fifo_between_tasks)
            }

            #[test]
            fn condition_notify() {
                $run(scenarios::condition_notify)
            }

            #[test]
            fn event_set() {
                $run(scenarios::event_set)
            }

            #[test]
            fn semaphore_bounds_concurrency() {
                $run(scenarios::semaphore_bounds_concurrency)
            }

            #[test]
            fn deadline_fires() {
                $run(scenarios::deadline_fires)
            }

            #[test]
            fn deadline_does_not_fire() {
                $run(scenarios::deadline_does_not_fire)
            }

            #[test]
            fn async_result_shared() {
                $run(scenarios::async_result_shared)
            }

            #[test]
            fn barrier_rounds() {
                $run(scenarios::barrier_rounds)
            }

            #[test]
            fn clock_name() {
                $run(scenarios::expect_clock($clock))
            }
        }
    };
}

/// Inside tokio, with the facade's `tokio` feature, deadlines use tokio's timer.
const TOKIO_CLOCK: &str = if cfg!(feature = "tokio") {
    "tokio"
} else {
    "runtime-free"
};

on_runtime!(tokio_current_thread, run_tokio_current_thread, clock: TOKIO_CLOCK);
on_runtime!(tokio_multi_thread, run_tokio_multi_thread, clock: TOKIO_CLOCK);
// async-std and smol are not detected: without an entered handle, the runtime-free timer.
on_runtime!(async_std_runtime, run_async_std, clock: "runtime-free");
on_runtime!(smol_runtime, run_smol, clock: "runtime-free");
on_runtime!(toro_block_on, run_toro, clock: "runtime-free");
on_runtime!(futures_block_on, run_futures, clock: "runtime-free");

// ----------------------------------------------------------------------------------------
// The adapters' own clocks (only with their features).

#[cfg(feature = "smol")]
#[test]
fn smol_adapter_clock_runs_deadlines_under_smol() {
    let handle = toro::smol::handle();
    assert_eq!(handle.name(), "async-io");
    watchdog(move || {
        smol::block_on(async move {
            let cond = Condition::new();
            let start = Instant::now();
            let r = cond
                .wait()
                .deadline_on(&handle, Duration::from_millis(10))
                .await;
            assert!(r.is_err());
            assert!(start.elapsed() >= Duration::from_millis(5));
            let _entered = handle.enter();
            assert_eq!(LoopHandle::current().name(), "async-io");
        })
    });
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_adapter_clock_runs_deadlines_under_async_std() {
    let handle = toro::async_std::handle();
    assert_eq!(handle.name(), "async-std");
    watchdog(move || {
        async_std::task::block_on(async move {
            let q = Queue::new(1);
            q.put_nowait(1).unwrap();
            let start = Instant::now();
            let r = q
                .put(2)
                .deadline_on(&handle, Duration::from_millis(10))
                .await;
            assert_eq!(r.unwrap_err().into_inner(), 2);
            assert!(start.elapsed() >= Duration::from_millis(5));
        })
    });
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_adapter_clock_follows_paused_time() {
    let handle = toro::tokio::handle();
    assert_eq!(handle.name(), "tokio");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async {
            let start = toro::now();
            let cond = Condition::new();
            let r = cond.wait().deadline(Duration::from_secs(3600)).await;
            assert!(r.is_err());
            // Paused time jumps straight to the deadline: exactly an hour on tokio's clock.
            assert_eq!(toro::now() - start, Duration::from_secs(3600));
        });
}

// ----------------------------------------------------------------------------------------
// Queue shutdown on every runtime (asyncio 3.13 semantics).

mod shutdown_scenarios {
    use super::*;
    use futures::StreamExt;

    /// Workers loop on `recv()` (one on the queue's stream) and leave when the queue is
    /// shut down after `join()`; every item is received once.
    pub async fn workers_end_at_shutdown(sp: Spawner) {
        const ITEMS: u32 = 120;
        let q = leak(JoinableQueue::new(2));
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut workers: Vec<Task> = (0..2)
            .map(|_| {
                let received = received.clone();
                sp.spawn(async move {
                    while let Ok(x) = q.recv().await {
                        yield_now().await;
                        received.lock().unwrap().push(x);
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        let streamed = received.clone();
        workers.push(sp.spawn(async move {
            let mut items = q.stream();
            while let Some(x) = items.next().await {
                streamed.lock().unwrap().push(x);
                q.task_done().unwrap();
            }
        }));
        let producer = sp.spawn(async move {
            for i in 0..ITEMS {
                q.send(i).await.expect("open until the producer is done");
            }
        });
        producer.await;
        q.join()
            .deadline(Duration::from_secs(10))
            .await
            .expect("every item done");
        q.shutdown();
        join_all(workers).await; // a hang here: a worker missed the shutdown
        let mut all = std::mem::take(&mut *received.lock().unwrap());
        all.sort_unstable();
        assert_eq!(all, (0..ITEMS).collect::<Vec<_>>());
        assert_eq!(q.send(ITEMS).await.unwrap_err().into_inner(), ITEMS);
    }

    /// A sender blocked on a full queue in another task gets its item back from
    /// `shutdown_immediate`, which hands the caller what was buffered; a getter waiting
    /// with a deadline ends at the shutdown, not at its deadline.
    pub async fn shutdown_immediate_hands_everything_back(sp: Spawner) {
        let q = leak(Queue::with_items(2, [1, 2]));
        let blocked = q.send(3); // full: in line with its item, from this call
        let sender = sp.spawn(async move {
            assert_eq!(blocked.await.unwrap_err().into_inner(), 3);
        });
        let empty = leak(Queue::<u32>::new(0));
        let waiting = empty.recv().deadline(Duration::from_secs(30));
        let getter = sp.spawn(async move {
            assert!(matches!(waiting.await, Ok(Err(toro::Shutdown { .. }))));
        });
        yield_now().await;
        assert_eq!(q.shutdown_immediate(), [1, 2]);
        empty.shutdown();
        sender.await;
        getter.await; // ends at the shutdown: long before its 30 s deadline
        assert!(q.recv().await.is_err());
    }
}

macro_rules! shutdown_on_runtime {
    ($runtime:ident, $run:ident) => {
        mod $runtime {
            use super::*;

            #[test]
            fn workers_end_at_shutdown() {
                $run(shutdown_scenarios::workers_end_at_shutdown)
            }

            #[test]
            fn shutdown_immediate_hands_everything_back() {
                $run(shutdown_scenarios::shutdown_immediate_hands_everything_back)
            }
        }
    };
}

shutdown_on_runtime!(shutdown_tokio_current_thread, run_tokio_current_thread);
shutdown_on_runtime!(shutdown_tokio_multi_thread, run_tokio_multi_thread);
shutdown_on_runtime!(shutdown_async_std, run_async_std);
shutdown_on_runtime!(shutdown_smol, run_smol);
shutdown_on_runtime!(shutdown_toro_block_on, run_toro);
shutdown_on_runtime!(shutdown_futures_block_on, run_futures);

// ----------------------------------------------------------------------------------------
// Plain threads waiting with `.block()` beside tasks on every runtime: the same waits, the
// same line. The threads are the test's own (never a runtime's), so `.block()` may park
// them; the scenario awaits them through `on_thread`, never blocking a runtime thread.

mod blocking_scenarios {
    use super::*;
    use toro::{RwLock, UpgradableReadGuard};

    /// Plain threads put with `.block()` into a small queue while tasks take with `.await`;
    /// the last producer shuts the queue down, and the tasks drain it and end. Each item
    /// comes out exactly once, and each task sees each producer's items in order.
    pub async fn threads_put_tasks_get(sp: Spawner) {
        const THREADS: usize = 3;
        const EACH: usize = 200;
        let q = leak(Queue::new(2));
        let finished = leak(AtomicUsize::new(0));
        let producers: Vec<Task> = (0..THREADS)
            .map(|t| {
                on_thread(move || {
                    for i in 0..EACH {
                        q.put((t, i)).block();
                    }
                    if finished.fetch_add(1, SeqCst) + 1 == THREADS {
                        q.shutdown();
                    }
                })
            })
            .collect();
        let got = Arc::new(Mutex::new(vec![Vec::new(); THREADS]));
        let consumers: Vec<Task> = (0..2)
            .map(|_| {
                let got = got.clone();
                sp.spawn(async move {
                    let mut mine = vec![Vec::new(); THREADS];
                    while let Ok((t, i)) = q.recv().await {
                        mine[t].push(i);
                        if i % 7 == 0 {
                            yield_now().await;
                        }
                    }
                    for (t, items) in mine.into_iter().enumerate() {
                        assert!(items.is_sorted(), "producer {t}'s items out of order");
                        got.lock().unwrap()[t].extend(items);
                    }
                })
            })
            .collect();
        join_all(consumers).await; // a hang here: an item or the shutdown was lost
        join_all(producers).await;
        for (t, items) in got.lock().unwrap().iter_mut().enumerate() {
            items.sort_unstable();
            assert_eq!(
                *items,
                (0..EACH).collect::<Vec<_>>(),
                "producer {t}: each item exactly once"
            );
        }
        assert!(q.is_shutdown() && q.empty());
    }

    /// The upgradable read of an `RwLock` taken and upgraded in turn by a plain thread
    /// (`.block()`) and by a task (`.await`; half the time with an expired deadline, which
    /// hands the guard back while a reader is in), while reader tasks come and go. The
    /// upgradable holder sees no write between its read and its upgrade, readers never see
    /// a write half done nor the count go back, and every increment lands exactly once.
    ///
    /// Each reader reads a fixed number of times rather than until the upgraders are done:
    /// a task that only yields is polled again at once by the `futures` thread pool, so
    /// two such readers would hold its two workers for good.
    pub async fn upgrades_beside_readers(sp: Spawner) {
        const ROUNDS: usize = 40;
        const READERS: usize = 3;
        const READS: usize = 100;
        let rw = leak(RwLock::with_value((0usize, 0usize), 3));
        let readers: Vec<Task> = (0..READERS)
            .map(|_| {
                sp.spawn(async move {
                    let mut last = 0;
                    for _ in 0..READS {
                        {
                            let read = rw.acquire_read().await;
                            assert_eq!(read.0, read.1, "a reader saw a write half done");
                            assert!(read.0 >= last, "a reader saw the count go back");
                            last = read.0;
                            yield_now().await;
                        }
                        yield_now().await;
                    }
                })
            })
            .collect();
        let thread_upgrader = on_thread(move || {
            for _ in 0..ROUNDS {
                let upgradable = rw.acquire_upgradable().block();
                let seen = *upgradable;
                thread::yield_now();
                let mut write = UpgradableReadGuard::upgrade(upgradable).block();
                assert_eq!(
                    *write, seen,
                    "a write came between the read and its upgrade"
                );
                write.0 += 1;
                thread::yield_now();
                write.1 += 1;
            }
        });
        let task_upgrader = sp.spawn(async move {
            for round in 0..ROUNDS {
                let upgradable = rw.acquire_upgradable().await;
                let seen = *upgradable;
                yield_now().await;
                let upgrade = UpgradableReadGuard::upgrade(upgradable);
                let mut write = if round % 2 == 0 {
                    upgrade.await
                } else {
                    match upgrade.deadline(Duration::ZERO).await {
                        Ok(write) => write,
                        Err(timeout) => {
                            // Handed back still holding the read: nobody wrote meanwhile.
                            let upgradable = timeout.into_inner();
                            assert_eq!(*upgradable, seen);
                            UpgradableReadGuard::upgrade(upgradable).await
                        }
                    }
                };
                assert_eq!(
                    *write, seen,
                    "a write came between the read and its upgrade"
                );
                write.0 += 1;
                yield_now().await;
                write.1 += 1;
                let read = write.downgrade();
                assert_eq!(read.0, read.1);
            }
        });
        thread_upgrader.await;
        task_upgrader.await;
        join_all(readers).await;
        assert_eq!(*rw.acquire_read().await, (2 * ROUNDS, 2 * ROUNDS));
        // Every token and the upgradable slot came back.
        assert!(rw.try_acquire_upgradable().is_some());
        assert!(rw.try_acquire_write().is_some());
    }

    /// Plain threads (`.block()`) and tasks (`.await`) meet at one barrier, round after
    /// round: no party leaves a round before every party arrived, and each round has one
    /// leader.
    pub async fn barrier_threads_and_tasks(sp: Spawner) {
        const THREADS: usize = 2;
        const TASKS: usize = 2;
        const PARTIES: usize = THREADS + TASKS;
        const ROUNDS: usize = 30;
        let barrier = leak(Barrier::new(PARTIES));
        let arrived: &'static [AtomicUsize] =
            leak((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
        let leaders: &'static [AtomicUsize] =
            leak((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
        let arrive = move |round: usize| {
            arrived[round].fetch_add(1, SeqCst);
        };
        let after = move |round: usize, leader: bool| {
            assert_eq!(
                arrived[round].load(SeqCst),
                PARTIES,
                "round {round}: released before every party arrived"
            );
            if leader {
                leaders[round].fetch_add(1, SeqCst);
            }
        };
        let mut parties: Vec<Task> = (0..THREADS)
            .map(|_| {
                on_thread(move || {
                    for round in 0..ROUNDS {
                        arrive(round);
                        after(round, barrier.wait().block().is_leader());
                    }
                })
            })
            .collect();
        parties.extend((0..TASKS).map(|_| {
            sp.spawn(async move {
                for round in 0..ROUNDS {
                    arrive(round);
                    after(round, barrier.wait().await.is_leader());
                    if round % 3 == 0 {
                        yield_now().await;
                    }
                }
            })
        }));
        join_all(parties).await;
        let per_round: Vec<usize> = leaders.iter().map(|l| l.load(SeqCst)).collect();
        assert_eq!(per_round, [1; ROUNDS], "leaders per round");
        assert_eq!(barrier.waiters(), 0);
    }
}

macro_rules! blocking_on_runtime {
    ($runtime:ident, $run:ident) => {
        mod $runtime {
            use super::*;

            #[test]
            fn threads_put_tasks_get() {
                $run(blocking_scenarios::threads_put_tasks_get)
            }

            #[test]
            fn upgrades_beside_readers() {
                $run(blocking_scenarios::upgrades_beside_readers)
            }

            #[test]
            fn barrier_threads_and_tasks() {
                $run(blocking_scenarios::barrier_threads_and_tasks)
            }
        }
    };
}

blocking_on_runtime!(blocking_tokio_current_thread, run_tokio_current_thread);
blocking_on_runtime!(blocking_tokio_multi_thread, run_tokio_multi_thread);
blocking_on_runtime!(blocking_async_std, run_async_std);
blocking_on_runtime!(blocking_smol, run_smol);
blocking_on_runtime!(blocking_toro_block_on, run_toro);
blocking_on_runtime!(blocking_futures_block_on, run_futures);
