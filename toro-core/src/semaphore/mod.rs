//! [`Semaphore`] and [`BoundedSemaphore`]: a counter of tokens with a FIFO line.
//!
//! The two are one type, [`SemaphoreOf<K>`](SemaphoreOf), whose kind `K` says what a
//! manual `release()` may do: [`Unbounded`] adds a token (toro's `Semaphore`), [`Bounded`]
//! gives back only a token whose guard was forgotten (toro's `BoundedSemaphore`). Every
//! other method is written once.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::TooManyReleases;
use crate::sealed::sealed_markers;
use crate::sync::const_fn;
use crate::tokens::{Held, MAX_TOKENS, TokenPool, too_many_tokens};

/// A semaphore of kind `K`: the one type behind [`Semaphore`] and [`BoundedSemaphore`],
/// which name it with their kind. Use those names; this one is where their methods are
/// written.
///
/// `counter()` tokens, taken by `acquire` and given back by dropping the guard. Acquirers
/// are served strictly first come, first served: a release hands its token straight to
/// the oldest waiting acquirer, inside the call that releases it, so `counter()` stays 0
/// and nobody can barge in.
///
/// # Examples
///
/// ```
/// use toro_core::semaphore::{Bounded, SemaphoreOf};
/// let sem: SemaphoreOf<Bounded> = toro_core::BoundedSemaphore::new(1);
/// assert_eq!(sem.available_permits(), 1);
/// ```
pub struct SemaphoreOf<K> {
    pub(crate) pool: TokenPool,
    _kind: PhantomData<fn() -> K>,
}

mod kind_sealed {
    pub trait Sealed {}
}

/// What a semaphore's manual `release()` may do: [`Unbounded`] or [`Bounded`]. Sealed; the
/// parameter of [`SemaphoreOf`].
///
/// # Examples
///
/// ```
/// use toro_core::semaphore::{Kind, SemaphoreOf};
/// fn tokens<K: Kind>(sem: &SemaphoreOf<K>) -> usize {
///     sem.counter()
/// }
/// assert_eq!(tokens(&toro_core::Semaphore::new(2)), 2);
/// assert_eq!(tokens(&toro_core::BoundedSemaphore::new(3)), 3);
/// ```
pub trait Kind: kind_sealed::Sealed + Sized {
    /// The type's name, for `Debug` and messages.
    #[doc(hidden)]
    const NAME: &'static str;
    /// Whether the bound is the semaphore's size (else `usize::MAX / 2`).
    #[doc(hidden)]
    const BOUNDED: bool;
    /// The panic message of `new` asked for too many tokens.
    #[doc(hidden)]
    const TOO_MANY: &'static str;
    /// An owned future's or guard's hold on a semaphore of this kind.
    #[doc(hidden)]
    fn arc(sem: Arc<SemaphoreOf<Self>>) -> SemaphoreArc;
}

sealed_markers! {
    kind_sealed::Sealed;

    /// A semaphore whose manual `release()` adds a token: [`Semaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::semaphore::{SemaphoreOf, Unbounded};
    /// let sem: SemaphoreOf<Unbounded> = toro_core::Semaphore::new(0);
    /// sem.release();
    /// assert_eq!(sem.counter(), 1);
    /// ```
    pub enum Unbounded {}

    /// A semaphore whose manual `release()` gives back only forgotten tokens:
    /// [`BoundedSemaphore`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::semaphore::{Bounded, SemaphoreOf};
    /// let sem: SemaphoreOf<Bounded> = toro_core::BoundedSemaphore::new(1);
    /// assert!(sem.release().is_err()); // nothing was forgotten
    /// ```
    pub enum Bounded {}
}

/// Each kind's `Kind`, from its type's name: `new`'s panic message names the type, and its
/// [`SemaphoreArc`] variant is the kind's own.
macro_rules! kinds {
    ($($kind:ident: $name:literal, bounded: $bounded:literal;)+) => {$(
        impl Kind for $kind {
            const NAME: &'static str = $name;
            const BOUNDED: bool = $bounded;
            const TOO_MANY: &'static str = too_many_tokens!($name, "::new");
            fn arc(sem: Arc<SemaphoreOf<Self>>) -> SemaphoreArc {
                SemaphoreArc::$kind(sem)
            }
        }
    )+};
}

kinds! {
    Unbounded: "Semaphore", bounded: false;
    Bounded: "BoundedSemaphore", bounded: true;
}

