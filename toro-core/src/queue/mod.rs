//! Queues: [`Queue`], [`LifoQueue`], [`PriorityQueue`] and [`JoinableQueue`].
//!
//! The four are one type, [`QueueOf<T, O, K>`](QueueOf), with the buffer's [`Order`] as
//! its second parameter (toro's `_put`/`_get` hooks) and its [`Kind`] as its third:
//! `Queue<T>` is `QueueOf<T, Fifo<T>>`, `JoinableQueue<T>` is `QueueOf<T, Fifo<T>,
//! Joinable>`, and so on. Every method is written once, on `QueueOf`; a `JoinableQueue`
//! adds its task count. Getters and blocked putters wait in two lines under the queue's
//! mutex:
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
//! **Fast path.** While nobody waits, a FIFO queue (`Queue`, `JoinableQueue`) keeps its
//! items in a lock-free ring: a `put` or a `get` is one compare-and-swap, without the
//! mutex. The first getter or putter to wait closes the ring, and every call then goes
//! through the mutex, in order, until the line is gone.
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
//! | `put(item)` → `()` | [`send(item)`](Queue::send) → `Result<(), Shutdown<T>>` | item back in [`Shutdown`](crate::Shutdown) |
//! | `put_nowait(item)` → `Result<(), Full<T>>` | [`try_send(item)`](Queue::try_send) → `Result<(), TrySendError<T>>` | `TrySendError::Shutdown(item)` |
//! | `get()` → `T` | [`recv()`](Queue::recv) → `Result<T, Shutdown>` | items until drained, then `Err(Shutdown)` |
//! | `get_nowait()` → `Result<T, Empty>` | [`try_recv()`](Queue::try_recv) → `Result<T, TryRecvError>` | `TryRecvError::Shutdown` once drained |
//!
//! Why companions rather than changing `get`/`put`: a queue that is never shut down (most
//! of toro's uses) keeps `q.get().await` giving a `T`, with no `unwrap()` on every call,
//! and toro's signatures stay; code that shuts down writes `while let Ok(job) =
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
//! panicking `Ord` loses no item and no wake-up (an item is in the buffer before `Ord`
//! runs on it, the buffer only moves items in place, and waiters granted before the panic
//! are woken), and an `Ord` that calls back into its own
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

mod engine;
mod futures;
mod getter;
mod kind;
pub mod order;
mod ring;
mod stream;

use std::fmt;
use std::marker::PhantomData;

use crate::error::{Empty, Full, TryRecvError, TrySendError};
use engine::{Engine, PUT_AFTER_SHUTDOWN};
pub use futures::{QueueGet, QueueJoin, QueuePut, QueueRecv, QueueSend};
pub use kind::{Joinable, Kind, Plain};
use order::{Fifo, Lifo, Order, Priority};
pub use stream::{OwnedQueueSink, OwnedQueueStream, QueueItem, QueueSink, QueueStream};

/// A queue for coroutines whose buffer keeps the order `O`, of kind `K`: the one type
/// behind [`Queue`], [`LifoQueue`], [`PriorityQueue`] and [`JoinableQueue`], which name it
/// with their order and kind. Use those names; this one is where their methods are
/// written.
///
/// See the [module docs](self) for how getters and putters are served.
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Lifo;
/// use toro_core::queue::QueueOf;
/// use toro_core::LifoQueue;
///
/// let q: QueueOf<u8, Lifo<u8>> = LifoQueue::new(0);
/// q.put_nowait(1).unwrap();
/// q.put_nowait(2).unwrap();
/// assert_eq!(q.get_nowait(), Ok(2));
/// ```
pub struct QueueOf<T, O, K = Plain> {
    engine: Engine<T, O>,
    _kind: PhantomData<K>,
}

/// A first-in, first-out queue for coroutines, with strict FIFO hand-off between getters
/// and putters (toro's `Queue`).
///
/// Every method is [`QueueOf`]'s; a FIFO queue's puts and gets take no lock while nobody
/// waits (see the [module docs](crate::queue)).
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
pub type Queue<T> = QueueOf<T, Fifo<T>>;

