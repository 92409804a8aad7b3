//! Loops, clocks and timers: what a deadline is measured on.
//!
//! A [`LoopHandle`] is toro's `io_loop`: it reads a clock and sleeps until an instant.
//! toro never starts a timer unless a wait has a deadline and could not finish at once.
//!
//! Which handle a wait uses, in order:
//! 1. the one given with `.deadline_on(&handle, d)`;
//! 2. the one entered on this thread ([`LoopHandle::enter`]: `#[toro::main]` and
//!    `#[toro::test]` do this for you on the thread that runs the body, except under
//!    tokio, where only a test with `clock = "manual"` enters one), then the process
//!    default ([`LoopHandle::set_default`], set only by your own code);
//! 3. a runtime detected at run time: inside a tokio runtime that has its time driver
//!    (`enable_time`), with the `tokio` feature on, tokio's timer (so `tokio::time::pause`
//!    is honoured);
//! 4. otherwise a runtime-free timer thread ([`LoopHandle::runtime_free`]), so a deadline
//!    works under any executor and never panics (a tokio runtime built without
//!    `enable_time` gets this one too).
//!
//! Implement [`Clock`] to run deadlines on a clock of your own (a simulation, a mock clock
//! in tests); runtime adapters (`toro-tokio`, `toro-smol`, `toro-async-std`) supply theirs.
//!
//! # Examples
//!
//! ```
//! use std::time::{Duration, Instant};
//! use toro_core::{Clock, Event, LoopHandle, Sleep};
//!
//! /// A clock whose timers fire at once: any deadline on it that has to wait expires.
//! struct Instantly;
//!
//! impl Clock for Instantly {
//!     fn now(&self) -> Instant {
//!         Instant::now()
//!     }
//!     fn sleep_until(&self, _deadline: Instant) -> Sleep {
//!         Box::pin(async {})
//!     }
//! }
//!
//! let instantly = LoopHandle::new("instantly", Instantly);
//! let _entered = instantly.enter();
//! assert_eq!(LoopHandle::current().name(), "instantly");
//!
//! toro_core::block_on(async {
//!     let event = Event::new();
//!     // Measured on the entered handle: an hour is over at its first sleep.
//!     assert!(event.wait().deadline(Duration::from_secs(3600)).await.is_err());
//!     // `.deadline_on` names its own handle, whatever is entered.
//!     let free = LoopHandle::runtime_free();
//!     assert!(event.wait().deadline_on(&free, Duration::from_millis(1)).await.is_err());
//! });
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

mod block;
pub(crate) use block::block;
mod free;
mod heap;
mod manual;
#[cfg(feature = "tokio")]
mod tokio;

pub use manual::ManualClock;

/// A timer future returned by [`Clock::sleep_until`].
///
/// Boxed so that any runtime's timer fits behind one [`Clock`] trait object; `Send` and
/// `Sync` so that waits with a deadline stay `Send` and `Sync`. A clock builds one with
/// `Box::pin(...)`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use toro_core::{LoopHandle, Sleep};
///
/// let handle = LoopHandle::runtime_free();
/// let at = handle.now() + Duration::from_millis(1);
/// let sleep: Sleep = handle.sleep_until(at);
/// toro_core::block_on(sleep);
/// assert!(Instant::now() >= at);
///
/// let done_at_once: Sleep = Box::pin(async {});
/// toro_core::block_on(done_at_once);
/// ```
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>>;

