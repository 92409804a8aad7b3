//! Waiter storage is given back: after a burst of 100 000 waiters that all leave, a
//! primitive holds at most 64 KiB more than before the burst.
//!
//! A counting global allocator (this test binary only) measures the bytes each thread
//! allocated and has not freed: every test works on its own thread, so the test harness's
//! own allocations on other threads never show.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use toro::{Condition, Event, Lock, Queue, RwLock, Semaphore};

struct Counting;

thread_local! {
    /// Bytes allocated less bytes freed by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // `try_with`: a thread's last frees may come after its thread-locals are gone.
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// SAFETY: forwards to the system allocator, only counting sizes on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const BURST: usize = 100_000;
const LIMIT: isize = 64 * 1024;

/// Live heap bytes after `burst` made `BURST` waiters and dropped them all, less before.
fn kept_after<P>(primitive: &P, burst: impl Fn(&P)) -> isize {
    let before = live();
    burst(primitive);
    live() - before
}

#[test]
fn queue_getters_leave_no_storage_behind() {
    let queue = Queue::<[u8; 1024]>::new(0);
    let kept = kept_after(&queue, |q| {
        let getters: Vec<_> = (0..BURST).map(|_| q.get()).collect();
        drop(getters);
    });
    assert!(
        kept <= LIMIT,
        "an empty queue keeps {kept} bytes of waiter storage"
    );
    assert_eq!(queue.qsize(), 0);
}

#[test]
fn semaphore_acquirers_leave_no_storage_behind() {
    let sem = Semaphore::new(0);
    let kept = kept_after(&sem, |s| {
        let acquirers: Vec<_> = (0..BURST).map(|_| s.acquire()).collect();
        drop(acquirers);
        let watchers: Vec<_> = (0..BURST).map(|_| s.wait()).collect();
        drop(watchers);
    });
    assert!(
        kept <= LIMIT,
        "a semaphore keeps {kept} bytes of waiter storage"
    );
}

#[test]
fn locks_events_and_conditions_leave_no_storage_behind() {
    let lock = Lock::new();
    let _held = lock.try_acquire().unwrap();
    let kept = kept_after(&lock, |l| {
        drop((0..BURST).map(|_| l.acquire()).collect::<Vec<_>>())
    });
    assert!(kept <= LIMIT, "a lock keeps {kept} bytes");

    let rw = RwLock::new(4);
    let _w = rw.try_acquire_write().unwrap();
    let kept = kept_after(&rw, |r| {
        drop((0..BURST).map(|_| r.acquire_read()).collect::<Vec<_>>())
    });
    assert!(kept <= LIMIT, "an rwlock keeps {kept} bytes");

    let event = Event::new();
    let kept = kept_after(&event, |e| {
        drop((0..BURST).map(|_| e.wait()).collect::<Vec<_>>())
    });
    assert!(kept <= LIMIT, "an event keeps {kept} bytes");

    let cond = Condition::new();
    let kept = kept_after(&cond, |c| {
        drop((0..BURST).map(|_| c.wait()).collect::<Vec<_>>())
    });
    assert!(kept <= LIMIT, "a condition keeps {kept} bytes");
}

/// Lines that empty often stay allocated while small: no reallocation churn for them.
#[test]
fn a_small_line_keeps_its_storage() {
    let sem = Semaphore::new(0);
    drop((0..8).map(|_| sem.acquire()).collect::<Vec<_>>());
    let before = live();
    for _ in 0..100 {
        drop((0..8).map(|_| sem.acquire()).collect::<Vec<_>>());
    }
    // Only the `Vec`s of futures come and go; the slab stays.
    assert_eq!(live(), before);
}

/// A line short again after a burst is compacted: the few waiters left keep their place
/// and are served in order, and the slab shrinks to fit them.
#[test]
fn a_line_short_again_gives_its_storage_back() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let sem = Semaphore::new(0);
    let before = live();
    let mut acquirers: Vec<_> = (0..BURST).map(|_| Box::pin(sem.acquire())).collect();
    let mut cx = Context::from_waker(Waker::noop());
    for acquire in &mut acquirers {
        assert!(acquire.as_mut().poll(&mut cx).is_pending());
    }
    // All but the first and the last two leave (their futures' boxes go too).
    let last = acquirers.split_off(BURST - 2);
    let first = acquirers.swap_remove(0);
    drop(acquirers);
    let mut kept = vec![first];
    kept.extend(last);
    let held = live() - before;
    let futures = kept.len() * std::mem::size_of_val(&*kept[0]) + 64;
    assert!(
        held - futures as isize <= LIMIT,
        "three waiters left keep {held} bytes"
    );
    // They are still in line, in order: one token per release (guards held).
    let mut guards = Vec::new();
    for i in 0..kept.len() {
        sem.release();
        for (j, acquire) in kept.iter_mut().enumerate().skip(i) {
            let poll = acquire.as_mut().poll(&mut cx);
            assert_eq!(poll.is_ready(), j == i, "release {i}: waiter {j}");
            if let Poll::Ready(guard) = poll {
                guards.push(guard);
            }
        }
    }

    let queue = Queue::<[u8; 1024]>::new(0);
    let before = live();
    let mut getters: Vec<_> = (0..BURST).map(|_| queue.get()).collect();
    let mut last = getters.pop().unwrap();
    drop(getters);
    let kept = live() - before;
    assert!(kept <= LIMIT, "one getter left keeps {kept} bytes");
    queue.put_nowait([7; 1024]).unwrap();
    let Poll::Ready(item) = Pin::new(&mut last).poll(&mut cx) else {
        panic!("the getter left in line was not handed the item")
    };
    assert_eq!(item, [7; 1024]);
}

