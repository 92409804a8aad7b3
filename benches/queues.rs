//! toro's queues against async-channel, flume and tokio's mpsc (crossbeam's ArrayQueue as
//! the floor), its PriorityQueue against a `Mutex<BinaryHeap>` with `Notify`, and the cost
//! of a wait with a deadline against `tokio::time::timeout`.
//!
//! One criterion group per row, one function per implementation: `toro` is toro's main
//! entry, `toro_*` other toro ways to do the same thing, `floor_*` a non-async lower bound,
//! `ref_*` a reference point that is not a peer, anything else a peer. Groups measuring
//! several operations per iteration set `Throughput::Elements(n)`; `scripts/bench-table`
//! divides by it to print ns per item (or per hop, per timed get).
//!
//! Every row but `queue_single_uncontended` and `queue_blocking_threads` runs on a
//! current-thread (`/ct`) and on a 2-worker (`/mt2`) tokio runtime.
//!
//! - `queue_single_uncontended`: a put and a get in one task, polled once, no runtime.
//! - `queue_spsc`, `queue_mpsc`, `queue_mpmc`: 1 producer and 1 consumer, 4 producers and
//!   1 consumer, 4 and 4, through a capacity-64 channel; time per item. tokio's mpsc has
//!   one receiver, so it sits out MPMC; flume sits out MPMC on `mt2`, where it hung (see
//!   `common::channel_functions`).
//! - `queue_pingpong`: two tasks passing an item through two capacity-1 queues; per hop.
//! - `priority_queue`: SPSC through a capacity-64 PriorityQueue; per item.
//! - `timed_wait`: a get with a 60 s deadline, pending, then satisfied; per get.
//! - `queue_blocking_threads`: no runtime; 2 producer threads and 2 consumer threads, each
//!   parked while it waits (toro's `.block()`, flume's `send`/`recv`, async-channel's
//!   `send_blocking`/`recv_blocking`), through a capacity-64 channel, with std's
//!   `sync_channel` as the floor; per item. The threads are spawned once per criterion
//!   sample (`iter_custom`), not per iteration, and the clock starts once all stand ready.
//!
//! Run: `cargo bench --features tokio --bench queues`, then `scripts/bench-table`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Bencher, Criterion, Throughput, criterion_group, criterion_main};
use tokio::sync::Notify;

mod common;
use common::{
    HUNG, bench_tasks, channel_functions, config, pending_once, poll_once, priority, runtimes,
    tokio_loop, toro_queue_pingpong,
};

const CAPACITY: usize = 64;
/// Items per iteration of the SPSC, MPSC, MPMC and priority rows.
const ITEMS: usize = 1024;
/// Producers in the MPSC and MPMC rows, consumers in the MPMC row.
const SIDES: usize = 4;
/// Round trips per iteration of the ping-pong row (two hops each).
const ROUND_TRIPS: usize = 128;
/// Timed gets per iteration of the timed-wait row.
const TIMED_GETS: usize = 64;
/// A deadline that is never reached.
const FAR: Duration = Duration::from_secs(60);
/// Producer threads and consumer threads of the blocking row.
const BLOCKING_THREADS: (usize, usize) = (2, 2);

fn single(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_single_uncontended");
    let q = toro::Queue::new(CAPACITY);
    g.bench_function("toro", |b| {
        b.iter(|| {
            poll_once(q.put(black_box(1_u64))).unwrap();
            black_box(poll_once(q.get()).unwrap())
        })
    });
    let (tx, rx) = async_channel::bounded(CAPACITY);
    g.bench_function("async_channel", |b| {
        b.iter(|| {
            poll_once(tx.send(black_box(1_u64))).unwrap().unwrap();
            black_box(poll_once(rx.recv()).unwrap().unwrap())
        })
    });
    let (tx, rx) = flume::bounded(CAPACITY);
    g.bench_function("flume", |b| {
        b.iter(|| {
            poll_once(tx.send_async(black_box(1_u64))).unwrap().unwrap();
            black_box(poll_once(rx.recv_async()).unwrap().unwrap())
        })
    });
    let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
    g.bench_function("tokio_mpsc", |b| {
        b.iter(|| {
            poll_once(tx.send(black_box(1_u64))).unwrap().unwrap();
            black_box(poll_once(rx.recv()).unwrap().unwrap())
        })
    });
    let q = crossbeam_queue::ArrayQueue::new(CAPACITY);
    g.bench_function("floor_crossbeam", |b| {
        b.iter(|| {
            q.push(black_box(1_u64)).unwrap();
            black_box(q.pop().unwrap())
        })
    });
    g.finish();
}

