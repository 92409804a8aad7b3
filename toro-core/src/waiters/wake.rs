//! Waking outside the mutex: [`WakeList`] collects the wakers a call takes under a
//! primitive's mutex and wakes them after it; [`FreshWaker`] brings a task's waker into a
//! waiter's entry, cloned and dropped outside the mutex too. A waker's clone, drop and
//! wake are user code: they may call back into the primitive.

use std::task::{Context, Waker};

/// Wakers collected under a primitive's mutex, woken after it is released.
///
/// Most calls wake nobody or one waiter: the first waker lives inline, so building,
/// filling and waking an empty or single list costs a few moves and no allocation.
///
/// Every list must end in [`wake_all`](Self::wake_all); a list dropped with wakers in it
/// would lose wake-ups. The list has no `Drop` of its own in release builds (drop glue on
/// every queue operation was measurable); debug builds assert that it was emptied.
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    #[inline]
    pub(crate) const fn new() -> Self {
        WakeList {
            first: None,
            rest: Vec::new(),
        }
    }

    /// Whether nobody is to be woken.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected, oldest first. Call with no mutex held.
    ///
    /// A waker whose `wake` panics does not cost the others their wake-up: the rest are
    /// still woken, then the panic goes on. Called while a panic unwinds (a release from
    /// a guard's or a future's drop), every waker is woken and a panicking one is caught:
    /// a second panic then would abort the process.
    #[inline(always)]
    pub(crate) fn wake_all(mut self) {
        let first = self.first.take();
        let rest = std::mem::take(&mut self.rest);
        // Emptied: skip the drop glue (and the debug check), measurable on every release.
        std::mem::forget(self);
        if let Some(first) = first {
            if rest.is_empty() && !std::thread::panicking() {
                first.wake();
            } else {
                wake_many(first, rest);
            }
        }
    }
}

#[cold]
#[inline(never)]
fn wake_many(first: Waker, rest: Vec<Waker>) {
    if std::thread::panicking() {
        return wake_each_caught(std::iter::once(first).chain(rest));
    }
    /// The wakers not woken yet; its drop wakes them if a `wake` panicked.
    struct Remaining(std::vec::IntoIter<Waker>);

    impl Drop for Remaining {
        fn drop(&mut self) {
            // Reached with wakers left only while unwinding from a panicking `wake`.
            wake_each_caught(&mut self.0);
        }
    }

    let mut remaining = Remaining(rest.into_iter());
    first.wake();
    for waker in &mut remaining.0 {
        waker.wake();
    }
}

/// Wakes each waker on its own while a panic unwinds, catching a panicking one: one more
/// panic then would abort the process, and the wakers after it would lose their wake-up.
#[cold]
fn wake_each_caught(wakers: impl Iterator<Item = Waker>) {
    for waker in wakers {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    }
}

#[cfg(debug_assertions)]
impl Drop for WakeList {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert!(
                self.first.is_none(),
                "a WakeList was dropped without wake_all: lost wake-ups"
            );
        }
    }
}

/// A task's waker on its way into a waiter's (or a timer's) slot, which lives under a
/// mutex. A waker's clone and drop are user code and never run under that mutex, so a
/// pending poll ends in [`park`](Self::park): under the mutex it keeps a stored waker that
/// wakes the same task, or puts in one cloned earlier; if it has none at hand it releases
/// the mutex, clones one, and the poll looks again. Only a task whose waker changed since
/// its last poll pays for the second look. A fetched waker not used is dropped with this
/// value: declare it before the mutex guard, so that it is dropped after it.
pub(crate) struct FreshWaker(Option<Waker>);

impl FreshWaker {
    /// No waker fetched yet: the first look compares with the stored one.
    #[inline]
    pub(crate) const fn none() -> Self {
        FreshWaker(None)
    }

    /// Clones the task's waker now (mutex not held), for a slot sure to need it (a first
    /// poll).
    #[inline]
    pub(crate) fn cloned(cx: &Context<'_>) -> Self {
        FreshWaker(Some(cx.waker().clone()))
    }

    /// Leaves the task's waker in the slot `slot` finds under `guard` (the mutex), and
    /// releases the mutex. Returns `true` when the waker is in place: the poll is pending
    /// (the waker it replaced was dropped after the mutex). Returns `false` when the task's
    /// waker changed and none was at hand: one was cloned after the mutex, and the poll
    /// must look again, since anything may have happened meanwhile.
    #[inline]
    #[must_use = "on false, the poll must look again"]
    pub(crate) fn park<G>(
        &mut self,
        mut guard: G,
        cx: &Context<'_>,
        slot: impl FnOnce(&mut G) -> &mut Option<Waker>,
    ) -> bool {
        let slot = slot(&mut guard);
        let replaced = match self.0.take() {
            Some(waker) => slot.replace(waker),
            None if slot.as_ref().is_some_and(|old| old.will_wake(cx.waker())) => None,
            None => {
                drop(guard);
                self.0 = Some(cx.waker().clone());
                return false;
            }
        };
        drop(guard);
        drop(replaced);
        true
    }
}
