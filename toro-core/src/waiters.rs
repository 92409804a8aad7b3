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
//! it lists have left. Entries hold only what a waiter carries: a queue's getter waits
//! with an index into the queue's slab of handed items, not with room for an item.
//!
//! # Two kinds of grant
//!
//! A grant that carries something (an item, a refusal) stays in the waiter's entry until
//! its future collects it under the mutex. A grant the waiter can rebuild from what it
//! asked for (a lock's tokens, an event's wake-up) is *handed over*: the line frees the
//! entry at once and moves a counter past the waiter's ticket ([`HandedOver`]), and the
//! future learns of it with one atomic load, without the mutex. (Per-waiter heap nodes,
//! the other way to skip that mutex, measured slower: the allocation and reference counts
//! cost more than the critical section they save.)
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

use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::task::{Context, Poll, Waker};

use crate::sync::{lock, AtomicU64, Mutex, Ordering};

/// Where a waiter stands in its [`WaiterList`]'s slab.
pub(crate) type Key = usize;

/// A link between slab entries: an index, or [`NIL`]. 32 bits keep each waiter's node and
/// every empty line small (a line longer than `u32::MAX - 1` waiters panics).
type Link = u32;
const NIL: Link = Link::MAX;

#[inline]
fn link_to(key: Option<Key>) -> Link {
    key.map_or(NIL, |key| {
        Link::try_from(key)
            .ok()
            .filter(|&l| l != NIL)
            .expect("toro: more than u32::MAX - 1 waiters in one line")
    })
}

#[inline]
fn key_at(link: Link) -> Option<Key> {
    (link != NIL).then_some(link as Key)
}

enum Place {
    Queued { prev: Link, next: Link },
    Granted,
}

struct Node<W> {
    data: W,
    waker: Option<Waker>,
    place: Place,
    /// The waiter's number in its line's order (see [`HandedOver`]); it also finds the
    /// waiter again after a compaction moved it ([`WaiterList::locate`]).
    ticket: Ticket,
}

enum Entry<V> {
    Occupied(V),
    Vacant { next_free: Link },
}

/// Above this many bytes of slab, a slab that empties gives its memory back, and one that
/// is mostly vacant is compacted: a burst of waiters does not keep its peak allocation for
/// good, and small slabs (most of them) never reallocate.
const KEEP_BYTES: usize = 4096;

/// A slab of values addressed by [`Key`]: a `Vec` with a free list, so inserting and
/// removing are O(1) and, once it has grown to the most values held at once, allocate
/// nothing. It gives its memory back when it empties (above [`KEEP_BYTES`]).
pub(crate) struct Slab<V> {
    entries: Vec<Entry<V>>,
    free: Link,
    /// Occupied entries.
    occupied: u32,
}

impl<V> Slab<V> {
    pub(crate) const fn new() -> Self {
        Slab {
            entries: Vec::new(),
            free: NIL,
            occupied: 0,
        }
    }

    pub(crate) fn insert(&mut self, value: V) -> Key {
        self.occupied += 1;
        match key_at(self.free) {
            Some(key) => {
                let Entry::Vacant { next_free } = self.entries[key] else {
                    unreachable!("free list points at an occupied entry")
                };
                self.free = next_free;
                self.entries[key] = Entry::Occupied(value);
                key
            }
            None => {
                // Checked before the push, so every key fits in a link.
                let key = self.entries.len();
                let _ = link_to(Some(key));
                self.entries.push(Entry::Occupied(value));
                key
            }
        }
    }

    /// Takes the value at `key` out; its key is free for the next insert.
    pub(crate) fn remove(&mut self, key: Key) -> V {
        let entry = std::mem::replace(
            &mut self.entries[key],
            Entry::Vacant {
                next_free: self.free,
            },
        );
        let Entry::Occupied(value) = entry else {
            unreachable!("removed a vacant entry")
        };
        self.free = link_to(Some(key));
        self.occupied -= 1;
        if self.occupied == 0 && self.bytes() > KEEP_BYTES {
            // Every entry is vacant (nothing of the user's left to drop): give it back.
            self.entries = Vec::new();
            self.free = NIL;
        }
        value
    }

    fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<V>>()
    }

    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&V> {
        match self.entries.get(key) {
            Some(Entry::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    #[inline]
    fn at(&self, key: Key) -> &V {
        self.get(key)
            .unwrap_or_else(|| unreachable!("key points at a vacant entry"))
    }

    #[inline]
    pub(crate) fn at_mut(&mut self, key: Key) -> &mut V {
        match &mut self.entries[key] {
            Entry::Occupied(value) => value,
            Entry::Vacant { .. } => unreachable!("key points at a vacant entry"),
        }
    }

    /// Whether at most a quarter of a large slab is occupied: then
    /// [`compact`](Self::compact) pays for itself. After a compaction the slab is full,
    /// so the next one comes only after at least three removals per value it moved: no
    /// thrash.
    pub(crate) fn is_sparse(&self) -> bool {
        self.occupied as usize * 4 <= self.entries.len() && self.bytes() > KEEP_BYTES
    }

    /// Moves every value to the front, in key order, and gives the rest of the memory
    /// back (keeping room to grow to twice as many values). Returns where each old key
    /// went. Moves only: no value is dropped, so no user code runs.
    pub(crate) fn compact(&mut self) -> Remap {
        let old = std::mem::take(&mut self.entries);
        let mut new_link = vec![NIL; old.len()];
        let mut entries = Vec::with_capacity(self.occupied as usize * 2);
        for (key, entry) in old.into_iter().enumerate() {
            if let Entry::Occupied(value) = entry {
                new_link[key] = link_to(Some(entries.len()));
                entries.push(Entry::Occupied(value));
            }
        }
        self.entries = entries;
        self.free = NIL;
        Remap(new_link)
    }

    /// Every value with its key.
    fn iter_mut(&mut self) -> impl Iterator<Item = (Key, &mut V)> {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(key, entry)| match entry {
                Entry::Occupied(value) => Some((key, value)),
                Entry::Vacant { .. } => None,
            })
    }
}

/// Where [`Slab::compact`] moved each value: the new link by old key ([`NIL`] for a
/// vacant one).
pub(crate) struct Remap(Vec<Link>);

impl Remap {
    fn link(&self, old: Link) -> Link {
        key_at(old).map_or(NIL, |key| self.0[key])
    }

    /// The new key of the value that was at `old`.
    pub(crate) fn key(&self, old: Key) -> Key {
        key_at(self.0[old]).expect("toro: remapped a vacant key")
    }
}

/// Where the waiters of a compacted line stand now, found by ticket: a waiter whose
/// entry is no longer at its key looks itself up here ([`WaiterList::locate`]). Kept
/// until every waiter it lists has left the line.
struct Moved {
    /// Tickets are stored as their age at the compaction, `base - ticket`: oldest first
    /// when sorted (tickets never wrap, see [`Ticket`]).
    base: Ticket,
    /// `(age, key)`, sorted by age.
    by_age: Vec<(Ticket, Link)>,
    /// How many of the listed waiters are still in the slab.
    live: u32,
}

impl Moved {
    fn find(&self, ticket: Ticket) -> Option<Link> {
        // A waiter that joined after the compaction was not moved by it.
        let age = self.base.checked_sub(ticket)?;
        self.by_age
            .binary_search_by_key(&age, |&(age, _)| age)
            .ok()
            .map(|at| self.by_age[at].1)
    }
}

/// A FIFO line of waiters, each with its own data (what it asks for and what it was given).
///
/// Waiters stand in a [`Slab`] linked into a doubly linked list, so joining, leaving from
/// anywhere in the line and being granted are all O(1). When the line is short again
/// after a burst, the slab is compacted and shrunk; the waiters it moved find their new
/// keys by ticket.
pub(crate) struct WaiterList<W> {
    slab: Slab<Node<W>>,
    head: Link,
    tail: Link,
    /// Waiters in line.
    queued: u32,
    /// The ticket of the next waiter to join (see [`Ticket`]: it never wraps).
    next_ticket: Ticket,
    /// After a compaction, until every waiter it moved has left: where they went.
    moved: Option<Box<Moved>>,
}

impl<W> WaiterList<W> {
    pub(crate) const fn new() -> Self {
        WaiterList {
            slab: Slab::new(),
            head: NIL,
            tail: NIL,
            queued: 0,
            next_ticket: FIRST_TICKET,
            moved: None,
        }
    }

    /// Waiters still in line (granted ones are not counted).
    pub(crate) fn len(&self) -> usize {
        self.queued as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Joins the line at the back: where the waiter stands, and its ticket.
    pub(crate) fn join(&mut self, data: W) -> Spot {
        let ticket = self.next_ticket;
        self.next_ticket = next_ticket(ticket);
        let key = self.slab.insert(Node {
            data,
            waker: None,
            place: Place::Queued {
                prev: self.tail,
                next: NIL,
            },
            ticket,
        });
        let link = link_to(Some(key));
        match key_at(self.tail) {
            Some(tail) => self.set_next(tail, link),
            None => self.head = link,
        }
        self.tail = link;
        self.queued += 1;
        Spot::new(link, ticket)
    }

    /// Moves the ticket counter on by `n`, as if `n` waiters had joined and left without
    /// a grant: lets a test start a line next to a boundary of its counter.
    #[cfg(any(test, loom))]
    pub(crate) fn skip_tickets(&mut self, n: Ticket) {
        self.next_ticket += n;
    }

    /// Where the waiter that joined at `spot` stands now: its key, unless a compaction
    /// moved it since. Every use of a key held outside the list (by a future) goes
    /// through here first, under the mutex.
    #[inline]
    pub(crate) fn locate(&self, spot: Spot) -> Key {
        match &self.moved {
            None => spot.key(),
            Some(moved) => self.relocate(moved, spot),
        }
    }

    #[cold]
    fn relocate(&self, moved: &Moved, spot: Spot) -> Key {
        match self.slab.get(spot.key()) {
            Some(node) if node.ticket == spot.ticket() => spot.key(),
            _ => moved
                .find(spot.ticket())
                .and_then(key_at)
                .expect("toro: a waiter is neither at its key nor among the moved ones"),
        }
    }

    /// The oldest waiter still in line.
    pub(crate) fn front(&self) -> Option<Key> {
        key_at(self.head)
    }

    /// The waiter behind `key` in line (`key` must be queued).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn next(&self, key: Key) -> Option<Key> {
        match self.slab.at(key).place {
            Place::Queued { next, .. } => key_at(next),
            Place::Granted => None,
        }
    }

    /// Every waiter's data, in line or granted, in no particular order.
    pub(crate) fn data_iter_mut(&mut self) -> impl Iterator<Item = &mut W> {
        self.slab.iter_mut().map(|(_, node)| &mut node.data)
    }

    pub(crate) fn data_mut(&mut self, key: Key) -> &mut W {
        &mut self.slab.at_mut(key).data
    }

    pub(crate) fn is_granted(&self, key: Key) -> bool {
        matches!(self.slab.at(key).place, Place::Granted)
    }

    /// Takes `key` out of line as granted: its future will find the grant in its data.
    /// Returns the waker to wake once the state's mutex is released.
    pub(crate) fn grant(&mut self, key: Key) -> Option<Waker> {
        self.unlink(key);
        let node = self.slab.at_mut(key);
        node.place = Place::Granted;
        node.waker.take()
    }

    /// Grants the oldest waiter, if any, and lets go of it at once: its entry is freed and
    /// `over` moves past its ticket, so its future learns of the grant from `over` alone,
    /// without the mutex, and rebuilds what it was given ([`Line::handed_grant`]). Adds its
    /// waker to `wakes`.
    pub(crate) fn hand_over_front(&mut self, over: &HandedOver, wakes: &mut WakeList) -> bool {
        let Some(key) = self.front() else {
            return false;
        };
        let ticket = self.slab.at(key).ticket;
        // What it asked for is rebuilt by the waiter; nothing here is user code.
        let Removed { waker, .. } = self.remove(key);
        over.pass(ticket);
        wakes.push(waker);
        true
    }

    /// [`hand_over_front`](Self::hand_over_front) for the waiters in line, oldest first,
    /// while `eligible` holds for the front one's data.
    pub(crate) fn hand_over_while(
        &mut self,
        over: &HandedOver,
        wakes: &mut WakeList,
        eligible: impl Fn(&W) -> bool,
    ) {
        while self
            .front()
            .is_some_and(|key| eligible(&self.slab.at(key).data))
        {
            self.hand_over_front(over, wakes);
        }
    }

    /// Grants the oldest waiter, if any, adding its waker to `wakes`.
    pub(crate) fn grant_front(&mut self, wakes: &mut WakeList) -> Option<Key> {
        let key = key_at(self.head)?;
        wakes.push(self.grant(key));
        Some(key)
    }

    /// Grants every waiter in line, oldest first.
    pub(crate) fn grant_all(&mut self, wakes: &mut WakeList) {
        while self.grant_front(wakes).is_some() {}
    }

    /// Whether the stored waker would wake the same task as `waker`.
    pub(crate) fn waker_will_wake(&self, key: Key, waker: &Waker) -> bool {
        matches!(&self.slab.at(key).waker, Some(old) if old.will_wake(waker))
    }

    /// Stores the waker to wake on grant. Returns the waker it replaced, to be dropped once
    /// the state's mutex is released (its `Drop` is user code, which may call back into
    /// the primitive); the new one was cloned before the mutex was taken, for the same
    /// reason.
    #[must_use = "drop the replaced waker after the state's mutex is released"]
    pub(crate) fn store_waker(&mut self, key: Key, waker: Waker) -> Option<Waker> {
        self.slab.at_mut(key).waker.replace(waker)
    }

    /// Removes `key` for good, from the line or from the granted set. Returns its data,
    /// whether it had been granted, and its stored waker, to be dropped once the state's
    /// mutex is released.
    ///
    /// May compact the slab: every other key held outside the list must be
    /// [`locate`](Self::locate)d again before its next use.
    pub(crate) fn remove(&mut self, key: Key) -> Removed<W> {
        let granted = self.is_granted(key);
        if !granted {
            self.unlink(key);
        }
        let node = self.slab.remove(key);
        if let Some(moved) = &mut self.moved {
            if moved.find(node.ticket).is_some() {
                moved.live -= 1;
                if moved.live == 0 {
                    self.moved = None;
                }
            }
        }
        if self.slab.is_sparse() {
            self.compact();
        }
        Removed {
            data: node.data,
            granted,
            waker: node.waker,
        }
    }

    /// Compacts the slab (see [`Slab::compact`]), keeping the line's links, and lists
    /// where every waiter went.
    #[cold]
    #[inline(never)]
    fn compact(&mut self) {
        let remap = self.slab.compact();
        let remap = |link: Link| remap.link(link);
        let base = self.next_ticket;
        let mut by_age = Vec::with_capacity(self.slab.occupied as usize);
        for (key, node) in self.slab.iter_mut() {
            if let Place::Queued { prev, next } = &mut node.place {
                *prev = remap(*prev);
                *next = remap(*next);
            }
            by_age.push((base - node.ticket, link_to(Some(key))));
        }
        self.head = remap(self.head);
        self.tail = remap(self.tail);
        by_age.sort_unstable_by_key(|&(age, _)| age);
        self.moved = Some(Box::new(Moved {
            base,
            live: self.slab.occupied,
            by_age,
        }));
    }

    fn set_next(&mut self, key: Key, to: Link) {
        if let Place::Queued { next, .. } = &mut self.slab.at_mut(key).place {
            *next = to;
        }
    }

    fn set_prev(&mut self, key: Key, to: Link) {
        if let Place::Queued { prev, .. } = &mut self.slab.at_mut(key).place {
            *prev = to;
        }
    }

    fn unlink(&mut self, key: Key) {
        let Place::Queued { prev, next } = self.slab.at(key).place else {
            unreachable!("unlinked a waiter that is not in line")
        };
        match key_at(prev) {
            Some(p) => self.set_next(p, next),
            None => self.head = next,
        }
        match key_at(next) {
            Some(n) => self.set_prev(n, prev),
            None => self.tail = prev,
        }
        self.queued -= 1;
    }
}

/// A waiter taken out of its [`WaiterList`].
pub(crate) struct Removed<W> {
    pub(crate) data: W,
    pub(crate) granted: bool,
    /// The waker it stored, if it was not granted: drop it after the mutex is released.
    pub(crate) waker: Option<Waker>,
}

/// Where a waiter that just joined stands: its key, and its ticket (which finds it again
/// should a compaction move it: [`WaiterList::locate`]). Two words, with a niche (a
/// ticket is never 0), so that `Option<Spot>` comes back from a function in registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spot {
    link: Link,
    ticket: NonZeroU64,
}