/// A clock and a timer: what a runtime adapter supplies to toro.
///
/// Implement it to run toro's deadlines on your own loop (a simulation, a mock clock).
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use toro_core::{Clock, LoopHandle, Sleep};
///
/// /// A clock whose sleeps never end: deadlines never fire.
/// struct Frozen(Instant);
///
/// impl Clock for Frozen {
///     fn now(&self) -> Instant {
///         self.0
///     }
///     fn sleep_until(&self, _deadline: Instant) -> Sleep {
///         Box::pin(std::future::pending())
///     }
/// }
///
/// let handle = LoopHandle::new("frozen", Frozen(Instant::now()));
/// assert_eq!(handle.name(), "frozen");
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current instant on this clock.
    ///
    /// toro reads it to resolve a relative deadline (once, when the deadline is set) and
    /// to check an absolute one; [`LoopHandle::now`] and [`now`] return it. It should
    /// never go backwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use toro_core::{Clock, LoopHandle, Sleep};
    ///
    /// /// A clock that stands still at a chosen instant.
    /// struct Stopped(Instant);
    ///
    /// impl Clock for Stopped {
    ///     fn now(&self) -> Instant {
    ///         self.0
    ///     }
    ///     fn sleep_until(&self, _deadline: Instant) -> Sleep {
    ///         Box::pin(std::future::pending())
    ///     }
    /// }
    ///
    /// let start = Instant::now() + Duration::from_secs(60);
    /// let handle = LoopHandle::new("stopped", Stopped(start));
    /// assert_eq!(handle.now(), start);
    /// ```
    fn now(&self) -> Instant;

    /// A future that completes at or after `deadline` on this clock.
    ///
    /// toro calls it only for a wait with a deadline that could not finish at once, at
    /// its first pending poll; when the sleep completes, the wait times out. Dropping
    /// the returned [`Sleep`] must cancel the timer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use toro_core::{Clock, Condition, LoopHandle, Sleep};
    ///
    /// /// A clock whose timers fire at once.
    /// struct Instantly;
    ///
    /// impl Clock for Instantly {
    ///     fn now(&self) -> Instant {
    ///         Instant::now()
    ///     }
    ///     fn sleep_until(&self, _deadline: Instant) -> Sleep {
    ///         Box::pin(async {})
    ///     }
    /// }
    ///
    /// let handle = LoopHandle::new("instantly", Instantly);
    /// toro_core::block_on(async {
    ///     let cond = Condition::new();
    ///     // An hour-long deadline, but this clock's sleeps end at once.
    ///     let waited = cond.wait().deadline_on(&handle, Duration::from_secs(3600)).await;
    ///     assert!(waited.is_err());
    /// });
    /// ```
    fn sleep_until(&self, deadline: Instant) -> Sleep;
}

/// toro's `io_loop`: the clock and timer that deadlines are measured on.
///
/// Cheap to clone (an `Arc`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use toro_core::{Lock, LoopHandle};
/// # toro_core::block_on(async {
/// let handle = LoopHandle::runtime_free();
/// let lock = Lock::new();
/// let _held = lock.acquire().await;
/// let second = lock.acquire().deadline_on(&handle, Duration::from_millis(1)).await;
/// assert!(second.is_err());
/// # });
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    name: &'static str,
    clock: ClockRef,
}

/// A handle's clock: one of toro's own, whose timer a wait keeps inline (no allocation,
/// no dynamic call), or a user's [`Clock`], in a `static` or shared.
#[derive(Clone)]
pub(crate) enum ClockRef {
    /// `std::time::Instant` and toro's timer thread.
    RuntimeFree,
    /// tokio's clock and the current runtime's timer.
    #[cfg(feature = "tokio")]
    Tokio,
    /// `std::time::Instant` and async-io's timer.
    #[cfg(feature = "async-io")]
    AsyncIo,
    Manual(ManualClock),
    Static(&'static dyn Clock),
    Shared(Arc<dyn Clock>),
}

impl ClockRef {
    pub(crate) fn now(&self) -> Instant {
        match self {
            ClockRef::RuntimeFree => Instant::now(),
            #[cfg(feature = "tokio")]
            ClockRef::Tokio => tokio::now(),
            #[cfg(feature = "async-io")]
            ClockRef::AsyncIo => Instant::now(),
            ClockRef::Manual(clock) => clock.now(),
            ClockRef::Static(clock) => clock.now(),
            ClockRef::Shared(clock) => clock.now(),
        }
    }