/// A semaphore: `counter()` tokens, taken by [`acquire`](SemaphoreOf::acquire) and given
/// back by dropping the guard or by [`release`](SemaphoreOf::release) (toro's
/// `Semaphore`).
///
/// Acquirers are served strictly first come, first served: a release hands its token
/// straight to the oldest waiting acquirer, inside the `release` call, so `counter()` stays
/// 0 and nobody can barge in. Releasing more than was acquired simply raises the counter;
/// use [`BoundedSemaphore`] to refuse that.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let sem = toro_core::Semaphore::new(2);
/// let a = sem.acquire().await;
/// let _b = sem.acquire().await;
/// assert!(sem.locked());
/// drop(a);
/// assert_eq!(sem.counter(), 1);
/// # });
/// ```
pub type Semaphore = SemaphoreOf<Unbounded>;

/// A [`Semaphore`] whose manual release gives back only tokens given up with `forget()`,
/// so the counter never rises above its size (toro's `BoundedSemaphore`).
///
/// Use it where a release without a matching acquire is a bug you want reported: its
/// [`release`](SemaphoreOf::release) gives back a token whose guard was given up with
/// [`forget`](SemaphoreGuard::forget), and otherwise returns [`TooManyReleases`] instead
/// of raising the counter. Its size, the bound, is the value it was made with; only
/// [`add_permits`](SemaphoreOf::add_permits) and
/// [`forget_permits`](SemaphoreOf::forget_permits) change it.
///
/// # Examples
///
/// ```
/// let sem = toro_core::BoundedSemaphore::new(1);
/// let guard = sem.try_acquire().unwrap();
/// guard.forget();
/// assert!(sem.release().is_ok());
/// assert!(sem.release().is_err());
/// ```
pub type BoundedSemaphore = SemaphoreOf<Bounded>;

impl<K: Kind> SemaphoreOf<K> {
    const_fn! {
        /// A semaphore with `value` free tokens (`0` starts locked). For a
        /// `BoundedSemaphore`, `value` is also its size: a manual
        /// [`release`](Self::release) gives back only forgotten tokens, so the counter
        /// never exceeds it.
        ///
        /// # Panics
        ///
        /// If `value` exceeds `usize::MAX / 2`.
        ///
        /// # Examples
        ///
        /// ```
        /// let sem = toro_core::Semaphore::new(0);
        /// assert!(sem.locked());
        /// let bounded = toro_core::BoundedSemaphore::new(2);
        /// assert_eq!(bounded.counter(), 2);
        /// ```
        pub fn new(value: usize) -> Self {
            let bound = if K::BOUNDED { value } else { MAX_TOKENS };
            SemaphoreOf {
                pool: TokenPool::new(value, bound, K::TOO_MANY),
                _kind: PhantomData,
            }
        }
    }

    /// The number of free tokens now; toro's name for
    /// [`available_permits`](Self::available_permits). Waiting acquirers do not make it
    /// negative.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(3);
    /// let _g = sem.try_acquire().unwrap();
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[inline]
    #[doc(alias = "available_permits")]
    pub fn counter(&self) -> usize {
        self.pool.free()
    }

    /// The number of free tokens now; tokio's name for [`counter`](Self::counter).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::BoundedSemaphore::new(3);
    /// let _two = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[inline]
    #[doc(alias = "counter")]
    pub fn available_permits(&self) -> usize {
        self.pool.free()
    }

    /// Whether no token is free (`counter() == 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// let _g = sem.try_acquire().unwrap();
    /// assert!(sem.locked());
    /// ```
    #[inline]
    pub fn locked(&self) -> bool {
        self.counter() == 0
    }

