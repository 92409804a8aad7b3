//! The queue engine: one state machine under the four queue types.
//!
//! # Two paths
//!
//! A FIFO queue keeps its items in a lock-free [`Ring`] while nobody waits: a `put` or a
//! `get` is then one compare-and-swap on the ring, no mutex. Everything else goes through
//! the queue's mutex, which first closes the ring (no fast put or get succeeds until it
//! opens again), then works on a stable view:
//!
//! - a `put` with getters waiting hands its item to the oldest getter (it never enters
//!   the buffer);
//! - a `get` with putters waiting (the queue is full) takes the next item and admits the
//!   oldest putter's item in the same call;
//! - an item given back by a dropped getter goes to the next getter, or into a stash in
//!   front of the ring, by its [`Stamp`];
//! - items beyond what the ring holds (a large or unbounded queue in a burst) wait behind
//!   it, in the order's buffer.
//!
//! The ring opens again once the mutex holder leaves nothing of that behind: no line of
//! getters or putters, no stashed item, no item behind the ring, not shut down. So while a
//! line stands, every put and get takes the mutex and serves it in order (no barging),
//! and while none stands, none takes the mutex.
//!
//! LIFO and priority queues have no ring: their every operation takes the mutex.
//!
//! # Counts
//!
//! `qsize()` is the ring's count plus the items outside it ([`Engine::outside`]), both
//! updated before an operation returns. A `JoinableQueue` counts its unfinished tasks in
//! an atomic; the count reaches zero, and releases `join()`ers, only under the mutex.

use std::collections::VecDeque;
use std::task::Waker;

use super::order::{Order, Stamp};
use super::ring::Ring;
use crate::error::{TooManyTaskDone, TryRecvError, TrySendError};
use crate::parcel::Parcel;
use crate::sync::{AtomicUsize, Mutex, MutexGuard, Ordering, lock};
use crate::waiters::slot::{SlotBox, SlotLine, Spare};
use crate::waiters::{HandedOver, Spot, WaiterList, WakeList};

mod lines;
mod user_code;

pub(crate) use lines::{Joiners, Putters};
use user_code::OrdRunner;
pub(crate) use user_code::Wakes;

/// What a sink's putter leaving the line gives back (its item, its waker), to be dropped
/// after the queue's mutex is released.
pub(crate) type LeftPutter<T> = (Option<T>, Option<Waker>);

pub(crate) struct Engine<T, O> {
    pub(crate) maxsize: usize,
    /// Whether it counts unfinished tasks (a `JoinableQueue`).
    joinable: bool,
    ring: Ring<T>,
    /// Items in the queue outside the ring: stashed, behind the ring, or (no ring) all.
    outside: AtomicUsize,
    /// `JoinableQueue`: items that entered and were not marked done.
    unfinished: AtomicUsize,
    /// The thread running this queue's `Ord`, if any (a `PriorityQueue`'s guard against an
    /// `Ord` that calls back into its queue).
    ord_runner: OrdRunner,
    /// A getter's slot kept for the next one to join (see [`Spare`]).
    pub(in crate::queue) spare: Spare<Handed<T>>,
    /// How far admissions have gone in the putters' line: an admitted putter (its item
    /// taken into the queue) is handed over, and learns it with one load, no mutex. A
    /// putter refused by a shutdown is granted in its entry, with its item: shutdown ends
    /// admissions, so those entries are never covered by this counter.
    pub(in crate::queue) admitted: HandedOver,
    state: Mutex<State<T, O>>,
}

pub(crate) struct State<T, O> {
    /// The order's buffer: for a FIFO queue, the items behind its ring.
    buffer: O,
    /// A FIFO queue's items given back by dropped getters, in front of its ring.
    stash: Stash<T>,
    /// Stamps the items that arrive outside a ring (see [`Stamp`]).
    next_minor: u64,
    /// Getters wait each in a slot of its own (see [`SlotLine`]); a put takes the oldest
    /// out of the line and hands it an item there. A getter handed nothing was ended by a
    /// shutdown.
    getters: SlotLine<Handed<T>>,
    /// Blocked putters wait holding their item; a get takes it and grants them. A putter
    /// granted with its item still there was refused by a shutdown.
    putters: WaiterList<Option<T>>,
    joiners: WaiterList<()>,
    shutdown: bool,
}

