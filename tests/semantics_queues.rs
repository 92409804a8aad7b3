//! Poll-level tests of the queues' rules: each discipline's order, FIFO hand-off to getters,
//! blocked putters admitted by gets, items given back by dropped getters (nothing is lost),
//! joining and shutdown.
//!
//! Every future is polled by hand (a no-op or counting waker), and every deadline runs on
//! a mock clock that only moves when a test advances it, so nothing here depends on timing.
//! Rules shared by the four queues are written once ([`discipline!`]) and instantiated per
//! queue with that discipline's expected orders.

use std::task::Poll;
use std::time::Duration;

use toro::{Empty, JoinableQueue, LifoQueue, PriorityQueue, Queue, TooManyTaskDone};

mod support;
use support::{MockClock, Probe, WakeLog, panic_message, poll, poll_by, wake_counter};

// ----------------------------------------------------------------------------------------
// Harness: polling by hand, wakers that count or log and a mock clock (in `support`).

const TEN_MS: Duration = Duration::from_millis(10);

fn debug_of(q: &impl std::fmt::Debug) -> String {
    format!("{q:?}")
}

// ----------------------------------------------------------------------------------------
// Rules shared by every queue, with each discipline's expected orders.

macro_rules! discipline {
    (
        $m:ident, $Q:ident,
        // put 111, 333, 222, then read back
        order: $order:expr,
        // buffer [5, 3] full, blocked putter 1: what the admitting get returns, then the rest
        admitted: $admitted:expr, rest: $rest:expr,
        // getter handed 1, then 2 and 3 put, getter dropped: the queue drains as
        handed_back: $back:expr,
        // Queue(1) holding [1], putters 2 and 3 blocked, a get (admits 2) dropped unpolled
        slot_taken: $slot_taken:expr,
        // getter handed 1, then put_nowait(2) fills Queue(1), putter 3 blocks, getter dropped
        over_full: $over_full:expr
    ) => {
        mod $m {
            use super::*;

            fn drain(q: &$Q<u32>) -> Vec<u32> {
                std::iter::from_fn(|| q.get_nowait().ok()).collect()
            }

            #[test]
            fn toro_order_through_put_nowait() {
                let q = $Q::new(0);
                for x in [111, 333, 222] {
                    q.put_nowait(x).unwrap();
                }
                assert_eq!(q.qsize(), 3);
                assert_eq!(drain(&q), $order);
                assert_eq!(q.get_nowait(), Err(Empty));
            }

            #[test]
            fn toro_order_through_with_items() {
                assert_eq!(drain(&$Q::with_items(0, [111, 333, 222])), $order);
                let q = $Q::with_items(3, [111, 333, 222]);
                assert!(q.full());
                assert_eq!(drain(&q), $order);
            }

            #[test]
            fn toro_order_through_put_and_get_futures() {
                let q = $Q::new(3);
                for x in [111, 333, 222] {
                    assert_eq!(poll(&mut q.put(x)), Poll::Ready(()));
                }
                let out: Vec<u32> = (0..3)
                    .map(|_| match poll(&mut q.get()) {
                        Poll::Ready(x) => x,
                        Poll::Pending => panic!("get on a non-empty queue must be ready"),
                    })
                    .collect();
                assert_eq!(out, $order);
            }

            #[test]
            fn getter_registered_before_put_nowait_receives_the_item_inside_the_call() {
                let q = $Q::new(0);
                let (count, waker) = wake_counter();
                let mut getter = q.get();
                assert!(poll_by(&mut getter, &waker).is_pending());
                assert!(debug_of(&q).contains("getters: 1"));
                q.put_nowait(7).unwrap();
                // Handed over inside put_nowait: the buffer never held it.
                assert_eq!(q.qsize(), 0);
                assert!(q.empty());
                assert_eq!(count.get(), 1);
                assert!(debug_of(&q).contains("getters: 0"));
                assert_eq!(poll(&mut getter), Poll::Ready(7));
                assert_eq!(q.get_nowait(), Err(Empty));
            }

            #[test]
            fn getter_never_polled_still_receives_the_item() {
                let q = $Q::new(0);
                let mut getter = q.get(); // not polled: eager registration
                q.put_nowait(8).unwrap();
                assert_eq!(q.qsize(), 0);
                assert_eq!(poll(&mut getter), Poll::Ready(8));
            }

            #[test]
            fn put_future_hands_straight_to_a_waiting_getter() {
                let q = $Q::new(1);
                let mut getter = q.get();
                let mut put = q.put(9);
                assert_eq!(q.qsize(), 0);
                assert_eq!(poll(&mut put), Poll::Ready(()));
                assert_eq!(poll(&mut getter), Poll::Ready(9));
            }

            #[test]
            fn getters_are_served_in_call_order_not_poll_order() {
                let q = $Q::new(0);
                let log = WakeLog::default();
                let mut getters = [q.get(), q.get(), q.get()];
                for (i, g) in getters.iter_mut().enumerate().rev() {
                    assert!(Probe::logged(i + 1, &log).poll(g).is_pending());
                }
                for x in [10, 20, 30] {
                    q.put_nowait(x).unwrap();
                }
                assert_eq!(log.take(), [1, 2, 3]);
                let got: Vec<_> = getters.iter_mut().map(poll).collect();
                assert_eq!(got, [Poll::Ready(10), Poll::Ready(20), Poll::Ready(30)]);
                assert_eq!(q.qsize(), 0);
            }

            #[test]
            fn blocked_putter_holds_its_place_from_the_call() {
                let q = $Q::with_items(1, [0]);
                let mut p1 = q.put(1); // never polled before it is admitted
                let mut p2 = q.put(2);
                assert!(poll(&mut p2).is_pending());
                assert_eq!(q.qsize(), 1, "a blocked putter's item is not in the buffer");
                // A newcomer does not barge past the line.
                assert_eq!(q.put_nowait(9).unwrap_err().into_inner(), 9);
                let first = q.get_nowait().unwrap();
                assert_eq!(
                    poll(&mut p1),
                    Poll::Ready(()),
                    "oldest putter admitted first"
                );
                assert!(poll(&mut p2).is_pending());
                assert_eq!(q.qsize(), 1);
                // A put made now lines up behind p2.
                let mut p3 = q.put(3);
                let second = q.get_nowait().unwrap();
                assert_eq!(poll(&mut p2), Poll::Ready(()));
                assert!(poll(&mut p3).is_pending());
                let third = q.get_nowait().unwrap();
                assert_eq!(poll(&mut p3), Poll::Ready(()));
                let mut all = vec![first, second, third];
                all.extend(drain(&q));
                all.sort_unstable();
                assert_eq!(all, [0, 1, 2, 3]);
            }

            #[test]
            fn queue_of_one_with_five_puts_shows_four_putters() {
                let q = $Q::new(1);
                let _puts: Vec<_> = (0..5).map(|i| q.put(i)).collect();
                let shown = debug_of(&q);
                assert!(shown.contains("maxsize: 1"), "{shown}");
                assert!(shown.contains("qsize: 1"), "{shown}");
                assert!(shown.contains("putters: 4"), "{shown}");
                assert!(shown.contains("getters: 0"), "{shown}");
            }

            #[test]
            fn seven_unawaited_gets_show_seven_getters() {
                let q = $Q::<u32>::new(0);
                let _gets: Vec<_> = (0..7).map(|_| q.get()).collect();
                let shown = debug_of(&q);
                assert!(shown.contains("getters: 7"), "{shown}");
                assert!(shown.contains("putters: 0"), "{shown}");
            }

            #[test]
            fn get_nowait_admitting_a_putter_returns_by_the_queue_order() {
                let q = $Q::with_items(2, [5, 3]);
                let (count, waker) = wake_counter();
                let mut putter = q.put(1);
                assert!(poll_by(&mut putter, &waker).is_pending());
                assert!(debug_of(&q).contains("putters: 1"));
                assert_eq!(q.get_nowait(), Ok($admitted));
                // The putter was admitted inside that call; the queue is still full.
                assert_eq!(count.get(), 1);
                assert_eq!(poll(&mut putter), Poll::Ready(()));
                assert_eq!(q.qsize(), 2);
                assert!(q.full());
                assert!(debug_of(&q).contains("putters: 0"));
                assert_eq!(drain(&q), $rest);
            }

            #[test]
            fn get_future_admitting_a_putter_returns_by_the_queue_order() {
                let q = $Q::with_items(2, [5, 3]);
                let mut putter = q.put(1);
                let mut getter = q.get();
                assert_eq!(poll(&mut putter), Poll::Ready(()));
                assert_eq!(q.qsize(), 2);
                assert_eq!(poll(&mut getter), Poll::Ready($admitted));
                assert_eq!(drain(&q), $rest);
            }

            #[test]
            fn timed_out_getter_takes_nothing() {
                let (clock, handle) = MockClock::new();
                let q = $Q::new(0);
                let mut g1 = q.get();
                let mut g2 = q.get().deadline_on(&handle, TEN_MS);
                let mut g3 = q.get();
                assert!(poll(&mut g2).is_pending());
                clock.advance(TEN_MS);
                assert!(matches!(poll(&mut g2), Poll::Ready(Err(_))));
                assert!(debug_of(&q).contains("getters: 2"));
                q.put_nowait(1).unwrap();
                q.put_nowait(2).unwrap();
                assert_eq!(poll(&mut g1), Poll::Ready(1));
                assert_eq!(poll(&mut g3), Poll::Ready(2));
                assert_eq!(q.qsize(), 0);
            }

            #[test]
            fn handoff_before_the_deadline_is_observed_wins() {
                let (clock, handle) = MockClock::new();
                let q = $Q::new(0);
                let mut g = q.get().deadline_on(&handle, TEN_MS);
                assert!(poll(&mut g).is_pending());
                q.put_nowait(4).unwrap();
                clock.advance(TEN_MS * 2);
                assert!(matches!(poll(&mut g), Poll::Ready(Ok(4))));
                // An expired deadline on a wait that can finish at the call: it finishes.
                let q = $Q::with_items(1, [6]);
                assert!(matches!(
                    poll(&mut q.get().deadline(Duration::ZERO)),
                    Poll::Ready(Ok(6))
                ));
                assert!(matches!(
                    poll(&mut q.put(7).deadline(Duration::ZERO)),
                    Poll::Ready(Ok(()))
                ));
                assert_eq!(drain(&q), [7]);
            }

            #[test]
            fn timed_out_putter_gets_its_item_back_and_it_never_enters() {
                let (clock, handle) = MockClock::new();
                let q = $Q::with_items(1, [1]);
                let mut pb = q.put(2).deadline_on(&handle, TEN_MS);
                let mut pc = q.put(3);
                assert!(poll(&mut pb).is_pending());
                clock.advance(TEN_MS);
                let timeout = match poll(&mut pb) {
                    Poll::Ready(Err(timeout)) => timeout,
                    other => panic!("expected a timeout, got {other:?}"),
                };
                assert_eq!(timeout.into_inner(), 2);
                assert!(debug_of(&q).contains("putters: 1"));
                assert_eq!(q.qsize(), 1);
                // The next get admits pc, not the timed-out pb.
                let first = q.get_nowait().unwrap();
                assert_eq!(poll(&mut pc), Poll::Ready(()));
                let mut all = vec![first];
                all.extend(drain(&q));
                all.sort_unstable();
                assert_eq!(all, [1, 3]);
            }

            #[test]
            fn expired_put_on_the_default_clock_returns_its_item() {
                let q = $Q::with_items(1, [1]);
                let mut put = q.put(2).deadline(Duration::ZERO);
                match poll(&mut put) {
                    Poll::Ready(Err(timeout)) => assert_eq!(timeout.into_inner(), 2),
                    other => panic!("expected a timeout, got {other:?}"),
                }
                assert_eq!(drain(&q), [1]);
            }

            #[test]
            fn dropped_getter_passes_its_item_to_the_next_getter() {
                let q = $Q::new(0);
                let g1 = q.get();
                let (count, waker) = wake_counter();
                let mut g2 = q.get();
                assert!(poll_by(&mut g2, &waker).is_pending());
                q.put_nowait(7).unwrap();
                assert_eq!(count.get(), 0);
                drop(g1);
                assert_eq!(count.get(), 1, "the next getter is woken with the item");
                assert_eq!(q.qsize(), 0);
                assert_eq!(poll(&mut g2), Poll::Ready(7));
            }

            #[test]
            fn dropped_timed_wait_passes_its_item_on_too() {
                let (_clock, handle) = MockClock::new();
                let q = $Q::new(0);
                let mut g1 = q.get().deadline_on(&handle, TEN_MS);
                assert!(poll(&mut g1).is_pending());
                let mut g2 = q.get();
                q.put_nowait(7).unwrap();
                drop(g1);
                assert_eq!(poll(&mut g2), Poll::Ready(7));
            }

            #[test]
            fn dropped_getter_puts_its_item_back_in_its_place() {
                let q = $Q::new(0);
                let g = q.get();
                q.put_nowait(1).unwrap();
                q.put_nowait(2).unwrap();
                q.put_nowait(3).unwrap();
                assert_eq!(q.qsize(), 2);
                drop(g);
                assert_eq!(q.qsize(), 3);
                assert_eq!(drain(&q), $back);
            }

            #[test]
            fn dropped_pending_getter_takes_nothing() {
                let q = $Q::new(0);
                let g = q.get();
                drop(g);
                assert!(debug_of(&q).contains("getters: 0"));
                q.put_nowait(1).unwrap();
                assert_eq!(q.qsize(), 1);
                assert_eq!(drain(&q), [1]);
            }

            /// Nothing is lost: a get that admitted a blocked putter and is dropped before
            /// it returns its item gives the item back; the putter already took the freed
            /// slot, so the queue holds maxsize + 1 until the next get.
            #[test]
            fn dropped_get_whose_slot_a_putter_took_leaves_the_queue_over_full() {
                let q = $Q::with_items(1, [1]);
                let mut p2 = q.put(2);
                let mut p3 = q.put(3);
                let g = q.get(); // takes an item and admits p2
                assert_eq!(poll(&mut p2), Poll::Ready(()));
                drop(g);
                assert_eq!(q.qsize(), 2, "the item came back: one over maxsize");
                assert!(q.full());
                assert_eq!(q.put_nowait(9).unwrap_err().into_inner(), 9);
                let first = q.get_nowait().unwrap();
                // That get freed no slot (the queue was over-full): p3 still waits.
                assert!(poll(&mut p3).is_pending());
                assert_eq!(q.qsize(), 1);
                let mut out = vec![first];
                out.push(q.get_nowait().unwrap());
                assert_eq!(poll(&mut p3), Poll::Ready(()));
                out.extend(drain(&q));
                assert_eq!(out, $slot_taken);
            }

            #[test]
            fn dropped_getter_over_a_refilled_queue_leaves_it_over_full() {
                let q = $Q::new(1);
                let g = q.get();
                q.put_nowait(1).unwrap(); // handed to g
                q.put_nowait(2).unwrap(); // fills the queue
                let mut p3 = q.put(3);
                assert!(poll(&mut p3).is_pending());
                drop(g);
                assert_eq!(q.qsize(), 2, "nothing is dropped, even over maxsize");
                let first = q.get_nowait().unwrap();
                assert!(poll(&mut p3).is_pending(), "an over-full get frees no slot");
                let mut out = vec![first];
                out.push(q.get_nowait().unwrap());
                assert_eq!(poll(&mut p3), Poll::Ready(()));
                out.extend(drain(&q));
                assert_eq!(out, $over_full);
            }

            #[test]
            fn dropped_blocked_putter_leaves_the_line() {
                let q = $Q::with_items(1, [1]);
                let p2 = q.put(2);
                let mut p3 = q.put(3);
                drop(p2);
                assert!(debug_of(&q).contains("putters: 1"));
                let first = q.get_nowait().unwrap();
                assert_eq!(poll(&mut p3), Poll::Ready(()));
                let mut all = vec![first];
                all.extend(drain(&q));
                all.sort_unstable();
                assert_eq!(all, [1, 3]);
            }

            #[test]
            fn admitted_putter_dropped_unpolled_leaves_its_item_in_the_queue() {
                let q = $Q::with_items(1, [1]);
                let p = q.put(2);
                let first = q.get_nowait().unwrap();
                drop(p);
                let mut all = vec![first];
                all.extend(drain(&q));
                all.sort_unstable();
                assert_eq!(all, [1, 2]);
            }

            #[test]
            fn put_nowait_on_a_full_queue_returns_the_item_in_full() {
                let q = $Q::with_items(1, [1]);
                let err = q.put_nowait(2).unwrap_err();
                assert_eq!(err.to_string(), "queue is full");
                assert_eq!(err.into_inner(), 2);
                assert_eq!(q.qsize(), 1);
                assert_eq!(drain(&q), [1]);
            }

            #[test]
            #[should_panic(expected = "3 items do not fit in maxsize 2")]
            fn with_items_over_maxsize_panics_clearly() {
                let _ = $Q::with_items(2, [1, 2, 3]);
            }

            #[test]
            fn with_items_names_the_queue_in_its_panic() {
                let err = std::panic::catch_unwind(|| $Q::with_items(1, [1, 2])).unwrap_err();
                let msg = err
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap();
                assert!(msg.contains(stringify!($Q)), "{msg}");
                assert!(msg.contains("2 items"), "{msg}");
            }

            #[test]
            fn with_items_fits_exactly_or_unbounded() {
                let q = $Q::with_items(0, 0..1000);
                assert_eq!(q.qsize(), 1000);
                assert!(!q.full());
                assert_eq!(q.maxsize(), 0);
                let q = $Q::with_items(3, [1, 2, 3]);
                assert!(q.full());
                assert_eq!(q.maxsize(), 3);
                let q = $Q::<u32>::with_items(3, []);
                assert!(q.empty());
            }

            #[test]
            fn maxsize_zero_never_blocks_a_putter() {
                let q = $Q::new(0);
                for i in 0..10_000 {
                    assert_eq!(poll(&mut q.put(i)), Poll::Ready(()));
                    assert!(!q.full());
                }
                for i in 0..1000 {
                    q.put_nowait(i).unwrap();
                }
                assert_eq!(q.qsize(), 11_000);
                assert!(debug_of(&q).contains("putters: 0"));
            }

            #[test]
            fn debug_shows_the_state() {
                let q = $Q::with_items(3, [1]);
                let shown = debug_of(&q);
                assert!(shown.starts_with(concat!(stringify!($Q), " {")), "{shown}");
                for part in ["maxsize: 3", "qsize: 1", "getters: 0", "putters: 0"] {
                    assert!(shown.contains(part), "{part} missing from {shown}");
                }
                assert_eq!(q.get_nowait(), Ok(1));
                let _g = q.get();
                assert!(debug_of(&q).contains("qsize: 0"));
                assert!(debug_of(&q).contains("getters: 1"));
            }

            #[test]
            fn empty_and_full_follow_the_buffer() {
                let q = $Q::new(2);
                assert!(q.empty() && !q.full());
                q.put_nowait(1).unwrap();
                assert!(!q.empty() && !q.full());
                q.put_nowait(2).unwrap();
                assert!(q.full());
                let _blocked = q.put(3);
                assert_eq!(q.qsize(), 2);
                assert_eq!(q.get_nowait().map(|_| ()), Ok(()));
                assert!(q.full(), "the blocked putter took the slot");
            }
        }
    };
}