    /// Moves the line's ticket counter on, as if `n` acquires had waited and left (or,
    /// with `handed_over`, been handed their tokens): starts a loom model next to a
    /// boundary.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn skip_tickets(&self, n: u64, handed_over: bool) {
        self.pool.skip_tickets(n, handed_over);
    }

    /// How many acquirers wait in line now (`wait()`ers are not counted).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(0);
    /// let waiting = sem.acquire();
    /// assert_eq!(sem.waiters(), 1);
    /// drop(waiting);
    /// assert_eq!(sem.waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.pool.waiting().0
    }

    /// Takes a token if one is free, without waiting.
    ///
    /// `None` also on a [closed](Self::close) semaphore, even with tokens free:
    /// [`is_closed`](Self::is_closed) tells the two apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// let g = sem.try_acquire();
    /// assert!(g.is_some());
    /// assert!(sem.try_acquire().is_none());
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        self.try_acquire_many(1)
    }

    /// Takes a token, waiting for one if none is free.
    ///
    /// Eager: the token is taken, or the place in line held, when `acquire()` is called,
    /// before the future is first polled.
    ///
    /// # Panics
    ///
    /// Awaiting (polling) the future panics if the semaphore is [closed](Self::close)
    /// before the token is granted, saying so; use
    /// [`.or_closed()`](SemaphoreAcquire::or_closed) to get `Err(Closed)` instead. The
    /// call itself does not panic.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line and takes nothing; if a token had already been
    /// handed to it, the token goes to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(1);
    /// let _held = sem.acquire().await;
    /// assert!(sem.acquire().deadline(Duration::ZERO).await.is_err());
    /// # });
    /// ```
    #[inline]
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        // Not `acquire_many(1)`: a `BoundedSemaphore::new(0)` keeps toro's behaviour, and
        // waits (until its deadline, or `add_permits`).
        SemaphoreAcquire {
            stage: TokenPool::acquire(&self.pool, 1),
        }
    }

    /// Takes `n` tokens at once if they are free and nobody waits, without waiting.
    ///
    /// `None` also on a [closed](Self::close) semaphore (except for `n == 0`, which is
    /// always granted); [`is_closed`](Self::is_closed) tells the cases apart.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(3);
    /// let two = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(two.tokens(), 2);
    /// assert!(sem.try_acquire_many(2).is_none());
    /// ```
    #[inline]
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphoreGuard<'_>> {
        Held::try_take(&self.pool, n).map(|held| SemaphoreGuard { held })
    }

    /// Takes `n` tokens, waiting for them at one place in line.
    ///
    /// Eager and FIFO like [`acquire`](Self::acquire): the call takes every free token
    /// (up to `n`) and waits for the rest; nobody behind it is served first, so a large
    /// request is not starved by small ones. The guard gives all `n` back.
    ///
    /// A request for zero tokens completes at the call (even on a closed semaphore).
    ///
    /// # Panics
    ///
    /// At the call, if `n` exceeds what the semaphore can hold: `usize::MAX / 2`, or a
    /// `BoundedSemaphore`'s size (grow it first with [`add_permits`](Self::add_permits)).
    /// It would wait forever.
    ///
    /// Awaiting (polling) the future panics if the semaphore is [closed](Self::close)
    /// before all `n` tokens are granted (the tokens it was handed so far go back); use
    /// [`.or_closed()`](SemaphoreAcquire::or_closed) to get `Err(Closed)` instead.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line and gives back every token it had been handed,
    /// to the next in line.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(1);
    /// let wait = sem.acquire_many(3); // takes the free token, waits for two more
    /// sem.release();
    /// sem.release();
    /// let guard = wait.await;
    /// assert_eq!(guard.tokens(), 3);
    /// drop(guard);
    /// assert_eq!(sem.counter(), 3);
    /// # });
    /// ```
    #[inline]
    pub fn acquire_many(&self, n: usize) -> SemaphoreAcquire<'_> {
        let most = if K::BOUNDED {
            self.pool.bound()
        } else {
            MAX_TOKENS
        };
        if n > most {
            too_many_asked(K::NAME, n, most);
        }
        SemaphoreAcquire {
            stage: TokenPool::acquire(&self.pool, n),
        }
    }

    /// [`try_acquire`](Self::try_acquire) for a semaphore in an `Arc`: the guard keeps the
    /// `Arc` and borrows nothing. `None` also on a [closed](Self::close) semaphore.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(toro_core::Semaphore::new(1));
    /// let guard = sem.try_acquire_owned().unwrap();
    /// std::thread::spawn(move || drop(guard)).join().unwrap();
    /// assert_eq!(sem.counter(), 1);
    /// ```
    #[inline]
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedSemaphoreGuard> {
        Held::try_take(K::arc(Arc::clone(self)), 1).map(|held| OwnedSemaphoreGuard { held })
    }

    /// [`acquire`](Self::acquire) for a semaphore in an `Arc`: the future and its guard
    /// are `'static`, so a permit can move into a spawned task and is given back when the
    /// task ends, however it ends.
    ///
    /// # Panics
    ///
    /// Awaiting (polling) the future panics if the semaphore is [closed](Self::close)
    /// before the token is granted; use
    /// [`.or_closed()`](OwnedSemaphoreAcquire::or_closed) to get `Err(Closed)` instead.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// # toro_core::block_on(async {
    /// let sem = Arc::new(toro_core::Semaphore::new(2));
    /// let permit = sem.acquire_owned().await;
    /// let worker = std::thread::spawn(move || {
    ///     let _permit = permit; // held for the work, given back when the thread ends
    /// });
    /// worker.join().unwrap();
    /// assert_eq!(sem.counter(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedSemaphoreAcquire {
        OwnedSemaphoreAcquire {
            stage: TokenPool::acquire(K::arc(Arc::clone(self)), 1),
        }
    }

    /// Adds `n` tokens (tokio's `add_permits`): they go to the oldest acquirers in line,
    /// in order (never past an `acquire_many` waiting at the head for more than they
    /// make), and the rest to the counter, waking the [`wait`](Self::wait)ers. Also on a
    /// [closed](Self::close) semaphore (no acquirer waits there: all go to the counter).
    ///
    /// A `BoundedSemaphore` grows by `n`: its size, the bound its manual `release()` keeps
    /// the counter under, is `n` larger, and the new tokens are its own.
    ///
    /// # Panics
    ///
    /// If the semaphore would hold more than `usize::MAX / 2` tokens.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(0);
    /// let two = sem.acquire_many(2);
    /// sem.add_permits(3); // two to the waiting acquire, one to the counter
    /// let guard = two.await;
    /// assert_eq!(guard.tokens(), 2);
    /// assert_eq!(sem.counter(), 1);
    ///
    /// let bounded = toro_core::BoundedSemaphore::new(1);
    /// bounded.add_permits(2); // now of size 3
    /// let all = bounded.acquire_many(3).await;
    /// all.forget();
    /// for _ in 0..3 {
    ///     bounded.release().unwrap(); // its own tokens, given back
    /// }
    /// assert!(bounded.release().is_err());
    /// # });
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.pool.add(n, K::BOUNDED, K::NAME);
    }

    /// Takes up to `n` free tokens away for good (tokio's `forget_permits`), and says how
    /// many it took. Tokens held by guards, or promised to an acquirer in line, are not
    /// free and are not touched: with acquirers waiting there are none to take.
    ///
    /// A `BoundedSemaphore` shrinks by the tokens taken: its bound is that much smaller.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(5);
    /// let held = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(sem.forget_permits(4), 3); // only three were free
    /// assert_eq!(sem.counter(), 0);
    /// drop(held);
    /// assert_eq!(sem.counter(), 2);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.pool.forget_free(n, K::BOUNDED)
    }

    /// Closes the semaphore (tokio's `Semaphore::close`): every acquirer waiting now, and
    /// every acquire from now on, is refused; held guards still give their tokens back,
    /// and [`wait`](Self::wait) still sees them.
    ///
    /// A refused acquire awaited through [`or_closed`](SemaphoreAcquire::or_closed)
    /// resolves to `Err(Closed)`; awaited plainly (its output is a guard) it panics, saying
    /// so, rather than wait for ever. `try_acquire*` return `None` (check
    /// [`is_closed`](Self::is_closed) to tell that from "no token free"). A
    /// [`wait`](Self::wait) is not ended by `close`: it still completes once a token is
    /// free. A forgotten token can still be [`release`](Self::release)d. Closing twice does
    /// nothing more. Not in toro, which had no way to end its waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Closed, Semaphore};
    /// # toro_core::block_on(async {
    /// let sem = Semaphore::new(1);
    /// let held = sem.acquire().await;
    /// let waiting = sem.acquire().or_closed();
    /// sem.close();
    /// assert_eq!(waiting.await.unwrap_err(), Closed);
    /// assert!(sem.try_acquire().is_none());
    /// drop(held); // still gives its token back
    /// assert_eq!(sem.counter(), 1);
    /// # });
    /// ```
    pub fn close(&self) {
        self.pool.close();
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Waits until a token is free, without taking it.
    ///
    /// Completes at once while `counter() > 0`; otherwise it is woken by a release that no
    /// waiting acquirer took. It reserves nothing: by the time the waiter runs, the token
    /// may be gone again.
    ///
    /// On a [closed](Self::close) semaphore it behaves the same: `close` does not end it
    /// (it is not refused, as an acquire is), and it completes once a guard gives its
    /// token back or a release adds one. With no guard out and `counter() == 0`, that may
    /// be never: give it a deadline.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let sem = toro_core::Semaphore::new(0);
    /// let wait = sem.wait();
    /// sem.release();
    /// wait.await;
    /// assert_eq!(sem.counter(), 1);
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> SemaphoreWait<'_> {
        SemaphoreWait {
            stage: self.pool.watch(),
        }
    }
}

