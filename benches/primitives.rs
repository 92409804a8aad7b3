//! toro's locks, semaphores, events and results against tokio::sync, async-lock and
//! event-listener, with plain atomics, parking_lot and std as floors.
//!
//! One criterion group per row, one function per implementation: `toro` is toro's main
//! entry, `toro_*` other toro ways to do the same thing, `floor_*` a non-async lower bound,
//! anything else a peer. Groups measuring several operations per iteration set
//! `Throughput::Elements(n)`; `scripts/bench-table` divides by it to print ns per operation.
//!
//! - `*_uncontended`: one operation on a free primitive, polled once with a no-op waker
//!   (`common::poll_once`, inlined into the loop), so no runtime is involved.
//! - `*_contended/{ct,mt2}`: tasks holding the guard across a `yield_now` (the hand-off
//!   path), on a current-thread and on a 2-worker tokio runtime; time per acquire.
//! - `wakeup_pingpong/{ct,mt2}`: two tasks waking each other; time per wake-up.
//! - `data_lock_*`: a `Lock<u64>` against `tokio::sync::Mutex<u64>` and
//!   `async_lock::Mutex<u64>`, incremented through the guard: once polled with no runtime
//!   (`data_lock_uncontended`), awaited in one spawned task (`data_lock_in_task/{ct,mt2}`),
//!   and by 4 tasks holding the guard across a `yield_now` (`data_lock_contended/{ct,mt2}`);
//!   `toro_owned` rows use `acquire_owned` on an `Arc`.
//! - `lock_in_task/{ct,mt2}`: a bare `Lock` against `tokio::sync::Mutex<()>` and
//!   `async_lock::Mutex<()>`, acquired and released in a loop awaited inside one spawned
//!   task; time per acquire.
//! - `lock_deadline_contended/{ct,mt2}`: `lock_contended` with a 1 s deadline (never
//!   reached) on every acquire, against `tokio::time::timeout` around the peers' `lock()`;
//!   `toro` with `.deadline(d)` (tokio's timer, found by itself), `toro_deadline_on` with an
//!   explicit tokio clock.
//! - `event_fanout/{ct,mt2}`: 100 tasks waiting on one event, released by one set from
//!   another task once all stand in line, against `Notify::notify_waiters` and an
//!   event-listener flag; time per woken waiter.
//! - `barrier_uncontended`: a wait on a barrier of 1 (ready at once, its round's leader),
//!   polled once, against tokio's and async-lock's barriers, with `std::sync::Barrier` as
//!   the floor: a short cut in toro, which never lines a wait up for a barrier of 1.
//!   `barrier_pair_uncontended`: a barrier of 2 met in one thread, polled with no runtime:
//!   the first wait pending (in line), the second tripping it, the first polled again;
//!   per wait. `barrier_rounds/{ct,mt2}`: 4 tasks meeting at one barrier of 4 for 64
//!   rounds; time per task's wait.
//! - `rwlock_upgrade_uncontended`: an upgradable read, upgraded to a write, released, each
//!   step polled once, against async-lock's (tokio's RwLock has no upgradable reads) with
//!   parking_lot's as the floor. `rwlock_upgradable_contended/{ct,mt2}`: `rwlock_contended`
//!   with every write taken as an upgradable read (held across a yield) then upgraded (the
//!   write held across a yield); time per acquire, a read or an upgraded write.
//!
//! Run: `cargo bench --features tokio --bench primitives`, then `scripts/bench-table`.

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Bencher, Criterion, Throughput, criterion_group, criterion_main};
use tokio::task::yield_now;
use tokio::time::timeout;
use toro::UpgradableReadGuard;

#[macro_use]
mod common;
use common::{
    bench_tasks, condition_pingpong, config, event_pingpong, notify_pingpong, poll_once, runtimes,
    tokio_loop, until_registered,
};

