//! The synchronisation primitives toro-core is built from, switchable to loom's models.
//!
//! Every atomic and mutex in the crate comes through here, so `RUSTFLAGS="--cfg loom"`
//! model-checks the same code that ships.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(all(not(loom), not(target_has_atomic = "64")))]
pub(crate) use narrow::AtomicU64;
#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) use std::sync::atomic::AtomicU64;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

pub(crate) use std::sync::atomic::Ordering;

/// A `const fn` that loom can model: loom's atomics and mutexes have no `const`
/// constructors, so under `--cfg loom` the same function is written without `const`. One
/// source for both (async-lock's `const_fn!` does the same).
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_fn;

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` with loom's interface (`with`, `with_mut`), so that the same
/// code is modelled: loom's cell checks each access against the others.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Waits a moment, more patiently each time, for another thread to finish a few
/// instructions it has started (a ring slot being written or read): spins first, then
/// yields the thread, in case that thread was descheduled in between.
pub(crate) struct Backoff(u32);

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff(0)
    }

    pub(crate) fn snooze(&mut self) {
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(not(loom))]
        if self.0 < 6 {
            for _ in 0..1 << self.0 {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
        self.0 = self.0.saturating_add(1);
    }
}

/// Locks `mutex`, ignoring poisoning: toro never leaves its state half-updated across a
/// user callback (wakers are woken after the lock is released), so a poisoned lock still
/// guards consistent state.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    {
        mutex.lock().unwrap()
    }
    #[cfg(not(loom))]
    {
        mutex
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `AtomicU64` for targets without 64-bit atomics (some 32-bit ones): the same methods,
/// over a mutex. toro's 64-bit counters (tickets, generations) must not wrap, so they stay
/// 64 bits wide there too, at the cost of a lock per access.
#[cfg(all(not(loom), not(target_has_atomic = "64")))]
mod narrow {
    use super::Ordering;

    pub(crate) struct AtomicU64(std::sync::Mutex<u64>);

    impl AtomicU64 {
        pub(crate) const fn new(value: u64) -> Self {
            AtomicU64(std::sync::Mutex::new(value))
        }

        fn with<R>(&self, f: impl FnOnce(&mut u64) -> R) -> R {
            f(&mut self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner))
        }

        pub(crate) fn load(&self, _: Ordering) -> u64 {
            self.with(|v| *v)
        }

        pub(crate) fn store(&self, value: u64, _: Ordering) {
            self.with(|v| *v = value)
        }

        pub(crate) fn fetch_or(&self, bits: u64, _: Ordering) -> u64 {
            self.with(|v| std::mem::replace(v, *v | bits))
        }

        pub(crate) fn fetch_add(&self, n: u64, _: Ordering) -> u64 {
            self.with(|v| std::mem::replace(v, *v + n))
        }

        pub(crate) fn fetch_and(&self, bits: u64, _: Ordering) -> u64 {
            self.with(|v| std::mem::replace(v, *v & bits))
        }

        pub(crate) fn compare_exchange(
            &self,
            current: u64,
            new: u64,
            _: Ordering,
            _: Ordering,
        ) -> Result<u64, u64> {
            self.with(|v| {
                if *v == current {
                    *v = new;
                    Ok(current)
                } else {
                    Err(*v)
                }
            })
        }

        pub(crate) fn compare_exchange_weak(
            &self,
            current: u64,
            new: u64,
            success: Ordering,
            failure: Ordering,
        ) -> Result<u64, u64> {
            self.compare_exchange(current, new, success, failure)
        }
    }
}