/// The channel rows: `(row, producers, consumers)`, `ITEMS` items per iteration in all.
const CHANNEL_ROWS: [(&str, usize, usize); 3] = [
    ("queue_spsc", 1, 1),
    ("queue_mpsc", SIDES, 1),
    ("queue_mpmc", SIDES, SIDES),
];

fn channels(c: &mut Criterion) {
    for (row, producers, consumers) in CHANNEL_ROWS {
        for (rt_name, rt) in runtimes() {
            let mut g = c.benchmark_group(format!("{row}/{rt_name}"));
            g.throughput(Throughput::Elements(ITEMS as u64));
            channel_functions(
                &mut g,
                (rt_name, &rt),
                (producers, consumers),
                ITEMS,
                CAPACITY,
            );
            g.finish();
        }
    }
}

fn pingpong(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("queue_pingpong/{rt_name}"));
        g.throughput(Throughput::Elements((2 * ROUND_TRIPS) as u64));

        let qs = Arc::new((toro::Queue::new(1), toro::Queue::new(1)));
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || toro_queue_pingpong(qs.clone(), ROUND_TRIPS))
        });

        let (ping_tx, ping_rx) = async_channel::bounded(1);
        let (pong_tx, pong_rx) = async_channel::bounded(1);
        g.bench_function("async_channel", |b| {
            bench_tasks(b, &rt, || {
                let (ping_tx, pong_rx) = (ping_tx.clone(), pong_rx.clone());
                let (ping_rx, pong_tx) = (ping_rx.clone(), pong_tx.clone());
                vec![
                    tokio::spawn(async move {
                        for i in 0..ROUND_TRIPS {
                            ping_tx.send(i).await.unwrap();
                            black_box(pong_rx.recv().await.unwrap());
                        }
                    }),
                    tokio::spawn(async move {
                        for _ in 0..ROUND_TRIPS {
                            let i = ping_rx.recv().await.unwrap();
                            pong_tx.send(i).await.unwrap();
                        }
                    }),
                ]
            })
        });

        let (ping_tx, ping_rx) = flume::bounded(1);
        let (pong_tx, pong_rx) = flume::bounded(1);
        g.bench_function("flume", |b| {
            bench_tasks(b, &rt, || {
                let (ping_tx, pong_rx) = (ping_tx.clone(), pong_rx.clone());
                let (ping_rx, pong_tx) = (ping_rx.clone(), pong_tx.clone());
                vec![
                    tokio::spawn(async move {
                        for i in 0..ROUND_TRIPS {
                            ping_tx.send_async(i).await.unwrap();
                            black_box(pong_rx.recv_async().await.unwrap());
                        }
                    }),
                    tokio::spawn(async move {
                        for _ in 0..ROUND_TRIPS {
                            let i = ping_rx.recv_async().await.unwrap();
                            pong_tx.send_async(i).await.unwrap();
                        }
                    }),
                ]
            })
        });

        // One receiver per channel: each task locks the one it owns for the iteration.
        let (ping_tx, ping_rx) = tokio::sync::mpsc::channel(1);
        let (pong_tx, pong_rx) = tokio::sync::mpsc::channel(1);
        let ping_rx = Arc::new(tokio::sync::Mutex::new(ping_rx));
        let pong_rx = Arc::new(tokio::sync::Mutex::new(pong_rx));
        g.bench_function("tokio_mpsc", |b| {
            bench_tasks(b, &rt, || {
                let (ping_tx, pong_rx) = (ping_tx.clone(), pong_rx.clone());
                let (ping_rx, pong_tx) = (ping_rx.clone(), pong_tx.clone());
                vec![
                    tokio::spawn(async move {
                        let mut pong_rx = pong_rx.try_lock().expect("one task at a time");
                        for i in 0..ROUND_TRIPS {
                            ping_tx.send(i).await.unwrap();
                            black_box(pong_rx.recv().await.unwrap());
                        }
                    }),
                    tokio::spawn(async move {
                        let mut ping_rx = ping_rx.try_lock().expect("one task at a time");
                        for _ in 0..ROUND_TRIPS {
                            let i = ping_rx.recv().await.unwrap();
                            pong_tx.send(i).await.unwrap();
                        }
                    }),
                ]
            })
        });
        g.finish();
    }
}

/// The peer of PriorityQueue: a `Mutex<BinaryHeap>` bounded by hand, with a `Notify` for
/// "not empty" and one for "not full" (`notify_one` keeps a permit when nobody waits, so
/// with one producer and one consumer no wake-up is lost).
struct HeapQueue {
    heap: Mutex<BinaryHeap<Reverse<usize>>>,
    not_empty: Notify,
    not_full: Notify,
}