discipline!(fifo, Queue,
    order: [111, 333, 222],
    admitted: 5, rest: [3, 1],
    handed_back: [1, 2, 3],
    slot_taken: [1, 2, 3],
    over_full: [1, 2, 3]);

discipline!(lifo, LifoQueue,
    order: [222, 333, 111],
    admitted: 1, rest: [3, 5],
    // A given-back item returns to its place by age: under the newer 2 and 3.
    handed_back: [3, 2, 1],
    slot_taken: [2, 3, 1],
    over_full: [2, 3, 1]);

discipline!(priority, PriorityQueue,
    order: [111, 222, 333],
    admitted: 1, rest: [3, 5],
    handed_back: [1, 2, 3],
    slot_taken: [1, 2, 3],
    over_full: [1, 2, 3]);

discipline!(joinable, JoinableQueue,
    order: [111, 333, 222],
    admitted: 5, rest: [3, 1],
    handed_back: [1, 2, 3],
    slot_taken: [1, 2, 3],
    over_full: [1, 2, 3]);

// ----------------------------------------------------------------------------------------
// PriorityQueue: lowest first, FIFO among items that compare equal.

/// Ordered by `rank` only; `name` tells equal items apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Job {
    rank: u8,
    name: u32,
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn job(rank: u8, name: u32) -> Job {
    Job { rank, name }
}

