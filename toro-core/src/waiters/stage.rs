//! What a wait future is made of: the [`Line`] a primitive describes each kind of waiter
//! with, the [`Waiter`] that stands in it, and the [`StageOf`] a future is in (granted at
//! the call, or waiting).

use std::marker::PhantomData;
use std::task::{Context, Poll};

use super::handed::HandedOver;
use super::list::{Removed, Spot, Ticket, WaiterList};
use super::slab::{Link, NIL, link_to};
use super::wake::{FreshWaker, WakeList};
use crate::sync::{Mutex, lock};

/// How one kind of waiter stands in one primitive's line: where the line is, and how to
/// undo a waiter's progress when it leaves.
///
/// Implemented by zero-sized marker types, so that one primitive may keep several lines
/// (a semaphore's acquirers and its `wait()`ers) under the same mutex.
pub(crate) trait Line {
    /// The primitive the line belongs to.
    type Target;
    /// What the primitive's mutex guards.
    type State;
    /// Each waiter's data: its request, and what it has been granted.
    type Data;
    /// What a granted waiter's future takes away: its data itself in most lines
    /// ([`grants_are_data!`]), or something made from it (a queue's putter refused by a
    /// shutdown takes its item back in a parcel).
    type Grant;

    /// Turns a granted waiter's data into its grant, under the mutex, as its future
    /// collects it.
    fn collect(state: &mut Self::State, data: Self::Data) -> Self::Grant;

    /// Whether a grant holds something to give back ([`return_grant`](Self::return_grant)
    /// does something): if not, dropping an unreturned grant touches no lock.
    const RETURNS_GRANTS: bool = false;

    fn state(target: &Self::Target) -> &Mutex<Self::State>;

    /// For a line whose grants are handed over ([`WaiterList::hand_over_front`]): how far
    /// it has handed them. A waiter covered by it is granted, with no entry left to
    /// collect.
    fn handed_over(_target: &Self::Target) -> Option<&HandedOver> {
        None
    }

    /// What a waiter that asked for `asked` (its [`Waiter::queued`] argument) was given
    /// when its grant was handed over.
    fn handed_grant(_asked: usize) -> Self::Grant {
        unreachable!("toro: a grant handed over in a line that keeps its grants")
    }

    fn list(state: &mut Self::State) -> &mut WaiterList<Self::Data>;

    /// A waiter left the line before it was granted (timed out or dropped); `data` is what
    /// it held. Undo any partial progress (tokens granted so far) and tidy the state.
    fn left_line(
        _target: &Self::Target,
        _state: &mut Self::State,
        _data: &mut Self::Data,
        _wakes: &mut WakeList,
    ) {
    }

    /// [`return_grant`](Self::return_grant) without the mutex, for a line that can give
    /// a grant back as its guard would (a plain acquirer's tokens): then a grant made at
    /// the call and dropped unpolled, while nobody waits, touches no lock and makes no
    /// line. `Err` hands the grant back, to be returned under the mutex.
    fn return_grant_unlocked(
        _target: &Self::Target,
        grant: Self::Grant,
    ) -> Result<(), Self::Grant> {
        Err(grant)
    }

    /// A waiter was granted but its future was dropped before returning the grant: give
    /// it back (release the token, put the item back, pass the wake-up on).
    fn return_grant(
        _target: &Self::Target,
        _state: &mut Self::State,
        _grant: Self::Grant,
        _wakes: &mut WakeList,
    ) {
    }

    /// Whether what a waiter still carries when its future is dropped in line (after
    /// [`left_line`](Self::left_line)) must go back to the primitive
    /// ([`return_carried`](Self::return_carried)) rather than be dropped with the future.
    const RETURNS_CARRIED: bool = false;

    /// A waiter's future was dropped in line: give back what it still carries (an
    /// upgrade's upgradable read), which a deadline would have handed back to its caller.
    fn return_carried(
        _target: &Self::Target,
        _state: &mut Self::State,
        _data: Self::Data,
        _wakes: &mut WakeList,
    ) {
    }
}

/// The usual [`Line::Grant`]: a granted waiter's future takes its data as it is.
macro_rules! grants_are_data {
    () => {
        type Grant = <Self as $crate::waiters::Line>::Data;

        #[inline]
        fn collect(
            _: &mut <Self as $crate::waiters::Line>::State,
            data: <Self as $crate::waiters::Line>::Data,
        ) -> <Self as $crate::waiters::Line>::Data {
            data
        }
    };
}
pub(crate) use grants_are_data;

