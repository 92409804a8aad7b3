//! What an acquirer holds: its [`Request`] while it waits (tokens missing, tokens held),
//! and the [`Held`] tokens a guard gives back when dropped.

use super::TokenPool;
use crate::waiters::{Anchor, Spot};

/// An acquirer's place in line: how many tokens it still misses and how many it holds.
///
/// Two words and nothing else: a grant made at the call is built and copied on every
/// uncontended acquire, and a byte-sized field beside the words made those copies stall
/// (a narrow store read back by a wide load: a store-forwarding stall per acquire).
pub(crate) struct Request {
    /// Tokens still to come; [`REFUSED`] once the semaphore was closed on the acquirer.
    pub(super) missing: usize,
    pub(super) held: usize,
}

/// [`Request::missing`] of an acquirer refused by `Semaphore::close` (nothing held).
pub(super) const REFUSED: usize = usize::MAX;

/// The bit of [`Request::missing`] of an upgradable read in line: besides its token, it
/// waits for the `RwLock`'s upgradable slot (one holder at a time). Token counts never
/// reach it (at most `usize::MAX / 2`), and an `RwLock` is never closed, so a request
/// with it is never taken for [`REFUSED`].
pub(super) const SLOT: usize = 1 << (usize::BITS - 1);

/// What [`TokenPool::acquire`]'s slow path did.
pub(super) enum Joined {
    /// Took every token asked for.
    Whole,
    /// The semaphore is closed: took nothing.
    Refused,
    /// Took what was free and joined the line for the rest, here.
    Queued(Spot),
}

/// [`Joined`] in two words, so that it comes back from the slow path in registers: an
/// enum of it would need a third (a [`Spot`] has one spare value, `None`, not two), so
/// `Refused` is the one spot that is in no line ([`Spot::NOWHERE`]).
#[derive(Clone, Copy)]
pub(super) struct JoinedWord(pub(super) Option<Spot>);

impl JoinedWord {
    pub(super) const WHOLE: Self = JoinedWord(None);
    pub(super) const REFUSED: Self = JoinedWord(Some(Spot::NOWHERE));

    #[inline]
    pub(super) fn get(self) -> Joined {
        match self.0 {
            None => Joined::Whole,
            Some(spot) if spot.is_nowhere() => Joined::Refused,
            Some(spot) => Joined::Queued(spot),
        }
    }
}

impl Request {
    /// A request granted whole, at the call.
    #[inline]
    pub(super) fn whole(n: usize) -> Self {
        Request {
            missing: 0,
            held: n,
        }
    }

    /// The answer to an acquirer of a closed semaphore.
    pub(super) fn refused() -> Self {
        Request {
            missing: REFUSED,
            held: 0,
        }
    }

    /// An upgradable read joining the line, holding `held` tokens (every free one: a line
    /// holds them all), missing its token if it has none, and the slot.
    pub(super) fn upgradable(held: usize) -> Self {
        Request {
            missing: SLOT | usize::from(held == 0),
            held,
        }
    }

    /// Tokens still to come (the upgradable slot aside).
    #[inline]
    pub(super) fn tokens_missing(&self) -> usize {
        self.missing & !SLOT
    }

    /// Whether it also waits for the upgradable slot (an upgradable read).
    #[inline]
    pub(super) fn wants_slot(&self) -> bool {
        self.missing & SLOT != 0
    }

    /// Gives `k` of its tokens up to an upgrade, which goes ahead of the line: it misses
    /// them again.
    pub(super) fn lose(&mut self, k: usize) {
        self.held -= k;
        if self.wants_slot() {
            // An upgradable read holds one token and any surplus it absorbed.
            self.missing = SLOT | usize::from(self.held == 0);
        } else {
            self.missing += k;
        }
    }

    /// Whether the acquire was refused because the semaphore was closed.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.missing == REFUSED
    }
}

