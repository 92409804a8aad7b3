//! The line of waiting getters, each in a slot of its own: where a put hands the getter
//! its item, and where the getter's waker waits for it. One of toro-core's modules with
//! `unsafe` code (the slots' cells and links).
//!
//! # Why slots
//!
//! A getter that finds the queue empty joins the line under the queue's mutex (at the
//! call: it is eager). Were its waker and its item kept in the line, it would take the
//! mutex twice more: at its first poll to leave its waker, and after the hand-off to
//! collect the item. A slot is a heap node the getter takes as it joins: its address
//! stays put, so the getter reaches it without the mutex (one atomic operation to leave
//! its waker, one load to find its item), while the line ([`SlotLine`]) links the slots
//! together, in order, and only the mutex holder follows or changes the links.
//!
//! # Who touches what
//!
//! A slot's word has two bits, each set once:
//!
//! - `PARKED`: the getter has left its waker in the slot (at its first poll, without the
//!   mutex). Before it, only the getter touches the waker cell; after it, the getter
//!   touches it only under the mutex (a later poll with another waker), and a put takes
//!   it, also under the mutex.
//! - `HANDED`: a put (under the mutex) has taken the slot out of the line and written its
//!   item, or `None` for a shutdown. After it, the getter owns the whole slot: the put
//!   never touches it again.
//!
//! A put takes the waker and sets `HANDED` with one compare-and-swap: the only change the
//! getter makes without the mutex is setting `PARKED`, so the swap fails at most once,
//! when the getter parks right then (the put then takes the waker just left).
//!
//! # Who frees it
//!
//! The getter ([`SlotBox`]), once the slot is out of the line: after `HANDED`, or after
//! it took the slot out itself under the mutex ([`SlotBox::leave`], which marks it
//! `LEFT`). Those are the only two ways out of the line; a slot dropped without either
//! mark is still linked and is leaked rather than freed (only a forgotten future leaves
//! one in line). A freed slot is kept as the queue's [`Spare`] when it has none, for the
//! next getter to join: a ping-pong through a queue allocates nothing.

#![allow(unsafe_code)]

use std::ptr::{self, NonNull};
use std::task::Waker;

use super::order::Stamp;
use crate::parcel::Parcel;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering, UnsafeCell};

/// The getter's waker is in the slot.
const PARKED: usize = 1;
/// The slot holds what a put handed it; the getter owns it.
const HANDED: usize = 2;
/// The getter took its slot out of the line (set and read by the getter only).
const LEFT: usize = 4;

/// What a put hands a getter: an item with its stamp, or `None` for a shutdown.
pub(crate) type Handoff<T> = Option<(Stamp, T)>;

/// An item handed to a getter (or taken at the call), with the stamp that places it in
/// the queue's order should the getter give it back; `None` for a getter ended by a
/// shutdown. The item is in a [`Parcel`], so that a slot (like a get's future) has room
/// for a few words of item, not for a large one.
pub(crate) type Handed<T> = Option<(Stamp, Parcel<T>)>;

type Link<T> = Option<NonNull<Slot<T>>>;

struct Slot<T> {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
    item: UnsafeCell<Handed<T>>,
    /// Its neighbours in line: the one before (older), the one after. Only the mutex
    /// holder reads or writes them, through the [`SlotLine`] it holds by `&mut`.
    links: UnsafeCell<(Link<T>, Link<T>)>,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot {
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
            item: UnsafeCell::new(None),
            links: UnsafeCell::new((None, None)),
        }
    }
}

/// The queue's line of getters, oldest first: slots linked through their `links`. It
/// lives in the queue's state, so `&mut SlotLine` means the queue's mutex is held.
pub(crate) struct SlotLine<T> {
    head: Link<T>,
    tail: Link<T>,
    len: usize,
}

/// A getter's own slot: frees it (or keeps it as the queue's spare) when it is done.
pub(crate) struct SlotBox<T>(NonNull<Slot<T>>);

/// A queue's one slot kept for the next getter to join (null: none).
pub(crate) struct Spare<T>(AtomicPtr<Slot<T>>);

