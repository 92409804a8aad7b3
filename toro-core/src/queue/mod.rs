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
//!   returning it goes to the next getter, or back to the head of the buffer (if a putter
//!   has taken the freed slot meanwhile, the queue holds one item over `maxsize` until the
//!   next get: nothing is ever dropped).
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
//!     assert_eq!(queue.get().await, 3);
//! });
//! ```

pub mod order;

use std::fmt;
use std::marker::PhantomData;

use crate::deadline::wait_future;
use crate::error::{Empty, Full, TooManyTaskDone};
use crate::sync::{lock, Mutex};
use crate::waiters::{Line, Stage, Waiter, WaiterList, WakeList};
use order::{Fifo, Lifo, Order, Priority};

/// The shared queue engine.
pub(crate) struct Engine<T, O> {
    maxsize: usize,
    state: Mutex<State<T, O>>,
}

pub(crate) struct State<T, O> {
    buffer: O,
    /// Getters wait with an empty slot; a put fills it and grants them.
    getters: WaiterList<Option<T>>,
    /// Blocked putters wait holding their item; a get takes it and grants them.
    putters: WaiterList<Option<T>>,
    /// Items that entered the queue (buffer or straight to a getter) and were not yet
    /// marked done: `JoinableQueue`'s count.
    unfinished: usize,
    joiners: WaiterList<()>,
}

impl<T, O: Order<T>> State<T, O> {
    fn enter(&mut self, item: T) {
        self.unfinished += 1;
        self.buffer.push(item);
    }
}

pub(crate) struct Getters<T, O>(PhantomData<fn() -> (T, O)>);
pub(crate) struct Putters<T, O>(PhantomData<fn() -> (T, O)>);
pub(crate) struct Joiners<T, O>(PhantomData<fn() -> (T, O)>);

impl<T, O: Order<T>> Line for Getters<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = Option<T>;
    const RETURNS_GRANTS: bool = true;

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        &engine.state
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<Option<T>> {
        &mut state.getters
    }

    fn return_grant(
        _: &Engine<T, O>,
        state: &mut State<T, O>,
        item: Option<T>,
        wakes: &mut WakeList,
    ) {
        let Some(item) = item else { return };
        // Already counted when it entered: pass it to the next getter, or put it back
        // at the head of the buffer.
        match state.getters.front() {
            Some(key) => {
                *state.getters.data_mut(key) = Some(item);
                wakes.push(state.getters.grant(key));
            }
            None => state.buffer.push_head(item),
        }
    }
}

impl<T, O: Order<T>> Line for Putters<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = Option<T>;

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        &engine.state
    }

    fn list(state: &mut State<T, O>) -> &mut WaiterList<Option<T>> {
        &mut state.putters
    }
}

impl<T, O: Order<T>> Line for Joiners<T, O> {
    type Target = Engine<T, O>;
    type State = State<T, O>;
    type Data = ();

