//! A line of waiters each in a slot of its own: where a release hands the waiter what it
//! waits for (a queue's item, a condition's notice), and where the waiter's waker waits
//! for it. One of toro-core's modules with `unsafe` code (the slots' cells and links).
//!
//! # Why slots
//!
//! A waiter joins its line under the primitive's mutex (at the call: it is eager). Were
//! its waker and what it is handed kept in the line, it would take the mutex twice more:
//! at its first poll to leave its waker, and after the hand-off to collect what it was
//! handed. A slot is a heap node the waiter takes as it joins: its address stays put, so
//! the waiter reaches it without the mutex (one atomic operation to leave its waker, one
//! load to find what it was handed), while the line ([`SlotLine`]) links the slots
//! together, in order, and only the mutex holder follows or changes the links.
//!
//! A slot carries its payload `H` (`Default` is "nothing handed yet"): a queue's getter
//! is handed an item (or `None` for a shutdown), a condition's waiter whether its
//! wake-up passes on should it be dropped before returning.
//!
//! # Who touches what
//!
//! A slot's word has two bits, each set once:
//!
//! - `PARKED`: the waiter has left its waker in the slot (at its first poll, without the
//!   mutex). Before it, only the waiter touches the waker cell; after it, the waiter
//!   touches it only under the mutex (a later poll with another waker), and the hand-off
//!   takes it, also under the mutex.
//! - `HANDED`: a release (under the mutex) has taken the slot out of the line and written
//!   its payload. After it, the waiter owns the whole slot: the release never touches it
//!   again.
//!
//! A release takes the waker and sets `HANDED` with one compare-and-swap: the only change
//! the waiter makes without the mutex is setting `PARKED`, so the swap fails at most once,
//! when the waiter parks right then (the release then takes the waker just left).
//!
//! # Who frees it
//!
//! The waiter ([`SlotBox`]), once the slot is out of the line: after `HANDED`, or after
//! it took the slot out itself under the mutex ([`SlotBox::leave`], which marks it
//! `LEFT`). Those are the only two ways out of the line; a slot dropped without either
//! mark is still linked and is leaked rather than freed (only a forgotten future leaves
//! one in line). A freed slot is kept as the line's [`Spare`] when it has none, for the
//! next waiter to join: a ping-pong through a queue or a condition allocates nothing.

#![allow(unsafe_code)]

use std::ptr::{self, NonNull};
use std::task::Waker;

use crate::sync::{AtomicPtr, AtomicUsize, Ordering, UnsafeCell};

/// The waiter's waker is in the slot.
const PARKED: usize = 1;
/// The slot holds what a release handed it; the waiter owns it.
const HANDED: usize = 2;
/// The waiter took its slot out of the line (set and read by the waiter only).
const LEFT: usize = 4;

type Link<H> = Option<NonNull<Slot<H>>>;

struct Slot<H> {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
    /// What the waiter was handed (`H::default()` until then, and once taken).
    handed: UnsafeCell<H>,
    /// Its neighbours in line: the one before (older), the one after. Only the mutex
    /// holder reads or writes them, through the [`SlotLine`] it holds by `&mut`.
    links: UnsafeCell<(Link<H>, Link<H>)>,
}

impl<H: Default> Slot<H> {
    fn new() -> Self {
        Slot {
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
            handed: UnsafeCell::new(H::default()),
            links: UnsafeCell::new((None, None)),
        }
    }
}

/// A line of waiters, oldest first: slots linked through their `links`. It lives in the
/// primitive's mutex, so `&mut SlotLine` means that mutex is held.
pub(crate) struct SlotLine<H> {
    head: Link<H>,
    tail: Link<H>,
    len: usize,
}

/// A waiter's own slot: frees it (or keeps it as the line's spare) when it is done.
pub(crate) struct SlotBox<H: Default>(NonNull<Slot<H>>);

/// A line's one slot kept for the next waiter to join (null: none).
pub(crate) struct Spare<H>(AtomicPtr<Slot<H>>);

