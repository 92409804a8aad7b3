//! [`Event`]: a flag that tasks can wait for.

use std::fmt;

use crate::deadline::wait_future;
use crate::sync::{lock, AtomicBool, Mutex, Ordering};
use crate::waiters::{
    grants_are_data, HandedOver, Line, Spot, Stage, Waiter, WaiterList, WakeList,
};

/// An event: [`wait`](Self::wait) blocks until [`set`](Self::set), and passes at once
/// while the flag is set.
///
/// `set()` releases every waiter present at the call, inside the call, even if
/// [`clear`](Self::clear) follows at once (a "pulse"); waiters that arrive after the
/// `clear()` wait for the next `set()`.
///
/// # Examples
///
/// ```
/// # toro_core::block_on(async {
/// let event = toro_core::Event::new();
/// let waiting = event.wait();
/// event.set();
/// event.clear();
/// waiting.await; // released by the pulse
/// assert!(!event.is_set());
/// # });
/// ```
pub struct Event {
    flag: AtomicBool,
    /// Whether anyone is in line, so `set` with nobody waiting takes no lock. Set under
    /// the lock before a waiter re-checks the flag, read by `set` after it stores the flag
    /// (both `SeqCst`): either `set` sees the waiter, or the waiter sees the flag.
    waiting: AtomicBool,
    /// How far `set` has handed its wake-ups out: a released waiter learns it here,
    /// without the lock (a fan-out to many waiters on several threads does not queue
    /// them all on the mutex to collect their grant).
    handed: HandedOver,
    waiters: Mutex<WaiterList<()>>,
}

enum Waiters {}

impl Line for Waiters {
    type Target = Event;
    type State = WaiterList<()>;
    type Data = ();
    grants_are_data!();

    fn state(event: &Event) -> &Mutex<WaiterList<()>> {
        &event.waiters
    }

    fn list(list: &mut WaiterList<()>) -> &mut WaiterList<()> {
        list
    }

    fn handed_over(event: &Event) -> Option<&HandedOver> {
        Some(&event.handed)
    }

    fn handed_grant(_: usize) {}

    fn left_line(event: &Event, list: &mut WaiterList<()>, _: &mut (), _: &mut WakeList) {
        if list.is_empty() {
            event.waiting.store(false, Ordering::SeqCst);
        }
    }
}

impl Event {
    /// A clear event.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!toro_core::Event::new().is_set());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            handed: HandedOver::new(),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    #[cfg(loom)]
    #[allow(missing_docs)]
    pub fn new() -> Self {
        Event {
            flag: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            handed: HandedOver::new(),
            waiters: Mutex::new(WaiterList::new()),
        }
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = toro_core::Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// ```
    #[inline]
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Sets the flag and releases every waiter, inside this call.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = toro_core::Event::new();
    /// let w = e.wait();
    /// e.set();
    /// assert_eq!(e.waiters(), 0);
    /// # drop(w);
    /// ```
    pub fn set(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if !self.waiting.load(Ordering::SeqCst) {
            return;
        }
        self.release_waiters();
    }

    #[cold]
    #[inline(never)]
    fn release_waiters(&self) {
        let mut wakes = WakeList::new();
        {
            let mut list = lock(&self.waiters);
            list.hand_over_all(&self.handed, &mut wakes);
            self.waiting.store(false, Ordering::SeqCst);
        }
        wakes.wake_all();
    }

    /// Clears the flag: later waits block until the next [`set`](Self::set). Waiters
    /// already released stay released.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = toro_core::Event::new();
    /// e.set();
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        self.flag.store(false, Ordering::Release);
    }

    /// How many tasks wait for the flag.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = toro_core::Event::new();
    /// let _w = e.wait();
    /// assert_eq!(e.waiters(), 1);
    /// ```
    pub fn waiters(&self) -> usize {
        lock(&self.waiters).len()
    }

    /// Waits until the flag is set; completes at once if it is set now (with no lock taken
    /// and no clock read, whatever its deadline).
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
    /// let e = toro_core::Event::new();
    /// assert!(e.wait().deadline(Duration::ZERO).await.is_err());
    /// e.set();
    /// assert!(e.wait().deadline(Duration::ZERO).await.is_ok());
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> EventWait<'_> {
        // The slow path answers with where it joined the line, not the future, so that
        // the ready future is built once, in place (see `TokenPool::acquire`).
        let joined = if self.is_set() {
            None
        } else {
            self.wait_slow()
        };
        EventWait {
            stage: match joined {
                None => Stage::granted(self, ()),
                Some(spot) => Stage::Waiting(Waiter::queued(self, spot, 0)),
            },
        }
    }

    /// Joins the line (`Some`), unless the event was set meanwhile.
    #[cold]
    #[inline(never)]
    fn wait_slow(&self) -> Option<Spot> {
        let mut list = lock(&self.waiters);
        // Announce the waiter, then re-check: `set` stores the flag, then reads `waiting`.
        self.waiting.store(true, Ordering::SeqCst);
        if self.flag.load(Ordering::SeqCst) {
            if list.is_empty() {
                self.waiting.store(false, Ordering::SeqCst);
            }
            return None;
        }
        Some(list.join(()))
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .field("waiters", &self.waiters())
            .finish()
    }
}

/// The future of [`Event::wait`].
///
/// Ready at once if the flag was set when it was created; otherwise released by the next
/// [`set`](Event::set), even if [`clear`](Event::clear) follows at once. Give it a
/// deadline with `.deadline(d)` or `.deadline_on(&handle, d)`.
///
/// # Cancel safety
///
/// Dropping it takes nothing from anyone.
///
/// # Examples
///
/// ```
/// use toro_core::{Event, EventWait};
/// # toro_core::block_on(async {
/// let event = Event::new();
/// let waits: Vec<EventWait<'_>> = vec![event.wait(), event.wait()];
/// assert_eq!(event.waiters(), 2);
/// event.set(); // releases both, inside the call
/// event.clear();
/// assert_eq!(event.waiters(), 0);
/// for wait in waits {
///     wait.await;
/// }
/// # });
/// ```
#[must_use = "the wait is registered already; .await the future to wait for the event"]
pub struct EventWait<'a> {
    stage: Stage<'a, Waiters>,
}

wait_future! {
    EventWait<'a> -> (),
    finish |_, ()| (),
    carries () |()| (),
}