impl Spot {
    /// The spot of no waiter: a slow path answers with it where `None` already means
    /// something else (two words hold an `Option<Spot>`, not a third state).
    pub(crate) const NOWHERE: Spot = Spot {
        link: NIL,
        ticket: NonZeroU64::MAX,
    };

    /// Whether this is [`NOWHERE`](Self::NOWHERE).
    #[inline]
    pub(crate) fn is_nowhere(self) -> bool {
        self.link == NIL
    }

    fn new(link: Link, ticket: Ticket) -> Self {
        Spot {
            link,
            ticket: NonZeroU64::new(ticket).expect("toro: tickets start at 1"),
        }
    }

    /// Its key when it joined.
    #[inline]
    pub(crate) fn key(self) -> Key {
        self.link as Key
    }

    /// Its ticket.
    #[inline]
    pub(crate) fn ticket(self) -> Ticket {
        self.ticket.get()
    }
}

/// A waiter's number in its line: tickets are handed out in the order waiters join,
/// starting at [`FIRST_TICKET`], and are compared as plain numbers.
///
/// They never wrap in a real program: a line hands out one ticket per join, and 2^64
/// joins at one per nanosecond take 584 years. (32-bit tickets, compared within half their
/// range, did wrap: 2^31 waits abandoned without a grant made a new waiter's ticket read
/// as granted.) Should a line ever get there, [`next_ticket`] panics rather than wrap.
pub(crate) type Ticket = u64;

