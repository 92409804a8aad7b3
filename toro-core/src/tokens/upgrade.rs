//! An `RwLock`'s upgradable reads, in token-pool terms.
//!
//! An upgradable read is one token, as a read is, plus the pool's **upgradable slot**
//! ([`MoreLines::upgradable`](super::lines::MoreLines)): one holder at a time. It needs no
//! more: a writer needs every token, so it cannot get in beside an upgradable read either,
//! and plain readers share the lock with it.
//!
//! - **Acquire.** Always under the mutex (the slot lives there). With nobody in line, a
//!   free token and the slot free, it takes both at the call; otherwise it joins the one
//!   FIFO line like any acquirer, its request marked as wanting the slot
//!   ([`Request::upgradable`]). At the head, it takes its token; if the slot is still
//!   taken it stays there and absorbs every token that comes (none may be free while a
//!   line stands), passing the surplus on once the slot is its own.
//! - **Upgrade.** The slot's holder asks for every other token. It **goes ahead of the
//!   line**: it takes the free tokens and those held by waiters in line (a writer at the
//!   head, which took every free token when it asked, would otherwise wait for the
//!   upgrader's token while the upgrader waits for its own: a deadlock), and waits for
//!   the rest in a line of its own ([`Upgrades`]), served before the acquirers. The
//!   waiters it took from miss those tokens again. Whole, it is a write (every token),
//!   and the slot is free again.
//! - **Release, downgrade.** The slot is freed under the mutex, with the token (or
//!   keeping it, for a downgrade), and the head of the line is served: an upgradable read
//!   waiting there for the slot gets it.

use super::lines::AcquirersOf;
use super::{Lines, ONE, QUEUED, Request, TokenPool};
use crate::sync::{Mutex, Ordering, lock};
use crate::waiters::{Anchor, Line, Spot, StageOf, Waiter, WaiterList, WakeList};

/// Upgradable reads in the acquirers' line: [`Acquirers`](super::Acquirers) in every way,
/// but a grant never collected (its future dropped) gives the upgradable slot back with
/// the token.
pub(crate) type UpgradableAcquirers = AcquirersOf<true>;

/// The line of an upgrade waiting for the rest of the tokens (at most one waiter).
pub(crate) enum Upgrades {}

impl TokenPool {
    /// Takes a token and the upgradable slot now, if both are free and nobody is in line.
    pub(crate) fn try_acquire_upgradable(&self) -> bool {
        let line = self.line();
        let mut lines = lock(&line.lines);
        if lines.slot_taken() {
            return false;
        }
        let mut s = self.state.load(Ordering::Acquire);
        while s & QUEUED == 0 && s / ONE >= 1 {
            match self
                .state
                .compare_exchange(s, s - ONE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    lines.more().upgradable = true;
                    return true;
                }
                Err(actual) => s = actual,
            }
        }
        false
    }

    /// Takes a token and the slot now (granted at the call), or joins the line for them.
    pub(crate) fn acquire_upgradable<R: Anchor<TokenPool>>(
        owner: R,
    ) -> StageOf<R, UpgradableAcquirers> {
        match owner.anchor().acquire_upgradable_slow() {
            None => StageOf::granted(owner, Request::whole(1)),
            Some(spot) => StageOf::Waiting(Waiter::queued(owner, spot, 1)),
        }
    }

    fn acquire_upgradable_slow(&self) -> Option<Spot> {
        let line = self.line();
        let mut lines = lock(&line.lines);
        let slot_taken = lines.slot_taken();
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let free = s / ONE;
            let (next, whole) = if s & QUEUED == 0 && !slot_taken && free >= 1 {
                (s - ONE, true)
            } else {
                // In line, holding every free token (a line holds them all).
                (QUEUED, false)
            };
            match self
                .state
                .compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if whole => {
                    lines.more().upgradable = true;
                    return None;
                }
                Ok(_) => return Some(lines.acquirers.join(Request::upgradable(free))),
                Err(actual) => s = actual,
            }
        }
    }

    /// Gives back an upgradable read's `n` tokens (0 for a downgrade, which keeps its
    /// read token) and the slot, serving the head of the line.
    pub(crate) fn release_upgradable(&self, n: usize) {
        let mut wakes = WakeList::new();
        {
            let line = self.made_line();
            let mut lines = lock(&line.lines);
            lines.more().upgradable = false;
            // Cannot be refused: these tokens are out.
            let _ = self.release_locked(line, &mut lines, n, &mut wakes);
        }
        wakes.wake_all();
    }

    /// Takes the `want` tokens an upgrade needs now, from the free ones and from waiters
    /// in line, or none if there are not that many. On success the slot is free again.
    pub(crate) fn try_upgrade(&self, want: usize) -> bool {
        let line = self.made_line();
        let mut lines = lock(&line.lines);
        let in_line = head_holds(&mut lines);
        let mut s = self.state.load(Ordering::Acquire);
        let from_free = loop {
            let free = s / ONE;
            if free + in_line < want {
                return false;
            }
            let take = free.min(want);
            if take == 0 {
                break 0;
            }
            match self.state.compare_exchange(
                s,
                s - take * ONE,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break take,
                Err(actual) => s = actual,
            }
        };
        take_from_line(&mut lines, want - from_free);
        lines.more().upgradable = false;
        true
    }

    /// An upgrade of the slot's holder to `want` more tokens: granted at the call, or
    /// waiting ahead of the line. `owner` carries the upgradable read's token in.
    pub(crate) fn upgrade<R: Anchor<TokenPool>>(owner: R, want: usize) -> StageOf<R, Upgrades> {
        match owner.anchor().upgrade_slow(want) {
            None => StageOf::granted(owner, Request::whole(want + 1)),
            Some(spot) => StageOf::Waiting(Waiter::queued(owner, spot, want + 1)),
        }
    }

    fn upgrade_slow(&self, want: usize) -> Option<Spot> {
        let line = self.made_line();
        let mut lines = lock(&line.lines);
        let mut got = take_from_line(&mut lines, want);
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let free = s / ONE;
            let take = free.min(want - got);
            let whole = got + take == want;
            // Waiting, it sets QUEUED in the same step: a token released meanwhile comes
            // through the mutex, to it, instead of showing free.
            let queued = if whole { s & QUEUED } else { QUEUED };
            match self.state.compare_exchange(
                s,
                ((free - take) * ONE) | queued,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    got += take;
                    break;
                }
                Err(actual) => s = actual,
            }
        }
        if got == want {
            lines.more().upgradable = false;
            return None;
        }
        let request = Request {
            missing: want - got,
            held: got + 1,
        };
        Some(lines.more().upgrades.join(request))
    }
}