fn names(q: &PriorityQueue<Job>) -> Vec<u32> {
    std::iter::from_fn(|| q.get_nowait().ok())
        .map(|j| j.name)
        .collect()
}

/// Ranks in a scrambled but fixed order (a small LCG), so a non-stable heap would show.
fn scrambled_jobs(n: u32) -> Vec<Job> {
    let mut x: u32 = 12345;
    (0..n)
        .map(|name| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            job(((x >> 16) % 4) as u8, name)
        })
        .collect()
}

fn stable_sorted(jobs: &[Job]) -> Vec<u32> {
    let mut sorted = jobs.to_vec();
    sorted.sort_by_key(|j| j.rank); // stable
    sorted.iter().map(|j| j.name).collect()
}

#[test]
fn priority_queue_is_fifo_among_equal_items() {
    let q = PriorityQueue::new(0);
    for j in [job(1, 1), job(0, 2), job(1, 3), job(1, 4), job(0, 5)] {
        q.put_nowait(j).unwrap();
    }
    assert_eq!(names(&q), [2, 5, 1, 3, 4]);

    let jobs = scrambled_jobs(300);
    let q = PriorityQueue::new(0);
    for j in jobs.iter().cloned() {
        q.put_nowait(j).unwrap();
    }
    assert_eq!(names(&q), stable_sorted(&jobs));
    let q = PriorityQueue::with_items(0, jobs.iter().cloned());
    assert_eq!(names(&q), stable_sorted(&jobs));
}

