//! The one waiter mechanism every primitive shares: a FIFO line of waiters, each with a
//! node of its own that carries its grant, and the future that stands in the line.
//!
//! # Why not `event-listener`
//!
//! toro hands a token, an item or a wake-up *to one particular waiter, inside the call that
//! frees it* (strict FIFO, no barging), and a waiter that leaves the line must never take
//! that grant with it. `event-listener` only wakes: the waiter must then retry the
//! operation, and a newcomer's try can barge past it (async-lock#23); the only per-listener
//! payload it has, the tag, is dropped when a cancelled listener has nobody to pass it to.
//! So toro keeps its own line: each primitive guards its state and its [`WaiterList`]s with
//! one mutex; the releasing call writes the grant into the oldest waiter's node, takes its
//! waker, and wakes it only after the mutex is released ([`WakeList`]).
//!
//! # Nodes
//!
//! A waiter's data (its request, what it carries, what it is given) and its waker live in
//! a small heap node of its own ([`node`](crate::node), the module with the `unsafe`
//! code), shared by the waiter's [`Ticket`] and the line's [`Linked`](crate::node::Linked).
//! The waiter stores its waker and learns of its grant through the node's atomic state,
//! without the primitive's mutex: a contended wait takes the mutex once, to join the line,
//! and the hand-off costs only the releaser's critical section.
//!
//! The line itself is a doubly linked list threaded through a slab of small entries (a
//! node handle and two 32-bit links), so joining, leaving from anywhere in the line and
//! being granted are O(1), and a node holds an item only where a waiter carries or
//! receives one. A granted waiter leaves the slab at once; a slab much larger than its
//! line is compacted (amortised O(1), see [`WaiterList`]), so a burst of waiters does not
//! keep its peak memory.
//!
//! # Lifecycle of a waiter
//!
//! ```text
//!   push_back ──► Queued ──grant (line lets go)──► Granted ──taken by its Ticket──► gone
//!                   └──────────remove (timeout / drop, under the mutex)───────────► gone
//! ```

use std::marker::PhantomData;
use std::task::{Context, Poll, Waker};

use crate::node::{Linked, Ticket};
use crate::sync::{lock, Mutex};

/// Where a waiter stands in its [`WaiterList`]'s slab, valid under the primitive's mutex
/// until the list next changes.
pub(crate) type Key = usize;

/// A link between slab entries: an index, or [`NIL`]. 32 bits keep each entry and every
/// empty line small (a line longer than `u32::MAX - 1` waiters panics).
type Link = u32;
const NIL: Link = Link::MAX;

#[inline]
fn link_to(key: Key) -> Link {
    Link::try_from(key)
        .ok()
        .filter(|&l| l != NIL)
        .expect("toro: more than u32::MAX - 1 waiters in one line")
}

#[inline]
fn key_at(link: Link) -> Option<Key> {
    (link != NIL).then_some(link as Key)
}

struct Entry<W> {
    /// The line's handle on the node of the waiter standing here; `None` when vacant.
    linked: Option<Linked<W>>,
    prev: Link,
    /// The next in line; for a vacant entry, the next vacant one.
    next: Link,
}

/// A slab this small is never compacted: most lines live and die in it.
const MIN_ENTRIES: usize = 32;

/// A FIFO line of waiters.
pub(crate) struct WaiterList<W> {
    entries: Vec<Entry<W>>,
    free: Link,
    head: Link,
    tail: Link,
    /// Waiters in line.
    len: u32,
}

