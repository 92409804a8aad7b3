//! Queues: [`Queue`], [`LifoQueue`], [`PriorityQueue`] and [`JoinableQueue`].
//!
//! One engine serves all four; only the buffer's [`Order`] differs (toro's `_put`/`_get`
//! hooks). Getters and blocked putters wait in two lines under the queue's mutex:
//! - a `put` with a getter waiting hands the item straight to the oldest getter (the
//!   buffer stays empty, `qsize()` stays 0);
//! - a `get` on a full queue with a putter waiting admits the oldest putter's item into
//!   the buffer in the same call, then takes the next item by the queue's order (FIFO: the
//!   oldest buffered; LIFO: the putter's; priority: the smallest);
//! - a timed-out getter takes nothing; a timed-out putter gets its item back in
//!   [`Timeout`](crate::Timeout); an item handed to a getter that is dropped before
//!   returning it goes to the next getter, or back to where it stood in the queue's order
//!   (every item carries its arrival stamp: FIFO, before every item that came after it;
//!   LIFO, under every item that came after it; priority, by priority and then arrival).
//!
//! **How full a queue can get.** `qsize()` stays at or below `maxsize`, with one
//! exception: an item given back by a dropped getter always goes back in, even if a
//! blocked putter has taken the slot it freed meanwhile. So the queue can hold one item
//! over `maxsize` for each getter dropped holding an item (and for each get whose `Ord`
//! panicked after admitting a putter); gets do not admit putters while it is over-full, so
//! it shrinks back to `maxsize`. Nothing is ever dropped.
//!
//! # Shutting down
//!
//! [`shutdown`](Queue::shutdown), [`shutdown_immediate`](Queue::shutdown_immediate) and
//! [`is_shutdown`](Queue::is_shutdown) follow asyncio 3.13's `Queue.shutdown`: puts are
//! refused from then on with the item handed back; gets drain what is buffered and then
//! end; every blocked putter gets its item back and every waiting getter ends, inside the
//! call; `join()` ends once the count of unfinished tasks is zero.
//! `shutdown_immediate()` also empties the buffer, returns the drained items to the caller
//! (next-out first) and stops counting them as tasks, so `join()` waits only for the items
//! already taken.
//!
//! The Rust surface keeps toro's methods as they are and adds a channel-style set that
//! reports the shutdown in its types:
//!
//! | toro's (for queues never shut down) | shutdown-aware | after shutdown |
//! |---|---|---|
//! | `put(item)` → `()` | [`send(item)`](Queue::send) → `Result<(), Shutdown<T>>` | item back in [`Shutdown`] |
//! | `put_nowait(item)` → `Result<(), Full<T>>` | [`try_send(item)`](Queue::try_send) → `Result<(), TrySendError<T>>` | `TrySendError::Shutdown(item)` |
//! | `get()` → `T` | [`recv()`](Queue::recv) → `Result<T, Shutdown>` | items until drained, then `Err(Shutdown)` |
//! | `get_nowait()` → `Result<T, Empty>` | [`try_recv()`](Queue::try_recv) → `Result<T, TryRecvError>` | `TryRecvError::Shutdown` once drained |
//!
//! Why companions rather than changing `get`/`put`: a queue that is never shut down (most
//! of toro's uses) keeps `q.get().await` giving a `T`, with no `unwrap()` on every call,
//! and DESIGN §2's signatures stay; code that shuts down writes `while let Ok(job) =
//! q.recv().await`, the shape of tokio's and async-channel's `recv`. toro's methods never
//! hang or silently succeed on a shut-down queue: `put`, `put_nowait` and a `get` with
//! nothing left panic with a message naming the shutdown-aware method, and `get_nowait`
//! keeps answering [`Empty`] (true for good; it never panics, so draining
//! with it always works). Every future, with or without a deadline, ends at the shutdown.
//!
//! # Streams and sinks
//!
//! [`stream`](Queue::stream) and [`into_stream`](Queue::into_stream) (over an `Arc`) make
//! the getter side a [`futures_core::Stream`] that ends with `None` after shutdown and
//! drain; [`sink`](Queue::sink) and [`into_sink`](Queue::into_sink) make the putter side a
//! [`futures_sink::Sink`]. See [`QueueStream`] and [`QueueSink`] for how they stand in line.
//!
//! # User code
//!
//! The queue's mutex never runs an item's `Drop` or `Debug` (`Debug` for a queue shows
//! its counts, not its items). A `PriorityQueue` must run the items' `Ord` under it; a
//! panicking `Ord` loses no item and no wake-up (the heap only swaps items in place, and
//! waiters granted before the panic are woken), and an `Ord` that calls back into its own
//! queue panics with "PriorityQueue: Ord called back into the queue" instead of
//! deadlocking.
//!
//! Pick [`Queue`] for work in arrival order, [`LifoQueue`] for newest first,
//! [`PriorityQueue`] for smallest first, and [`JoinableQueue`] when a producer must wait
//! until every item has been processed. All four are also at the crate root.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use toro_core::Queue;
//!
//! toro_core::block_on(async {
//!     let queue = Queue::new(1);
//!
//!     // A put with a getter waiting hands the item straight over.
//!     let getter = queue.get();
//!     queue.put_nowait(1).unwrap();
//!     assert_eq!(queue.qsize(), 0);
//!     assert_eq!(getter.await, 1);
//!
//!     // A get on a full queue admits the oldest blocked putter in the same call.
//!     queue.put_nowait(2).unwrap();
//!     let putter = queue.put(3);
//!     assert_eq!(queue.get_nowait(), Ok(2));
//!     assert_eq!(queue.qsize(), 1); // 3 is in the buffer now
//!     putter.await;
//!
//!     // A timed-out putter gets its item back.
//!     let timeout = queue.put(4).deadline(Duration::ZERO).await.unwrap_err();
//!     assert_eq!(timeout.into_inner(), 4);
//!
//!     // Shut down: a blocked sender gets its item back, gets drain, then end.
//!     let blocked = queue.send(5);
//!     queue.shutdown();
//!     assert_eq!(blocked.await.unwrap_err().into_inner(), 5);
//!     assert_eq!(queue.recv().await, Ok(3));
//!     assert!(queue.recv().await.is_err());
//! });
//! ```

pub mod order;

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::deadline::wait_future;
use crate::error::{Empty, Full, Shutdown, TooManyTaskDone, TryRecvError, TrySendError};
use crate::sync::{lock, Mutex, MutexGuard};
use crate::waiters::{
    grants_are_data, Key, Line, Removed, Slab, Spot, Stage, Waiter, WaiterList, WakeList,
};
use order::{Fifo, Lifo, Order, Priority};

/// The shared queue engine.
pub(crate) struct Engine<T, O> {
    maxsize: usize,
    state: Mutex<State<T, O>>,
}

/// What a sink's putter leaving the line gives back (its item, its waker), to be dropped
/// after the queue's mutex is released.
type LeftPutter<T> = (Option<T>, Option<Waker>);

/// An item handed to a getter, with the stamp that places it in the queue's order should
/// the getter give it back.
type Handed<T> = Option<(u64, T)>;

/// What a put did under the queue's mutex ([`Engine::put_stage`] builds the future from it).
enum Offered<T> {
    Delivered,
    /// The queue is shut down: the item comes back.
    Refused(T),
    /// The queue is full: the item waits in the putters' line, here.
    Joined(Spot),
}

/// What a get did under the queue's mutex ([`Engine::get_stage`] builds the future from it).
enum Took<T> {
    /// An item, with its stamp.
    Item((u64, T)),
    /// The queue is shut down and drained.
    Ended,
    /// The queue is empty: the getter waits in line, here.
    Joined(Spot),
}