/// What a put did under the queue's mutex (the caller builds the future from it).
pub(crate) enum Offered<T> {
    Delivered,
    /// The queue is shut down: the item comes back.
    Refused(T),
    /// The queue is full: the item waits in the putters' line, here.
    Joined(Spot),
}

/// What a get did under the queue's mutex (the caller builds the future from it).
pub(crate) enum Took<T> {
    /// An item, with its stamp.
    Item((Stamp, T)),
    /// The queue is shut down and drained.
    Ended,
    /// The queue is empty: the getter waits in line, in this slot.
    Joined(SlotBox<Handed<T>>),
}

impl<T, O> State<T, O> {
    /// The line of getters, for a getter that leaves it or looks at its waker (see
    /// [`SlotBox`]).
    pub(in crate::queue) fn getters_mut(&mut self) -> &mut SlotLine<Handed<T>> {
        &mut self.getters
    }

    /// Hands `handoff` to the oldest getter, taking it out of the line, and adds its
    /// waker to `wakes`; gives `handoff` back if no getter waits.
    fn hand_to_getter(
        &mut self,
        handoff: Handoff<T>,
        wakes: &mut WakeList,
    ) -> Result<(), Handoff<T>> {
        if self.getters.is_empty() {
            return Err(handoff);
        }
        // Parcelled before the slot is touched (a large item is boxed here).
        let handed = handoff.map(|(stamp, item)| (stamp, Parcel::new(item)));
        match self.getters.hand_front(handed) {
            Ok(waker) => wakes.push(waker),
            Err(_) => unreachable!("toro: a getter was in line"),
        }
        Ok(())
    }
}

/// What a put hands a getter: an item with its stamp, or `None` for a shutdown.
pub(crate) type Handoff<T> = Option<(Stamp, T)>;

/// An item handed to a getter (or taken at the call), with the stamp that places it in
/// the queue's order should the getter give it back; `None` for a getter ended by a
/// shutdown. The item is in a [`Parcel`], so that a getter's slot (like a get's future)
/// has room for a few words of item, not for a large one.
pub(crate) type Handed<T> = Option<(Stamp, Parcel<T>)>;

pub(crate) const PUT_AFTER_SHUTDOWN: &str =
    "put on a shut-down queue: use send() or try_send() where the queue may be shut down";
pub(crate) const GET_AFTER_SHUTDOWN: &str =
    "get on a shut-down, drained queue: use recv() or try_recv() where the queue may be shut down";

impl<T, O: Order<T>> Engine<T, O> {
    pub(crate) fn new(maxsize: usize, joinable: bool) -> Self {
        Engine {
            maxsize,
            joinable,
            ring: Ring::new(O::RING.then_some(maxsize)),
            outside: AtomicUsize::new(0),
            unfinished: AtomicUsize::new(0),
            ord_runner: OrdRunner::new(),
            spare: Spare::new(),
            admitted: HandedOver::new(),
            state: Mutex::new(State {
                buffer: O::new(),
                stash: Stash::new(),
                next_minor: 0,
                getters: SlotLine::new(),
                putters: WaiterList::new(),
                joiners: WaiterList::new(),
                shutdown: false,
            }),
        }
    }

    pub(crate) fn with_items(
        maxsize: usize,
        joinable: bool,
        name: &str,
        items: impl IntoIterator<Item = T>,
    ) -> Self {
        let engine: Engine<T, O> = Engine::new(maxsize, joinable);
        {
            let mut state = engine.begin();
            for item in items {
                engine.count_task();
                engine.enter(&mut state, item);
            }
            let n = engine.len_locked(&state);
            assert!(
                maxsize == 0 || n <= maxsize,
                "{name}::with_items: {n} items do not fit in maxsize {maxsize}"
            );
            engine.settle(&state);
        }
        engine
    }

