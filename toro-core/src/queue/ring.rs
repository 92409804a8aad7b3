//! The lock-free front of a FIFO queue: a bounded ring that puts and gets use with one
//! compare-and-swap each while nobody waits, and that the queue's mutex closes when a line
//! forms. One of toro-core's three modules with `unsafe` code (the slots' items).
//!
//! # Positions and slots
//!
//! `tail` counts the items ever pushed, `head` the items ever popped; the ring holds
//! `tail - head` items, in slots `position % slots`. Each slot has a sequence number that
//! says whose turn it is (Dmitry Vyukov's bounded queue): `position` when it is free for
//! the push of `position`, `position + 1` once that push has written it, and `position +
//! slots` once the pop of `position` has read it (free for the next lap). A push or a pop
//! first claims its position with a compare-and-swap on `tail` or `head`, then waits for
//! its slot's turn: a claim is exact (the ring never says "empty" while it holds an item
//! some completed put left there), and the wait is only for another thread to finish the
//! few instructions between its own claim and its slot's sequence number.
//!
//! Positions are 63 bits and never wrap: 2^63 puts take 292 years at one per nanosecond.
//!
//! # Closed
//!
//! The low bit of `head` and of `tail` is `CLOSED`. A claim is a compare-and-swap of the
//! whole word, so it fails once the bit is set: setting it (the queue's mutex held) stops
//! every later fast put and get at once, with no store-then-load race, and from then on
//! only the mutex holder moves the positions (claims made before the bit was set finish
//! their slots; the holder waits for those where it needs them). The queue closes the ring
//! whenever a line of getters or putters forms, an item is given back, items wait behind
//! the ring, or it is shut down, and opens it again once none of that holds.
//!
//! # Memory
//!
//! The slots are made by the queue's first operation that takes its mutex (every ring
//! starts closed), and published by the `Release` that clears `CLOSED`: a claim
//! (`Acquire`) that saw the bit clear sees the slots. A queue that never uses its ring
//! (LIFO, priority) never makes them.

#![allow(unsafe_code)]

use std::mem::MaybeUninit;

use crate::sync::{AtomicU64, Backoff, Ordering, UnsafeCell};

/// The low bit of `head` and `tail`.
const CLOSED: u64 = 1;
/// One position, above the `CLOSED` bit.
const ONE: u64 = 2;

struct Slot<T> {
    seq: AtomicU64,
    item: UnsafeCell<MaybeUninit<T>>,
}

pub(crate) struct Ring<T> {
    head: AtomicU64,
    tail: AtomicU64,
    /// How many items it may hold (at most the slots' count, a power of two).
    capacity: u64,
    /// Made the first time the ring opens (see the module docs).
    slots: UnsafeCell<Option<Box<[Slot<T>]>>>,
}

// SAFETY: items move through the ring from one thread to another, so `T: Send`; the ring
// gives out no references to them (every item is moved in and moved out whole), so
// sharing the ring needs no `T: Sync`.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above: `&Ring` only moves whole items in and out.
unsafe impl<T: Send> Sync for Ring<T> {}

/// How many bytes of slots a ring may take: small rings for large items.
const SLOT_BYTES: usize = 4096;
/// The most slots a ring has.
const MAX_SLOTS: usize = 1024;

impl<T> Ring<T> {
    /// A closed ring that will hold up to `wanted` items (0: as many as its slots take),
    /// or none at all (`wanted` of `None`: a queue that never uses it).
    pub(crate) fn new(wanted: Option<usize>) -> Self {
        let capacity = wanted.map_or(0, Self::capacity_for) as u64;
        Ring {
            head: AtomicU64::new(CLOSED),
            tail: AtomicU64::new(CLOSED),
            capacity,
            slots: UnsafeCell::new(None),
        }
    }

    /// The ring's capacity for a queue of `maxsize` (0: unbounded): the queue's size up to
    /// what [`SLOT_BYTES`] of slots hold (at least 2, at most [`MAX_SLOTS`]).
    fn capacity_for(maxsize: usize) -> usize {
        let most = (SLOT_BYTES / std::mem::size_of::<Slot<T>>().max(1))
            .next_power_of_two()
            .clamp(2, MAX_SLOTS);
        if maxsize == 0 {
            most
        } else {
            maxsize.min(most)
        }
    }

    /// The position the next item pushed will take (the count of items ever pushed).
    #[inline]
    pub(crate) fn back(&self) -> u64 {
        self.tail.load(Ordering::Acquire) / ONE
    }

