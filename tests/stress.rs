//! Multi-thread stress: the invariants of every primitive under real contention, on a
//! tokio multi-thread runtime and on OS threads each running `toro::block_on`.
//!
//! - Lock, RwLock, Semaphore, BoundedSemaphore: a probe counts who is inside the critical
//!   section and fails on any overlap beyond the limit; a racy read-yield-write counter
//!   shows lost updates if exclusion ever failed.
//! - No lost wake-up: waiters on Condition, Event and Semaphore woken from other threads
//!   must all finish.
//! - Queues: several producers and consumers; every item delivered exactly once (checked
//!   by content), with and without deadlines firing on gets and puts.
//!
//! Every test runs under a watchdog: a hang (a lost wake-up) fails the test after a
//! generous limit instead of blocking the suite.

mod support;
use support::yield_now;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use toro::{
    BoundedSemaphore, Condition, Event, JoinableQueue, LifoQueue, Lock, PriorityQueue, Queue,
    RwLock, Semaphore, TooManyReleases,
};

// ----------------------------------------------------------------------------------------
// Harness

/// Generous: a healthy test takes well under a second; only a hang gets near this.
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and fails if it has not finished within [`HANG_LIMIT`].
fn watchdog<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(value) => {
            worker.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: still running after {HANG_LIMIT:?}: a lost wake-up or a deadlock")
        }
    }
}

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `threads` OS threads, each driving `body(i)` with `toro::block_on`, and joins them.
fn on_threads<F, Fut>(threads: usize, body: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    let body = Arc::new(body);
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let body = body.clone();
            thread::spawn(move || toro::block_on(body(i)))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Watches a critical section: who is inside, and a counter updated non-atomically across
/// a yield, which loses updates if two holders ever overlap.
#[derive(Default)]
struct Section {
    inside: AtomicUsize,
    most_inside: AtomicUsize,
    entries: AtomicUsize,
    racy: AtomicUsize,
    skipped: AtomicUsize,
}

impl Section {
    fn enter(&self, limit: usize) {
        let now = self.inside.fetch_add(1, SeqCst) + 1;
        assert!(now <= limit, "{now} holders inside, limit {limit}");
        self.most_inside.fetch_max(now, SeqCst);
    }

    fn leave(&self) {
        self.inside.fetch_sub(1, SeqCst);
        self.entries.fetch_add(1, SeqCst);
    }

    /// The body of an exclusive section, yielding in the middle.
    async fn exclusive(&self) {
        self.enter(1);
        let seen = self.racy.load(Relaxed);
        thread::yield_now();
        yield_now().await;
        self.racy.store(seen + 1, Relaxed);
        self.leave();
    }

    /// The body of a section shared by at most `limit` holders, yielding in the middle.
    async fn shared(&self, limit: usize) {
        self.enter(limit);
        thread::yield_now();
        yield_now().await;
        assert!(self.inside.load(SeqCst) <= limit);
        self.leave();
    }

    fn skip(&self) {
        self.skipped.fetch_add(1, SeqCst);
    }

    fn entries(&self) -> usize {
        self.entries.load(SeqCst)
    }

    fn skipped(&self) -> usize {
        self.skipped.load(SeqCst)
    }

    /// Checks that every exclusive entry's update survived.
    fn assert_no_lost_update(&self) {
        assert_eq!(self.racy.load(SeqCst), self.entries(), "exclusion failed");
    }
}

const TINY: Duration = Duration::from_micros(100);

// ----------------------------------------------------------------------------------------
// Lock

/// One task's share of lock traffic: plain, timed, try and forget/release acquisitions.
async fn lock_rounds(lock: &Lock, section: &Section, rounds: usize) {
    for i in 0..rounds {
        match i % 8 {
            0 => match lock.acquire().deadline(TINY).await {
                Ok(_guard) => section.exclusive().await,
                Err(_) => section.skip(),
            },
            1 => match lock.try_acquire() {
                Some(_guard) => section.exclusive().await,
                None => section.skip(),
            },
            2 => {
                lock.acquire().await.forget();
                section.exclusive().await;
                lock.release().unwrap();
            }
            _ => {
                let _guard = lock.acquire().await;
                section.exclusive().await;
            }
        }
    }
}

#[test]
fn lock_excludes_across_tokio_workers() {
    const TASKS: usize = 8;
    const ROUNDS: usize = 1500;
    watchdog("lock-tokio", || {
        let lock = Arc::new(Lock::new());
        let section = Arc::new(Section::default());
        multi_thread(4).block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (lock, section) = (lock.clone(), section.clone());
                    tokio::spawn(async move { lock_rounds(&lock, &section, ROUNDS).await })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert!(!lock.locked());
        section.assert_no_lost_update();
        assert_eq!(section.entries() + section.skipped(), TASKS * ROUNDS);
        assert!(section.entries() > TASKS * ROUNDS / 2);
    });
}

#[test]
fn lock_excludes_across_os_threads() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 1500;
    watchdog("lock-threads", || {
        let lock = Arc::new(Lock::new());
        let section = Arc::new(Section::default());
        let (l, s) = (lock.clone(), section.clone());
        on_threads(THREADS, move |_| {
            let (lock, section) = (l.clone(), s.clone());
            async move { lock_rounds(&lock, &section, ROUNDS).await }
        });
        assert!(!lock.locked());
        section.assert_no_lost_update();
        assert_eq!(section.entries() + section.skipped(), THREADS * ROUNDS);
    });
}

