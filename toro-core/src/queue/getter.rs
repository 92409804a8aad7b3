//! A getter in line ([`InLine`]) and the stage of a get's future ([`GetStage`]): what a
//! get holds, from the call to the item.
//!
//! A getter that found the queue empty stands in the queue's line of getters with a
//! [`slot`](super::slot) of its own: it leaves its waker there at its first pending poll
//! and finds its item there after the hand-off, neither time taking the queue's mutex.
//! Only a getter that leaves the line unserved (a deadline, a drop) or whose task's waker
//! changed between polls takes it.

use std::task::{Context, Poll};

use super::engine::{Engine, Handed};
use super::order::Order;
use crate::waiters::in_slot::InSlot;
use crate::waiters::{GIVEN_UP_AFTER, POLLED_AFTER, take_granted};

/// A getter standing in the queue's line of getters, in its slot.
pub(crate) type InLine<T> = InSlot<Handed<T>>;

impl<T, O: Order<T>> Engine<T, O> {
    /// Polls a getter in line: `Ready` with what it was handed (an item, or `None` once a
    /// shutdown ended it).
    #[inline]
    pub(crate) fn poll_in_line(&self, getter: &mut InLine<T>, cx: &mut Context<'_>) -> Poll<()> {
        getter.poll(cx, || self.lock_state(), |state| state.getters_mut())
    }

    /// Takes a getter out of the line: `None` if it left unserved, otherwise what it was
    /// handed first (a hand-off wins over a deadline).
    pub(crate) fn leave_line(&self, getter: InLine<T>) -> Option<Handed<T>> {
        getter.leave(
            &self.spare,
            || self.lock_state(),
            |state| state.getters_mut(),
            |state| self.settle(state),
        )
    }

    /// A getter handed its item ([`poll_in_line`](Self::poll_in_line) said `Ready`): the
    /// item, and the slot back, after the mutex.
    #[inline]
    pub(crate) fn release_in_line(&self, getter: InLine<T>) -> Handed<T> {
        getter.finish(&self.spare)
    }

    /// A getter dropped in line: leaves it, and gives back an item it had been handed.
    pub(crate) fn drop_in_line(&self, getter: InLine<T>) {
        if let Some(Some((stamp, item))) = self.leave_line(getter) {
            self.return_item((stamp, item.take()));
        }
    }
}

/// A get's progress: an item (or the end of a shut-down queue) taken at the call, or a
/// place in line. The output of `finish` in [`poll_with`](Self::poll_with) is the get's.
pub(crate) struct GetStage<'a, T, O: Order<T>>(Progress<'a, T, O>);

enum Progress<'a, T, O: Order<T>> {
    Granted {
        /// Both `Some` until the grant is turned into the output.
        engine: Option<&'a Engine<T, O>>,
        handed: Option<Handed<T>>,
    },
    Waiting {
        engine: &'a Engine<T, O>,
        getter: InLine<T>,
    },
}

impl<T, O: Order<T>> Progress<'_, T, O> {
    /// Once the grant is turned into the output.
    const DONE: Self = Progress::Granted {
        engine: None,
        handed: None,
    };
}

impl<'a, T, O: Order<T>> GetStage<'a, T, O> {
    /// What a get took at the call.
    #[inline]
    pub(crate) fn granted(engine: &'a Engine<T, O>, handed: Handed<T>) -> Self {
        GetStage(Progress::Granted {
            engine: Some(engine),
            handed: Some(handed),
        })
    }

    /// A get standing in line.
    #[inline]
    pub(crate) fn waiting(engine: &'a Engine<T, O>, getter: InLine<T>) -> Self {
        GetStage(Progress::Waiting { engine, getter })
    }

    #[inline]
    pub(crate) fn poll_with<X>(
        &mut self,
        cx: &mut Context<'_>,
        finish: impl FnOnce(&'a Engine<T, O>, Handed<T>) -> X,
    ) -> Poll<X> {
        match &mut self.0 {
            Progress::Granted { engine, handed } => {
                let (engine, handed) = take_granted(engine, handed, POLLED_AFTER);
                Poll::Ready(finish(engine, handed))
            }
            Progress::Waiting { engine, getter } => match engine.poll_in_line(getter, cx) {
                Poll::Ready(()) => {
                    let Progress::Waiting { engine, getter } =
                        std::mem::replace(&mut self.0, Progress::DONE)
                    else {
                        unreachable!("waiting")
                    };
                    // Its slot goes back here, outside any mutex.
                    let handed = engine.release_in_line(getter);
                    Poll::Ready(finish(engine, handed))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// Leaves the line at a deadline: `Ok` with the output if the get was handed its item
    /// first (ready wins), `Err(carry(..))` if it left with nothing.
    #[inline]
    pub(crate) fn give_up_with<X, C>(
        &mut self,
        finish: impl FnOnce(&'a Engine<T, O>, Handed<T>) -> X,
        carry: impl FnOnce(&'a Engine<T, O>, ()) -> C,
    ) -> Result<X, C> {
        match std::mem::replace(&mut self.0, Progress::DONE) {
            Progress::Granted {
                mut engine,
                mut handed,
            } => {
                let (engine, handed) = take_granted(&mut engine, &mut handed, GIVEN_UP_AFTER);
                Ok(finish(engine, handed))
            }
            Progress::Waiting { engine, getter } => match engine.leave_line(getter) {
                Some(handed) => Ok(finish(engine, handed)),
                None => Err(carry(engine, ())),
            },
        }
    }

    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        matches!(
            self.0,
            Progress::Granted {
                handed: Some(_),
                ..
            }
        )
    }

    /// Whether the future still stands in line (for `Debug`).
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self.0, Progress::Waiting { .. })
    }

    /// Dropped before its output was taken: gives back what it holds.
    #[cold]
    #[inline(never)]
    fn give_back(&mut self) {
        match std::mem::replace(&mut self.0, Progress::DONE) {
            Progress::Granted {
                engine: Some(engine),
                handed: Some(Some((stamp, item))),
            } => engine.return_item((stamp, item.take())),
            Progress::Waiting { engine, getter } => engine.drop_in_line(getter),
            _ => {}
        }
    }
}

impl<T, O: Order<T>> Drop for GetStage<'_, T, O> {
    #[inline]
    fn drop(&mut self) {
        // An item taken at the call and never returned goes back; a getter in line leaves.
        if matches!(
            self.0,
            Progress::Granted {
                handed: Some(Some(_)),
                ..
            } | Progress::Waiting { .. }
        ) {
            self.give_back();
        }
    }
}