// SAFETY: a slot moves its payload (an item, a notice; and a waker, which is
// `Send + Sync`) from the releasing thread to the waiter's. The line holds only pointers
// to slots and gives out no reference to a payload, only the payload itself, to the
// mutex holder.
unsafe impl<H: Send> Send for SlotLine<H> {}
// SAFETY: as above: `&SlotLine` reads only its own fields.
unsafe impl<H: Send> Sync for SlotLine<H> {}
// SAFETY: the waiter's hold moves with its future; the payload comes out of it by value.
unsafe impl<H: Default + Send> Send for SlotBox<H> {}
// SAFETY: through `&SlotBox` only the state word is read (atomically); the waker, the
// payload and the slot's place in line are touched only through `&mut`.
unsafe impl<H: Default + Send> Sync for SlotBox<H> {}
// SAFETY: the spare slot is empty (default payload, no waker); only its memory changes
// hands.
unsafe impl<H: Send> Send for Spare<H> {}
// SAFETY: as above; the pointer is swapped atomically.
unsafe impl<H: Send> Sync for Spare<H> {}

impl<H: Default> SlotLine<H> {
    pub(crate) const fn new() -> Self {
        SlotLine {
            head: None,
            tail: None,
            len: 0,
        }
    }

    /// Getters in line.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The links of `slot`, which is in this line.
    fn links(&mut self, slot: NonNull<Slot<H>>) -> &mut (Link<H>, Link<H>) {
        // SAFETY: `slot` is in this line, so alive: its waiter frees it only once it is
        // out of it.
        let slot = unsafe { slot.as_ref() };
        // SAFETY: a slot's links are touched only through the line it is in, held here
        // by `&mut` (for as long as the links are borrowed).
        slot.links.with_mut(|links| unsafe { &mut *links })
    }

    /// Puts a new waiter at the back of the line (the slot is the spare one, if the
    /// line has one): its hold on its slot.
    pub(crate) fn join(&mut self, spare: &Spare<H>) -> SlotBox<H> {
        let slot = spare.take().unwrap_or_else(|| {
            // A fresh slot is made by `Box` and freed by `SlotBox::free`.
            NonNull::from(Box::leak(Box::new(Slot::new())))
        });
        *self.links(slot) = (self.tail, None);
        match self.tail {
            Some(tail) => self.links(tail).1 = Some(slot),
            None => self.head = Some(slot),
        }
        self.tail = Some(slot);
        self.len += 1;
        SlotBox(slot)
    }

    /// Takes `slot` out of the line.
    fn unlink(&mut self, slot: NonNull<Slot<H>>) {
        let (prev, next) = std::mem::take(self.links(slot));
        match prev {
            Some(prev) => self.links(prev).1 = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.links(next).0 = prev,
            None => self.tail = prev,
        }
        self.len -= 1;
    }

    /// Takes the oldest waiter out of the line and hands it `handed`: its waker comes
    /// back, to be woken after the mutex is released. `Err` gives `handed` back when
    /// nobody waits.
    pub(crate) fn hand_front(&mut self, handed: H) -> Result<Option<Waker>, H> {
        let Some(front) = self.head else {
            return Err(handed);
        };
        self.unlink(front);
        // SAFETY: the slot was in line, so alive: its waiter frees it only after
        // `HANDED` (set below) or after taking it out of the line itself.
        let slot = unsafe { front.as_ref() };
        // SAFETY: until `HANDED` nobody else touches the payload cell: the waiter reads
        // it only after `HANDED`, and only the mutex holder (this thread) hands.
        slot.handed.with_mut(|cell| unsafe { *cell = handed });
        let mut state = slot.state.load(Ordering::Acquire);
        loop {
            let waker = if state & PARKED != 0 {
                // SAFETY: after `PARKED` the waiter touches its waker only under the
                // mutex, which this thread holds; `PARKED` was read with `Acquire`, so
                // the waker it left is seen.
                slot.waker.with_mut(|waker| unsafe { (*waker).take() })
            } else {
                None
            };
            // `Release`: the payload before `HANDED`; after it the waiter owns the slot and
            // this thread touches it no more.
            match slot.state.compare_exchange(
                state,
                state | HANDED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(waker),
                Err(now) => {
                    // The waiter parked meanwhile (its only change without the mutex):
                    // take the waker it left, then hand.
                    debug_assert!(waker.is_none() && now == state | PARKED);
                    state = now;
                }
            }
        }
    }
}

impl<H: Default> SlotBox<H> {
    fn slot(&self) -> &Slot<H> {
        // SAFETY: the waiter's hold keeps the slot alive until it is released.
        unsafe { self.0.as_ref() }
    }

    /// Whether the slot was handed its payload (or ended): then [`take`](Self::take) has it.
    #[inline]
    pub(crate) fn is_handed(&self) -> bool {
        self.slot().state.load(Ordering::Acquire) & HANDED != 0
    }

