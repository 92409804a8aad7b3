//! The token pool under `Lock`, `RwLock`, `Semaphore` and `BoundedSemaphore`: toro's
//! `BoundedSemaphore` as one state machine.
//!
//! # State
//!
//! One atomic word holds the number of free tokens and a `QUEUED` bit; the lines of
//! waiting acquirers (each asking for `n` tokens) and of `wait()`ers live under a mutex,
//! in a [`PoolLine`] made when the first acquirer has to wait ([`LazyBox`]: until then the
//! pool is two words, its state and its bound).
//!
//! Invariant: `QUEUED` is set exactly while a line is non-empty, and then no token is
//! free. Both are only changed with the mutex held, so:
//! - with `QUEUED` clear, acquire and release are one compare-and-swap each, with no lock
//!   and no allocation (the uncontended path);
//! - with `QUEUED` set, nobody may touch the word without the mutex: a release goes to the
//!   mutex and hands its tokens straight to the oldest acquirer (FIFO, no barging, and the
//!   counter never shows a token that is already promised).
//!
//! An acquirer of several tokens (an `RwLock` writer) takes every free token at once and
//! waits for the rest at one place in line; tokens are handed to the head of the line until
//! it is whole, so nobody behind it is served first.

mod held;
mod lines;
mod upgrade;

pub(crate) use held::{Held, Request};
use held::{Joined, JoinedWord, REFUSED};
pub(crate) use lines::{Acquirers, Watchers};
use lines::{Lines, PoolLine};
pub(crate) use upgrade::{UpgradableAcquirers, Upgrades};

use crate::lazy::LazyBox;
use crate::sync::{AtomicUsize, Ordering, const_fn, lock};
use crate::waiters::{Anchor, Spot, Stage, StageOf, Waiter, WakeList};

/// The `QUEUED` bit of [`TokenPool::state`]; the free tokens are the bits above it.
const QUEUED: usize = 1;
/// One free token in [`TokenPool::state`].
const ONE: usize = 2;

/// The most tokens a pool can hold.
pub(crate) const MAX_TOKENS: usize = usize::MAX >> 1;

/// Pools are made with a message that names the type (in one literal or several, joined)
/// and this limit, for a constructor asked for more.
macro_rules! too_many_tokens {
    ($($what:literal),+) => {
        concat!($($what,)+ " exceeds the limit of usize::MAX / 2 tokens")
    };
}
pub(crate) use too_many_tokens;

pub(crate) struct TokenPool {
    state: AtomicUsize,
    /// Everything contention needs, made when an acquirer first has to wait (or a token is
    /// forgotten, or the semaphore closed or resized); the pool's bound until then.
    line: LazyBox<PoolLine>,
}

impl TokenPool {
    const_fn! {
        pub(crate) fn new(tokens: usize, bound: usize, too_many: &'static str) -> Self {
            assert!(tokens <= MAX_TOKENS, "{}", too_many);
            TokenPool {
                state: AtomicUsize::new(tokens * ONE),
                line: LazyBox::new(bound),
            }
        }
    }

    /// The line, made now if it was not.
    #[inline]
    fn line(&self) -> &PoolLine {
        self.line.get_or_make(PoolLine::new)
    }

    /// The line of a pool that has (or had) waiters: made already.
    #[inline]
    fn made_line(&self) -> &PoolLine {
        self.line
            .get()
            .expect("toro: a pool with waiters has its line")
    }

    /// The most free tokens the pool may hold: its size, for `Lock`, `RwLock` and
    /// `BoundedSemaphore`.
    #[inline]
    pub(crate) fn bound(&self) -> usize {
        match self.line.seed() {
            Some(bound) => bound,
            // Acquire: a bound shrunk by `forget_free` is seen with the tokens it took.
            None => self.made_line().bound.load(Ordering::Acquire),
        }
    }

    /// Free tokens now (toro's `counter`).
    #[inline]
    pub(crate) fn free(&self) -> usize {
        self.state.load(Ordering::Acquire) / ONE
    }

    /// `(acquirers, watchers)` in line, for `Debug`.
    pub(crate) fn waiting(&self) -> (usize, usize) {
        let Some(line) = self.line.get() else {
            return (0, 0);
        };
        let lines = lock(&line.lines);
        let (watchers, upgrades) = lines
            .more
            .as_ref()
            .map_or((0, 0), |more| (more.watchers.len(), more.upgrades.len()));
        (lines.acquirers.len() + upgrades, watchers)
    }