#[test]
fn priority_queue_stays_fifo_among_equals_while_interleaving_gets() {
    let q = PriorityQueue::new(0);
    let mut out = Vec::new();
    for (i, j) in scrambled_jobs(200).into_iter().enumerate() {
        q.put_nowait(j).unwrap();
        if i % 3 == 2 {
            out.push(q.get_nowait().unwrap());
        }
    }
    out.extend(std::iter::from_fn(|| q.get_nowait().ok()));
    // Among equal ranks, names come out in increasing order.
    for rank in 0..4 {
        let same: Vec<u32> = out
            .iter()
            .filter(|j| j.rank == rank)
            .map(|j| j.name)
            .collect();
        assert!(
            same.windows(2).all(|w| w[0] < w[1]),
            "rank {rank}: {same:?}"
        );
    }
    assert_eq!(out.len(), 200);
}

#[test]
fn priority_queue_admitted_putter_queues_behind_its_equals() {
    let q = PriorityQueue::with_items(2, [job(1, 1), job(1, 2)]);
    let mut p = q.put(job(1, 3));
    assert_eq!(q.get_nowait().map(|j| j.name), Ok(1));
    assert_eq!(poll(&mut p), Poll::Ready(()));
    assert_eq!(names(&q), [2, 3]);

    let q = PriorityQueue::with_items(2, [job(1, 1), job(1, 2)]);
    let _p = q.put(job(0, 3));
    assert_eq!(
        q.get_nowait().map(|j| j.name),
        Ok(3),
        "a smaller putter's item first"
    );
    assert_eq!(names(&q), [1, 2]);
}