/// A last-in, first-out queue: [`get`](QueueOf::get) takes the newest item (toro's
/// `LifoQueue`).
///
/// # Examples
///
/// ```
/// let q = toro_core::LifoQueue::new(0);
/// q.put_nowait(1).unwrap();
/// q.put_nowait(2).unwrap();
/// assert_eq!(q.get_nowait(), Ok(2));
/// ```
pub type LifoQueue<T> = QueueOf<T, Lifo<T>>;

/// A priority queue: [`get`](QueueOf::get) takes the smallest item; equal items leave in
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
pub type PriorityQueue<T> = QueueOf<T, Priority<T>>;

/// A FIFO [`Queue`] that counts unfinished tasks: every item that enters it (into the
/// buffer or straight to a getter) is a task until [`task_done`](QueueOf::task_done), and
/// [`join`](QueueOf::join) waits until none is left.
///
/// `join()` completes the moment the count reaches zero, even if producers have more to
/// put: join after the producers are done.
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
pub type JoinableQueue<T> = QueueOf<T, Fifo<T>, Joinable>;

impl<T, O: Order<T>, K: Kind> QueueOf<T, O, K> {
    /// The queue type's name, for `Debug` and messages.
    fn name() -> &'static str {
        if K::JOINABLE {
            "JoinableQueue"
        } else {
            O::NAME
        }
    }

    /// A queue holding at most `maxsize` items (`0`: unbounded).
    ///
    /// Makes no allocation: a FIFO queue makes its ring (at most a few KiB, whatever
    /// `maxsize`) at its first put.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::<u32>::new(3);
    /// assert_eq!(q.maxsize(), 3);
    /// assert!(q.empty());
    /// let lifo = toro_core::LifoQueue::<u32>::new(0);
    /// assert_eq!(lifo.capacity(), None);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        QueueOf {
            engine: Engine::new(maxsize, K::JOINABLE),
            _kind: PhantomData,
        }
    }

    /// A queue that starts with `items` in it (toro's `initial`), as if put in order.
    ///
    /// # Panics
    ///
    /// If `maxsize` is not 0 and there are more than `maxsize` items: nothing is silently
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{LifoQueue, PriorityQueue, Queue};
    /// let drain = |get: &dyn Fn() -> Option<i32>| std::iter::from_fn(get).collect::<Vec<_>>();
    /// let fifo = Queue::with_items(0, [111, 333, 222]);
    /// assert_eq!(drain(&|| fifo.get_nowait().ok()), [111, 333, 222]);
    /// let lifo = LifoQueue::with_items(0, [111, 333, 222]);
    /// assert_eq!(drain(&|| lifo.get_nowait().ok()), [222, 333, 111]);
    /// let priority = PriorityQueue::with_items(0, [111, 333, 222]);
    /// assert_eq!(drain(&|| priority.get_nowait().ok()), [111, 222, 333]);
    /// ```
    pub fn with_items(maxsize: usize, items: impl IntoIterator<Item = T>) -> Self {
        QueueOf {
            engine: Engine::with_items(maxsize, K::JOINABLE, Self::name(), items),
            _kind: PhantomData,
        }
    }

    /// The most items the buffer holds (`0`: unbounded); toro's name for
    /// [`capacity`](Self::capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::Queue::<u8>::new(0).maxsize(), 0);
    /// ```
    #[doc(alias = "capacity")]
    pub fn maxsize(&self) -> usize {
        self.engine.maxsize
    }

    /// The most items the buffer holds; `None` if it is unbounded. Rust's name for
    /// [`maxsize`](Self::maxsize).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::Queue::<u8>::new(4).capacity(), Some(4));
    /// assert_eq!(toro_core::Queue::<u8>::new(0).capacity(), None);
    /// ```
    #[doc(alias = "maxsize")]
    pub fn capacity(&self) -> Option<usize> {
        (self.engine.maxsize != 0).then_some(self.engine.maxsize)
    }

    /// The number of items in the buffer; toro's name for [`len`](Self::len). Items of
    /// blocked putters are not counted.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(0);
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.qsize(), 1);
    /// ```
    #[doc(alias = "len")]
    pub fn qsize(&self) -> usize {
        self.engine.qsize()
    }

    /// The number of items in the buffer; Rust's name for [`qsize`](Self::qsize).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::PriorityQueue::with_items(0, [3, 1]);
    /// assert_eq!(q.len(), 2);
    /// ```
    #[doc(alias = "qsize")]
    pub fn len(&self) -> usize {
        self.engine.qsize()
    }

    /// Whether the buffer is empty; toro's name for [`is_empty`](Self::is_empty).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(toro_core::Queue::<u8>::new(1).empty());
    /// ```
    #[doc(alias = "is_empty")]
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the buffer is empty; Rust's name for [`empty`](Self::empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::LifoQueue::new(0);
    /// assert!(q.is_empty());
    /// q.put_nowait('x').unwrap();
    /// assert!(!q.is_empty());
    /// ```
    #[doc(alias = "empty")]
    pub fn is_empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the buffer holds `maxsize` items (never, when unbounded); toro's name for
    /// [`is_full`](Self::is_full).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// assert!(q.full());
    /// ```
    #[doc(alias = "is_full")]
    pub fn full(&self) -> bool {
        self.engine.full()
    }

    /// Whether the buffer holds `maxsize` items; Rust's name for [`full`](Self::full).
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// assert!(!q.is_full());
    /// q.put_nowait(1).unwrap();
    /// assert!(q.is_full());
    /// assert!(!toro_core::Queue::<u8>::new(0).is_full()); // unbounded
    /// ```
    #[doc(alias = "full")]
    pub fn is_full(&self) -> bool {
        self.engine.full()
    }

    /// How many getters wait in line now (gets and `recv`s, streams waiting for an item):
    /// for load shedding, or a gauge.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::<u8>::new(1);
    /// let waiting = q.get();
    /// assert_eq!(q.getters(), 1);
    /// drop(waiting);
    /// assert_eq!(q.getters(), 0);
    /// ```
    #[doc(alias = "waiters")]
    pub fn getters(&self) -> usize {
        self.engine.waiting().0
    }

    /// How many putters wait for room now (puts and `send`s, sinks holding an item): how
    /// far producers are ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// let blocked = q.put(2);
    /// assert_eq!(q.putters(), 1);
    /// drop(blocked);
    /// assert_eq!(q.putters(), 0);
    /// ```
    #[doc(alias = "waiters")]
    pub fn putters(&self) -> usize {
        self.engine.waiting().1
    }

    /// Puts an item without waiting: straight to the oldest waiting getter, or into the
    /// buffer if it has room.
    ///
    /// # Errors
    ///
    /// [`Full`] holding the item if the queue is full.
    ///
    /// # Panics
    ///
    /// If the queue was shut down: use [`try_send`](Self::try_send) where that can
    /// happen.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(1);
    /// q.put_nowait(1).unwrap();
    /// assert_eq!(q.put_nowait(2).unwrap_err().into_inner(), 2);
    /// ```
    #[inline]
    pub fn put_nowait(&self, item: T) -> Result<(), Full<T>> {
        match self.engine.try_send(item) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(item)) => Err(Full(item)),
            Err(TrySendError::Shutdown(_)) => panic!("{}", PUT_AFTER_SHUTDOWN),
        }
    }

    /// Puts an item, waiting for room if the queue is full.
    ///
    /// Eager: the item is delivered, or the place in line taken, when `put()` is called.
    /// A blocked put's item is not in the buffer until a `get` admits it.
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
    /// let q = toro_core::Queue::new(1);
    /// q.put(1).await;
    /// let timed_out = q.put(2).deadline(Duration::from_millis(1)).await.unwrap_err();
    /// assert_eq!(timed_out.into_inner(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn put(&self, item: T) -> QueuePut<'_, T, O> {
        QueuePut {
            stage: futures::put_stage(&self.engine, item),
        }
    }

    /// Takes the next item without waiting (admitting the oldest blocked putter into the
    /// freed slot).
    ///
    /// On a shut-down queue it still takes what is buffered, then says [`Empty`] for
    /// good; [`try_recv`](Self::try_recv) tells the two apart.
    ///
    /// # Errors
    ///
    /// [`Empty`] if there is no item.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::Queue::new(0);
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
    /// Eager: the item is taken, or the place in line held, when `get()` is called; a
    /// later `put` hands its item straight to the oldest getter.
    ///
    /// # Cancel safety
    ///
    /// A getter that times out or is dropped takes nothing. If an item had already been
    /// handed to it, the item goes to the next getter or back to where it stood in the
    /// queue's order.
    ///
    /// # Panics
    ///
    /// The future panics if the queue is shut down and has no item left for it (a waiting
    /// `get` panics when the shutdown ends it): use [`recv`](Self::recv) where the queue
    /// may be shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let q = toro_core::Queue::new(0);
    /// let getter = q.get();
    /// q.put_nowait("hi").unwrap();
    /// assert_eq!(q.qsize(), 0); // handed straight to the getter
    /// assert_eq!(getter.await, "hi");
    /// # });
    /// ```
    #[inline]
    pub fn get(&self) -> QueueGet<'_, T, O> {
        QueueGet {
            stage: futures::get_stage(&self.engine),
        }
    }

    /// Puts an item like [`put`](Self::put), or hands it back if the queue is shut down:
    /// the put for queues that may be.
    ///
    /// Eager, like `put`. A send blocked for room when [`shutdown`](Self::shutdown) is
    /// called ends at once with its item.
    ///
    /// # Errors
    ///
    /// The future resolves to [`Shutdown`](crate::Shutdown) holding the item if the queue was shut down
    /// before the item got in.
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
    /// let q = toro_core::Queue::new(1);
    /// q.send(1).await.unwrap();
    /// let blocked = q.send(2); // full: waits with its item
    /// q.shutdown();
    /// assert_eq!(blocked.await.unwrap_err().into_inner(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn send(&self, item: T) -> QueueSend<'_, T, O> {
        QueueSend {
            stage: futures::put_stage(&self.engine, item),
        }
    }

    /// Puts an item without waiting, or says why not: full or shut down.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or
    /// [`TrySendError::Shutdown`], holding the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::TrySendError;
    /// let q = toro_core::Queue::new(1);
    /// q.try_send(1).unwrap();
    /// assert!(matches!(q.try_send(2), Err(TrySendError::Full(2))));
    /// ```
    #[inline]
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.engine.try_send(item)
    }

    /// Takes the next item like [`get`](Self::get), or ends once the queue is shut down
    /// and drained: the get for queues that may be.
    ///
    /// Eager, like `get`. A shut-down queue still gives out what it buffers; a recv
    /// waiting when [`shutdown`](Self::shutdown) is called ends at once.
    ///
    /// # Errors
    ///
    /// The future resolves to [`Shutdown`](crate::Shutdown) once the queue is shut down and holds nothing
    /// for it.
    ///
    /// # Cancel safety
    ///
    /// As for `get`: dropping it takes nothing; an item already handed to it goes to the
    /// next getter or back to its place in the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let q = toro_core::Queue::with_items(0, ["job"]);
    /// q.shutdown();
    /// assert_eq!(q.recv().await, Ok("job")); // drains first
    /// assert!(q.recv().await.is_err()); // then ends
    /// # });
    /// ```
    #[inline]
    pub fn recv(&self) -> QueueRecv<'_, T, O> {
        QueueRecv {
            stage: futures::get_stage(&self.engine),
        }
    }

    /// Takes the next item without waiting, or says why not: empty for now, or shut down
    /// and drained for good.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or
    /// [`TryRecvError::Shutdown`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::TryRecvError;
    /// let q = toro_core::Queue::<u8>::new(0);
    /// assert_eq!(q.try_recv(), Err(TryRecvError::Empty));
    /// q.shutdown();
    /// assert_eq!(q.try_recv(), Err(TryRecvError::Shutdown));
    /// ```
    #[inline]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.engine.try_recv()
    }

    /// Shuts the queue down (asyncio's `shutdown()`): puts are refused from now on, gets
    /// drain what is buffered and then end.
    ///
    /// Inside this call every blocked putter is refused with its item (a
    /// [`send`](Self::send) gets it back in [`Shutdown`](crate::Shutdown)), and every waiting getter ends
    /// (a [`recv`](Self::recv) with `Shutdown`). For a `JoinableQueue`, `join()` still
    /// waits until every item taken is marked done. Calling it again does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let q = toro_core::Queue::new(0);
    /// let waiting = q.recv();
    /// q.shutdown();
    /// assert!(q.is_shutdown());
    /// assert!(waiting.await.is_err());
    /// assert_eq!(q.send(1).await.unwrap_err().into_inner(), 1);
    /// # });
    /// ```
    pub fn shutdown(&self) {
        self.engine.shutdown_soon();
    }

    /// Shuts the queue down and empties it (asyncio's `shutdown(immediate=True)`), handing
    /// the buffered items to the caller, next-out first.
    ///
    /// Everything [`shutdown`](Self::shutdown) does, and the drained items no longer count
    /// as unfinished tasks, so a `JoinableQueue`'s `join()` ends once the items already
    /// taken are marked done. Nothing is dropped: what was in the buffer is in the
    /// returned `Vec`, what blocked putters held went back to them, and items already
    /// handed to getters stay theirs.
    ///
    /// # Panics
    ///
    /// If the order runs user code (a `PriorityQueue`'s `Ord`) and it panics while the
    /// drained items are sorted (after the queue's mutex is released). The items are not
    /// lost: they go back into the shut-down queue, where gets still drain them, before
    /// the panic goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// let q = toro_core::PriorityQueue::with_items(0, [111, 333, 222]);
    /// assert_eq!(q.shutdown_immediate(), [111, 222, 333]);
    /// assert!(q.empty() && q.is_shutdown());
    /// let fifo = toro_core::Queue::with_items(0, [111, 333, 222]);
    /// assert_eq!(fifo.shutdown_immediate(), [111, 333, 222]);
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
    /// let q = toro_core::Queue::<u8>::new(0);
    /// assert!(!q.is_shutdown());
    /// q.shutdown();
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.engine.is_shutdown()
    }
}
impl<T, O: Order<T>, K: Kind> Default for QueueOf<T, O, K> {
    /// An unbounded queue.
    fn default() -> Self {
        QueueOf::new(0)
    }
}

