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

use std::cell::RefCell;
use std::pin::pin;
use std::time::{Duration, Instant};

use futures::future::{select, Either};
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
async fn producer(q: &JoinableQueue<usize>, pace: Pace, put: &RefCell<usize>) {
    for item in 0..ITEMS {
        q.put(item).await; // waits while the queue is full
        *put.borrow_mut() += 1;
        println!("   put {item}");
        sleep(pace.gap).await;
    }
}

/// Works on items forever, marking each one done; records what it finished in `done`.
async fn consumer(q: &JoinableQueue<usize>, pace: Pace, done: &RefCell<Vec<usize>>) {
    loop {
        let item = q.get().await;
        sleep(pace.work).await; // the work
        done.borrow_mut().push(item);
        println!("             done with {item}");
        q.task_done().expect("one task_done() per get()");
    }
}

/// Part 1: the producer and the consumer run, and main waits on `q.join()` at the same
/// time. Returns how many items were done when `join()` returned, and how many the
/// producer had still to put.
async fn as_shipped() -> (usize, usize) {
    let q = JoinableQueue::new(3);
    let (put, done) = (RefCell::new(0), RefCell::new(Vec::new()));

    let both = async {
        futures::join!(
            producer(&q, FAST_CONSUMER, &put),
            consumer(&q, FAST_CONSUMER, &done)
        );
    };
    // `join()` is eager: called now, on an empty queue, it would be done already. The
    // `async` block calls it when first polled, and `select` polls `both` first, so item
    // 0 is in the queue by then, as in toro's example.
    let join = async { q.join().await };
    let (both, join) = (pin!(both), pin!(join));
    let outcome = select(both, join).await;
    match outcome {
        Either::Left(_) => unreachable!("the consumer never returns"),
        // Dropping the rest here abandons the items not yet put, as toro's example did.
        Either::Right(_) => (done.borrow().len(), ITEMS - *put.borrow()),
    }
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
        // 2. ...then wait for the consumer to finish it all (with a deadline, in case).
        q.join().deadline(Duration::from_secs(10)).await
    };
    let (consumer, work) = (pin!(consumer(&q, pace, &done)), pin!(work));
    match select(consumer, work).await {
        Either::Left(_) => unreachable!("the consumer never returns"),
        Either::Right((joined, _consumer)) => {
            joined.expect("the consumer finishes within the deadline");
        }
    }
    assert_eq!(q.unfinished_tasks(), 0);
    done.take()
}

/// Sleeps on the current loop's clock: works on every runtime and on toro's own loop.
async fn sleep(duration: Duration) {
    let handle = LoopHandle::current();
    let until: Instant = handle.now() + duration;
    handle.sleep_until(until).await;
}