    /// The timer of one wait, due at `at`, on this clock. For tokio's: made now, on the
    /// current runtime's timer, if there is one (`tokio_here`: the caller knows which);
    /// outside a tokio runtime, on the runtime-free timer.
    pub(crate) fn timer(self, at: Instant, tokio_here: TokioHere) -> Timer {
        let _ = (at, tokio_here);
        match self {
            ClockRef::RuntimeFree => Timer::Free(free::FreeAlarm::default()),
            #[cfg(feature = "tokio")]
            ClockRef::Tokio => Timer::tokio(at, tokio_here),
            #[cfg(feature = "async-io")]
            ClockRef::AsyncIo => Timer::AsyncIo(async_io::Timer::at(at)),
            ClockRef::Manual(clock) => Timer::Manual(manual::ManualAlarm::new(clock)),
            custom @ (ClockRef::Static(_) | ClockRef::Shared(_)) => Timer::Custom {
                clock: custom,
                sleep: None,
            },
        }
    }
}

/// The tokio runtime (with a timer) a thread is known to be in, where that was found out
/// already; nothing without the `tokio` feature.
#[cfg(feature = "tokio")]
pub(crate) type TokioHere = Option<::tokio::runtime::Id>;
#[cfg(not(feature = "tokio"))]
pub(crate) type TokioHere = ();

/// The timer of one wait with a deadline: made when the deadline is set, armed at the
/// first poll that finds the wait still pending, and disarmed when dropped.
pub(crate) enum Timer {
    Free(free::FreeAlarm),
    Manual(manual::ManualAlarm),
    #[cfg(feature = "tokio")]
    Tokio(tokio::TokioAlarm),
    #[cfg(feature = "async-io")]
    AsyncIo(async_io::Timer),
    /// A user's clock: its sleep is made at the first pending poll, as [`Clock`] says.
    Custom {
        clock: ClockRef,
        sleep: Option<Sleep>,
    },
}

impl Timer {
    #[cfg(feature = "tokio")]
    fn tokio(at: Instant, here: Option<::tokio::runtime::Id>) -> Timer {
        if let Some(runtime) = here.or_else(tokio::runtime_with_timer) {
            if let Some(alarm) = tokio::TokioAlarm::new(at, runtime) {
                return Timer::Tokio(alarm);
            }
        }
        Timer::Free(free::FreeAlarm::default())
    }

    /// The clock's instant now.
    pub(crate) fn now(&self) -> Instant {
        match self {
            Timer::Free(_) => Instant::now(),
            Timer::Manual(alarm) => alarm.now(),
            #[cfg(feature = "tokio")]
            Timer::Tokio(_) => tokio::now(),
            #[cfg(feature = "async-io")]
            Timer::AsyncIo(_) => Instant::now(),
            Timer::Custom { clock, .. } => clock.now(),
        }
    }

    /// Ready once `at` has passed on the clock.
    pub(crate) fn poll(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Timer::Free(alarm) => alarm.poll(at, cx),
            Timer::Manual(alarm) => alarm.poll(at, cx),
            #[cfg(feature = "tokio")]
            Timer::Tokio(alarm) => {
                match alarm.poll(cx) {
                    Ok(poll) => poll,
                    Err(()) => {
                        // tokio's runtime shut down: the deadline stays, on the
                        // runtime-free timer.
                        *self = Timer::Free(free::FreeAlarm::default());
                        self.poll(at, cx)
                    }
                }
            }
            #[cfg(feature = "async-io")]
            Timer::AsyncIo(timer) => Pin::new(timer).poll(cx).map(drop),
            Timer::Custom { clock, sleep } => {
                let sleep = sleep.get_or_insert_with(|| match clock {
                    ClockRef::Static(clock) => clock.sleep_until(at),
                    ClockRef::Shared(clock) => clock.sleep_until(at),
                    _ => unreachable!("a custom timer on toro's own clock"),
                });
                sleep.as_mut().poll(cx)
            }
        }
    }
}

/// A [`Timer`] as a future, for [`LoopHandle::sleep_until`].
struct TimerSleep {
    timer: Timer,
    at: Instant,
}

impl Future for TimerSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.timer.poll(this.at, cx)
    }
}

impl LoopHandle {
    /// Wraps a clock; `name` shows in `Debug` ("tokio", "async-io", ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// struct Wall;
    /// impl toro_core::Clock for Wall {
    ///     fn now(&self) -> Instant { Instant::now() }
    ///     fn sleep_until(&self, _: Instant) -> toro_core::Sleep { Box::pin(async {}) }
    /// }
    /// let h = toro_core::LoopHandle::new("wall", Wall);
    /// assert!(h.now() <= Instant::now());
    /// ```
    pub fn new(name: &'static str, clock: impl Clock) -> Self {
        LoopHandle::with_clock(name, ClockRef::Shared(Arc::new(clock)))
    }

    pub(crate) const fn with_clock(name: &'static str, clock: ClockRef) -> Self {
        LoopHandle { name, clock }
    }

