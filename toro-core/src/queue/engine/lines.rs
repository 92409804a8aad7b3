//! Two of the queue's lines as the shared waiter mechanism sees them ([`Line`]): putters
//! (admitted, or refused at shutdown with their item) and joiners; and the polls of a
//! getter or putter that stands in line outside a future (a stream's or a sink's). The
//! getters' line is the queue's own (see [`getter`](crate::queue::getter)).

use std::marker::PhantomData;
use std::task::{Context, Poll};

use super::{Engine, LeftPutter, Offered, State, Took};
use crate::error::Shutdown;
use crate::parcel::Parcel;
use crate::queue::getter::InLine;
use crate::queue::order::Order;
use crate::sync::Mutex;
use crate::waiters::{FreshWaker, HandedOver, Line, Removed, Spot, WaiterList, WakeList};

pub(crate) struct Putters<T, O>(PhantomData<fn() -> (T, O)>);
pub(crate) struct Joiners<T, O>(PhantomData<fn() -> (T, O)>);

impl<T, O: Order<T>> Line for Putters<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = Option<T>;
    type Grant = Option<Parcel<T>>;

    fn collect(_: &mut State<T, O>, refused: Option<T>) -> Option<Parcel<T>> {
        refused.map(Parcel::new)
    }

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        engine.checked_state()
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<Option<T>> {
        &mut state.putters
    }

    fn handed_over(engine: &Engine<T, O>) -> Option<&HandedOver> {
        Some(&engine.admitted)
    }

    /// Admitted: its item is in the queue, nothing comes back.
    fn handed_grant(_: usize) -> Option<Parcel<T>> {
        None
    }

    fn left_line(
        engine: &Engine<T, O>,
        state: &mut State<T, O>,
        _: &mut Option<T>,
        _: &mut WakeList,
    ) {
        engine.settle(state);
    }
}

impl<T, O: Order<T>> Line for Joiners<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = ();
    crate::waiters::grants_are_data!();

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        engine.checked_state()
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<()> {
        &mut state.joiners
    }
}

impl<T, O: Order<T>> Engine<T, O> {
    /// Polls a getter that stands in line outside a future (a stream's): takes an item,
    /// or joins the line, or collects what it was handed. `Ready(None)`: shut down and
    /// drained.
    pub(crate) fn poll_getter(
        &self,
        key: &mut Option<InLine<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<T>> {
        if key.is_none() {
            // A get's own start: an item, the end, or a place in line (taken before it
            // has a waker at hand: a hand-off that comes while it clones one is found as
            // it parks).
            match self.get() {
                Took::Item((_, item)) => return Poll::Ready(Some(item)),
                Took::Ended => return Poll::Ready(None),
                Took::Joined(slot) => *key = Some(InLine::new(slot)),
            }
        }
        let getter = key.as_mut().expect("in line");
        std::task::ready!(self.poll_in_line(getter, cx));
        let handoff = self.release_in_line(key.take().expect("in line"));
        Poll::Ready(handoff.map(|(_, item)| item.take()))
    }

    /// A stream's getter leaves the line, giving back an item it had been handed.
    pub(crate) fn leave_getter(&self, getter: InLine<T>) {
        self.drop_in_line(getter);
    }

    /// A sink's put: delivered, or in line by `key` holding its item (with no waker until
    /// the sink is polled).
    pub(crate) fn start_putter(&self, key: &mut Option<Spot>, item: T) -> Result<(), Shutdown<T>> {
        assert!(
            key.is_none(),
            "Sink::start_send without Sink::poll_ready returning Ready(Ok(()))"
        );
        match self.put(item) {
            Offered::Delivered => Ok(()),
            Offered::Refused(item) => Err(Shutdown(item)),
            Offered::Joined(spot) => {
                *key = Some(spot);
                Ok(())
            }
        }
    }

    /// Polls a sink's putter in line: `Ready(Ok)` once its item is in (or if none waits).
    /// Wakers are cloned and dropped outside the mutex, as in
    /// [`poll_getter`](Self::poll_getter).
    pub(crate) fn poll_putter(
        &self,
        key: &mut Option<Spot>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Shutdown<T>>> {
        let Some(spot) = *key else {
            return Poll::Ready(Ok(()));
        };
        if self.admitted.covers(spot.ticket()) {
            *key = None;
            return Poll::Ready(Ok(()));
        }
        let mut fresh = FreshWaker::none();
        loop {
            let mut state = self.lock_state();
            // Under the mutex an admission cannot come between this look and the key's.
            if self.admitted.covers(spot.ticket()) {
                *key = None;
                drop(state);
                return Poll::Ready(Ok(()));
            }
            let k = state.putters.locate(spot);
            if state.putters.is_granted(k) {
                *key = None;
                let refused = state.putters.remove(k).data;
                drop(state);
                return Poll::Ready(refused.map_or(Ok(()), |item| Err(Shutdown(item))));
            }
            if fresh.park(state, cx, |state| state.putters.waker_slot(k)) {
                return Poll::Pending;
            }
        }
    }

    /// A sink's putter leaves the line; its item (and waker) are dropped by the caller,
    /// after the mutex is released.
    pub(crate) fn leave_putter(&self, spot: Spot) -> LeftPutter<T> {
        if self.admitted.covers(spot.ticket()) {
            // Admitted: its entry is gone, its item in the queue.
            return (None, None);
        }
        let mut state = self.lock_state();
        if self.admitted.covers(spot.ticket()) {
            return (None, None);
        }
        let key = state.putters.locate(spot);
        let Removed { data, waker, .. } = state.putters.remove(key);
        self.settle(&state);
        (data, waker)
    }
}