impl HeapQueue {
    fn new() -> Self {
        HeapQueue {
            heap: Mutex::new(BinaryHeap::with_capacity(CAPACITY)),
            not_empty: Notify::new(),
            not_full: Notify::new(),
        }
    }

    async fn put(&self, item: usize) {
        loop {
            {
                let mut heap = self.heap.lock().unwrap();
                if heap.len() < CAPACITY {
                    heap.push(Reverse(item));
                    drop(heap);
                    self.not_empty.notify_one();
                    return;
                }
            }
            self.not_full.notified().await;
        }
    }

    async fn get(&self) -> usize {
        loop {
            let popped = self.heap.lock().unwrap().pop();
            if let Some(Reverse(item)) = popped {
                self.not_full.notify_one();
                return item;
            }
            self.not_empty.notified().await;
        }
    }
}

/// The priorities put in the priority row: a fixed scramble of 0..1024.
fn priority_queue(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        let mut g = c.benchmark_group(format!("priority_queue/{rt_name}"));
        g.throughput(Throughput::Elements(ITEMS as u64));

        let q = Arc::new(toro::PriorityQueue::new(CAPACITY));
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || {
                let (tx, rx) = (q.clone(), q.clone());
                vec![
                    tokio::spawn(async move {
                        for i in 0..ITEMS {
                            tx.put(priority(i)).await;
                        }
                    }),
                    tokio::spawn(async move {
                        for _ in 0..ITEMS {
                            black_box(rx.get().await);
                        }
                    }),
                ]
            })
        });

        let q = Arc::new(HeapQueue::new());
        g.bench_function("heap_notify", |b| {
            bench_tasks(b, &rt, || {
                let (tx, rx) = (q.clone(), q.clone());
                vec![
                    tokio::spawn(async move {
                        for i in 0..ITEMS {
                            tx.put(priority(i)).await;
                        }
                    }),
                    tokio::spawn(async move {
                        for _ in 0..ITEMS {
                            black_box(rx.get().await);
                        }
                    }),
                ]
            })
        });
        g.finish();
    }
}

fn timed(c: &mut Criterion) {
    for (rt_name, rt) in runtimes() {
        // Each get is called on an empty queue and polled once (pending, so its timer is
        // armed), then an item is put and the get completes well before its deadline.
        let mut g = c.benchmark_group(format!("timed_wait/{rt_name}"));
        g.throughput(Throughput::Elements(TIMED_GETS as u64));

        let q = Arc::new(toro::Queue::new(CAPACITY));
        g.bench_function("toro_deadline_on", |b| {
            bench_tasks(b, &rt, || {
                let q = q.clone();
                vec![tokio::spawn(async move {
                    for i in 0..TIMED_GETS {
                        let mut get = q.get().deadline_on(&tokio_loop(), FAR);
                        assert!(pending_once(&mut get).await);
                        q.put_nowait(i).unwrap();
                        black_box(get.await.unwrap());
                    }
                })]
            })
        });
        // What a tokio user writes: `.deadline(d)`, which finds tokio's timer itself (the
        // benches require the `tokio` feature).
        g.bench_function("toro", |b| {
            bench_tasks(b, &rt, || {
                let q = q.clone();
                vec![tokio::spawn(async move {
                    for i in 0..TIMED_GETS {
                        let mut get = q.get().deadline(FAR);
                        assert!(pending_once(&mut get).await);
                        q.put_nowait(i).unwrap();
                        black_box(get.await.unwrap());
                    }
                })]
            })
        });
        g.bench_function("toro_no_deadline", |b| {
            bench_tasks(b, &rt, || {
                let q = q.clone();
                vec![tokio::spawn(async move {
                    for i in 0..TIMED_GETS {
                        let mut get = q.get();
                        assert!(pending_once(&mut get).await);
                        q.put_nowait(i).unwrap();
                        black_box(get.await);
                    }
                })]
            })
        });

        let (tx, rx) = tokio::sync::mpsc::channel(CAPACITY);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        g.bench_function("tokio_timeout", |b| {
            bench_tasks(b, &rt, || {
                let (tx, rx) = (tx.clone(), rx.clone());
                vec![tokio::spawn(async move {
                    let mut rx = rx.try_lock().expect("one task at a time");
                    for i in 0..TIMED_GETS {
                        let mut recv = pin!(tokio::time::timeout(FAR, rx.recv()));
                        assert!(pending_once(&mut recv).await);
                        tx.try_send(i).unwrap();
                        black_box(recv.await.unwrap().unwrap());
                    }
                })]
            })
        });
        g.bench_function("ref_tokio_no_timeout", |b| {
            bench_tasks(b, &rt, || {
                let (tx, rx) = (tx.clone(), rx.clone());
                vec![tokio::spawn(async move {
                    let mut rx = rx.try_lock().expect("one task at a time");
                    for i in 0..TIMED_GETS {
                        let mut recv = pin!(rx.recv());
                        assert!(pending_once(&mut recv).await);
                        tx.try_send(i).unwrap();
                        black_box(recv.await.unwrap());
                    }
                })]
            })
        });
        g.finish();
    }
}

