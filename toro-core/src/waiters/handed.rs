//! [`HandedOver`]: how far a line has handed whole grants over, read by waiters without
//! the mutex.

use super::list::{FIRST_TICKET, Ticket, next_ticket};
use crate::sync::{AtomicU64, Ordering};

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
    crate::sync::const_fn! {
        pub(crate) fn new() -> Self {
            HandedOver(AtomicU64::new(FIRST_TICKET))
        }
    }

    /// Every waiter up to `ticket` has been handed its grant. Mutex held.
    pub(super) fn pass(&self, ticket: Ticket) {
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