/// The first ticket of a line; 0 is never a ticket, so a [`Spot`] has a niche.
const FIRST_TICKET: Ticket = 1;

/// The ticket after `ticket`.
#[inline]
fn next_ticket(ticket: Ticket) -> Ticket {
    ticket
        .checked_add(1)
        .expect("toro: 2^64 waiters joined one line")
}

/// How far a line has handed grants over: every waiter whose ticket is below this one was
/// granted and let go of by the line ([`WaiterList::hand_over_front`]), or has left it.
///
/// Grants are made to the front of the line, in ticket order, so one counter tells every
/// waiter whether it was granted: its future reads it with one atomic load, without the
/// primitive's mutex, where a waiter whose grant stays in its entry (an item, a refusal)
/// must take the mutex to collect it. Written only under the primitive's mutex.
///
/// It moves only when a grant is handed over, so a waiter that left the line without one
/// leaves it behind: the distance from it to the newest ticket grows with every wait that
/// ends without a grant, and the distance from an old ticket to it with every hand-over.
/// Both are unbounded, which is why tickets and this counter are 64 bits wide and compared
/// as plain numbers ([`Ticket`]).
pub(crate) struct HandedOver(AtomicU64);

impl HandedOver {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        HandedOver(AtomicU64::new(FIRST_TICKET))
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        HandedOver(AtomicU64::new(FIRST_TICKET))
    }

    /// Every waiter up to `ticket` has been handed its grant. Mutex held.
    fn pass(&self, ticket: Ticket) {
        // Release: what the granter did (tokens moved, data written) is seen by the waiter
        // that sees its ticket covered.
        self.0.store(next_ticket(ticket), Ordering::Release);
    }

    /// Whether the waiter holding `ticket` was handed its grant (or left the line).
    #[inline]
    pub(crate) fn covers(&self, ticket: Ticket) -> bool {
        ticket < self.0.load(Ordering::Acquire)
    }

    /// Moves the counter on by `n`, as if `n` grants had been handed over: with
    /// [`WaiterList::skip_tickets`], lets a test start a line next to a boundary of its
    /// counters. Mutex held, nobody in line.
    #[cfg(any(test, loom))]
    pub(crate) fn skip(&self, n: Ticket) {
        let now = self.0.load(Ordering::Relaxed);
        self.0.store(now + n, Ordering::Release);
    }
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
    /// What a granted waiter's future takes away: its data itself in most lines
    /// ([`grants_are_data!`]); a queue's getter keeps only where its item waits, so a
    /// line's entries hold no room for items nobody carries.
    type Grant;

    /// Turns a granted waiter's data into its grant, under the mutex, as its future
    /// collects it.
    fn collect(state: &mut Self::State, data: Self::Data) -> Self::Grant;

    /// Whether a grant holds something to give back ([`return_grant`](Self::return_grant)
    /// does something): if not, dropping an unreturned grant touches no lock.
    const RETURNS_GRANTS: bool = false;

    fn state(target: &Self::Target) -> &Mutex<Self::State>;

    /// For a line whose grants are handed over ([`WaiterList::hand_over_front`]): how far
    /// it has handed them. A waiter covered by it is granted, with no entry left to
    /// collect.
    fn handed_over(_target: &Self::Target) -> Option<&HandedOver> {
        None
    }

    /// What a waiter that asked for `asked` (its [`Waiter::queued`] argument) was given
    /// when its grant was handed over.
    fn handed_grant(_asked: usize) -> Self::Grant {
        unreachable!("toro: a grant handed over in a line that keeps its grants")
    }

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
        _grant: Self::Grant,
        _wakes: &mut WakeList,
    ) {
    }
}