// SAFETY: a slot moves an item (and a waker, which is `Send + Sync`) from the putting
// thread to the getter's. The line holds only pointers to slots and gives out no
// reference to an item, only the item itself, to the mutex holder.
unsafe impl<T: Send> Send for SlotLine<T> {}
// SAFETY: as above: `&SlotLine` reads only its own fields.
unsafe impl<T: Send> Sync for SlotLine<T> {}
// SAFETY: the getter's hold moves with its future; the item comes out of it by value.
unsafe impl<T: Send> Send for SlotBox<T> {}
// SAFETY: through `&SlotBox` only the state word is read (atomically); the waker, the
// item and the slot's place in line are touched only through `&mut`.
unsafe impl<T: Send> Sync for SlotBox<T> {}
// SAFETY: the spare slot is empty (no item, no waker); only its memory changes hands.
unsafe impl<T: Send> Send for Spare<T> {}
// SAFETY: as above; the pointer is swapped atomically.
unsafe impl<T: Send> Sync for Spare<T> {}

impl<T> SlotLine<T> {
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
    fn links(&mut self, slot: NonNull<Slot<T>>) -> &mut (Link<T>, Link<T>) {
        // SAFETY: `slot` is in this line, so alive: its getter frees it only once it is
        // out of it.
        let slot = unsafe { slot.as_ref() };
        // SAFETY: a slot's links are touched only through the line it is in, held here
        // by `&mut` (for as long as the links are borrowed).
        slot.links.with_mut(|links| unsafe { &mut *links })
    }

    /// Puts a new getter at the back of the line (the slot is the spare one, if the
    /// queue has one): its hold on its slot.
    pub(crate) fn join(&mut self, spare: &Spare<T>) -> SlotBox<T> {
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
    fn unlink(&mut self, slot: NonNull<Slot<T>>) {
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

    /// Takes the oldest getter out of the line and hands it `handoff`: its waker comes
    /// back, to be woken after the mutex is released. `Err` gives `handoff` back when
    /// nobody waits.
    pub(crate) fn hand_front(&mut self, handoff: Handoff<T>) -> Result<Option<Waker>, Handoff<T>> {
        let Some(front) = self.head else {
            return Err(handoff);
        };
        // Parcelled before the slot is touched (a large item is boxed here).
        let handed = handoff.map(|(stamp, item)| (stamp, Parcel::new(item)));
        self.unlink(front);
        // SAFETY: the slot was in line, so alive: its getter frees it only after
        // `HANDED` (set below) or after taking it out of the line itself.
        let slot = unsafe { front.as_ref() };
        // SAFETY: until `HANDED` nobody else touches the item cell: the getter reads it
        // only after `HANDED`, and only the mutex holder (this thread) hands.
        slot.item.with_mut(|item| unsafe { *item = handed });
        let mut state = slot.state.load(Ordering::Acquire);
        loop {
            let waker = if state & PARKED != 0 {
                // SAFETY: after `PARKED` the getter touches its waker only under the
                // mutex, which this thread holds; `PARKED` was read with `Acquire`, so
                // the waker it left is seen.
                slot.waker.with_mut(|waker| unsafe { (*waker).take() })
            } else {
                None
            };
            // `Release`: the item before `HANDED`; after it the getter owns the slot and
            // this thread touches it no more.
            match slot.state.compare_exchange(
                state,
                state | HANDED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(waker),
                Err(now) => {
                    // The getter parked meanwhile (its only change without the mutex):
                    // take the waker it left, then hand.
                    debug_assert!(waker.is_none() && now == state | PARKED);
                    state = now;
                }
            }
        }
    }
}

impl<T> SlotBox<T> {
    fn slot(&self) -> &Slot<T> {
        // SAFETY: the getter's hold keeps the slot alive until it is released.
        unsafe { self.0.as_ref() }
    }

    /// Whether the slot was handed its item (or ended): then [`take`](Self::take) has it.
    #[inline]
    pub(crate) fn is_handed(&self) -> bool {
        self.slot().state.load(Ordering::Acquire) & HANDED != 0
    }

    /// Leaves the getter's waker in the slot, at its first pending poll (no mutex held):
    /// `false` if the slot was handed first (the waker is not needed then).
    #[inline]
    pub(crate) fn park(&mut self, waker: &Waker) -> bool {
        if self.is_handed() {
            return false;
        }
        self.leave_waker(waker.clone())
    }

    /// [`park`](Self::park)'s store: also reached when a put hands the slot between
    /// `park`'s look and this store.
    #[inline]
    fn leave_waker(&mut self, waker: Waker) -> bool {
        let slot = self.slot();
        // SAFETY: before `PARKED` only the getter (this thread, by `&mut` on its hold: it
        // parks once) touches the waker cell; a put reads it only after seeing `PARKED`.
        slot.waker.with_mut(|cell| unsafe { *cell = Some(waker) });
        // `Release`: the waker before `PARKED`; `Acquire`: a hand-off that came first.
        if slot.state.fetch_or(PARKED, Ordering::AcqRel) & HANDED == 0 {
            return true;
        }
        // Handed meanwhile, before the put could see the waker: it is still here. It is
        // dropped now, while the item is still in the slot: were it dropped with the
        // slot, after the getter took the item, a `drop` that panics would unwind with
        // the item in hand, and lose it. Here such a panic leaves the item in the slot,
        // where the getter's own drop finds it and gives it back.
        // SAFETY: after `HANDED` (seen with `Acquire`) the slot is the getter's alone.
        drop(slot.waker.with_mut(|cell| unsafe { (*cell).take() }));
        false
    }

    /// The waker cell, for a later poll that must check or change the waker left at the
    /// first: only under the queue's mutex, which `_line` (reached through the mutex
    /// guard) proves held, and only while the getter is still in line (`None` once
    /// handed: the put has taken the waker).
    pub(crate) fn waker_in_line<'a>(
        &'a mut self,
        _line: &'a mut SlotLine<T>,
    ) -> Option<&'a mut Option<Waker>> {
        let slot = self.slot();
        if slot.state.load(Ordering::Acquire) & HANDED != 0 {
            return None;
        }
        // SAFETY: the mutex is held (`_line` is borrowed from its guard for `'a`) and the
        // slot not handed: a put, the only other user of the cell, needs the mutex to
        // hand it, so the cell is this thread's for `'a`.
        Some(slot.waker.with_mut(|cell| unsafe { &mut *cell }))
    }

