//! What the bench targets share (`mod common;`): the criterion configuration, the
//! runtimes the task rows run on, the loop that times spawned tasks, the rows of tasks
//! taking a guard (`guard_rows!`, with `#[macro_use]`), toro's clock on tokio's timer and
//! the channel rows.

// Each bench target compiles this module and uses only part of it.
#![allow(dead_code, unused_macros)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{Bencher, BenchmarkGroup, Criterion};
use futures::FutureExt;
use tokio::runtime::Runtime;
use tokio::task::{JoinHandle, yield_now};

/// The `primitives` and `queues` targets together must stay under 5 minutes on 2 cores,
/// `scaling` under 3.
pub fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(300))
        .sample_size(20)
        // The default 100 000 bootstrap resamples take ~7 s of analysis per function on
        // 2 cores; 10 000 keep the medians (point estimates) and take ~0.5 s.
        .nresamples(10_000)
}

/// The runtimes every row that spawns tasks runs on: `(suffix, runtime)`.
pub fn runtimes() -> [(&'static str, Runtime); 2] {
    let ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime");
    let mt2 = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("2-worker runtime");
    [("ct", ct), ("mt2", mt2)]
}

/// An iteration that takes this long has lost a wake-up: fail loudly rather than hang.
pub const HUNG: Duration = Duration::from_secs(30);

/// Times `iters` rounds of: spawn the tasks `spawn` makes on `rt`, wait for all of them.
pub fn bench_tasks(
    b: &mut Bencher<'_>,
    rt: &Runtime,
    mut spawn: impl FnMut() -> Vec<JoinHandle<()>>,
) {
    b.iter_custom(|iters| {
        rt.block_on(async {
            let start = Instant::now();
            for _ in 0..iters {
                let tasks = spawn();
                let all = async {
                    for task in tasks {
                        task.await.expect("bench task panicked");
                    }
                };
                tokio::time::timeout(HUNG, all)
                    .await
                    .expect("bench iteration hung for 30 s: a lost wake-up");
            }
            start.elapsed()
        })
    });
}

/// Adds one function per implementation to a group: `$tasks` spawned tasks doing `$ops`
/// acquires each of one shared `$new`. Each task takes the guard with its
/// implementation's `$acquire` (an expression of `lock`, `.await` included), runs the
/// block `$touch` on it and, with `yield = true`, holds it across a `yield_now`.
macro_rules! guard_rows {
    ($g:expr, $rt:expr, $tasks:expr, $ops:expr, yield = $yield:expr,
     touch = |$guard:ident| $touch:block;
     $($name:literal: $new:expr, |$lock:ident| $acquire:expr;)*) => {$(
        let shared = ::std::sync::Arc::new($new);
        $g.bench_function($name, |b| {
            $crate::common::bench_tasks(b, $rt, || {
                (0..$tasks)
                    .map(|_| {
                        let $lock = shared.clone();
                        ::tokio::spawn(async move {
                            for _ in 0..$ops {
                                // Rows of bare locks touch nothing through the guard.
                                #[allow(unused_mut)]
                                let mut $guard = $acquire;
                                $touch
                                if $yield {
                                    ::tokio::task::yield_now().await;
                                }
                                drop($guard);
                            }
                        })
                    })
                    .collect()
            })
        });
    )*};
}

/// Polls a future once with a no-op waker: `Some(output)` if it was ready.
///
/// Always inlined into the measuring loop, so every implementation in a row pays the same
/// (`now_or_never` is a function of its own that LLVM inlines for some future types and not
/// others, which moved single rows by 3×).
#[inline(always)]
pub fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// Polls `future` once with the task's own waker: `true` if it is still pending.
pub async fn pending_once<F: Future + Unpin>(future: &mut F) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(future.poll_unpin(cx).is_pending())).await
}

/// Yields until `registered` counts `n`: how a releasing task waits for every waiter of
/// a fan-out to stand in line before it releases them all.
pub async fn until_registered(registered: &AtomicUsize, n: usize) {
    while registered.load(Ordering::Acquire) < n {
        yield_now().await;
    }
}