    /// Leaves the waiter's waker in the slot, at its first pending poll (no mutex held):
    /// `false` if the slot was handed first (the waker is not needed then).
    #[inline]
    pub(crate) fn park(&mut self, waker: &Waker) -> bool {
        if self.is_handed() {
            return false;
        }
        self.leave_waker(waker.clone())
    }

    /// [`park`](Self::park)'s store: also reached when a release hands the slot between
    /// `park`'s look and this store.
    #[inline]
    fn leave_waker(&mut self, waker: Waker) -> bool {
        let slot = self.slot();
        // SAFETY: before `PARKED` only the waiter (this thread, by `&mut` on its hold: it
        // parks once) touches the waker cell; a release reads it only after seeing `PARKED`.
        slot.waker.with_mut(|cell| unsafe { *cell = Some(waker) });
        // `Release`: the waker before `PARKED`; `Acquire`: a hand-off that came first.
        if slot.state.fetch_or(PARKED, Ordering::AcqRel) & HANDED == 0 {
            return true;
        }
        // Handed meanwhile, before the release could see the waker: it is still here. It is
        // dropped now, while the payload is still in the slot: were it dropped with the
        // slot, after the waiter took the payload, a `drop` that panics would unwind with
        // the payload in hand, and lose it. Here such a panic leaves the payload in the slot,
        // where the waiter's own drop finds it and gives it back.
        // SAFETY: after `HANDED` (seen with `Acquire`) the slot is the waiter's alone.
        drop(slot.waker.with_mut(|cell| unsafe { (*cell).take() }));
        false
    }

    /// The waker cell, for a later poll that must check or change the waker left at the
    /// first: only under the line's mutex, which `_line` (reached through the mutex
    /// guard) proves held, and only while the waiter is still in line (`None` once
    /// handed: the release has taken the waker).
    pub(crate) fn waker_in_line<'a>(
        &'a mut self,
        _line: &'a mut SlotLine<H>,
    ) -> Option<&'a mut Option<Waker>> {
        let slot = self.slot();
        if slot.state.load(Ordering::Acquire) & HANDED != 0 {
            return None;
        }
        // SAFETY: the mutex is held (`_line` is borrowed from its guard for `'a`) and the
        // slot not handed: a release, the only other user of the cell, needs the mutex to
        // hand it, so the cell is this thread's for `'a`.
        Some(slot.waker.with_mut(|cell| unsafe { &mut *cell }))
    }

    /// What the slot was handed, once [`is_handed`](Self::is_handed).
    ///
    /// # Panics
    ///
    /// If the slot was not handed yet.
    #[inline]
    pub(crate) fn take(&mut self) -> H {
        let slot = self.slot();
        assert!(
            slot.state.load(Ordering::Acquire) & HANDED != 0,
            "toro: a waiter took from its slot before the hand-off"
        );
        // SAFETY: after `HANDED` (seen with `Acquire`: the payload written before it is
        // seen) the release no longer touches the slot, and this waiter holds it by `&mut`.
        slot.handed
            .with_mut(|cell| unsafe { std::mem::take(&mut *cell) })
    }

    /// Takes the waiter's slot out of `line` (its line, mutex held), unless it
    /// was handed first: `true` if it left the line.
    pub(crate) fn leave(&mut self, line: &mut SlotLine<H>) -> bool {
        let slot = self.slot();
        // Under the mutex, `HANDED` cannot come between this look and the unlinking.
        if slot.state.load(Ordering::Acquire) & HANDED != 0 {
            return false;
        }
        line.unlink(self.0);
        // Only this waiter reads `LEFT`.
        slot.state.fetch_or(LEFT, Ordering::Relaxed);
        true
    }

    /// Done with the slot, once it is out of the line (handed, or left): it becomes the
    /// line's spare, or is freed. Call it with no mutex held: the waker left in the slot
    /// (and a payload not taken) is dropped here. A slot handed its payload holds no waker by
    /// then (the release took it, or [`park`](Self::park) dropped it), so a waiter that took
    /// its payload runs no user code here.
    #[inline]
    pub(crate) fn release(self, spare: &Spare<H>) {
        let slot = self.0;
        std::mem::forget(self);
        // SAFETY: the hold is given up here: the slot is out of the line (checked by
        // `empty`), so nothing else uses it.
        if unsafe { empty(slot) } {
            spare.keep(slot);
        }
    }
}

