//! How the cost of toro's waits grows with contention, against tokio::sync, async-lock,
//! async-channel and flume.
//!
//! One criterion group per row, runtime and size: `<row>/<runtime>/<N>`; one function per
//! implementation, named as in the other targets (`toro` is toro's main entry, `toro_*`
//! other toro ways, anything else a peer). Every row runs on a current-thread (`ct`) and
//! on a 2-worker (`mt2`) tokio runtime and sets `Throughput::Elements(n)`;
//! `scripts/bench-table` prints ns per operation in a table with N across.
//!
//! - `scaling_lock/{ct,mt2}/N`: N tasks sharing one lock, the guard held across a
//!   `yield_now` (the shape of `lock_contended`); per acquire.
//! - `scaling_semaphore/{ct,mt2}/N`: N tasks on 2 permits, held across a `yield_now`
//!   (N = 2 never waits); per acquire.
//! - `scaling_queue/{ct,mt2}/N`: N/2 producers and N/2 consumers through one capacity-64
//!   channel, so that N counts the tasks as in the other rows (N = 2 is SPSC); per item.
//!   flume sits out N > 2 on `mt2`, where it hung with several consumers (see
//!   `common::channel_functions`).
//!
//!   These three run for N in 2, 4, 8, 16, 64, with 1024 operations per iteration
//!   whatever N, so that the columns compare and spawning the tasks costs at most 1/16
//!   of a spawn per operation.
//! - `deadline_waiters/{ct,mt2}/N`: N tasks each wait on one event with a 60 s deadline
//!   (never reached), polled once so that the wait stands in line with its timer armed,
//!   then one set from another task releases them all; per waiter, for N in 1 000,
//!   10 000 and 100 000. toro waits on an `Event` rather than a `Queue`: one set releases
//!   every waiter, so the row times what a waiter costs (its place in line, its timer, its
//!   wake-up, the timer's removal) rather than a producer's puts, and tokio has the same
//!   shape, `Notify::notify_waiters` under `tokio::time::timeout` (tokio's mpsc receiver
//!   cannot be shared by N tasks). `toro` uses `.deadline(d)`, which finds tokio's
//!   timer itself (the benches require the `tokio` feature); `toro_deadline_on` names a
//!   tokio clock explicitly.
//!
//! Run: `cargo bench --features tokio --bench scaling` (about 2.5 minutes on 2 cores), then
//! `scripts/bench-table`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Bencher, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::time::timeout;

#[macro_use]
mod common;
use common::{bench_tasks, channel_functions, config, runtimes, tokio_loop, waiter_tasks};

/// The task counts of the contention rows.
const TASKS: [usize; 5] = [2, 4, 8, 16, 64];
/// Operations per iteration of the contention rows, split evenly over the tasks.
const OPS: usize = 1024;
const SEM_PERMITS: usize = 2;
/// The capacity of the queue rows.
const CAPACITY: usize = 64;

fn contention(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        for n in TASKS {
            let mut g = c.benchmark_group(format!("scaling_lock/{rt_name}/{n}"));
            g.throughput(Throughput::Elements(OPS as u64));
            guard_rows! {
                g, &rt, n, OPS / n, yield = true, touch = |_guard| {};
                "toro": toro::Lock::new(), |lock| lock.acquire().await;
                "tokio": tokio::sync::Mutex::new(()), |lock| lock.lock().await;
                "async_lock": async_lock::Mutex::new(()), |lock| lock.lock().await;
            }
            g.finish();
        }
        for n in TASKS {
            let mut g = c.benchmark_group(format!("scaling_semaphore/{rt_name}/{n}"));
            g.throughput(Throughput::Elements(OPS as u64));
            guard_rows! {
                g, &rt, n, OPS / n, yield = true, touch = |_guard| {};
                "toro": toro::Semaphore::new(SEM_PERMITS), |sem| sem.acquire().await;
                "tokio": tokio::sync::Semaphore::new(SEM_PERMITS),
                    |sem| sem.acquire().await.unwrap();
                "async_lock": async_lock::Semaphore::new(SEM_PERMITS),
                    |sem| sem.acquire().await;
            }
            g.finish();
        }
        for n in TASKS {
            let mut g = c.benchmark_group(format!("scaling_queue/{rt_name}/{n}"));
            g.throughput(Throughput::Elements(OPS as u64));
            channel_functions(&mut g, (rt_name, &rt), (n / 2, n / 2), OPS, CAPACITY);
            g.finish();
        }
    }
}