/// Shows the state (toro's `__str__`): maxsize, qsize, waiting getters and putters,
/// unfinished tasks for a `JoinableQueue`, and whether it is shut down. Items are not
/// shown: formatting them would run their `Debug` under the queue's mutex (one that reads
/// the queue would deadlock), and a snapshot would need `Clone` (user code too).
impl<T, O: Order<T>, K: Kind> fmt::Debug for QueueOf<T, O, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (qsize, getters, putters, tasks, shutdown) = self.engine.snapshot();
        let mut d = f.debug_struct(Self::name());
        d.field("maxsize", &self.engine.maxsize)
            .field("qsize", &qsize)
            .field("getters", &getters)
            .field("putters", &putters);
        if K::JOINABLE {
            d.field("tasks", &tasks);
        }
        d.field("shutdown", &shutdown).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A put that hands its item to a waiting getter leaves the ring closed (the getter
    /// is likely to wait again); the next put that finds nobody waiting opens it, so the
    /// fast paths come back as soon as the queue streams again.
    #[test]
    fn a_hand_off_leaves_the_ring_closed_until_nobody_waits() {
        use std::future::Future;
        use std::pin::Pin;
        use std::task::{Context, Waker};
        let q = Queue::new(4);
        q.put_nowait(0).unwrap();
        assert_eq!(q.get_nowait(), Ok(0));
        assert!(q.engine.ring_is_open(), "open while nobody waits");
        let mut get = q.get();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut get).poll(&mut cx).is_pending());
        assert!(!q.engine.ring_is_open(), "closed while a getter waits");
        q.put_nowait(1).unwrap(); // handed to the getter
        assert_eq!(Pin::new(&mut get).poll(&mut cx), std::task::Poll::Ready(1));
        assert!(!q.engine.ring_is_open(), "left closed by the hand-off");
        q.put_nowait(2).unwrap(); // nobody waits: into the ring, which opens
        assert!(
            q.engine.ring_is_open(),
            "opened by the put that found nobody waiting"
        );
        assert_eq!(q.get_nowait(), Ok(2));
        assert!(q.engine.ring_is_open());
    }

    /// A put's answer: a word-sized item, a spot (two words) and the case.
    #[test]
    fn a_puts_answer_fits_in_three_words() {
        assert!(std::mem::size_of::<engine::Offered<u64>>() <= 3 * std::mem::size_of::<usize>());
    }
}
