//! The orders a queue can keep: toro's `_put`/`_get` hooks as a trait.
//!
//! Each is a plain buffer; all waiting and hand-off code is shared (see
//! [`queue`](crate::queue)), and FIFO pays nothing for the others (static dispatch).
//!
//! You meet these types as the `O` parameter of a queue's futures
//! ([`QueueGet`](crate::QueueGet), [`QueuePut`](crate::QueuePut)): name them to store
//! such a future, or bound on [`Order`] to accept the futures of any queue.
//!
//! # Examples
//!
//! ```
//! use toro_core::{LifoQueue, PriorityQueue, Queue};
//!
//! let fifo = Queue::with_items(0, [3, 1, 2]);
//! let lifo = LifoQueue::with_items(0, [3, 1, 2]);
//! let priority = PriorityQueue::with_items(0, [3, 1, 2]);
//!
//! let fifo: Vec<_> = std::iter::from_fn(|| fifo.get_nowait().ok()).collect();
//! let lifo: Vec<_> = std::iter::from_fn(|| lifo.get_nowait().ok()).collect();
//! let priority: Vec<_> = std::iter::from_fn(|| priority.get_nowait().ok()).collect();
//! assert_eq!(fifo, [3, 1, 2]); // oldest first
//! assert_eq!(lifo, [2, 1, 3]); // newest first
//! assert_eq!(priority, [1, 2, 3]); // smallest first
//! ```

use std::cmp::Ordering as CmpOrdering;
use std::collections::VecDeque;

mod sealed {
    pub trait Sealed {}
}

/// Where an item stands in its queue's arrival order: items given back by a dropped getter
/// return to their place by it. Compared as `(pos, minor)`.
///
/// A FIFO queue's ring numbers its items by position; an item that never entered the ring
/// (handed straight to a getter, or waiting behind a full ring) is stamped with the ring's
/// position at that moment (every item in the ring is older, every later one newer) and a
/// `minor` counter, and ring items have the largest `minor`. LIFO and priority queues use
/// the counter alone. Neither part wraps: one per item, 2^64 of them take 584 years at
/// one per nanosecond.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pos: u64,
    minor: u64,
}

impl Stamp {
    /// The item at position `pos` of a FIFO queue's ring.
    #[inline]
    pub(crate) fn ring(pos: u64) -> Stamp {
        Stamp {
            pos,
            minor: u64::MAX,
        }
    }

    /// The `minor`-th item to arrive outside a ring, while the ring's back is at `pos`.
    pub(crate) fn outside(pos: u64, minor: u64) -> Stamp {
        Stamp { pos, minor }
    }
}