#[test]
fn priority_queue_returned_item_returns_to_its_place_among_its_equals() {
    let q = PriorityQueue::new(0);
    let g = q.get();
    q.put_nowait(job(1, 1)).unwrap(); // handed to g
    q.put_nowait(job(1, 2)).unwrap();
    q.put_nowait(job(2, 3)).unwrap();
    q.put_nowait(job(0, 4)).unwrap();
    drop(g);
    // Back in its place among its equals (it came first); the priority order holds.
    assert_eq!(names(&q), [4, 1, 2, 3]);
}

// ----------------------------------------------------------------------------------------
// JoinableQueue: the count of unfinished tasks, join and task_done.

#[test]
fn direct_handoff_to_a_getter_counts_as_a_task() {
    let q = JoinableQueue::new(0);
    let mut g = q.get();
    q.put_nowait('a').unwrap();
    assert_eq!(q.qsize(), 0);
    assert_eq!(q.unfinished_tasks(), 1);
    assert!(debug_of(&q).contains("tasks: 1"));
    assert_eq!(poll(&mut g), Poll::Ready('a'));
    assert!(poll(&mut q.join()).is_pending());
    q.task_done().unwrap();
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
}

#[test]
fn admitted_putter_counts_blocked_and_timed_out_putters_do_not() {
    let (clock, handle) = MockClock::new();
    let q = JoinableQueue::new(1);
    q.put_nowait('a').unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
    let mut pb = q.put('b');
    assert!(poll(&mut pb).is_pending());
    assert_eq!(
        q.unfinished_tasks(),
        1,
        "a blocked putter is not a task yet"
    );
    let mut pc = q.put('c').deadline_on(&handle, TEN_MS);
    assert!(poll(&mut pc).is_pending());
    clock.advance(TEN_MS);
    assert!(matches!(poll(&mut pc), Poll::Ready(Err(_))));
    assert_eq!(q.unfinished_tasks(), 1, "a timed-out putter never counted");
    assert_eq!(q.get_nowait(), Ok('a'));
    assert_eq!(poll(&mut pb), Poll::Ready(()));
    assert_eq!(q.unfinished_tasks(), 2, "the admitted putter's item counts");
    assert_eq!(q.put_nowait('d').unwrap_err().into_inner(), 'd');
    assert_eq!(
        q.unfinished_tasks(),
        2,
        "a refused put_nowait does not count"
    );
}

#[test]
fn with_items_counts_its_items() {
    let q = JoinableQueue::with_items(0, [1, 2]);
    assert_eq!(q.unfinished_tasks(), 2);
    assert!(poll(&mut q.join()).is_pending());
}

#[test]
fn join_is_ready_at_zero_and_on_a_fresh_queue() {
    let q = JoinableQueue::<u8>::new(0);
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
    // At zero an expired deadline does not matter.
    assert!(matches!(
        poll(&mut q.join().deadline(Duration::ZERO)),
        Poll::Ready(Ok(()))
    ));
    q.put_nowait(1).unwrap();
    q.task_done().unwrap();
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
    assert_eq!(
        poll(&mut q.join()),
        Poll::Ready(()),
        "join may be called again"
    );
}

#[test]
fn join_completes_inside_the_task_done_that_reaches_zero() {
    let q = JoinableQueue::new(0);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let log = WakeLog::default();
    let mut j1 = q.join();
    let mut j2 = q.join();
    assert!(Probe::logged(1, &log).poll(&mut j1).is_pending());
    assert!(Probe::logged(2, &log).poll(&mut j2).is_pending());
    q.task_done().unwrap();
    assert!(log.take().is_empty(), "one task left: nobody woken");
    assert!(Probe::logged(1, &log).poll(&mut j1).is_pending());
    q.task_done().unwrap();
    assert_eq!(log.take(), [1, 2], "every joiner, oldest first");
    assert_eq!(poll(&mut j1), Poll::Ready(()));
    assert_eq!(poll(&mut j2), Poll::Ready(()));
    assert_eq!(q.qsize(), 2, "join counts tasks, not the buffer");
}

#[test]
fn join_waits_for_task_done_not_for_get() {
    // toro probe: JoinableQueue(1), put 'a', blocked put 'b', task_done: join is done.
    let q = JoinableQueue::new(1);
    q.put_nowait('a').unwrap();
    let _pb = q.put('b');
    q.task_done().unwrap();
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
    assert_eq!(q.qsize(), 1);
}

#[test]
fn a_new_put_rearms_join() {
    let q = JoinableQueue::new(0);
    q.put_nowait(1).unwrap();
    assert_eq!(q.get_nowait(), Ok(1));
    q.task_done().unwrap();
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
    q.put_nowait(2).unwrap();
    let mut j = q.join();
    assert!(poll(&mut j).is_pending());
    assert_eq!(q.get_nowait(), Ok(2));
    assert!(poll(&mut j).is_pending(), "a get is not a task_done");
    q.task_done().unwrap();
    assert_eq!(poll(&mut j), Poll::Ready(()));
}

#[test]
fn join_timeout_leaves_the_count() {
    let (clock, handle) = MockClock::new();
    let q = JoinableQueue::new(0);
    q.put_nowait(1).unwrap();
    let mut j = q.join().deadline_on(&handle, TEN_MS);
    assert!(poll(&mut j).is_pending());
    clock.advance(TEN_MS);
    assert!(matches!(poll(&mut j), Poll::Ready(Err(_))));
    assert_eq!(q.unfinished_tasks(), 1);
    // A timed-out joiner is gone: a later join still completes at zero.
    let mut j2 = q.join();
    q.task_done().unwrap();
    assert_eq!(poll(&mut j2), Poll::Ready(()));
}

