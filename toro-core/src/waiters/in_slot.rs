//! [`InSlot`]: a waiter standing in a [`SlotLine`], the way every such waiter polls and
//! leaves (a queue's getter, a condition's waiter).

use std::task::{Context, Poll};

use super::slot::{SlotBox, SlotLine, Spare};
use super::wake::FreshWaker;
use crate::sync::MutexGuard;

/// A waiter in a line of slots: its slot, and whether its waker is in it. Each method
/// that may take the line's mutex is given `lock` (takes it) and `line` (the
/// [`SlotLine`] in what the mutex guards).
pub(crate) struct InSlot<H: Default> {
    slot: SlotBox<H>,
    /// Whether its waker is in the slot (after its first pending poll).
    parked: bool,
}

impl<H: Default> InSlot<H> {
    /// A waiter that joined with `slot`, not polled yet.
    #[inline]
    pub(crate) fn new(slot: SlotBox<H>) -> Self {
        InSlot {
            slot,
            parked: false,
        }
    }

    /// `Ready` once a release handed the slot its payload (then
    /// [`finish`](Self::finish) has it).
    #[inline]
    pub(crate) fn poll<'m, S: 'm>(
        &mut self,
        cx: &mut Context<'_>,
        lock: impl Fn() -> MutexGuard<'m, S>,
        line: impl Fn(&mut S) -> &mut SlotLine<H>,
    ) -> Poll<()> {
        if !self.parked {
            // Its first pending poll: the waker goes into the slot, no mutex.
            if self.slot.park(cx.waker()) {
                self.parked = true;
                return Poll::Pending;
            }
        } else if !self.slot.is_handed() && self.repark(cx, lock, line) {
            return Poll::Pending;
        }
        Poll::Ready(())
    }

    /// A later poll of a waiter still in line: under the mutex (a release takes the waker
    /// under it), keeps the waker if it wakes the same task, or puts in a fresh one,
    /// cloned and dropped outside the mutex. `false` if it was handed meanwhile.
    #[cold]
    #[inline(never)]
    fn repark<'m, S: 'm>(
        &mut self,
        cx: &mut Context<'_>,
        lock: impl Fn() -> MutexGuard<'m, S>,
        line: impl Fn(&mut S) -> &mut SlotLine<H>,
    ) -> bool {
        let mut fresh = FreshWaker::none();
        loop {
            let guard = lock();
            // Under the mutex the hand-off cannot come between this look and the waker's.
            if self.slot.is_handed() {
                return false;
            }
            let slot = &mut self.slot;
            if fresh.park(guard, cx, |guard| {
                slot.waker_in_line(line(guard))
                    .expect("toro: a waiter handed under the mutex it holds")
            }) {
                return true;
            }
        }
    }

    /// Whether the slot was handed its payload.
    #[inline]
    pub(crate) fn is_handed(&self) -> bool {
        self.slot.is_handed()
    }

    /// A waiter that was handed its payload ([`poll`](Self::poll) said `Ready`): the
    /// payload, and the slot back to `spare`, outside any mutex.
    #[inline]
    pub(crate) fn finish(self, spare: &Spare<H>) -> H {
        let InSlot { mut slot, .. } = self;
        let handed = slot.take();
        slot.release(spare);
        handed
    }

    /// Takes the waiter out of its line: `None` if it left unserved (then `left` runs,
    /// under the mutex, with the line as it is without it), otherwise what it was handed
    /// first (a hand-off wins over a deadline). The slot goes back to `spare` after the
    /// mutex, with the waker in it.
    pub(crate) fn leave<'m, S: 'm>(
        self,
        spare: &Spare<H>,
        lock: impl FnOnce() -> MutexGuard<'m, S>,
        line: impl FnOnce(&mut S) -> &mut SlotLine<H>,
        left: impl FnOnce(&mut S),
    ) -> Option<H> {
        let InSlot { mut slot, .. } = self;
        if !slot.is_handed() {
            let mut guard = lock();
            if slot.leave(line(&mut guard)) {
                left(&mut guard);
                drop(guard);
                slot.release(spare);
                return None;
            }
        }
        let handed = slot.take();
        slot.release(spare);
        Some(handed)
    }
}