impl<W> WaiterList<W> {
    pub(crate) const fn new() -> Self {
        WaiterList {
            entries: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// Waiters in line.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Joins the line at the back with `data`; the [`Ticket`] is the waiter's handle.
    pub(crate) fn push_back(&mut self, data: W) -> Ticket<W> {
        let (ticket, linked) = Ticket::new(data);
        let key = match key_at(self.free) {
            Some(key) => {
                self.free = self.entries[key].next;
                key
            }
            None => {
                let key = self.entries.len();
                // Checked before the push, so the link of every entry fits.
                let _ = link_to(key);
                self.entries.push(Entry {
                    linked: None,
                    prev: NIL,
                    next: NIL,
                });
                key
            }
        };
        linked.set_index(key);
        self.entries[key] = Entry {
            linked: Some(linked),
            prev: self.tail,
            next: NIL,
        };
        match key_at(self.tail) {
            Some(tail) => self.entries[tail].next = link_to(key),
            None => self.head = link_to(key),
        }
        self.tail = link_to(key);
        self.len += 1;
        ticket
    }

    /// The oldest waiter in line.
    pub(crate) fn front(&self) -> Option<Key> {
        key_at(self.head)
    }

    /// The waiter behind `key` in line.
    #[cfg(test)]
    pub(crate) fn next(&self, key: Key) -> Option<Key> {
        key_at(self.entries[key].next)
    }

    /// The data of the waiter at `key`, for the line to update (tokens handed so far, the
    /// item it will receive).
    pub(crate) fn data_mut(&mut self, key: Key) -> &mut W {
        self.linked_mut(key).data_mut()
    }

    /// Takes `key` out of line as granted: its ticket will find the grant in its node.
    /// Returns the waker to wake once the state's mutex is released.
    pub(crate) fn grant(&mut self, key: Key) -> Option<Waker> {
        self.vacate(key).grant()
    }

    /// Grants the oldest waiter, if any, adding its waker to `wakes`. `false` if the line
    /// was empty.
    pub(crate) fn grant_front(&mut self, wakes: &mut WakeList) -> bool {
        match self.front() {
            Some(key) => {
                wakes.push(self.grant(key));
                true
            }
            None => false,
        }
    }

    /// Grants every waiter in line, oldest first.
    pub(crate) fn grant_all(&mut self, wakes: &mut WakeList) {
        while self.grant_front(wakes) {}
    }

    /// Takes the waiter holding `ticket` out for good: from the line (it leaves, and its
    /// node is wholly its own again), or, if it was granted, just takes its grant. Returns
    /// its data, whether it had been granted, and its stored waker, to be dropped once the
    /// state's mutex is released.
    pub(crate) fn remove(&mut self, ticket: &mut Ticket<W>) -> Removed<W> {
        // `GRANTED` is only set under the state's mutex, which the caller holds: a waiter
        // not granted now stands in this line.
        if ticket.is_granted() {
            return Removed {
                data: ticket.take_granted(),
                granted: true,
                waker: None,
            };
        }
        let linked = self.vacate(ticket.index());
        let (data, waker) = ticket.reclaim(linked);
        Removed {
            data,
            granted: false,
            waker,
        }
    }

    fn linked_mut(&mut self, key: Key) -> &mut Linked<W> {
        self.entries[key]
            .linked
            .as_mut()
            .expect("toro: waiter key points at a vacant entry")
    }

    /// Unlinks the waiter at `key` and frees its entry; returns the line's handle on its
    /// node.
    fn vacate(&mut self, key: Key) -> Linked<W> {
        let Entry { linked, prev, next } = std::mem::replace(
            &mut self.entries[key],
            Entry {
                linked: None,
                prev: NIL,
                next: self.free,
            },
        );
        let linked = linked.expect("toro: waiter key points at a vacant entry");
        match key_at(prev) {
            Some(p) => self.entries[p].next = next,
            None => self.head = next,
        }
        match key_at(next) {
            Some(n) => self.entries[n].prev = prev,
            None => self.tail = prev,
        }
        self.free = link_to(key);
        self.len -= 1;
        if self.entries.len() > MIN_ENTRIES && (self.len as usize) < self.entries.len() / 4 {
            self.compact();
        }
        linked
    }

    /// Moves the waiters in line to the front of a slab twice their number (none when the
    /// line is empty), in line order, and tells each node its new place.
    ///
    /// Reached only when fewer than a quarter of the entries are in use, so at least
    /// half as many removals as the line's length came since the last compaction or
    /// growth: amortised O(1) per removal, and a line that empties gives its memory back.
    #[cold]
    fn compact(&mut self) {
        let len = self.len as usize;
        let mut entries = Vec::with_capacity(if len == 0 {
            0
        } else {
            (2 * len).max(MIN_ENTRIES)
        });
        let mut at = self.head;
        while let Some(key) = key_at(at) {
            let entry = &mut self.entries[key];
            at = entry.next;
            let linked = entry.linked.take().expect("a vacant entry in line");
            let new = entries.len();
            linked.set_index(new);
            entries.push(Entry {
                linked: Some(linked),
                prev: if new == 0 { NIL } else { link_to(new - 1) },
                next: link_to(new + 1),
            });
        }
        if let Some(last) = entries.last_mut() {
            last.next = NIL;
        }
        self.head = if len == 0 { NIL } else { 0 };
        self.tail = if len == 0 { NIL } else { link_to(len - 1) };
        self.free = NIL;
        self.entries = entries;
    }

    /// Bytes of slab memory the line holds (for the waiter-memory tests).
    #[cfg(test)]
    pub(crate) fn slab_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<W>>()
    }
}

/// A waiter taken out of its [`WaiterList`].
pub(crate) struct Removed<W> {
    pub(crate) data: W,
    pub(crate) granted: bool,
    /// The waker it stored, if it was not granted: drop it after the mutex is released.
    pub(crate) waker: Option<Waker>,
}

/// Wakers collected under a primitive's mutex, woken after it is released.
///
/// Most calls wake nobody or one waiter: the first waker lives inline, so building,
/// filling and waking an empty or single list costs a few moves and no allocation.
///
/// Every list must end in [`wake_all`](Self::wake_all); a list dropped with wakers in it
/// would lose wake-ups. The list has no `Drop` of its own in release builds (drop glue on
/// every queue operation was measurable); debug builds assert that it was emptied.
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    #[inline]
    pub(crate) const fn new() -> Self {
        WakeList {
            first: None,
            rest: Vec::new(),
        }
    }

