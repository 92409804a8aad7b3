//! [`AsyncResult`]: a value set once, which many tasks can wait for; or, used as a
//! `OnceCell`, a value made once by the first of many callers to need it.
//!
//! - this file: the result, its line of readers, [`set`](AsyncResult::set) and
//!   [`get`](AsyncResult::get);
//! - [`init`]: [`get_or_init`](AsyncResult::get_or_init) and
//!   [`get_or_try_init`](AsyncResult::get_or_try_init), the turn to initialise and the line
//!   of initialisers waiting for it.

use std::fmt;
use std::sync::OnceLock;

use crate::deadline::wait_future;
use crate::error::{AlreadySet, NotReady};
use crate::lazy::LazyBox;
use crate::sync::{Mutex, MutexGuard, const_fn, lock};
use crate::waiters::{Line, Spot, Stage, WaiterList, WakeList, grants_are_data};

mod init;

pub use init::{AsyncResultGetOrInit, AsyncResultGetOrTryInit};

/// A one-time value cell: [`set`](Self::set) once, [`get`](Self::get) by any number of
/// waiters, each with its own deadline.
///
/// It is also an async `OnceCell`: [`get_or_init`](Self::get_or_init) and
/// [`get_or_try_init`](Self::get_or_try_init) make the value once, the first caller's
/// `f` running while the others wait in line, each taking its turn if the one before
/// gives up.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let result = toro_core::AsyncResult::new();
/// let reader = result.get();
/// result.set("done").unwrap();
/// assert_eq!(*reader.await, "done");
/// assert_eq!(result.get_nowait(), Ok(&"done"));
/// # });
/// ```
pub struct AsyncResult<T> {
    /// Written only under the line's lock, so that a caller about to wait, or to take the
    /// turn to initialise, looks for it there and either sees it or is in line to be given
    /// it.
    value: OnceLock<T>,
    /// The line, made when the first caller has to wait or initialise (or the value is
    /// set): everything beyond the value lives there, so a result is its value's cell
    /// and one word.
    line: LazyBox<Mutex<ResultLine>>,
}

/// What an [`AsyncResult`] keeps beside its value, made on first need.
struct ResultLine {
    /// `get()`s waiting for the value.
    readers: WaiterList<()>,
    /// `get_or_init`s and `get_or_try_init`s waiting for their turn to initialise (or for
    /// the value), oldest first.
    initialisers: WaiterList<()>,
    /// Whether an initialiser holds the turn: running its `f`, or handed the turn and not
    /// polled since. While it is free, nobody waits in `initialisers`: a caller who finds
    /// it free takes it, and a turn given up goes straight to the oldest one in line.
    /// Meaningless once the value is set.
    turn_taken: bool,
}

impl ResultLine {
    const fn new() -> Self {
        ResultLine {
            readers: WaiterList::new(),
            initialisers: WaiterList::new(),
            turn_taken: false,
        }
    }

    /// Callers in line: readers, and initialisers waiting for their turn.
    fn waiting(&self) -> usize {
        self.readers.len() + self.initialisers.len()
    }

    /// The value was just stored: every waiter gets it, readers and initialisers alike.
    fn release_all(&mut self, wakes: &mut WakeList) {
        self.turn_taken = false;
        self.readers.grant_all(wakes);
        self.initialisers.grant_all(wakes);
    }
}

/// The waiters of an [`AsyncResult`], in one of the two lists of its [`ResultLine`]: its
/// `get()`s ([`Readers`]), or, `FOR_TURN`, its initialisers waiting for the turn
/// ([`Initialisers`](init::Initialisers)).
struct ResultWaiters<T, const FOR_TURN: bool>(std::marker::PhantomData<T>);

/// The `get()`s waiting for the value.
type Readers<T> = ResultWaiters<T, false>;

impl<T, const FOR_TURN: bool> Line for ResultWaiters<T, FOR_TURN> {
    type Target = AsyncResult<T>;
    type State = ResultLine;
    /// Nothing: a granted waiter reads from the value what it was given (an initialiser:
    /// the value if it is set, else the turn).
    type Data = ();
    grants_are_data!();
    /// Only a turn is given back: a reader's grant is the value, which stays set.
    const RETURNS_GRANTS: bool = FOR_TURN;

    fn state(result: &AsyncResult<T>) -> &Mutex<ResultLine> {
        result.line()
    }

    fn list(line: &mut ResultLine) -> &mut WaiterList<()> {
        if FOR_TURN {
            &mut line.initialisers
        } else {
            &mut line.readers
        }
    }

    /// An initialiser handed the turn was dropped before it took it: the turn goes on (a
    /// waiter handed the value takes nothing with it).
    fn return_grant(result: &AsyncResult<T>, line: &mut ResultLine, (): (), wakes: &mut WakeList) {
        if FOR_TURN {
            result.pass_turn_locked(line, wakes);
        }
    }
}

impl<T> AsyncResult<T> {
    const_fn! {
        /// An unset result.
        ///
        /// # Examples
        ///
        /// ```
        /// let r = toro_core::AsyncResult::<i32>::new();
        /// assert!(!r.ready());
        /// ```
        pub fn new() -> Self {
            AsyncResult {
                value: OnceLock::new(),
                line: LazyBox::new(0),
            }
        }
    }

    /// The line, made now if it was not.
    fn line(&self) -> &Mutex<ResultLine> {
        self.line.get_or_make(|_| Mutex::new(ResultLine::new()))
    }