/// Times `iters` rounds of `ITEMS` items through a channel between plain threads: each
/// of `BLOCKING_THREADS` producers runs `produce(n)`, putting `n` items, and each consumer
/// `consume(n)`, getting `n`. The threads are spawned once for all `iters` rounds (their
/// items follow one another with no pause between rounds), and the clock runs from the
/// moment all stand ready to the last one's end.
fn bench_threads<P, C>(
    b: &mut Bencher<'_>,
    produce: impl Fn(usize) -> P,
    consume: impl Fn(usize) -> C,
) where
    P: FnOnce() + Send + 'static,
    C: FnOnce() + Send + 'static,
{
    let (producers, consumers) = BLOCKING_THREADS;
    b.iter_custom(|iters| {
        let items = iters as usize * ITEMS;
        let ready = Arc::new(Barrier::new(producers + consumers + 1));
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let mut bodies: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
        bodies.extend((0..producers).map(|_| Box::new(produce(items / producers)) as Box<_>));
        bodies.extend((0..consumers).map(|_| Box::new(consume(items / consumers)) as Box<_>));
        let threads: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (ready, done_tx) = (ready.clone(), done_tx.clone());
                thread::spawn(move || {
                    ready.wait();
                    body();
                    done_tx.send(()).unwrap();
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        for _ in 0..threads.len() {
            done_rx
                .recv_timeout(HUNG)
                .expect("bench threads hung for 30 s (or one panicked): a lost wake-up?");
        }
        let elapsed = start.elapsed();
        for thread in threads {
            thread.join().expect("bench thread panicked");
        }
        elapsed
    });
}

fn blocking(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_blocking_threads");
    g.throughput(Throughput::Elements(ITEMS as u64));

    let q = Arc::new(toro::Queue::new(CAPACITY));
    g.bench_function("toro", |b| {
        bench_threads(
            b,
            |n| {
                let q = q.clone();
                move || {
                    for i in 0..n {
                        q.put(i).block();
                    }
                }
            },
            |n| {
                let q = q.clone();
                move || {
                    for _ in 0..n {
                        black_box(q.get().block());
                    }
                }
            },
        )
    });

    let (tx, rx) = flume::bounded(CAPACITY);
    g.bench_function("flume", |b| {
        bench_threads(
            b,
            |n| {
                let tx = tx.clone();
                move || {
                    for i in 0..n {
                        tx.send(i).unwrap();
                    }
                }
            },
            |n| {
                let rx = rx.clone();
                move || {
                    for _ in 0..n {
                        black_box(rx.recv().unwrap());
                    }
                }
            },
        )
    });

    let (tx, rx) = async_channel::bounded(CAPACITY);
    g.bench_function("async_channel", |b| {
        bench_threads(
            b,
            |n| {
                let tx = tx.clone();
                move || {
                    for i in 0..n {
                        tx.send_blocking(i).unwrap();
                    }
                }
            },
            |n| {
                let rx = rx.clone();
                move || {
                    for _ in 0..n {
                        black_box(rx.recv_blocking().unwrap());
                    }
                }
            },
        )
    });

    // std's channel has one receiver: the consumers share it through a mutex, each
    // holding it for one `recv`.
    let (tx, rx) = std::sync::mpsc::sync_channel(CAPACITY);
    let rx = Arc::new(Mutex::new(rx));
    g.bench_function("floor_std", |b| {
        bench_threads(
            b,
            |n| {
                let tx = tx.clone();
                move || {
                    for i in 0..n {
                        tx.send(i).unwrap();
                    }
                }
            },
            |n| {
                let rx = rx.clone();
                move || {
                    for _ in 0..n {
                        black_box(rx.lock().unwrap().recv().unwrap());
                    }
                }
            },
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = single, channels, pingpong, priority_queue, timed, blocking
}
criterion_main!(benches);
