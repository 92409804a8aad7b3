//! User code run from inside a queue operation, kept from breaking it: the wakers a call
//! collects ([`Wakes`]), woken after the mutex and even when an item's `Ord` panics
//! midway, and the mark of the thread running a queue's `Ord` ([`OrdRunner`]),
//! so that an `Ord` calling back into its own queue is caught instead of deadlocking.

use std::mem::ManuallyDrop;

use crate::sync::{AtomicUsize, Ordering};
use crate::waiters::WakeList;

/// Wakers collected under the queue's mutex, woken when this is dropped: after the mutex
/// guard (declared later, dropped first), and also when user code (an `Ord`) panics
/// midway, so a waiter granted before the panic is never left asleep.
///
/// Most calls wake nobody: dropping an empty one is a single test, inline. The list is
/// never dropped as such: it is emptied (woken) instead, and an empty list holds no waker
/// and no allocation (its first waker is kept inline, before any goes to its `Vec`).
pub(crate) struct Wakes(ManuallyDrop<WakeList>);

impl Wakes {
    #[inline]
    pub(crate) fn new() -> Self {
        Wakes(ManuallyDrop::new(WakeList::new()))
    }

    #[inline]
    pub(super) fn list(&mut self) -> &mut WakeList {
        &mut self.0
    }

    /// Whether nobody is to be woken.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Wakes now, keeping `value` (what the call is about to return: items) safe: if a
    /// waker panics, `restore` takes the value back before the panic goes on. A value
    /// already moved into a return is lost, neither dropped nor returned, when a
    /// destructor panics on the way out (rust-lang/rust#47949), so a call that returns
    /// items never leaves its wake-ups to `Drop`.
    pub(super) fn wake_keeping<V>(self, value: V, restore: impl FnOnce(V)) -> V {
        /// Gives the value to `restore` if dropped while still holding it (unwinding).
        struct Keep<V, F: FnOnce(V)>(Option<(V, F)>);

        impl<V, F: FnOnce(V)> Drop for Keep<V, F> {
            fn drop(&mut self) {
                if let Some((value, restore)) = self.0.take() {
                    restore(value);
                }
            }
        }

        if self.is_empty() {
            return value;
        }
        let mut keep = Keep(Some((value, restore)));
        drop(self);
        let (value, _) = keep.0.take().expect("kept until the wake-ups are done");
        value
    }

    #[cold]
    #[inline(never)]
    fn wake_now(&mut self) {
        std::mem::replace(&mut *self.0, WakeList::new()).wake_all();
    }
}

impl Drop for Wakes {
    #[inline]
    fn drop(&mut self) {
        if !self.is_empty() {
            self.wake_now();
        }
    }
}

/// Which thread, if any, is running a queue's `Ord` under its mutex: a word in the
/// queue's engine, 0 when none. A thread is named by the address of a thread-local of its
/// own ([`this_thread`]), which no other live thread shares, so a queue's guard asks one
/// question of its own word: "is it me?". Another thread's mark never equals this
/// thread's, and this thread always reads back its own last write (the word is only
/// written by the thread that holds the mutex), so `Relaxed` is enough.
///
/// Queues nest without help: when one queue's `Ord` uses a second queue whose `Ord` calls
/// back into the first, the first queue's word still names this thread.
pub(super) struct OrdRunner(AtomicUsize);

impl OrdRunner {
    crate::sync::const_fn! {
        pub(super) fn new() -> Self {
            OrdRunner(AtomicUsize::new(NOBODY))
        }
    }

    /// Whether this thread is running this queue's `Ord`.
    #[inline]
    pub(super) fn is_this_thread(&self) -> bool {
        self.0.load(Ordering::Relaxed) == this_thread()
    }

    /// Marks this thread as running the queue's `Ord` (under its mutex) until the scope
    /// is dropped, also by a panic in the `Ord`.
    #[inline]
    pub(super) fn enter(&self) -> OrdScope<'_> {
        self.0.store(this_thread(), Ordering::Relaxed);
        OrdScope(&self.0)
    }
}

/// Returned by [`OrdRunner::enter`]; the mark goes when it is dropped.
pub(super) struct OrdScope<'a>(&'a AtomicUsize);

impl Drop for OrdScope<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(NOBODY, Ordering::Relaxed);
    }
}

/// No thread (a thread-local's address is never 0).
const NOBODY: usize = 0;

#[cfg(not(loom))]
std::thread_local! {
    /// Its address names the thread. A byte with no destructor: reading its address costs
    /// no lazy initialisation and works in any thread-local destructor too.
    static THREAD_MARK: u8 = const { 0 };
}

// loom runs its threads on one OS thread: a std thread-local would name them all alike.
#[cfg(loom)]
loom::thread_local! {
    static THREAD_MARK: u8 = 0;
}

/// This thread, as a number no other live thread has at the same time.
#[inline]
fn this_thread() -> usize {
    THREAD_MARK.with(|mark| std::ptr::from_ref(mark).addr())
}
