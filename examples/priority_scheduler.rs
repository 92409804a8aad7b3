//! A job scheduler on a [`PriorityQueue`]: two workers always take the most urgent job
//! waiting (lowest priority value first, first come first served among equals).
//!
//! ```text
//! cargo run --example priority_scheduler
//! cargo run --example priority_scheduler --features tokio   # or smol, async-std
//! ```
//!
//! It shows:
//! - `PriorityQueue::with_items` to start with a backlog;
//! - an `Ord` on the priority alone, so that jobs of equal priority compare equal and the
//!   queue keeps them in the order they were put (toro's PriorityQueue is FIFO among
//!   equals; Python's heapq is not);
//! - jobs that schedule follow-up jobs, and an urgent job that arrives while the workers
//!   are busy and goes ahead of everything still waiting;
//! - shutting the workers down with "stop" jobs of the lowest priority: each worker takes
//!   one only when no real job is waiting. A worker still running a job has not taken its
//!   stop yet, so a follow-up it schedules is run before it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::join_all;
use toro::{LoopHandle, PriorityQueue};

/// 0 is the most urgent.
type Priority = u8;

const URGENT: Priority = 0;
const HIGH: Priority = 1;
const NORMAL: Priority = 2;
const LOW: Priority = 3;
/// Below everything: a worker takes it only when no real job waits.
const STOP: Priority = Priority::MAX;

const WORKERS: [&str; 2] = ["worker A", "worker B"];

#[derive(Debug)]
struct Job {
    priority: Priority,
    name: String,
    cost: Duration,
    /// A job to schedule when this one is done.
    then: Option<Box<Job>>,
}

impl Job {
    fn new(priority: Priority, name: &str, cost_ms: u64) -> Self {
        Job {
            priority,
            name: name.to_owned(),
            cost: Duration::from_millis(cost_ms),
            then: None,
        }
    }

    fn then(mut self, next: Job) -> Self {
        self.then = Some(Box::new(next));
        self
    }

    fn stop() -> Self {
        Job::new(STOP, "stop", 0)
    }
}

// Jobs are ordered by priority alone: equal priorities compare equal, and the queue then
// keeps them first come, first served.
impl Ord for Job {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.cmp(&other.priority)
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority
    }
}

impl Eq for Job {}

/// What happened, in order: (when, worker, priority, job).
type Log = Mutex<Vec<(Duration, &'static str, Priority, String)>>;

#[toro::main]
async fn main() {
    let backlog = vec![
        Job::new(LOW, "rebuild search index", 30),
        Job::new(NORMAL, "resize thumbnails", 20),
        Job::new(HIGH, "charge card #1", 10).then(Job::new(NORMAL, "email receipt #1", 5)),
        Job::new(LOW, "send newsletter", 30),
        Job::new(HIGH, "charge card #2", 10).then(Job::new(NORMAL, "email receipt #2", 5)),
        Job::new(NORMAL, "refresh cache", 20),
        Job::new(HIGH, "charge card #3", 10).then(Job::new(NORMAL, "email receipt #3", 5)),
    ];
    let seeded: Vec<(Priority, String)> = backlog
        .iter()
        .map(|job| (job.priority, job.name.clone()))
        .collect();
    let queue = PriorityQueue::with_items(0, backlog);
    println!(
        "{} jobs in the backlog; {} workers start",
        queue.qsize(),
        WORKERS.len()
    );

    let log = Log::default();
    let start = Instant::now();
    let workers = join_all(WORKERS.map(|name| worker(name, &queue, &log, start)));
    let submitter = async {
        // A job from outside, while the workers are busy: it goes ahead of the backlog.
        sleep(Duration::from_millis(25)).await;
        println!(
            "  +{:>3} ms  (an urgent job arrives)",
            start.elapsed().as_millis()
        );
        queue.put(Job::new(URGENT, "security patch", 10)).await;
        // Nothing more to submit: one stop per worker, behind every real job.
        for _ in WORKERS {
            queue.put(Job::stop()).await;
        }
        println!(
            "  +{:>3} ms  (nothing more to submit: {} stop jobs queued behind every real job)",
            start.elapsed().as_millis(),
            WORKERS.len()
        );
    };
    futures::join!(workers, submitter);

    let log = lock(&log);
    // Every job ran exactly once: the backlog, its follow-ups and the urgent one.
    let mut ran: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, _, name) in log.iter() {
        *ran.entry(name).or_default() += 1;
    }
    assert_eq!(log.len(), seeded.len() + 3 + 1, "{log:?}");
    assert!(ran.values().all(|&n| n == 1), "a job ran twice: {ran:?}");
    // The backlog was started in priority order, first come first served among equals
    // (a stable sort by priority of the order it was given in).
    let mut expected = seeded.clone();
    expected.sort_by_key(|(priority, _)| *priority);
    let backlog_order: Vec<(Priority, String)> = log
        .iter()
        .filter(|(_, _, _, name)| seeded.iter().any(|(_, s)| s == name))
        .map(|(_, _, priority, name)| (*priority, name.clone()))
        .collect();
    assert_eq!(backlog_order, expected);
    println!(
        "ok: {} jobs in {} ms, each once, the backlog in priority order",
        log.len(),
        start.elapsed().as_millis()
    );
}

/// Takes the most urgent job, runs it, schedules its follow-up; leaves at a stop job.
async fn worker(name: &'static str, queue: &PriorityQueue<Job>, log: &Log, start: Instant) {
    loop {
        let job = queue.get().await;
        if job.priority == STOP {
            println!("  +{:>3} ms  {name}: stops", start.elapsed().as_millis());
            return;
        }
        let at = start.elapsed();
        println!(
            "  +{:>3} ms  {name}: {:<22} (priority {}, {} waiting)",
            at.as_millis(),
            job.name,
            job.priority,
            queue.qsize()
        );
        lock(log).push((at, name, job.priority, job.name.clone()));
        sleep(job.cost).await; // the work
        if let Some(next) = job.then {
            queue.put(*next).await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps on the current loop's clock: works on every runtime and on toro's own loop.
async fn sleep(duration: Duration) {
    let handle = LoopHandle::current();
    handle.sleep_until(handle.now() + duration).await;
}