/// The buffer discipline of a queue: which item a `get` takes next.
///
/// Sealed; implemented by [`Fifo`], [`Lifo`] and [`Priority`]. Use it as a bound to write
/// code that takes the futures of any toro queue.
///
/// Every item carries the stamp of its arrival (a counter of the queue), so an item that a
/// dropped getter gives back returns to the place it held in this order.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Order;
/// use toro_core::{LifoQueue, Queue, QueueGet};
///
/// /// Awaits a `get` of any toro queue, whatever its order.
/// async fn next<T, O: Order<T>>(get: QueueGet<'_, T, O>) -> T {
///     get.await
/// }
///
/// # toro_core::block_on(async {
/// let fifo = Queue::with_items(0, [1, 2]);
/// let lifo = LifoQueue::with_items(0, [1, 2]);
/// assert_eq!(next(fifo.get()).await, 1);
/// assert_eq!(next(lifo.get()).await, 2);
/// # });
/// ```
#[allow(clippy::len_without_is_empty)] // internal hooks, not a collection API
pub trait Order<T>: sealed::Sealed {
    /// The queue type's name, for `Debug` and messages.
    #[doc(hidden)]
    const NAME: &'static str;
    /// Whether the order runs user code (`Ord`), so the queue must guard against a panic
    /// or a call back into itself from inside it.
    #[doc(hidden)]
    const RUNS_USER_CODE: bool = false;
    /// Whether a lock-free ring fronts the buffer (first in, first out).
    #[doc(hidden)]
    const RING: bool = false;
    #[doc(hidden)]
    fn new() -> Self;
    #[doc(hidden)]
    fn len(&self) -> usize;
    /// Adds an item that enters the queue; `stamp` is newer than every stamp so far.
    #[doc(hidden)]
    fn push(&mut self, stamp: Stamp, item: T);
    /// Puts back an item that a dropped getter had been handed, where its `stamp` places
    /// it in this order.
    #[doc(hidden)]
    fn put_back(&mut self, stamp: Stamp, item: T);
    /// Takes the next item by this order, with its stamp.
    #[doc(hidden)]
    fn pop(&mut self) -> Option<(Stamp, T)>;
    /// Puts the items in next-out order, in place, ready for
    /// [`into_sorted`](Self::into_sorted). Runs `Ord` for [`Priority`]: call it with no
    /// lock held. A panicking `Ord` leaves every item in the buffer (in some order).
    #[doc(hidden)]
    fn sort(&mut self);
    /// Every item, next-out first; [`sort`](Self::sort) first.
    #[doc(hidden)]
    fn into_sorted(self) -> Vec<T>;
    /// Gives back memory a burst left, once the buffer holds a quarter of it or less.
    #[doc(hidden)]
    fn shrink(&mut self);
    /// Takes every item of `other` back into this buffer, each to its place by its stamp.
    /// The items are moved in before any `Ord` runs, so a panicking `Ord` loses none
    /// (the heap may then be out of order around the items it could not compare).
    #[doc(hidden)]
    fn absorb(&mut self, other: Self);
}

/// First in, first out: [`Queue`](crate::Queue)'s order (and
/// [`JoinableQueue`](crate::JoinableQueue)'s).
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Fifo;
/// use toro_core::{Queue, QueueGet};
/// # toro_core::block_on(async {
/// let queue = Queue::with_items(0, ["a", "b"]);
/// // The order shows in the types of a queue's futures.
/// let get: QueueGet<'_, &str, Fifo<&str>> = queue.get();
/// assert_eq!(get.await, "a"); // oldest first
/// # });
/// ```
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out: [`LifoQueue`](crate::LifoQueue)'s order.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Lifo;
/// use toro_core::{LifoQueue, QueueGet};
/// # toro_core::block_on(async {
/// let queue = LifoQueue::with_items(0, ["a", "b"]);
/// let get: QueueGet<'_, &str, Lifo<&str>> = queue.get();
/// assert_eq!(get.await, "b"); // newest first
/// # });
/// ```
#[derive(Debug)]
pub struct Lifo<T>(Vec<(u64, T)>);

/// Smallest first, first in first out among equal items:
/// [`PriorityQueue`](crate::PriorityQueue)'s order.
///
/// A short queue (up to 128 items) keeps its items sorted, the next out last:
/// a put finds its place by binary search and a get takes the last item, with no
/// comparison at all. A longer one keeps a binary heap, toro's own rather than `std`'s
/// `BinaryHeap`: it moves items only by swapping them in place, so an `Ord` that panics
/// midway leaves every item in the heap (the heap may then be out of order around the
/// items it could not compare), where `BinaryHeap::pop` drops the item it was popping.
/// Either way an item is in the buffer before `Ord` runs on it, and every comparison of a
/// sorted put runs before anything moves.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Priority;
/// use toro_core::{PriorityQueue, QueueGet};
/// # toro_core::block_on(async {
/// let queue = PriorityQueue::with_items(0, [(2, "low"), (1, "high")]);
/// let get: QueueGet<'_, (u8, &str), Priority<(u8, &str)>> = queue.get();
/// assert_eq!(get.await, (1, "high")); // smallest first
/// # });
/// ```
#[derive(Debug)]
pub struct Priority<T> {
    /// By (item, stamp), so that equal items leave in arrival order: sorted with the next
    /// out last, or a min-heap (the next out first), as `sorted` says.
    items: Vec<Ranked<T>>,
    sorted: bool,
}