    /// Whether nobody is to be woken.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected, oldest first. Call with no mutex held.
    ///
    /// A waker whose `wake` panics does not cost the others their wake-up: the rest are
    /// still woken, then the panic goes on.
    #[inline]
    pub(crate) fn wake_all(mut self) {
        let first = self.first.take();
        let rest = std::mem::take(&mut self.rest);
        // Emptied: skip the drop glue (and the debug check), measurable on every release.
        std::mem::forget(self);
        if let Some(first) = first {
            if rest.is_empty() {
                first.wake();
            } else {
                wake_many(first, rest);
            }
        }
    }
}

#[cold]
fn wake_many(first: Waker, rest: Vec<Waker>) {
    /// The wakers not woken yet; its drop wakes them if a `wake` panicked.
    struct Remaining(std::vec::IntoIter<Waker>);

    impl Drop for Remaining {
        fn drop(&mut self) {
            // Reached with wakers left only while unwinding from a panicking `wake`: wake
            // each of the rest on its own, so that one more panic loses nothing either
            // (and does not abort the process).
            for waker in &mut self.0 {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
            }
        }
    }

    let mut remaining = Remaining(rest.into_iter());
    first.wake();
    for waker in &mut remaining.0 {
        waker.wake();
    }
}

#[cfg(debug_assertions)]
impl Drop for WakeList {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                self.first.is_none(),
                "a WakeList was dropped without wake_all: lost wake-ups"
            );
        }
    }
}

/// How one kind of waiter stands in one primitive's line: where the line is, and how to
/// undo a waiter's progress when it leaves.
///
/// Implemented by zero-sized marker types, so that one primitive may keep several lines
/// (a semaphore's acquirers and its `wait()`ers) under the same mutex.
pub(crate) trait Line {
    /// The primitive the line belongs to.
    type Target;
    /// What the primitive's mutex guards.
    type State;
    /// Each waiter's data: its request, and what it has been granted.
    type Data;

    /// Whether a grant holds something to give back ([`return_grant`](Self::return_grant)
    /// does something): if not, dropping an unreturned grant touches no lock.
    const RETURNS_GRANTS: bool = false;

    fn state(target: &Self::Target) -> &Mutex<Self::State>;

    fn list(state: &mut Self::State) -> &mut WaiterList<Self::Data>;

    /// A waiter left the line before it was granted (timed out or dropped); `data` is what
    /// it held. Undo any partial progress (tokens granted so far) and tidy the state.
    fn left_line(
        _target: &Self::Target,
        _state: &mut Self::State,
        _data: &mut Self::Data,
        _wakes: &mut WakeList,
    ) {
    }

    /// A waiter was granted but its future was dropped before returning the grant: give
    /// it back (release the token, put the item back, pass the wake-up on).
    fn return_grant(
        _target: &Self::Target,
        _state: &mut Self::State,
        _data: Self::Data,
        _wakes: &mut WakeList,
    ) {
    }
}

/// What a wait future holds on to its primitive by: a borrow (`&'a Lock`), or an `Arc` of
/// the primitive for the owned forms (`Lock::acquire_owned`). It reaches the target of the
/// line (a token pool, a queue engine) inside the primitive.
pub(crate) trait Anchor<T> {
    fn anchor(&self) -> &T;
}

impl<T> Anchor<T> for &T {
    #[inline]
    fn anchor(&self) -> &T {
        self
    }
}

/// A place in a primitive's line, held by a future: the shared half of every toro wait.
///
/// Polling returns the waiter's data once it has been granted; [`give_up`](Self::give_up)
/// leaves the line (used at a deadline), and dropping it undoes whatever it was given.
///
/// `R` is how it holds on to the primitive ([`Anchor`]). It is handed on with the grant to
/// whatever the wait turns into (a guard), so an owned wait moves its `Arc` into its guard
/// instead of cloning it.
pub(crate) struct Waiter<R: Anchor<L::Target>, L: Line> {
    /// `Some` until the waiter completes and hands it on.
    owner: Option<R>,
    /// `Some` while the waiter stands in line or holds a grant it has not taken.
    ticket: Option<Ticket<L::Data>>,
    _line: PhantomData<fn() -> L>,
}