// ----------------------------------------------------------------------------------------
// RwLock

/// Readers share up to `max_readers`; a writer is alone (no reader, no other writer).
#[derive(Default)]
struct RwProbe {
    readers: AtomicUsize,
    writers: AtomicUsize,
    most_readers: AtomicUsize,
    racy: AtomicUsize,
    writes: AtomicUsize,
}

impl RwProbe {
    async fn read(&self, max_readers: usize) {
        let now = self.readers.fetch_add(1, SeqCst) + 1;
        assert!(now <= max_readers, "{now} readers, max {max_readers}");
        assert_eq!(self.writers.load(SeqCst), 0, "a reader beside a writer");
        self.most_readers.fetch_max(now, SeqCst);
        yield_now().await;
        assert_eq!(
            self.writers.load(SeqCst),
            0,
            "a writer came in beside a reader"
        );
        self.readers.fetch_sub(1, SeqCst);
    }

    async fn write(&self) {
        assert_eq!(self.writers.fetch_add(1, SeqCst), 0, "two writers");
        assert_eq!(self.readers.load(SeqCst), 0, "a writer beside a reader");
        let seen = self.racy.load(Relaxed);
        yield_now().await;
        self.racy.store(seen + 1, Relaxed);
        assert_eq!(
            self.readers.load(SeqCst),
            0,
            "a reader came in beside a writer"
        );
        self.writers.fetch_sub(1, SeqCst);
        self.writes.fetch_add(1, SeqCst);
    }
}

async fn rwlock_rounds(rw: &RwLock, probe: &RwProbe, who: usize, rounds: usize) {
    let max = rw.max_readers();
    for i in 0..rounds {
        match (who + i) % 10 {
            0 => {
                let _w = rw.acquire_write().await;
                probe.write().await;
            }
            1 => {
                if let Ok(_w) = rw.acquire_write().deadline(TINY).await {
                    probe.write().await;
                }
            }
            2 => {
                if let Some(_w) = rw.try_acquire_write() {
                    probe.write().await;
                }
            }
            3 => {
                if let Ok(_r) = rw.acquire_read().deadline(TINY).await {
                    probe.read(max).await;
                }
            }
            4 => {
                if let Some(_r) = rw.try_acquire_read() {
                    probe.read(max).await;
                }
            }
            _ => {
                let _r = rw.acquire_read().await;
                probe.read(max).await;
            }
        }
    }
}