/// A getter waits for an item it does not hold yet: its place in line has no room for one
/// (a `[u8; 1024]` getter's entry is a few words), and items handed to getters that have
/// not taken them yet are given back as they are taken.
#[test]
fn getters_hold_no_room_for_items_they_wait_for() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let queue = Queue::<[u8; 1024]>::new(0);
    let before = live();
    let mut getters: Vec<_> = (0..BURST).map(|_| queue.get()).collect();
    let per_getter = (live() - before) as usize / BURST - std::mem::size_of_val(&getters[0]);
    assert!(
        per_getter <= 128,
        "a waiting getter of a 1 KiB item takes {per_getter} bytes of line"
    );
    // Every getter is handed its item; all but the last two take theirs.
    for i in 0..BURST {
        queue.put_nowait([(i % 251) as u8; 1024]).unwrap();
    }
    let mut cx = Context::from_waker(Waker::noop());
    let mut last = getters.split_off(BURST - 2);
    for (i, get) in getters.iter_mut().enumerate() {
        assert_eq!(
            Pin::new(get).poll(&mut cx),
            Poll::Ready([(i % 251) as u8; 1024])
        );
    }
    drop(getters);
    let kept = live() - before - (2 * std::mem::size_of_val(&last[0])) as isize;
    assert!(
        kept <= LIMIT + 2 * 1024,
        "two items handed and not taken keep {kept} bytes"
    );
    for (i, get) in last.iter_mut().enumerate() {
        let item = [((BURST - 2 + i) % 251) as u8; 1024];
        assert_eq!(Pin::new(get).poll(&mut cx), Poll::Ready(item));
    }
}

/// A queue's buffer follows what it holds: after a burst of 100 000 items of 256 bytes
/// is drained, an unbounded queue keeps at most 64 KiB (its ring, a few KiB, and what
/// its buffers shrank to), whatever its order.
#[test]
fn a_drained_burst_leaves_its_memory_behind() {
    use toro::{LifoQueue, PriorityQueue};
    fn burst<Q>(put: impl Fn(&Q, [u8; 256]), get: impl Fn(&Q) -> [u8; 256], queue: &Q) {
        for i in 0..BURST {
            put(queue, [(i % 251) as u8; 256]);
        }
        for _ in 0..BURST {
            get(queue);
        }
    }
    let fifo = Queue::<[u8; 256]>::new(0);
    let kept = kept_after(&fifo, |q| {
        burst(
            |q, i| q.put_nowait(i).unwrap(),
            |q| q.get_nowait().unwrap(),
            q,
        )
    });
    assert!(
        kept <= LIMIT,
        "a FIFO queue keeps {kept} bytes after its burst"
    );
    assert!(fifo.is_empty());

    let lifo = LifoQueue::<[u8; 256]>::new(0);
    let kept = kept_after(&lifo, |q| {
        burst(
            |q, i| q.put_nowait(i).unwrap(),
            |q| q.get_nowait().unwrap(),
            q,
        )
    });
    assert!(
        kept <= LIMIT,
        "a LIFO queue keeps {kept} bytes after its burst"
    );

    let priority = PriorityQueue::<[u8; 256]>::new(0);
    let kept = kept_after(&priority, |q| {
        burst(
            |q, i| q.put_nowait(i).unwrap(),
            |q| q.get_nowait().unwrap(),
            q,
        )
    });
    assert!(
        kept <= LIMIT,
        "a priority queue keeps {kept} bytes after its burst"
    );
}

/// A bounded queue allocates for what it holds, not for its `maxsize`.
#[test]
fn a_large_bounded_queue_allocates_for_what_it_holds() {
    let before = live();
    let queue = Queue::<u64>::new(1_000_000);
    queue.put_nowait(1).unwrap();
    let held = live() - before;
    assert!(
        held <= 8 * 1024,
        "one item in a queue of maxsize 1 000 000 takes {held} bytes"
    );
    // Filled past its ring, it still takes only what the items need.
    for i in 0..10_000 {
        queue.put_nowait(i).unwrap();
    }
    let held = live() - before;
    assert!(
        held <= 10_001 * 32 + 8 * 1024,
        "10 001 items take {held} bytes"
    );
    assert_eq!(queue.len(), 10_001);
    assert_eq!(queue.get_nowait(), Ok(1));
    assert_eq!(queue.get_nowait(), Ok(0));
}

/// An acquire granted at the call but dropped before it was polled (a `select!` whose
/// other branch won) gives its tokens back as a guard would: a lock or semaphore that was
/// never contended stays without a line, so a million of them stay 16 bytes each.
#[test]
fn a_granted_acquire_dropped_unpolled_makes_no_line() {
    std::thread::spawn(|| {
        let lock = Lock::new();
        let sem = Semaphore::new(2);
        let before = live();
        drop(lock.acquire());
        drop(sem.acquire_many(2));
        assert_eq!(live(), before, "a line was made");
        assert!(!lock.locked());
        assert_eq!(sem.counter(), 2);
        // And the tokens really are back: both can be taken again.
        drop(lock.try_acquire().expect("the lock was given back"));
        drop(
            sem.try_acquire_many(2)
                .expect("both tokens were given back"),
        );
    })
    .join()
    .unwrap();
}
