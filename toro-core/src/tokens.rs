//! The token pool under `Lock`, `RwLock`, `Semaphore` and `BoundedSemaphore`: toro's
//! `BoundedSemaphore` as one state machine.
//!
//! # State
//!
//! One atomic word holds the number of free tokens and a `QUEUED` bit; the lines of
//! waiting acquirers (each asking for `n` tokens) and of `wait()`ers live under a mutex.
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

use crate::sync::{lock, AtomicUsize, Mutex, Ordering};
use crate::waiters::{Line, Stage, Waiter, WaiterList, WakeList};

/// The `QUEUED` bit of [`TokenPool::state`]; the free tokens are the bits above it.
const QUEUED: usize = 1;
/// One free token in [`TokenPool::state`].
const ONE: usize = 2;

/// The most tokens a pool can hold.
pub(crate) const MAX_TOKENS: usize = usize::MAX >> 1;

pub(crate) struct TokenPool {
    state: AtomicUsize,
    /// Releasing past this many free tokens is refused.
    bound: usize,
    lines: Mutex<Lines>,
}

pub(crate) struct Lines {
    acquirers: WaiterList<Request>,
    watchers: WaiterList<()>,
}

/// An acquirer's place in line: how many tokens it still misses and how many it holds.
pub(crate) struct Request {
    missing: usize,
    held: usize,
}

impl Request {
    /// A request granted whole, at the call.
    #[inline]
    fn whole(n: usize) -> Self {
        Request {
            missing: 0,
            held: n,
        }
    }
}

/// The line of acquirers.
pub(crate) enum Acquirers {}

/// The line of `Semaphore::wait()`ers: woken when a release leaves a token free.
pub(crate) enum Watchers {}

impl TokenPool {
    #[cfg(not(loom))]
    pub(crate) const fn new(tokens: usize, bound: usize) -> Self {
        assert!(tokens <= MAX_TOKENS, "too many tokens for a semaphore");
        TokenPool {
            state: AtomicUsize::new(tokens * ONE),
            bound,
            lines: Mutex::new(Lines {
                acquirers: WaiterList::new(),
                watchers: WaiterList::new(),
            }),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new(tokens: usize, bound: usize) -> Self {
        assert!(tokens <= MAX_TOKENS, "too many tokens for a semaphore");
        TokenPool {
            state: AtomicUsize::new(tokens * ONE),
            bound,
            lines: Mutex::new(Lines {
                acquirers: WaiterList::new(),
                watchers: WaiterList::new(),
            }),
        }
    }

    /// The most free tokens the pool may hold: its size, for `Lock`, `RwLock` and
    /// `BoundedSemaphore`.
    #[inline]
    pub(crate) fn bound(&self) -> usize {
        self.bound
    }

    /// Free tokens now (toro's `counter`).
    #[inline]
    pub(crate) fn free(&self) -> usize {
        self.state.load(Ordering::Acquire) / ONE
    }

    /// `(acquirers, watchers)` in line, for `Debug`.
    pub(crate) fn waiting(&self) -> (usize, usize) {
        let lines = lock(&self.lines);
        (lines.acquirers.len(), lines.watchers.len())
    }

    /// Takes `n` tokens if they are free and nobody is in line.
    #[inline]
    pub(crate) fn try_acquire(&self, n: usize) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        while s & QUEUED == 0 && s / ONE >= n {
            match self.state.compare_exchange_weak(
                s,
                s - n * ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
        false
    }

    /// Takes `n` tokens now (granted at the call), or takes every free one and joins the
    /// line for the rest.
    #[inline]
    pub(crate) fn acquire(&self, n: usize) -> Stage<'_, Acquirers> {
        if self.try_acquire(n) {
            return Stage::granted(self, Request::whole(n));
        }
        self.acquire_slow(n)
    }

    #[cold]
    #[inline(never)]
    fn acquire_slow(&self, n: usize) -> Stage<'_, Acquirers> {
        let mut lines = lock(&self.lines);
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
                    Ok(_) => return Stage::granted(self, Request::whole(n)),
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
                    return Stage::Waiting(Waiter::enqueue(self, &mut *lines, request));
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// Completes at once while a token is free; otherwise joins the watchers' line.
    pub(crate) fn watch(&self) -> Stage<'_, Watchers> {
        if self.free() > 0 {
            return Stage::granted(self, ());
        }
        let mut lines = lock(&self.lines);
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s / ONE > 0 {
                return Stage::granted(self, ());
            }
            match self
                .state
                .compare_exchange(s, s | QUEUED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Stage::Waiting(Waiter::enqueue(self, &mut *lines, ())),
                Err(actual) => s = actual,
            }
        }
    }