/// `n` tasks each making the wait `wait()`, polling it once (pending: it stands in line,
/// its timer armed if it has one), counting itself in `registered` (zero at the call) and
/// then awaiting it; and one task that runs `release` once all `n` are counted. The body
/// of the `deadline_waiters` rows, timed (`scaling`) and counted (`instructions`).
pub fn waiter_tasks<W>(
    n: usize,
    registered: &Arc<AtomicUsize>,
    wait: impl Fn() -> W,
    release: impl FnOnce() + Send + 'static,
) -> Vec<JoinHandle<()>>
where
    W: Future<Output = ()> + Send + 'static,
{
    let mut tasks: Vec<_> = (0..n)
        .map(|_| {
            let (wait, registered) = (wait(), registered.clone());
            tokio::spawn(async move {
                let mut wait = pin!(wait);
                assert!(pending_once(&mut wait).await, "released before all waited");
                registered.fetch_add(1, Ordering::AcqRel);
                wait.await;
            })
        })
        .collect();
    let registered = registered.clone();
    tasks.push(tokio::spawn(async move {
        until_registered(&registered, n).await;
        release();
    }));
    tasks
}

/// toro's tokio handle, named explicitly (`.deadline_on(&tokio_loop(), d)`): what the
/// facade's `tokio` feature selects by itself inside a tokio runtime.
pub fn tokio_loop() -> toro::LoopHandle {
    toro::tokio::handle()
}

/// Times rounds of `producers` tasks putting `items` items in all into a channel and
/// `consumers` tasks getting them: `produce(n)` makes the body of a producer putting `n`
/// items, `consume(n)` that of a consumer getting `n`. Tasks are spawned producer,
/// consumer, producer, consumer, ... while both kinds last.
fn bench_channel<P, C>(
    b: &mut Bencher<'_>,
    rt: &Runtime,
    (producers, consumers): (usize, usize),
    items: usize,
    produce: impl Fn(usize) -> P,
    consume: impl Fn(usize) -> C,
) where
    P: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()> + Send + 'static,
{
    bench_tasks(b, rt, || {
        let mut tasks = Vec::with_capacity(producers + consumers);
        for i in 0..producers.max(consumers) {
            if i < producers {
                tasks.push(tokio::spawn(produce(items / producers)));
            }
            if i < consumers {
                tasks.push(tokio::spawn(consume(items / consumers)));
            }
        }
        tasks
    })
}

/// Adds to `g` the functions of a channel row: `producers` tasks put `items` items in all
/// (`usize`s) into a channel of `capacity` and `consumers` tasks get them, on `rt`
/// (`rt_name`). Implementations: `toro` (`Queue`), `async_channel`, `flume` and, with one
/// consumer, `tokio_mpsc` (whose one receiver the consumer locks for the iteration).
///
/// flume 0.12 sits out the rows with several consumers on `mt2`: there it lost a
/// wake-up and hung (all tasks pending, workers parked), like the dropped notifications
/// reported against flume elsewhere.
pub fn channel_functions(
    g: &mut BenchmarkGroup<'_, WallTime>,
    (rt_name, rt): (&str, &Runtime),
    (producers, consumers): (usize, usize),
    items: usize,
    capacity: usize,
) {
    let sides = (producers, consumers);

    let q = Arc::new(toro::Queue::new(capacity));
    g.bench_function("toro", |b| {
        bench_channel(
            b,
            rt,
            sides,
            items,
            |n| {
                let tx = q.clone();
                async move {
                    for i in 0..n {
                        tx.put(i).await;
                    }
                }
            },
            |n| {
                let rx = q.clone();
                async move {
                    for _ in 0..n {
                        black_box(rx.get().await);
                    }
                }
            },
        )
    });

    let (tx, rx) = async_channel::bounded(capacity);
    g.bench_function("async_channel", |b| {
        bench_channel(
            b,
            rt,
            sides,
            items,
            |n| {
                let tx = tx.clone();
                async move {
                    for i in 0..n {
                        tx.send(i).await.unwrap();
                    }
                }
            },
            |n| {
                let rx = rx.clone();
                async move {
                    for _ in 0..n {
                        black_box(rx.recv().await.unwrap());
                    }
                }
            },
        )
    });

    if !(rt_name == "mt2" && consumers > 1) {
        let (tx, rx) = flume::bounded(capacity);
        g.bench_function("flume", |b| {
            bench_channel(
                b,
                rt,
                sides,
                items,
                |n| {
                    let tx = tx.clone();
                    async move {
                        for i in 0..n {
                            tx.send_async(i).await.unwrap();
                        }
                    }
                },
                |n| {
                    let rx = rx.clone();
                    async move {
                        for _ in 0..n {
                            black_box(rx.recv_async().await.unwrap());
                        }
                    }
                },
            )
        });
    }

    if consumers == 1 {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        g.bench_function("tokio_mpsc", |b| {
            bench_channel(
                b,
                rt,
                sides,
                items,
                |n| {
                    let tx = tx.clone();
                    async move {
                        for i in 0..n {
                            tx.send(i).await.unwrap();
                        }
                    }
                },
                |n| {
                    let rx = rx.clone();
                    async move {
                        let mut rx = rx.try_lock().expect("one task at a time");
                        for _ in 0..n {
                            black_box(rx.recv().await.unwrap());
                        }
                    }
                },
            )
        });
    }
}