impl SemaphoreOf<Unbounded> {
    /// Gives a token back: to the oldest waiting acquirer if any, otherwise to the counter
    /// (waking every [`wait`](Self::wait)er).
    ///
    /// Use it for tokens whose guard was given up with [`SemaphoreGuard::forget`], or to
    /// add tokens.
    ///
    /// # Panics
    ///
    /// If the counter would exceed `usize::MAX / 2`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = toro_core::Semaphore::new(0);
    /// sem.release();
    /// sem.release();
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[inline]
    pub fn release(&self) {
        if self.pool.release(1).is_err() {
            panic!("Semaphore::release: the counter would exceed usize::MAX / 2");
        }
    }
}

impl SemaphoreOf<Bounded> {
    /// Gives back a token whose guard was given up with
    /// [`forget`](SemaphoreGuard::forget): to the oldest waiting acquirer if any,
    /// otherwise to the counter.
    ///
    /// Only forgotten tokens can be released, one per call: the semaphore counts the
    /// tokens forgotten and not yet released, and a release with that count at zero is
    /// refused. That is stricter than toro, which refused only once the counter was back
    /// at its initial value: here a release is refused also while `counter()` is below it
    /// because live guards hold tokens, so it can never free a token a guard still holds
    /// (that guard gives it back when dropped).
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] ("Semaphore released too many times") if no forgotten token is
    /// left to give back; nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{BoundedSemaphore, TooManyReleases};
    /// let sem = BoundedSemaphore::new(2);
    /// assert_eq!(sem.release(), Err(TooManyReleases)); // nothing lent
    ///
    /// let held = sem.try_acquire().unwrap();
    /// assert_eq!(sem.counter(), 1);
    /// assert_eq!(sem.release(), Err(TooManyReleases)); // `held` still holds its token
    ///
    /// sem.try_acquire().unwrap().forget(); // this token comes back only by a release
    /// assert_eq!(sem.counter(), 0);
    /// assert_eq!(sem.release(), Ok(()));
    /// assert_eq!(sem.counter(), 1);
    /// assert_eq!(sem.release(), Err(TooManyReleases)); // released once already
    ///
    /// drop(held);
    /// assert_eq!(sem.counter(), 2);
    /// ```
    #[inline]
    pub fn release(&self) -> Result<(), TooManyReleases> {
        self.pool.release_forgotten(1).map_err(|()| TooManyReleases)
    }
}

