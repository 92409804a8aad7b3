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
use std::collections::{BinaryHeap, VecDeque};

mod sealed {
    pub trait Sealed {}
}

/// The buffer discipline of a queue: which item a `get` takes next.
///
/// Sealed; implemented by [`Fifo`], [`Lifo`] and [`Priority`]. Use it as a bound to write
/// code that takes the futures of any toro queue.
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
    #[doc(hidden)]
    fn new() -> Self;
    #[doc(hidden)]
    fn len(&self) -> usize;
    /// Adds an item that enters the queue.
    #[doc(hidden)]
    fn push(&mut self, item: T);
    /// Puts back an item that a dropped getter had been handed: it is the next to come
    /// out again.
    #[doc(hidden)]
    fn push_head(&mut self, item: T);
    /// Takes the next item by this order.
    #[doc(hidden)]
    fn pop(&mut self) -> Option<T>;
    /// The items, next-out first, for `Debug`.
    #[doc(hidden)]
    fn for_each(&self, f: &mut dyn FnMut(&T));
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
pub struct Lifo<T>(Vec<T>);

/// Smallest first, first in first out among equal items:
/// [`PriorityQueue`](crate::PriorityQueue)'s order.
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
    heap: BinaryHeap<Ranked<T>>,
    /// Stamps arrivals so equal items leave in arrival order.
    next_stamp: i64,
    /// Stamps items put back at the head, below every arrival.
    next_head_stamp: i64,
}

impl<T> sealed::Sealed for Fifo<T> {}
impl<T> sealed::Sealed for Lifo<T> {}
impl<T> sealed::Sealed for Priority<T> {}

impl<T> Order<T> for Fifo<T> {
    fn new() -> Self {
        Fifo(VecDeque::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, item: T) {
        self.0.push_back(item)
    }
    fn push_head(&mut self, item: T) {
        self.0.push_front(item)
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn for_each(&self, f: &mut dyn FnMut(&T)) {
        self.0.iter().for_each(f)
    }
}

impl<T> Order<T> for Lifo<T> {
    fn new() -> Self {
        Lifo(Vec::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, item: T) {
        self.0.push(item)
    }
    fn push_head(&mut self, item: T) {
        self.0.push(item)
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn for_each(&self, f: &mut dyn FnMut(&T)) {
        self.0.iter().rev().for_each(f)
    }
}

impl<T: Ord> Order<T> for Priority<T> {
    fn new() -> Self {
        Priority {
            heap: BinaryHeap::new(),
            next_stamp: 0,
            next_head_stamp: -1,
        }
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
    fn push(&mut self, item: T) {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.heap.push(Ranked { item, stamp });
    }
    fn push_head(&mut self, item: T) {
        let stamp = self.next_head_stamp;
        self.next_head_stamp -= 1;
        self.heap.push(Ranked { item, stamp });
    }
    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|ranked| ranked.item)
    }
    fn for_each(&self, f: &mut dyn FnMut(&T)) {
        let mut sorted: Vec<&Ranked<T>> = self.heap.iter().collect();
        sorted.sort_by(|a, b| b.cmp(a));
        sorted.into_iter().for_each(|ranked| f(&ranked.item))
    }
}

/// An item in the priority heap. `BinaryHeap` is a max-heap, so the order is reversed:
/// the smallest item, then the smallest stamp, is the greatest.
#[derive(Debug)]
struct Ranked<T> {
    item: T,
    stamp: i64,
}

impl<T: Ord> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other
            .item
            .cmp(&self.item)
            .then_with(|| other.stamp.cmp(&self.stamp))
    }
}

impl<T: Ord> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl<T: Ord> Eq for Ranked<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<O: Order<u32>>(mut o: O) -> Vec<u32> {
        std::iter::from_fn(|| o.pop()).collect()
    }

    #[test]
    fn toro_order_tests() {
        let mut f = Fifo::new();
        let mut l = Lifo::new();
        let mut p = Priority::new();
        for x in [111, 333, 222] {
            f.push(x);
            l.push(x);
            p.push(x);
        }
        assert_eq!(drain(f), [111, 333, 222]);
        assert_eq!(drain(l), [222, 333, 111]);
        assert_eq!(drain(p), [111, 222, 333]);
    }

    #[test]
    fn priority_is_fifo_among_equals_and_head_returns_first() {
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
        p.push(Job(1, "a"));
        p.push(Job(1, "b"));
        p.push(Job(0, "c"));
        p.push_head(Job(1, "back"));
        let names: Vec<_> = std::iter::from_fn(|| p.pop()).map(|j| j.1).collect();
        assert_eq!(names, ["c", "back", "a", "b"]);
    }
}