/// Tokens taken from a pool, given back when dropped: the one release path of every guard
/// (lock, read, write, semaphore; borrowed or owned).
///
/// `owner` is what the guard holds the pool by: a borrow, or an `Arc` of the primitive.
pub(crate) struct Held<R: Anchor<TokenPool>> {
    pub(super) owner: R,
    pub(super) n: usize,
}

impl<R: Anchor<TokenPool>> Held<R> {
    /// `n` tokens that the caller has just taken from `owner`'s pool.
    #[inline]
    pub(super) fn new(owner: R, n: usize) -> Self {
        Held { owner, n }
    }

    /// Takes `n` tokens from `owner`'s pool if they are free and nobody is in line.
    #[inline]
    pub(crate) fn try_take(owner: R, n: usize) -> Option<Self> {
        if owner.anchor().try_acquire(n, R::BOUND) {
            Some(Held::new(owner, n))
        } else {
            None
        }
    }

    /// Takes a token and an `RwLock`'s upgradable slot from `owner`'s pool if both are
    /// free and nobody is in line.
    pub(crate) fn try_take_upgradable(owner: R) -> Option<Self> {
        if owner.anchor().try_acquire_upgradable() {
            Some(Held::new(owner, 1))
        } else {
            None
        }
    }

    /// The tokens a waiter that left the line still carries (an upgrade's upgradable read,
    /// handed back at its deadline).
    #[inline]
    pub(crate) fn carried(owner: R, request: Request) -> Self {
        Held::new(owner, request.held)
    }

    /// The tokens an acquirer was granted (what its wait future finishes with).
    #[inline]
    pub(crate) fn granted(owner: R, request: Request) -> Self {
        debug_assert_eq!(request.missing, 0, "a grant still missing tokens");
        Held::new(owner, request.held)
    }

    #[inline]
    pub(crate) fn owner(&self) -> &R {
        &self.owner
    }

    /// How many tokens are held.
    #[inline]
    pub(crate) fn tokens(&self) -> usize {
        self.n
    }

    /// Keeps the tokens taken: only a manual `release()` gives them back.
    #[inline]
    pub(crate) fn forget(mut self) {
        self.owner.anchor().forget(self.n);
        self.n = 0;
    }

    /// The same tokens, held by `owner` instead (what reaches the same pool: a mapped
    /// guard keeps the pool by a borrow of it, or by the `Arc` it had).
    pub(crate) fn rehome<P: Anchor<TokenPool>>(mut self, owner: P) -> Held<P> {
        debug_assert!(
            std::ptr::eq(self.owner.anchor(), owner.anchor()),
            "rehomed to another pool"
        );
        // This one gives nothing back when dropped: the tokens move.
        Held::new(owner, std::mem::take(&mut self.n))
    }

    /// Adds `n` tokens the caller just took from the same pool (an upgrade's).
    pub(crate) fn grow(&mut self, n: usize) {
        self.n += n;
    }

    /// Lets go of the tokens without giving them back: the caller now answers for them
    /// (an upgrade carries them into its request). Says how many.
    pub(crate) fn disown(mut self) -> usize {
        std::mem::take(&mut self.n)
    }

    /// Gives back an upgradable read: its tokens and the `RwLock`'s upgradable slot.
    pub(crate) fn release_upgradable(mut self) {
        let n = std::mem::take(&mut self.n);
        self.owner.anchor().release_upgradable(n);
    }

    /// Gives back all but `keep` of the tokens, to the head of the line (a downgrade).
    pub(crate) fn keep_only(&mut self, keep: usize) {
        let give = self.n - keep;
        self.n = keep;
        if give > 0 {
            let _ = self.owner.anchor().release(give);
        }
    }
}

impl<R: Anchor<TokenPool>> Drop for Held<R> {
    #[inline]
    fn drop(&mut self) {
        if self.n > 0 {
            // Cannot be refused: these tokens are out, and a manual `release()` gives back
            // only forgotten ones.
            let _ = self.owner.anchor().release_hinted(self.n, R::BOUND);
        }
    }
}
