//! The one waiter mechanism every primitive shares: a FIFO line of waiters with a grant
//! slot each, and the future that stands in it.
//!
//! # Why not `event-listener`
//!
//! toro hands a token, an item or a wake-up *to one particular waiter, inside the call that
//! frees it* (strict FIFO, no barging), and a waiter that leaves the line must never take
//! that grant with it. `event-listener` only wakes: the waiter must then retry the
//! operation, and a newcomer's try can barge past it (async-lock#23); the only per-listener
//! payload it has, the tag, is dropped when a cancelled listener has nobody to pass it to.
//! So toro keeps its own line: each primitive guards its state and its [`WaiterList`]s with
//! one mutex, the releasing call writes the grant into the oldest waiter's slot and takes
//! its waker, and the waker is woken only after the mutex is released ([`WakeList`]).
//!
//! The list is a doubly linked list threaded through a slab (`Vec`), so joining, leaving
//! from anywhere in the line and being granted are all O(1) and, once the slab has grown to
//! the largest line seen, allocate nothing.
//!
//! # Memory after a burst
//!
//! A slab above 4 KiB that empties is freed; one that is at most a quarter full is
//! compacted (its waiters moved to the front, the rest given back) at the removal that
//! makes it so: amortised O(1), since a compaction that moves n waiters follows at least
//! 3n removals. A future keeps the key it joined at, so a moved waiter finds its entry by
//! its ticket in a table the compaction leaves ([`WaiterList::locate`]), dropped once all
//! it lists have left. Entries hold only what a waiter carries (a blocked put's item),
//! not room for what it waits for (a queue's getters wait in slots of their own).
//!
//! # Two kinds of grant
//!
//! A grant that carries something (an item, a refusal) stays in the waiter's entry until
//! its future collects it under the mutex. A grant the waiter can rebuild from what it
//! asked for (a lock's tokens, an event's wake-up) is *handed over*: the line frees the
//! entry at once and moves a counter past the waiter's ticket ([`HandedOver`]), and the
//! future learns of it with one atomic load, without the mutex.
//!
//! A queue's getter (its grant is an item) and a condition's waiter (whether its wake-up
//! passes on) wait instead in a heap node of their own ([`slot`], [`in_slot`]): the
//! waiter parks its waker there and finds its grant there, neither time taking the
//! mutex. The node is reused (one spare per line) and needs no reference count, so it
//! costs less than the two critical sections it saves; a waiter whose grant the line can
//! hand over saves the second without any node. (An event's waiters keep to the slab:
//! a `set` releases many at once, and a node each, beyond the one spare, cost an
//! allocation more than the critical section it saved; see the README.)
//!
//! # Lifecycle of a waiter
//!
//! ```text
//!   join ──► Queued ──grant──► Granted ──remove (by its future)──► gone
//!              │     └──hand over (entry freed, counter moved)───► gone
//!              └──────────remove (timeout / drop)────────────────► gone
//! ```
//!
//! Only the waiter's own future ([`Waiter`]) removes a kept entry, so a [`Key`] is never
//! reused while someone still holds it; a future handed its grant checks the counter,
//! under the mutex, before it would use its key (whose entry another waiter may now hold).
//!
//! # The rooms
//!
//! - [`slab`]: the `Vec` with a free list that every line stands in, and its compaction.
//! - [`list`]: the FIFO line of waiters threaded through a slab, their tickets and spots.
//! - [`handed`]: the counter that tells a waiter, without the mutex, it was handed its
//!   grant.
//! - [`wake`]: wakers collected under a mutex and woken after it, and a task's waker on its
//!   way into a waiter's entry.
//! - [`stage`]: the [`Line`] a primitive describes its waiters with, and the [`Waiter`] and
//!   [`StageOf`] every wait future is made of.
//! - [`slot`]: the line of waiters each in a slot of its own (a queue's getters, a
//!   condition's waiters), with its `unsafe` cells; [`in_slot`]: how such a waiter polls
//!   and leaves.

mod handed;
pub(crate) mod in_slot;
mod list;
mod slab;
pub(crate) mod slot;
mod stage;
mod wake;

pub(crate) use handed::HandedOver;
pub(crate) use list::{Removed, Spot, WaiterList};
pub(crate) use slab::{KEEP_BYTES, Key, Slab};
pub(crate) use stage::{
    Anchor, GIVEN_UP_AFTER, Line, POLLED_AFTER, Stage, StageOf, Waiter, grants_are_data,
    take_granted,
};
pub(crate) use wake::{FreshWaker, WakeList};