/// Panics for an `acquire_many` of more tokens than the semaphore can ever hold.
#[cold]
#[inline(never)]
fn too_many_asked(name: &str, n: usize, most: usize) -> ! {
    if most == MAX_TOKENS {
        panic!(
            "{name}::acquire_many: {n} tokens asked, more than a semaphore can hold (usize::MAX / 2); it would wait forever"
        )
    }
    panic!("{name}::acquire_many: {n} tokens asked of a semaphore of {most}; it would wait forever")
}

/// Shows the state (toro's `__str__`): free tokens, acquirers and `wait()`ers in line, and
/// whether the semaphore was closed:
/// `Semaphore { counter: 1, waiters: 0, watchers: 0, closed: false }`.
impl<K: Kind> fmt::Debug for SemaphoreOf<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (acquirers, watchers) = self.pool.waiting();
        f.debug_struct(K::NAME)
            .field("counter", &self.pool.free())
            .field("waiters", &acquirers)
            .field("watchers", &watchers)
            .field("closed", &self.pool.is_closed())
            .finish()
    }
}

mod futures;
mod guards;

pub use futures::{
    OwnedSemaphoreAcquire, OwnedSemaphoreAcquireOrClosed, SemaphoreAcquire,
    SemaphoreAcquireOrClosed, SemaphoreWait,
};
pub use guards::{OwnedSemaphoreGuard, SemaphoreArc, SemaphoreGuard};