/// The floor of every uncontended row: a bare compare-and-swap to take, a store to give
/// back.
fn floor_atomic(b: &mut Bencher<'_>) {
    let flag = AtomicBool::new(false);
    b.iter(|| {
        let flag = black_box(&flag);
        assert!(
            flag.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        );
        flag.store(false, Ordering::Release);
    });
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("lock_uncontended");
    {
        let lock = toro::Lock::new();
        g.bench_function("toro", |b| {
            b.iter(|| drop(black_box(poll_once(lock.acquire()).unwrap())))
        });
        let m = tokio::sync::Mutex::new(());
        g.bench_function("tokio", |b| {
            b.iter(|| drop(black_box(poll_once(m.lock()).unwrap())))
        });
        let m = async_lock::Mutex::new(());
        g.bench_function("async_lock", |b| {
            b.iter(|| drop(black_box(poll_once(m.lock()).unwrap())))
        });
        let m = parking_lot::Mutex::new(());
        g.bench_function("floor_parking_lot", |b| {
            b.iter(|| drop(black_box(m.lock())))
        });
        let m = std::sync::Mutex::new(());
        g.bench_function("floor_std", |b| {
            b.iter(|| drop(black_box(m.lock().unwrap())))
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();

    let mut g = c.benchmark_group("rwlock_read_uncontended");
    {
        let lock = toro::RwLock::new(64);
        g.bench_function("toro", |b| {
            b.iter(|| drop(black_box(poll_once(lock.acquire_read()).unwrap())))
        });
        let l = tokio::sync::RwLock::new(());
        g.bench_function("tokio", |b| {
            b.iter(|| drop(black_box(poll_once(l.read()).unwrap())))
        });
        let l = async_lock::RwLock::new(());
        g.bench_function("async_lock", |b| {
            b.iter(|| drop(black_box(poll_once(l.read()).unwrap())))
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();

    let mut g = c.benchmark_group("rwlock_write_uncontended");
    {
        let lock = toro::RwLock::new(64);
        g.bench_function("toro", |b| {
            b.iter(|| drop(black_box(poll_once(lock.acquire_write()).unwrap())))
        });
        let l = tokio::sync::RwLock::new(());
        g.bench_function("tokio", |b| {
            b.iter(|| drop(black_box(poll_once(l.write()).unwrap())))
        });
        let l = async_lock::RwLock::new(());
        g.bench_function("async_lock", |b| {
            b.iter(|| drop(black_box(poll_once(l.write()).unwrap())))
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();

    let mut g = c.benchmark_group("semaphore_uncontended");
    {
        let sem = toro::Semaphore::new(4);
        g.bench_function("toro", |b| {
            b.iter(|| drop(black_box(poll_once(sem.acquire()).unwrap())))
        });
        let s = tokio::sync::Semaphore::new(4);
        g.bench_function("tokio", |b| {
            b.iter(|| drop(black_box(poll_once(s.acquire()).unwrap().unwrap())))
        });
        let s = async_lock::Semaphore::new(4);
        g.bench_function("async_lock", |b| {
            b.iter(|| drop(black_box(poll_once(s.acquire()).unwrap())))
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();

    // set, then a wait that finds it set, then back to unset for the next iteration.
    let mut g = c.benchmark_group("event_set_wait_uncontended");
    {
        let event = toro::Event::new();
        g.bench_function("toro", |b| {
            b.iter(|| {
                event.set();
                poll_once(event.wait()).unwrap();
                event.clear();
            })
        });
        // notify_one stores a permit that the next notified() takes.
        let notify = tokio::sync::Notify::new();
        g.bench_function("tokio_notify", |b| {
            b.iter(|| {
                notify.notify_one();
                poll_once(notify.notified()).unwrap();
            })
        });
        // An event built the usual way on event-listener: a flag plus an Event to wake.
        let flag = AtomicBool::new(false);
        let ev = event_listener::Event::new();
        g.bench_function("event_listener", |b| {
            b.iter(|| {
                flag.store(true, Ordering::Release);
                ev.notify(usize::MAX);
                if !flag.load(Ordering::Acquire) {
                    let listener = ev.listen();
                    if !flag.load(Ordering::Acquire) {
                        poll_once(listener).unwrap();
                    }
                }
                flag.store(false, Ordering::Release);
            })
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();

    let mut g = c.benchmark_group("async_result_get_uncontended");
    {
        let result = toro::AsyncResult::new();
        result.set(7_u64).unwrap();
        g.bench_function("toro", |b| {
            b.iter(|| black_box(*poll_once(result.get()).unwrap()))
        });
        g.bench_function("toro_get_nowait", |b| {
            b.iter(|| black_box(*result.get_nowait().unwrap()))
        });
        let cell = tokio::sync::OnceCell::new_with(Some(7_u64));
        g.bench_function("tokio_once_cell", |b| {
            b.iter(|| {
                let init = || async { unreachable!("the cell is set") };
                black_box(*poll_once(cell.get_or_init(init)).unwrap())
            })
        });
        let cell = async_lock::OnceCell::new();
        cell.set_blocking(7_u64).unwrap();
        g.bench_function("async_lock_once_cell", |b| {
            b.iter(|| black_box(*poll_once(cell.wait()).unwrap()))
        });
        g.bench_function("floor_atomic", floor_atomic);
    }
    g.finish();
}

/// Acquires per task in the contended rows.
const LOCK_TASKS: usize = 4;
const LOCK_OPS: usize = 64;
const SEM_TASKS: usize = 8;
const SEM_PERMITS: usize = 2;
const SEM_OPS: usize = 32;
const RW_TASKS: usize = 4;
const RW_OPS: usize = 64;

/// Whether op `j` of task `i` in the RwLock row is a write: 1 in 4, spread over tasks.
fn is_write(i: usize, j: usize) -> bool {
    (i + j) % 4 == 0
}

fn contended(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("lock_contended/{rt_name}"));
        g.throughput(Throughput::Elements((LOCK_TASKS * LOCK_OPS) as u64));
        {
            let lock = Arc::new(toro::Lock::new());
            g.bench_function("toro", |b| {
                bench_tasks(b, &rt, || {
                    (0..LOCK_TASKS)
                        .map(|_| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for _ in 0..LOCK_OPS {
                                    let guard = lock.acquire().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
            let lock = Arc::new(tokio::sync::Mutex::new(()));
            g.bench_function("tokio", |b| {
                bench_tasks(b, &rt, || {
                    (0..LOCK_TASKS)
                        .map(|_| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for _ in 0..LOCK_OPS {
                                    let guard = lock.lock().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
            let lock = Arc::new(async_lock::Mutex::new(()));
            g.bench_function("async_lock", |b| {
                bench_tasks(b, &rt, || {
                    (0..LOCK_TASKS)
                        .map(|_| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for _ in 0..LOCK_OPS {
                                    let guard = lock.lock().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("semaphore_contended/{rt_name}"));
        g.throughput(Throughput::Elements((SEM_TASKS * SEM_OPS) as u64));
        {
            let sem = Arc::new(toro::Semaphore::new(SEM_PERMITS));
            g.bench_function("toro", |b| {
                bench_tasks(b, &rt, || {
                    (0..SEM_TASKS)
                        .map(|_| {
                            let sem = sem.clone();
                            tokio::spawn(async move {
                                for _ in 0..SEM_OPS {
                                    let guard = sem.acquire().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
            let sem = Arc::new(tokio::sync::Semaphore::new(SEM_PERMITS));
            g.bench_function("tokio", |b| {
                bench_tasks(b, &rt, || {
                    (0..SEM_TASKS)
                        .map(|_| {
                            let sem = sem.clone();
                            tokio::spawn(async move {
                                for _ in 0..SEM_OPS {
                                    let guard = sem.acquire().await.unwrap();
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
            let sem = Arc::new(async_lock::Semaphore::new(SEM_PERMITS));
            g.bench_function("async_lock", |b| {
                bench_tasks(b, &rt, || {
                    (0..SEM_TASKS)
                        .map(|_| {
                            let sem = sem.clone();
                            tokio::spawn(async move {
                                for _ in 0..SEM_OPS {
                                    let guard = sem.acquire().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect()
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("rwlock_contended/{rt_name}"));
        g.throughput(Throughput::Elements((RW_TASKS * RW_OPS) as u64));
        {
            let lock = Arc::new(toro::RwLock::new(64));
            g.bench_function("toro", |b| {
                bench_tasks(b, &rt, || {
                    (0..RW_TASKS)
                        .map(|i| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for j in 0..RW_OPS {
                                    if is_write(i, j) {
                                        let guard = lock.acquire_write().await;
                                        yield_now().await;
                                        drop(guard);
                                    } else {
                                        let guard = lock.acquire_read().await;
                                        yield_now().await;
                                        drop(guard);
                                    }
                                }
                            })
                        })
                        .collect()
                })
            });
            let lock = Arc::new(tokio::sync::RwLock::new(()));
            g.bench_function("tokio", |b| {
                bench_tasks(b, &rt, || {
                    (0..RW_TASKS)
                        .map(|i| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for j in 0..RW_OPS {
                                    if is_write(i, j) {
                                        let guard = lock.write().await;
                                        yield_now().await;
                                        drop(guard);
                                    } else {
                                        let guard = lock.read().await;
                                        yield_now().await;
                                        drop(guard);
                                    }
                                }
                            })
                        })
                        .collect()
                })
            });
            let lock = Arc::new(async_lock::RwLock::new(()));
            g.bench_function("async_lock", |b| {
                bench_tasks(b, &rt, || {
                    (0..RW_TASKS)
                        .map(|i| {
                            let lock = lock.clone();
                            tokio::spawn(async move {
                                for j in 0..RW_OPS {
                                    if is_write(i, j) {
                                        let guard = lock.write().await;
                                        yield_now().await;
                                        drop(guard);
                                    } else {
                                        let guard = lock.read().await;
                                        yield_now().await;
                                        drop(guard);
                                    }
                                }
                            })
                        })
                        .collect()
                })
            });
        }
        g.finish();
    }
}

/// Round trips per iteration of the ping-pong rows (two wake-ups each).
const ROUND_TRIPS: usize = 128;

/// Waits on an event-listener "event": a flag plus an `Event` to wake on.
async fn wait_flag(flag: &AtomicBool, event: &event_listener::Event) {
    loop {
        if flag.swap(false, Ordering::AcqRel) {
            return;
        }
        let listener = event.listen();
        if flag.swap(false, Ordering::AcqRel) {
            return;
        }
        listener.await;
    }
}

fn raise_flag(flag: &AtomicBool, event: &event_listener::Event) {
    flag.store(true, Ordering::Release);
    event.notify(1);
}

fn wakeup(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("wakeup_pingpong/{rt_name}"));
        g.throughput(Throughput::Elements((2 * ROUND_TRIPS) as u64));

        let events = Arc::new((toro::Event::new(), toro::Event::new()));
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || event_pingpong(events.clone(), ROUND_TRIPS))
        });
        let conds = Arc::new((toro::Condition::new(), toro::Condition::new()));
        g.bench_function("toro_condition", |b| {
            bench_tasks(b, &rt, || condition_pingpong(conds.clone(), ROUND_TRIPS))
        });
        let notifies = Arc::new((tokio::sync::Notify::new(), tokio::sync::Notify::new()));
        g.bench_function("tokio_notify", |b| {
            bench_tasks(b, &rt, || notify_pingpong(notifies.clone(), ROUND_TRIPS))
        });

        type Flagged = (AtomicBool, event_listener::Event);
        let flagged: Arc<(Flagged, Flagged)> = Arc::new((
            (AtomicBool::new(false), event_listener::Event::new()),
            (AtomicBool::new(false), event_listener::Event::new()),
        ));
        g.bench_function("event_listener", |b| {
            bench_tasks(b, &rt, || {
                let (f1, f2) = (flagged.clone(), flagged.clone());
                vec![
                    tokio::spawn(async move {
                        let ((ping, ping_ev), (pong, pong_ev)) = &*f1;
                        for _ in 0..ROUND_TRIPS {
                            raise_flag(ping, ping_ev);
                            wait_flag(pong, pong_ev).await;
                        }
                    }),
                    tokio::spawn(async move {
                        let ((ping, ping_ev), (pong, pong_ev)) = &*f2;
                        for _ in 0..ROUND_TRIPS {
                            wait_flag(ping, ping_ev).await;
                            raise_flag(pong, pong_ev);
                        }
                    }),
                ]
            })
        });
        g.finish();
    }
}

/// Acquires done by the one task of a `*lock_in_task` iteration.
const IN_TASK_OPS: usize = 256;

fn data_locks(c: &mut Criterion) {
    let mut g = c.benchmark_group("data_lock_uncontended");
    {
        let lock = toro::Lock::with_value(0u64);
        g.bench_function("toro", |b| {
            b.iter(|| *black_box(poll_once(lock.acquire()).unwrap()) += 1)
        });
        let m = tokio::sync::Mutex::new(0u64);
        g.bench_function("tokio", |b| {
            b.iter(|| *black_box(poll_once(m.lock()).unwrap()) += 1)
        });
        let m = async_lock::Mutex::new(0u64);
        g.bench_function("async_lock", |b| {
            b.iter(|| *black_box(poll_once(m.lock()).unwrap()) += 1)
        });
        let m = parking_lot::Mutex::new(0u64);
        g.bench_function("floor_parking_lot", |b| {
            b.iter(|| *black_box(m.lock()) += 1)
        });
    }
    g.finish();

    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("data_lock_in_task/{rt_name}"));
        g.throughput(Throughput::Elements(IN_TASK_OPS as u64));
        guard_rows! {
            g, &rt, 1, IN_TASK_OPS, yield = false, touch = |guard| { *guard += 1 };
            "toro": toro::Lock::with_value(0u64), |lock| lock.acquire().await;
            "toro_owned": toro::Lock::with_value(0u64), |lock| lock.acquire_owned().await;
            "tokio": tokio::sync::Mutex::new(0u64), |lock| lock.lock().await;
            "async_lock": async_lock::Mutex::new(0u64), |lock| lock.lock().await;
        }
        g.finish();

        let mut g = c.benchmark_group(format!("data_lock_contended/{rt_name}"));
        g.throughput(Throughput::Elements((LOCK_TASKS * LOCK_OPS) as u64));
        guard_rows! {
            g, &rt, LOCK_TASKS, LOCK_OPS, yield = true, touch = |guard| { *guard += 1 };
            "toro": toro::Lock::with_value(0u64), |lock| lock.acquire().await;
            "toro_owned": toro::Lock::with_value(0u64), |lock| lock.acquire_owned().await;
            "tokio": tokio::sync::Mutex::new(0u64), |lock| lock.lock().await;
            "async_lock": async_lock::Mutex::new(0u64), |lock| lock.lock().await;
        }
        g.finish();
    }
}

/// The deadline of the `lock_deadline_contended` rows: never reached.
const LOCK_DEADLINE: Duration = Duration::from_secs(1);

fn task_locks(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("lock_in_task/{rt_name}"));
        g.throughput(Throughput::Elements(IN_TASK_OPS as u64));
        guard_rows! {
            g, &rt, 1, IN_TASK_OPS, yield = false, touch = |_guard| {};
            "toro": toro::Lock::new(), |lock| lock.acquire().await;
            "tokio": tokio::sync::Mutex::new(()), |lock| lock.lock().await;
            "async_lock": async_lock::Mutex::new(()), |lock| lock.lock().await;
        }
        g.finish();

        // `toro` is what a tokio user writes, `.deadline(d)`: with the `tokio` feature (the
        // benches require it) it finds tokio's timer itself, like the peers'
        // `tokio::time::timeout`; `toro_deadline_on` names a tokio clock explicitly.
        let mut g = c.benchmark_group(format!("lock_deadline_contended/{rt_name}"));
        g.throughput(Throughput::Elements((LOCK_TASKS * LOCK_OPS) as u64));
        guard_rows! {
            g, &rt, LOCK_TASKS, LOCK_OPS, yield = true, touch = |_guard| {};
            "toro": toro::Lock::new(),
                |lock| lock.acquire().deadline(LOCK_DEADLINE).await.unwrap();
            "toro_deadline_on": toro::Lock::new(),
                |lock| lock.acquire().deadline_on(&tokio_loop(), LOCK_DEADLINE).await.unwrap();
            "tokio": tokio::sync::Mutex::new(()),
                |lock| timeout(LOCK_DEADLINE, lock.lock()).await.unwrap();
            "async_lock": async_lock::Mutex::new(()),
                |lock| timeout(LOCK_DEADLINE, lock.lock()).await.unwrap();
        }
        g.finish();
    }
}

/// Waiters woken by one set in the `event_fanout` rows.
const FANOUT: usize = 100;

fn fanout(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        // FANOUT tasks wait; each counts itself in `registered` once its wait stands in
        // line, and one more task releases them all when the count is full, so the row
        // times the fan-out of one wake-up, not waits that found the event set.
        let mut g = c.benchmark_group(format!("event_fanout/{rt_name}"));
        g.throughput(Throughput::Elements(FANOUT as u64));
        let registered = Arc::new(AtomicUsize::new(0));

        let event = Arc::new(toro::Event::new());
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || {
                event.clear();
                registered.store(0, Ordering::Release);
                let mut tasks: Vec<_> = (0..FANOUT)
                    .map(|_| {
                        let (event, registered) = (event.clone(), registered.clone());
                        tokio::spawn(async move {
                            // Eager: the wait stands in line from the call.
                            let wait = event.wait();
                            registered.fetch_add(1, Ordering::AcqRel);
                            wait.await;
                        })
                    })
                    .collect();
                let (event, registered) = (event.clone(), registered.clone());
                tasks.push(tokio::spawn(async move {
                    until_registered(&registered, FANOUT).await;
                    event.set();
                }));
                tasks
            })
        });

        let notify = Arc::new(tokio::sync::Notify::new());
        g.bench_function("tokio_notify", |b| {
            bench_tasks(b, &rt, || {
                registered.store(0, Ordering::Release);
                let mut tasks: Vec<_> = (0..FANOUT)
                    .map(|_| {
                        let (notify, registered) = (notify.clone(), registered.clone());
                        tokio::spawn(async move {
                            // `notify_waiters` wakes only the enabled `Notified`s.
                            let mut notified = pin!(notify.notified());
                            notified.as_mut().enable();
                            registered.fetch_add(1, Ordering::AcqRel);
                            notified.await;
                        })
                    })
                    .collect();
                let (notify, registered) = (notify.clone(), registered.clone());
                tasks.push(tokio::spawn(async move {
                    until_registered(&registered, FANOUT).await;
                    notify.notify_waiters();
                }));
                tasks
            })
        });

        // The flag-and-listener event of `wait_flag`, whose waiters leave the flag set.
        let flagged = Arc::new((AtomicBool::new(false), event_listener::Event::new()));
        g.bench_function("event_listener", |b| {
            bench_tasks(b, &rt, || {
                flagged.0.store(false, Ordering::Release);
                registered.store(0, Ordering::Release);
                let mut tasks: Vec<_> = (0..FANOUT)
                    .map(|_| {
                        let (flagged, registered) = (flagged.clone(), registered.clone());
                        tokio::spawn(async move {
                            let (flag, event) = &*flagged;
                            // `listen` stands in line at the call.
                            let mut listener = Some(event.listen());
                            registered.fetch_add(1, Ordering::AcqRel);
                            while !flag.load(Ordering::Acquire) {
                                match listener.take() {
                                    Some(listener) => listener.await,
                                    None => listener = Some(event.listen()),
                                }
                            }
                        })
                    })
                    .collect();
                let (flagged, registered) = (flagged.clone(), registered.clone());
                tasks.push(tokio::spawn(async move {
                    until_registered(&registered, FANOUT).await;
                    let (flag, event) = &*flagged;
                    flag.store(true, Ordering::Release);
                    event.notify(usize::MAX);
                }));
                tasks
            })
        });
        g.finish();
    }
}

/// Tasks meeting at the barrier of the `barrier_rounds` rows, and the rounds they meet.
const BARRIER_TASKS: usize = 4;
const BARRIER_ROUNDS: usize = 64;

fn barriers(c: &mut Criterion) {
    // A barrier of 1: every wait trips it at once, and leads its round.
    let mut g = c.benchmark_group("barrier_uncontended");
    {
        let barrier = toro::Barrier::new(1);
        g.bench_function("toro", |b| {
            b.iter(|| black_box(poll_once(barrier.wait()).unwrap().is_leader()))
        });
        let barrier = tokio::sync::Barrier::new(1);
        g.bench_function("tokio", |b| {
            b.iter(|| black_box(poll_once(barrier.wait()).unwrap().is_leader()))
        });
        let barrier = async_lock::Barrier::new(1);
        g.bench_function("async_lock", |b| {
            b.iter(|| black_box(poll_once(barrier.wait()).unwrap().is_leader()))
        });
        let barrier = std::sync::Barrier::new(1);
        g.bench_function("floor_std", |b| {
            b.iter(|| black_box(barrier.wait().is_leader()))
        });
    }
    g.finish();

    // toro's barrier of 1 never stands in line; a pair does, in one thread: the first
    // wait is polled once (pending, in line), the second trips the barrier, the first is
    // polled again (released). Per wait.
    let mut g = c.benchmark_group("barrier_pair_uncontended");
    g.throughput(Throughput::Elements(2));
    {
        let barrier = toro::Barrier::new(2);
        g.bench_function("toro", |b| {
            b.iter(|| {
                let mut first = pin!(barrier.wait());
                assert!(poll_once(first.as_mut()).is_none());
                let second = poll_once(barrier.wait()).unwrap();
                black_box(second.is_leader() && !poll_once(first).unwrap().is_leader())
            })
        });
        let barrier = tokio::sync::Barrier::new(2);
        g.bench_function("tokio", |b| {
            b.iter(|| {
                let mut first = pin!(barrier.wait());
                assert!(poll_once(first.as_mut()).is_none());
                let second = poll_once(barrier.wait()).unwrap();
                black_box(second.is_leader() && !poll_once(first).unwrap().is_leader())
            })
        });
        let barrier = async_lock::Barrier::new(2);
        g.bench_function("async_lock", |b| {
            b.iter(|| {
                let mut first = pin!(barrier.wait());
                assert!(poll_once(first.as_mut()).is_none());
                let second = poll_once(barrier.wait()).unwrap();
                black_box(second.is_leader() && !poll_once(first).unwrap().is_leader())
            })
        });
    }
    g.finish();

    // Every round trips with the last of its BARRIER_TASKS waits, so the barrier is empty
    // again when an iteration's tasks have all finished.
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("barrier_rounds/{rt_name}"));
        g.throughput(Throughput::Elements(
            (BARRIER_TASKS * BARRIER_ROUNDS) as u64,
        ));

        let barrier = Arc::new(toro::Barrier::new(BARRIER_TASKS));
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || {
                (0..BARRIER_TASKS)
                    .map(|_| {
                        let barrier = barrier.clone();
                        tokio::spawn(async move {
                            for _ in 0..BARRIER_ROUNDS {
                                black_box(barrier.wait().await.is_leader());
                            }
                        })
                    })
                    .collect()
            })
        });
        let barrier = Arc::new(tokio::sync::Barrier::new(BARRIER_TASKS));
        g.bench_function("tokio", |b| {
            bench_tasks(b, &rt, || {
                (0..BARRIER_TASKS)
                    .map(|_| {
                        let barrier = barrier.clone();
                        tokio::spawn(async move {
                            for _ in 0..BARRIER_ROUNDS {
                                black_box(barrier.wait().await.is_leader());
                            }
                        })
                    })
                    .collect()
            })
        });
        let barrier = Arc::new(async_lock::Barrier::new(BARRIER_TASKS));
        g.bench_function("async_lock", |b| {
            bench_tasks(b, &rt, || {
                (0..BARRIER_TASKS)
                    .map(|_| {
                        let barrier = barrier.clone();
                        tokio::spawn(async move {
                            for _ in 0..BARRIER_ROUNDS {
                                black_box(barrier.wait().await.is_leader());
                            }
                        })
                    })
                    .collect()
            })
        });
        g.finish();
    }
}

fn upgradable(c: &mut Criterion) {
    // tokio's RwLock has no upgradable reads: async-lock's is the one peer.
    let mut g = c.benchmark_group("rwlock_upgrade_uncontended");
    {
        let lock = toro::RwLock::new(64);
        g.bench_function("toro", |b| {
            b.iter(|| {
                let read = poll_once(lock.acquire_upgradable()).unwrap();
                drop(black_box(
                    poll_once(UpgradableReadGuard::upgrade(read)).unwrap(),
                ))
            })
        });
        let l = async_lock::RwLock::new(());
        g.bench_function("async_lock", |b| {
            b.iter(|| {
                let read = poll_once(l.upgradable_read()).unwrap();
                drop(black_box(
                    poll_once(async_lock::RwLockUpgradableReadGuard::upgrade(read)).unwrap(),
                ))
            })
        });
        let l = parking_lot::RwLock::new(());
        g.bench_function("floor_parking_lot", |b| {
            b.iter(|| {
                let read = l.upgradable_read();
                drop(black_box(parking_lot::RwLockUpgradableReadGuard::upgrade(
                    read,
                )))
            })
        });
    }
    g.finish();

    // The mix of `rwlock_contended`, each write an upgradable read first: it reads (held
    // across a yield, plain readers may come in), upgrades (waiting for them to leave) and
    // writes (held across a yield). 64 readers for toro: no more than 4 tasks ever read at
    // once, so its limit never binds, as async-lock's readers are unlimited.
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("rwlock_upgradable_contended/{rt_name}"));
        g.throughput(Throughput::Elements((RW_TASKS * RW_OPS) as u64));

        let lock = Arc::new(toro::RwLock::new(64));
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || {
                (0..RW_TASKS)
                    .map(|i| {
                        let lock = lock.clone();
                        tokio::spawn(async move {
                            for j in 0..RW_OPS {
                                if is_write(i, j) {
                                    let read = lock.acquire_upgradable().await;
                                    yield_now().await;
                                    let write = UpgradableReadGuard::upgrade(read).await;
                                    yield_now().await;
                                    drop(write);
                                } else {
                                    let guard = lock.acquire_read().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            }
                        })
                    })
                    .collect()
            })
        });
        let lock = Arc::new(async_lock::RwLock::new(()));
        g.bench_function("async_lock", |b| {
            bench_tasks(b, &rt, || {
                (0..RW_TASKS)
                    .map(|i| {
                        let lock = lock.clone();
                        tokio::spawn(async move {
                            for j in 0..RW_OPS {
                                if is_write(i, j) {
                                    let read = lock.upgradable_read().await;
                                    yield_now().await;
                                    let write =
                                        async_lock::RwLockUpgradableReadGuard::upgrade(read).await;
                                    yield_now().await;
                                    drop(write);
                                } else {
                                    let guard = lock.read().await;
                                    yield_now().await;
                                    drop(guard);
                                }
                            }
                        })
                    })
                    .collect()
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = uncontended, contended, wakeup, data_locks, task_locks, fanout, barriers, upgradable
}
criterion_main!(benches);
