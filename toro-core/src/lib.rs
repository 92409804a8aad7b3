//! The executor-agnostic core of [toro](https://docs.rs/toro): Tornado-style coordination
//! primitives with deadlines.
//!
//! Most users depend on the `toro` facade crate, which re-exports everything here and adds
//! runtime adapters and macros. Library authors may depend on `toro-core` (or on `toro`
//! with no runtime feature) without tying their users to a runtime.
//!
//! Every primitive follows the same rules:
//! - **Eager**: `acquire()`, `get()`, `put()`, `wait()` take the resource or a place in
//!   line when called, not when first polled.
//! - **Direct FIFO hand-off**: a release, put or notify hands the token, item or wake-up
//!   to the oldest waiter inside that call; nobody barges in.
//! - **Nothing is lost**: a waiter that times out or is dropped consumes nothing; one
//!   dropped after being handed something gives it back.
//! - **Ready wins**: a wait that can complete when called completes, whatever its deadline.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use toro_core::{Lock, Queue};
//!
//! toro_core::block_on(async {
//!     let lock = Lock::new();
//!     let queue = Queue::new(1);
//!     {
//!         let _guard = lock.acquire().await;
//!         queue.put("work").await;
//!     }
//!     assert_eq!(queue.get().deadline(Duration::from_secs(1)).await, Ok("work"));
//! });
//! ```

// `unsafe` lives in four small modules: `cell.rs` (the data under `Lock<T>` and
// `RwLock<T>`), `queue/ring.rs` (a FIFO queue's lock-free ring), `parcel.rs` (an item
// carried by a future, inline or boxed) and `lazy.rs` (a waiter line made on first
// contention).
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod async_result;
mod barrier;
mod cell;
mod condition;
pub mod deadline;
mod error;
mod event;
mod lazy;
mod lock;
mod mapped;
mod parcel;
pub mod queue;
pub mod rt;
mod rwlock;
mod sealed;
pub mod semaphore;
mod sync;
mod tokens;
mod waiters;

/// A xorshift generator for the randomised unit tests: `next(below)` is in `0..below`,
/// and the same seed gives the same run.
#[cfg(all(test, not(loom)))]
fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |below| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    }
}

pub use async_result::{
    AsyncResult, AsyncResultGet, AsyncResultGetOrInit, AsyncResultGetOrTryInit,
};
pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use condition::{Condition, ConditionWait};
pub use deadline::{Deadline, DeadlineExt, Deadlined, WaitFuture, WithDeadline};
pub use error::{
    AlreadySet, Closed, Empty, Full, NotLocked, NotReady, Timeout, TooManyReleases, TooManyTaskDone,
};
pub use error::{Shutdown, TryRecvError, TrySendError};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockAcquire, LockGuard, OwnedLockAcquire, OwnedLockGuard};
pub use mapped::{
    MappedLockGuard, MappedReadGuard, MappedWriteGuard, OwnedMappedLockGuard, OwnedMappedReadGuard,
    OwnedMappedWriteGuard,
};
pub use queue::{JoinableQueue, LifoQueue, PriorityQueue, Queue, QueueGet, QueueJoin, QueuePut};
pub use queue::{OwnedQueueSink, OwnedQueueStream, QueueRecv, QueueSend, QueueSink, QueueStream};
#[cfg(feature = "async-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
pub use rt::async_io_handle;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use rt::tokio_handle;
pub use rt::{Clock, EnterGuard, LoopHandle, ManualClock, Sleep, block_on, now};
pub use rwlock::{
    AcquireRead, AcquireUpgradable, AcquireWrite, OwnedAcquireRead, OwnedAcquireUpgradable,
    OwnedAcquireWrite, OwnedReadGuard, OwnedUpgradableReadGuard, OwnedUpgrade, OwnedWriteGuard,
    ReadGuard, RwLock, UpgradableReadGuard, Upgrade, WriteGuard,
};
pub use semaphore::{
    BoundedSemaphore, OwnedSemaphoreAcquire, OwnedSemaphoreAcquireOrClosed, OwnedSemaphoreGuard,
    Semaphore, SemaphoreAcquire, SemaphoreAcquireOrClosed, SemaphoreGuard, SemaphoreWait,
};