    /// The line, locked, if it was made.
    fn line_if_made(&self) -> Option<MutexGuard<'_, ResultLine>> {
        self.line.get().map(lock)
    }

    /// Whether a value has been set.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::new();
    /// r.set(()).unwrap();
    /// assert!(r.ready());
    /// ```
    #[inline]
    pub fn ready(&self) -> bool {
        self.value.get().is_some()
    }

    /// Stores the value and wakes every waiter inside this call: the [`get`](Self::get)s,
    /// oldest first, then the [`get_or_init`](Self::get_or_init)s waiting for their turn,
    /// oldest first. Each gets the value.
    ///
    /// **While an initialiser holds the turn**, `set` wins: the value is stored at once
    /// and every waiter gets it. An initialiser that has not called its `f` yet never
    /// will; one whose `f` runs is not interrupted: when `f`'s future completes, the value
    /// it made is dropped (in that initialiser's poll) and its caller gets the value `set`
    /// stored (an `Err` from a [`get_or_try_init`](Self::get_or_try_init)'s `f` still goes
    /// to its caller). `set` thus fails only when a value is there, which is what
    /// [`AlreadySet`] says. (tokio's `OnceCell::set` refuses while an initialiser runs,
    /// though the cell may then stay empty if that initialiser fails.)
    ///
    /// # Errors
    ///
    /// [`AlreadySet`] holding `value` if a value was set before; nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::new();
    /// assert!(r.set(1).is_ok());
    /// assert_eq!(r.set(2).unwrap_err().into_inner(), 2);
    /// assert_eq!(r.get_nowait(), Ok(&1));
    /// ```
    pub fn set(&self, value: T) -> Result<(), AlreadySet<T>> {
        let mut wakes = WakeList::new();
        {
            // The value is stored under the line's lock, where a reader about to wait looks
            // for it: a reader either sees it or is in line to be woken.
            let mut line = lock(self.line());
            self.value.set(value).map_err(AlreadySet)?;
            line.release_all(&mut wakes);
        }
        wakes.wake_all();
        Ok(())
    }

    /// The value, if set.
    ///
    /// # Errors
    ///
    /// [`NotReady`] if no value was set yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::new();
    /// assert_eq!(r.get_nowait(), Err(toro_core::NotReady));
    /// r.set('x').unwrap();
    /// assert_eq!(r.get_nowait(), Ok(&'x'));
    /// ```
    #[inline]
    pub fn get_nowait(&self) -> Result<&T, NotReady> {
        self.value.get().ok_or(NotReady)
    }

    /// Waits for the value; completes at once (whatever its deadline) if it is set.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let r = toro_core::AsyncResult::<u8>::new();
    /// assert!(r.get().deadline(Duration::from_millis(1)).await.is_err());
    /// r.set(3).unwrap();
    /// assert_eq!(r.get().deadline(Duration::ZERO).await, Ok(&3));
    /// # });
    /// ```
    #[inline]
    pub fn get(&self) -> AsyncResultGet<'_, T> {
        let joined = if self.ready() { None } else { self.get_slow() };
        AsyncResultGet {
            stage: Stage::granted_or_queued(self, (), joined),
        }
    }

    /// Joins the line (`Some`), unless the value was set meanwhile.
    #[cold]
    #[inline(never)]
    fn get_slow(&self) -> Option<Spot> {
        let mut line = lock(self.line());
        // `set` stores the value with the lock held: re-check under it.
        if self.ready() {
            return None;
        }
        Some(line.readers.join(()))
    }

    /// How many callers wait in line now: [`get`](Self::get)s waiting for the value, and
    /// [`get_or_init`](Self::get_or_init)s / [`get_or_try_init`](Self::get_or_try_init)s
    /// waiting for their turn to initialise. The initialiser whose turn it is does not
    /// wait in line, and is not counted; timed-out and dropped callers are gone already.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::<u8>::new();
    /// let _g = r.get();
    /// assert_eq!(r.waiters(), 1);
    /// let _runs = r.get_or_init(|| async { 1 }); // takes the turn: not in line
    /// let _next = r.get_or_init(|| async { 2 }); // waits for it
    /// assert_eq!(r.waiters(), 2);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line_if_made().map_or(0, |line| line.waiting())
    }
}

impl<T> Default for AsyncResult<T> {
    fn default() -> Self {
        AsyncResult::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for AsyncResult<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AsyncResult");
        match self.value.get() {
            Some(value) => d.field("value", value),
            None => {
                let (waiters, initialising) = self
                    .line_if_made()
                    .map_or((0, false), |line| (line.waiting(), line.turn_taken));
                d.field("value", &format_args!("<unset>"))
                    .field("initialising", &initialising)
                    .field("waiters", &waiters)
            }
        }
        .finish()
    }
}

#[inline]
fn value_of<T>(result: &AsyncResult<T>) -> &T {
    result
        .value
        .get()
        .expect("AsyncResult waiter granted before the value was set")
}

wait_future! {
    /// The future of [`AsyncResult::get`].
    ///
    /// Resolves to a reference to the value once it is [`set`](AsyncResult::set); ready at
    /// once if it already is. Give it a deadline with `.deadline(d)` or
    /// `.deadline_on(&handle, d)`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it takes nothing from anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{AsyncResult, AsyncResultGet};
    /// # toro_core::block_on(async {
    /// let result = AsyncResult::new();
    /// let readers: Vec<AsyncResultGet<'_, u32>> = (0..3).map(|_| result.get()).collect();
    /// result.set(42).unwrap(); // every reader gets the value
    /// for reader in readers {
    ///     assert_eq!(*reader.await, 42);
    /// }
    /// # });
    /// ```
    #[must_use = "the wait is registered already; .await the future to get the value"]
    pub struct AsyncResultGet<'a, T>(Stage<'a, Readers<T>>) where T: 'a -> &'a T;
    finish |result, ()| value_of(result),
}
