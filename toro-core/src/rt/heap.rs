//! The timers of a clock that toro drives itself (the runtime-free timer thread, a
//! [`ManualClock`](super::ManualClock)): an indexed binary heap by deadline over a slab of
//! entries, so that arming, cancelling and firing are O(log n) and, once the heap has
//! grown to the most timers armed at once, allocate nothing.
//!
//! Each entry is owned by one alarm (a wait's deadline): only that alarm removes it, so a
//! [`Key`] is never reused while someone holds it.

use std::task::Waker;
use std::time::Instant;

use crate::waiters::{KEEP_BYTES, Key, Slab};

/// One armed (or fired) timer.
struct Entry {
    at: Instant,
    /// Arming order: timers due at the same instant fire in the order they were armed.
    /// Never wraps: one per armed timer, 2^64 of them take 584 years at one per nanosecond.
    seq: u64,
    /// The waker to wake when it fires; taken when it fires.
    waker: Option<Waker>,
    /// Where it stands in the heap, or [`FIRED`].
    pos: usize,
}

/// [`Entry::pos`] of a timer that has fired (left the heap).
const FIRED: usize = usize::MAX;

pub(crate) struct TimerHeap {
    entries: Slab<Entry>,
    /// Keys of the armed timers, a min-heap by `(at, seq)`.
    heap: Vec<Key>,
    next_seq: u64,
}

impl TimerHeap {
    pub(crate) const fn new() -> Self {
        TimerHeap {
            entries: Slab::new(),
            heap: Vec::new(),
            next_seq: 0,
        }
    }

    /// Arms a timer for `at`, to wake `waker` (which may come later, in
    /// [`waker_slot`](Self::waker_slot): the manual clock arms under its lock, where it
    /// reads its `now`, and brings the waker after, cloned outside the lock).
    pub(crate) fn insert(&mut self, at: Instant, waker: Option<Waker>) -> Key {
        let seq = self.next_seq;
        self.next_seq += 1;
        let pos = self.heap.len();
        let key = self.entries.insert(Entry {
            at,
            seq,
            waker,
            pos,
        });
        self.heap.push(key);
        self.sift_up(pos);
        key
    }

    /// Whether the timer at `key` has fired.
    pub(crate) fn is_fired(&self, key: Key) -> bool {
        self.entries.get(key).is_some_and(|e| e.pos == FIRED)
    }

    /// The slot of the waker to wake when the timer at `key` fires.
    pub(crate) fn waker_slot(&mut self, key: Key) -> &mut Option<Waker> {
        &mut self.entries.at_mut(key).waker
    }

    /// Removes the timer at `key`, fired or not; returns its waker, to drop after the lock.
    #[must_use = "drop the waker after the clock's lock is released"]
    pub(crate) fn remove(&mut self, key: Key) -> Option<Waker> {
        let entry = self.entries.remove(key);
        if entry.pos != FIRED {
            self.take_out(entry.pos);
        }
        if self.heap.is_empty() && self.heap.capacity() * std::mem::size_of::<Key>() > KEEP_BYTES {
            self.heap = Vec::new();
        }
        entry.waker
    }

    /// The earliest deadline armed.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.heap.first().map(|&key| self.at(key))
    }

    /// Timers armed and not fired.
    pub(crate) fn armed(&self) -> usize {
        self.heap.len()
    }

    /// Fires every timer due at `now`, earliest first (in arming order among equal
    /// deadlines), adding their wakers to `wakes` in that order.
    pub(crate) fn fire_due(&mut self, now: Instant, wakes: &mut Vec<Waker>) {
        while let Some(&key) = self.heap.first() {
            if self.at(key) > now {
                break;
            }
            self.take_out(0);
            let entry = self.entries.at_mut(key);
            entry.pos = FIRED;
            wakes.extend(entry.waker.take());
        }
    }

    fn at(&self, key: Key) -> Instant {
        self.entries.get(key).expect("armed timer without entry").at
    }

    /// Whether the timer at `a` comes before the one at `b`.
    fn before(&self, a: Key, b: Key) -> bool {
        let (a, b) = (
            self.entries.get(a).expect("timer"),
            self.entries.get(b).expect("timer"),
        );
        (a.at, a.seq) < (b.at, b.seq)
    }

    /// Takes the timer at heap position `pos` out of the heap.
    fn take_out(&mut self, pos: usize) {
        let last = self.heap.len() - 1;
        self.heap.swap(pos, last);
        self.heap.pop();
        if pos < last {
            self.set_pos(pos);
            self.sift_down(pos);
            self.sift_up(pos);
        }
    }

    fn set_pos(&mut self, pos: usize) {
        let key = self.heap[pos];
        self.entries.at_mut(key).pos = pos;
    }

    /// Swaps the timers at `pos` and `other`, files the one now at `pos`, and says where
    /// the moving one went (`other`; it is filed when it settles).
    fn exchange(&mut self, pos: usize, other: usize) -> usize {
        self.heap.swap(pos, other);
        self.set_pos(pos);
        other
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if !self.before(self.heap[pos], self.heap[parent]) {
                break;
            }
            pos = self.exchange(pos, parent);
        }
        self.set_pos(pos);
    }

    fn sift_down(&mut self, mut pos: usize) {
        let len = self.heap.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && self.before(self.heap[right], self.heap[left]) {
                right
            } else {
                left
            };
            if !self.before(self.heap[child], self.heap[pos]) {
                break;
            }
            pos = self.exchange(pos, child);
        }
        self.set_pos(pos);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;
    use std::time::Duration;

    /// A waker that logs its id when woken.
    struct Logged(u64, Arc<Mutex<Vec<u64>>>);

    impl Wake for Logged {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    /// Random arming, cancelling and firing against a sorted model: timers fire in
    /// deadline order, arming order among equals, and cancelled ones never.
    #[test]
    fn fires_in_deadline_order_and_cancels_exactly() {
        let mut random = crate::xorshift(0x9e37_79b9_7f4a_7c15_u64);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut heap = TimerHeap::new();
        // (at, arming order, key, id) of the armed timers.
        let mut model: Vec<(Instant, u64, Key, u64)> = Vec::new();
        let mut now = Instant::now();
        let mut fired = 0;
        for id in 0..2000_u64 {
            match random(4) {
                0 | 1 => {
                    let at = now + Duration::from_millis(random(50));
                    let key = heap.insert(at, Some(Arc::new(Logged(id, Arc::clone(&log))).into()));
                    model.push((at, id, key, id));
                }
                2 if !model.is_empty() => {
                    let (_, _, key, _) = model.swap_remove(random(model.len() as u64) as usize);
                    assert!(!heap.is_fired(key));
                    drop(heap.remove(key));
                }
                _ => {
                    now += Duration::from_millis(random(20));
                    let mut wakes = Vec::new();
                    heap.fire_due(now, &mut wakes);
                    wakes.into_iter().for_each(Waker::wake);
                    model.sort();
                    let due = model.iter().take_while(|t| t.0 <= now).count();
                    let expected: Vec<u64> = model[..due].iter().map(|t| t.3).collect();
                    assert_eq!(std::mem::take(&mut *log.lock().unwrap()), expected);
                    for (_, _, key, _) in model.drain(..due) {
                        assert!(heap.is_fired(key));
                        assert!(heap.remove(key).is_none(), "its waker was taken");
                        fired += 1;
                    }
                }
            }
            assert_eq!(heap.armed(), model.len());
            assert_eq!(heap.earliest(), model.iter().map(|t| t.0).min());
        }
        assert!(fired > 100, "only {fired} fired");
    }
}
