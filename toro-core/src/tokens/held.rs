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
        if owner.anchor().try_acquire(n) {
            Some(Held::new(owner, n))
        } else {
            None
        }
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
            let _ = self.owner.anchor().release(self.n);
        }
    }
}
