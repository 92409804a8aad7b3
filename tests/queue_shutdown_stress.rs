//! Stress: 4 producers × 4 consumers on a multi-thread tokio runtime, and a shutdown (or
//! `shutdown_immediate`) at a random moment. Every item a producer offered is received
//! exactly once, or handed back (refused by `send`, or drained by `shutdown_immediate`):
//! none twice, none lost. Nothing hangs: producers blocked on a full queue and consumers
//! waiting on an empty one all end at the shutdown.
//!
//! Sends and receives with deadlines fire under load too: a timed-out send gets its item
//! back in the `Timeout` and sends it again. Each round draws its moment and its kind of
//! shutdown from a fixed seed, so the suite is repeatable; every test runs under a
//! watchdog.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use futures::StreamExt;
use toro::{JoinableQueue, LifoQueue, PriorityQueue, Queue, Shutdown};

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: u64 = 400;
const ROUNDS: u64 = 12;
const HANG_LIMIT: Duration = Duration::from_secs(60);

fn item(producer: usize, i: u64) -> u64 {
    producer as u64 * 1_000_000 + i
}

/// Runs `f` on its own thread and fails if it has not finished within [`HANG_LIMIT`].
fn watchdog(name: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .unwrap();
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic)
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: still running after {HANG_LIMIT:?}: a wait hung on a shut-down queue")
        }
    }
}

/// SplitMix64: the round's moment of shutdown and its kind.
fn draw(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Where the items went.
#[derive(Default)]
struct Ledger {
    /// How many items each producer offered (the items `0..n` of producer `p`).
    offered: Mutex<BTreeMap<usize, u64>>,
    received: Mutex<Vec<u64>>,
    refused: Mutex<Vec<u64>>,
    drained: Mutex<Vec<u64>>,
    received_count: AtomicUsize,
}

impl Ledger {
    fn settle(&self, what: &str) {
        let mut expected: Vec<u64> = self
            .offered
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(&p, &n)| (0..n).map(move |i| item(p, i)))
            .collect();
        let mut out: Vec<u64> = Vec::new();
        out.extend(self.received.lock().unwrap().iter());
        out.extend(self.refused.lock().unwrap().iter());
        out.extend(self.drained.lock().unwrap().iter());
        expected.sort_unstable();
        out.sort_unstable();
        let mut dedup = out.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), out.len(), "{what}: an item came out twice");
        assert_eq!(out, expected, "{what}: an item was lost or invented");
    }
}

macro_rules! shutdown_stress {
    ($name:ident, $Q:ident) => {
        #[test]
        fn $name() {
            watchdog(stringify!($name), || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(4)
                    .enable_all()
                    .build()
                    .unwrap();
                for round in 0..ROUNDS {
                    let seed = draw(round + 0x51ab);
                    let at = (seed % (PRODUCERS as u64 * PER_PRODUCER)) as usize;
                    let immediate = seed & (1 << 40) != 0;
                    let what = format!(
                        "{} round {round}: {} after {at} items",
                        stringify!($Q),
                        if immediate {
                            "shutdown_immediate"
                        } else {
                            "shutdown"
                        }
                    );
                    let q = Arc::new($Q::new(8));
                    let ledger = Arc::new(Ledger::default());
                    runtime.block_on(run_round(&q, &ledger, at, immediate));
                    ledger.settle(&what);
                    assert!(q.is_shutdown());
                    assert_eq!(q.qsize(), 0, "{what}: everything drained");
                }
            });
        }
    };
}

/// What the round needs of a queue (the four queue types share it).
trait ShutdownQueue: Send + Sync + 'static {
    fn send_timed(
        &self,
        item: u64,
        timed: bool,
    ) -> impl std::future::Future<Output = Result<Result<(), Shutdown<u64>>, u64>> + Send;
    fn recv_timed(
        &self,
        timed: bool,
    ) -> impl std::future::Future<Output = Option<Result<u64, Shutdown>>> + Send;
    fn shut(&self, immediate: bool) -> Vec<u64>;
    fn stream_all(self: Arc<Self>) -> impl std::future::Future<Output = Vec<u64>> + Send;
    fn done(&self) {}
    fn is_shutdown(&self) -> bool;
    fn qsize(&self) -> usize;
}