/// The most items a [`Priority`] keeps sorted: a put moves up to this many items over by
/// one (a `memmove` of a few KiB at most), where a heap's would be logarithmic.
const SORTED_MAX: usize = 128;
/// A heap that shrinks to this many items is sorted again (once: the gap to
/// [`SORTED_MAX`] keeps a queue near either bound from switching back and forth).
const SORTED_AGAIN: usize = 32;

impl<T> sealed::Sealed for Fifo<T> {}
impl<T> sealed::Sealed for Lifo<T> {}
impl<T> sealed::Sealed for Priority<T> {}

impl<T> Order<T> for Fifo<T> {
    const NAME: &'static str = "Queue";
    const RING: bool = true;
    fn new() -> Self {
        Fifo(VecDeque::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    // A FIFO queue's buffer holds the items behind its ring, in arrival order, and no
    // stamps: an item is stamped as it is taken (items leave in the order they came), and
    // one given back goes in front of the ring, never here.
    fn push(&mut self, _: Stamp, item: T) {
        self.0.push_back(item)
    }
    fn put_back(&mut self, _: Stamp, item: T) {
        self.0.push_front(item)
    }
    fn pop(&mut self) -> Option<(Stamp, T)> {
        self.0.pop_front().map(|item| (Stamp::outside(0, 0), item))
    }
    fn sort(&mut self) {}

    fn into_sorted(self) -> Vec<T> {
        self.0.into()
    }
    fn absorb(&mut self, other: Self) {
        // Only after a shutdown, into a buffer emptied by it: `other` came first.
        let mut other = other.0;
        other.append(&mut self.0);
        self.0 = other;
    }
    fn shrink(&mut self) {
        shrink_deque(&mut self.0);
    }
}

/// Gives back most of a deque's memory once it holds a quarter of it or less (and more
/// than a page): a burst does not keep its peak for good.
fn shrink_deque<V>(deque: &mut VecDeque<V>) {
    if deque.capacity() * std::mem::size_of::<V>() > 4096 && deque.len() * 4 <= deque.capacity() {
        deque.shrink_to(deque.len() * 2);
    }
}

/// [`shrink_deque`] for a vector.
fn shrink_vec<V>(vec: &mut Vec<V>) {
    if vec.capacity() * std::mem::size_of::<V>() > 4096 && vec.len() * 4 <= vec.capacity() {
        vec.shrink_to(vec.len() * 2);
    }
}

impl<T> Order<T> for Lifo<T> {
    const NAME: &'static str = "LifoQueue";
    fn new() -> Self {
        Lifo(Vec::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, stamp: Stamp, item: T) {
        self.0.push((stamp.minor, item))
    }
    fn put_back(&mut self, stamp: Stamp, item: T) {
        let at = self.0.partition_point(|(s, _)| *s < stamp.minor);
        self.0.insert(at, (stamp.minor, item))
    }
    fn pop(&mut self) -> Option<(Stamp, T)> {
        self.0
            .pop()
            .map(|(minor, item)| (Stamp::outside(0, minor), item))
    }
    fn sort(&mut self) {}
    fn into_sorted(self) -> Vec<T> {
        self.0.into_iter().rev().map(|(_, item)| item).collect()
    }
    fn absorb(&mut self, other: Self) {
        self.0.extend(other.0);
        self.0.sort_by_key(|(stamp, _)| *stamp);
    }
    fn shrink(&mut self) {
        shrink_vec(&mut self.0);
    }
}

/// Moves the item at `i` of `heap` up while it comes before its parent. Swaps only.
fn sift_up<T: Ord>(heap: &mut [Ranked<T>], mut i: usize) {
    while i > 0 && i < heap.len() {
        let parent = (i - 1) / 2;
        if heap[i].before(&heap[parent]) {
            heap.swap(i, parent);
            i = parent;
        } else {
            break;
        }
    }
}

/// Moves the item at `i` down among `heap[..end]` while a child comes before it. Swaps
/// only.
fn sift_down<T: Ord>(heap: &mut [Ranked<T>], mut i: usize, end: usize) {
    loop {
        let left = 2 * i + 1;
        if left >= end {
            break;
        }
        let right = left + 1;
        let child = if right < end && heap[right].before(&heap[left]) {
            right
        } else {
            left
        };
        if heap[child].before(&heap[i]) {
            heap.swap(i, child);
            i = child;
        } else {
            break;
        }
    }
}

/// Makes `heap` a heap: every parent sifted down, the last first. Swaps only.
fn heapify<T: Ord>(heap: &mut [Ranked<T>]) {
    let len = heap.len();
    for i in (0..len / 2).rev() {
        sift_down(heap, i, len);
    }
}

/// Takes the next item out of the heap `heap`.
fn heap_pop<T: Ord>(heap: &mut Vec<Ranked<T>>) -> Option<Ranked<T>> {
    let last = heap.len().checked_sub(1)?;
    // The next item waits at the end, still in the heap, while `Ord` restores the rest:
    // a panic leaves it there.
    heap.swap(0, last);
    // The item now at the root came from the bottom, and most likely belongs near it:
    // move it down to the bottom along the smaller children (one comparison per level),
    // then up to its place (std's `BinaryHeap::pop` does the same). The rest of the heap
    // is a slice apart, so its indices need no checks against the item waiting at the end.
    let rest = &mut heap[..last];
    let mut at = 0;
    // While both children are there: the smaller one comes up.
    while let Some([left, right]) = rest.get(2 * at + 1..2 * at + 3) {
        let child = 2 * at + 1 + usize::from(right.before(left));
        rest.swap(at, child);
        at = child;
    }
    // A last lone left child.
    if 2 * at + 1 < rest.len() {
        rest.swap(at, 2 * at + 1);
        at = 2 * at + 1;
    }
    sift_up(rest, at);
    heap.pop()
}

/// Moves the last item of a sorted buffer to its front (last out) when dropped: while an
/// item being put finds its place, so that a panicking `Ord` leaves it where it disturbs
/// the order of no other item. Forgotten once the place is found.
struct LastOutOnPanic<'a, T>(&'a mut Vec<Ranked<T>>);

impl<T> Drop for LastOutOnPanic<'_, T> {
    fn drop(&mut self) {
        self.0.rotate_right(1);
    }
}

impl<T: Ord> Priority<T> {
    /// Switches a sorted buffer that grew past [`SORTED_MAX`] to a heap: sorted with the
    /// next out first, it is one already. No `Ord` runs.
    #[cold]
    #[inline(never)]
    fn make_heap(&mut self) {
        self.items.reverse();
        self.sorted = false;
    }

