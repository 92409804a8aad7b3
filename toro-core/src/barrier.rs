//! [`Barrier`]: `n` tasks meet, then all go on together; cancel safe and reusable.

use std::fmt;

use crate::deadline::wait_future;
use crate::lazy::LazyBox;
use crate::sync::{Mutex, const_fn, lock};
use crate::waiters::{HandedOver, Line, Spot, Stage, WaiterList, WakeList};

/// A barrier: `n` calls of [`wait`](Self::wait) meet, and then every one of them goes on.
///
/// The first `n - 1` waits of a round wait; the `n`-th *trips* the barrier inside its
/// own `wait()` call: it is ready at once, and it releases the others, oldest first,
/// before the call returns. Exactly one wait of each round is the *leader*
/// ([`BarrierWaitResult::is_leader`]): the one whose arrival tripped the barrier. The
/// barrier is then empty and ready for the next round (a new generation), as often as
/// you like.
///
/// Like every toro wait, `wait()` is eager: the arrival counts when `wait()` is called,
/// not when the future is first polled, and the order of the calls is the order of the
/// line. `Barrier::new(0)` behaves as `Barrier::new(1)`: every wait is a round of its own,
/// ready at once and its leader (what `std` and tokio do).
///
/// # Cancel safety: a withdrawn arrival does not count
///
/// Unlike the barriers of `std`, tokio and async-lock, a wait that is dropped, or times
/// out at its deadline (`.deadline(d)`), *before* the barrier trips withdraws its arrival:
/// the barrier then waits for one more. (tokio's counts an abandoned arrival, so a round
/// can trip with fewer tasks than `n` alive to go on.) Once the barrier has tripped, a
/// released wait has passed: dropping it changes nothing, and a deadline observed after
/// the trip does not undo it (ready wins: the wait resolves to `Ok`).
///
/// # Examples
///
/// ```
/// use toro_core::Barrier;
/// # toro_core::block_on(async {
/// let barrier = Barrier::new(3);
/// let first = barrier.wait(); // arrived: 1 of 3
/// let second = barrier.wait(); // 2 of 3
/// assert_eq!(barrier.waiters(), 2);
/// let third = barrier.wait(); // 3 of 3: trips the barrier inside this call
/// assert_eq!(barrier.waiters(), 0); // the next round starts empty
/// assert!(third.await.is_leader());
/// assert!(!first.await.is_leader());
/// assert!(!second.await.is_leader());
/// # });
/// ```
///
/// Threads (or tasks) meeting, round after round:
///
/// ```
/// use std::sync::Arc;
/// use toro_core::Barrier;
///
/// let barrier = Arc::new(Barrier::new(4));
/// let threads: Vec<_> = (0..4)
///     .map(|_| {
///         let barrier = barrier.clone();
///         std::thread::spawn(move || {
///             (0..10)
///                 .filter(|_| toro_core::block_on(barrier.wait()).is_leader())
///                 .count()
///         })
///     })
///     .collect();
/// let leaders: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
/// assert_eq!(leaders, 10); // one leader a round
/// ```
pub struct Barrier {
    /// How many arrivals trip the barrier (at least 1).
    n: usize,
    /// The line, made when the first wait has to wait (never, for `n == 1`).
    ///
    /// The line holds exactly the arrivals of the current round: a trip hands every
    /// waiter over and leaves it empty, and a withdrawn arrival leaves it. So the barrier
    /// keeps no count and no generation of its own (nothing here can wrap; the line's
    /// tickets are 64 bits and never wrap, see the waiter list).
    line: LazyBox<BarrierLine>,
}

/// What a [`Barrier`] makes when its first waiter has to wait.
struct BarrierLine {
    /// How far trips have handed their releases out: a released waiter learns it here,
    /// without the mutex (a round of many waiters on several threads does not queue them
    /// all on it to collect their release).
    handed: HandedOver,
    waiters: Mutex<WaiterList<()>>,
}