#[test]
fn task_done_past_zero_is_an_error_with_toros_message() {
    let q = JoinableQueue::<u8>::new(0);
    let err = q.task_done().unwrap_err();
    assert_eq!(err, TooManyTaskDone);
    assert_eq!(err.to_string(), "task_done() called too many times");
    q.put_nowait(1).unwrap();
    assert_eq!(q.task_done(), Ok(()));
    assert_eq!(q.task_done(), Err(TooManyTaskDone));
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
}

#[test]
fn item_passed_on_by_a_dropped_getter_is_not_counted_twice() {
    let q = JoinableQueue::new(0);
    let g1 = q.get();
    let mut g2 = q.get();
    q.put_nowait(1).unwrap();
    drop(g1);
    assert_eq!(q.unfinished_tasks(), 1);
    assert_eq!(poll(&mut g2), Poll::Ready(1));
    let g3 = q.get();
    q.put_nowait(2).unwrap();
    drop(g3); // back to the buffer
    assert_eq!(q.unfinished_tasks(), 2);
    assert_eq!(q.get_nowait(), Ok(2));
    q.task_done().unwrap();
    q.task_done().unwrap();
    assert_eq!(poll(&mut q.join()), Poll::Ready(()));
}

#[test]
fn debug_shows_tasks_only_for_joinable_queues() {
    let q = JoinableQueue::with_items(3, [1]);
    let shown = debug_of(&q);
    assert!(shown.contains("tasks: 1"), "{shown}");
    assert!(shown.contains("maxsize: 3"), "{shown}");
    assert!(!debug_of(&Queue::with_items(3, [1])).contains("tasks"));
}

// ----------------------------------------------------------------------------------------
// Shutdown (asyncio 3.13 `Queue.shutdown`), streams and sinks, for every queue.