    /// Puts an item in its place: by its item, then by its stamp among equal items. A
    /// `newest` stamp is newer than every other (a put, not an item given back).
    fn insert(&mut self, stamp: Stamp, item: T, newest: bool) {
        if self.sorted && self.items.len() >= SORTED_MAX {
            self.make_heap();
        }
        // In the buffer before any `Ord` runs: a panic in it loses nothing.
        self.items.push(Ranked {
            item,
            stamp: stamp.minor,
        });
        let end = self.items.len() - 1;
        if !self.sorted {
            sift_up(&mut self.items, end);
            return;
        }
        // Its place: behind every item that leaves after it. Every comparison runs before
        // anything moves; if one panics, the new item goes last out, where it disturbs
        // the order of no other item.
        let at = {
            let last_out = LastOutOnPanic(&mut self.items);
            let (rest, new) = last_out.0.split_at(end);
            let new = &new[0];
            let at = if newest {
                // It leaves after every item equal to it: its item alone decides.
                rest.partition_point(|other| new.item.cmp(&other.item).is_lt())
            } else {
                rest.partition_point(|other| new.before(other))
            };
            std::mem::forget(last_out);
            at
        };
        if at < end {
            self.items[at..].rotate_right(1);
        }
    }

    /// Sorts a heap that shrank to [`SORTED_AGAIN`] items again, the next out last. A
    /// panicking `Ord` leaves every item in the buffer, still a heap (in some order).
    #[cold]
    #[inline(never)]
    fn make_sorted(&mut self) {
        self.items.sort_by(|a, b| b.cmp_rank(a));
        self.sorted = true;
    }
}

impl<T: Ord> Order<T> for Priority<T> {
    const NAME: &'static str = "PriorityQueue";
    const RUNS_USER_CODE: bool = true;
    fn new() -> Self {
        Priority {
            items: Vec::new(),
            sorted: true,
        }
    }
    fn len(&self) -> usize {
        self.items.len()
    }
    fn push(&mut self, stamp: Stamp, item: T) {
        self.insert(stamp, item, true);
    }
    fn put_back(&mut self, stamp: Stamp, item: T) {
        // Its own stamp brings it back to its place among equal items.
        self.insert(stamp, item, false);
    }
    fn pop(&mut self) -> Option<(Stamp, T)> {
        // Sorted again before the item leaves: a panicking `Ord` keeps it in the buffer.
        if !self.sorted && self.items.len() <= SORTED_AGAIN + 1 {
            self.make_sorted();
        }
        let next = if self.sorted {
            self.items.pop()
        } else {
            heap_pop(&mut self.items)
        };
        next.map(|ranked| (Stamp::outside(0, ranked.stamp), ranked.item))
    }
    fn sort(&mut self) {
        // A panicking comparison leaves the slice a permutation of its items (std's
        // guarantee): none is lost. Sorted with the next out last, it is a sorted buffer.
        if !self.sorted {
            self.make_sorted();
        }
    }
    fn into_sorted(self) -> Vec<T> {
        self.items
            .into_iter()
            .rev()
            .map(|ranked| ranked.item)
            .collect()
    }
    fn absorb(&mut self, other: Self) {
        // A heap of both (a sorted buffer, next out first, is a heap already).
        if self.sorted {
            self.make_heap();
        }
        self.items.extend(other.items);
        heapify(&mut self.items);
    }
    fn shrink(&mut self) {
        shrink_vec(&mut self.items);
    }
}

/// An item in the priority heap with its arrival stamp.
#[derive(Debug)]
struct Ranked<T> {
    item: T,
    /// Its arrival number (the stamp's `minor`: a priority queue has no ring).
    stamp: u64,
}

impl<T: Ord> Ranked<T> {
    /// The order items leave in: by item, the older first among equals.
    fn cmp_rank(&self, other: &Self) -> CmpOrdering {
        self.item
            .cmp(&other.item)
            .then(self.stamp.cmp(&other.stamp))
    }

