//! A queue's two sides as a [`Stream`](futures_core::Stream) and a
//! [`Sink`](futures_sink::Sink): [`QueueStream`], [`OwnedQueueStream`], [`QueueSink`],
//! [`OwnedQueueSink`].

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::engine::{Engine, LeftPutter};
use super::getter::InLine;
use super::order::Order;
use super::{Kind, QueueOf};
use crate::error::Shutdown;
use crate::waiters::Spot;

/// Polls a stream's getter: `done` once the queue ended it, for good.
fn poll_stream<T, O: Order<T>>(
    engine: &Engine<T, O>,
    key: &mut Option<InLine<T>>,
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
/// Made by [`QueueOf::stream`] (`Queue::stream` and the other queues'). Yields the items in the
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
    pub(crate) engine: &'a Engine<T, O>,
    pub(crate) key: Option<InLine<T>>,
    pub(crate) done: bool,
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
        fmt_stream(f, "QueueStream", self.key.is_some(), self.done)
    }
}

/// The `Debug` of both stream types: whether a getter stands in line, and whether the
/// stream has ended.
fn fmt_stream(f: &mut fmt::Formatter<'_>, name: &str, waiting: bool, done: bool) -> fmt::Result {
    f.debug_struct(name)
        .field("waiting", &waiting)
        .field("done", &done)
        .finish()
}

/// A queue's getter side as an owned [`Stream`](futures_core::Stream) over an `Arc` of
/// the queue; `Q` is the queue type (`OwnedQueueStream<Queue<Job>>`).
///
/// Made by [`QueueOf::into_stream`]; it behaves as
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
pub struct OwnedQueueStream<Q: QueueItem> {
    pub(crate) queue: Arc<Q>,
    pub(crate) key: Option<InLine<Q::Item>>,
    pub(crate) done: bool,
    pub(crate) leave: fn(&Q, InLine<Q::Item>),
}

impl<Q: QueueItem> Drop for OwnedQueueStream<Q> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            (self.leave)(&self.queue, key);
        }
    }
}

impl<Q: QueueItem> fmt::Debug for OwnedQueueStream<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_stream(f, "OwnedQueueStream", self.key.is_some(), self.done)
    }
}

/// A queue's putter side as a [`Sink`](futures_sink::Sink), borrowing the queue.
///
/// Made by [`QueueOf::sink`]. `start_send` puts the item at
/// once, eagerly like [`put`](QueueOf::put): into the queue, or, if it is full, into the
/// putters' line, where it waits holding its item; `poll_ready`, `poll_flush` and
/// `poll_close` wait until that item is in. So the sink holds at most one item, always
/// in line, and `poll_ready` never takes or drops one. Closing the sink does not shut the
/// queue down (other producers may still put): call [`shutdown`](QueueOf::shutdown).
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
    pub(crate) engine: &'a Engine<T, O>,
    pub(crate) key: Option<Spot>,
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
/// queue; `Q` is the queue type. Made by [`QueueOf::into_sink`] (and the other queues'
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
    pub(crate) queue: Arc<Q>,
    pub(crate) key: Option<Spot>,
    pub(crate) leave: fn(&Q, Spot) -> LeftPutter<Q::Item>,
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

impl<T, O: Order<T>, K: Kind> item_sealed::Sealed for QueueOf<T, O, K> {}

impl<T, O: Order<T>, K: Kind> QueueItem for QueueOf<T, O, K> {
    type Item = T;
}

impl<T, O: Order<T>, K: Kind> futures_core::Stream for OwnedQueueStream<QueueOf<T, O, K>> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        poll_stream(&this.queue.engine, &mut this.key, &mut this.done, cx)
    }
}

impl<T, O: Order<T>, K: Kind> futures_core::stream::FusedStream
    for OwnedQueueStream<QueueOf<T, O, K>>
{
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T, O: Order<T>, K: Kind> futures_sink::Sink<T> for OwnedQueueSink<QueueOf<T, O, K>> {
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

/// The sides of a queue as a stream and a sink.
impl<T, O: Order<T>, K: Kind> QueueOf<T, O, K> {
    /// The getter side as a [`Stream`](futures_core::Stream), borrowing the queue: items
    /// in the queue's order, ending with `None` once the queue is shut down and drained.
    ///
    /// See [`QueueStream`] for when it takes its place in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    /// # toro_core::block_on(async {
    /// let q = toro_core::PriorityQueue::with_items(0, [111, 333, 222]);
    /// q.shutdown();
    /// let items: Vec<_> = q.stream().collect().await;
    /// assert_eq!(items, [111, 222, 333]);
    /// # });
    /// ```
    pub fn stream(&self) -> QueueStream<'_, T, O> {
        QueueStream {
            engine: &self.engine,
            key: None,
            done: false,
        }
    }

    /// The getter side as an owned [`Stream`](futures_core::Stream) over an `Arc` of the
    /// queue (`'static`, for spawned tasks); like [`stream`](Self::stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use futures::StreamExt;
    /// # toro_core::block_on(async {
    /// let q = Arc::new(toro_core::Queue::new(0));
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
    /// let q = toro_core::Queue::new(0);
    /// let mut sink = q.sink();
    /// sink.send(1).await.unwrap();
    /// q.shutdown();
    /// assert_eq!(sink.send(2).await.unwrap_err().into_inner(), 2);
    /// assert_eq!(q.get_nowait(), Ok(1));
    /// # });
    /// ```
    pub fn sink(&self) -> QueueSink<'_, T, O> {
        QueueSink {
            engine: &self.engine,
            key: None,
        }
    }

    /// The putter side as an owned [`Sink`](futures_sink::Sink) over an `Arc` of the
    /// queue; like [`sink`](Self::sink).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use futures::SinkExt;
    /// # toro_core::block_on(async {
    /// let q = Arc::new(toro_core::Queue::new(0));
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
