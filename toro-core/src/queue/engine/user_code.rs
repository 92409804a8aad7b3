//! User code run from inside a queue operation, kept from breaking it: the wakers a call
//! collects ([`Wakes`]), woken after the mutex and even when an item's `Ord` panics
//! midway, and the scope that marks a thread as running a queue's `Ord` ([`OrdScope`]),
//! so that an `Ord` calling back into its own queue is caught instead of deadlocking.

use std::cell::{Cell, RefCell};

use crate::waiters::WakeList;

/// Wakers collected under the queue's mutex, woken when this is dropped: after the mutex
/// guard (declared later, dropped first), and also when user code (an `Ord`) panics
/// midway, so a waiter granted before the panic is never left asleep.
pub(crate) struct Wakes(Option<WakeList>);

impl Wakes {
    #[inline]
    pub(crate) fn new() -> Self {
        Wakes(Some(WakeList::new()))
    }

    #[inline]
    pub(super) fn list(&mut self) -> &mut WakeList {
        self.0.as_mut().expect("wake list already woken")
    }

    /// Whether nobody is to be woken.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(WakeList::is_empty)
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
}

/// Wakes `wakes` while a panic unwinds: one more panic would abort the process, so it is
/// caught (and the rest are still woken, see [`WakeList::wake_all`]).
pub(super) fn wake_unwinding(wakes: WakeList) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wakes.wake_all()));
}

impl Drop for Wakes {
    #[inline]
    fn drop(&mut self) {
        // Most calls wake nobody: that case costs one test, inline.
        if !self.is_empty() {
            self.wake_now();
        }
    }
}

impl Wakes {
    #[cold]
    #[inline(never)]
    pub(super) fn wake_now(&mut self) {
        if let Some(wakes) = self.0.take() {
            wakes.wake_all();
        }
    }
}

/// The engines whose `Ord` this thread is running, under their mutex: the innermost in a
/// cell (what every check and nearly every scope touches), the outer ones, when one
/// queue's `Ord` uses another queue, in a vector.
pub(super) struct InOrd {
    innermost: Cell<usize>,
    depth: Cell<usize>,
    outer: RefCell<Vec<usize>>,
}

thread_local! {
    static IN_ORD: InOrd = const {
        InOrd {
            innermost: Cell::new(0),
            depth: Cell::new(0),
            outer: RefCell::new(Vec::new()),
        }
    };
}

impl InOrd {
    /// Whether this thread is running `engine`'s `Ord`.
    #[inline]
    pub(super) fn running(engine: usize) -> bool {
        IN_ORD
            .try_with(|in_ord| {
                in_ord.innermost.get() == engine
                    || (in_ord.depth.get() > 1 && in_ord.outer.borrow().contains(&engine))
            })
            .unwrap_or(false)
    }
}

/// Marks this thread as running `engine`'s `Ord` (under its mutex) until dropped.
pub(super) struct OrdScope;

impl OrdScope {
    #[inline]
    pub(super) fn enter(engine: usize) -> Self {
        // `try_with`: a queue used from a thread-local destructor runs unguarded rather
        // than panicking.
        let _ = IN_ORD.try_with(|in_ord| {
            let depth = in_ord.depth.get();
            if depth > 0 {
                in_ord.outer.borrow_mut().push(in_ord.innermost.get());
            }
            in_ord.innermost.set(engine);
            in_ord.depth.set(depth + 1);
        });
        OrdScope
    }
}

impl Drop for OrdScope {
    #[inline]
    fn drop(&mut self) {
        let _ = IN_ORD.try_with(|in_ord| {
            let depth = in_ord.depth.get() - 1;
            in_ord.depth.set(depth);
            let outer = if depth > 0 {
                in_ord.outer.borrow_mut().pop().unwrap_or(0)
            } else {
                0
            };
            in_ord.innermost.set(outer);
        });
    }
}