macro_rules! shutdown_queue {
    ($Q:ident $(, $joinable:ident)?) => {
        impl ShutdownQueue for $Q<u64> {
            /// `Err(item)`: the deadline fired, the item came back.
            async fn send_timed(&self, item: u64, timed: bool) -> Result<Result<(), Shutdown<u64>>, u64> {
                if timed {
                    self.send(item)
                        .deadline(Duration::from_micros(20))
                        .await
                        .map_err(|t| t.into_inner())
                } else {
                    Ok(self.send(item).await)
                }
            }
            /// `None`: the deadline fired.
            async fn recv_timed(&self, timed: bool) -> Option<Result<u64, Shutdown>> {
                if timed {
                    self.recv().deadline(Duration::from_micros(20)).await.ok()
                } else {
                    Some(self.recv().await)
                }
            }
            fn shut(&self, immediate: bool) -> Vec<u64> {
                if immediate {
                    self.shutdown_immediate()
                } else {
                    self.shutdown();
                    Vec::new()
                }
            }
            async fn stream_all(self: Arc<Self>) -> Vec<u64> {
                self.into_stream().collect().await
            }
            $(
                fn done(&self) {
                    let $joinable = self;
                    $joinable.task_done().expect("one task_done per item");
                }
            )?
            fn is_shutdown(&self) -> bool {
                $Q::is_shutdown(self)
            }
            fn qsize(&self) -> usize {
                $Q::qsize(self)
            }
        }
    };
}

shutdown_queue!(Queue);
shutdown_queue!(LifoQueue);
shutdown_queue!(PriorityQueue);
shutdown_queue!(JoinableQueue, joinable);

async fn run_round<Q: ShutdownQueue>(q: &Arc<Q>, ledger: &Arc<Ledger>, at: usize, immediate: bool) {
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (q, ledger) = (Arc::clone(q), Arc::clone(ledger));
            tokio::spawn(async move {
                let mut offered = 0;
                'items: for i in 0..PER_PRODUCER {
                    offered = i + 1;
                    let mut next = item(p, i);
                    // Every third send has a deadline; a timed-out one sends its item again.
                    let mut timed = i % 3 == 0;
                    loop {
                        match q.send_timed(next, timed).await {
                            Ok(Ok(())) => break,
                            Ok(Err(refused)) => {
                                ledger.refused.lock().unwrap().push(refused.into_inner());
                                break 'items;
                            }
                            Err(back) => {
                                next = back;
                                timed = false;
                            }
                        }
                    }
                }
                ledger.offered.lock().unwrap().insert(p, offered);
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let (q, ledger) = (Arc::clone(q), Arc::clone(ledger));
            tokio::spawn(async move {
                if c == 0 {
                    // One consumer reads the queue as a stream: it ends after the shutdown.
                    let got = Arc::clone(&q).stream_all().await;
                    for _ in &got {
                        q.done();
                    }
                    ledger.received_count.fetch_add(got.len(), SeqCst);
                    ledger.received.lock().unwrap().extend(got);
                    return;
                }
                let mut n = 0u64;
                loop {
                    n += 1;
                    match q.recv_timed(n % 4 == 0).await {
                        Some(Ok(x)) => {
                            ledger.received.lock().unwrap().push(x);
                            ledger.received_count.fetch_add(1, SeqCst);
                            q.done();
                        }
                        Some(Err(Shutdown { .. })) => break,
                        None => {} // the deadline fired: try again
                    }
                }
            })
        })
        .collect();
    // The shutdown, at a random moment: once `at` items were received.
    let shutter = {
        let (q, ledger) = (Arc::clone(q), Arc::clone(ledger));
        tokio::spawn(async move {
            while ledger.received_count.load(SeqCst) < at
                && ledger.offered.lock().unwrap().len() < PRODUCERS
            {
                tokio::task::yield_now().await;
            }
            let drained = q.shut(immediate);
            ledger.drained.lock().unwrap().extend(drained);
        })
    };
    for task in producers.into_iter().chain(consumers).chain([shutter]) {
        task.await.expect("a task panicked");
    }
    assert!(q.is_shutdown());
    assert_eq!(q.qsize(), 0);
}

shutdown_stress!(queue_shutdown_at_a_random_moment_loses_nothing, Queue);
shutdown_stress!(
    lifo_queue_shutdown_at_a_random_moment_loses_nothing,
    LifoQueue
);
shutdown_stress!(
    priority_queue_shutdown_at_a_random_moment_loses_nothing,
    PriorityQueue
);
shutdown_stress!(
    joinable_queue_shutdown_at_a_random_moment_loses_nothing,
    JoinableQueue
);

/// After a round on a `JoinableQueue`, `join()` ends: every received item was marked done
/// and every drained one uncounted.
#[test]
fn joinable_queue_join_ends_after_a_random_shutdown() {
    watchdog("joinable-join", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap();
        for round in 0..4 {
            let q = Arc::new(JoinableQueue::new(8));
            let ledger = Arc::new(Ledger::default());
            let at = (draw(round) % (PRODUCERS as u64 * PER_PRODUCER)) as usize;
            runtime.block_on(async {
                run_round(&q, &ledger, at, round % 2 == 0).await;
                q.join()
                    .deadline(Duration::from_secs(10))
                    .await
                    .expect("join ends once every item is done or drained");
            });
            assert_eq!(q.unfinished_tasks(), 0);
            ledger.settle("joinable join");
        }
    });
}