pub(crate) struct State<T, O> {
    buffer: O,
    /// Stamps arrivals, so a returned item goes back to its place in the order.
    next_stamp: u64,
    /// Getters wait with an empty slot; a put hands them an item (kept in `handed`, so a
    /// getter's entry holds no room for one) and grants them. A getter granted with
    /// nothing was ended by a shutdown.
    getters: WaiterList<Option<Key>>,
    /// Items handed to getters in line, until their futures collect them.
    handed: Slab<(u64, T)>,
    /// Blocked putters wait holding their item; a get takes it and grants them. A putter
    /// granted with its item still there was refused by a shutdown.
    putters: WaiterList<Option<T>>,
    /// Items that entered the queue (buffer or straight to a getter) and were not yet
    /// marked done: `JoinableQueue`'s count.
    unfinished: usize,
    joiners: WaiterList<()>,
    shutdown: bool,
}

impl<T, O> State<T, O> {
    fn stamp(&mut self) -> u64 {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        stamp
    }

    /// Compacts the items handed and not yet collected, and points their getters at
    /// where they went.
    #[cold]
    #[inline(never)]
    fn compact_handed(&mut self) {
        let remap = self.handed.compact();
        for handed in self.getters.data_iter_mut().flatten() {
            *handed = remap.key(*handed);
        }
    }

    /// Hands `item` to the getter at `key` and grants it, adding its waker to `wakes`.
    fn hand_to_getter(&mut self, key: Key, item: (u64, T), wakes: &mut WakeList) {
        *self.getters.data_mut(key) = Some(self.handed.insert(item));
        wakes.push(self.getters.grant(key));
    }
}

/// Wakers collected under the queue's mutex, woken when this is dropped: after the mutex
/// guard (declared later, dropped first), and also when user code (an `Ord`) panics
/// midway, so a waiter granted before the panic is never left asleep.
struct Wakes(Option<WakeList>);

impl Wakes {
    #[inline]
    fn new() -> Self {
        Wakes(Some(WakeList::new()))
    }

    #[inline]
    fn list(&mut self) -> &mut WakeList {
        self.0.as_mut().expect("wake list already woken")
    }

    /// Whether nobody is to be woken.
    #[inline]
    fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(WakeList::is_empty)
    }

    /// Wakes now, keeping `value` (what the call is about to return: items) safe: if a
    /// waker panics, `restore` takes the value back before the panic goes on. A value
    /// already moved into a return is lost, neither dropped nor returned, when a
    /// destructor panics on the way out (rust-lang/rust#47949), so a call that returns
    /// items never leaves its wake-ups to `Drop`.
    fn wake_keeping<V>(self, value: V, restore: impl FnOnce(V)) -> V {
        /// Gives the value to `restore` if dropped while still holding it (unwinding).
        struct Keep<V, F: FnOnce(V)>(Option<(V, F)>);

        impl<V, F: FnOnce(V)> Drop for Keep<V, F> {
            fn drop(&mut self) {
                if let Some((value, restore)) = self.0.take() {
                    restore(value);
                }
            }
        }

        if self.is_empty() {
            return value;
        }
        let mut keep = Keep(Some((value, restore)));
        drop(self);
        let (value, _) = keep.0.take().expect("kept until the wake-ups are done");
        value
    }
}

/// Wakes `wakes` while a panic unwinds: one more panic would abort the process, so it is
/// caught (and the rest are still woken, see [`WakeList::wake_all`]).
fn wake_unwinding(wakes: WakeList) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wakes.wake_all()));
}

impl Drop for Wakes {
    #[inline]
    fn drop(&mut self) {
        // Most calls wake nobody: that case costs one test, inline.
        if !self.is_empty() {
            self.wake_now();
        }
    }
}

impl Wakes {
    #[cold]
    #[inline(never)]
    fn wake_now(&mut self) {
        if let Some(wakes) = self.0.take() {
            wakes.wake_all();
        }
    }
}

thread_local! {
    /// The engines whose `Ord` this thread is running, under their mutex.
    static IN_ORD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks this thread as running `engine`'s `Ord` (under its mutex) until dropped.
struct OrdScope;

impl OrdScope {
    fn enter(engine: usize) -> Self {
        // `try_with`: a queue used from a thread-local destructor runs unguarded rather
        // than panicking.
        let _ = IN_ORD.try_with(|running| running.borrow_mut().push(engine));
        OrdScope
    }
}

impl Drop for OrdScope {
    fn drop(&mut self) {
        let _ = IN_ORD.try_with(|running| running.borrow_mut().pop());
    }
}

pub(crate) struct Getters<T, O>(PhantomData<fn() -> (T, O)>);
pub(crate) struct Putters<T, O>(PhantomData<fn() -> (T, O)>);
pub(crate) struct Joiners<T, O>(PhantomData<fn() -> (T, O)>);

impl<T, O: Order<T>> Line for Getters<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = Option<Key>;
    type Grant = Handed<T>;
    const RETURNS_GRANTS: bool = true;

    fn collect(state: &mut State<T, O>, handed: Option<Key>) -> Handed<T> {
        let item = state.handed.remove(handed?);
        if state.handed.is_sparse() {
            state.compact_handed();
        }
        Some(item)
    }

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        engine.checked_state()
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<Option<Key>> {
        &mut state.getters
    }

    fn return_grant(
        engine: &Engine<T, O>,
        state: &mut State<T, O>,
        handed: Handed<T>,
        wakes: &mut WakeList,
    ) {
        let Some((stamp, item)) = handed else { return };
        // Already counted when it entered: pass it to the next getter, or put it back
        // where it stood in the queue's order.
        match state.getters.front() {
            Some(key) => state.hand_to_getter(key, (stamp, item), wakes),
            None => engine.in_ord(|| state.buffer.put_back(stamp, item)),
        }
    }
}

impl<T, O: Order<T>> Line for Putters<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = Option<T>;
    grants_are_data!();

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        engine.checked_state()
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<Option<T>> {
        &mut state.putters
    }
}

impl<T, O: Order<T>> Line for Joiners<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = ();
    grants_are_data!();

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        engine.checked_state()
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<()> {
        &mut state.joiners
    }
}

impl<T, O: Order<T>> Engine<T, O> {
    fn new(maxsize: usize) -> Self {
        Engine {
            maxsize,
            state: Mutex::new(State {
                buffer: O::new(),
                next_stamp: 0,
                getters: WaiterList::new(),
                handed: Slab::new(),
                putters: WaiterList::new(),
                unfinished: 0,
                joiners: WaiterList::new(),
                shutdown: false,
            }),
        }
    }

    fn with_items(kind: &str, maxsize: usize, items: impl IntoIterator<Item = T>) -> Self {
        let engine: Engine<T, O> = Engine::new(maxsize);
        {
            let mut state = engine.lock_state();
            for item in items {
                engine.enter(&mut state, item);
            }
            let n = state.buffer.len();
            assert!(
                maxsize == 0 || n <= maxsize,
                "{kind}::with_items: {n} items do not fit in maxsize {maxsize}"
            );
        }
        engine
    }

    /// The state's mutex, refusing a call back from this queue's own `Ord` (which runs
    /// under that mutex: locking it again would deadlock).
    #[inline]
    fn checked_state(&self) -> &Mutex<State<T, O>> {
        if O::RUNS_USER_CODE {
            let me = self as *const Self as usize;
            if IN_ORD
                .try_with(|running| running.borrow().contains(&me))
                .unwrap_or(false)
            {
                panic!("PriorityQueue: Ord called back into the queue");
            }
        }
        &self.state
    }