/// What a wait future holds on to its primitive by: a borrow (`&'a Lock`), or an `Arc` of
/// the primitive for the owned forms (`Lock::acquire_owned`). It reaches the target of the
/// line (a token pool, a queue engine) inside the primitive.
pub(crate) trait Anchor<T> {
    fn anchor(&self) -> &T;

    /// For a token pool: its bound, when the anchor's type alone says it (a `Lock`'s is
    /// always 1). The uncontended acquire and release then guess the idle state from it
    /// without reading the pool's bound.
    const BOUND: Option<usize> = None;
}

impl<T> Anchor<T> for &T {
    #[inline]
    fn anchor(&self) -> &T {
        self
    }
}

/// A yes/no field of a wait future, as wide as the 32-bit key it sits beside (the two fill
/// one word). A future is built by its primitive and then copied, word by word, into the
/// task that awaits it; a `bool` would be stored as a byte and read back by a wide load,
/// which stalls on store forwarding.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Flag {
    No = 0,
    Yes = 1,
}

/// A place in a primitive's line, held by a future: the shared half of every toro wait.
///
/// Polling returns the waiter's data once it has been granted; [`give_up`](Self::give_up)
/// leaves the line (used at a deadline), and dropping it undoes whatever it was given.
///
/// `R` is how it holds on to the primitive ([`Anchor`]). It is handed on with the grant to
/// whatever the wait turns into (a guard), so an owned wait moves its `Arc` into its guard
/// instead of cloning it.
pub(crate) struct Waiter<R: Anchor<L::Target>, L: Line> {
    /// `Some` until the waiter completes and hands it on.
    owner: Option<R>,
    /// Where it stands in line, as a link: [`NIL`] once it completed (32 bits, like every
    /// link, keep the future small).
    key: Link,
    ticket: Ticket,
    /// What it asked for, to rebuild a grant handed over ([`Line::handed_grant`]).
    asked: usize,
    /// Whether a waker is stored in the waiter's node (after its first pending poll).
    waker_stored: Flag,
    _line: PhantomData<fn() -> L>,
}

impl<R: Anchor<L::Target>, L: Line> Waiter<R, L> {
    /// Joins the back of the line. The caller holds the state's mutex (through `state`).
    pub(crate) fn enqueue(owner: R, state: &mut L::State, data: L::Data) -> Self {
        let spot = L::list(state).join(data);
        Waiter::queued(owner, spot, 0)
    }

    /// The waiter standing at `spot`, which the caller put into `L`'s list (for an owner
    /// that the state's mutex guard borrows from, so it could not move into
    /// [`enqueue`](Self::enqueue)); `asked` is what [`Line::handed_grant`] rebuilds its
    /// grant from.
    pub(crate) fn queued(owner: R, spot: Spot, asked: usize) -> Self {
        Waiter {
            owner: Some(owner),
            key: spot.link,
            ticket: spot.ticket(),
            asked,
            waker_stored: Flag::No,
            _line: PhantomData,
        }
    }

    /// Whether the line handed this waiter its grant (see [`HandedOver`]): then its entry
    /// is gone, and its key must not be used.
    #[inline]
    fn handed_over(&self) -> bool {
        L::handed_over(self.owner().anchor()).is_some_and(|over| over.covers(self.ticket))
    }

    #[inline]
    fn owner(&self) -> &R {
        self.owner
            .as_ref()
            .expect("toro future used after it completed")
    }

    /// Where it joined the line (its key may be stale: [`WaiterList::locate`]).
    fn spot(&self) -> Spot {
        assert!(self.key != NIL, "toro future used after it completed");
        Spot::new(self.key, self.ticket)
    }

    /// Whether the waiter is still in line or holds an unreturned grant.
    pub(crate) fn is_pending(&self) -> bool {
        self.key != NIL
    }

    /// The grant, and the owner handed on, once the waiter has been granted.
    ///
    /// A grant handed over (the usual wake-up of a lock, event or semaphore waiter) is
    /// seen inline, with one atomic load; only a waiter that must look in its line calls
    /// out to [`poll_line`](Self::poll_line).
    pub(crate) fn poll_granted(&mut self, cx: &mut Context<'_>) -> Poll<(R, L::Grant)> {
        assert!(self.key != NIL, "toro future polled after it completed");
        if self.handed_over() {
            return Poll::Ready(self.take_handed());
        }
        self.poll_line(cx)
    }