    /// The same clock under another name (shown by [`name`](Self::name) and `Debug`).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = toro_core::LoopHandle::runtime_free().with_name("wall clock");
    /// assert_eq!(handle.name(), "wall clock");
    /// ```
    pub fn with_name(&self, name: &'static str) -> Self {
        LoopHandle::with_clock(name, self.clock.clone())
    }

    /// Wraps a clock that lives in a `static`: the handle is `const`, and cloning it (as
    /// every timed wait does) touches no reference count. toro's own clocks use this.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use toro_core::{Clock, LoopHandle, Sleep};
    ///
    /// struct Wall;
    /// impl Clock for Wall {
    ///     fn now(&self) -> Instant { Instant::now() }
    ///     fn sleep_until(&self, at: Instant) -> Sleep {
    ///         LoopHandle::runtime_free().sleep_until(at)
    ///     }
    /// }
    ///
    /// static WALL: Wall = Wall;
    /// const HANDLE: LoopHandle = LoopHandle::from_static("wall", &WALL);
    /// assert_eq!(HANDLE.name(), "wall");
    /// assert!(HANDLE.now() <= Instant::now());
    /// ```
    pub const fn from_static(name: &'static str, clock: &'static dyn Clock) -> Self {
        LoopHandle {
            name,
            clock: ClockRef::Static(clock),
        }
    }

    /// The runtime-free timer: `std::time::Instant` and one timer thread per process,
    /// started by the first deadline that waits on it. Works under any executor, or none.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = toro_core::LoopHandle::runtime_free();
    /// assert_eq!(h.name(), "runtime-free");
    /// ```
    pub fn runtime_free() -> Self {
        LoopHandle::with_clock("runtime-free", ClockRef::RuntimeFree)
    }

    /// The handle a wait started here would use (see the [module docs](self) for the
    /// order).
    ///
    /// Inside a tokio runtime (with the `tokio` feature), tokio's handle is chosen only if
    /// the runtime has a time driver. tokio offers no way to ask: the first time a runtime
    /// is looked at, a tokio sleep is made inside `catch_unwind`. In a runtime built
    /// without `enable_time` this panics, caught: the panic hook still reports tokio's
    /// "timers are disabled" message, once for that runtime, and its waits use the
    /// runtime-free clock. The answer is kept, so later calls cost a thread-local read.
    /// Built with `panic = "abort"`, nothing can be caught and a time driver is assumed.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = toro_core::LoopHandle::runtime_free();
    /// let _entered = h.enter();
    /// assert_eq!(toro_core::LoopHandle::current().name(), "runtime-free");
    /// ```
    pub fn current() -> Self {
        match chosen() {
            Some(handle) => handle,
            #[cfg(feature = "tokio")]
            None if tokio::runtime_with_timer().is_some() => tokio_handle(),
            None => LoopHandle::runtime_free(),
        }
    }

    /// The clock of `handle`, or of the current handle, for a wait's deadline; with the
    /// tokio runtime the current thread is in, if that was found out on the way.
    #[inline]
    pub(crate) fn clock_for(handle: Option<&LoopHandle>) -> (ClockRef, TokioHere) {
        match handle {
            Some(handle) => (handle.clock.clone(), TokioHere::default()),
            None => current_clock(),
        }
    }