    #[inline]
    fn lock_state(&self) -> MutexGuard<'_, State<T, O>> {
        lock(self.checked_state())
    }

    /// Runs a buffer operation, marked as this queue's `Ord` if the order has one.
    #[inline]
    fn in_ord<R>(&self, op: impl FnOnce() -> R) -> R {
        let _scope = O::RUNS_USER_CODE.then(|| OrdScope::enter(self as *const Self as usize));
        op()
    }

    /// An item enters the buffer: counted first, so a panicking `Ord` leaves the count
    /// and the buffer agreeing (the item is in the heap before `Ord` runs).
    fn enter(&self, state: &mut State<T, O>, item: T) {
        state.unfinished += 1;
        let stamp = state.stamp();
        self.in_ord(|| state.buffer.push(stamp, item));
    }

    fn qsize(&self) -> usize {
        self.lock_state().buffer.len()
    }

    fn full(&self) -> bool {
        self.maxsize != 0 && self.qsize() >= self.maxsize
    }

    fn is_shutdown(&self) -> bool {
        self.lock_state().shutdown
    }

    /// Gives `item` to the oldest getter, or to the buffer if it has room.
    fn offer(
        &self,
        state: &mut State<T, O>,
        item: T,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if state.shutdown {
            Err(TrySendError::Shutdown(item))
        } else if let Some(key) = state.getters.front() {
            state.unfinished += 1;
            let stamp = state.stamp();
            state.hand_to_getter(key, (stamp, item), wakes.list());
            Ok(())
        } else if self.maxsize != 0 && state.buffer.len() >= self.maxsize {
            Err(TrySendError::Full(item))
        } else {
            self.enter(state, item);
            Ok(())
        }
    }

    /// Takes the next item, first admitting the oldest blocked putter into the freed slot.
    fn take(&self, state: &mut State<T, O>, wakes: &mut Wakes) -> Handed<T> {
        if let Some(key) = state.putters.front() {
            // Over-full only after a dropped getter's item came back: no slot to free.
            if state.buffer.len() <= self.maxsize {
                let item = state
                    .putters
                    .data_mut(key)
                    .take()
                    .expect("blocked putter without its item");
                // Granted before `Ord` runs: if it panics, the putter is still woken
                // (by `wakes`) and its item is in the buffer.
                wakes.list().push(state.putters.grant(key));
                self.enter(state, item);
            }
        }
        self.in_ord(|| state.buffer.pop())
    }

    fn put_nowait(&self, item: T) -> Result<(), Full<T>> {
        match self.try_send(item) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(item)) => Err(Full(item)),
            Err(TrySendError::Shutdown(_)) => panic!("{}", PUT_AFTER_SHUTDOWN),
        }
    }

    fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        let mut wakes = Wakes::new();
        let result = self.offer(&mut self.lock_state(), item, &mut wakes);
        drop(wakes);
        result
    }

    /// A put's stage: delivered (`None`), refused by a shutdown (`Some(item)`), or in line.
    ///
    /// Built here, in the caller, from the answer of [`offer_or_join`](Self::offer_or_join)
    /// (see `StageOf::granted_or_queued` for why).
    #[inline]
    fn put_stage(&self, item: T) -> Stage<'_, Putters<T, O>> {
        match self.offer_or_join(item) {
            Offered::Delivered => Stage::granted(self, None),
            Offered::Refused(item) => Stage::granted(self, Some(item)),
            Offered::Joined(spot) => Stage::Waiting(Waiter::queued(self, spot, 0)),
        }
    }

    fn offer_or_join(&self, item: T) -> Offered<T> {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        match self.offer(&mut state, item, &mut wakes) {
            Ok(()) => Offered::Delivered,
            Err(TrySendError::Shutdown(item)) => Offered::Refused(item),
            Err(TrySendError::Full(item)) => Offered::Joined(state.putters.join(Some(item))),
        }
    }

    fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        match self.take(&mut state, &mut wakes) {
            Some((_, item)) if wakes.is_empty() => Ok(item),
            Some(handed) => {
                drop(state);
                Ok(self.deliver_admitting(wakes, handed).1)
            }
            None if state.shutdown => Err(TryRecvError::Shutdown),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Wakes the putter a get admitted (`take`) before the get returns the item it took;
    /// if that wake panics, the item goes back to its place first (see
    /// [`Wakes::wake_keeping`]). Gets that admit nobody return their item directly: with
    /// no wake-up to come, nothing can panic on the way out.
    #[cold]
    #[inline(never)]
    fn deliver_admitting(&self, wakes: Wakes, handed: (u64, T)) -> (u64, T) {
        wakes.wake_keeping(handed, |handed| {
            let mut wakes = WakeList::new();
            <Getters<T, O>>::return_grant(self, &mut self.lock_state(), Some(handed), &mut wakes);
            wake_unwinding(wakes);
        })
    }

    /// A get's stage: an item (`Some`), the end of a shut-down queue (`None`), or in line;
    /// built in the caller like [`put_stage`](Self::put_stage)'s.
    #[inline]
    fn get_stage(&self) -> Stage<'_, Getters<T, O>> {
        match self.take_or_join() {
            Took::Item(handed) => Stage::granted(self, Some(handed)),
            Took::Ended => Stage::granted(self, None),
            Took::Joined(spot) => Stage::Waiting(Waiter::queued(self, spot, 0)),
        }
    }

    fn take_or_join(&self) -> Took<T> {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        match self.take(&mut state, &mut wakes) {
            // Nobody to wake: the usual case, whose return can carry the item at once.
            Some(handed) if wakes.is_empty() => Took::Item(handed),
            Some(handed) => {
                drop(state);
                Took::Item(self.deliver_admitting(wakes, handed))
            }
            None if state.shutdown => Took::Ended,
            None => Took::Joined(state.getters.join(None)),
        }
    }

    /// Shuts the queue down: every waiting getter and putter is granted (the getters with
    /// nothing, the putters with their own item). With `immediate`, the buffer is taken
    /// too and its items no longer count as unfinished tasks.
    fn shutdown(&self, immediate: bool) -> Option<O> {
        let mut wakes = Wakes::new();
        let drained = {
            let mut state = self.lock_state();
            state.shutdown = true;
            state.getters.grant_all(wakes.list());
            state.putters.grant_all(wakes.list());
            if !immediate {
                return None;
            }
            let drained = std::mem::replace(&mut state.buffer, O::new());
            // Like asyncio, never below zero (`task_done` may have run ahead of the gets).
            state.unfinished = state.unfinished.saturating_sub(drained.len());
            if state.unfinished == 0 {
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
    fn take_back(&self, drained: O) {
        let mut state = self.lock_state();
        state.unfinished += drained.len();
        self.in_ord(|| state.buffer.absorb(drained));
    }

    fn shutdown_immediate(&self) -> Vec<T> {
        let Some(mut drained) = self.shutdown(true) else {
            return Vec::new();
        };
        // Sorted after the mutex is released: `Ord` runs with no lock held. If it panics,
        // the items go back into the queue (shut down, where gets still drain them)
        // before the panic goes on: nothing is dropped.
        if let Err(panic) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drained.sort()))
        {
            self.take_back(drained);
            std::panic::resume_unwind(panic);
        }
        drained.into_sorted()
    }

    fn unfinished_tasks(&self) -> usize {
        self.lock_state().unfinished
    }

    fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        if state.unfinished == 0 {
            return Err(TooManyTaskDone);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            state.joiners.grant_all(wakes.list());
        }
        Ok(())
    }

    fn join(&self) -> Stage<'_, Joiners<T, O>> {
        let mut state = self.lock_state();
        if state.unfinished == 0 {
            Stage::granted(self, ())
        } else {
            Stage::Waiting(Waiter::enqueue(self, &mut *state, ()))
        }
    }

    /// Polls a getter that stands in line by `key` rather than inside a future (a
    /// stream's): takes an item, or joins the line, or collects what it was granted.
    /// `Ready(None)`: shut down and drained.
    ///
    /// Like [`Waiter::poll_granted`], no waker is cloned or dropped under the mutex: a
    /// poll that must store one releases the mutex, clones it, and looks again.
    fn poll_getter(&self, key: &mut Option<Spot>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut fresh: Option<Waker> = None;
        loop {
            let mut wakes = Wakes::new();
            let mut state = self.lock_state();
            let located = key.map(|spot| state.getters.locate(spot));
            let replaced = match located {
                Some(k) if state.getters.is_granted(k) => {
                    *key = None;
                    // A granted waiter's waker was taken by the grant: nothing to drop.
                    let data = state.getters.remove(k).data;
                    let handed = <Getters<T, O>>::collect(&mut state, data);
                    drop(state);
                    return Poll::Ready(handed.map(|(_, item)| item));
                }
                Some(k) => match fresh.take() {
                    Some(waker) => state.getters.store_waker(k, waker),
                    None if state.getters.waker_will_wake(k, cx.waker()) => None,
                    None => {
                        drop(state);
                        fresh = Some(cx.waker().clone());
                        continue;
                    }
                },
                None => match self.take(&mut state, &mut wakes) {
                    Some((_, item)) if wakes.is_empty() => return Poll::Ready(Some(item)),
                    Some(handed) => {
                        drop(state);
                        let (_, item) = self.deliver_admitting(wakes, handed);
                        return Poll::Ready(Some(item));
                    }
                    None if state.shutdown => return Poll::Ready(None),
                    None => match fresh.take() {
                        Some(waker) => {
                            let spot = state.getters.join(None);
                            *key = Some(spot);
                            state.getters.store_waker(spot.key(), waker)
                        }
                        None => {
                            drop(state);
                            fresh = Some(cx.waker().clone());
                            continue;
                        }
                    },
                },
            };
            drop(state);
            drop(replaced);
            return Poll::Pending;
        }
    }

    /// A stream's getter leaves the line, giving back an item it had been handed.
    fn leave_getter(&self, spot: Spot) {
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        let key = state.getters.locate(spot);
        let Removed { data, waker, .. } = state.getters.remove(key);
        let handed = <Getters<T, O>>::collect(&mut state, data);
        <Getters<T, O>>::return_grant(self, &mut state, handed, wakes.list());
        drop(state);
        drop(waker);
    }

    /// A sink's put: delivered, or in line by `key` holding its item (with no waker until
    /// the sink is polled).
    fn start_putter(&self, key: &mut Option<Spot>, item: T) -> Result<(), Shutdown<T>> {
        assert!(
            key.is_none(),
            "Sink::start_send without Sink::poll_ready returning Ready(Ok(()))"
        );
        let mut wakes = Wakes::new();
        let mut state = self.lock_state();
        match self.offer(&mut state, item, &mut wakes) {
            Ok(()) => Ok(()),
            Err(TrySendError::Shutdown(item)) => Err(Shutdown(item)),
            Err(TrySendError::Full(item)) => {
                *key = Some(state.putters.join(Some(item)));
                Ok(())
            }
        }
    }

    /// Polls a sink's putter in line: `Ready(Ok)` once its item is in (or if none waits).
    /// Wakers are cloned and dropped outside the mutex, as in [`poll_getter`](Self::poll_getter).
    fn poll_putter(
        &self,
        key: &mut Option<Spot>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Shutdown<T>>> {
        let Some(spot) = *key else {
            return Poll::Ready(Ok(()));
        };
        let mut fresh: Option<Waker> = None;
        loop {
            let mut state = self.lock_state();
            let k = state.putters.locate(spot);
            if state.putters.is_granted(k) {
                *key = None;
                let refused = state.putters.remove(k).data;
                drop(state);
                return Poll::Ready(refused.map_or(Ok(()), |item| Err(Shutdown(item))));
            }
            let replaced = match fresh.take() {
                Some(waker) => state.putters.store_waker(k, waker),
                None if state.putters.waker_will_wake(k, cx.waker()) => None,
                None => {
                    drop(state);
                    fresh = Some(cx.waker().clone());
                    continue;
                }
            };
            drop(state);
            drop(replaced);
            return Poll::Pending;
        }
    }

    /// A sink's putter leaves the line; its item (and waker) are dropped by the caller,
    /// after the mutex is released.
    fn leave_putter(&self, spot: Spot) -> LeftPutter<T> {
        let mut state = self.lock_state();
        let key = state.putters.locate(spot);
        let Removed { data, waker, .. } = state.putters.remove(key);
        (data, waker)
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, joinable: bool) -> fmt::Result {
        // Read under the mutex, formatted after it is released: nothing of the user's
        // (an item's `Debug`) ever runs under it, and the items are not shown.
        let (qsize, getters, putters, tasks, shutdown) = {
            let state = self.lock_state();
            (
                state.buffer.len(),
                state.getters.len(),
                state.putters.len(),
                state.unfinished,
                state.shutdown,
            )
        };
        let mut d = f.debug_struct(name);
        d.field("maxsize", &self.maxsize)
            .field("qsize", &qsize)
            .field("getters", &getters)
            .field("putters", &putters);
        if joinable {
            d.field("tasks", &tasks);
        }
        d.field("shutdown", &shutdown).finish()
    }
}

