//! Multi-thread stress of the data locks: read-modify-write increments through owned guards
//! with a yield inside the critical section, on a tokio multi-thread runtime and on OS
//! threads each running `toro::block_on`; an `RwLock` whose readers check an
//! invariant its writers keep. A lost update, two holders at once or a torn read fails;
//! a lost wake-up hangs and the watchdog fails the test.

mod support;
use support::yield_now;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use toro::{Lock, RwLock};

// ----------------------------------------------------------------------------------------
// Harness

/// Generous: each test takes well under a second; only a hang gets near this.
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

/// Runs `tasks` tasks, `body(i)`, spawned on a tokio runtime with 2 worker threads.
fn on_tokio<F, Fut>(tasks: usize, body: F)
where
    F: Fn(usize) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(async move {
            let handles: Vec<_> = (0..tasks).map(|i| tokio::spawn(body(i))).collect();
            for handle in handles {
                handle.await.expect("task panicked");
            }
        })
}

/// Runs `tasks` tasks, `body(i)`, on 4 OS threads, each driving its share of the tasks
/// (joined) with `toro::block_on`.
fn on_threads<F, Fut>(tasks: usize, body: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    const THREADS: usize = 4;
    let body = Arc::new(body);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let body = body.clone();
            thread::spawn(move || {
                let mine = (t..tasks).step_by(THREADS).map(|i| body(i));
                toro::block_on(futures::future::join_all(mine));
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread panicked");
    }
}

// ----------------------------------------------------------------------------------------
// Lock<u64>: exact count.

const TASKS: usize = 8;
const ROUNDS: u64 = 1000;

/// Counts who is inside an exclusive section; fails on overlap.
#[derive(Default)]
struct Inside(AtomicUsize);

impl Inside {
    fn enter(&self) {
        assert_eq!(self.0.fetch_add(1, SeqCst), 0, "two holders at once");
    }
    fn leave(&self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// One task: `ROUNDS` read-yield-write increments through owned guards; every 8th round
/// the guard is moved to a spawned OS thread, which writes and drops it (the owned guard
/// dropped on another thread).
async fn increments(lock: Arc<Lock<u64>>, inside: Arc<Inside>) {
    for round in 0..ROUNDS {
        let mut guard = lock.acquire_owned().await;
        inside.enter();
        let seen = *guard;
        yield_now().await;
        if round % 8 == 7 {
            let inside = inside.clone();
            thread::spawn(move || {
                *guard = seen + 1;
                inside.leave();
                drop(guard);
            })
            .join()
            .unwrap();
        } else {
            *guard = seen + 1;
            inside.leave();
        }
    }
}

fn check_count(lock: Arc<Lock<u64>>) {
    assert!(!lock.locked());
    let lock = Arc::try_unwrap(lock).expect("no guard or future leaked an Arc");
    assert_eq!(lock.into_inner(), TASKS as u64 * ROUNDS, "lost updates");
}

#[test]
fn lock_counts_exactly_across_tokio_workers() {
    watchdog("lock on tokio", || {
        let lock = Arc::new(Lock::with_value(0u64));
        let inside = Arc::new(Inside::default());
        let (l, i) = (lock.clone(), inside.clone());
        on_tokio(TASKS, move |_| increments(l.clone(), i.clone()));
        check_count(lock);
    });
}

#[test]
fn lock_counts_exactly_across_os_threads() {
    watchdog("lock on threads", || {
        let lock = Arc::new(Lock::with_value(0u64));
        let inside = Arc::new(Inside::default());
        let (l, i) = (lock.clone(), inside.clone());
        on_threads(TASKS, move |_| increments(l.clone(), i.clone()));
        check_count(lock);
    });
}

// ----------------------------------------------------------------------------------------
// RwLock<(u64, u64)>: writers keep the two fields equal, readers never see them differ.

const MAX_READERS: usize = 3;
const WRITERS: usize = 3;
const WRITES: u64 = 300;
const READS: usize = 300;

#[derive(Default)]
struct RwProbe {
    readers: AtomicUsize,
    writers: AtomicUsize,
    reads: AtomicUsize,
}

impl RwProbe {
    fn read_enter(&self) {
        assert_eq!(self.writers.load(SeqCst), 0, "a reader beside a writer");
        let now = self.readers.fetch_add(1, SeqCst) + 1;
        assert!(now <= MAX_READERS, "{now} readers, max {MAX_READERS}");
    }
    fn read_leave(&self) {
        self.readers.fetch_sub(1, SeqCst);
        self.reads.fetch_add(1, SeqCst);
    }
    fn write_enter(&self) {
        assert_eq!(self.writers.fetch_add(1, SeqCst), 0, "two writers");
        assert_eq!(self.readers.load(SeqCst), 0, "a writer beside a reader");
    }
    fn write_leave(&self) {
        self.writers.fetch_sub(1, SeqCst);
    }
}

/// Task `who`: the first `WRITERS` write (one field, yield, the other; every 4th write
/// downgrades and re-checks as a reader), the others read (check, yield, check again).
async fn rw_task(rw: Arc<RwLock<(u64, u64)>>, probe: Arc<RwProbe>, who: usize) {
    if who < WRITERS {
        for i in 0..WRITES {
            let mut w = rw.acquire_write_owned().await;
            probe.write_enter();
            assert_eq!(w.0, w.1, "a writer found the invariant broken");
            w.0 += 1;
            yield_now().await;
            w.1 += 1;
            if i % 4 == 3 {
                probe.write_leave();
                let r = w.downgrade();
                probe.read_enter();
                assert_eq!(r.0, r.1);
                yield_now().await;
                assert_eq!(r.0, r.1);
                probe.read_leave();
                drop(r);
            } else {
                probe.write_leave();
                drop(w);
            }
        }
    } else {
        for _ in 0..READS {
            let r = rw.acquire_read_owned().await;
            probe.read_enter();
            let seen = *r;
            assert_eq!(seen.0, seen.1, "a torn read");
            yield_now().await;
            assert_eq!(*r, seen, "the data changed under a reader");
            probe.read_leave();
            drop(r);
        }
    }
}

fn check_rw(rw: Arc<RwLock<(u64, u64)>>, probe: &RwProbe) {
    let total = WRITERS as u64 * WRITES;
    assert_eq!(
        probe.reads.load(SeqCst),
        (TASKS - WRITERS) * READS + (total / 4) as usize
    );
    let rw = Arc::try_unwrap(rw).expect("no guard leaked an Arc");
    assert_eq!(rw.into_inner(), (total, total), "lost writes");
}

#[test]
fn rwlock_readers_never_see_a_half_write_on_tokio() {
    watchdog("rwlock on tokio", || {
        let rw = Arc::new(RwLock::with_value((0u64, 0u64), MAX_READERS));
        let probe = Arc::new(RwProbe::default());
        let (r, p) = (rw.clone(), probe.clone());
        on_tokio(TASKS, move |who| rw_task(r.clone(), p.clone(), who));
        check_rw(rw, &probe);
    });
}

#[test]
fn rwlock_readers_never_see_a_half_write_on_os_threads() {
    watchdog("rwlock on threads", || {
        let rw = Arc::new(RwLock::with_value((0u64, 0u64), MAX_READERS));
        let probe = Arc::new(RwProbe::default());
        let (r, p) = (rw.clone(), probe.clone());
        on_threads(TASKS, move |who| rw_task(r.clone(), p.clone(), who));
        check_rw(rw, &probe);
    });
}