    /// What the slot was handed, once [`is_handed`](Self::is_handed): an item, or `None`
    /// for a getter ended by a shutdown.
    ///
    /// # Panics
    ///
    /// If the slot was not handed yet.
    #[inline]
    pub(crate) fn take(&mut self) -> Handed<T> {
        let slot = self.slot();
        assert!(
            slot.state.load(Ordering::Acquire) & HANDED != 0,
            "toro: a getter took from its slot before the hand-off"
        );
        // SAFETY: after `HANDED` (seen with `Acquire`: the item written before it is seen)
        // the put no longer touches the slot, and this getter holds it by `&mut`.
        slot.item.with_mut(|item| unsafe { (*item).take() })
    }

    /// Takes the getter's slot out of `line` (the queue's getters, mutex held), unless it
    /// was handed first: `true` if it left the line.
    pub(crate) fn leave(&mut self, line: &mut SlotLine<T>) -> bool {
        let slot = self.slot();
        // Under the mutex, `HANDED` cannot come between this look and the unlinking.
        if slot.state.load(Ordering::Acquire) & HANDED != 0 {
            return false;
        }
        line.unlink(self.0);
        // Only this getter reads `LEFT`.
        slot.state.fetch_or(LEFT, Ordering::Relaxed);
        true
    }

