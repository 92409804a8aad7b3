//! What a [`TokenPool`] makes on first contention ([`PoolLine`]): the lines of acquirers
//! and of `wait()`ers under one mutex, and how the shared waiter mechanism sees them
//! ([`Acquirers`], [`Watchers`]).

use super::{Request, TokenPool};
use crate::sync::{AtomicUsize, Mutex};
use crate::waiters::{HandedOver, Line, WaiterList, WakeList, grants_are_data};

/// What a [`TokenPool`] makes on first contention.
pub(crate) struct PoolLine {
    /// Releasing past this many free tokens is refused. (Changed only by a bounded
    /// semaphore's `add_permits` and `forget_permits`, under the mutex.)
    pub(super) bound: AtomicUsize,
    /// Tokens whose guards were given up with `forget()`: the only ones a manual
    /// `release()` may give back, so that it can never free a token a live guard holds.
    pub(super) forgotten: AtomicUsize,
    /// How far whole grants have been handed to the acquirers' line: a granted acquirer
    /// learns of its grant here, without the mutex (a refusal by `close` stays in its
    /// entry, collected under the mutex).
    pub(super) handed: HandedOver,
    pub(super) lines: Mutex<Lines>,
}

impl PoolLine {
    pub(super) fn new(bound: usize) -> Self {
        PoolLine {
            bound: AtomicUsize::new(bound),
            forgotten: AtomicUsize::new(0),
            handed: HandedOver::new(),
            lines: Mutex::new(Lines {
                acquirers: WaiterList::new(),
                more: None,
            }),
        }
    }
}

pub(crate) struct Lines {
    pub(super) acquirers: WaiterList<Request>,
    /// What only some pools use, made when first needed: a `Semaphore`'s `wait()`ers and
    /// closing, an `RwLock`'s upgradable reads. A `Lock` never carries it.
    pub(super) more: Option<Box<MoreLines>>,
}

pub(crate) struct MoreLines {
    /// `Semaphore::wait()`ers.
    pub(super) watchers: WaiterList<()>,
    /// `Semaphore::close()` was called: acquirers are refused, and `QUEUED` stays set for
    /// good so that every acquire and release comes here (the word then shows the free
    /// tokens beside `QUEUED`).
    pub(super) closed: bool,
    /// An `RwLock`'s upgradable slot is taken: by an upgradable read, or by the upgrade
    /// it turned into, until that upgrade is collected (or given back).
    pub(super) upgradable: bool,
    /// The upgrade waiting for the rest of the tokens (at most one: only the slot's holder
    /// upgrades). It goes ahead of the acquirers' line: tokens go to it first.
    pub(super) upgrades: WaiterList<Request>,
}

impl Lines {
    #[inline]
    pub(super) fn closed(&self) -> bool {
        self.more.as_ref().is_some_and(|more| more.closed)
    }

    /// The `wait()`ers' line, if there ever was one.
    #[inline]
    pub(super) fn watchers(&mut self) -> Option<&mut WaiterList<()>> {
        self.more.as_mut().map(|more| &mut more.watchers)
    }

    pub(super) fn more(&mut self) -> &mut MoreLines {
        self.more.get_or_insert_with(|| {
            Box::new(MoreLines {
                watchers: WaiterList::new(),
                closed: false,
                upgradable: false,
                upgrades: WaiterList::new(),
            })
        })
    }

    /// Whether the upgradable slot is taken.
    #[inline]
    pub(super) fn slot_taken(&self) -> bool {
        self.more.as_ref().is_some_and(|more| more.upgradable)
    }

    /// Whether an upgrade waits ahead of the line.
    #[inline]
    pub(super) fn upgrading(&self) -> bool {
        self.more
            .as_ref()
            .is_some_and(|more| !more.upgrades.is_empty())
    }

    /// Hands up to `n` tokens to the upgrade waiting ahead of the line, if any; returns
    /// what is left. A whole upgrade is granted (its entry keeps the grant until its
    /// future collects it, which frees the slot).
    #[inline]
    pub(super) fn serve_upgrade(&mut self, n: usize, wakes: &mut WakeList) -> usize {
        let Some(more) = self.more.as_deref_mut() else {
            return n;
        };
        let Some(key) = more.upgrades.front() else {
            return n;
        };
        let request = more.upgrades.data_mut(key);
        let give = n.min(request.missing);
        request.missing -= give;
        request.held += give;
        if request.missing == 0 {
            wakes.push(more.upgrades.grant(key));
        }
        n - give
    }
}

/// The line of acquirers; with `SLOT`, the same line seen by an `RwLock`'s upgradable
/// reads, whose grant, never collected (its future dropped), gives the upgradable slot
/// back with the token.
pub(crate) enum AcquirersOf<const SLOT: bool> {}

/// The line of acquirers.
pub(crate) type Acquirers = AcquirersOf<false>;

/// The line of `Semaphore::wait()`ers: woken when a release leaves a token free.
pub(crate) enum Watchers {}

impl<const SLOT: bool> Line for AcquirersOf<SLOT> {
    type Target = TokenPool;
    type State = Lines;
    type Data = Request;
    grants_are_data!();
    const RETURNS_GRANTS: bool = true;

    fn state(pool: &TokenPool) -> &Mutex<Lines> {
        // Made now if an upgradable read granted at the call comes back unused (the pool was
        // never contended); a plain acquirer's grant goes back without it
        // (`return_grant_unlocked`).
        &pool.line().lines
    }

    fn list(lines: &mut Lines) -> &mut WaiterList<Request> {
        &mut lines.acquirers
    }

    fn handed_over(pool: &TokenPool) -> Option<&HandedOver> {
        Some(&pool.made_line().handed)
    }

    fn handed_grant(asked: usize) -> Request {
        Request::whole(asked)
    }

    fn left_line(pool: &TokenPool, lines: &mut Lines, request: &mut Request, wakes: &mut WakeList) {
        // Give back what a partial acquirer (a writer) was granted so far, to the next in
        // line; this also clears QUEUED when the line is now empty.
        let held = std::mem::take(&mut request.held);
        pool.hand_out(pool.made_line(), lines, held, wakes);
    }

    fn return_grant_unlocked(pool: &TokenPool, request: Request) -> Result<(), Request> {
        if SLOT {
            // The upgradable slot is given back under the mutex.
            return Err(request);
        }
        // As a guard's drop gives its tokens back: lock-free while nobody waits. Cannot be
        // refused (see `return_grant`).
        let _ = pool.release(request.held);
        Ok(())
    }

    fn return_grant(pool: &TokenPool, lines: &mut Lines, request: Request, wakes: &mut WakeList) {
        if SLOT {
            lines.more().upgradable = false;
        }
        // Cannot be refused: the tokens are out, and a manual `release()` gives back only
        // forgotten ones.
        let _ = pool.release_locked(pool.made_line(), lines, request.held, wakes);
    }
}

impl Line for Watchers {
    type Target = TokenPool;
    type State = Lines;
    type Data = ();
    grants_are_data!();

    fn state(pool: &TokenPool) -> &Mutex<Lines> {
        &pool.line().lines
    }

    fn list(lines: &mut Lines) -> &mut WaiterList<()> {
        &mut lines.more().watchers
    }

    fn left_line(pool: &TokenPool, lines: &mut Lines, _: &mut (), wakes: &mut WakeList) {
        pool.hand_out(pool.made_line(), lines, 0, wakes);
    }
}