    /// What the state word most likely holds on an uncontended path: a bounded pool (a
    /// lock, an rwlock, a bounded semaphore) with every token free. The compare-and-swap
    /// tries this first and needs no load before it (a load feeding the CAS measurably
    /// slowed every acquire + release); a wrong guess costs one failed CAS, which
    /// returns the real value. A `Semaphore` has no such state, so it loads.
    /// `bound` is the pool's bound when the caller's type says it ([`Anchor::BOUND`]).
    #[inline]
    fn idle_guess(&self, bound: Option<usize>) -> usize {
        if let Some(bound) = bound {
            return bound * ONE;
        }
        match self.line.seed() {
            // Never contended: the bound is still in the line's place.
            Some(bound) if bound != MAX_TOKENS => bound * ONE,
            _ => self.state.load(Ordering::Relaxed),
        }
    }

    /// Takes `n` tokens if they are free and nobody is in line. Zero tokens are always
    /// there: a request for none never waits. `bound` is the pool's bound if the caller's
    /// type says it ([`Anchor::BOUND`]).
    #[inline]
    pub(crate) fn try_acquire(&self, n: usize, bound: Option<usize>) -> bool {
        if n == 0 {
            return true;
        }
        let mut s = self.idle_guess(bound);
        while s & QUEUED == 0 && s / ONE >= n {
            match self
                .state
                .compare_exchange(s, s - n * ONE, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
        false
    }

    /// Takes `n` tokens now (granted at the call), or takes every free one and joins the
    /// line for the rest. `owner` is what the wait holds the pool by (a borrow or an `Arc`
    /// of the primitive); the guard gets it.
    #[inline]
    pub(crate) fn acquire<R: Anchor<TokenPool>>(owner: R, n: usize) -> StageOf<R, Acquirers> {
        if owner.anchor().try_acquire(n, R::BOUND) {
            return StageOf::granted(owner, Request::whole(n));
        }
        // A small answer, and the stage built here (see `StageOf::granted_or_queued`).
        match owner.anchor().acquire_slow(n).get() {
            Joined::Whole => StageOf::granted(owner, Request::whole(n)),
            Joined::Refused => StageOf::granted(owner, Request::refused()),
            Joined::Queued(spot) => StageOf::Waiting(Waiter::queued(owner, spot, n)),
        }
    }

    #[cold]
    #[inline(never)]
    fn acquire_slow(&self, n: usize) -> JoinedWord {
        let mut lines = lock(&self.line().lines);
        if lines.closed() {
            return JoinedWord::REFUSED;
        }
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let free = s / ONE;
            if s & QUEUED == 0 && free >= n {
                match self.state.compare_exchange(
                    s,
                    s - n * ONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return JoinedWord::WHOLE,
                    Err(actual) => s = actual,
                }
                continue;
            }
            // Take what is free now (an RwLock writer claims every free token at the call)
            // and wait in line for the rest.
            let take = free.min(n);
            let next = ((free - take) * ONE) | QUEUED;
            match self
                .state
                .compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    let request = Request {
                        missing: n - take,
                        held: take,
                    };
                    return JoinedWord(Some(lines.acquirers.join(request)));
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// Completes at once while a token is free; otherwise joins the watchers' line.
    #[inline]
    pub(crate) fn watch(&self) -> Stage<'_, Watchers> {
        let joined = if self.free() > 0 {
            None
        } else {
            self.watch_slow()
        };
        Stage::granted_or_queued(self, (), joined)
    }

    /// Joins the watchers' line (`Some`), unless a token is free by now.
    #[cold]
    #[inline(never)]
    fn watch_slow(&self) -> Option<Spot> {
        let mut lines = lock(&self.line().lines);
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s / ONE > 0 {
                return None;
            }
            match self
                .state
                .compare_exchange(s, s | QUEUED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some(lines.more().watchers.join(())),
                Err(actual) => s = actual,
            }
        }
    }

    /// Returns `n` tokens: to the oldest acquirers in line, else to the pool. Refused
    /// (`Err`) if that would leave more than `bound` tokens free.
    #[inline]
    pub(crate) fn release(&self, n: usize) -> Result<(), ()> {
        self.release_hinted(n, None)
    }

    /// [`release`](Self::release), with the bound if the caller knows it.
    #[inline]
    pub(crate) fn release_hinted(&self, n: usize, bound: Option<usize>) -> Result<(), ()> {
        let bound = bound.unwrap_or_else(|| self.bound());
        match self.add_free(n, bound) {
            Ok(true) => Ok(()),
            // In line, or refused by a bound read without the mutex: a resize
            // (`add_permits`, `forget_permits`) may be changing it now. Under the mutex the
            // bound and the tokens agree, so only a release refused there is refused.
            Ok(false) | Err(()) => self.release_slow(n),
        }
    }

    #[cold]
    #[inline(never)]
    fn release_slow(&self, n: usize) -> Result<(), ()> {
        let mut wakes = WakeList::new();
        let result = {
            let line = self.line();
            let mut lines = lock(&line.lines);
            self.release_locked(line, &mut lines, n, &mut wakes)
        };
        wakes.wake_all();
        result
    }

    /// Adds `n` new tokens (a semaphore's `add_permits`): to the oldest acquirers in line,
    /// else to the pool; with `grow_bound`, the bound grows by as many (a bounded
    /// semaphore's tokens are its own).
    ///
    /// # Panics
    ///
    /// If the pool would pass `usize::MAX / 2` tokens (or its bound would).
    pub(crate) fn add(&self, n: usize, grow_bound: bool, what: &str) {
        if n == 0 {
            return;
        }
        let too_many = || -> ! {
            panic!("{what}::add_permits: the semaphore would exceed usize::MAX / 2 tokens")
        };
        let mut wakes = WakeList::new();
        {
            let line = self.line();
            let mut lines = lock(&line.lines);
            let bound = line.bound.load(Ordering::Relaxed);
            if grow_bound {
                let grown = bound
                    .checked_add(n)
                    .filter(|&b| b <= MAX_TOKENS)
                    .unwrap_or_else(|| too_many());
                line.bound.store(grown, Ordering::Release);
            }
            if self
                .release_locked(line, &mut lines, n, &mut wakes)
                .is_err()
            {
                if grow_bound {
                    line.bound.store(bound, Ordering::Release);
                }
                drop(lines);
                wakes.wake_all();
                too_many();
            }
        }
        wakes.wake_all();
    }

    /// Takes up to `n` free tokens away for good (a semaphore's `forget_permits`); says
    /// how many. With `shrink_bound`, the bound shrinks by as many. Tokens promised to
    /// waiters are not free: a pool with a line has none to give (a closed one excepted).
    pub(crate) fn forget_free(&self, n: usize, shrink_bound: bool) -> usize {
        if n == 0 {
            return 0;
        }
        // A shrinking bound is changed under the mutex, with the tokens.
        if !shrink_bound {
            let mut s = self.state.load(Ordering::Acquire);
            while s & QUEUED == 0 {
                let take = (s / ONE).min(n);
                match self.state.compare_exchange_weak(
                    s,
                    s - take * ONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return take,
                    Err(actual) => s = actual,
                }
            }
        }
        let line = self.line();
        let _lines = lock(&line.lines);
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            // With `QUEUED` set and the mutex held the word is ours; then tokens show only
            // on a closed pool (an open one with a line has none free).
            let take = (s / ONE).min(n);
            match self.state.compare_exchange_weak(
                s,
                s - take * ONE,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if shrink_bound {
                        // Release: after the tokens left (see `bound`).
                        line.bound.fetch_sub(take, Ordering::Release);
                    }
                    return take;
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// Notes that a guard of `n` tokens was given up with `forget()`.
    #[inline]
    pub(crate) fn forget(&self, n: usize) {
        // Release: what the holder wrote under the forgotten guard happens before whoever
        // gives these tokens back (and so before the next holder).
        self.line().forgotten.fetch_add(n, Ordering::Release);
    }

    /// A manual `release()`: gives back `n` tokens, but only tokens whose guards were
    /// forgotten. `Err` (nothing changes) if fewer than `n` were.
    pub(crate) fn release_forgotten(&self, n: usize) -> Result<(), ()> {
        // No line: nothing was ever forgotten.
        let forgotten = &self.line.get().ok_or(())?.forgotten;
        let mut f = forgotten.load(Ordering::Relaxed);
        loop {
            if f < n {
                return Err(());
            }
            // Acquire: pairs with `forget`'s Release (the holder's writes are seen by
            // the holder this release lets in).
            match forgotten.compare_exchange_weak(f, f - n, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => break,
                Err(actual) => f = actual,
            }
        }
        // The tokens are out (held by nobody): giving them back cannot pass the bound.
        self.release(n)
    }

    /// With nobody in line, adds `n` free tokens (`Ok(true)`), unless that would pass
    /// `bound`. `Ok(false)` once `QUEUED` is seen: the tokens must go to the line.
    #[inline]
    fn add_free(&self, n: usize, bound: usize) -> Result<bool, ()> {
        // The guess for a bounded pool: these are the only tokens out, so the pool becomes
        // idle again (see `idle_guess`).
        let mut s = if bound == MAX_TOKENS || bound < n {
            self.state.load(Ordering::Relaxed)
        } else {
            (bound - n) * ONE
        };
        while s & QUEUED == 0 {
            if s / ONE + n > bound {
                return Err(());
            }
            match self
                .state
                .compare_exchange(s, s + n * ONE, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Ok(true),
                Err(actual) => s = actual,
            }
        }
        Ok(false)
    }

    /// `release` with the mutex held. `QUEUED` may have been cleared since the caller last
    /// looked, so try the lock-free path again first.
    fn release_locked(
        &self,
        line: &PoolLine,
        lines: &mut Lines,
        n: usize,
        wakes: &mut WakeList,
    ) -> Result<(), ()> {
        let bound = line.bound.load(Ordering::Acquire);
        if self.add_free(n, bound)? {
            return Ok(());
        }
        // QUEUED is set and we hold the mutex: the word is ours, and no token is free
        // (unless the pool is closed, when it shows the free tokens).
        let free = if lines.closed() { self.free() } else { 0 };
        if free + n > bound {
            return Err(());
        }
        self.hand_out(line, lines, n, wakes);
        Ok(())
    }

    /// Closes the pool (`Semaphore::close`): every acquirer in line is refused and woken,
    /// giving back what it had been handed; later acquirers are refused at the call.
    /// Releases still return tokens, and `wait()` still sees them.
    pub(crate) fn close(&self) {
        let mut wakes = WakeList::new();
        {
            let line = self.line();
            let mut lines = lock(&line.lines);
            if !lines.closed() {
                lines.more().closed = true;
                let mut returned = 0;
                while let Some(key) = lines.acquirers.front() {
                    let request = lines.acquirers.data_mut(key);
                    returned += std::mem::take(&mut request.held);
                    request.missing = REFUSED;
                    wakes.push(lines.acquirers.grant(key));
                }
                // Set QUEUED for good, racing the lock-free paths until it is set: from then
                // on they never touch the word again.
                self.state.fetch_or(QUEUED, Ordering::AcqRel);
                self.hand_out(line, &mut lines, returned, &mut wakes);
            }
        }
        wakes.wake_all();
    }

    /// Moves the acquirers' ticket counter on by `n`, as if `n` acquires had joined the
    /// line and left it without their tokens, or, with `handed_over`, as if `n` had been
    /// handed their tokens (the line must be empty then): lets a test start a pool next to
    /// a boundary of its counters.
    #[cfg(any(test, loom))]
    pub(crate) fn skip_tickets(&self, n: u64, handed_over: bool) {
        let line = self.line();
        let mut lines = lock(&line.lines);
        lines.acquirers.skip_tickets(n);
        if handed_over {
            assert!(
                lines.acquirers.is_empty(),
                "hand-overs skipped past a waiter"
            );
            line.handed.skip(n);
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.line
            .get()
            .is_some_and(|line| lock(&line.lines).closed())
    }

    /// Hands `n` tokens to the line, oldest first, then settles the word. Mutex held and
    /// `QUEUED` set.
    fn hand_out(&self, line: &PoolLine, lines: &mut Lines, mut n: usize, wakes: &mut WakeList) {
        if lines.closed() {
            // Nobody is in the acquirers' line: the tokens go to the counter, and the
            // watchers see them.
            let free = self.free() + n;
            if free > 0 {
                if let Some(watchers) = lines.watchers() {
                    watchers.grant_all(wakes);
                }
            }
            self.state.store((free * ONE) | QUEUED, Ordering::Release);
            return;
        }
        // An upgrade in progress goes first: the line may be waiting for its holder.
        n = lines.serve_upgrade(n, wakes);
        while let Some(key) = lines.acquirers.front() {
            let slot_taken = lines.slot_taken();
            let request = lines.acquirers.data_mut(key);
            let give = n.min(request.tokens_missing());
            request.missing -= give;
            request.held += give;
            n -= give;
            if request.tokens_missing() > 0 {
                break;
            }
            if request.wants_slot() {
                if slot_taken {
                    // It holds its token but the slot is taken: it stays at the head,
                    // and takes every token that comes, so that none is free while a line
                    // stands; they go on when it gets the slot.
                    request.held += n;
                    n = 0;
                    break;
                }
                n += request.held - 1;
                request.held = 1;
                request.missing = 0;
                lines.more().upgradable = true;
            }
            // Whole: the acquirer rebuilds it from what it asked (`handed_grant`).
            lines.acquirers.hand_over_front(&line.handed, wakes);
        }
        if n > 0 {
            // Tokens are left over, so the acquirers' line is empty: the watchers see a
            // free token.
            if let Some(watchers) = lines.watchers() {
                watchers.grant_all(wakes);
            }
        }
        let watching = matches!(&lines.more, Some(more) if !more.watchers.is_empty());
        let queued = if lines.acquirers.is_empty() && !watching && !lines.upgrading() {
            0
        } else {
            QUEUED
        };
        self.state.store((n * ONE) | queued, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{Lock, RwLock, Semaphore};
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    fn poll<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Past 2^31 acquires dropped in line (each took a ticket and left without a grant), a
    /// new acquire of a held lock still waits: the lock is never held twice. (With 32-bit
    /// tickets it read as granted, and both guards wrote the data.)
    #[test]
    fn a_held_lock_is_not_granted_after_two_to_the_31_abandoned_acquires() {
        for abandoned in [(1 << 31) + 1, (1 << 32) + 2] {
            let lock = Lock::with_value(0_u64);
            let mut first = lock.try_acquire().unwrap();
            lock.inner.pool.skip_tickets(abandoned, false);
            let mut second = lock.acquire();
            assert!(
                poll(&mut second).is_pending(),
                "after {abandoned} abandoned acquires"
            );
            *first += 1;
            drop(first);
            let Poll::Ready(mut second) = poll(&mut second) else {
                panic!("the release hands the lock over");
            };
            *second += 1;
            assert!(lock.try_acquire().is_none());
            drop(second);
            assert_eq!(*lock.try_acquire().unwrap(), 2);
        }
    }

    /// The same for every pool: a semaphore, an rwlock writer.
    #[test]
    fn no_pool_grants_a_waiter_after_two_to_the_31_abandoned_waits() {
        let sem = Semaphore::new(0);
        sem.pool.skip_tickets((1 << 31) + 1, false);
        let mut waiting = sem.acquire();
        assert!(poll(&mut waiting).is_pending());
        assert_eq!(sem.counter(), 0);
        sem.release();
        assert!(poll(&mut waiting).is_ready());

        let rw = RwLock::new(2);
        let reader = rw.try_acquire_read().unwrap();
        rw.inner.pool.skip_tickets((1 << 31) + 1, false);
        let mut writer = rw.acquire_write();
        assert!(poll(&mut writer).is_pending());
        drop(reader);
        assert!(poll(&mut writer).is_ready());
    }

    /// A waiter handed its tokens and polled only after 2^31 later hand-overs still finds
    /// its grant, and never touches the entry another waiter now holds at its old key.
    /// (With 32-bit tickets it read "not granted", stored its waker in the other waiter's
    /// entry, and dropping it removed that waiter and lost a permit.)
    #[test]
    fn a_grant_polled_after_two_to_the_31_later_hand_overs_is_kept() {
        let sem = Semaphore::new(0);
        let mut early = sem.acquire();
        assert!(poll(&mut early).is_pending());
        sem.release(); // handed to `early`, which is not polled yet
        sem.pool.skip_tickets((1 << 31) + 1, true);
        let mut now = sem.acquire(); // takes `early`'s freed key
        assert!(poll(&mut now).is_pending());
        let Poll::Ready(guard) = poll(&mut early) else {
            panic!("`early` was handed its token");
        };
        assert_eq!(guard.tokens(), 1);
        assert!(poll(&mut now).is_pending(), "`now` is still in line");
        drop(guard); // handed to `now`
        let Poll::Ready(guard) = poll(&mut now) else {
            panic!("`now` was handed the token");
        };
        assert_eq!(sem.counter(), 0);
        drop(guard);
        assert_eq!(sem.counter(), 1, "no permit lost");
    }

    /// `acquire` and `watch` build their stage from the slow path's answer in place, which
    /// pays only while that answer comes back in registers (two words at most; see
    /// `StageOf::granted_or_queued`).
    #[test]
    fn the_slow_paths_answer_fits_in_two_words() {
        assert!(std::mem::size_of::<JoinedWord>() <= 2 * std::mem::size_of::<usize>());
        assert!(std::mem::size_of::<Option<Spot>>() <= 2 * std::mem::size_of::<usize>());
    }
}