    /// Whether `self` leaves before `other`: the smaller item, or the older of equals.
    fn before(&self, other: &Self) -> bool {
        match self.item.cmp(&other.item) {
            CmpOrdering::Less => true,
            CmpOrdering::Greater => false,
            CmpOrdering::Equal => self.stamp < other.stamp,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn st(minor: u64) -> Stamp {
        Stamp::outside(0, minor)
    }

    fn drain<O: Order<u32>>(mut o: O) -> Vec<u32> {
        std::iter::from_fn(|| o.pop().map(|(_, item)| item)).collect()
    }

    #[test]
    fn toro_order_tests() {
        let mut f = Fifo::new();
        let mut l = Lifo::new();
        let mut p = Priority::new();
        for (stamp, x) in [111, 333, 222].into_iter().enumerate() {
            f.push(st(stamp as u64), x);
            l.push(st(stamp as u64), x);
            p.push(st(stamp as u64), x);
        }
        assert_eq!(drain(f), [111, 333, 222]);
        assert_eq!(drain(l), [222, 333, 111]);
        assert_eq!(drain(p), [111, 222, 333]);
    }

    #[test]
    fn priority_is_fifo_among_equals_and_put_back_returns_to_its_place() {
        #[derive(Debug, PartialEq, Eq)]
        struct Job(u8, &'static str);
        impl Ord for Job {
            fn cmp(&self, o: &Self) -> CmpOrdering {
                self.0.cmp(&o.0)
            }
        }
        impl PartialOrd for Job {
            fn partial_cmp(&self, o: &Self) -> Option<CmpOrdering> {
                Some(self.cmp(o))
            }
        }
        let mut p = Priority::new();
        p.push(st(1), Job(1, "a"));
        p.push(st(3), Job(0, "c"));
        p.push(st(4), Job(1, "d"));
        // "b" was taken by a getter that was dropped: it comes back between "a" and "d".
        p.put_back(st(2), Job(1, "b"));
        let names: Vec<_> = std::iter::from_fn(|| p.pop()).map(|(_, j)| j.1).collect();
        assert_eq!(names, ["c", "a", "b", "d"]);
    }

    #[test]
    fn lifo_put_back_by_stamp() {
        let mut l = Lifo::new();
        for stamp in [1, 3, 4] {
            l.push(st(stamp), stamp as u32);
        }
        l.put_back(st(2), 2);
        l.put_back(st(0), 0);
        assert_eq!(drain(l), [4, 3, 2, 1, 0]);
    }

    /// Random pushes, put-backs and pops against a sorted model, at every size from 0 to
    /// past [`SORTED_MAX`] and back below [`SORTED_AGAIN`] (sorted, a heap of every shape of
    /// its last level, sorted again), many times.
    #[test]
    fn priority_matches_a_sorted_model() {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut p = Priority::new();
        let mut model = std::collections::BTreeSet::new();
        let mut stamp = 0;
        let (mut heaps, mut sorted_again) = (0, 0);
        // Grows to a bound, then shrinks to another, and so on.
        let mut growing = true;
        let mut bound = 64;
        for _ in 0..100_000 {
            if growing && model.len() >= bound {
                growing = false;
                bound = next(SORTED_AGAIN as u64 + 8) as usize;
            } else if !growing && model.len() <= bound {
                growing = true;
                bound = 1 + next(2 * SORTED_MAX as u64) as usize;
            }
            let grow = model.is_empty() || next(100) < if growing { 65 } else { 35 };
            let was_sorted = p.sorted;
            if grow {
                // Few distinct values: many equal items, ordered by arrival.
                let x = next(8) as u32;
                p.push(st(stamp), x);
                model.insert((x, stamp));
                stamp += 1;
            } else {
                let (s, x) = p.pop().unwrap();
                let least = model.pop_first().unwrap();
                assert_eq!((x, s.minor), least);
                if next(10) == 0 {
                    // Given back: it returns to its place.
                    p.put_back(s, x);
                    model.insert(least);
                }
            }
            heaps += usize::from(was_sorted && !p.sorted);
            sorted_again += usize::from(!was_sorted && p.sorted);
            assert_eq!(p.len(), model.len());
        }
        assert!(
            heaps > 10 && sorted_again > 10,
            "{heaps} heaps, {sorted_again} sorted"
        );
        // Shut down: next out first, whichever way it is kept.
        let drained: Vec<u32> = {
            p.sort();
            p.into_sorted()
        };
        let expected: Vec<u32> = model.into_iter().map(|(x, _)| x).collect();
        assert_eq!(drained, expected);
    }

    /// Items taken back after a shutdown (absorbed) leave by their stamps, whether the
    /// buffer was sorted or a heap.
    #[test]
    fn priority_absorb_keeps_the_order() {
        for n in [3, SORTED_MAX + 10] {
            let mut p = Priority::new();
            let mut other = Priority::new();
            for stamp in 0..n as u64 {
                let x = (stamp % 5) as u32;
                if stamp % 2 == 0 {
                    p.push(st(stamp), x);
                } else {
                    other.push(st(stamp), x);
                }
            }
            p.absorb(other);
            let got: Vec<(u32, u64)> = std::iter::from_fn(|| p.pop())
                .map(|(s, x)| (x, s.minor))
                .collect();
            let mut expected: Vec<(u32, u64)> = (0..n as u64)
                .map(|stamp| ((stamp % 5) as u32, stamp))
                .collect();
            expected.sort();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn priority_pop_keeps_every_item_when_ord_panics() {
        use std::cell::Cell;
        use std::panic::{AssertUnwindSafe, catch_unwind};
        thread_local!(static PANICKY: Cell<bool> = const { Cell::new(false) });
        #[derive(Debug, PartialEq, Eq)]
        struct Touchy(u32);
        impl Ord for Touchy {
            fn cmp(&self, o: &Self) -> CmpOrdering {
                if PANICKY.with(Cell::get) {
                    panic!("touchy");
                }
                self.0.cmp(&o.0)
            }
        }
        impl PartialOrd for Touchy {
            fn partial_cmp(&self, o: &Self) -> Option<CmpOrdering> {
                Some(self.cmp(o))
            }
        }
        let panicking = |p: &mut Priority<Touchy>, op: &mut dyn FnMut(&mut Priority<Touchy>)| {
            PANICKY.with(|c| c.set(true));
            let result = catch_unwind(AssertUnwindSafe(|| op(p)));
            PANICKY.with(|c| c.set(false));
            result.is_err()
        };
        // Sorted (5 items), a heap (past `SORTED_MAX`), a heap about to be sorted again.
        for n in [5, SORTED_MAX + 5, SORTED_AGAIN + 1] {
            let mut p = Priority::new();
            let mut stamp = 0;
            let mut push = |p: &mut Priority<Touchy>, x| {
                p.push(st(stamp), Touchy(x));
                stamp += 1;
            };
            let items: Vec<u32> = (0..n as u32).map(|i| (i * 7) % 11).collect();
            if n == SORTED_AGAIN + 1 {
                // Up past `SORTED_MAX`, then down to `n`: a heap still.
                for _ in 0..SORTED_MAX + 1 {
                    push(&mut p, 100);
                }
                for &x in &items {
                    push(&mut p, x);
                }
                for _ in 0..SORTED_MAX + 1 {
                    let _ = p.pop();
                }
                // The 100s left (the largest), all but `n`... taken until `n` are left.
                while p.len() > n {
                    let _ = p.pop();
                }
                assert!(!p.sorted);
            } else {
                for &x in &items {
                    push(&mut p, x);
                }
            }
            let len = p.len();
            // A sorted pop runs no `Ord`; a heap's (or a heap sorted again) does.
            let pop_panicked = panicking(&mut p, &mut |p| {
                let _ = p.pop();
            });
            assert_eq!(pop_panicked, n != 5, "n = {n}");
            let len = len - usize::from(!pop_panicked);
            assert!(panicking(&mut p, &mut |p| p.push(st(1000), Touchy(5))));
            // Nothing was dropped: the popped item and the pushed one are still there.
            assert_eq!(p.len(), len + 1);
            p.sort();
            let left: Vec<u32> = p.into_sorted().into_iter().map(|t| t.0).collect();
            assert_eq!(left.len(), len + 1);
            if n == 5 {
                // Sorted: the item whose place was not found goes last, the others keep
                // their order (0 was popped).
                assert_eq!(left, [3, 6, 7, 10, 5]);
            }
        }
    }
}