impl<R: Anchor<L::Target>, L: Line> Waiter<R, L> {
    /// Joins the back of the line. The caller holds the state's mutex (through `state`).
    pub(crate) fn enqueue(owner: R, state: &mut L::State, data: L::Data) -> Self {
        let ticket = L::list(state).push_back(data);
        Waiter::queued(owner, ticket)
    }

    /// The waiter holding `ticket`, which the caller pushed into `L`'s list (for an owner
    /// that the state's mutex guard borrows from, so it could not move into
    /// [`enqueue`](Self::enqueue)).
    pub(crate) fn queued(owner: R, ticket: Ticket<L::Data>) -> Self {
        Waiter {
            owner: Some(owner),
            ticket: Some(ticket),
            _line: PhantomData,
        }
    }

    #[inline]
    fn owner(&self) -> &R {
        self.owner
            .as_ref()
            .expect("toro future used after it completed")
    }

    /// Whether the waiter is still in line or holds an unreturned grant.
    pub(crate) fn is_pending(&self) -> bool {
        self.ticket.is_some()
    }

    /// The grant, and the owner handed on, once the waiter has been granted. Takes no
    /// lock (see [`Ticket::poll`]).
    #[inline]
    pub(crate) fn poll_granted(&mut self, cx: &mut Context<'_>) -> Poll<(R, L::Data)> {
        let ticket = self
            .ticket
            .as_mut()
            .expect("toro future polled after it completed");
        match ticket.poll(cx) {
            Poll::Ready(data) => {
                self.ticket = None;
                Poll::Ready((self.take_owner(), data))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Leaves the line: `Ok(grant)` if a grant came first (it wins over the deadline),
    /// otherwise `Err(data)` with whatever the waiter carried, its partial progress undone.
    /// The owner stays with the waiter.
    pub(crate) fn give_up(&mut self) -> Result<L::Data, L::Data> {
        let mut ticket = self
            .ticket
            .take()
            .expect("toro future given up after it completed");
        if ticket.is_granted() {
            return Ok(ticket.take_granted());
        }
        let target = self.owner().anchor();
        let mut wakes = WakeList::new();
        let (result, waker) = {
            let mut state = lock(L::state(target));
            let Removed {
                mut data,
                granted,
                waker,
            } = L::list(&mut state).remove(&mut ticket);
            if granted {
                (Ok(data), waker)
            } else {
                L::left_line(target, &mut state, &mut data, &mut wakes);
                (Err(data), waker)
            }
        };
        drop(waker);
        wakes.wake_all();
        result
    }

    fn take_owner(&mut self) -> R {
        self.owner
            .take()
            .expect("toro future used after it completed")
    }
}

impl<R: Anchor<L::Target>, L: Line> Drop for Waiter<R, L> {
    fn drop(&mut self) {
        if self.ticket.is_none() {
            return;
        }
        // Leave the line, undoing partial progress; a grant that came first is given back
        // like any unreturned grant. What a waiter in line carried (a blocked put's item)
        // is dropped with its future.
        if let Ok(data) = self.give_up() {
            if L::RETURNS_GRANTS {
                return_unreturned::<L>(self.owner().anchor(), data);
            }
        }
    }
}

/// A wait future's progress: granted (at the call, on the eager fast path, or later by a
/// release) or standing in line. Every public wait future is a `Stage` plus how to turn
/// a grant into its output.
///
/// A grant that was never turned into an output (the future was dropped unpolled after the
/// fast path took a token or an item) is given back on drop, exactly like a grant handed to
/// a waiter in line: nothing is lost whichever path granted it.
pub(crate) enum StageOf<R: Anchor<L::Target>, L: Line> {
    Granted {
        /// Both `Some` until the grant is turned into the output.
        owner: Option<R>,
        data: Option<L::Data>,
    },
    Waiting(Waiter<R, L>),
}

/// The stage of a wait that borrows its primitive.
pub(crate) type Stage<'a, L> = StageOf<&'a <L as Line>::Target, L>;

impl<R: Anchor<L::Target>, L: Line> StageOf<R, L> {
    /// A grant made at the call: the wait never stood in line.
    #[inline]
    pub(crate) fn granted(owner: R, data: L::Data) -> Self {
        StageOf::Granted {
            owner: Some(owner),
            data: Some(data),
        }
    }

    #[inline]
    pub(crate) fn poll_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        finish: impl FnOnce(R, L::Data) -> T,
    ) -> Poll<T> {
        match self {
            StageOf::Granted { owner, data } => {
                let data = data.take().expect("toro future polled after it completed");
                let owner = owner.take().expect("toro future polled after it completed");
                Poll::Ready(finish(owner, data))
            }
            StageOf::Waiting(waiter) => match waiter.poll_granted(cx) {
                Poll::Ready((owner, data)) => {
                    *self = StageOf::Granted {
                        owner: None,
                        data: None,
                    };
                    Poll::Ready(finish(owner, data))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// See [`Waiter::give_up`].
    #[inline]
    pub(crate) fn give_up_with<T>(
        &mut self,
        finish: impl FnOnce(R, L::Data) -> T,
    ) -> Result<T, L::Data> {
        match self {
            StageOf::Granted { owner, data } => {
                let data = data
                    .take()
                    .expect("toro future given up after it completed");
                let owner = owner
                    .take()
                    .expect("toro future given up after it completed");
                Ok(finish(owner, data))
            }
            StageOf::Waiting(waiter) => {
                let result = waiter.give_up();
                let owner = waiter.take_owner();
                *self = StageOf::Granted {
                    owner: None,
                    data: None,
                };
                result.map(|data| finish(owner, data))
            }
        }
    }

    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        matches!(self, StageOf::Granted { data: Some(_), .. })
    }

    /// Whether the future still stands in line (for `Debug`).
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self, StageOf::Waiting(w) if w.is_pending())
    }
}

impl<R: Anchor<L::Target>, L: Line> Drop for StageOf<R, L> {
    #[inline]
    fn drop(&mut self) {
        if let StageOf::Granted {
            owner: Some(owner),
            data,
        } = self
        {
            if let Some(data) = data.take() {
                if L::RETURNS_GRANTS {
                    return_unreturned::<L>(owner.anchor(), data);
                }
            }
        }
    }
}

#[cold]
#[inline(never)]
fn return_unreturned<L: Line>(target: &L::Target, data: L::Data) {
    let mut wakes = WakeList::new();
    L::return_grant(target, &mut lock(L::state(target)), data, &mut wakes);
    wakes.wake_all();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaiterList::new();
        let _a = list.push_back('a');
        let mut b = list.push_back('b');
        let _c = list.push_back('c');
        assert_eq!(list.len(), 3);
        let removed = list.remove(&mut b);
        assert_eq!((removed.data, removed.granted), ('b', false));
        let a = list.front().unwrap();
        assert_eq!(*list.data_mut(a), 'a');
        let c = list.next(a).unwrap();
        assert_eq!(*list.data_mut(c), 'c');
        let mut wakes = WakeList::new();
        assert!(list.grant_front(&mut wakes));
        wakes.wake_all();
        assert_eq!(list.len(), 1);
        assert_eq!(*list.data_mut(list.front().unwrap()), 'c');
        // The freed entries are reused.
        let _d = list.push_back('d');
        assert_eq!(list.entries.len(), 3);
    }

    #[test]
    fn a_granted_waiter_takes_its_grant_on_removal() {
        let mut list = WaiterList::new();
        let mut a = list.push_back(1);
        *list.data_mut(list.front().unwrap()) = 2;
        let mut wakes = WakeList::new();
        assert!(list.grant_front(&mut wakes));
        wakes.wake_all();
        assert!(list.is_empty());
        let removed = list.remove(&mut a);
        assert_eq!((removed.data, removed.granted), (2, true));
    }

    #[test]
    fn a_short_line_gives_its_slab_back_and_keeps_its_order() {
        let mut list = WaiterList::new();
        let mut tickets: Vec<_> = (0..10_000).map(|i| list.push_back(i)).collect();
        let big = list.slab_bytes();
        // Everyone but every 1000th leaves, from the back and the middle.
        for (i, ticket) in tickets.iter_mut().enumerate().rev() {
            if i % 1000 != 0 {
                let _ = list.remove(ticket);
            }
        }
        assert_eq!(list.len(), 10);
        assert!(
            list.slab_bytes() * 8 < big,
            "{} of {big} bytes kept",
            list.slab_bytes()
        );
        let mut order = Vec::new();
        let mut wakes = WakeList::new();
        while let Some(key) = list.front() {
            order.push(*list.data_mut(key));
            wakes.push(list.grant(key));
        }
        wakes.wake_all();
        assert_eq!(order, (0..10).map(|i| i * 1000).collect::<Vec<_>>());
        assert!(list.slab_bytes() <= MIN_ENTRIES * std::mem::size_of::<Entry<i32>>());
    }
}