/// Priorities spread over `0..1024`, for the priority-queue rows.
pub fn priority(i: usize) -> usize {
    i.wrapping_mul(7919) % 1024
}

/// Two tasks ping-ponging `round_trips` times through two toro queues of capacity 1.
pub fn toro_queue_pingpong(
    qs: Arc<(toro::Queue<usize>, toro::Queue<usize>)>,
    round_trips: usize,
) -> Vec<JoinHandle<()>> {
    let (a, b) = (qs.clone(), qs);
    vec![
        tokio::spawn(async move {
            let (ping, pong) = &*a;
            for i in 0..round_trips {
                ping.put(i).await;
                black_box(pong.get().await);
            }
        }),
        tokio::spawn(async move {
            let (ping, pong) = &*b;
            for _ in 0..round_trips {
                let i = ping.get().await;
                pong.put(i).await;
            }
        }),
    ]
}

/// Two tasks waking each other `round_trips` times: each waits for its toro `Event`,
/// clears it and sets the other's.
pub fn event_pingpong(
    events: Arc<(toro::Event, toro::Event)>,
    round_trips: usize,
) -> Vec<JoinHandle<()>> {
    let (e1, e2) = (events.clone(), events);
    vec![
        tokio::spawn(async move {
            let (ping, pong) = &*e1;
            for _ in 0..round_trips {
                ping.set();
                pong.wait().await;
                pong.clear();
            }
        }),
        tokio::spawn(async move {
            let (ping, pong) = &*e2;
            for _ in 0..round_trips {
                ping.wait().await;
                ping.clear();
                pong.set();
            }
        }),
    ]
}

/// [`event_pingpong`] through two toro `Condition`s. A condition stores nothing: each
/// side registers its next wait (eagerly, at the call) before it notifies the other.
pub fn condition_pingpong(
    conds: Arc<(toro::Condition, toro::Condition)>,
    round_trips: usize,
) -> Vec<JoinHandle<()>> {
    let (c1, c2) = (conds.clone(), conds);
    vec![
        tokio::spawn(async move {
            let (ping, pong) = &*c1;
            // Wait until the other side stands in line for the first ping.
            while ping.waiters() == 0 {
                yield_now().await;
            }
            for _ in 0..round_trips {
                let reply = pong.wait();
                ping.notify(1);
                reply.await;
            }
        }),
        tokio::spawn(async move {
            let (ping, pong) = &*c2;
            let mut next = ping.wait();
            for _ in 0..round_trips {
                next.await;
                next = ping.wait();
                pong.notify(1);
            }
            drop(next);
        }),
    ]
}

/// [`event_pingpong`] through two tokio `Notify`s.
pub fn notify_pingpong(
    notifies: Arc<(tokio::sync::Notify, tokio::sync::Notify)>,
    round_trips: usize,
) -> Vec<JoinHandle<()>> {
    let (n1, n2) = (notifies.clone(), notifies);
    vec![
        tokio::spawn(async move {
            let (ping, pong) = &*n1;
            for _ in 0..round_trips {
                ping.notify_one();
                pong.notified().await;
            }
        }),
        tokio::spawn(async move {
            let (ping, pong) = &*n2;
            for _ in 0..round_trips {
                ping.notified().await;
                pong.notify_one();
            }
        }),
    ]
}