/// The usual [`Line::Grant`]: a granted waiter's future takes its data as it is.
macro_rules! grants_are_data {
    () => {
        type Grant = <Self as $crate::waiters::Line>::Data;

        #[inline]
        fn collect(
            _: &mut <Self as $crate::waiters::Line>::State,
            data: <Self as $crate::waiters::Line>::Data,
        ) -> <Self as $crate::waiters::Line>::Data {
            data
        }
    };
}
pub(crate) use grants_are_data;

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

/// A yes/no field of a wait future, as wide as the 32-bit key it sits beside (the two fill
/// one word). A future is built by its primitive and then copied, word by word, into the
/// task that awaits it; a `bool` would be stored as a byte and read back by a wide load,
/// which stalls on store forwarding.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Flag {
    No = 0,
    Yes = 1,
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
    /// Where it stands in line, as a link: [`NIL`] once it completed (32 bits, like every
    /// link, keep the future small).
    key: Link,
    ticket: Ticket,
    /// What it asked for, to rebuild a grant handed over ([`Line::handed_grant`]).
    asked: usize,
    /// Whether a waker is stored in the waiter's node (after its first pending poll).
    waker_stored: Flag,
    _line: PhantomData<fn() -> L>,
}

impl<R: Anchor<L::Target>, L: Line> Waiter<R, L> {
    /// Joins the back of the line. The caller holds the state's mutex (through `state`).
    pub(crate) fn enqueue(owner: R, state: &mut L::State, data: L::Data) -> Self {
        let spot = L::list(state).join(data);
        Waiter::queued(owner, spot, 0)
    }

    /// The waiter standing at `spot`, which the caller put into `L`'s list (for an owner
    /// that the state's mutex guard borrows from, so it could not move into
    /// [`enqueue`](Self::enqueue)); `asked` is what [`Line::handed_grant`] rebuilds its
    /// grant from.
    pub(crate) fn queued(owner: R, spot: Spot, asked: usize) -> Self {
        Waiter {
            owner: Some(owner),
            key: spot.link,
            ticket: spot.ticket(),
            asked,
            waker_stored: Flag::No,
            _line: PhantomData,
        }
    }

    /// Whether the line handed this waiter its grant (see [`HandedOver`]): then its entry
    /// is gone, and its key must not be used.
    #[inline]
    fn handed_over(&self) -> bool {
        L::handed_over(self.owner().anchor()).is_some_and(|over| over.covers(self.ticket))
    }