macro_rules! shutdown_rules {
    ($m:ident, $Q:ident, order: $order:expr) => {
        mod $m {
            use super::*;
            use futures::{Sink, Stream};
            use std::pin::Pin;
            use std::sync::Arc;
            use toro::{Shutdown, TryRecvError, TrySendError};

            #[test]
            fn blocked_putters_get_their_items_back_inside_shutdown() {
                let q = $Q::with_items(1, [1]);
                let (sender, putter) = (Probe::new(), Probe::new());
                let mut send2 = q.send(2);
                let mut put3 = q.put(3);
                sender.pending(&mut send2);
                putter.pending(&mut put3);
                q.shutdown();
                assert_eq!(
                    (sender.wakes(), putter.wakes()),
                    (1, 1),
                    "woken inside shutdown"
                );
                assert!(debug_of(&q).contains("putters: 0"));
                assert_eq!(sender.ready(&mut send2), Err(Shutdown::new(2)));
                let msg = panic_message(|| {
                    let _ = putter.poll(&mut put3);
                });
                assert!(msg.contains("put on a shut-down queue"), "{msg}");
                // The buffer is untouched and still drains.
                assert_eq!(q.qsize(), 1);
                assert_eq!(q.try_recv(), Ok(1));
                assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
            }

            #[test]
            fn blocked_getters_end_inside_shutdown() {
                let q = $Q::<u32>::new(0);
                let (a, b) = (Probe::new(), Probe::new());
                let mut recv = q.recv();
                let mut get = q.get();
                a.pending(&mut recv);
                b.pending(&mut get);
                q.shutdown();
                assert_eq!((a.wakes(), b.wakes()), (1, 1));
                assert!(debug_of(&q).contains("getters: 0"));
                assert_eq!(a.ready(&mut recv), Err(Shutdown::new(())));
                let msg = panic_message(|| {
                    let _ = b.poll(&mut get);
                });
                assert!(msg.contains("get on a shut-down, drained queue"), "{msg}");
            }

            #[test]
            fn gets_drain_the_buffer_then_fail() {
                let q = $Q::with_items(0, [111, 333, 222]);
                q.shutdown();
                assert!(q.is_shutdown());
                let mut out = vec![
                    poll(&mut q.get()).map(Some),
                    poll(&mut q.recv()).map(Result::ok),
                ];
                out.push(Poll::Ready(q.try_recv().ok()));
                assert_eq!(out, $order.map(|x| Poll::Ready(Some(x))));
                assert_eq!(poll(&mut q.recv()), Poll::Ready(Err(Shutdown::new(()))));
                assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
                assert_eq!(
                    q.get_nowait(),
                    Err(Empty),
                    "get_nowait says Empty, for good"
                );
            }

            #[test]
            fn puts_are_refused_with_the_item_handed_back() {
                let q = $Q::new(0);
                q.shutdown();
                assert_eq!(poll(&mut q.send(1)), Poll::Ready(Err(Shutdown::new(1))));
                assert!(matches!(q.try_send(2), Err(TrySendError::Shutdown(2))));
                let msg = panic_message(|| {
                    let _ = q.put_nowait(3);
                });
                assert!(msg.contains("use send() or try_send()"), "{msg}");
                let mut put = q.put(4);
                assert!(
                    panic_message(|| {
                        let _ = poll(&mut put);
                    })
                    .contains("shut-down")
                );
                assert_eq!(q.qsize(), 0);
                assert!(debug_of(&q).contains("shutdown: true"));
            }

            #[test]
            fn waits_with_deadlines_end_at_shutdown_too() {
                let (_clock, handle) = MockClock::new();
                let q = $Q::with_items(1, [1]);
                let probe = Probe::new();
                let mut send = q.send(2).deadline_on(&handle, TEN_MS);
                probe.pending(&mut send);
                let other = $Q::<u32>::new(0);
                let mut recv = other.recv().deadline_on(&handle, TEN_MS);
                probe.pending(&mut recv);
                q.shutdown();
                other.shutdown();
                assert_eq!(probe.wakes(), 2);
                assert_eq!(probe.ready(&mut send), Ok(Err(Shutdown::new(2))));
                assert_eq!(probe.ready(&mut recv), Ok(Err(Shutdown::new(()))));
                // Ready wins on a shut-down queue as well: no clock needed.
                assert_eq!(
                    poll(&mut other.recv().deadline(Duration::ZERO)),
                    Poll::Ready(Ok(Err(Shutdown::new(()))))
                );
            }

            #[test]
            fn shutdown_immediate_drains_and_hands_back_in_order() {
                let q = $Q::with_items(3, [111, 333, 222]);
                let probe = Probe::new();
                let mut blocked = q.send(9);
                probe.pending(&mut blocked);
                assert_eq!(q.shutdown_immediate(), $order);
                assert_eq!(q.qsize(), 0);
                // The blocked putter got its own item back; it is not in the drained ones.
                assert_eq!(probe.ready(&mut blocked), Err(Shutdown::new(9)));
                assert_eq!(q.shutdown_immediate(), Vec::<u32>::new());
                assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
            }

            #[test]
            fn item_of_a_getter_dropped_after_shutdown_immediate_stays_in_the_queue() {
                let q = $Q::with_items(0, [1, 2]);
                let held = q.get(); // took an item before the shutdown
                let drained = q.shutdown_immediate();
                assert_eq!(drained.len(), 1);
                drop(held);
                assert_eq!(q.qsize(), 1, "given back, not dropped");
                let last = q.try_recv().unwrap();
                let mut all = vec![last, drained[0]];
                all.sort_unstable();
                assert_eq!(all, [1, 2]);
            }

            #[test]
            fn stream_yields_in_order_and_ends_after_shutdown_and_drain() {
                let q = $Q::new(0);
                let probe = Probe::new();
                let mut stream = q.stream();
                let next = |s: &mut toro::QueueStream<'_, u32, _>| {
                    Pin::new(s).poll_next(&mut std::task::Context::from_waker(probe.waker()))
                };
                assert_eq!(next(&mut stream), Poll::Pending);
                assert!(
                    debug_of(&q).contains("getters: 1"),
                    "the stream waits in line"
                );
                q.put_nowait(7).unwrap();
                assert_eq!(q.qsize(), 0, "handed straight to the stream");
                assert_eq!(next(&mut stream), Poll::Ready(Some(7)));
                for x in [111, 333, 222] {
                    q.put_nowait(x).unwrap();
                }
                q.shutdown();
                let rest: Vec<_> = (0..3).map(|_| next(&mut stream)).collect();
                assert_eq!(rest, $order.map(|x| Poll::Ready(Some(x))));
                assert_eq!(next(&mut stream), Poll::Ready(None));
                assert!(futures::stream::FusedStream::is_terminated(&stream));
                assert_eq!(next(&mut stream), Poll::Ready(None));
            }

            #[test]
            fn waiting_stream_ends_inside_shutdown() {
                let q = Arc::new($Q::<u32>::new(0));
                let probe = Probe::new();
                let mut stream = Arc::clone(&q).into_stream();
                let mut cx = std::task::Context::from_waker(probe.waker());
                assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Pending);
                q.shutdown();
                assert_eq!(probe.wakes(), 1);
                assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
            }

            #[test]
            fn dropped_stream_gives_back_an_item_it_was_handed() {
                let q = Arc::new($Q::new(0));
                let probe = Probe::new();
                let mut borrowed = q.stream();
                let mut owned = Arc::clone(&q).into_stream();
                let mut cx = std::task::Context::from_waker(probe.waker());
                assert!(Pin::new(&mut borrowed).poll_next(&mut cx).is_pending());
                assert!(Pin::new(&mut owned).poll_next(&mut cx).is_pending());
                q.put_nowait(1).unwrap();
                q.put_nowait(2).unwrap();
                assert_eq!(q.qsize(), 0);
                drop(borrowed);
                drop(owned);
                let mut back = vec![q.try_recv().unwrap(), q.try_recv().unwrap()];
                back.sort_unstable();
                assert_eq!(back, [1, 2]);
                assert!(debug_of(&q).contains("getters: 0"));
            }

            #[test]
            fn a_fresh_stream_takes_nothing() {
                let q = $Q::with_items(0, [1]);
                let stream = q.stream();
                assert_eq!(q.qsize(), 1);
                drop(stream);
                assert_eq!(q.try_recv(), Ok(1));
            }

            #[test]
            fn sink_waits_in_line_with_one_item_and_loses_none() {
                let q = $Q::with_items(1, [1]);
                let probe = Probe::new();
                let mut cx = std::task::Context::from_waker(probe.waker());
                let mut sink = q.sink();
                assert_eq!(Pin::new(&mut sink).poll_ready(&mut cx), Poll::Ready(Ok(())));
                Pin::new(&mut sink).start_send(2).unwrap();
                assert!(
                    debug_of(&q).contains("putters: 1"),
                    "the item waits in line"
                );
                assert_eq!(Pin::new(&mut sink).poll_ready(&mut cx), Poll::Pending);
                let first = q.try_recv().unwrap(); // admits 2
                assert_eq!(probe.wakes(), 1);
                assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Ready(Ok(())));
                assert_eq!(q.qsize(), 1);
                // Full again: the next item waits, then the shutdown hands it back.
                Pin::new(&mut sink).start_send(3).unwrap();
                assert!(Pin::new(&mut sink).poll_flush(&mut cx).is_pending());
                q.shutdown();
                assert_eq!(
                    Pin::new(&mut sink).poll_ready(&mut cx),
                    Poll::Ready(Err(Shutdown::new(3)))
                );
                assert_eq!(Pin::new(&mut sink).start_send(4), Err(Shutdown::new(4)));
                assert_eq!(Pin::new(&mut sink).poll_close(&mut cx), Poll::Ready(Ok(())));
                let mut out = vec![first, q.try_recv().unwrap()];
                out.sort_unstable();
                assert_eq!(out, [1, 2]);
            }

            #[test]
            fn owned_sink_delivers_like_the_borrowed_one() {
                let q = Arc::new($Q::new(0));
                let probe = Probe::new();
                let mut cx = std::task::Context::from_waker(probe.waker());
                let mut sink = Arc::clone(&q).into_sink();
                assert_eq!(Pin::new(&mut sink).poll_ready(&mut cx), Poll::Ready(Ok(())));
                Pin::new(&mut sink).start_send(5).unwrap();
                assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Ready(Ok(())));
                assert_eq!(q.try_recv(), Ok(5));
            }
        }
    };
}