const PUT_AFTER_SHUTDOWN: &str =
    "put on a shut-down queue: use send() or try_send() where the queue may be shut down";
const GET_AFTER_SHUTDOWN: &str =
    "get on a shut-down, drained queue: use recv() or try_recv() where the queue may be shut down";

/// `JoinableQueue` is always FIFO; its join line is typed on that.
type JoinStage<'a, T> = Stage<'a, Joiners<T, Fifo<T>>>;

macro_rules! queue_type {
    (
        $(#[$attr:meta])*
        $name:ident<T $(: $bound:path)?>, $order:ident, $example_out:literal
    ) => {
        $(#[$attr])*
        pub struct $name<T $(: $bound)?> {
            engine: Engine<T, $order<T>>,
        }

        impl<T $(: $bound)?> $name<T> {
            #[doc = concat!("A queue holding at most `maxsize` items (`0`: unbounded).")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::<u32>::new(3);")]
            /// assert_eq!(q.maxsize(), 3);
            /// assert!(q.empty());
            /// ```
            pub fn new(maxsize: usize) -> Self {
                $name { engine: Engine::new(maxsize) }
            }

            /// A queue that starts with `items` in it (toro's `initial`), as if put in
            /// order.
            ///
            /// # Panics
            ///
            /// If `maxsize` is not 0 and there are more than `maxsize` items: nothing is
            /// silently dropped.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::with_items(0, [111, 333, 222]);")]
            #[doc = concat!("let out: Vec<_> = std::iter::from_fn(|| q.get_nowait().ok()).collect();")]
            #[doc = concat!("assert_eq!(out, ", $example_out, ");")]
            /// ```
            pub fn with_items(maxsize: usize, items: impl IntoIterator<Item = T>) -> Self {
                $name { engine: Engine::with_items(stringify!($name), maxsize, items) }
            }

            /// The most items the buffer holds (`0`: unbounded).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("assert_eq!(toro_core::", stringify!($name), "::<u8>::new(0).maxsize(), 0);")]
            /// ```
            pub fn maxsize(&self) -> usize {
                self.engine.maxsize
            }

            /// The number of items in the buffer. Items of blocked putters are not counted.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(0);")]
            /// q.put_nowait(1).unwrap();
            /// assert_eq!(q.qsize(), 1);
            /// ```
            pub fn qsize(&self) -> usize {
                self.engine.qsize()
            }

            /// Whether the buffer is empty.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("assert!(toro_core::", stringify!($name), "::<u8>::new(1).empty());")]
            /// ```
            pub fn empty(&self) -> bool {
                self.qsize() == 0
            }

            /// Whether the buffer holds `maxsize` items (never, when unbounded).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(1);")]
            /// q.put_nowait(1).unwrap();
            /// assert!(q.full());
            /// ```
            pub fn full(&self) -> bool {
                self.engine.full()
            }

            /// Puts an item without waiting: straight to the oldest waiting getter, or
            /// into the buffer if it has room.
            ///
            /// # Errors
            ///
            /// [`Full`] holding the item if the queue is full.
            ///
            /// # Panics
            ///
            /// If the queue was shut down: use [`try_send`](Self::try_send) where that
            /// can happen.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(1);")]
            /// q.put_nowait(1).unwrap();
            /// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
            /// ```
            #[inline]
            pub fn put_nowait(&self, item: T) -> Result<(), Full<T>> {
                self.engine.put_nowait(item)
            }

            /// Puts an item, waiting for room if the queue is full.
            ///
            /// Eager: the item is delivered, or the place in line taken, when `put()` is
            /// called. A blocked put's item is not in the buffer until a `get` admits it.
            ///
            /// # Cancel safety
            ///
            /// With a deadline, a put that times out gives its item back in
            /// [`Timeout`](crate::Timeout). Dropping a blocked put drops its item.
            ///
            /// # Panics
            ///
            /// The future panics if the queue is (or, while it waits, is) shut down: use
            /// [`send`](Self::send) where that can happen.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(1);")]
            /// q.put(1).await;
            /// let timed_out = q.put(2).deadline(Duration::from_millis(1)).await.unwrap_err();
            /// assert_eq!(timed_out.into_inner(), 2);
            /// # });
            /// ```
            #[inline]
            pub fn put(&self, item: T) -> QueuePut<'_, T, $order<T>> {
                QueuePut { stage: self.engine.put_stage(item) }
            }

            /// Takes the next item without waiting (admitting the oldest blocked putter
            /// into the freed slot).
            ///
            /// On a shut-down queue it still takes what is buffered, then says
            /// [`Empty`] for good; [`try_recv`](Self::try_recv) tells the
            /// two apart.
            ///
            /// # Errors
            ///
            /// [`Empty`] if there is no item.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(0);")]
            /// assert!(q.get_nowait().is_err());
            /// q.put_nowait(5).unwrap();
            /// assert_eq!(q.get_nowait(), Ok(5));
            /// ```
            #[inline]
            pub fn get_nowait(&self) -> Result<T, Empty> {
                self.engine.try_recv().map_err(|_| Empty)
            }

            /// Takes the next item, waiting for one if the queue is empty.
            ///
            /// Eager: the item is taken, or the place in line held, when `get()` is
            /// called; a later `put` hands its item straight to the oldest getter.
            ///
            /// # Cancel safety
            ///
            /// A getter that times out or is dropped takes nothing. If an item had
            /// already been handed to it, the item goes to the next getter or back to
            /// where it stood in the queue's order.
            ///
            /// # Panics
            ///
            /// The future panics if the queue is shut down and has no item left for it
            /// (a waiting `get` panics when the shutdown ends it): use
            /// [`recv`](Self::recv) where the queue may be shut down.
            ///
            /// # Examples
            ///
            /// ```
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(0);")]
            /// let getter = q.get();
            /// q.put_nowait("hi").unwrap();
            /// assert_eq!(q.qsize(), 0); // handed straight to the getter
            /// assert_eq!(getter.await, "hi");
            /// # });
            /// ```
            #[inline]
            pub fn get(&self) -> QueueGet<'_, T, $order<T>> {
                QueueGet { stage: self.engine.get_stage() }
            }

            /// Puts an item like [`put`](Self::put), or hands it back if the queue is
            /// shut down: the put for queues that may be.
            ///
            /// Eager, like `put`. A send blocked for room when [`shutdown`](Self::shutdown)
            /// is called ends at once with its item.
            ///
            /// # Errors
            ///
            /// The future resolves to [`Shutdown`] holding the item if
            /// the queue was shut down before the item got in.
            ///
            /// # Cancel safety
            ///
            /// As for `put`: a timed-out send gives its item back in
            /// [`Timeout`](crate::Timeout); dropping a blocked send drops its item.
            ///
            /// # Examples
            ///
            /// ```
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(1);")]
            /// q.send(1).await.unwrap();
            /// let blocked = q.send(2); // full: waits with its item
            /// q.shutdown();
            /// assert_eq!(blocked.await.unwrap_err().into_inner(), 2);
            /// # });
            /// ```
            #[inline]
            pub fn send(&self, item: T) -> QueueSend<'_, T, $order<T>> {
                QueueSend { stage: self.engine.put_stage(item) }
            }

            /// Puts an item without waiting, or says why not: full or shut down.
            ///
            /// # Errors
            ///
            /// [`TrySendError::Full`](crate::TrySendError::Full) or
            /// [`TrySendError::Shutdown`](crate::TrySendError::Shutdown), holding the item.
            ///
            /// # Examples
            ///
            /// ```
            /// use toro_core::TrySendError;
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(1);")]
            /// q.try_send(1).unwrap();
            /// assert!(matches!(q.try_send(2), Err(TrySendError::Full(2))));
            /// ```
            #[inline]
            pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
                self.engine.try_send(item)
            }

            /// Takes the next item like [`get`](Self::get), or ends once the queue is
            /// shut down and drained: the get for queues that may be.
            ///
            /// Eager, like `get`. A shut-down queue still gives out what it buffers; a
            /// recv waiting when [`shutdown`](Self::shutdown) is called ends at once.
            ///
            /// # Errors
            ///
            /// The future resolves to [`Shutdown`] once the queue is shut
            /// down and holds nothing for it.
            ///
            /// # Cancel safety
            ///
            /// As for `get`: dropping it takes nothing; an item already handed to it goes
            /// to the next getter or back to its place in the queue.
            ///
            /// # Examples
            ///
            /// ```
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::with_items(0, [\"job\"]);")]
            /// q.shutdown();
            /// assert_eq!(q.recv().await, Ok("job")); // drains first
            /// assert!(q.recv().await.is_err()); // then ends
            /// # });
            /// ```
            #[inline]
            pub fn recv(&self) -> QueueRecv<'_, T, $order<T>> {
                QueueRecv { stage: self.engine.get_stage() }
            }

            /// Takes the next item without waiting, or says why not: empty for now, or
            /// shut down and drained for good.
            ///
            /// # Errors
            ///
            /// [`TryRecvError::Empty`](crate::TryRecvError::Empty) or
            /// [`TryRecvError::Shutdown`](crate::TryRecvError::Shutdown).
            ///
            /// # Examples
            ///
            /// ```
            /// use toro_core::TryRecvError;
            #[doc = concat!("let q = toro_core::", stringify!($name), "::<u8>::new(0);")]
            /// assert_eq!(q.try_recv(), Err(TryRecvError::Empty));
            /// q.shutdown();
            /// assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
            /// ```
            #[inline]
            pub fn try_recv(&self) -> Result<T, TryRecvError> {
                self.engine.try_recv()
            }

            /// Shuts the queue down (asyncio's `shutdown()`): puts are refused from now
            /// on, gets drain what is buffered and then end.
            ///
            /// Inside this call every blocked putter is refused with its item (a
            /// [`send`](Self::send) gets it back in [`Shutdown`]), and
            /// every waiting getter ends (a [`recv`](Self::recv) with `Shutdown`). For a
            /// `JoinableQueue`, `join()` still waits until every item taken is marked
            /// done. Calling it again does nothing more.
            ///
            /// # Examples
            ///
            /// ```
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(0);")]
            /// let waiting = q.recv();
            /// q.shutdown();
            /// assert!(q.is_shutdown());
            /// assert!(waiting.await.is_err());
            /// assert_eq!(q.send(1).await.unwrap_err().into_inner(), 1);
            /// # });
            /// ```
            pub fn shutdown(&self) {
                self.engine.shutdown(false);
            }

            /// Shuts the queue down and empties it (asyncio's `shutdown(immediate=True)`),
            /// handing the buffered items to the caller, next-out first.
            ///
            /// Everything [`shutdown`](Self::shutdown) does, and the drained items no
            /// longer count as unfinished tasks, so a `JoinableQueue`'s `join()` ends once
            /// the items already taken are marked done. Nothing is dropped: what was in
            /// the buffer is in the returned `Vec`, what blocked putters held went back
            /// to them, and items already handed to getters stay theirs.
            ///
            /// # Panics
            ///
            #[doc = concat!("If `", stringify!($name), "`'s order runs user code (`Ord`) and it panics while the drained items are sorted (after the queue's mutex is released). The items are not lost: they go back into the shut-down queue, where gets still drain them, before the panic goes on.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::with_items(0, [111, 333, 222]);")]
            #[doc = concat!("assert_eq!(q.shutdown_immediate(), ", $example_out, ");")]
            /// assert!(q.empty() && q.is_shutdown());
            /// ```
            pub fn shutdown_immediate(&self) -> Vec<T> {
                self.engine.shutdown_immediate()
            }

            /// Whether [`shutdown`](Self::shutdown) or
            /// [`shutdown_immediate`](Self::shutdown_immediate) was called.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let q = toro_core::", stringify!($name), "::<u8>::new(0);")]
            /// assert!(!q.is_shutdown());
            /// q.shutdown();
            /// assert!(q.is_shutdown());
            /// ```
            pub fn is_shutdown(&self) -> bool {
                self.engine.is_shutdown()
            }

            /// The getter side as a [`Stream`](futures_core::Stream), borrowing the
            /// queue: items in the queue's order, ending with `None` once the queue is
            /// shut down and drained.
            ///
            /// See [`QueueStream`] for when it takes its place in line.
            ///
            /// # Examples
            ///
            /// ```
            /// use futures::StreamExt;
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::with_items(0, [111, 333, 222]);")]
            /// q.shutdown();
            /// let items: Vec<_> = q.stream().collect().await;
            #[doc = concat!("assert_eq!(items, ", $example_out, ");")]
            /// # });
            /// ```
            pub fn stream(&self) -> QueueStream<'_, T, $order<T>> {
                QueueStream { engine: &self.engine, key: None, done: false }
            }

            /// The getter side as an owned [`Stream`](futures_core::Stream) over an
            /// `Arc` of the queue (`'static`, for spawned tasks); like
            /// [`stream`](Self::stream).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            /// use futures::StreamExt;
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = Arc::new(toro_core::", stringify!($name), "::new(0));")]
            /// let mut items = Arc::clone(&q).into_stream();
            /// q.put_nowait(1).unwrap();
            /// assert_eq!(items.next().await, Some(1));
            /// q.shutdown();
            /// assert_eq!(items.next().await, None);
            /// # });
            /// ```
            pub fn into_stream(self: Arc<Self>) -> OwnedQueueStream<Self> {
                OwnedQueueStream {
                    queue: self,
                    key: None,
                    done: false,
                    leave: |queue, key| queue.engine.leave_getter(key),
                }
            }

            /// The putter side as a [`Sink`](futures_sink::Sink), borrowing the queue.
            ///
            /// See [`QueueSink`] for how it holds the one item waiting for room.
            ///
            /// # Examples
            ///
            /// ```
            /// use futures::SinkExt;
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = toro_core::", stringify!($name), "::new(0);")]
            /// let mut sink = q.sink();
            /// sink.send(1).await.unwrap();
            /// q.shutdown();
            /// assert_eq!(sink.send(2).await.unwrap_err().into_inner(), 2);
            /// assert_eq!(q.get_nowait(), Ok(1));
            /// # });
            /// ```
            pub fn sink(&self) -> QueueSink<'_, T, $order<T>> {
                QueueSink { engine: &self.engine, key: None }
            }

            /// The putter side as an owned [`Sink`](futures_sink::Sink) over an `Arc` of
            /// the queue; like [`sink`](Self::sink).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::sync::Arc;
            /// use futures::SinkExt;
            /// # toro_core::block_on(async {
            #[doc = concat!("let q = Arc::new(toro_core::", stringify!($name), "::new(0));")]
            /// let mut sink = Arc::clone(&q).into_sink();
            /// sink.send(7).await.unwrap();
            /// assert_eq!(q.get_nowait(), Ok(7));
            /// # });
            /// ```
            pub fn into_sink(self: Arc<Self>) -> OwnedQueueSink<Self> {
                OwnedQueueSink {
                    queue: self,
                    key: None,
                    leave: |queue, key| queue.engine.leave_putter(key),
                }
            }
        }

        /// Shows the state (toro's `__str__`): maxsize, qsize, waiting getters and
        /// putters, unfinished tasks for a `JoinableQueue`, and whether it is shut down.
        /// Items are not shown: formatting them would run their `Debug` under the queue's
        /// mutex (one that reads the queue would deadlock), and a snapshot would need
        /// `Clone` (user code too).
        impl<T $(: $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.engine.debug(f, stringify!($name), queue_type!(@joinable $name))
            }
        }

        impl<T $(: $bound)?> futures_core::Stream for OwnedQueueStream<$name<T>> {
            type Item = T;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
                let this = self.get_mut();
                poll_stream(&this.queue.engine, &mut this.key, &mut this.done, cx)
            }
        }

        impl<T $(: $bound)?> futures_core::stream::FusedStream for OwnedQueueStream<$name<T>> {
            fn is_terminated(&self) -> bool {
                self.done
            }
        }

        impl<T $(: $bound)?> futures_sink::Sink<T> for OwnedQueueSink<$name<T>> {
            type Error = Shutdown<T>;

            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
                let this = self.get_mut();
                this.queue.engine.poll_putter(&mut this.key, cx)
            }

            fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Shutdown<T>> {
                let this = self.get_mut();
                this.queue.engine.start_putter(&mut this.key, item)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
                let this = self.get_mut();
                this.queue.engine.poll_putter(&mut this.key, cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
                let this = self.get_mut();
                this.queue.engine.poll_putter(&mut this.key, cx)
            }
        }
    };
    (@joinable JoinableQueue) => { true };
    (@joinable $other:ident) => { false };
}