    #[inline]
    fn owner(&self) -> &R {
        self.owner
            .as_ref()
            .expect("toro future used after it completed")
    }

    /// Where it joined the line (its key may be stale: [`WaiterList::locate`]).
    fn spot(&self) -> Spot {
        assert!(self.key != NIL, "toro future used after it completed");
        Spot::new(self.key, self.ticket)
    }

    /// Whether the waiter is still in line or holds an unreturned grant.
    pub(crate) fn is_pending(&self) -> bool {
        self.key != NIL
    }

    /// The grant, and the owner handed on, once the waiter has been granted.
    pub(crate) fn poll_granted(&mut self, cx: &mut Context<'_>) -> Poll<(R, L::Grant)> {
        assert!(self.key != NIL, "toro future polled after it completed");
        if self.handed_over() {
            return Poll::Ready(self.take_handed());
        }
        // A waker's clone and drop are user code and never run under the mutex. The first
        // poll must store a waker, so it clones before locking; a later poll compares
        // under the lock and, only if the task's waker changed, clones outside it and
        // looks again.
        let mut fresh = (self.waker_stored == Flag::No).then(|| cx.waker().clone());
        loop {
            let mut state = lock(L::state(self.owner().anchor()));
            // Under the mutex a hand-over cannot come between this look and the key's use.
            if self.handed_over() {
                drop(state);
                drop(fresh);
                return Poll::Ready(self.take_handed());
            }
            let list = L::list(&mut state);
            let key = list.locate(self.spot());
            if list.is_granted(key) {
                // A granted waiter's waker was taken by the grant: nothing to drop.
                let data = list.remove(key).data;
                let grant = L::collect(&mut state, data);
                drop(state);
                drop(fresh);
                self.key = NIL;
                return Poll::Ready((self.take_owner(), grant));
            }
            let replaced = match fresh.take() {
                Some(waker) => list.store_waker(key, waker),
                None if list.waker_will_wake(key, cx.waker()) => None,
                None => {
                    drop(state);
                    fresh = Some(cx.waker().clone());
                    continue;
                }
            };
            drop(state);
            drop(replaced);
            // Found again without the ticket next time.
            self.key = link_to(Some(key));
            self.waker_stored = Flag::Yes;
            return Poll::Pending;
        }
    }