    /// Makes this the current handle on this thread until the guard is dropped.
    ///
    /// Guards nest, and may be dropped in any order: the current handle is always the one
    /// entered last among the guards still alive on this thread (see [`EnterGuard`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # struct Wall;
    /// # impl toro_core::Clock for Wall {
    /// #     fn now(&self) -> std::time::Instant { std::time::Instant::now() }
    /// #     fn sleep_until(&self, _: std::time::Instant) -> toro_core::Sleep { Box::pin(async {}) }
    /// # }
    /// let mine = toro_core::LoopHandle::new("mine", Wall);
    /// {
    ///     let _guard = mine.enter();
    ///     assert_eq!(toro_core::LoopHandle::current().name(), "mine");
    /// }
    /// assert_ne!(toro_core::LoopHandle::current().name(), "mine");
    /// ```
    pub fn enter(&self) -> EnterGuard {
        let id = NEXT_ENTRY.with(|next| {
            let id = next.get();
            next.set(id + 1);
            id
        });
        ENTERED.with(|entered| entered.borrow_mut().push((id, self.clone())));
        EnterGuard {
            id,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Makes this the handle of every thread that has entered none, for the rest of the
    /// process (until replaced).
    ///
    /// A process-wide choice, for programs that want one clock everywhere (a simulation,
    /// say): toro itself never calls it. `#[toro::main]` enters its runtime's handle on the
    /// thread that runs the body, and a tokio runtime's own threads detect tokio, so a
    /// plain thread started by the program keeps the runtime-free clock. A default set
    /// here outranks that detection: set tokio's handle as the default only if no thread
    /// outside a tokio runtime will ever start a timed wait.
    ///
    /// # Examples
    ///
    /// ```
    /// toro_core::LoopHandle::runtime_free().set_default();
    /// assert_eq!(toro_core::LoopHandle::current().name(), "runtime-free");
    /// ```
    pub fn set_default(&self) {
        *DEFAULT.write().unwrap_or_else(|e| e.into_inner()) = Some(self.clone());
        HAS_DEFAULT.store(true, Ordering::Release);
    }

    /// This handle's name ("tokio", "async-io", "runtime-free", or a custom one).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(toro_core::LoopHandle::runtime_free().name(), "runtime-free");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The current instant on this loop's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = toro_core::LoopHandle::runtime_free();
    /// let a = h.now();
    /// assert!(h.now() >= a);
    /// ```
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// A future that completes at `deadline` on this loop's clock.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the timer; nothing else is affected.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let h = toro_core::LoopHandle::runtime_free();
    /// let at = h.now() + std::time::Duration::from_millis(1);
    /// h.sleep_until(at).await;
    /// assert!(h.now() >= at);
    /// # });
    /// ```
    // `TokioHere` is `()` without the `tokio` feature.
    #[allow(clippy::unit_arg)]
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        match &self.clock {
            ClockRef::Static(clock) => clock.sleep_until(deadline),
            ClockRef::Shared(clock) => clock.sleep_until(deadline),
            own => Box::pin(TimerSleep {
                timer: own.clone().timer(deadline, TokioHere::default()),
                at: deadline,
            }),
        }
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LoopHandle").field(&self.name).finish()
    }
}

/// Returned by [`LoopHandle::enter`]; leaves the handle when dropped.
///
/// Keep it alive for as long as the entered handle should time this thread's waits.
/// Entering nests: dropping an inner guard brings back the handle entered before it.
/// Guards may also be dropped out of order (an outer one first, as a struct's fields or a
/// `Vec` of guards drop): the current handle is always the one entered last among the
/// guards still alive, and once every guard is gone nothing is left entered. It is not
/// `Send`: the handle is entered on one thread only. A guard given to `std::mem::forget`
/// leaves its handle entered on that thread for good.
///
/// # Examples
///
/// ```
/// use std::time::Instant;
/// use toro_core::{Clock, EnterGuard, LoopHandle, Sleep};
///
/// struct Wall;
/// impl Clock for Wall {
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///     fn sleep_until(&self, _deadline: Instant) -> Sleep {
///         Box::pin(async {})
///     }
/// }
///
/// let outer = LoopHandle::new("outer", Wall);
/// let inner = LoopHandle::new("inner", Wall);
/// let _outer: EnterGuard = outer.enter();
/// {
///     let _inner: EnterGuard = inner.enter();
///     assert_eq!(LoopHandle::current().name(), "inner");
/// }
/// // Dropping the inner guard restored the handle entered before it.
/// assert_eq!(LoopHandle::current().name(), "outer");
///
/// // Out of order: the outer guard goes first, the inner handle stays current.
/// let first = outer.enter();
/// let second = inner.enter();
/// drop(first);
/// assert_eq!(LoopHandle::current().name(), "inner");
/// drop(second);
/// assert_eq!(LoopHandle::current().name(), "outer"); // `_outer` still lives
/// ```
#[must_use = "the handle is current only while the guard lives"]
pub struct EnterGuard {
    /// This guard's entry in [`ENTERED`].
    id: u64,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        // Take the entry out under the borrow, drop it after: the handle may own the last
        // reference to a user's clock, whose `Drop` may enter or read handles itself.
        let left = ENTERED.try_with(|entered| {
            let mut entered = entered.borrow_mut();
            // Nearly always the last entry; `rposition` finds it first.
            let at = entered.iter().rposition(|(id, _)| *id == self.id)?;
            Some(entered.remove(at))
        });
        drop(left);
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

thread_local! {
    /// The handles entered on this thread, oldest first, each with its guard's id; the
    /// last one is current.
    static ENTERED: RefCell<Vec<(u64, LoopHandle)>> = const { RefCell::new(Vec::new()) };
    /// The id of this thread's next [`EnterGuard`].
    static NEXT_ENTRY: Cell<u64> = const { Cell::new(0) };
}

static DEFAULT: RwLock<Option<LoopHandle>> = RwLock::new(None);
/// Whether [`DEFAULT`] was ever set, so `current()` reads no lock in processes that never
/// call `set_default`.
static HAS_DEFAULT: AtomicBool = AtomicBool::new(false);

/// The handle entered on this thread, else the process default, if any.
#[inline]
fn chosen() -> Option<LoopHandle> {
    // `try_with`: a wait may start in a thread-local's destructor, when this thread's
    // entered handles are gone already.
    let entered = ENTERED
        .try_with(|entered| entered.borrow().last().map(|(_, handle)| handle.clone()))
        .ok()
        .flatten();
    if entered.is_some() {
        return entered;
    }
    if HAS_DEFAULT.load(Ordering::Acquire) {
        return DEFAULT.read().unwrap_or_else(|e| e.into_inner()).clone();
    }
    None
}

/// [`LoopHandle::current`]'s clock, without building the handle; with the tokio runtime
/// this thread is in, if it was found out (so that a tokio sleep can be made without
/// asking tokio again).
#[inline]
fn current_clock() -> (ClockRef, TokioHere) {
    if let Some(handle) = chosen() {
        return (handle.clock, TokioHere::default());
    }
    #[cfg(feature = "tokio")]
    if let Some(runtime) = tokio::runtime_with_timer() {
        return (ClockRef::Tokio, Some(runtime));
    }
    (ClockRef::RuntimeFree, TokioHere::default())
}

/// The current instant on the current loop's clock ([`LoopHandle::current`]).
///
/// Under tokio with a paused clock this is tokio's paused time.
///
/// # Examples
///
/// ```
/// let t = toro_core::now();
/// assert!(toro_core::now() >= t);
/// ```
pub fn now() -> Instant {
    LoopHandle::current().now()
}

/// The tokio loop handle (tokio's timer and clock, paused time included).
///
/// Waits inside a tokio runtime with a time driver find it by themselves
/// ([`LoopHandle::current`]). A wait's tokio sleep is made when its deadline is set, on
/// that runtime's timer, so the wait may then be polled on any thread or executor while
/// the runtime lives.
///
/// Deadlines on it never panic: set outside a tokio runtime (or in one without a time
/// driver), a wait's deadline goes to the runtime-free timer, at the same instant; a wait
/// polled after its runtime shut down keeps its deadline there too (tokio's timer panics
/// then: toro catches it, though the panic hook still prints tokio's message).
///
/// # Examples
///
/// ```
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() {
///     assert_eq!(toro_core::tokio_handle().name(), "tokio");
/// }
/// ```
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn tokio_handle() -> LoopHandle {
    LoopHandle::with_clock("tokio", ClockRef::Tokio)
}

/// The loop handle on async-io's timer (the reactor smol runs on, and async-std's): a
/// deadline's timer is an `async_io::Timer`, kept inline in the wait. Works under any
/// executor: async-io drives its timers from its own thread when nobody else does.
///
/// `toro-smol` and `toro-async-std` hand it out (as `"async-io"` and, renamed,
/// `"async-std"`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # toro_core::block_on(async {
/// let handle = toro_core::async_io_handle();
/// assert_eq!(handle.name(), "async-io");
/// let never = toro_core::Condition::new();
/// assert!(never.wait().deadline_on(&handle, Duration::from_millis(1)).await.is_err());
/// # });
/// ```
#[cfg(feature = "async-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-io")))]
pub fn async_io_handle() -> LoopHandle {
    LoopHandle::with_clock("async-io", ClockRef::AsyncIo)
}

/// Runs a future to completion on the current thread: toro's small built-in loop, like a
/// Tornado IOLoop. Deadlines inside it use [`LoopHandle::runtime_free`] unless another
/// handle was entered.
///
/// This is what `#[toro::main]` uses when no runtime feature is on.
///
/// # Examples
///
/// ```
/// let lock = toro_core::Lock::new();
/// let n = toro_core::block_on(async {
///     let _guard = lock.acquire().await;
///     7
/// });
/// assert_eq!(n, 7);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    block::drive(future)
}