    /// The state's mutex, refusing a call back from this queue's own `Ord` (which runs
    /// under that mutex: locking it again would deadlock).
    #[inline]
    fn checked_state(&self) -> &Mutex<State<T, O>> {
        if O::RUNS_USER_CODE && self.ord_runner.is_this_thread() {
            panic!("PriorityQueue: Ord called back into the queue");
        }
        &self.state
    }

    #[inline]
    pub(in crate::queue) fn lock_state(&self) -> MutexGuard<'_, State<T, O>> {
        lock(self.checked_state())
    }

    /// Takes the mutex for an operation that may move items: closes the ring first (and
    /// makes its slots the first time), so that the view of the queue stays still.
    fn begin(&self) -> MutexGuard<'_, State<T, O>> {
        let state = self.lock_state();
        if O::RING {
            self.ring.make_slots();
            self.ring.close();
        }
        state
    }

    /// Opens the ring again if nothing needs the mutex any more (see the module docs).
    /// Mutex held.
    pub(in crate::queue) fn settle(&self, state: &State<T, O>) {
        if O::RING
            && !state.shutdown
            && state.getters.is_empty()
            && state.putters.is_empty()
            && state.stash.len() == 0
            && state.buffer.len() == 0
        {
            self.ring.open();
        }
    }

    /// [`settle`](Self::settle) after a put, which `hands` its item to a waiting getter or
    /// not. A put that handed its item leaves the ring closed: the getter's task is
    /// likely to wait again (a ping-pong, a consumer keeping up with its producer), and a
    /// ring opened now would be closed again by its next get, two read-modify-writes of
    /// shared words each way. The next operation that finds nobody waiting (it takes the
    /// mutex, the ring being closed) opens it. Mutex held.
    #[inline]
    fn settle_after_put(&self, state: &State<T, O>, hands: bool) {
        if !hands {
            self.settle(state);
        }
    }

    /// Whether the ring's fast paths are open.
    #[cfg(test)]
    pub(crate) fn ring_is_open(&self) -> bool {
        self.ring.is_open()
    }

    /// Runs a buffer operation, marked as this queue's `Ord` if the order has one.
    #[inline]
    fn in_ord<R>(&self, op: impl FnOnce() -> R) -> R {
        let _scope = O::RUNS_USER_CODE.then(|| self.ord_runner.enter());
        op()
    }

    /// The stamp of an item arriving outside the ring now. Mutex held, ring closed.
    fn stamp_outside(&self, state: &mut State<T, O>) -> Stamp {
        let minor = state.next_minor;
        state.next_minor += 1;
        // Without a ring (LIFO, priority) the counter alone orders the items.
        let pos = if O::RING { self.ring.back() } else { 0 };
        Stamp::outside(pos, minor)
    }

    /// Counts an item entering a `JoinableQueue`.
    #[inline]
    fn count_task(&self) {
        if self.joinable {
            self.unfinished.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An item enters the buffer, behind every item in it: into the ring if nothing
    /// waits behind it and it has room, else behind it. Mutex held, ring closed.
    fn enter(&self, state: &mut State<T, O>, item: T) {
        let item = if O::RING && state.buffer.len() == 0 {
            match self.ring.push_locked(item) {
                Ok(()) => return,
                Err(item) => item,
            }
        } else {
            item
        };
        let stamp = self.stamp_outside(state);
        self.count_outside(1);
        // Counted first, so a panicking `Ord` leaves the counts and the buffer agreeing
        // (the item is in the heap before `Ord` runs).
        self.in_ord(|| state.buffer.push(stamp, item));
    }

    /// Items came into (`n > 0`) or left (`n < 0`) the places outside the ring. Mutex held:
    /// only its holder writes the count, so a load and a store do (no read-modify-write).
    #[inline]
    fn count_outside(&self, n: isize) {
        let now = self.outside.load(Ordering::Relaxed);
        self.outside
            .store(now.wrapping_add_signed(n), Ordering::Release);
    }

    /// The items in the queue. Mutex held, ring closed.
    fn len_locked(&self, state: &State<T, O>) -> usize {
        // Only a FIFO queue has a ring, and a stash in front of it.
        let front = if O::RING {
            self.ring.len() + state.stash.len()
        } else {
            0
        };
        front + state.buffer.len()
    }

    pub(crate) fn qsize(&self) -> usize {
        // It takes no lock, but a call back from this queue's own `Ord` is refused all the
        // same: every method of a queue is, so an `Ord` that uses its queue learns at once.
        let _ = self.checked_state();
        let ring = if O::RING { self.ring.len() } else { 0 };
        ring + self.outside.load(Ordering::Acquire)
    }

    pub(crate) fn full(&self) -> bool {
        self.maxsize != 0 && self.qsize() >= self.maxsize
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.lock_state().shutdown
    }

    /// `(getters, putters)` waiting now.
    pub(crate) fn waiting(&self) -> (usize, usize) {
        let state = self.lock_state();
        (state.getters.len(), state.putters.len())
    }

    /// Gives `item` to the oldest getter, or to the buffer if it has room. Mutex held,
    /// ring closed.
    // Inlined into both slow paths (measured: out of line it cost a call and its answer's
    // round trip through memory on every put that takes the mutex).
    #[inline(always)]
    fn offer(
        &self,
        state: &mut State<T, O>,
        item: T,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if state.shutdown {
            Err(TrySendError::Shutdown(item))
        } else if !state.getters.is_empty() {
            self.count_task();
            let stamp = self.stamp_outside(state);
            let handed = state.hand_to_getter(Some((stamp, item)), wakes.list());
            debug_assert!(handed.is_ok(), "a getter was in line");
            Ok(())
        } else if self.maxsize != 0 && self.len_locked(state) >= self.maxsize {
            Err(TrySendError::Full(item))
        } else {
            self.count_task();
            self.enter(state, item);
            Ok(())
        }
    }

    /// Takes the next item, admitting the oldest blocked putter into the slot it frees.
    /// Mutex held, ring closed.
    fn take(&self, state: &mut State<T, O>, wakes: &mut Wakes) -> Option<(Stamp, T)> {
        // Over-full only after a dropped getter's item came back: no slot to free.
        let admit = self.maxsize == 0 || self.len_locked(state) <= self.maxsize;
        if O::RING {
            // First in, first out: the oldest item goes, the putter's item comes in last.
            let taken = self.take_fifo(state)?;
            if admit {
                self.admit_putter(state, wakes);
            }
            Some(taken)
        } else {
            // LIFO, priority: the putter's item comes in first, so that the get takes
            // the next item by the order with it in (LIFO: the putter's own).
            if admit {
                self.admit_putter(state, wakes);
            }
            let taken = self.in_ord(|| state.buffer.pop());
            if taken.is_some() {
                self.count_outside(-1);
                state.buffer.shrink();
            }
            taken
        }
    }

    /// The next item of a FIFO queue: stashed, in the ring, behind the ring.
    fn take_fifo(&self, state: &mut State<T, O>) -> Option<(Stamp, T)> {
        if let Some(stashed) = state.stash.pop() {
            self.count_outside(-1);
            return Some(stashed);
        }
        if let Some((pos, item)) = self.ring.pop_locked() {
            return Some((Stamp::ring(pos), item));
        }
        let (_, behind) = state.buffer.pop()?;
        self.count_outside(-1);
        state.buffer.shrink();
        // Stamped as it leaves: items behind the ring leave in the order they came, after
        // every item of the ring and before every later one.
        Some((self.stamp_outside(state), behind))
    }

    /// The oldest blocked putter's item enters the buffer; the putter is handed over
    /// (admitted: nothing to give it but the wake-up).
    fn admit_putter(&self, state: &mut State<T, O>, wakes: &mut Wakes) {
        if let Some(key) = state.putters.front() {
            let item = state
                .putters
                .data_mut(key)
                .take()
                .expect("blocked putter without its item");
            // Admitted before `Ord` runs: if it panics, the putter is still woken (by
            // `wakes`) and its item is in the buffer.
            state.putters.hand_over_front(&self.admitted, wakes.list());
            self.count_task();
            self.enter(state, item);
        }
    }

    /// An item a getter was handed and gave back: to the next getter, or back to its
    /// place in the queue's order. Mutex held.
    fn give_back(&self, state: &mut State<T, O>, (stamp, item): (Stamp, T), wakes: &mut WakeList) {
        // Already counted when it entered.
        let Err(Some((stamp, item))) = state.hand_to_getter(Some((stamp, item)), wakes) else {
            return;
        };
        self.count_outside(1);
        if O::RING {
            // In front of the ring: the ring stays closed until the stash is taken.
            self.ring.close();
            state.stash.put_back(stamp, item);
        } else {
            self.in_ord(|| state.buffer.put_back(stamp, item));
        }
    }

    /// An item a getter took (at the call, or handed in line) and was dropped without
    /// returning: to the next getter, or back to its place in the queue's order.
    #[cold]
    #[inline(never)]
    pub(in crate::queue) fn return_item(&self, item: (Stamp, T)) {
        let mut wakes = WakeList::new();
        self.give_back(&mut self.lock_state(), item, &mut wakes);
        wakes.wake_all();
    }

    /// `put_nowait`'s and `try_send`'s body.
    pub(crate) fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        if O::RING {
            self.count_task();
            match self.ring.try_push(item) {
                Ok(()) => return Ok(()),
                Err(item) => {
                    self.uncount_task();
                    return self.try_send_slow(item);
                }
            }
        }
        self.try_send_slow(item)
    }

    #[cold]
    #[inline(never)]
    fn try_send_slow(&self, item: T) -> Result<(), TrySendError<T>> {
        let mut wakes = Wakes::new();
        let result = {
            let mut state = self.begin();
            let hands = !state.getters.is_empty();
            let result = self.offer(&mut state, item, &mut wakes);
            self.settle_after_put(&state, hands);
            result
        };
        drop(wakes);
        result
    }

    /// A put: delivered (`Ok`), or what its slow path did. The fast path is inline and
    /// the caller builds the future's stage in place from the answer.
    #[inline]
    pub(crate) fn put(&self, item: T) -> Offered<T> {
        if O::RING {
            self.count_task();
            match self.ring.try_push(item) {
                Ok(()) => return Offered::Delivered,
                Err(item) => {
                    self.uncount_task();
                    return self.put_slow(item);
                }
            }
        }
        self.put_slow(item)
    }

    #[cold]
    #[inline(never)]
    fn put_slow(&self, item: T) -> Offered<T> {
        let mut wakes = Wakes::new();
        let mut state = self.begin();
        let hands = !state.getters.is_empty();
        let offered = match self.offer(&mut state, item, &mut wakes) {
            Ok(()) => Offered::Delivered,
            Err(TrySendError::Shutdown(item)) => Offered::Refused(item),
            Err(TrySendError::Full(item)) => Offered::Joined(state.putters.join(Some(item))),
        };
        self.settle_after_put(&state, hands);
        drop(state);
        drop(wakes);
        offered
    }

    /// `get_nowait`'s and `try_recv`'s body.
    pub(crate) fn try_recv(&self) -> Result<T, TryRecvError> {
        if O::RING {
            if let Some((_, item)) = self.ring.try_pop() {
                return Ok(item);
            }
        }
        self.try_recv_slow()
    }

    #[cold]
    #[inline(never)]
    fn try_recv_slow(&self) -> Result<T, TryRecvError> {
        let mut wakes = Wakes::new();
        let mut state = self.begin();
        let taken = self.take(&mut state, &mut wakes);
        self.settle(&state);
        match taken {
            Some((_, item)) if wakes.is_empty() => Ok(item),
            Some(handed) => {
                drop(state);
                Ok(self.deliver_admitting(wakes, handed).1)
            }
            None if state.shutdown => Err(TryRecvError::Shutdown),
            None => Err(TryRecvError::Empty),
        }
    }

    /// A get: an item (with its stamp), or what its slow path did. The fast path is
    /// inline and the caller builds the future's stage in place from the answer.
    #[inline]
    pub(crate) fn get(&self) -> Took<T> {
        if O::RING {
            if let Some((pos, item)) = self.ring.try_pop() {
                return Took::Item((Stamp::ring(pos), item));
            }
        }
        self.get_slow()
    }

    #[cold]
    #[inline(never)]
    fn get_slow(&self) -> Took<T> {
        let mut wakes = Wakes::new();
        let mut state = self.begin();
        let took = match self.take(&mut state, &mut wakes) {
            Some(handed) => {
                self.settle(&state);
                drop(state);
                // Nobody to wake: the usual case, whose return can carry the item at once.
                if wakes.is_empty() {
                    return Took::Item(handed);
                }
                return Took::Item(self.deliver_admitting(wakes, handed));
            }
            None if state.shutdown => Took::Ended,
            None => Took::Joined(state.getters.join(&self.spare)),
        };
        drop(state);
        drop(wakes);
        took
    }

    /// Wakes the putter a get admitted before the get returns the item it took; if that
    /// wake panics, the item goes back to its place first (see [`Wakes::wake_keeping`]).
    /// Gets that admit nobody return their item directly: with no wake-up to come,
    /// nothing can panic on the way out.
    #[cold]
    #[inline(never)]
    fn deliver_admitting(&self, wakes: Wakes, handed: (Stamp, T)) -> (Stamp, T) {
        // While the waker's panic unwinds: `return_item`'s `wake_all` catches a second one.
        wakes.wake_keeping(handed, |handed| self.return_item(handed))
    }

    /// Shuts the queue down: every waiting getter and putter is granted (the getters with
    /// nothing, the putters with their own item). With `immediate`, the buffer is taken
    /// too, next-out first, and its items no longer count as unfinished tasks.
    fn shutdown(&self, immediate: bool) -> Option<Drained<T, O>> {
        let mut wakes = Wakes::new();
        let drained = {
            let mut state = self.begin();
            state.shutdown = true;
            while state.hand_to_getter(None, wakes.list()).is_ok() {}
            state.putters.grant_all(wakes.list());
            if !immediate {
                return None;
            }
            let front = std::mem::replace(&mut state.stash, Stash::new());
            let mut ring = Vec::new();
            while let Some((pos, item)) = self.ring.pop_locked() {
                ring.push((Stamp::ring(pos), item));
            }
            let back = std::mem::replace(&mut state.buffer, O::new());
            let drained = Drained { front, ring, back };
            self.outside.store(0, Ordering::Release);
            // Like asyncio, never below zero (`task_done` may have run ahead of the gets).
            if self.joinable && self.uncount(drained.len()) == 0 {
                state.joiners.grant_all(wakes.list());
            }
            drained
        };
        // If a waker panics, the drained items go back into the (shut down) queue, where
        // gets can still drain them, and count as unfinished again; joiners woken already
        // stay woken.
        let drained = wakes.wake_keeping(drained, |drained| {
            // Unwinding already: a second panic, from `Ord`, would abort.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.take_back(drained)));
        });
        Some(drained)
    }

    /// Takes drained items back into a shut-down queue, where gets can still drain them,
    /// counting them as unfinished again. They are in the buffer before `Ord` runs: a
    /// panicking `Ord` loses none of them.
    fn take_back(&self, drained: Drained<T, O>) {
        let mut state = self.begin();
        let n = drained.len();
        if self.joinable {
            self.unfinished.fetch_add(n, Ordering::Relaxed);
        }
        self.count_outside(n as isize);
        let Drained { front, ring, back } = drained;
        // The stash comes out first, then the ring, then the buffer: all stashed now.
        state.stash.absorb(front);
        for (stamp, item) in ring {
            state.stash.put_back(stamp, item);
        }
        self.in_ord(|| state.buffer.absorb(back));
    }

    pub(crate) fn shutdown_soon(&self) {
        self.shutdown(false);
    }

    pub(crate) fn shutdown_immediate(&self) -> Vec<T> {
        let Some(mut drained) = self.shutdown(true) else {
            return Vec::new();
        };
        // Sorted after the mutex is released: `Ord` runs with no lock held. If it panics,
        // the items go back into the queue (shut down, where gets still drain them)
        // before the panic goes on: nothing is dropped.
        if let Err(panic) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drained.back.sort()))
        {
            self.take_back(drained);
            std::panic::resume_unwind(panic);
        }
        drained.into_vec()
    }

    /// Takes `n` off the unfinished tasks, never below zero; returns what is left. Mutex
    /// held (the count reaches zero only under it).
    fn uncount(&self, n: usize) -> usize {
        let mut now = self.unfinished.load(Ordering::Acquire);
        loop {
            let left = now.saturating_sub(n);
            match self.unfinished.compare_exchange_weak(
                now,
                left,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return left,
                Err(actual) => now = actual,
            }
        }
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        self.unfinished.load(Ordering::Acquire)
    }

    /// Takes back the count of an item that did not get in after all.
    fn uncount_task(&self) {
        if self.joinable {
            let _ = self.task_done();
        }
    }

    pub(crate) fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let mut n = self.unfinished.load(Ordering::Acquire);
        loop {
            match n {
                0 => return Err(TooManyTaskDone),
                // The last one: to zero under the mutex, which `join()` looks under.
                1 => return self.last_task_done(),
                _ => match self.unfinished.compare_exchange_weak(
                    n,
                    n - 1,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Ok(()),
                    Err(actual) => n = actual,
                },
            }
        }
    }

    #[cold]
    fn last_task_done(&self) -> Result<(), TooManyTaskDone> {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        let mut n = self.unfinished.load(Ordering::Acquire);
        loop {
            if n == 0 {
                return Err(TooManyTaskDone);
            }
            match self.unfinished.compare_exchange_weak(
                n,
                n - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => n = actual,
            }
        }
        if n == 1 {
            state.joiners.grant_all(wakes.list());
        }
        drop(state);
        drop(wakes);
        Ok(())
    }

    /// Ready (`None`) if no task is unfinished; otherwise joins the line.
    pub(crate) fn join(&self) -> Option<Spot> {
        let mut state = self.lock_state();
        if self.unfinished.load(Ordering::Acquire) == 0 {
            None
        } else {
            Some(state.joiners.join(()))
        }
    }

    /// `(qsize, getters, putters, tasks, shutdown)`, read under the mutex.
    pub(crate) fn snapshot(&self) -> (usize, usize, usize, usize, bool) {
        let state = self.lock_state();
        (
            self.qsize(),
            state.getters.len(),
            state.putters.len(),
            self.unfinished.load(Ordering::Acquire),
            state.shutdown,
        )
    }
}