    /// Leaves the line: `Ok(grant)` if a grant came first (it wins over the deadline),
    /// otherwise `Err(data)` with whatever the waiter carried, its partial progress undone.
    /// The owner stays with the waiter.
    pub(crate) fn give_up(&mut self) -> Result<L::Grant, L::Data> {
        let spot = self.spot();
        self.key = NIL;
        if self.handed_over() {
            return Ok(L::handed_grant(self.asked));
        }
        let target = self.owner().anchor();
        let mut wakes = WakeList::new();
        let (result, waker) = {
            let mut state = lock(L::state(target));
            if self.handed_over() {
                return Ok(L::handed_grant(self.asked));
            }
            let Removed {
                mut data,
                granted,
                waker,
            } = {
                let list = L::list(&mut state);
                list.remove(list.locate(spot))
            };
            if granted {
                (Ok(L::collect(&mut state, data)), waker)
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

    /// Completes a waiter whose grant was handed over.
    fn take_handed(&mut self) -> (R, L::Grant) {
        self.key = NIL;
        (self.take_owner(), L::handed_grant(self.asked))
    }
}

impl<R: Anchor<L::Target>, L: Line> Drop for Waiter<R, L> {
    fn drop(&mut self) {
        if self.key == NIL {
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
        data: Option<L::Grant>,
    },
    Waiting(Waiter<R, L>),
}

/// The stage of a wait that borrows its primitive.
pub(crate) type Stage<'a, L> = StageOf<&'a <L as Line>::Target, L>;

impl<R: Anchor<L::Target>, L: Line> StageOf<R, L> {
    /// A grant made at the call: the wait never stood in line.
    #[inline]
    pub(crate) fn granted(owner: R, data: L::Grant) -> Self {
        StageOf::Granted {
            owner: Some(owner),
            data: Some(data),
        }
    }

    /// The stage of an eager wait, from what its out-of-line slow path answered:
    /// `grant` at the call (`None`), or standing where it `joined` the line.
    ///
    /// # Why slow paths answer with a [`Spot`]
    ///
    /// An eager wait's inline fast path and its out-of-line slow path must not return
    /// the stage through memory they share: the fast path would then write its grant
    /// there with narrow stores, and the future's move into the task would read it back
    /// with wide loads, a store-forwarding stall on every wait awaited in a task
    /// (measured 5-10 ns per uncontended acquire). A slow path answers in registers (a
    /// `Spot` is two 32-bit words) and the inline caller builds the stage, in place.
    #[inline]
    pub(crate) fn granted_or_queued(owner: R, grant: L::Grant, joined: Option<Spot>) -> Self {
        match joined {
            None => StageOf::granted(owner, grant),
            Some(spot) => StageOf::Waiting(Waiter::queued(owner, spot, 0)),
        }
    }

    #[inline]
    pub(crate) fn poll_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        finish: impl FnOnce(R, L::Grant) -> T,
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
        finish: impl FnOnce(R, L::Grant) -> T,
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
fn return_unreturned<L: Line>(target: &L::Target, data: L::Grant) {
    let mut wakes = WakeList::new();
    L::return_grant(target, &mut lock(L::state(target)), data, &mut wakes);
    wakes.wake_all();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn handed_over_grants_free_their_entries_and_cover_their_tickets() {
        let over = HandedOver::new();
        let mut list = WaiterList::new();
        let a = list.join('a');
        let b = list.join('b');
        let c = list.join('c');
        assert!(!over.covers(a.ticket()));
        let mut wakes = WakeList::new();
        // `a` leaves; handing over the front now reaches `b`, and covers `a` too.
        let _ = list.remove(a.key());
        assert!(list.hand_over_front(&over, &mut wakes));
        wakes.wake_all();
        assert!(over.covers(a.ticket()) && over.covers(b.ticket()));
        assert!(!over.covers(c.ticket()));
        assert_eq!(list.len(), 1);
        assert_eq!(list.front(), Some(c.key()));
        // `b`'s entry is free again.
        assert_eq!(list.join('d').key(), b.key());
    }

    /// Entries that fill more than [`KEEP_BYTES`] of slab.
    const MANY: usize = 2 * KEEP_BYTES;

    #[test]
    fn a_line_short_again_is_compacted_and_its_waiters_found_by_ticket() {
        let mut list = WaiterList::new();
        let spots: Vec<Spot> = (0..MANY).map(|i| list.join(i)).collect();
        let full = list.slab.bytes();
        // Every waiter but every 16th leaves, from the front: survivors sit far apart.
        for (i, spot) in spots.iter().enumerate() {
            if i % 16 != 15 {
                let key = list.locate(*spot);
                assert_eq!(list.remove(key).data, i);
            }
        }
        assert_eq!(list.len(), MANY / 16);
        assert!(list.moved.is_some(), "a quarter full: compacted");
        assert!(
            list.slab.bytes() <= full / 4,
            "{} bytes of {full}",
            list.slab.bytes()
        );
        // Newcomers take the freed keys, which a moved waiter still holds.
        let newcomers: Vec<Spot> = (0..8).map(|i| list.join(MANY + i)).collect();
        // Each survivor finds its own entry; the line kept its order.
        let mut wakes = WakeList::new();
        let mut order = Vec::new();
        while let Some(key) = list.grant_front(&mut wakes) {
            order.push(*list.data_mut(key));
        }
        wakes.wake_all();
        let expected: Vec<usize> = (0..MANY)
            .filter(|i| i % 16 == 15)
            .chain(MANY..MANY + 8)
            .collect();
        assert_eq!(order, expected);
        for (i, spot) in spots.iter().enumerate().filter(|(i, _)| i % 16 == 15) {
            let key = list.locate(*spot);
            assert!(list.is_granted(key));
            assert_eq!(list.remove(key).data, i);
        }
        for (i, spot) in newcomers.iter().enumerate() {
            assert_eq!(list.remove(list.locate(*spot)).data, MANY + i);
        }
        assert!(
            list.moved.is_none(),
            "every moved waiter left: table dropped"
        );
        assert!(
            list.slab.bytes() <= KEEP_BYTES,
            "empty again: memory given back"
        );
    }

    /// Random joins, leaves and grants against a model: after any number of compactions
    /// every waiter finds its own data, and the line keeps its order.
    #[test]
    fn compactions_keep_every_waiter_and_the_order() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let mut list = WaiterList::new();
        // (spot, value, granted), in the order they joined.
        let mut model: Vec<(Spot, u32, bool)> = Vec::new();
        let mut next = 0;
        let mut compactions = 0;
        for round in 0..40 {
            // Bursts up, then down to a few.
            let target = if round % 2 == 0 {
                1 + random(3 * MANY)
            } else {
                random(8)
            };
            while model.len() < target {
                model.push((list.join(next), next, false));
                next += 1;
            }
            while model.len() > target {
                let at = random(model.len());
                if random(3) == 0 {
                    // Grant the front, then let a random one leave.
                    let mut wakes = WakeList::new();
                    if let Some(key) = list.grant_front(&mut wakes) {
                        let value = *list.data_mut(key);
                        let front = model.iter_mut().find(|w| !w.2).unwrap();
                        assert_eq!(front.1, value, "grants in joining order");
                        front.2 = true;
                    }
                    wakes.wake_all();
                }
                let (spot, value, granted) = model.remove(at);
                let had_table = list.moved.is_some();
                let removed = list.remove(list.locate(spot));
                assert_eq!((removed.data, removed.granted), (value, granted));
                if list.moved.is_some() && !had_table {
                    compactions += 1;
                }
            }
            assert_eq!(list.len(), model.iter().filter(|w| !w.2).count());
        }
        assert!(compactions > 3, "only {compactions} compactions");
    }

    /// 2^31 waits that ended without a grant (dropped, timed out) leave the handed-over
    /// counter 2^31 tickets behind the next waiter: it is still not granted. (With 32-bit
    /// tickets compared within half their range, it read as granted.)
    #[test]
    fn a_waiter_after_two_to_the_31_abandoned_waits_is_not_granted() {
        for abandoned in [1 << 31, (1 << 31) + 1, (1 << 32) + 2, 1 << 40] {
            let over = HandedOver::new();
            let mut list = WaiterList::new();
            list.skip_tickets(abandoned);
            let spot = list.join('w');
            assert!(
                !over.covers(spot.ticket()),
                "after {abandoned} abandoned waits"
            );
            let mut wakes = WakeList::new();
            assert!(list.hand_over_front(&over, &mut wakes));
            wakes.wake_all();
            assert!(over.covers(spot.ticket()));
            assert!(!over.covers(list.join('x').ticket()));
        }
    }

    /// A waiter handed its grant stays granted however many grants are handed over after
    /// it, so it never goes back to a key that another waiter now holds. (With 32-bit
    /// tickets, 2^31 later hand-overs made it read as not granted.)
    #[test]
    fn a_grant_stays_covered_after_two_to_the_31_later_hand_overs() {
        for later in [(1 << 31) + 1, (1 << 32) - 1, 1 << 32, 1 << 40] {
            let over = HandedOver::new();
            let mut list = WaiterList::new();
            let early = list.join('e');
            let mut wakes = WakeList::new();
            list.hand_over_front(&over, &mut wakes);
            // `later` waiters join and are handed over (the counters moved by as much),
            // and one more waits now, at `early`'s freed key.
            list.skip_tickets(later);
            over.skip(later);
            let now = list.join('n');
            assert_eq!(now.key(), early.key(), "the key was reused");
            assert!(
                over.covers(early.ticket()),
                "after {later} later hand-overs"
            );
            assert!(!over.covers(now.ticket()));
            list.hand_over_front(&over, &mut wakes);
            wakes.wake_all();
            assert!(over.covers(now.ticket()));
        }
    }

    /// Tickets are plain 64-bit numbers: crossing 2^32 (where 32-bit tickets wrapped)
    /// changes nothing, for hand-overs, compaction and the moved waiters' table alike.
    #[test]
    fn a_line_crossing_two_to_the_32_keeps_its_order() {
        let over = HandedOver::new();
        let mut list = WaiterList::new();
        list.skip_tickets((1 << 32) - FIRST_TICKET - 10);
        over.skip((1 << 32) - FIRST_TICKET - 10);
        // MANY waiters join across the boundary; all but every 16th leave: compacted.
        let spots: Vec<Spot> = (0..MANY).map(|i| list.join(i)).collect();
        assert!(spots[0].ticket() < 1 << 32 && spots[MANY - 1].ticket() > 1 << 32);
        for (i, spot) in spots.iter().enumerate() {
            if i % 16 != 15 {
                assert_eq!(list.remove(list.locate(*spot)).data, i);
            }
        }
        assert!(list.moved.is_some(), "compacted");
        let mut wakes = WakeList::new();
        for (i, spot) in spots.iter().enumerate().filter(|(i, _)| i % 16 == 15) {
            assert!(!over.covers(spot.ticket()));
            assert_eq!(
                list.front(),
                Some(list.locate(*spot)),
                "waiter {i} in order"
            );
            list.hand_over_front(&over, &mut wakes);
            assert!(over.covers(spot.ticket()));
        }
        wakes.wake_all();
        assert!(list.is_empty());
    }

    #[test]
    fn a_spot_fits_in_two_words() {
        assert_eq!(std::mem::size_of::<Option<Spot>>(), 16);
    }

    #[test]
    fn fifo_order_and_removal_from_the_middle() {
        let mut list = WaiterList::new();
        let a = list.join('a').key();
        let b = list.join('b').key();
        let c = list.join('c').key();
        assert_eq!(list.len(), 3);
        let _ = list.remove(b);
        assert_eq!(list.front(), Some(a));
        assert_eq!(list.next(a), Some(c));
        let mut wakes = WakeList::new();
        assert_eq!(list.grant_front(&mut wakes), Some(a));
        assert!(list.is_granted(a));
        assert_eq!(list.front(), Some(c));
        assert_eq!(list.len(), 1);
        let removed = list.remove(a);
        assert_eq!((removed.data, removed.granted), ('a', true));
        // The freed slot is reused.
        let d = list.join('d').key();
        assert!(d == a || d == b);
        assert_eq!(list.next(c), Some(d));
    }
}
