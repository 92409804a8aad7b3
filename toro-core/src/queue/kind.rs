//! What a queue does beside holding items ([`Kind`]): nothing more ([`Plain`]), or count
//! unfinished tasks ([`Joinable`]), with the methods only a [`JoinableQueue`] has.

use super::QueueOf;
use super::futures::{self, QueueJoin};
use super::order::Fifo;
#[cfg(doc)]
use super::{JoinableQueue, LifoQueue, PriorityQueue, Queue};
use crate::error::TooManyTaskDone;
use crate::sealed::sealed_markers;

mod kind_sealed {
    pub trait Sealed {}
}

/// What a queue does beside holding items: nothing more ([`Plain`]), or count
/// unfinished tasks ([`Joinable`]). Sealed; the third parameter of [`QueueOf`].
///
/// # Examples
///
/// ```
/// use toro_core::queue::order::Fifo;
/// use toro_core::queue::{Joinable, QueueOf};
/// let q: QueueOf<u8, Fifo<u8>, Joinable> = toro_core::JoinableQueue::new(0);
/// q.put_nowait(1).unwrap();
/// assert_eq!(q.unfinished_tasks(), 1);
/// ```
pub trait Kind: kind_sealed::Sealed {
    /// Whether the queue counts unfinished tasks.
    #[doc(hidden)]
    const JOINABLE: bool;
}

sealed_markers! {
    kind_sealed::Sealed;

    /// A queue that only holds items: [`Queue`], [`LifoQueue`], [`PriorityQueue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::queue::order::Fifo;
    /// use toro_core::queue::{Plain, QueueOf};
    /// let q: QueueOf<u8, Fifo<u8>, Plain> = toro_core::Queue::new(0);
    /// assert!(q.is_empty());
    /// ```
    pub enum Plain {}

    /// A queue that counts unfinished tasks: [`JoinableQueue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::queue::order::Fifo;
    /// use toro_core::queue::{Joinable, QueueOf};
    /// let q: QueueOf<&str, Fifo<&str>, Joinable> = toro_core::JoinableQueue::new(0);
    /// assert_eq!(q.unfinished_tasks(), 0);
    /// ```
    pub enum Joinable {}
}

impl Kind for Plain {
    const JOINABLE: bool = false;
}

impl Kind for Joinable {
    const JOINABLE: bool = true;
}

impl<T> QueueOf<T, Fifo<T>, Joinable> {
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
            stage: futures::join_stage(&self.engine),
        }
    }
}