/// A FIFO queue's items given back by dropped getters, by stamp: they leave before every
/// item in the ring, the oldest first.
struct Stash<T>(VecDeque<(Stamp, T)>);

impl<T> Stash<T> {
    const fn new() -> Self {
        Stash(VecDeque::new())
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// Puts `item` back at its place by `stamp` (usually the front).
    fn put_back(&mut self, stamp: Stamp, item: T) {
        let at = self.0.partition_point(|(s, _)| *s < stamp);
        self.0.insert(at, (stamp, item));
    }

    fn pop(&mut self) -> Option<(Stamp, T)> {
        let next = self.0.pop_front();
        if self.0.is_empty() && self.0.capacity() > 16 {
            self.0 = VecDeque::new();
        }
        next
    }

    fn absorb(&mut self, other: Self) {
        for (stamp, item) in other.0 {
            self.put_back(stamp, item);
        }
    }

    fn into_items(self) -> impl Iterator<Item = T> {
        self.0.into_iter().map(|(_, item)| item)
    }
}

/// Items a `shutdown_immediate` took out, in their three places, next-out first within
/// each: stashed, the ring's, the buffer's.
struct Drained<T, O> {
    front: Stash<T>,
    ring: Vec<(Stamp, T)>,
    back: O,
}

impl<T, O: Order<T>> Drained<T, O> {
    fn len(&self) -> usize {
        self.front.len() + self.ring.len() + self.back.len()
    }

    fn into_vec(self) -> Vec<T> {
        let mut items: Vec<T> = self.front.into_items().collect();
        items.extend(self.ring.into_iter().map(|(_, item)| item));
        items.extend(self.back.into_sorted());
        items
    }
}
