//! [`Event`]: a flag that tasks can wait for.

use std::fmt;

use crate::deadline::wait_future;
use crate::lazy::LazyBox;
use crate::sync::{AtomicU64, Mutex, Ordering, const_fn, lock};
use crate::waiters::{HandedOver, Line, Spot, Stage, WaiterList, WakeList, grants_are_data};

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
    /// [`SET`], [`WAITING`] and the generation (the word shifted right by
    /// [`GENERATION_SHIFT`]), in one word so that `set` learns all three in the
    /// read-modify-write that sets the flag.
    ///
    /// `WAITING` says whether anyone may be in line, so that `set` with nobody waiting
    /// takes no lock; it changes only under the lock. A waiter sets it as it joins; a
    /// waiter leaving unreleased clears it if it was the last; a release that empties the
    /// line leaves it set, for the next waiter (a task that waits again) to join without
    /// a read-modify-write, and a later `set` that finds the line empty clears it
    /// ([`forget_waiting`](Self::forget_waiting)). Each `clear` of a set flag starts a new
    /// generation, and a waiter joins the line stamped with the generation it saw: a `set`
    /// hands over only the waiters of its own generation and older. A waiter that came
    /// after a `clear` which followed the `set` (while that `set` was on its way to the
    /// lock) is not released by it.
    flag: AtomicU64,
    /// The line, made when the first waiter has to wait.
    line: LazyBox<EventLine>,
}

/// What an [`Event`] makes when its first waiter has to wait.
struct EventLine {
    /// How far `set` has handed its wake-ups out: a released waiter learns it here,
    /// without the lock (a fan-out to many waiters on several threads does not queue
    /// them all on the mutex to collect their grant).
    handed: HandedOver,
    waiters: Mutex<WaiterList<Generation>>,
}

impl EventLine {
    fn new(_: usize) -> Self {
        EventLine {
            handed: HandedOver::new(),
            waiters: Mutex::new(WaiterList::new()),
        }
    }
}

/// [`Event::flag`]: the flag is set.
const SET: u64 = 1;
/// [`Event::flag`]: somebody is in line.
const WAITING: u64 = 2;
/// [`Event::flag`]: where the generation starts.
const GENERATION_SHIFT: u32 = 2;
/// The generations: 62 bits, counted modulo 2^62.
const GENERATIONS: Generation = Generation::MAX >> GENERATION_SHIFT;

/// Counts the `clear`s that cleared a set flag, in the 62 bits above the two flags,
/// wrapping around; two generations are compared within half that range.
///
/// The distance that matters is between a waiter in line and a `set` on its way to the
/// lock (it read the generation, then was delayed): every `set` that reaches the lock
/// releases all the waiters before it, so a waiter is never more than that `set`'s delay
/// behind. Misreading it takes 2^61 `clear`s during one such delay: 73 years at one per
/// nanosecond. (With 30 bits, 2^29 cycles while one thread was descheduled, under a
/// minute, let a delayed `set` release a waiter that came after a later `clear`.)
type Generation = u64;

/// The generation a state word is in.
fn generation(flag: u64) -> Generation {
    flag >> GENERATION_SHIFT
}

/// The generation after `g`.
fn next_generation(g: Generation) -> Generation {
    g.wrapping_add(1) & GENERATIONS
}

/// Whether a waiter that joined in generation `joined` was there before a `set` made in
/// generation `set`.
fn joined_by(joined: Generation, set: Generation) -> bool {
    set.wrapping_sub(joined) & GENERATIONS <= GENERATIONS / 2
}

enum Waiters {}

impl Line for Waiters {
    type Target = Event;
    type State = WaiterList<Generation>;
    /// The generation the waiter saw when it joined.
    type Data = Generation;
    grants_are_data!();

    fn state(event: &Event) -> &Mutex<WaiterList<Generation>> {
        &event.line().waiters
    }

    fn list(list: &mut WaiterList<Generation>) -> &mut WaiterList<Generation> {
        list
    }

    fn handed_over(event: &Event) -> Option<&HandedOver> {
        Some(&event.line().handed)
    }

    fn handed_grant(_: usize) -> Generation {
        0
    }

    fn left_line(
        event: &Event,
        list: &mut WaiterList<Generation>,
        _: &mut Generation,
        _: &mut WakeList,
    ) {
        event.forget_waiting(list);
    }
}

impl Event {
    const_fn! {
        /// A clear event.
        ///
        /// # Examples
        ///
        /// ```
        /// assert!(!toro_core::Event::new().is_set());
        /// ```
        pub fn new() -> Self {
            Event {
                flag: AtomicU64::new(0),
                line: LazyBox::new(0),
            }
        }
    }

    /// The line, made now if it was not.
    fn line(&self) -> &EventLine {
        self.line.get_or_make(EventLine::new)
    }

    /// A clear event whose generation starts at `g`: lets a test (or a loom model) start
    /// next to the wrap of the generation counter.
    #[cfg(any(test, loom))]
    #[doc(hidden)]
    pub fn at_generation(g: u64) -> Self {
        let event = Event::new();
        event
            .flag
            .store((g & GENERATIONS) << GENERATION_SHIFT, Ordering::Relaxed);
        event
    }