/// The waiter counts of the `deadline_waiters` rows.
const WAITERS: [usize; 3] = [1_000, 10_000, 100_000];
/// A deadline that is never reached.
const FAR: Duration = Duration::from_secs(60);

/// Times rounds of `n` tasks each making the wait `wait()` (on something that
/// `release()` releases), polling it once (pending: it stands in line, its timer armed)
/// and counting itself in `registered`, then awaiting it; and one task that runs
/// `release()` once all `n` are counted. `reset()` runs before each round.
fn bench_waiters<W, R>(
    b: &mut Bencher<'_>,
    rt: &Runtime,
    n: usize,
    reset: impl Fn(),
    wait: impl Fn() -> W,
    release: impl Fn() -> R,
) where
    W: Future<Output = ()> + Send + 'static,
    R: FnOnce() + Send + 'static,
{
    let registered = Arc::new(AtomicUsize::new(0));
    bench_tasks(b, rt, || {
        reset();
        registered.store(0, Ordering::Release);
        waiter_tasks(n, &registered, &wait, release())
    })
}

fn deadline_waiters(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        for n in WAITERS {
            let mut g = c.benchmark_group(format!("deadline_waiters/{rt_name}/{n}"));
            g.throughput(Throughput::Elements(n as u64));
            // An iteration takes milliseconds: as many per sample, not 1, 2, 3, ...
            g.sampling_mode(SamplingMode::Flat);
            if n >= 100_000 {
                // 10 samples of 1 or 2 iterations of ~0.2 s each.
                g.sample_size(10).measurement_time(Duration::from_secs(3));
            } else {
                // 20 samples of one iteration: up to 35 ms at N = 10 000.
                g.measurement_time(Duration::from_secs(1));
            }

            let event = Arc::new(toro::Event::new());
            g.bench_function("toro_deadline_on", |b| {
                bench_waiters(
                    b,
                    &rt,
                    n,
                    || event.clear(),
                    || {
                        let event = event.clone();
                        async move { event.wait().deadline_on(&tokio_loop(), FAR).await.unwrap() }
                    },
                    || {
                        let event = event.clone();
                        move || event.set()
                    },
                )
            });
            g.bench_function("toro", |b| {
                bench_waiters(
                    b,
                    &rt,
                    n,
                    || event.clear(),
                    || {
                        let event = event.clone();
                        async move { event.wait().deadline(FAR).await.unwrap() }
                    },
                    || {
                        let event = event.clone();
                        move || event.set()
                    },
                )
            });

            // `notify_waiters` wakes the `Notified`s that were polled (or enabled) before
            // it: every waiter was, by the time it is counted.
            let notify = Arc::new(tokio::sync::Notify::new());
            g.bench_function("tokio", |b| {
                bench_waiters(
                    b,
                    &rt,
                    n,
                    || {},
                    || {
                        let notify = notify.clone();
                        async move { timeout(FAR, notify.notified()).await.unwrap() }
                    },
                    || {
                        let notify = notify.clone();
                        move || notify.notify_waiters()
                    },
                )
            });
            g.finish();
        }
    }
}

/// `common::config` with shorter runs: 106 functions at its 1 s each would take about
/// 3.5 minutes on 2 cores; at 0.5 s the target takes about 2.5.
fn scaling_config() -> Criterion {
    config()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
}

criterion_group! {
    name = benches;
    config = scaling_config();
    targets = contention, deadline_waiters
}
criterion_main!(benches);