queue_type! {
    /// A first-in, first-out queue for coroutines, with strict FIFO hand-off between
    /// getters and putters.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let q = toro_core::Queue::new(2);
    /// q.put(1).await;
    /// q.put(2).await;
    /// assert!(q.full());
    /// assert_eq!(q.get().await, 1);
    /// # });
    /// ```
    Queue<T>, Fifo, "[111, 333, 222]"
}

queue_type! {
    /// A last-in, first-out queue: [`get`](Self::get) takes the newest item.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::LifoQueue::new(0);
    /// q.put_nowait(1).unwrap();
    /// q.put_nowait(2).unwrap();
    /// assert_eq!(q.get_nowait(), Ok(2));
    /// ```
    LifoQueue<T>, Lifo, "[222, 333, 111]"
}

queue_type! {
    /// A priority queue: [`get`](Self::get) takes the smallest item; equal items leave in
    /// the order they came (unlike toro's heap, which was not stable).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::PriorityQueue::new(0);
    /// q.put_nowait((2, "low")).unwrap();
    /// q.put_nowait((1, "high")).unwrap();
    /// assert_eq!(q.get_nowait(), Ok((1, "high")));
    /// ```
    PriorityQueue<T: Ord>, Priority, "[111, 222, 333]"
}

queue_type! {
    /// A FIFO [`Queue`] that counts unfinished tasks: every item that enters it (into the
    /// buffer or straight to a getter) is a task until [`task_done`](Self::task_done), and
    /// [`join`](Self::join) waits until none is left.
    ///
    /// `join()` completes the moment the count reaches zero, even if producers have more
    /// to put: join after the producers are done.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let q = toro_core::JoinableQueue::new(0);
    /// q.put_nowait("job").unwrap();
    /// let join = q.join();
    /// let job = q.get().await;
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// q.task_done().unwrap();
    /// join.await;
    /// # let _ = job;
    /// # });
    /// ```
    JoinableQueue<T>, Fifo, "[111, 333, 222]"
}

