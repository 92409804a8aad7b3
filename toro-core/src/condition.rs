//! [`Condition`]: a wait/notify line with no lock of its own.

use std::fmt;

use crate::deadline::wait_future;
use crate::lazy::LazyBox;
use crate::sync::{Mutex, const_fn, lock};
use crate::waiters::{Line, Stage, Waiter, WaiterList, WakeList, grants_are_data};

/// A condition variable for coroutines: [`wait`](Self::wait) until [`notify`](Self::notify)
/// wakes you.
///
/// Unlike `std::sync::Condvar` or asyncio's `Condition`, it has no associated lock, and a
/// notification is not remembered: a `notify` with nobody waiting does nothing. Waiters
/// are woken oldest first, inside the `notify` call. A waiter that timed out or was dropped
/// is not counted by `notify(n)`: the notification goes to the next live waiter.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let cond = toro_core::Condition::new();
/// let first = cond.wait();
/// let second = cond.wait();
/// cond.notify(1);
/// first.await; // ready: it was notified inside `notify`
/// assert_eq!(cond.waiters(), 1); // `second` still waits
/// cond.notify_all();
/// second.await;
/// # });
/// ```
pub struct Condition {
    /// The line, made when the first waiter joins.
    line: LazyBox<Mutex<WaiterList<Notice>>>,
}

/// What a condition waiter was woken by: `notify(n)` hands out one wake-up each, passed on
/// if its waiter is dropped before returning; `notify_all` wakes whoever is present.
pub(crate) struct Notice {
    pass_on: bool,
}

enum Waiters {}

impl Line for Waiters {
    type Target = Condition;
    type State = WaiterList<Notice>;
    type Data = Notice;
    grants_are_data!();
    const RETURNS_GRANTS: bool = true;

    fn state(cond: &Condition) -> &Mutex<WaiterList<Notice>> {
        cond.line()
    }

    fn list(list: &mut WaiterList<Notice>) -> &mut WaiterList<Notice> {
        list
    }

    fn return_grant(
        _: &Condition,
        list: &mut WaiterList<Notice>,
        notice: Notice,
        wakes: &mut WakeList,
    ) {
        if notice.pass_on {
            Condition::notify_locked(list, 1, wakes);
        }
    }
}

impl Condition {
    const_fn! {
        /// A condition with nobody waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(toro_core::Condition::new().waiters(), 0);
        /// ```
        pub fn new() -> Self {
            Condition {
                line: LazyBox::new(0),
            }
        }
    }

    /// The line, made now if it was not.
    fn line(&self) -> &Mutex<WaiterList<Notice>> {
        self.line.get_or_make(|_| Mutex::new(WaiterList::new()))
    }

    /// How many waiters are waiting (timed-out and dropped ones are gone already).
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = toro_core::Condition::new();
    /// let _w = cond.wait();
    /// assert_eq!(cond.waiters(), 1);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line.get().map_or(0, |line| lock(line).len())
    }

    /// Waits for a notification. Always waits: a notification sent before the call is not
    /// remembered.
    ///
    /// Eager: the place in line is taken when `wait()` is called.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future leaves the line. If it had already been woken by
    /// [`notify`](Self::notify), the wake-up passes to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let cond = toro_core::Condition::new();
    /// cond.notify(1); // nobody waits: forgotten
    /// assert!(cond.wait().deadline(Duration::from_millis(1)).await.is_err());
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> ConditionWait<'_> {
        let mut list = lock(self.line());
        ConditionWait {
            stage: Stage::Waiting(Waiter::enqueue(self, &mut *list, Notice { pass_on: false })),
        }
    }

    /// Wakes the `n` oldest waiters (fewer if fewer wait), inside this call.
    ///
    /// `notify(0)` does nothing. (toro woke everybody for a negative `n`; a `usize` cannot be
    /// negative: use [`notify_all`](Self::notify_all).)
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = toro_core::Condition::new();
    /// let (a, b) = (cond.wait(), cond.wait());
    /// cond.notify(1);
    /// assert_eq!(cond.waiters(), 1);
    /// # drop((a, b));
    /// ```
    pub fn notify(&self, n: usize) {
        // Nobody ever waited: nothing to remember.
        let Some(line) = self.line.get() else { return };
        let mut wakes = WakeList::new();
        Condition::notify_locked(&mut lock(line), n, &mut wakes);
        wakes.wake_all();
    }

    fn notify_locked(list: &mut WaiterList<Notice>, n: usize, wakes: &mut WakeList) {
        for _ in 0..n {
            let Some(key) = list.front() else { break };
            list.data_mut(key).pass_on = true;
            wakes.push(list.grant(key));
        }
    }

    /// Wakes every waiter present at the call. Waiters that arrive afterwards wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = toro_core::Condition::new();
    /// let (a, b) = (cond.wait(), cond.wait());
    /// cond.notify_all();
    /// assert_eq!(cond.waiters(), 0);
    /// # drop((a, b));
    /// ```
    pub fn notify_all(&self) {
        let Some(line) = self.line.get() else { return };
        let mut wakes = WakeList::new();
        lock(line).grant_all(&mut wakes);
        wakes.wake_all();
    }
}

impl Default for Condition {
    fn default() -> Self {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &self.waiters())
            .finish()
    }
}

wait_future! {
    /// The future of [`Condition::wait`]: already in line.
    ///
    /// Completes once a [`notify`](Condition::notify) or
    /// [`notify_all`](Condition::notify_all) made after it was created reaches it. Give it a
    /// deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it leaves the line; a wake-up it had already been given passes to the next
    /// waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Condition, ConditionWait};
    /// # toro_core::block_on(async {
    /// let cond = Condition::new();
    /// let waits: Vec<ConditionWait<'_>> = (0..3).map(|_| cond.wait()).collect();
    /// cond.notify(2); // wakes the two oldest, inside the call
    /// assert_eq!(cond.waiters(), 1);
    /// cond.notify_all();
    /// for wait in waits {
    ///     wait.await;
    /// }
    /// # });
    /// ```
    #[must_use = "the place in line is held already; .await the future to wait for the notification"]
    pub struct ConditionWait<'a>(Stage<'a, Waiters>) -> ();
    finish |_, _| (),
}