    /// Returns `n` tokens: to the oldest acquirers in line, else to the pool. Refused
    /// (`Err`) if that would leave more than `bound` tokens free.
    #[inline]
    pub(crate) fn release(&self, n: usize) -> Result<(), ()> {
        if self.add_free(n, self.bound)? {
            return Ok(());
        }
        self.release_slow(n)
    }

    #[cold]
    #[inline(never)]
    fn release_slow(&self, n: usize) -> Result<(), ()> {
        let mut wakes = WakeList::new();
        let result = {
            let mut lines = lock(&self.lines);
            self.release_locked(&mut lines, n, self.bound, &mut wakes)
        };
        wakes.wake_all();
        result
    }

    /// With nobody in line, adds `n` free tokens (`Ok(true)`), unless that would pass
    /// `bound`. `Ok(false)` once `QUEUED` is seen: the tokens must go to the line.
    #[inline]
    fn add_free(&self, n: usize, bound: usize) -> Result<bool, ()> {
        let mut s = self.state.load(Ordering::Relaxed);
        while s & QUEUED == 0 {
            if s / ONE + n > bound {
                return Err(());
            }
            match self.state.compare_exchange_weak(
                s,
                s + n * ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
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
        lines: &mut Lines,
        n: usize,
        bound: usize,
        wakes: &mut WakeList,
    ) -> Result<(), ()> {
        if self.add_free(n, bound)? {
            return Ok(());
        }
        // QUEUED is set and we hold the mutex: the word is ours, and no token is free.
        if n > bound {
            return Err(());
        }
        self.hand_out(lines, n, wakes);
        Ok(())
    }

    /// Hands `n` tokens to the line, oldest first, then settles the word. Mutex held and
    /// `QUEUED` set.
    fn hand_out(&self, lines: &mut Lines, mut n: usize, wakes: &mut WakeList) {
        while n > 0 {
            let Some(key) = lines.acquirers.front() else {
                break;
            };
            let request = lines.acquirers.data_mut(key);
            let give = n.min(request.missing);
            request.missing -= give;
            request.held += give;
            n -= give;
            if request.missing == 0 {
                wakes.push(lines.acquirers.grant(key));
            }
        }
        if n > 0 {
            // Tokens are left over, so the acquirers' line is empty: the watchers see a
            // free token.
            lines.watchers.grant_all(wakes);
        }
        let queued = if lines.acquirers.is_empty() && lines.watchers.is_empty() {
            0
        } else {
            QUEUED
        };
        self.state.store((n * ONE) | queued, Ordering::Release);
    }
}

impl Line for Acquirers {
    type Target = TokenPool;
    type State = Lines;
    type Data = Request;
    const RETURNS_GRANTS: bool = true;

    fn state(pool: &TokenPool) -> &Mutex<Lines> {
        &pool.lines
    }

    fn list(lines: &mut Lines) -> &mut WaiterList<Request> {
        &mut lines.acquirers
    }

    fn left_line(pool: &TokenPool, lines: &mut Lines, request: &mut Request, wakes: &mut WakeList) {
        // Give back what a partial acquirer (a writer) was granted so far, to the next in
        // line; this also clears QUEUED when the line is now empty.
        let held = std::mem::take(&mut request.held);
        pool.hand_out(lines, held, wakes);
    }

    fn return_grant(pool: &TokenPool, lines: &mut Lines, request: Request, wakes: &mut WakeList) {
        // Refused only if the tokens were also released by hand (`release()` while this
        // grant sat unreturned): they are back already, exactly as for a guard's drop.
        let _ = pool.release_locked(lines, request.held, pool.bound, wakes);
    }
}

impl Line for Watchers {
    type Target = TokenPool;
    type State = Lines;
    type Data = ();

    fn state(pool: &TokenPool) -> &Mutex<Lines> {
        &pool.lines
    }

    fn list(lines: &mut Lines) -> &mut WaiterList<()> {
        &mut lines.watchers
    }

    fn left_line(pool: &TokenPool, lines: &mut Lines, _: &mut (), wakes: &mut WakeList) {
        pool.hand_out(lines, 0, wakes);
    }
}
