//! What both bench targets share (`mod common;`): the criterion configuration, the
//! runtimes the task rows run on and the loop that times spawned tasks.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use criterion::{Bencher, Criterion};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// The whole suite (both bench targets) must stay under 5 minutes on 2 cores.
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
const HUNG: Duration = Duration::from_secs(30);

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