impl<T> JoinableQueue<T> {
    /// Items put and not yet marked done with [`task_done`](Self::task_done).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::JoinableQueue::new(0);
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.engine.unfinished_tasks()
    }

    /// Marks one task done; at zero, every [`join`](Self::join)er is released inside this
    /// call.
    ///
    /// # Errors
    ///
    /// [`TooManyTaskDone`] ("task_done() called too many times") if no task is unfinished;
    /// nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::JoinableQueue::new(0);
    /// q.put_nowait(1).unwrap();
    /// assert!(q.task_done().is_ok());
    /// assert!(q.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
        self.engine.task_done()
    }

    /// Waits until every task is done; completes at once (whatever its deadline) if none
    /// is unfinished.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let q = toro_core::JoinableQueue::new(0);
    /// q.join().await; // nothing to do
    /// q.put_nowait(1).unwrap();
    /// assert!(q.join().deadline(Duration::from_millis(1)).await.is_err());
    /// # });
    /// ```
    pub fn join(&self) -> QueueJoin<'_, T> {
        QueueJoin {
            stage: self.engine.join(),
        }
    }
}

/// The future of a queue's `get`: already holds its item or its place in line.
///
/// Made by [`Queue::get`], [`LifoQueue::get`], [`PriorityQueue::get`] and
/// [`JoinableQueue::get`]; `O` is the queue's [`Order`]. Await it for the item, or give it
/// a deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it takes nothing; an item already handed to it goes to the next getter or
/// back to where it stood in the queue's order.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Fifo;
/// use toro_core::{Queue, QueueGet};
/// # toro_core::block_on(async {
/// let queue = Queue::new(0);
/// let getter: QueueGet<'_, &str, Fifo<&str>> = queue.get(); // in line, no item yet
/// queue.put_nowait("job").unwrap(); // handed straight to `getter`
/// assert_eq!(queue.qsize(), 0);
/// assert_eq!(getter.await, "job");
/// # });
/// ```
#[must_use = "the item is taken or the place in line held already; .await the future to get the item"]
pub struct QueueGet<'a, T, O: Order<T>>
where
    T: 'a,
    O: 'a,
{
    stage: Stage<'a, Getters<T, O>>,
}