impl BarrierLine {
    fn new(_: usize) -> Self {
        BarrierLine {
            handed: HandedOver::new(),
            waiters: Mutex::new(WaiterList::new()),
        }
    }
}

enum Waiters {}

impl Line for Waiters {
    type Target = Barrier;
    type State = WaiterList<()>;
    type Data = ();
    /// A waiter in line is never the leader: the leader's arrival trips the barrier and
    /// never stands in line.
    type Grant = BarrierWaitResult;

    fn collect(_: &mut WaiterList<()>, (): ()) -> BarrierWaitResult {
        BarrierWaitResult { leader: false }
    }

    fn state(barrier: &Barrier) -> &Mutex<WaiterList<()>> {
        &barrier.line().waiters
    }

    fn list(list: &mut WaiterList<()>) -> &mut WaiterList<()> {
        list
    }

    fn handed_over(barrier: &Barrier) -> Option<&HandedOver> {
        Some(&barrier.line().handed)
    }

    fn handed_grant(_: usize) -> BarrierWaitResult {
        BarrierWaitResult { leader: false }
    }

    // A waiter that leaves before the trip (dropped, timed out) takes its arrival with it
    // by leaving the line: nothing else to undo. One released by a trip keeps its
    // release (`RETURNS_GRANTS` is false): the round has passed.
}

impl Barrier {
    const_fn! {
        /// A barrier that trips at every `n`-th [`wait`](Self::wait); `n == 0` behaves as
        /// `n == 1` (every wait is ready at once, and its round's leader).
        ///
        /// # Examples
        ///
        /// ```
        /// # toro_core::block_on(async {
        /// let pair = toro_core::Barrier::new(2);
        /// let first = pair.wait();
        /// assert_eq!(pair.waiters(), 1);
        /// assert!(pair.wait().await.is_leader()); // the second arrival trips it
        /// assert!(!first.await.is_leader());
        ///
        /// let alone = toro_core::Barrier::new(0); // as `new(1)`
        /// assert!(alone.wait().await.is_leader());
        /// # });
        /// ```
        pub fn new(n: usize) -> Self {
            Barrier {
                n: if n == 0 { 1 } else { n },
                line: LazyBox::new(0),
            }
        }
    }

    /// The line, made now if it was not.
    fn line(&self) -> &BarrierLine {
        self.line.get_or_make(BarrierLine::new)
    }

    /// How many waits stand in line now: the arrivals of the current round (fewer than
    /// `n`), not counting withdrawn ones (dropped or timed out) nor those a trip released.
    ///
    /// # Examples
    ///
    /// ```
    /// let barrier = toro_core::Barrier::new(3);
    /// let a = barrier.wait();
    /// let b = barrier.wait();
    /// assert_eq!(barrier.waiters(), 2);
    /// drop(a); // withdrawn
    /// assert_eq!(barrier.waiters(), 1);
    /// # drop(b);
    /// ```
    pub fn waiters(&self) -> usize {
        self.line.get().map_or(0, |line| lock(&line.waiters).len())
    }