/// The tokens the acquirers in line hold: only the head can hold any. A partial acquirer
/// (a writer) takes free tokens only when it joins an empty line (behind anyone, none are
/// free), tokens are handed to the head alone, and a head that leaves hands what it held
/// to the next, which becomes the head. So no scan of the line.
fn head_holds(lines: &mut Lines) -> usize {
    let acquirers = &mut lines.acquirers;
    let held = acquirers
        .front()
        .map_or(0, |head| acquirers.data_mut(head).held);
    debug_assert_eq!(
        acquirers.data_iter_mut().map(|r| r.held).sum::<usize>(),
        held,
        "an acquirer behind the head holds tokens"
    );
    held
}

/// Takes up to `want` tokens from the waiters in line (an upgrade goes ahead of them):
/// from the head, the only one that holds any ([`head_holds`]); says how many.
fn take_from_line(lines: &mut Lines, want: usize) -> usize {
    let acquirers = &mut lines.acquirers;
    let Some(head) = acquirers.front() else {
        return 0;
    };
    let request = acquirers.data_mut(head);
    let k = request.held.min(want);
    request.lose(k);
    k
}

impl Line for Upgrades {
    type Target = TokenPool;
    type State = Lines;
    type Data = Request;
    type Grant = Request;

    /// The upgrade is whole: it holds every token, and the slot is free for the next
    /// upgradable read (which gets in once the write is over).
    fn collect(lines: &mut Lines, request: Request) -> Request {
        lines.more().upgradable = false;
        request
    }

    const RETURNS_GRANTS: bool = true;

    fn state(pool: &TokenPool) -> &Mutex<Lines> {
        &pool.made_line().lines
    }

    fn list(lines: &mut Lines) -> &mut WaiterList<Request> {
        &mut lines.more().upgrades
    }

    /// Timed out or dropped: the tokens it gathered go to the head of the line; it keeps
    /// the upgradable read's own token (and the slot), which a deadline hands back.
    fn left_line(pool: &TokenPool, lines: &mut Lines, request: &mut Request, wakes: &mut WakeList) {
        let gathered = request.held - 1;
        request.held = 1;
        pool.hand_out(pool.made_line(), lines, gathered, wakes);
    }

    fn return_grant(pool: &TokenPool, lines: &mut Lines, request: Request, wakes: &mut WakeList) {
        let _ = pool.release_locked(pool.made_line(), lines, request.held, wakes);
    }

    const RETURNS_CARRIED: bool = true;

    /// An upgrade dropped in line: the upgradable read it carried goes too (its token and
    /// the slot).
    fn return_carried(pool: &TokenPool, lines: &mut Lines, request: Request, wakes: &mut WakeList) {
        lines.more().upgradable = false;
        let _ = pool.release_locked(pool.made_line(), lines, request.held, wakes);
    }
}