wait_future! {
    QueueGet<'a, T, O: Order<T>> -> T,
    finish |_, handed| match handed {
        Some((_, item)) => item,
        None => panic!("{}", GET_AFTER_SHUTDOWN),
    },
    carries () |_| (),
}

/// The future of a queue's `put`: already delivered its item or holds its place in line.
///
/// Made by [`Queue::put`], [`LifoQueue::put`], [`PriorityQueue::put`] and
/// [`JoinableQueue::put`]; `O` is the queue's [`Order`]. A blocked put keeps its item
/// until a `get` admits it into the buffer. Await it to wait for room, or give it a
/// deadline with `.deadline(d)`: a timed-out put gives its item back in
/// [`Timeout`](crate::Timeout).
///
/// # Cancel safety
///
/// With a deadline, the item comes back in the `Timeout`. Dropping a blocked put drops
/// its item; a put that had already delivered its item leaves it in the queue.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Fifo;
/// use toro_core::{Queue, QueuePut};
/// # toro_core::block_on(async {
/// let queue = Queue::new(1);
/// queue.put_nowait(1).unwrap();
/// let blocked: QueuePut<'_, i32, Fifo<i32>> = queue.put(2); // full: waits with its item
/// assert_eq!(queue.qsize(), 1);
/// assert_eq!(queue.get_nowait(), Ok(1)); // admits item 2 into the freed slot
/// blocked.await;
/// assert_eq!(queue.get_nowait(), Ok(2));
/// # });
/// ```
#[must_use = "the item is delivered or the place in line held already; .await the future to wait for room"]
pub struct QueuePut<'a, T, O: Order<T>>
where
    T: 'a,
    O: 'a,
{
    stage: Stage<'a, Putters<T, O>>,
}

wait_future! {
    QueuePut<'a, T, O: Order<T>> -> (),
    finish |_, refused| if refused.is_some() { panic!("{}", PUT_AFTER_SHUTDOWN) },
    carries T |item| item.expect("blocked putter without its item"),
}

/// The future of [`JoinableQueue::join`].
///
/// Completes the moment no task is unfinished (ready at once if none is). Give it a
/// deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it takes nothing from anyone.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::{JoinableQueue, QueueJoin};
/// # toro_core::block_on(async {
/// let queue = JoinableQueue::with_items(0, ["a", "b"]);
/// assert!(queue.join().deadline(Duration::ZERO).await.is_err()); // two tasks left
/// let join: QueueJoin<'_, &str> = queue.join();
/// for _ in 0..2 {
///     let _item = queue.get().await;
///     queue.task_done().unwrap();
/// }
/// join.await; // released by the last `task_done`
/// assert_eq!(queue.unfinished_tasks(), 0);
/// # });
/// ```
#[must_use = "the wait is registered already; .await the future to wait for the tasks"]
pub struct QueueJoin<'a, T>
where
    T: 'a,
{
    stage: JoinStage<'a, T>,
}

wait_future! {
    QueueJoin<'a, T> -> (),
    finish |_, ()| (),
    carries () |()| (),
}

/// The future of a queue's `recv`: [`get`](Queue::get) that ends with
/// [`Shutdown`] once the queue is shut down and drained.
///
/// Made by [`Queue::recv`], [`LifoQueue::recv`], [`PriorityQueue::recv`] and
/// [`JoinableQueue::recv`]. With `.deadline(d)` it resolves to
/// `Result<Result<T, Shutdown>, Timeout>`.
///
/// # Cancel safety
///
/// As [`QueueGet`]: dropping it takes nothing; an item already handed to it goes to the
/// next getter or back to its place in the queue.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::{Queue, Shutdown};
/// # toro_core::block_on(async {
/// let queue = Queue::<u8>::new(0);
/// assert!(queue.recv().deadline(Duration::ZERO).await.is_err()); // timed out
/// queue.shutdown();
/// let ended = queue.recv().deadline(Duration::from_secs(1)).await;
/// assert_eq!(ended, Ok(Err(Shutdown::new(()))));
/// # });
/// ```
#[must_use = "the item is taken or the place in line held already; .await the future to get the item"]
pub struct QueueRecv<'a, T, O: Order<T>>
where
    T: 'a,
    O: 'a,
{
    stage: Stage<'a, Getters<T, O>>,
}

wait_future! {
    QueueRecv<'a, T, O: Order<T>> -> Result<T, Shutdown>,
    finish |_, handed| handed.map(|(_, item)| item).ok_or(Shutdown(())),
    carries () |_| (),
}

/// The future of a queue's `send`: [`put`](Queue::put) that hands its item back in
/// [`Shutdown`] if the queue is shut down first.
///
/// Made by [`Queue::send`], [`LifoQueue::send`], [`PriorityQueue::send`] and
/// [`JoinableQueue::send`]. With `.deadline(d)` it resolves to
/// `Result<Result<(), Shutdown<T>>, Timeout<T>>`: either way a refused item comes back.
///
/// # Cancel safety
///
/// As [`QueuePut`]: with a deadline the item comes back in the `Timeout`; dropping a
/// blocked send drops its item.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::Queue;
/// # toro_core::block_on(async {
/// let queue = Queue::new(1);
/// queue.send('a').await.unwrap();
/// let timed_out = queue.send('b').deadline(Duration::ZERO).await.unwrap_err();
/// assert_eq!(timed_out.into_inner(), 'b');
/// queue.shutdown();
/// assert_eq!(queue.send('c').await.unwrap_err().into_inner(), 'c');
/// # });
/// ```
#[must_use = "the item is delivered or the place in line held already; .await the future to learn the outcome"]
pub struct QueueSend<'a, T, O: Order<T>>
where
    T: 'a,
    O: 'a,
{
    stage: Stage<'a, Putters<T, O>>,
}

wait_future! {
    QueueSend<'a, T, O: Order<T>> -> Result<(), Shutdown<T>>,
    finish |_, refused| refused.map_or(Ok(()), |item| Err(Shutdown(item))),
    carries T |item| item.expect("blocked putter without its item"),
}