    fn state(engine: &Engine<T, O>) -> &Mutex<State<T, O>> {
        &engine.state
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
                getters: WaiterList::new(),
                putters: WaiterList::new(),
                unfinished: 0,
                joiners: WaiterList::new(),
            }),
        }
    }

    fn with_items(kind: &str, maxsize: usize, items: impl IntoIterator<Item = T>) -> Self {
        let engine: Engine<T, O> = Engine::new(maxsize);
        {
            let mut state = lock(&engine.state);
            for item in items {
                state.enter(item);
            }
            let n = state.buffer.len();
            assert!(
                maxsize == 0 || n <= maxsize,
                "{kind}::with_items: {n} items do not fit in maxsize {maxsize}"
            );
        }
        engine
    }

    fn qsize(&self) -> usize {
        lock(&self.state).buffer.len()
    }

    fn full(&self) -> bool {
        self.maxsize != 0 && self.qsize() >= self.maxsize
    }

    /// Gives `item` to the oldest getter, or to the buffer if it has room.
    fn offer(&self, state: &mut State<T, O>, item: T, wakes: &mut WakeList) -> Result<(), T> {
        if let Some(key) = state.getters.front() {
            state.unfinished += 1;
            *state.getters.data_mut(key) = Some(item);
            wakes.push(state.getters.grant(key));
            Ok(())
        } else if self.maxsize != 0 && state.buffer.len() >= self.maxsize {
            Err(item)
        } else {
            state.enter(item);
            Ok(())
        }
    }

    /// Takes the next item, first admitting the oldest blocked putter into the freed slot.
    fn take(&self, state: &mut State<T, O>, wakes: &mut WakeList) -> Option<T> {
        if let Some(key) = state.putters.front() {
            // Over-full only after a dropped getter's item came back: no slot to free.
            if state.buffer.len() <= self.maxsize {
                let item = state
                    .putters
                    .data_mut(key)
                    .take()
                    .expect("blocked putter without its item");
                wakes.push(state.putters.grant(key));
                state.enter(item);
            }
        }
        state.buffer.pop()
    }

    fn put_nowait(&self, item: T) -> Result<(), Full<T>> {
        let mut wakes = WakeList::new();
        let result = self
            .offer(&mut lock(&self.state), item, &mut wakes)
            .map_err(Full);
        wakes.wake_all();
        result
    }

    fn put(&self, item: T) -> QueuePut<'_, T, O> {
        let mut wakes = WakeList::new();
        let stage = {
            let mut state = lock(&self.state);
            match self.offer(&mut state, item, &mut wakes) {
                Ok(()) => Stage::granted(self, None),
                Err(item) => Stage::Waiting(Waiter::enqueue(self, &mut *state, Some(item))),
            }
        };
        wakes.wake_all();
        QueuePut { stage }
    }

    fn get_nowait(&self) -> Result<T, Empty> {
        let mut wakes = WakeList::new();
        let item = self.take(&mut lock(&self.state), &mut wakes);
        wakes.wake_all();
        item.ok_or(Empty)
    }

    fn get(&self) -> QueueGet<'_, T, O> {
        let mut wakes = WakeList::new();
        let stage = {
            let mut state = lock(&self.state);
            match self.take(&mut state, &mut wakes) {
                Some(item) => Stage::granted(self, Some(item)),
                None => Stage::Waiting(Waiter::enqueue(self, &mut *state, None)),
            }
        };
        wakes.wake_all();
        QueueGet { stage }
    }

    fn unfinished_tasks(&self) -> usize {
        lock(&self.state).unfinished
    }

    fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let mut wakes = WakeList::new();
        {
            let mut state = lock(&self.state);
            if state.unfinished == 0 {
                return Err(TooManyTaskDone);
            }
            state.unfinished -= 1;
            if state.unfinished == 0 {
                state.joiners.grant_all(&mut wakes);
            }
        }
        wakes.wake_all();
        Ok(())
    }

    fn join(&self) -> Stage<'_, Joiners<T, O>> {
        let mut state = lock(&self.state);
        if state.unfinished == 0 {
            Stage::granted(self, ())
        } else {
            Stage::Waiting(Waiter::enqueue(self, &mut *state, ()))
        }
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, joinable: bool) -> fmt::Result
    where
        T: fmt::Debug,
    {
        struct Items<'a, T, O>(&'a O, PhantomData<T>);
        impl<T: fmt::Debug, O: Order<T>> fmt::Debug for Items<'_, T, O> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                self.0.for_each(&mut |item| {
                    list.entry(item);
                });
                list.finish()
            }
        }
        let state = lock(&self.state);
        let mut d = f.debug_struct(name);
        d.field("maxsize", &self.maxsize)
            .field("qsize", &state.buffer.len())
            .field("queue", &Items(&state.buffer, PhantomData))
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len());
        if joinable {
            d.field("tasks", &state.unfinished);
        }
        d.finish()
    }
}

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
            /// [`Full`](crate::Full) holding the item if the queue is full.
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
                self.engine.put(item)
            }

            /// Takes the next item without waiting (admitting the oldest blocked putter
            /// into the freed slot).
            ///
            /// # Errors
            ///
            /// [`Empty`](crate::Empty) if there is no item.
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
                self.engine.get_nowait()
            }

            /// Takes the next item, waiting for one if the queue is empty.
            ///
            /// Eager: the item is taken, or the place in line held, when `get()` is
            /// called; a later `put` hands its item straight to the oldest getter.
            ///
            /// # Cancel safety
            ///
            /// A getter that times out or is dropped takes nothing. If an item had
            /// already been handed to it, the item goes to the next getter or back to the
            /// head of the queue.
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
                self.engine.get()
            }
        }

        impl<T: fmt::Debug $(+ $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.engine.debug(f, stringify!($name), queue_type!(@joinable $name))
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
/// back to the head of the queue.
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
    finish |_, item| item.expect("queue getter granted without an item"),
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
    finish |_, _| (),
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