    /// [`poll_granted`](Self::poll_granted) for a waiter not handed its grant (yet): looks
    /// in its line under the mutex, and parks its waker there if it is still waiting.
    #[inline(never)]
    fn poll_line(&mut self, cx: &mut Context<'_>) -> Poll<(R, L::Grant)> {
        // A waker's clone and drop are user code and never run under the mutex. The first
        // poll must store a waker, so it clones before locking; a later poll compares
        // under the lock and, only if the task's waker changed, clones outside it and
        // looks again.
        let mut fresh = match self.waker_stored {
            Flag::No => FreshWaker::cloned(cx),
            Flag::Yes => FreshWaker::none(),
        };
        loop {
            let mut state = lock(L::state(self.owner().anchor()));
            // Under the mutex a hand-over cannot come between this look and the key's use.
            if self.handed_over() {
                drop(state);
                drop(fresh);
                return Poll::Ready(self.take_handed());
            }
            let list = L::list(&mut state);
            let key = list.locate(self.spot());
            if list.is_granted(key) {
                // A granted waiter's waker was taken by the grant: nothing to drop.
                let data = list.remove(key).data;
                let grant = L::collect(&mut state, data);
                drop(state);
                drop(fresh);
                self.key = NIL;
                return Poll::Ready((self.take_owner(), grant));
            }
            if !fresh.park(state, cx, |state| L::list(state).waker_slot(key)) {
                continue;
            }
            // Found again without the ticket next time.
            self.key = link_to(Some(key));
            self.waker_stored = Flag::Yes;
            return Poll::Pending;
        }
    }

    /// Leaves the line: `Ok(grant)` if a grant came first (it wins over the deadline),
    /// otherwise `Err(data)` with whatever the waiter carried, its partial progress undone.
    /// The owner stays with the waiter.
    pub(crate) fn give_up(&mut self) -> Result<L::Grant, L::Data> {
        let spot = self.spot();
        self.key = NIL;
        if self.handed_over() {
            return Ok(L::handed_grant(self.asked));
        }
        let target = self.owner().anchor();
        let mut wakes = WakeList::new();
        let (result, waker) = {
            let mut state = lock(L::state(target));
            if self.handed_over() {
                return Ok(L::handed_grant(self.asked));
            }
            let Removed {
                mut data,
                granted,
                waker,
            } = {
                let list = L::list(&mut state);
                list.remove(list.locate(spot))
            };
            if granted {
                (Ok(L::collect(&mut state, data)), waker)
            } else {
                L::left_line(target, &mut state, &mut data, &mut wakes);
                (Err(data), waker)
            }
        };
        drop(waker);
        wakes.wake_all();
        result
    }

    fn take_owner(&mut self) -> R {
        self.owner
            .take()
            .expect("toro future used after it completed")
    }

    /// Completes a waiter whose grant was handed over.
    fn take_handed(&mut self) -> (R, L::Grant) {
        self.key = NIL;
        (self.take_owner(), L::handed_grant(self.asked))
    }
}

impl<R: Anchor<L::Target>, L: Line> Drop for Waiter<R, L> {
    fn drop(&mut self) {
        if self.key == NIL {
            return;
        }
        // Leave the line, undoing partial progress; a grant that came first is given back
        // like any unreturned grant. What a waiter in line carried (a blocked put's item)
        // is dropped with its future, unless the line takes it back.
        match self.give_up() {
            Ok(data) if L::RETURNS_GRANTS => return_unreturned::<L>(self.owner().anchor(), data),
            Err(data) if L::RETURNS_CARRIED => {
                let target = self.owner().anchor();
                let mut wakes = WakeList::new();
                L::return_carried(target, &mut lock(L::state(target)), data, &mut wakes);
                wakes.wake_all();
            }
            _ => {}
        }
    }
}

/// A wait future's progress: granted (at the call, on the eager fast path, or later by a
/// release) or standing in line. Every public wait future is a `Stage` plus how to turn
/// a grant into its output.
///
/// A grant that was never turned into an output (the future was dropped unpolled after the
/// fast path took a token or an item) is given back on drop, exactly like a grant handed to
/// a waiter in line: nothing is lost whichever path granted it.
pub(crate) enum StageOf<R: Anchor<L::Target>, L: Line> {
    Granted {
        /// Both `Some` until the grant is turned into the output.
        owner: Option<R>,
        data: Option<L::Grant>,
    },
    Waiting(Waiter<R, L>),
}

/// The stage of a wait that borrows its primitive.
pub(crate) type Stage<'a, L> = StageOf<&'a <L as Line>::Target, L>;

