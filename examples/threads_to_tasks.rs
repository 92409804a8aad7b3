//! Plain threads feed async tasks through a toro [`Queue`]: each thread puts with
//! `.block()`, parking while the queue is full (back-pressure reaches the threads), and
//! async consumers `recv().await` until the queue is shut down and drained.
//!
//! ```text
//! cargo run --example threads_to_tasks
//! cargo run --example threads_to_tasks --features tokio   # or smol, async-std
//! ```
//!
//! The blocking side keeps every rule of the async one: a blocked put holds its place in
//! line, a get hands the freed slot straight to the oldest blocked put, and nothing is lost
//! or duplicated on the way.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use toro::Queue;

const THREADS: usize = 4;
const PER_THREAD: usize = 250;
const CONSUMERS: usize = 3;

#[toro::main]
async fn main() {
    // Small on purpose: the producers outrun the consumers and block.
    let queue = Arc::new(Queue::new(8));

    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    queue.put((t, i)).block();
                }
            })
        })
        .collect();
    // Once every producer is done, shut the queue: the consumers drain it and stop.
    let closer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for producer in producers {
                producer.join().expect("a producer panicked");
            }
            queue.shutdown();
        })
    };

    let consumers = (0..CONSUMERS).map(|_| {
        let queue = &queue;
        async move {
            let mut got = Vec::new();
            // A consumer also gives up after a quiet second, rather than hang forever if a
            // producer died without the queue being shut down.
            while let Ok(Ok(item)) = queue.recv().deadline(Duration::from_secs(1)).await {
                got.push(item);
            }
            got
        }
    });
    let received = futures::future::join_all(consumers).await;
    closer.join().expect("the closer panicked");

    let mut per_thread = vec![Vec::new(); THREADS];
    for (c, items) in received.iter().enumerate() {
        println!("consumer {c} took {} items", items.len());
        for &(t, i) in items {
            per_thread[t].push(i);
        }
    }
    for (t, items) in per_thread.iter_mut().enumerate() {
        items.sort_unstable();
        assert_eq!(
            *items,
            (0..PER_THREAD).collect::<Vec<_>>(),
            "thread {t}: each item once"
        );
    }
    println!(
        "{} items from {THREADS} threads reached {CONSUMERS} tasks, each exactly once",
        THREADS * PER_THREAD
    );
}
