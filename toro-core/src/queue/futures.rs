//! The futures of a queue's waits: [`QueueGet`], [`QueuePut`], [`QueueRecv`], [`QueueSend`]
//! and [`QueueJoin`].

use super::engine::{
    Engine, GET_AFTER_SHUTDOWN, Joiners, Offered, PUT_AFTER_SHUTDOWN, Putters, Took,
};
use super::getter::{GetStage, InLine};
use super::order::{Fifo, Order};
use crate::deadline::wait_future;
use crate::error::Shutdown;
use crate::parcel::Parcel;
use crate::waiters::{Stage, Waiter};

/// A put's stage: delivered, refused by a shutdown (its item kept to hand back), or in
/// line. Built here, inline in the caller, from the engine's answer (see
/// `StageOf::granted_or_queued` for why).
#[inline]
pub(crate) fn put_stage<T, O: Order<T>>(
    engine: &Engine<T, O>,
    item: T,
) -> Stage<'_, Putters<T, O>> {
    match engine.put(item) {
        Offered::Delivered => Stage::granted(engine, None),
        Offered::Refused(item) => Stage::granted(engine, Some(Parcel::new(item))),
        Offered::Joined(spot) => Stage::Waiting(Waiter::queued(engine, spot, 0)),
    }
}

/// A get's stage: an item, the end of a shut-down queue, or in line; built in the caller
/// like [`put_stage`]'s.
#[inline]
pub(crate) fn get_stage<T, O: Order<T>>(engine: &Engine<T, O>) -> GetStage<'_, T, O> {
    match engine.get() {
        Took::Item((stamp, item)) => GetStage::granted(engine, Some((stamp, Parcel::new(item)))),
        Took::Ended => GetStage::granted(engine, None),
        Took::Joined(joined) => GetStage::waiting(engine, InLine::new(joined)),
    }
}

/// A join's stage: ready if no task is unfinished, else in line.
pub(crate) fn join_stage<T>(engine: &Engine<T, Fifo<T>>) -> Stage<'_, Joiners<T, Fifo<T>>> {
    Stage::granted_or_queued(engine, (), engine.join())
}

wait_future! {
    /// The future of a queue's `get`: already holds its item or its place in line.
    ///
    /// Made by [`QueueOf::get`](super::QueueOf::get) (`Queue::get`, `LifoQueue::get`, ...); `O`
    /// is the queue's [`Order`]. Await it for the item, or give it a deadline with
    /// `.deadline(d)` or `.deadline_on(&handle, d)`. An item it took at the call is carried
    /// inline when it fits in three words, boxed otherwise, so a waiting get stays small
    /// whatever the item.
    ///
    /// # Cancel safety
    ///
    /// Dropping it takes nothing; an item already handed to it goes to the next getter or
    /// back to where it stood in the queue's order.
    ///
    /// # Panics
    ///
    /// Polling it panics if the queue is shut down and has no item left for it: use
    /// [`recv`](super::QueueOf::recv) where the queue may be shut down.
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
    pub struct QueueGet<'a, T, O: Order<T>>(pub(crate) GetStage<'a, T, O>) where T: 'a, O: 'a -> T;
    finish |_, handed| match handed {
        Some((_, item)) => item.take(),
        None => panic!("{}", GET_AFTER_SHUTDOWN),
    },
    carries () |_| (),
}

wait_future! {
    /// The future of a queue's `put`: already delivered its item or holds its place in line.
    ///
    /// Made by [`QueueOf::put`](super::QueueOf::put); `O` is the queue's [`Order`]. A blocked
    /// put keeps its item until a `get` admits it into the buffer. Await it to wait for room,
    /// or give it a deadline with `.deadline(d)`: a timed-out put gives its item back in
    /// [`Timeout`](crate::Timeout).
    ///
    /// # Cancel safety
    ///
    /// With a deadline, the item comes back in the `Timeout`. Dropping a blocked put drops
    /// its item; a put that had already delivered its item leaves it in the queue.
    ///
    /// # Panics
    ///
    /// Polling it panics if the queue was shut down before its item got in: use
    /// [`send`](super::QueueOf::send) where the queue may be shut down.
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
    pub struct QueuePut<'a, T, O: Order<T>>(pub(crate) Stage<'a, Putters<T, O>>) where T: 'a, O: 'a -> ();
    finish |_, refused| if refused.is_some() { panic!("{}", PUT_AFTER_SHUTDOWN) },
    carries T |item| item.expect("blocked putter without its item"),
}

wait_future! {
    /// The future of [`JoinableQueue::join`](super::QueueOf::join).
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
    pub struct QueueJoin<'a, T>(pub(crate) Stage<'a, Joiners<T, Fifo<T>>>) where T: 'a -> ();
    finish |_, ()| (),
    carries () |()| (),
}

wait_future! {
    /// The future of a queue's `recv`: [`get`](super::QueueOf::get) that ends with
    /// [`Shutdown`] once the queue is shut down and drained.
    ///
    /// Made by [`QueueOf::recv`](super::QueueOf::recv). With `.deadline(d)` it resolves to
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
    pub struct QueueRecv<'a, T, O: Order<T>>(pub(crate) GetStage<'a, T, O>) where T: 'a, O: 'a -> Result<T, Shutdown>;
    finish |_, handed| handed.map(|(_, item)| item.take()).ok_or(Shutdown(())),
    carries () |_| (),
}

wait_future! {
    /// The future of a queue's `send`: [`put`](super::QueueOf::put) that hands its item back in
    /// [`Shutdown`] if the queue is shut down first.
    ///
    /// Made by [`QueueOf::send`](super::QueueOf::send). With `.deadline(d)` it resolves to
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
    pub struct QueueSend<'a, T, O: Order<T>>(pub(crate) Stage<'a, Putters<T, O>>) where T: 'a, O: 'a -> Result<(), Shutdown<T>>;
    finish |_, refused| refused.map_or(Ok(()), |item| Err(Shutdown(item.take()))),
    carries T |item| item.expect("blocked putter without its item"),
}