impl<R: Anchor<L::Target>, L: Line> StageOf<R, L> {
    /// A grant made at the call: the wait never stood in line.
    #[inline]
    pub(crate) fn granted(owner: R, data: L::Grant) -> Self {
        StageOf::Granted {
            owner: Some(owner),
            data: Some(data),
        }
    }

    /// The stage of an eager wait, from what its out-of-line slow path answered:
    /// `grant` at the call (`None`), or standing where it `joined` the line.
    ///
    /// # Why slow paths answer with a [`Spot`]
    ///
    /// An eager wait's inline fast path and its out-of-line slow path must not return
    /// the stage through memory they share: the fast path would then write its grant
    /// there with narrow stores, and the future's move into the task would read it back
    /// with wide loads, a store-forwarding stall on every wait awaited in a task (the
    /// `lock` rows of the bench show it). A slow path answers in registers (a `Spot` is a
    /// 32-bit link and a 64-bit ticket) and the inline caller builds the stage, in place.
    #[inline]
    pub(crate) fn granted_or_queued(owner: R, grant: L::Grant, joined: Option<Spot>) -> Self {
        match joined {
            None => StageOf::granted(owner, grant),
            Some(spot) => StageOf::Waiting(Waiter::queued(owner, spot, 0)),
        }
    }

    #[inline]
    pub(crate) fn poll_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        finish: impl FnOnce(R, L::Grant) -> T,
    ) -> Poll<T> {
        match self {
            StageOf::Granted { owner, data } => {
                let (owner, data) = take_granted(owner, data, POLLED_AFTER);
                Poll::Ready(finish(owner, data))
            }
            StageOf::Waiting(waiter) => match waiter.poll_granted(cx) {
                Poll::Ready((owner, data)) => {
                    *self = StageOf::Granted {
                        owner: None,
                        data: None,
                    };
                    Poll::Ready(finish(owner, data))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// See [`Waiter::give_up`]; `carry` turns what a waiter that left the line carried,
    /// with its owner, into what its deadline hands back.
    #[inline]
    pub(crate) fn give_up_with<T, C>(
        &mut self,
        finish: impl FnOnce(R, L::Grant) -> T,
        carry: impl FnOnce(R, L::Data) -> C,
    ) -> Result<T, C> {
        match self {
            StageOf::Granted { owner, data } => {
                let (owner, data) = take_granted(owner, data, GIVEN_UP_AFTER);
                Ok(finish(owner, data))
            }
            StageOf::Waiting(waiter) => {
                let result = waiter.give_up();
                let owner = waiter.take_owner();
                *self = StageOf::Granted {
                    owner: None,
                    data: None,
                };
                match result {
                    Ok(data) => Ok(finish(owner, data)),
                    Err(data) => Err(carry(owner, data)),
                }
            }
        }
    }

    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        matches!(self, StageOf::Granted { data: Some(_), .. })
    }

    /// Whether the future still stands in line (for `Debug`).
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self, StageOf::Waiting(w) if w.is_pending())
    }
}

impl<R: Anchor<L::Target>, L: Line> Drop for StageOf<R, L> {
    #[inline]
    fn drop(&mut self) {
        if let StageOf::Granted {
            owner: Some(owner),
            data,
        } = self
        {
            if let Some(data) = data.take() {
                if L::RETURNS_GRANTS {
                    return_unreturned::<L>(owner.anchor(), data);
                }
            }
        }
    }
}

/// The panic of a future polled after it returned.
pub(crate) const POLLED_AFTER: &str = "toro future polled after it completed";
/// The panic of a future given up (at its deadline) after it returned.
pub(crate) const GIVEN_UP_AFTER: &str = "toro future given up after it completed";

/// Takes what a stage holds once granted, the owner and the grant, both `Some` until
/// then: a second take panics with `after` ([`POLLED_AFTER`], [`GIVEN_UP_AFTER`]).
#[inline]
pub(crate) fn take_granted<O, G>(
    owner: &mut Option<O>,
    grant: &mut Option<G>,
    after: &str,
) -> (O, G) {
    match (owner.take(), grant.take()) {
        (Some(owner), Some(grant)) => (owner, grant),
        _ => panic!("{after}"),
    }
}

#[cold]
#[inline(never)]
fn return_unreturned<L: Line>(target: &L::Target, data: L::Grant) {
    let Err(data) = L::return_grant_unlocked(target, data) else {
        return;
    };
    let mut wakes = WakeList::new();
    L::return_grant(target, &mut lock(L::state(target)), data, &mut wakes);
    wakes.wake_all();
}