    /// Moves the line's ticket counter on, as if `n` waits had joined and left: starts a
    /// loom model next to a boundary.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn skip_tickets(&self, n: u64) {
        lock(&self.line().waiters).skip_tickets(n);
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
        self.flag.load(Ordering::Acquire) & SET != 0
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
        let was = self.flag.fetch_or(SET, Ordering::SeqCst);
        // Already set: whoever set it releases the waiters. Nobody in line: nothing to do
        // (a waiter joining now sets `WAITING` after this, and sees `SET`).
        if was & (SET | WAITING) == WAITING {
            self.release_waiters(generation(was));
        }
    }

    /// Hands over every waiter of `set`'s generation or older.
    #[cold]
    #[inline(never)]
    fn release_waiters(&self, set: Generation) {
        let mut wakes = WakeList::new();
        {
            let line = self.line();
            let mut list = lock(&line.waiters);
            // A release that empties the line leaves `WAITING` set, for the next waiter
            // (the usual case: a task that waits again); a `set` that finds the line
            // empty came for nobody, and clears it.
            if list.is_empty() {
                self.forget_waiting(&list);
            } else {
                list.hand_over_while(&line.handed, &mut wakes, |&joined| joined_by(joined, set));
            }
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
        let mut now = self.flag.load(Ordering::Relaxed);
        while now & SET != 0 {
            // Cleared, in the next generation (`WAITING` kept).
            let next = (next_generation(generation(now)) << GENERATION_SHIFT) | (now & WAITING);
            match self
                .flag
                .compare_exchange_weak(now, next, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(actual) => now = actual,
            }
        }
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
        self.line.get().map_or(0, |line| lock(&line.waiters).len())
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
        let joined = if self.is_set() {
            None
        } else {
            self.wait_slow()
        };
        EventWait {
            stage: Stage::granted_or_queued(self, 0, joined),
        }
    }

    /// Clears `WAITING` if nobody is in line: `set` need not come for the line. Mutex
    /// held (`list` is borrowed from its guard).
    fn forget_waiting(&self, list: &WaiterList<Generation>) {
        if list.is_empty() {
            self.flag.fetch_and(!WAITING, Ordering::SeqCst);
        }
    }

    /// Joins the line (`Some`), unless the event was set meanwhile.
    #[cold]
    #[inline(never)]
    fn wait_slow(&self) -> Option<Spot> {
        let mut list = lock(&self.line().waiters);
        // Announce the waiter and look at the flag in one step: a `set` either came first
        // (seen here) or sees `WAITING` and comes for the line. Already announced (a
        // release left `WAITING` set): the load is that step, since a `set`'s
        // read-modify-write of the same word comes before it (seen) or after (it sees
        // `WAITING`).
        let seen = self.flag.load(Ordering::SeqCst);
        let now = if seen & WAITING != 0 {
            seen
        } else {
            self.flag.fetch_or(WAITING, Ordering::SeqCst)
        };
        if now & SET != 0 {
            self.forget_waiting(&list);
            return None;
        }
        Some(list.join(generation(now)))
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

wait_future! {
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
    pub struct EventWait<'a>(Stage<'a, Waiters>) -> ();
    finish |_, _| (),
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Waker};

    fn ready(wait: &mut EventWait<'_>) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(wait).poll(&mut cx).is_ready()
    }

    /// Generations wrap at 2^62: across the wrap a `set` still releases exactly the
    /// waiters that came before it, and a delayed `set` from before a `clear` releases
    /// nobody who came after that `clear`.
    #[test]
    fn generations_compare_across_their_wrap() {
        for start in [GENERATIONS - 2, GENERATIONS - 1, GENERATIONS, 0] {
            let event = Event::at_generation(start);
            for cycle in 0..4 {
                let g = generation(event.flag.load(Ordering::Relaxed));
                assert_eq!(g, start.wrapping_add(cycle) & GENERATIONS);
                let mut before = event.wait();
                assert!(!ready(&mut before));
                event.set();
                assert!(ready(&mut before), "released by the set of its generation");
                event.clear();
                // A waiter of the next generation, and a set delayed since generation `g`
                // (it read the word before the clear): the waiter stays.
                let mut after = event.wait();
                event.release_waiters(g);
                assert!(
                    !ready(&mut after),
                    "released by a set from before the clear"
                );
                event.release_waiters(next_generation(g));
                assert!(ready(&mut after));
            }
        }
    }

    /// Past 2^31 waits dropped in line, a wait on an event never set still waits. (With
    /// 32-bit tickets it completed: a `select!` loop over `wait()` spends one ticket per
    /// turn.)
    #[test]
    fn a_wait_after_two_to_the_31_abandoned_waits_still_waits() {
        let event = Event::new();
        drop(event.wait());
        lock(&event.line().waiters).skip_tickets((1 << 31) + 1);
        let mut wait = event.wait();
        assert!(!ready(&mut wait));
        assert!(!event.is_set());
        event.set();
        assert!(ready(&mut wait));
    }

    #[test]
    fn joined_by_is_a_half_range_comparison() {
        assert!(joined_by(GENERATIONS, 0));
        assert!(joined_by(GENERATIONS - 5, 3));
        assert!(!joined_by(0, GENERATIONS));
        assert!(!joined_by(4, GENERATIONS - 5));
        assert!(joined_by(7, 7));
    }
}