/// Empties `slot` (its waker, a payload not taken) if it is out of the line, for a spare
/// or to be freed: `false` if it is still linked (then it must never be freed).
///
/// # Safety
///
/// The caller gives up its hold on `slot`, which it held.
unsafe fn empty<H: Default>(slot: NonNull<Slot<H>>) -> bool {
    // SAFETY: the caller held the slot, so it is alive.
    let this = unsafe { slot.as_ref() };
    if this.state.load(Ordering::Acquire) & (HANDED | LEFT) == 0 {
        // Still in line (a waiter whose future was forgotten): the line may use it yet.
        return false;
    }
    // SAFETY: out of the line (`HANDED`: the release is done with it; `LEFT`: the waiter
    // unlinked it), so the holder's alone.
    let (waker, handed) = unsafe {
        (
            this.waker.with_mut(|waker| (*waker).take()),
            this.handed.with_mut(|cell| std::mem::take(&mut *cell)),
        )
    };
    drop((waker, handed));
    true
}

impl<H: Default> Drop for SlotBox<H> {
    fn drop(&mut self) {
        // SAFETY: the hold is dropped: given up here.
        if unsafe { empty(self.0) } {
            // SAFETY: made by `Box::leak` in `SlotLine::join` and out of every line.
            drop(unsafe { Box::from_raw(self.0.as_ptr()) });
        }
    }
}

impl<H: Default> Spare<H> {
    crate::sync::const_fn! {
        pub(crate) fn new() -> Self {
            Spare(AtomicPtr::new(ptr::null_mut()))
        }
    }

    /// The spare slot, reset for a new waiter; mutex held (so takers never race).
    fn take(&self) -> Link<H> {
        // A load and a store, not a swap: under the mutex nobody else takes, and a slot
        // released meanwhile finds the spare taken and is freed instead.
        let slot = NonNull::new(self.0.load(Ordering::Acquire))?;
        self.0.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: the spare is nobody's: `keep` handed it over emptied, with `Release`.
        unsafe { slot.as_ref() }.state.store(0, Ordering::Relaxed);
        Some(slot)
    }

    /// Keeps the emptied, unlinked `slot` as the spare, or frees it if there is one.
    fn keep(&self, slot: NonNull<Slot<H>>) {
        if self
            .0
            .compare_exchange(
                ptr::null_mut(),
                slot.as_ptr(),
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_err()
        {
            // SAFETY: made by `Box::leak` in `SlotLine::join`, out of every line, emptied
            // and nobody's: the caller gave it up.
            drop(unsafe { Box::from_raw(slot.as_ptr()) });
        }
    }
}

impl<H> Drop for Spare<H> {
    fn drop(&mut self) {
        if let Some(slot) = NonNull::new(self.0.load(Ordering::Relaxed)) {
            // SAFETY: the spare is owned by the line being dropped, emptied when kept.
            drop(unsafe { Box::from_raw(slot.as_ptr()) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;

    /// A waker whose drop (of its last clone) panics.
    struct PanicsOnDrop;

    impl Wake for PanicsOnDrop {
        fn wake(self: Arc<Self>) {}
    }

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("this waker panics when dropped");
        }
    }

    /// A release hands the slot between `park`'s look and its store: the waker left then
    /// is dropped by `park`, while the payload (a queue's item) is still in the slot, so
    /// its panic loses nothing: the payload is still there to take (or for the waiter's
    /// drop to give back).
    #[test]
    fn waker_left_after_the_hand_off_is_dropped_before_the_payload_is_taken() {
        let spare = Spare::new();
        let mut line = SlotLine::<Option<u32>>::new();
        let mut waiter = line.join(&spare);
        // What `park` saw: not handed yet. The release hands now.
        assert!(!waiter.is_handed());
        let Ok(waker) = line.hand_front(Some(7)) else {
            panic!("a waiter was in line")
        };
        assert!(waker.is_none(), "not parked when handed: no waker to take");
        // The rest of `park`: the waker goes in, finds the slot handed, is dropped.
        let parked = catch_unwind(AssertUnwindSafe(|| {
            waiter.leave_waker(Waker::from(Arc::new(PanicsOnDrop)))
        }));
        assert!(parked.is_err(), "the waker's drop panicked in `park`");
        assert_eq!(waiter.take(), Some(7), "the payload survived the panic");
        // Nothing of user code is left in the slot to run when it is released.
        waiter.release(&spare);
    }
}