shutdown_rules!(fifo_shutdown, Queue, order: [111, 333, 222]);
shutdown_rules!(lifo_shutdown, LifoQueue, order: [222, 333, 111]);
shutdown_rules!(priority_shutdown, PriorityQueue, order: [111, 222, 333]);
shutdown_rules!(joinable_shutdown, JoinableQueue, order: [111, 333, 222]);

#[test]
fn join_ends_once_the_count_is_zero_after_shutdown() {
    let q = JoinableQueue::with_items(0, ['a', 'b']);
    let probe = Probe::new();
    let mut join = q.join();
    probe.pending(&mut join);
    q.shutdown();
    assert!(
        probe.poll(&mut join).is_pending(),
        "shutdown leaves the count"
    );
    while let Ok(_item) = q.try_recv() {
        q.task_done().unwrap();
    }
    assert_eq!(probe.wakes(), 1);
    probe.ready(&mut join);
}

#[test]
fn shutdown_immediate_uncounts_the_drained_items_and_ends_join() {
    let q = JoinableQueue::with_items(0, ['a', 'b', 'c']);
    let taken = q.try_recv().unwrap();
    let probe = Probe::new();
    let mut join = q.join();
    probe.pending(&mut join);
    assert_eq!(q.shutdown_immediate(), ['b', 'c']);
    assert_eq!(
        q.unfinished_tasks(),
        1,
        "the item taken before still counts"
    );
    assert!(probe.poll(&mut join).is_pending());
    let _ = taken;
    q.task_done().unwrap();
    probe.ready(&mut join);

    // Nothing taken: the drain alone ends join, inside the call.
    let q = JoinableQueue::with_items(0, [1, 2]);
    let mut join = q.join();
    probe.pending(&mut join);
    q.shutdown_immediate();
    assert_eq!(q.unfinished_tasks(), 0);
    probe.ready(&mut join);
}

// ----------------------------------------------------------------------------------------
// Items given back by dropped getters. (User code in a queue: an item's `Ord`, `Debug` and
// `Drop`, and wakers calling back, is tested in `tests/callbacks.rs`.)

#[test]
fn items_given_back_by_dropped_getters_keep_their_fifo_order() {
    let q = Queue::new(0);
    q.put_nowait("a").unwrap();
    q.put_nowait("b").unwrap();
    let (ga, gb) = (q.get(), q.get());
    drop(ga);
    drop(gb);
    assert_eq!(q.get_nowait(), Ok("a"));
    assert_eq!(q.get_nowait(), Ok("b"));
}

#[test]
fn items_given_back_over_a_refilled_bounded_queue_keep_their_order() {
    for order in [[0, 1], [1, 0]] {
        let q = Queue::with_items(1, [1]);
        let mut p2 = q.put(2);
        let mut p3 = q.put(3);
        let mut getters = [Some(q.get()), Some(q.get())]; // took 1 and 2, admitted 2 and 3
        assert_eq!(poll(&mut p2), Poll::Ready(()));
        assert_eq!(poll(&mut p3), Poll::Ready(()));
        for i in order {
            drop(getters[i].take());
        }
        // Over maxsize by one item per getter dropped holding one (documented bound).
        assert_eq!(q.qsize(), 3);
        let out: Vec<_> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
        assert_eq!(out, [1, 2, 3], "dropped in order {order:?}");
    }
}

#[test]
fn lifo_given_back_item_returns_under_newer_items() {
    let q = LifoQueue::new(0);
    q.put_nowait(1).unwrap();
    let g = q.get(); // takes 1
    q.put_nowait(2).unwrap();
    q.put_nowait(3).unwrap();
    drop(g);
    let out: Vec<_> = std::iter::from_fn(|| q.get_nowait().ok()).collect();
    assert_eq!(out, [3, 2, 1]);
}

/// The shutdown-aware futures, the streams, the sinks and the errors are `Send + Sync`
/// where the item is, and the owned forms are `'static`.
#[test]
fn shutdown_types_are_send_sync() {
    use std::sync::Arc;
    use toro::queue::order::{Fifo, Priority};
    use toro::{
        OwnedQueueSink, OwnedQueueStream, QueueRecv, QueueSend, QueueSink, QueueStream, Shutdown,
        TryRecvError, TrySendError,
    };
    fn send_sync<T: Send + Sync>() {}
    fn owned<T: Send + Sync + 'static>() {}
    send_sync::<QueueRecv<'_, String, Fifo<String>>>();
    send_sync::<QueueSend<'_, String, Priority<String>>>();
    send_sync::<QueueStream<'_, String, Fifo<String>>>();
    send_sync::<QueueSink<'_, String, Fifo<String>>>();
    owned::<OwnedQueueStream<JoinableQueue<String>>>();
    owned::<OwnedQueueSink<LifoQueue<String>>>();
    send_sync::<Shutdown<String>>();
    send_sync::<TrySendError<String>>();
    send_sync::<TryRecvError>();
    let q = Arc::new(Queue::<String>::new(0));
    let stream: OwnedQueueStream<Queue<String>> = q.clone().into_stream();
    std::thread::spawn(move || drop(stream)).join().unwrap();
    // Errors have toro-style messages.
    assert_eq!(Shutdown::new(()).to_string(), "queue is shut down");
    assert_eq!(TryRecvError::Empty.to_string(), "queue is empty");
    assert_eq!(format!("{:?}", Shutdown::new("big item")), "Shutdown(..)");
}