/// Polls a stream's getter: `done` once the queue ended it, for good.
fn poll_stream<T, O: Order<T>>(
    engine: &Engine<T, O>,
    key: &mut Option<Spot>,
    done: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<T>> {
    if *done {
        return Poll::Ready(None);
    }
    let next = engine.poll_getter(key, cx);
    if let Poll::Ready(None) = next {
        *done = true;
    }
    next
}

/// A queue's getter side as a [`Stream`](futures_core::Stream), borrowing the queue.
///
/// Made by [`Queue::stream`] (and the other queues' `stream`). Yields the items in the
/// queue's order and ends with `None`, for good, once the queue is shut down and drained.
///
/// Unlike a `get()`, a stream takes nothing when it is made: it takes its place in line at
/// the first `poll_next` that finds no item, keeps that place across `Pending` polls, and
/// after yielding an item takes no other until polled again. So a stream never holds an
/// item nobody asked for, and several streams over one queue share it in FIFO order of
/// their waiting polls.
///
/// # Cancel safety
///
/// Dropping the stream leaves the line; an item handed to it and not yet yielded goes to
/// the next getter or back to its place in the queue.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
/// # toro_core::block_on(async {
/// let queue = toro_core::Queue::new(0);
/// let mut items = queue.stream();
/// queue.put_nowait("a").unwrap();
/// assert_eq!(items.next().await, Some("a"));
/// queue.shutdown();
/// assert_eq!(items.next().await, None);
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct QueueStream<'a, T, O: Order<T>> {
    engine: &'a Engine<T, O>,
    key: Option<Spot>,
    done: bool,
}

impl<T, O: Order<T>> futures_core::Stream for QueueStream<'_, T, O> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        poll_stream(this.engine, &mut this.key, &mut this.done, cx)
    }
}

impl<T, O: Order<T>> futures_core::stream::FusedStream for QueueStream<'_, T, O> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T, O: Order<T>> Drop for QueueStream<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.engine.leave_getter(key);
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for QueueStream<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream")
            .field("waiting", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}

/// A queue's getter side as an owned [`Stream`](futures_core::Stream) over an `Arc` of
/// the queue; `Q` is the queue type (`OwnedQueueStream<Queue<Job>>`).
///
/// Made by [`Queue::into_stream`] (and the other queues' `into_stream`); it behaves as
/// [`QueueStream`] and is `'static`, so it can move into a spawned task.
///
/// # Cancel safety
///
/// As [`QueueStream`]: dropping it gives back an item handed to it and not yet yielded.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use toro_core::{OwnedQueueStream, PriorityQueue};
/// # toro_core::block_on(async {
/// let queue = Arc::new(PriorityQueue::with_items(0, [3, 1, 2]));
/// queue.shutdown();
/// let items: OwnedQueueStream<PriorityQueue<i32>> = Arc::clone(&queue).into_stream();
/// assert_eq!(items.collect::<Vec<_>>().await, [1, 2, 3]);
/// # });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct OwnedQueueStream<Q> {
    queue: Arc<Q>,
    key: Option<Spot>,
    done: bool,
    leave: fn(&Q, Spot),
}

impl<Q> Drop for OwnedQueueStream<Q> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            (self.leave)(&self.queue, key);
        }
    }
}

impl<Q> fmt::Debug for OwnedQueueStream<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedQueueStream")
            .field("waiting", &self.key.is_some())
            .field("done", &self.done)
            .finish()
    }
}

/// A queue's putter side as a [`Sink`](futures_sink::Sink), borrowing the queue.
///
/// Made by [`Queue::sink`] (and the other queues' `sink`). `start_send` puts the item at
/// once, eagerly like [`put`](Queue::put): into the queue, or, if it is full, into the
/// putters' line, where it waits holding its item; `poll_ready`, `poll_flush` and
/// `poll_close` wait until that item is in. So the sink holds at most one item, always
/// in line, and `poll_ready` never takes or drops one. Closing the sink does not shut the
/// queue down (other producers may still put): call [`shutdown`](Queue::shutdown).
///
/// # Errors
///
/// [`Shutdown`] holding the item if the queue was shut down before it
/// got in: from `start_send` (refused at once) or from the poll that finds it refused.
///
/// # Cancel safety
///
/// Like any sink's buffer, an item still waiting for room when the sink is dropped is
/// dropped with it: flush (or close) the sink first to be sure it got in.
///
/// # Examples
///
/// ```
/// use futures::SinkExt;
/// # toro_core::block_on(async {
/// let queue = toro_core::Queue::new(1);
/// let mut sink = queue.sink();
/// sink.send("a").await.unwrap();
/// assert!(queue.full());
/// # });
/// ```
#[must_use = "sinks do nothing unless used"]
pub struct QueueSink<'a, T, O: Order<T>> {
    engine: &'a Engine<T, O>,
    key: Option<Spot>,
}

impl<T, O: Order<T>> futures_sink::Sink<T> for QueueSink<'_, T, O> {
    type Error = Shutdown<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
        let this = self.get_mut();
        this.engine.poll_putter(&mut this.key, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Shutdown<T>> {
        let this = self.get_mut();
        this.engine.start_putter(&mut this.key, item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
        let this = self.get_mut();
        this.engine.poll_putter(&mut this.key, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Shutdown<T>>> {
        let this = self.get_mut();
        this.engine.poll_putter(&mut this.key, cx)
    }
}

impl<T, O: Order<T>> Drop for QueueSink<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            drop(self.engine.leave_putter(key));
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for QueueSink<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueSink")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// A queue's putter side as an owned [`Sink`](futures_sink::Sink) over an `Arc` of the
/// queue; `Q` is the queue type. Made by [`Queue::into_sink`] (and the other queues'
/// `into_sink`); it behaves as [`QueueSink`].
///
/// # Errors
///
/// As [`QueueSink`]: [`Shutdown`] holding a refused item.
///
/// # Cancel safety
///
/// As [`QueueSink`]: an item still waiting for room is dropped with the sink.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use futures::SinkExt;
/// use toro_core::{LifoQueue, OwnedQueueSink};
/// # toro_core::block_on(async {
/// let queue = Arc::new(LifoQueue::new(0));
/// let mut sink: OwnedQueueSink<LifoQueue<u8>> = Arc::clone(&queue).into_sink();
/// sink.send(1).await.unwrap();
/// sink.send(2).await.unwrap();
/// assert_eq!(queue.get_nowait(), Ok(2));
/// # });
/// ```
#[must_use = "sinks do nothing unless used"]
pub struct OwnedQueueSink<Q: QueueItem> {
    queue: Arc<Q>,
    key: Option<Spot>,
    leave: fn(&Q, Spot) -> LeftPutter<Q::Item>,
}

impl<Q: QueueItem> Drop for OwnedQueueSink<Q> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            drop((self.leave)(&self.queue, key));
        }
    }
}

impl<Q: QueueItem> fmt::Debug for OwnedQueueSink<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedQueueSink")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

mod item_sealed {
    pub trait Sealed {}
}

/// The item type of a toro queue type: names `T` for `Queue<T>` and the others.
///
/// Sealed; it lets [`OwnedQueueSink`] name what it holds.
///
/// # Examples
///
/// ```
/// use toro_core::queue::QueueItem;
/// fn item_of<Q: QueueItem>(_: &Q) -> &'static str {
///     std::any::type_name::<Q::Item>()
/// }
/// assert_eq!(item_of(&toro_core::Queue::<u8>::new(0)), "u8");
/// ```
pub trait QueueItem: item_sealed::Sealed {
    /// The queue's item type.
    type Item;
}

macro_rules! queue_item {
    ($($name:ident $(: $bound:path)?),*) => {$(
        impl<T $(: $bound)?> item_sealed::Sealed for $name<T> {}
        impl<T $(: $bound)?> QueueItem for $name<T> {
            type Item = T;
        }
    )*};
}

queue_item!(Queue, LifoQueue, PriorityQueue: Ord, JoinableQueue);

#[cfg(test)]
mod tests {
    use super::*;

    /// `put_stage` builds its stage from `offer_or_join`'s answer in place: a word-sized
    /// item and a spot (two words, with 64-bit tickets), and the case.
    #[test]
    fn a_puts_answer_fits_in_three_words() {
        assert!(std::mem::size_of::<Offered<u64>>() <= 3 * std::mem::size_of::<usize>());
    }
}