    /// Done with the slot, once it is out of the line (handed, or left): it becomes the
    /// queue's spare, or is freed. Call it with no mutex held: the waker left in the slot
    /// (and an item not taken) is dropped here. A slot handed its item holds no waker by
    /// then (the put took it, or [`park`](Self::park) dropped it), so a getter that took
    /// its item runs no user code here.
    #[inline]
    pub(crate) fn release(self, spare: &Spare<T>) {
        let slot = self.0;
        std::mem::forget(self);
        // SAFETY: the hold is given up here: the slot is out of the line (checked by
        // `empty`), so nothing else uses it.
        if unsafe { empty(slot) } {
            spare.keep(slot);
        }
    }
}

/// Empties `slot` (its waker, an item not taken) if it is out of the line, for a spare
/// or to be freed: `false` if it is still linked (then it must never be freed).
///
/// # Safety
///
/// The caller gives up its hold on `slot`, which it held.
unsafe fn empty<T>(slot: NonNull<Slot<T>>) -> bool {
    // SAFETY: the caller held the slot, so it is alive.
    let this = unsafe { slot.as_ref() };
    if this.state.load(Ordering::Acquire) & (HANDED | LEFT) == 0 {
        // Still in line (a getter whose future was forgotten): the line may use it yet.
        return false;
    }
    // SAFETY: out of the line (`HANDED`: the put is done with it; `LEFT`: the getter
    // unlinked it), so the holder's alone.
    let (waker, item) = unsafe {
        (
            this.waker.with_mut(|waker| (*waker).take()),
            this.item.with_mut(|item| (*item).take()),
        )
    };
    drop((waker, item));
    true
}

impl<T> Drop for SlotBox<T> {
    fn drop(&mut self) {
        // SAFETY: the hold is dropped: given up here.
        if unsafe { empty(self.0) } {
            // SAFETY: made by `Box::leak` in `SlotLine::join` and out of every line.
            drop(unsafe { Box::from_raw(self.0.as_ptr()) });
        }
    }
}

impl<T> Spare<T> {
    crate::sync::const_fn! {
        pub(crate) fn new() -> Self {
            Spare(AtomicPtr::new(ptr::null_mut()))
        }
    }

    /// The spare slot, reset for a new getter; mutex held (so takers never race).
    fn take(&self) -> Link<T> {
        // A load and a store, not a swap: under the mutex nobody else takes, and a slot
        // released meanwhile finds the spare taken and is freed instead.
        let slot = NonNull::new(self.0.load(Ordering::Acquire))?;
        self.0.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: the spare is nobody's: `keep` handed it over emptied, with `Release`.
        unsafe { slot.as_ref() }.state.store(0, Ordering::Relaxed);
        Some(slot)
    }

    /// Keeps the emptied, unlinked `slot` as the spare, or frees it if there is one.
    fn keep(&self, slot: NonNull<Slot<T>>) {
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

impl<T> Drop for Spare<T> {
    fn drop(&mut self) {
        if let Some(slot) = NonNull::new(self.0.load(Ordering::Relaxed)) {
            // SAFETY: the spare is owned by the queue being dropped, emptied when kept.
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

    /// A put hands the slot between `park`'s look and its store: the waker left then is
    /// dropped by `park`, while the item is still in the slot, so its panic loses
    /// nothing: the item is still there to take (or for the getter's drop to give back).
    #[test]
    fn waker_left_after_the_hand_off_is_dropped_before_the_item_is_taken() {
        let spare = Spare::new();
        let mut line = SlotLine::new();
        let mut getter = line.join(&spare);
        // What `park` saw: not handed yet. The put hands now.
        assert!(!getter.is_handed());
        let waker = line
            .hand_front(Some((Stamp::outside(0, 0), 7u32)))
            .expect("a getter was in line");
        assert!(waker.is_none(), "not parked when handed: no waker to take");
        // The rest of `park`: the waker goes in, finds the slot handed, is dropped.
        let parked = catch_unwind(AssertUnwindSafe(|| {
            getter.leave_waker(Waker::from(Arc::new(PanicsOnDrop)))
        }));
        assert!(parked.is_err(), "the waker's drop panicked in `park`");
        let handed = getter.take().expect("an item, not a shutdown");
        assert_eq!(handed.1.take(), 7, "the item survived the panic");
        // Nothing of user code is left in the slot to run when it is released.
        getter.release(&spare);
    }
}
