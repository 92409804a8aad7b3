//! [`AsyncResult`]: a value set once, which many tasks can wait for.

use std::fmt;
use std::sync::OnceLock;

use crate::deadline::wait_future;
use crate::error::{AlreadySet, NotReady};
use crate::lazy::LazyBox;
use crate::sync::{Mutex, const_fn, lock};
use crate::waiters::{Line, Spot, Stage, WaiterList, WakeList, grants_are_data};

/// A one-time value cell: [`set`](Self::set) once, [`get`](Self::get) by any number of
/// waiters, each with its own deadline.
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
    value: OnceLock<T>,
    /// The line, made when the first reader has to wait (or the value is set).
    line: LazyBox<Mutex<WaiterList<()>>>,
}

struct Readers<T>(std::marker::PhantomData<T>);

impl<T> Line for Readers<T> {
    type Target = AsyncResult<T>;
    type State = WaiterList<()>;
    type Data = ();
    grants_are_data!();

    fn state(result: &AsyncResult<T>) -> &Mutex<WaiterList<()>> {
        result.line()
    }

    fn list(list: &mut WaiterList<()>) -> &mut WaiterList<()> {
        list
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
    fn line(&self) -> &Mutex<WaiterList<()>> {
        self.line.get_or_make(|_| Mutex::new(WaiterList::new()))
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

    /// Stores the value and wakes every waiter, oldest first, inside this call.
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
            let mut list = lock(self.line());
            self.value.set(value).map_err(AlreadySet)?;
            list.grant_all(&mut wakes);
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
        let mut list = lock(self.line());
        // `set` stores the value with the lock held: re-check under it.
        if self.ready() {
            return None;
        }
        Some(list.join(()))
    }

    /// How many tasks wait for the value.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = toro_core::AsyncResult::<u8>::new();
    /// let _g = r.get();
    /// assert_eq!(r.waiters(), 1);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line.get().map_or(0, |line| lock(line).len())
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
            None => d
                .field("value", &format_args!("<unset>"))
                .field("waiters", &self.waiters()),
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
    carries () |()| (),
}