#[test]
fn rwlock_writers_alone_readers_bounded_on_tokio() {
    watchdog("rwlock-tokio", || {
        let rw = Arc::new(RwLock::new(3));
        let probe = Arc::new(RwProbe::default());
        multi_thread(4).block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|who| {
                    let (rw, probe) = (rw.clone(), probe.clone());
                    tokio::spawn(async move { rwlock_rounds(&rw, &probe, who, 1000).await })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(probe.racy.load(SeqCst), probe.writes.load(SeqCst));
        assert!(
            probe.writes.load(SeqCst) >= 8 * 100,
            "every plain write got in"
        );
        assert!(!rw.locked());
        assert!(rw.try_acquire_write().is_some(), "every token came back");
    });
}

#[test]
fn rwlock_writers_alone_readers_bounded_on_os_threads() {
    watchdog("rwlock-threads", || {
        let rw = Arc::new(RwLock::new(2));
        let probe = Arc::new(RwProbe::default());
        let (r, p) = (rw.clone(), probe.clone());
        on_threads(4, move |who| {
            let (rw, probe) = (r.clone(), p.clone());
            async move { rwlock_rounds(&rw, &probe, who, 1000).await }
        });
        assert_eq!(probe.racy.load(SeqCst), probe.writes.load(SeqCst));
        assert!(probe.most_readers.load(SeqCst) <= 2);
        assert!(rw.try_acquire_write().is_some(), "every token came back");
    });
}

// ----------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore

#[test]
fn semaphore_never_has_more_than_k_holders() {
    const K: usize = 3;
    watchdog("semaphore", || {
        let sem = Arc::new(Semaphore::new(K));
        let section = Arc::new(Section::default());
        multi_thread(4).block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|t| {
                    let (sem, section) = (sem.clone(), section.clone());
                    tokio::spawn(async move {
                        for i in 0..1000 {
                            match (t + i) % 4 {
                                0 => {
                                    sem.acquire().await.forget();
                                    section.shared(K).await;
                                    sem.release();
                                }
                                1 => match sem.acquire().deadline(TINY).await {
                                    Ok(_g) => section.shared(K).await,
                                    Err(_) => section.skip(),
                                },
                                _ => {
                                    let _g = sem.acquire().await;
                                    section.shared(K).await;
                                }
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(sem.counter(), K, "every token came back");
        assert_eq!(section.entries() + section.skipped(), 8 * 1000);
    });
}

#[test]
fn bounded_semaphore_never_exceeds_its_bound() {
    const K: usize = 2;
    watchdog("bounded-semaphore", || {
        let sem = Arc::new(BoundedSemaphore::new(K));
        let section = Arc::new(Section::default());
        let (s, sec) = (sem.clone(), section.clone());
        on_threads(4, move |t| {
            let (sem, section) = (s.clone(), sec.clone());
            async move {
                for i in 0..1000 {
                    match (t + i) % 5 {
                        0 => {
                            sem.acquire().await.forget();
                            section.shared(K).await;
                            sem.release().unwrap();
                            assert!(sem.counter() <= K);
                        }
                        1 => {
                            if let Some(_g) = sem.try_acquire() {
                                section.shared(K).await;
                            }
                        }
                        2 => {
                            if let Ok(_g) = sem.acquire().deadline(TINY).await {
                                section.shared(K).await;
                            }
                        }
                        _ => {
                            let _g = sem.acquire().await;
                            section.shared(K).await;
                            assert!(sem.counter() < K);
                        }
                    }
                }
            }
        });
        assert_eq!(sem.counter(), K);
        assert_eq!(sem.release(), Err(TooManyReleases));
        assert_eq!(sem.counter(), K);
    });
}

// ----------------------------------------------------------------------------------------
// No lost wake-ups

#[test]
fn condition_notified_from_other_threads_wakes_every_waiter() {
    const WAITERS: usize = 32;
    const ROUNDS: usize = 60;
    watchdog("condition", || {
        let cond = Arc::new(Condition::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let total = WAITERS * ROUNDS;
        let notifiers: Vec<_> = (0..2)
            .map(|n| {
                let (cond, woken) = (cond.clone(), woken.clone());
                thread::spawn(move || {
                    while woken.load(SeqCst) < total {
                        if cond.waiters() > 0 {
                            if n == 0 {
                                cond.notify(1);
                            } else {
                                cond.notify_all();
                            }
                        }
                        thread::yield_now();
                    }
                })
            })
            .collect();
        multi_thread(4).block_on(async {
            let tasks: Vec<_> = (0..WAITERS)
                .map(|t| {
                    let (cond, woken) = (cond.clone(), woken.clone());
                    tokio::spawn(async move {
                        let mut done = 0;
                        let mut i = 0;
                        while done < ROUNDS {
                            i += 1;
                            let ok = if (t + i) % 5 == 0 {
                                cond.wait().deadline(TINY).await.is_ok()
                            } else {
                                cond.wait().await;
                                true
                            };
                            if ok {
                                done += 1;
                                woken.fetch_add(1, SeqCst);
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        for n in notifiers {
            n.join().unwrap();
        }
        assert_eq!(woken.load(SeqCst), total);
        assert_eq!(cond.waiters(), 0);
    });
}

#[test]
fn event_pulses_from_another_thread_release_every_registered_waiter() {
    const WAITERS: usize = 8;
    const ROUNDS: usize = 100;
    watchdog("event", || {
        let event = Arc::new(Event::new());
        // How many waits each waiter has registered so far.
        let registered: Arc<Vec<AtomicUsize>> =
            Arc::new((0..WAITERS).map(|_| AtomicUsize::new(0)).collect());
        let setter = {
            let (event, registered) = (event.clone(), registered.clone());
            thread::spawn(move || {
                for round in 1..=ROUNDS {
                    // Every waiter has registered its wait of this round (a waiter that
                    // called `wait` while the event was still set went through at once
                    // and may be ahead).
                    while registered.iter().any(|r| r.load(SeqCst) < round) {
                        thread::yield_now();
                    }
                    // A pulse: every waiter present at `set` is released, even though
                    // `clear` follows at once.
                    event.set();
                    event.clear();
                }
            })
        };
        let (e, r) = (event.clone(), registered.clone());
        on_threads(WAITERS, move |who| {
            let (event, registered) = (e.clone(), r.clone());
            async move {
                for _ in 0..ROUNDS {
                    let wait = event.wait(); // registered at the call
                    registered[who].fetch_add(1, SeqCst);
                    wait.await;
                }
            }
        });
        setter.join().unwrap();
        assert_eq!(event.waiters(), 0);
    });
}

#[test]
fn events_set_from_another_thread_release_waiters_on_tokio() {
    const EVENTS: usize = 200;
    watchdog("events-tokio", || {
        let events: Arc<Vec<Event>> = Arc::new((0..EVENTS).map(|_| Event::new()).collect());
        let passed = Arc::new(AtomicUsize::new(0));
        let rt = multi_thread(4);
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (events, passed) = (events.clone(), passed.clone());
                rt.spawn(async move {
                    for ev in events.iter() {
                        ev.wait().await;
                        passed.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for ev in events.iter() {
            ev.set();
            thread::yield_now();
        }
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        assert_eq!(passed.load(SeqCst), 16 * EVENTS);
    });
}

/// Two tasks on two workers pass the turn back and forth through two events (set the
/// other's, wait for your own, clear it): a `set` that released a waiter which joined
/// after a later `clear` (the `set` still on its way to the line) let one side run ahead,
/// and the other then waited forever. Each wait must find its event set. Fresh pairs of
/// tasks, so that they start on either worker. (The race needs a narrow window: the
/// `wakeup_pingpong/mt2` bench found it in release builds; the loom model
/// `event_set_does_not_release_a_waiter_after_a_later_clear` is its deterministic test.)
#[test]
fn event_ping_pong_between_workers_never_runs_ahead() {
    const PAIRS: usize = 1_000;
    const ROUNDS: usize = 64;
    watchdog("event-ping-pong", || {
        let events = Arc::new((Event::new(), Event::new()));
        let rt = multi_thread(2);
        rt.block_on(async {
            for _ in 0..PAIRS {
                let (a, b) = (events.clone(), events.clone());
                let ping = tokio::spawn(async move {
                    let (ping, pong) = &*a;
                    for _ in 0..ROUNDS {
                        ping.set();
                        pong.wait().await;
                        assert!(
                            pong.is_set(),
                            "released by a set that came before the clear"
                        );
                        pong.clear();
                    }
                });
                let pong = tokio::spawn(async move {
                    let (ping, pong) = &*b;
                    for _ in 0..ROUNDS {
                        ping.wait().await;
                        assert!(
                            ping.is_set(),
                            "released by a set that came before the clear"
                        );
                        ping.clear();
                        pong.set();
                    }
                });
                ping.await.unwrap();
                pong.await.unwrap();
            }
        });
    });
}

#[test]
fn semaphore_releases_from_other_threads_reach_every_acquirer() {
    const ACQUIRERS: usize = 32;
    const EACH: usize = 100;
    watchdog("semaphore-wakeups", || {
        let sem = Arc::new(Semaphore::new(0));
        let releasers: Vec<_> = (0..2)
            .map(|_| {
                let sem = sem.clone();
                thread::spawn(move || {
                    for i in 0..ACQUIRERS * EACH / 2 {
                        sem.release();
                        if i % 16 == 0 {
                            thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let timeouts = Arc::new(AtomicUsize::new(0));
        multi_thread(4).block_on(async {
            let tasks: Vec<_> = (0..ACQUIRERS)
                .map(|t| {
                    let (sem, timeouts) = (sem.clone(), timeouts.clone());
                    tokio::spawn(async move {
                        let mut got = 0;
                        while got < EACH {
                            if (t + got) % 3 == 0 {
                                // A tiny deadline that often fires: a timed-out acquirer
                                // must never take a token with it.
                                match sem.acquire().deadline(TINY).await {
                                    Ok(g) => {
                                        g.forget();
                                        got += 1;
                                    }
                                    Err(_) => {
                                        timeouts.fetch_add(1, SeqCst);
                                    }
                                }
                            } else {
                                sem.acquire().await.forget();
                                got += 1;
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        for r in releasers {
            r.join().unwrap();
        }
        assert_eq!(sem.counter(), 0, "exactly the released tokens were taken");
    });
}

// ----------------------------------------------------------------------------------------
// Queues: exactly-once delivery

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;
const PER_PRODUCER: u64 = 2000;

fn item(producer: usize, i: u64) -> u64 {
    producer as u64 * 1_000_000 + i
}

fn all_items() -> Vec<u64> {
    (0..PRODUCERS)
        .flat_map(|p| (0..PER_PRODUCER).map(move |i| item(p, i)))
        .collect()
}

/// Hands each consumer the right to one more item, until all are spoken for: every claim
/// is matched by exactly one item put, so a consumer never waits for an item that will
/// never come.
struct Claims(AtomicUsize);

impl Claims {
    fn new() -> Self {
        Claims(AtomicUsize::new(PRODUCERS * PER_PRODUCER as usize))
    }

    fn claim(&self) -> bool {
        self.0
            .fetch_update(SeqCst, SeqCst, |left| left.checked_sub(1))
            .is_ok()
    }
}

/// Checks exactly-once delivery: every item arrived, none twice, none invented.
fn assert_exactly_once(received: Vec<Vec<u64>>) {
    let mut all: Vec<u64> = received.into_iter().flatten().collect();
    let count = all.len();
    all.sort_unstable();
    let unique: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(unique.len(), count, "an item was delivered twice");
    assert_eq!(all, all_items(), "an item was lost or invented");
}

/// In a FIFO queue one consumer sees each producer's items in the order they were put.
fn assert_fifo_per_producer(received: &[Vec<u64>]) {
    for seen in received {
        for p in 0..PRODUCERS as u64 {
            let mine: Vec<u64> = seen
                .iter()
                .copied()
                .filter(|x| x / 1_000_000 == p)
                .collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "FIFO order broken");
        }
    }
}

macro_rules! mpmc_on_threads {
    ($name:ident, $Q:ident, fifo: $fifo:expr) => {
        #[test]
        fn $name() {
            watchdog(stringify!($name), || {
                let q = Arc::new($Q::new(8));
                let claims = Arc::new(Claims::new());
                let received = Arc::new(Mutex::new(Vec::new()));
                let (qq, cl, rx) = (q.clone(), claims.clone(), received.clone());
                on_threads(PRODUCERS + CONSUMERS, move |who| {
                    let (q, claims, received) = (qq.clone(), cl.clone(), rx.clone());
                    async move {
                        if who < PRODUCERS {
                            for i in 0..PER_PRODUCER {
                                q.put(item(who, i)).await;
                            }
                        } else {
                            let mut got = Vec::new();
                            while claims.claim() {
                                got.push(q.get().await);
                            }
                            received.lock().unwrap().push(got);
                        }
                    }
                });
                let received = std::mem::take(&mut *received.lock().unwrap());
                if $fifo {
                    assert_fifo_per_producer(&received);
                }
                assert_exactly_once(received);
                assert!(q.empty());
            });
        }
    };
}

mpmc_on_threads!(queue_mpmc_on_os_threads, Queue, fifo: true);
mpmc_on_threads!(lifo_queue_mpmc_on_os_threads, LifoQueue, fifo: false);
mpmc_on_threads!(priority_queue_mpmc_on_os_threads, PriorityQueue, fifo: false);

#[test]
fn queue_mpmc_on_tokio_workers() {
    watchdog("queue-tokio", || {
        let q = Arc::new(Queue::new(8));
        let claims = Arc::new(Claims::new());
        let received = multi_thread(4).block_on(async {
            for p in 0..PRODUCERS {
                let q = q.clone();
                tokio::spawn(async move {
                    for i in 0..PER_PRODUCER {
                        q.put(item(p, i)).await;
                    }
                });
            }
            let consumers: Vec<_> = (0..CONSUMERS)
                .map(|_| {
                    let (q, claims) = (q.clone(), claims.clone());
                    tokio::spawn(async move {
                        let mut got = Vec::new();
                        while claims.claim() {
                            got.push(q.get().await);
                        }
                        got
                    })
                })
                .collect();
            let mut received = Vec::new();
            for c in consumers {
                received.push(c.await.unwrap());
            }
            received
        });
        assert_fifo_per_producer(&received);
        assert_exactly_once(received);
        assert!(q.empty());
    });
}

/// Puts with deadlines that fire under load: every timed-out put's item comes back in the
/// `Timeout` and is put again; gets with deadlines retry. Consumers start only after some
/// put has timed out, so the timeout path is always exercised.
#[test]
fn timed_out_puts_are_reput_and_nothing_is_lost_on_tokio() {
    watchdog("timed-puts-tokio", || {
        let q = Arc::new(Queue::new(2));
        let claims = Arc::new(Claims::new());
        let put_timeouts = Arc::new(AtomicUsize::new(0));
        let get_timeouts = Arc::new(AtomicUsize::new(0));
        let received = multi_thread(4).block_on(async {
            for p in 0..PRODUCERS {
                let (q, put_timeouts) = (q.clone(), put_timeouts.clone());
                tokio::spawn(async move {
                    for i in 0..PER_PRODUCER {
                        let mut x = item(p, i);
                        let mut attempt = 0u32;
                        loop {
                            let deadline = match attempt % 3 {
                                0 => Duration::ZERO,
                                1 => Duration::from_micros(50),
                                _ => Duration::from_millis(1),
                            };
                            match q.put(x).deadline(deadline).await {
                                Ok(()) => break,
                                Err(timeout) => {
                                    put_timeouts.fetch_add(1, SeqCst);
                                    x = timeout.into_inner();
                                    attempt += 1;
                                }
                            }
                        }
                    }
                });
            }
            while put_timeouts.load(SeqCst) == 0 {
                tokio::task::yield_now().await;
            }
            let consumers: Vec<_> = (0..CONSUMERS)
                .map(|c| {
                    let (q, claims, get_timeouts) =
                        (q.clone(), claims.clone(), get_timeouts.clone());
                    tokio::spawn(async move {
                        let mut got = Vec::new();
                        while claims.claim() {
                            let mut attempt = c;
                            loop {
                                let deadline = if attempt % 2 == 0 {
                                    Duration::from_micros(30)
                                } else {
                                    Duration::from_millis(2)
                                };
                                match q.get().deadline(deadline).await {
                                    Ok(x) => {
                                        got.push(x);
                                        break;
                                    }
                                    Err(_) => {
                                        get_timeouts.fetch_add(1, SeqCst);
                                        attempt += 1;
                                    }
                                }
                            }
                        }
                        got
                    })
                })
                .collect();
            let mut received = Vec::new();
            for c in consumers {
                received.push(c.await.unwrap());
            }
            received
        });
        assert!(put_timeouts.load(SeqCst) > 0);
        assert_fifo_per_producer(&received);
        assert_exactly_once(received);
        assert!(q.empty());
        assert!(q.get_nowait().is_err());
    });
}

/// Getters with tiny deadlines race the hand-off: an item handed to a getter whose deadline
/// fires at the same moment must reach someone. Producers start only after some get has
/// timed out, so the timeout path is always exercised.
#[test]
fn timed_out_gets_lose_no_item_on_os_threads() {
    watchdog("timed-gets-threads", || {
        let q = Arc::new(Queue::new(4));
        let claims = Arc::new(Claims::new());
        let get_timeouts = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (qq, cl, gt, rx) = (
            q.clone(),
            claims.clone(),
            get_timeouts.clone(),
            received.clone(),
        );
        on_threads(PRODUCERS + CONSUMERS, move |who| {
            let (q, claims, get_timeouts, received) =
                (qq.clone(), cl.clone(), gt.clone(), rx.clone());
            async move {
                if who < PRODUCERS {
                    while get_timeouts.load(SeqCst) == 0 {
                        yield_now().await;
                    }
                    for i in 0..PER_PRODUCER {
                        let mut x = item(who, i);
                        // Deadlines on puts too: a timed-out put's item is put again.
                        while let Err(timeout) = q.put(x).deadline(Duration::from_micros(200)).await
                        {
                            x = timeout.into_inner();
                        }
                        if i % 64 == 0 {
                            yield_now().await;
                        }
                    }
                } else {
                    let mut got = Vec::new();
                    while claims.claim() {
                        loop {
                            match q.get().deadline(Duration::from_micros(20)).await {
                                Ok(x) => {
                                    got.push(x);
                                    break;
                                }
                                Err(_) => {
                                    get_timeouts.fetch_add(1, SeqCst);
                                }
                            }
                        }
                    }
                    received.lock().unwrap().push(got);
                }
            }
        });
        assert!(get_timeouts.load(SeqCst) > 0);
        let received = std::mem::take(&mut *received.lock().unwrap());
        assert_fifo_per_producer(&received);
        assert_exactly_once(received);
        assert!(q.empty());
    });
}

/// Unbounded queue, items put with `put_nowait` from OS threads while tokio getters wait
/// with deadlines that keep firing: direct hand-offs race timeouts.
#[test]
fn handoffs_racing_getter_deadlines_lose_nothing_on_tokio() {
    watchdog("handoff-vs-deadline", || {
        let q = Arc::new(Queue::new(0));
        let claims = Arc::new(Claims::new());
        let get_timeouts = Arc::new(AtomicUsize::new(0));
        let rt = multi_thread(4);
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (q, claims, get_timeouts) = (q.clone(), claims.clone(), get_timeouts.clone());
                rt.spawn(async move {
                    let mut got = Vec::new();
                    while claims.claim() {
                        loop {
                            match q.get().deadline(Duration::from_micros(10)).await {
                                Ok(x) => {
                                    got.push(x);
                                    break;
                                }
                                Err(_) => {
                                    get_timeouts.fetch_add(1, SeqCst);
                                }
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        while get_timeouts.load(SeqCst) == 0 {
            thread::yield_now();
        }
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        q.put_nowait(item(p, i)).unwrap();
                        if i % 8 == 0 {
                            thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let received = rt.block_on(async {
            let mut received = Vec::new();
            for c in consumers {
                received.push(c.await.unwrap());
            }
            received
        });
        assert_fifo_per_producer(&received);
        assert_exactly_once(received);
        assert!(q.empty());
    });
}

/// JoinableQueue: consumers call `task_done` after processing; `join` called once the
/// producers are done completes only when every item was processed.
#[test]
fn joinable_queue_join_completes_only_at_zero() {
    watchdog("joinable", || {
        let q = Arc::new(JoinableQueue::new(4));
        let processed = Arc::new(AtomicUsize::new(0));
        let total = PRODUCERS * PER_PRODUCER as usize;
        let rt = multi_thread(4);
        let stop = Arc::new(AtomicBool::new(false));
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (q, processed, stop) = (q.clone(), processed.clone(), stop.clone());
                rt.spawn(async move {
                    let mut got = Vec::new();
                    while !stop.load(SeqCst) {
                        // Short deadline so the consumer notices `stop`.
                        if let Ok(x) = q.get().deadline(Duration::from_millis(1)).await {
                            yield_now().await;
                            got.push(x);
                            processed.fetch_add(1, SeqCst);
                            q.task_done().unwrap();
                        }
                    }
                    got
                })
            })
            .collect();
        // Producers on OS threads, each on its own toro loop.
        let (qq, done_putting) = (q.clone(), Arc::new(AtomicUsize::new(0)));
        let dp = done_putting.clone();
        on_threads(PRODUCERS, move |p| {
            let (q, dp) = (qq.clone(), dp.clone());
            async move {
                for i in 0..PER_PRODUCER {
                    q.put(item(p, i)).await;
                }
                dp.fetch_add(1, SeqCst);
            }
        });
        assert_eq!(done_putting.load(SeqCst), PRODUCERS);
        // Several joiners, on other threads and on the runtime, all after the last put.
        let thread_joiners: Vec<_> = (0..2)
            .map(|_| {
                let (q, processed) = (q.clone(), processed.clone());
                thread::spawn(move || {
                    toro::block_on(q.join());
                    assert_eq!(processed.load(SeqCst), total, "join completed early");
                })
            })
            .collect();
        rt.block_on(q.join());
        assert_eq!(processed.load(SeqCst), total, "join completed early");
        assert_eq!(q.unfinished_tasks(), 0);
        for j in thread_joiners {
            j.join().unwrap();
        }
        stop.store(true, SeqCst);
        let received = rt.block_on(async {
            let mut received = Vec::new();
            for c in consumers {
                received.push(c.await.unwrap());
            }
            received
        });
        assert_exactly_once(received);
        assert_eq!(
            q.task_done().unwrap_err().to_string(),
            "task_done() called too many times"
        );
    });
}

// ----------------------------------------------------------------------------------------
// Compaction under contention: lines long enough (512 waiters) that a burst leaving makes
// their slab compact (see toro-core/src/waiters/list.rs), while the waiters that stay are polled, granted and
// dropped from other workers.

/// Waiters in each burst; one in [`PATIENT`] waits for good, the rest time out.
const BURST: usize = 512;
const PATIENT: usize = 8;

/// Holds `hold` while a burst of `BURST` waiters lines up behind it; all but one in
/// [`PATIENT`] time out (so the line becomes short and is compacted), then `hold` is
/// dropped and the patient ones must each get in exactly once.
#[test]
fn compacted_lines_lose_no_waiter_on_tokio() {
    watchdog("compaction", || {
        let lock = Arc::new(Lock::new());
        let sem = Arc::new(Semaphore::new(4));
        let section = Arc::new(Section::default());
        let sem_section = Arc::new(Section::default());
        multi_thread(4).block_on(async {
            for burst in 1..=6 {
                let held = lock.acquire().await;
                let all_four = sem.acquire_many(4).await;
                let patience = |i: usize| {
                    if i % PATIENT == 0 {
                        Duration::from_secs(30)
                    } else {
                        Duration::from_micros(20 + 3 * i as u64)
                    }
                };
                let mut tasks = Vec::new();
                for i in 0..BURST {
                    let (lock, section) = (lock.clone(), section.clone());
                    tasks.push(tokio::spawn(async move {
                        match lock.acquire().deadline(patience(i)).await {
                            Ok(_guard) => section.exclusive().await,
                            Err(_) => section.skip(),
                        }
                    }));
                    // A semaphore waiter asks for 1 or 2 tokens: partial grants move
                    // with their entries.
                    let (sem, sem_section) = (sem.clone(), sem_section.clone());
                    tasks.push(tokio::spawn(async move {
                        match sem.acquire_many(1 + i % 2).deadline(patience(i)).await {
                            Ok(_permits) => sem_section.shared(4).await,
                            Err(_) => sem_section.skip(),
                        }
                    }));
                }
                let impatient = burst * (BURST - BURST / PATIENT);
                while section.skipped() < impatient || sem_section.skipped() < impatient {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                drop(held);
                drop(all_four);
                for t in tasks {
                    t.await.unwrap();
                }
                assert_eq!(section.entries(), burst * BURST / PATIENT);
                assert_eq!(sem_section.entries(), burst * BURST / PATIENT);
            }
        });
        assert!(!lock.locked());
        assert_eq!(sem.counter(), 4);
        section.assert_no_lost_update();
    });
}

/// Getters in bursts of [`BURST`], most timing out so the line compacts, while items are
/// handed to the patient ones from OS threads: every item is received exactly once.
#[test]
fn compacted_getter_lines_lose_no_item_on_tokio() {
    watchdog("getter-compaction", || {
        let q = Arc::new(Queue::new(0));
        let timeouts = Arc::new(AtomicUsize::new(0));
        let rt = multi_thread(4);
        let mut received = Vec::new();
        for burst in 1..=6u64 {
            let getters: Vec<_> = (0..BURST)
                .map(|i| {
                    let (q, timeouts) = (q.clone(), timeouts.clone());
                    rt.spawn(async move {
                        let patience = if i % PATIENT == 0 {
                            Duration::from_secs(30)
                        } else {
                            Duration::from_micros(20 + 3 * i as u64)
                        };
                        match q.get().deadline(patience).await {
                            Ok(item) => Some(item),
                            Err(_) => {
                                timeouts.fetch_add(1, SeqCst);
                                None
                            }
                        }
                    })
                })
                .collect();
            let impatient = burst as usize * (BURST - BURST / PATIENT);
            while timeouts.load(SeqCst) < impatient {
                thread::sleep(Duration::from_micros(200));
            }
            let q2 = q.clone();
            thread::spawn(move || {
                for i in 0..(BURST / PATIENT) as u64 {
                    q2.put_nowait(burst * 1000 + i).unwrap();
                }
            })
            .join()
            .unwrap();
            rt.block_on(async {
                for g in getters {
                    received.extend(g.await.unwrap());
                }
            });
        }
        received.sort_unstable();
        let expected: Vec<u64> = (1..=6u64)
            .flat_map(|b| (0..(BURST / PATIENT) as u64).map(move |i| b * 1000 + i))
            .collect();
        assert_eq!(received, expected);
        assert!(q.empty());
    });
}
