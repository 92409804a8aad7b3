//! [`Condition`]: a wait/notify line with no lock of its own.

use std::fmt;
use std::task::{Context, Poll, ready};

use crate::deadline::wait_future;
use crate::lazy::LazyBox;
use crate::sync::{Mutex, const_fn, lock};
use crate::waiters::in_slot::InSlot;
use crate::waiters::slot::{SlotLine, Spare};
use crate::waiters::{GIVEN_UP_AFTER, POLLED_AFTER, WakeList};

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
    line: LazyBox<CondLine>,
}

/// What a [`Condition`] makes when its first waiter joins: its waiters, each in a slot of
/// its own (see [`SlotLine`]), and one spare slot. A waiter leaves its waker in its slot,
/// and learns there that it was woken, without the mutex: a wake-up costs the waiter no
/// critical section beyond the one it joins in.
struct CondLine {
    waiters: Mutex<SlotLine<Notice>>,
    spare: Spare<Notice>,
}

impl CondLine {
    fn new(_: usize) -> Self {
        CondLine {
            waiters: Mutex::new(SlotLine::new()),
            spare: Spare::new(),
        }
    }
}

/// What a waiter's slot is handed: a wake-up from `notify(n)`, which passes on to the next
/// waiter if its own is dropped before returning, or from `notify_all`, which does not.
#[derive(Default)]
pub(crate) struct Notice {
    pass_on: bool,
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
    fn line(&self) -> &CondLine {
        self.line.get_or_make(CondLine::new)
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
        self.line.get().map_or(0, |line| lock(&line.waiters).len())
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
        let line = self.line();
        let slot = lock(&line.waiters).join(&line.spare);
        ConditionWait {
            stage: CondStage(Progress::Waiting {
                cond: self,
                waiter: InSlot::new(slot),
            }),
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
        {
            let mut waiters = lock(&line.waiters);
            for _ in 0..n {
                match waiters.hand_front(Notice { pass_on: true }) {
                    Ok(waker) => wakes.push(waker),
                    Err(_) => break,
                }
            }
        }
        wakes.wake_all();
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
        {
            let mut waiters = lock(&line.waiters);
            while let Ok(waker) = waiters.hand_front(Notice { pass_on: false }) {
                wakes.push(waker);
            }
        }
        wakes.wake_all();
    }
}

/// A condition waiter's progress: in line, in a slot of its own, or done.
pub(crate) struct CondStage<'a>(Progress<'a>);

enum Progress<'a> {
    Waiting {
        cond: &'a Condition,
        waiter: InSlot<Notice>,
    },
    Done,
}

impl<'a> CondStage<'a> {
    #[inline]
    pub(crate) fn poll_with<X>(
        &mut self,
        cx: &mut Context<'_>,
        finish: impl FnOnce(&'a Condition, ()) -> X,
    ) -> Poll<X> {
        let Progress::Waiting { cond, waiter } = &mut self.0 else {
            panic!("{POLLED_AFTER}")
        };
        let cond: &'a Condition = cond;
        ready!(waiter.poll(cx, || lock(&cond.line().waiters), |waiters| waiters));
        // Woken: the wake-up is spent here; the slot (the notice in it) goes back,
        // outside any mutex.
        let Progress::Waiting { cond, waiter } = std::mem::replace(&mut self.0, Progress::Done)
        else {
            unreachable!("waiting")
        };
        waiter.finish(&cond.line().spare);
        Poll::Ready(finish(cond, ()))
    }

    /// Leaves the line at a deadline: `Ok` if the waiter was woken first (ready wins; the
    /// wake-up is its own then, not passed on), `Err` if it left unwoken.
    #[inline]
    pub(crate) fn give_up_with<X, C>(
        &mut self,
        finish: impl FnOnce(&'a Condition, ()) -> X,
        carry: impl FnOnce(&'a Condition, ()) -> C,
    ) -> Result<X, C> {
        let Progress::Waiting { cond, .. } = self.0 else {
            panic!("{GIVEN_UP_AFTER}")
        };
        match self.leave() {
            Some(_) => Ok(finish(cond, ())),
            None => Err(carry(cond, ())),
        }
    }

    /// Takes the waiter out of the line: `None` if it left unwoken, otherwise the notice
    /// that woke it first.
    fn leave(&mut self) -> Option<Notice> {
        let Progress::Waiting { cond, waiter } = std::mem::replace(&mut self.0, Progress::Done)
        else {
            return None;
        };
        let line = cond.line();
        waiter.leave(
            &line.spare,
            || lock(&line.waiters),
            |waiters| waiters,
            |_| {},
        )
    }

    #[inline]
    pub(crate) fn is_ready(&self) -> bool {
        matches!(&self.0, Progress::Waiting { waiter, .. } if waiter.is_handed())
    }

    /// Whether the future still stands in line (for `Debug`).
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(&self.0, Progress::Waiting { waiter, .. } if !waiter.is_handed())
    }
}

impl Drop for CondStage<'_> {
    fn drop(&mut self) {
        if let Progress::Waiting { cond, .. } = self.0 {
            // Dropped after `notify(n)` woke it: the wake-up goes to the next waiter.
            if let Some(Notice { pass_on: true }) = self.leave() {
                cond.notify(1);
            }
        }
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
    pub struct ConditionWait<'a>(CondStage<'a>) -> ();
    finish |_, _| (),
}
