//! The orders a queue can keep: toro's `_put`/`_get` hooks as a trait.
//!
//! Each is a plain buffer; all waiting and hand-off code is shared (see
//! [`queue`](crate::queue)), and FIFO pays nothing for the others (static dispatch).

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, VecDeque};

mod sealed {
    pub trait Sealed {}
}

/// The buffer discipline of a queue: which item a `get` takes next.
///
/// Sealed; implemented by [`Fifo`], [`Lifo`] and [`Priority`].
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

/// First in, first out: [`Queue`](crate::Queue)'s order.
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out: [`LifoQueue`](crate::LifoQueue)'s order.
#[derive(Debug)]
pub struct Lifo<T>(Vec<T>);

/// Smallest first, first in first out among equal items:
/// [`PriorityQueue`](crate::PriorityQueue)'s order.
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