    /// Whether the ring can ever hold an item.
    pub(crate) fn is_used(&self) -> bool {
        self.capacity > 0
    }

    /// The items in the ring (claimed pushes counted, claimed pops not).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire) / ONE;
        let tail = self.tail.load(Ordering::Acquire) / ONE;
        tail.saturating_sub(head) as usize
    }

    /// Puts `item` at the back, if the ring is open and has room; gives it back if not.
    #[inline]
    pub(crate) fn try_push(&self, item: T) -> Result<(), T> {
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & CLOSED != 0 {
                return Err(item);
            }
            let pos = tail / ONE;
            // A stale `head` only makes the ring look fuller.
            let head = self.head.load(Ordering::Relaxed) / ONE;
            if pos.saturating_sub(head) >= self.capacity {
                return Err(item);
            }
            match self.tail.compare_exchange_weak(
                tail,
                tail + ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.write(pos, item);
                    return Ok(());
                }
                Err(actual) => tail = actual,
            }
        }
    }

    /// Takes the item at the front, with its position, if the ring is open and holds one.
    #[inline]
    pub(crate) fn try_pop(&self) -> Option<(u64, T)> {
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            if head & CLOSED != 0 {
                return None;
            }
            let pos = head / ONE;
            // A stale `tail` only makes the ring look emptier (then the queue's slow path
            // looks again, under its mutex).
            if self.tail.load(Ordering::Acquire) / ONE <= pos {
                return None;
            }
            match self.head.compare_exchange_weak(
                head,
                head + ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((pos, self.read(pos))),
                Err(actual) => head = actual,
            }
        }
    }

    /// Closes the ring: no fast put or get succeeds until it opens again. The queue's
    /// mutex is held.
    #[inline]
    /// Whether the fast claims are open (both words without `CLOSED`).
    #[cfg(test)]
    pub(crate) fn is_open(&self) -> bool {
        (self.head.load(Ordering::Acquire) | self.tail.load(Ordering::Acquire)) & CLOSED == 0
    }

    pub(crate) fn close(&self) {
        if self.tail.load(Ordering::Relaxed) & CLOSED == 0 {
            self.tail.fetch_or(CLOSED, Ordering::AcqRel);
        }
        if self.head.load(Ordering::Relaxed) & CLOSED == 0 {
            self.head.fetch_or(CLOSED, Ordering::AcqRel);
        }
    }

    /// Makes the slots, if the ring is used and has none yet. The queue's mutex is held
    /// and the ring closed.
    pub(crate) fn make_slots(&self) {
        if !self.is_used() || self.has_slots() {
            return;
        }
        // At least two: with one slot, "written for position p" and "free for position
        // p + 1" would be the same sequence number.
        let count = (self.capacity as usize).next_power_of_two().max(2);
        self.slots.with_mut(|slots| {
            // SAFETY: the ring is closed (it starts so, and has never opened without
            // slots) and the queue's mutex is held: no fast claim succeeds, and the mutex
            // holder is the only one to touch this field while the ring is closed.
            let slots = unsafe { &mut *slots };
            // No position was ever claimed (there was no slot to claim): slot `i` is free
            // for position `i`.
            *slots = Some(
                (0..count as u64)
                    .map(|i| Slot {
                        seq: AtomicU64::new(i),
                        item: UnsafeCell::new(MaybeUninit::uninit()),
                    })
                    .collect(),
            );
        });
    }

    /// Opens the ring to fast puts and gets. The queue's mutex is held, the slots are made,
    /// and nothing that needs the mutex is pending (no line, no item given back or waiting
    /// behind the ring, not shut down).
    pub(crate) fn open(&self) {
        if self.head.load(Ordering::Relaxed) & CLOSED == 0 || !self.has_slots() {
            return;
        }
        // Release: the slots (and every item the mutex holder moved) are seen by the fast
        // claims that see the ring open.
        self.head.fetch_and(!CLOSED, Ordering::Release);
        self.tail.fetch_and(!CLOSED, Ordering::Release);
    }

    /// Puts `item` at the back of a closed ring, if it has room. The queue's mutex is held.
    pub(crate) fn push_locked(&self, item: T) -> Result<(), T> {
        let tail = self.tail.load(Ordering::Acquire);
        debug_assert!(tail & CLOSED != 0, "push_locked on an open ring");
        let pos = tail / ONE;
        let head = self.head.load(Ordering::Acquire) / ONE;
        if pos - head >= self.capacity || !self.has_slots() {
            return Err(item);
        }
        // Only the mutex holder moves a closed ring's positions.
        self.tail.fetch_add(ONE, Ordering::AcqRel);
        self.write(pos, item);
        Ok(())
    }

    /// Takes the item at the front of a closed ring, with its position. The queue's mutex
    /// is held.
    pub(crate) fn pop_locked(&self) -> Option<(u64, T)> {
        let head = self.head.load(Ordering::Acquire);
        debug_assert!(head & CLOSED != 0, "pop_locked on an open ring");
        let pos = head / ONE;
        if self.tail.load(Ordering::Acquire) / ONE <= pos {
            return None;
        }
        self.head.fetch_add(ONE, Ordering::AcqRel);
        Some((pos, self.read(pos)))
    }

    /// Whether the slots have been made. The queue's mutex is held.
    fn has_slots(&self) -> bool {
        // SAFETY: read by the mutex holder, the only writer (see `open`).
        self.slots.with(|slots| unsafe { (*slots).is_some() })
    }

    /// The slots. Only for a claimed position, whose claim saw the ring open (or by the
    /// mutex holder, after `has_slots`): the slots exist and are never replaced.
    fn slots(&self) -> &[Slot<T>] {
        let slots = self.slots.with(|slots| {
            // SAFETY: the slots were published before the position could be claimed (see
            // the module docs) and are only dropped with the ring; the reference lives no
            // longer than `&self`.
            unsafe { (*slots).as_deref() }
        });
        slots.expect("a ring position claimed before its slots were made")
    }

    /// Writes `item` at the claimed position `pos` once its slot is free.
    fn write(&self, pos: u64, item: T) {
        let slots = self.slots();
        let slot = &slots[(pos % slots.len() as u64) as usize];
        let mut backoff = Backoff::new();
        // Acquire: the pop that freed the slot has finished reading it.
        while slot.seq.load(Ordering::Acquire) != pos {
            backoff.snooze();
        }
        slot.item.with_mut(|cell| {
            // SAFETY: the claim on `pos` and the slot's turn make this thread the slot's
            // only user until it publishes the item below.
            unsafe { (*cell).write(item) };
        });
        slot.seq.store(pos + 1, Ordering::Release);
    }

    /// Reads the item at the claimed position `pos` once its push has written it.
    fn read(&self, pos: u64) -> T {
        let slots = self.slots();
        let slot = &slots[(pos % slots.len() as u64) as usize];
        let mut backoff = Backoff::new();
        // Acquire: the push's write of the item is seen.
        while slot.seq.load(Ordering::Acquire) != pos + 1 {
            backoff.snooze();
        }
        let item = slot.item.with(|cell| {
            // SAFETY: the push of `pos` wrote the item (its turn number says so), and the
            // claim on `pos` makes this thread the only one to read it, once.
            unsafe { (*cell).assume_init_read() }
        });
        slot.seq.store(pos + slots.len() as u64, Ordering::Release);
        item
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        let head = self.head.load(Ordering::Relaxed) / ONE;
        let tail = self.tail.load(Ordering::Relaxed) / ONE;
        for pos in head..tail {
            // Every claim has finished: nobody else holds the ring.
            drop(self.read(pos));
        }
    }
}

