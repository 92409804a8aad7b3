//! Loops, clocks and timers: what a deadline is measured on.
//!
//! A [`LoopHandle`] is toro's `io_loop`: it reads a clock and sleeps until an instant.
//! toro never starts a timer unless a wait has a deadline and could not finish at once.
//!
//! Which handle a wait uses, in order:
//! 1. the one given with `.deadline_on(&handle, d)`;
//! 2. the one entered on this thread ([`LoopHandle::enter`]: `#[toro::main]` and
//!    `#[toro::test]` do this for you), then the process default
//!    ([`LoopHandle::set_default`]);
//! 3. a runtime detected at run time: inside a tokio runtime, with the `tokio` feature on,
//!    tokio's timer (so `tokio::time::pause` is honoured);
//! 4. otherwise a runtime-free timer thread ([`LoopHandle::runtime_free`]), so a deadline
//!    works under any executor and never panics.
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

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

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

/// A handle's clock: a `static` one (toro's own clocks; cloning the handle is free) or a
/// shared one (a clock built at run time).
#[derive(Clone)]
enum ClockRef {
    Static(&'static dyn Clock),
    Shared(Arc<dyn Clock>),
}

impl ClockRef {
    #[inline]
    fn get(&self) -> &dyn Clock {
        match self {
            ClockRef::Static(clock) => *clock,
            ClockRef::Shared(clock) => &**clock,
        }
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
        LoopHandle {
            name,
            clock: ClockRef::Shared(Arc::new(clock)),
        }
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

    /// The runtime-free timer: `std::time::Instant` and a timer thread (futures-timer).
    /// Works under any executor, or none.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = toro_core::LoopHandle::runtime_free();
    /// assert_eq!(h.name(), "runtime-free");
    /// ```
    pub fn runtime_free() -> Self {
        LoopHandle::from_static("runtime-free", &RuntimeFreeClock)
    }

    /// The handle a wait started here would use (see the [module docs](self) for the
    /// order).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = toro_core::LoopHandle::runtime_free();
    /// let _entered = h.enter();
    /// assert_eq!(toro_core::LoopHandle::current().name(), "runtime-free");
    /// ```
    pub fn current() -> Self {
        if let Some(handle) = ENTERED.with(|entered| entered.borrow().clone()) {
            return handle;
        }
        if HAS_DEFAULT.load(Ordering::Acquire) {
            if let Some(handle) = DEFAULT.read().unwrap_or_else(|e| e.into_inner()).clone() {
                return handle;
            }
        }
        #[cfg(feature = "tokio")]
        if ::tokio::runtime::Handle::try_current().is_ok() {
            return tokio_clock::handle();
        }
        LoopHandle::runtime_free()
    }

    /// Makes this the current handle on this thread until the guard is dropped.
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
        let previous = ENTERED.with(|entered| entered.borrow_mut().replace(self.clone()));
        EnterGuard {
            previous,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Makes this the handle of every thread that has entered none, for the rest of the
    /// process (until replaced). `#[toro::main]` calls it, so a multi-threaded runtime's
    /// workers all see the chosen clock.
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
        self.clock.get().now()
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
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        self.clock.get().sleep_until(deadline)
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LoopHandle").field(&self.name).finish()
    }
}

/// Returned by [`LoopHandle::enter`]; restores the previous handle when dropped.
///
/// Keep it alive for as long as the entered handle should time this thread's waits.
/// Entering nests: dropping an inner guard brings back the handle entered before it. It
/// is not `Send`: the handle is entered on one thread only.
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
/// ```
#[must_use = "the handle is current only while the guard lives"]
pub struct EnterGuard {
    previous: Option<LoopHandle>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ENTERED.with(|entered| *entered.borrow_mut() = previous);
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

thread_local! {
    static ENTERED: RefCell<Option<LoopHandle>> = const { RefCell::new(None) };
}

static DEFAULT: RwLock<Option<LoopHandle>> = RwLock::new(None);
/// Whether [`DEFAULT`] was ever set, so `current()` reads no lock in processes that never
/// call `set_default`.
static HAS_DEFAULT: AtomicBool = AtomicBool::new(false);

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

struct RuntimeFreeClock;

impl Clock for RuntimeFreeClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Sleep {
        let delay = deadline.saturating_duration_since(Instant::now());
        Box::pin(futures_timer::Delay::new(delay))
    }
}

#[cfg(feature = "tokio")]
mod tokio_clock {
    use super::*;

    /// tokio's clock and timer: `tokio::time::Instant::now()` follows
    /// `tokio::time::pause`, and sleeps run on the current runtime's timer.
    struct TokioClock;

    impl Clock for TokioClock {
        fn now(&self) -> Instant {
            ::tokio::time::Instant::now().into_std()
        }

        fn sleep_until(&self, deadline: Instant) -> Sleep {
            Box::pin(::tokio::time::sleep_until(
                ::tokio::time::Instant::from_std(deadline),
            ))
        }
    }

    pub(super) fn handle() -> LoopHandle {
        LoopHandle::from_static("tokio", &TokioClock)
    }
}

/// The tokio loop handle (tokio's timer and clock, paused time included).
///
/// Must be used from inside a tokio runtime with the time driver enabled.
///
/// # Panics
///
/// Making the handle never panics, but its timer is tokio's: a wait that has to sleep on
/// it (a deadline not yet reached) panics outside a tokio runtime with the time driver
/// enabled, as `tokio::time::sleep_until` does.
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
pub fn tokio_handle() -> LoopHandle {
    tokio_clock::handle()
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
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
