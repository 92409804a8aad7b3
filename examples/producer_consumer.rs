//! toro's producer/consumer example on a [`JoinableQueue`], and the fix that makes the
//! consumer finish every item.
//!
//! ```text
//! cargo run --example producer_consumer
//! cargo run --example producer_consumer --features tokio   # or smol, async-std
//! ```
//!
//! toro's own example starts a producer and a consumer and then waits for `q.join()`. It
//! stops after 4 of its 10 items: `join()` completes the moment the count of unfinished
//! tasks is zero, and that happens whenever the consumer catches up with the producer,
//! long before the producer is done. Part 1 shows that; part 2 shows the right way: wait
//! for the producer to put everything, *then* join.
//!
//! Both parts end with a queue shutdown instead of a sentinel item or a flag: the consumer
//! loops on `recv()`, which ends once the queue is shut down and drained, and the producer
//! puts with `send()`, which hands its item back once the queue is shut down.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use toro::{JoinableQueue, LoopHandle};

const ITEMS: usize = 10;

/// How fast each side is.
#[derive(Clone, Copy)]
struct Pace {
    /// The producer's pause after each item.
    gap: Duration,
    /// The consumer's time per item.
    work: Duration,
}

/// toro's case: the consumer outpaces the producer and keeps catching up with it.
const FAST_CONSUMER: Pace = Pace {
    gap: Duration::from_millis(20),
    work: Duration::from_millis(2),
};

/// The other way round: the queue fills up and `join()` has real waiting to do.
const SLOW_CONSUMER: Pace = Pace {
    gap: Duration::from_millis(1),
    work: Duration::from_millis(15),
};

#[toro::main]
async fn main() {
    println!("1. toro's example as shipped: start both sides, then join()");
    let (done, unput) = as_shipped().await;
    println!(
        "   join() returned with {done} of {ITEMS} items done, and {unput} still to be put: \
         it fired at a momentary zero\n"
    );

    println!("2. the right way: wait for the producer to put everything, then join()");
    let done = the_right_way(FAST_CONSUMER).await;
    println!(
        "   join() returned with all {} items done: {done:?}\n",
        done.len()
    );
    assert_eq!(done, (0..ITEMS).collect::<Vec<_>>());

    println!("3. the right way again, with a consumer slower than the producer");
    let done = the_right_way(SLOW_CONSUMER).await;
    println!(
        "   join() returned with all {} items done: {done:?}",
        done.len()
    );
    assert_eq!(done, (0..ITEMS).collect::<Vec<_>>());
}

/// Puts `0..ITEMS`, pausing `pace.gap` after each; counts in `put` how many it has put.
/// Stops early if the queue is shut down (the item comes back, nothing is lost).
async fn producer(q: &JoinableQueue<usize>, pace: Pace, put: &RefCell<usize>) {
    for item in 0..ITEMS {
        // Waits while the queue is full.
        if let Err(refused) = q.send(item).await {
            println!(
                "   put {} refused: the queue is shut down",
                refused.into_inner()
            );
            return;
        }
        *put.borrow_mut() += 1;
        println!("   put {item}");
        sleep(pace.gap).await;
    }
}

/// Works on items until the queue is shut down and drained, marking each one done;
/// records what it finished in `done`.
async fn consumer(q: &JoinableQueue<usize>, pace: Pace, done: &RefCell<Vec<usize>>) {
    while let Ok(item) = q.recv().await {
        sleep(pace.work).await; // the work
        done.borrow_mut().push(item);
        println!("             done with {item}");
        q.task_done().expect("one task_done() per get()");
    }
    println!("             the queue is shut down: the consumer leaves");
}

/// Part 1: the producer and the consumer run, and main waits on `q.join()` at the same
/// time. Returns how many items were done when `join()` returned, and how many the
/// producer had still to put.
async fn as_shipped() -> (usize, usize) {
    let q = JoinableQueue::new(3);
    let (put, done) = (RefCell::new(0), RefCell::new(Vec::new()));

    // `join()` is eager: called now, on an empty queue, it would be done already. The
    // `async` block calls it when first polled, and `join!` polls the producer first, so
    // item 0 is in the queue by then, as in toro's example.
    let supervise = async {
        q.join().await;
        let outcome = (done.borrow().len(), ITEMS - *put.borrow());
        // Stop the run where toro's example stopped it; what is still queued comes back.
        let unstarted = q.shutdown_immediate();
        println!("   join() returned; shutdown_immediate() handed back {unstarted:?}");
        outcome
    };
    let ((), (), outcome) = futures::join!(
        producer(&q, FAST_CONSUMER, &put),
        consumer(&q, FAST_CONSUMER, &done),
        supervise
    );
    outcome
}

/// Part 2: join only after the producer has put every item.
///
/// The count of unfinished tasks is items put minus items done. While the producer is
/// still putting, a zero means only "the consumer has caught up for now", and `join()`
/// cannot know that more is coming. Once every item is put the count can only fall, so
/// its zero means every item is done. (With several producers: wait for all of them.)
async fn the_right_way(pace: Pace) -> Vec<usize> {
    let q = JoinableQueue::new(3);
    let (put, done) = (RefCell::new(0), RefCell::new(Vec::new()));

    let work = async {
        producer(&q, pace, &put).await; // 1. everything is put...
        println!(
            "   the producer is done; joining with {} unfinished tasks",
            q.unfinished_tasks()
        );
        // 2. ...then wait for the consumer to finish it all (with a deadline, in case)...
        let joined = q.join().deadline(Duration::from_secs(10)).await;
        // 3. ...and shut the queue down: the consumer's `recv()` ends.
        q.shutdown();
        joined
    };
    let ((), joined) = futures::join!(consumer(&q, pace, &done), work);
    joined.expect("the consumer finishes within the deadline");
    assert_eq!(q.unfinished_tasks(), 0);
    done.take()
}

/// Sleeps on the current loop's clock: works on every runtime and on toro's own loop.
async fn sleep(duration: Duration) {
    let handle = LoopHandle::current();
    let until: Instant = handle.now() + duration;
    handle.sleep_until(until).await;
}