    /// Arrives at the barrier and waits for the round to fill.
    ///
    /// Eager: the arrival counts now, at the call. If it is the `n`-th of its round, it
    /// trips the barrier inside this call: the returned future is ready at once as the
    /// round's leader, and every other waiter of the round has been released, oldest
    /// first, before this call returns. Otherwise the future waits until a later arrival
    /// trips the barrier, and resolves as a follower.
    ///
    /// Give it a deadline with `.deadline(d)` or `.deadline_on(&handle, d)`: it resolves to
    /// `Err(Timeout)` if the deadline passes first, having withdrawn its arrival.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the barrier trips withdraws its arrival: the round waits
    /// for one more. Dropping it after the trip changes nothing.
    ///
    /// # Panics
    ///
    /// A tripping call wakes the round's waiters after its mutex is released; if a
    /// waker's `wake` panics, every other waiter is still woken and the panic then reaches
    /// the caller of this `wait()` (the barrier has tripped all the same).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// # toro_core::block_on(async {
    /// let barrier = toro_core::Barrier::new(2);
    /// // Nobody else arrives: the wait times out and withdraws its arrival.
    /// assert!(barrier.wait().deadline(Duration::from_millis(1)).await.is_err());
    /// assert_eq!(barrier.waiters(), 0);
    /// let first = barrier.wait();
    /// // The second arrival trips the barrier: ready wins, even with an expired deadline.
    /// let second = barrier.wait().deadline(Duration::ZERO).await.unwrap();
    /// assert!(second.is_leader());
    /// assert!(!first.await.is_leader());
    /// # });
    /// ```
    #[inline]
    pub fn wait(&self) -> BarrierWait<'_> {
        let joined = if self.n == 1 { None } else { self.arrive() };
        BarrierWait {
            stage: Stage::granted_or_queued(self, BarrierWaitResult { leader: true }, joined),
        }
    }

    /// Joins the line (`Some`), or trips the barrier (`None`: this arrival leads).
    #[cold]
    #[inline(never)]
    fn arrive(&self) -> Option<Spot> {
        let mut wakes = WakeList::new();
        {
            let line = self.line();
            let mut list = lock(&line.waiters);
            // Everyone in line arrived in this round; with this arrival, are there `n`?
            if list.len() < self.n - 1 {
                return Some(list.join(()));
            }
            list.hand_over_while(&line.handed, &mut wakes, |()| true);
        }
        wakes.wake_all();
        None
    }
}

/// Shows `n`, the arrivals of the current round (`arrived`) and `waiters`: the same
/// number, since an arrival withdrawn (dropped, timed out) no longer counts.
impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiters = self.waiters();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &waiters)
            .field("waiters", &waiters)
            .finish()
    }
}

/// What a [`Barrier::wait`] resolves to: whether this wait was its round's leader.
///
/// # Examples
///
/// ```
/// use toro_core::{Barrier, BarrierWaitResult};
/// # toro_core::block_on(async {
/// let barrier = Barrier::new(1);
/// let result: BarrierWaitResult = barrier.wait().await;
/// assert!(result.is_leader());
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this wait tripped the barrier: exactly one wait of each round is the
    /// leader, the one whose arrival was the `n`-th.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let barrier = toro_core::Barrier::new(2);
    /// let follower = barrier.wait();
    /// let leader = barrier.wait();
    /// assert!(leader.await.is_leader());
    /// assert!(!follower.await.is_leader());
    /// # });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

wait_future! {
    /// The future of [`Barrier::wait`]: its arrival already counts.
    ///
    /// Ready at once if its arrival tripped the barrier (the leader); otherwise ready once a
    /// later arrival trips it, inside that arrival's call. Give it a deadline with
    /// `.deadline(d)` or `.deadline_on(&handle, d)`.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before the barrier trips withdraws its arrival (the round waits for one
    /// more); a timed-out wait has withdrawn too. Dropping it after the trip changes nothing.
    ///
    /// # Panics
    ///
    /// Polling it again after it returned panics, like any finished future.
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{Barrier, BarrierWait};
    /// # toro_core::block_on(async {
    /// let barrier = Barrier::new(3);
    /// let mut waits: Vec<BarrierWait<'_>> = vec![barrier.wait(), barrier.wait()];
    /// drop(waits.pop()); // withdrawn: 1 of 3 now
    /// waits.push(barrier.wait());
    /// assert_eq!(barrier.waiters(), 2);
    /// waits.push(barrier.wait()); // the third arrival trips it
    /// let leaders = waits.len();
    /// let mut seen = 0;
    /// for wait in waits {
    ///     seen += usize::from(wait.await.is_leader());
    /// }
    /// assert_eq!((leaders, seen), (3, 1));
    /// # });
    /// ```
    #[must_use = "the arrival counts already; .await the future to wait for the barrier"]
    pub struct BarrierWait<'a>(Stage<'a, Waiters>) -> BarrierWaitResult;
    finish |_, result| result,
}
