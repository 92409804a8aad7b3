//! [`WaiterList`]: a FIFO line of waiters, each with its own data, threaded through a
//! [`Slab`] as a doubly linked list; their [`Ticket`]s and [`Spot`]s.

use std::num::NonZeroU64;
use std::task::Waker;

use super::handed::HandedOver;
use super::slab::{Key, Link, NIL, Slab, key_at, link_to};
use super::wake::WakeList;

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
    #[inline]
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

    /// Every waiter's data, in line or granted, in no particular order (for debug
    /// assertions: nothing may depend on a scan of the line).
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
    #[inline]
    pub(crate) fn hand_over_front(&mut self, over: &HandedOver, wakes: &mut WakeList) -> bool {
        let Some(key) = self.front() else {
            return false;
        };
        over.pass(self.let_go(key, wakes));
        true
    }

    /// [`hand_over_front`](Self::hand_over_front) for the waiters in line, oldest first,
    /// while `eligible` holds for the front one's data. `over` moves once, past the last
    /// one: the waiters look at it only after the mutex is released (their wake-up), or
    /// under it.
    pub(crate) fn hand_over_while(
        &mut self,
        over: &HandedOver,
        wakes: &mut WakeList,
        eligible: impl Fn(&W) -> bool,
    ) {
        let mut last = None;
        while let Some(key) = self
            .front()
            .filter(|&key| eligible(&self.slab.at(key).data))
        {
            last = Some(self.let_go(key, wakes));
        }
        if let Some(ticket) = last {
            over.pass(ticket);
        }
    }

    /// Frees the entry of the waiter in line at `key` (it was handed its grant) and adds
    /// its waker to `wakes`; returns its ticket, for `over` to move past.
    #[inline]
    fn let_go(&mut self, key: Key, wakes: &mut WakeList) -> Ticket {
        let ticket = self.slab.at(key).ticket;
        // What it asked for is rebuilt by the waiter; nothing here is user code.
        let Removed { waker, .. } = self.remove(key);
        wakes.push(waker);
        ticket
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

    /// The slot of the waker to wake on grant ([`FreshWaker::park`] fills it).
    ///
    /// [`FreshWaker::park`]: super::FreshWaker::park
    #[inline]
    pub(crate) fn waker_slot(&mut self, key: Key) -> &mut Option<Waker> {
        &mut self.slab.at_mut(key).waker
    }

    /// Removes `key` for good, from the line or from the granted set. Returns its data,
    /// whether it had been granted, and its stored waker, to be dropped once the state's
    /// mutex is released.
    ///
    /// May compact the slab: every other key held outside the list must be
    /// [`locate`](Self::locate)d again before its next use.
    #[inline]
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

    #[inline]
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
    pub(super) link: Link,
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

    pub(super) fn new(link: Link, ticket: Ticket) -> Self {
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
pub(super) const FIRST_TICKET: Ticket = 1;

/// The ticket after `ticket`.
#[inline]
pub(super) fn next_ticket(ticket: Ticket) -> Ticket {
    ticket
        .checked_add(1)
        .expect("toro: 2^64 waiters joined one line")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::slab::KEEP_BYTES;
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
        let mut random = {
            let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d_u64);
            move |below: usize| next(below as u64) as usize
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