/// A ring of `capacity`, its slots made and open, for the tests and the loom models.
#[cfg(test)]
fn open<T>(capacity: usize) -> Ring<T> {
    let ring = Ring::new(Some(capacity));
    ring.make_slots();
    ring.open();
    ring
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A ring of capacity 1 has two slots: a push claimed after a pop was claimed (but
    /// before it read its slot) must not take that slot.
    #[test]
    fn capacity_one_never_overwrites_an_unread_item() {
        let ring = open(1);
        for i in 0..10 {
            ring.try_push(i).unwrap();
            assert_eq!(ring.try_push(99), Err(99), "full at one");
            assert_eq!(ring.try_pop(), Some((i, i)));
        }
        // SAFETY: nothing else holds the ring: the slots are read by this thread alone.
        let slots = ring.slots.with(|s| unsafe { (*s).as_ref().unwrap().len() });
        assert_eq!(slots, 2);
    }

    #[test]
    fn fifo_through_many_laps_and_exact_capacity() {
        let ring = open(3);
        assert_eq!(ring.capacity, 3);
        let mut next = 0;
        let mut expect = 0;
        for _ in 0..100 {
            while ring.try_push(next).is_ok() {
                next += 1;
            }
            assert_eq!(ring.len(), 3, "full at exactly its capacity");
            for _ in 0..2 {
                let (pos, item) = ring.try_pop().unwrap();
                assert_eq!((pos, item), (expect, expect));
                expect += 1;
            }
        }
    }

    #[test]
    fn closed_refuses_fast_claims_and_the_mutex_holder_still_moves_items() {
        let ring = open(4);
        ring.try_push(1).unwrap();
        ring.close();
        assert_eq!(ring.try_push(2), Err(2));
        assert_eq!(ring.try_pop(), None);
        ring.push_locked(2).unwrap();
        assert_eq!(ring.pop_locked(), Some((0, 1)));
        ring.open();
        assert_eq!(ring.try_pop(), Some((1, 2)));
        assert_eq!(ring.try_pop(), None);
    }

    #[test]
    fn items_left_in_the_ring_are_dropped_with_it() {
        let counted = std::sync::Arc::new(());
        let ring = Ring::new(Some(8));
        ring.make_slots();
        ring.open();
        for _ in 0..5 {
            ring.try_push(counted.clone()).unwrap();
        }
        drop(ring.try_pop());
        drop(ring);
        assert_eq!(std::sync::Arc::strong_count(&counted), 1);
    }

    #[test]
    fn capacity_follows_the_items_size() {
        assert_eq!(Ring::<u64>::capacity_for(0), 256);
        assert_eq!(Ring::<u64>::capacity_for(64), 64);
        assert_eq!(Ring::<[u8; 1024]>::capacity_for(0), 4);
        assert_eq!(Ring::<()>::capacity_for(0), 512);
        assert_eq!(Ring::<u8>::capacity_for(100_000), 256);
    }

    #[test]
    fn threads_exchange_every_item_once_in_order() {
        let ring = std::sync::Arc::new(open(8));
        let n = 100_000_u64;
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                for i in 0..n {
                    let mut item = i;
                    while let Err(back) = ring.try_push(item) {
                        item = back;
                        std::thread::yield_now();
                    }
                }
            })
        };
        let mut expect = 0;
        while expect < n {
            match ring.try_pop() {
                Some((_, item)) => {
                    assert_eq!(item, expect);
                    expect += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
    }
}

/// loom models of the ring alone (`scripts/loom` runs them): claims racing each other
/// around a small ring's laps.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    fn push(ring: &Ring<u32>, mut item: u32) {
        while let Err(back) = ring.try_push(item) {
            item = back;
            thread::yield_now();
        }
    }

    /// Runs `f` on a new loom thread, with the ring.
    fn on_thread<R: Send + 'static>(
        ring: &Arc<Ring<u32>>,
        f: impl FnOnce(&Ring<u32>) -> R + Send + 'static,
    ) -> thread::JoinHandle<R> {
        let ring = ring.clone();
        thread::spawn(move || f(&ring))
    }

    fn pop(ring: &Ring<u32>) -> u32 {
        loop {
            match ring.try_pop() {
                Some((_, item)) => return item,
                None => thread::yield_now(),
            }
        }
    }

    /// A producer and a consumer around a capacity-1 ring (two slots): a push claimed
    /// while a pop that claimed before it is still reading never takes that pop's slot.
    /// (With one slot, loom finds the push writing over the item being read.)
    #[test]
    fn ring_capacity_one_laps() {
        loom::model(|| {
            let ring = Arc::new(open(1));
            let producer = on_thread(&ring, |ring| (1..=3).for_each(|i| push(ring, i)));
            assert_eq!([pop(&ring), pop(&ring), pop(&ring)], [1, 2, 3]);
            producer.join().unwrap();
        });
    }

    /// Two producers racing for the same position, and a consumer: every item once.
    #[test]
    fn ring_two_producers() {
        loom::model(|| {
            let ring = Arc::new(open(2));
            let producers: Vec<_> = [1, 2]
                .into_iter()
                .map(|item| on_thread(&ring, move |ring| push(ring, item)))
                .collect();
            let mut got = [pop(&ring), pop(&ring)];
            producers.into_iter().for_each(|p| p.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, [1, 2]);
        });
    }

    /// The mutex holder closing the ring while a producer claims: the item is either in
    /// the ring (the holder pops it) or handed back to the producer.
    #[test]
    fn ring_close_races_a_claim() {
        loom::model(|| {
            let ring = Arc::new(open(2));
            let producer = on_thread(&ring, |ring| ring.try_push(7).is_ok());
            ring.close();
            let popped = ring.pop_locked().map(|(_, item)| item);
            let pushed = producer.join().unwrap();
            let popped = popped.or_else(|| ring.pop_locked().map(|(_, item)| item));
            assert_eq!(popped.is_some(), pushed);
            assert_eq!(ring.try_push(8), Err(8), "closed");
        });
    }
}
