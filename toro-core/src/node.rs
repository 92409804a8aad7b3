//! A waiter's node: the one place a grant and a waker pass between a waiter and its line
//! without the primitive's mutex. With `cell.rs`, the only module of toro-core with
//! `unsafe` code.
//!
//! Each waiter that stands in a line owns a small heap node, shared by exactly two
//! handles:
//!
//! - [`Ticket`], held by the waiter (its future, stream or sink);
//! - [`Linked`], held by the line ([`WaiterList`](crate::waiters::WaiterList)) while the
//!   waiter stands in it. It is not `Clone`: the line has one per node, reached only
//!   through the list, i.e. only under the primitive's mutex.
//!
//! The node holds the waiter's data (its request, what it carries, what it is given) and
//! its waker. Who may touch which, decided by one atomic word (`state`):
//!
//! | field | before `GRANTED` | after `GRANTED` |
//! |---|---|---|
//! | `data` | the line (through `Linked`, under the mutex) | the waiter |
//! | `waker` | the waiter while it holds `REGISTERING`; otherwise nobody | the granter, if `REGISTERING` was clear when it set `GRANTED`; otherwise the waiter |
//!
//! The line gives up its `Linked` in exactly one of two ways: [`Linked::grant`] (sets
//! `GRANTED`) or handing it back to the waiter that leaves the line
//! ([`Ticket::reclaim`]), after which both fields are the waiter's alone.
//!
//! So a waiter learns of its grant, and takes what it was given, with one atomic load,
//! and stores its waker with two compare-and-swaps, neither under the primitive's mutex:
//! a hand-off costs the releaser's critical section and nothing else. Wakers are cloned
//! and dropped outside any claim (user code never runs while `REGISTERING` is held), and
//! the granter takes the waker out to wake it after the mutex is released.
//!
//! Every transition is modelled with loom (`tests/loom.rs`, `node_*`), where the cells are
//! `loom::cell::UnsafeCell` and an access outside these rules fails the model.

#![allow(unsafe_code)]

use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::sync::{AtomicUsize, Ordering};

/// The waiter is storing its waker: the waker cell is its own.
const REGISTERING: usize = 1;
/// The line granted the waiter and let go of the node: the data is the waiter's.
const GRANTED: usize = 2;

/// `UnsafeCell` with loom's closure API, so that loom checks every access.
#[cfg(loom)]
use loom::cell::UnsafeCell;

#[cfg(not(loom))]
struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline]
    fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline]
    fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

struct Node<W> {
    state: AtomicUsize,
    /// Where the node stands in its list: read and written only by the list, under the
    /// primitive's mutex (an atomic only so that it needs no `unsafe`).
    index: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
    /// `Some` until the waiter takes it (granted or leaving).
    data: UnsafeCell<Option<W>>,
}

// SAFETY: the data is written on one thread (the line's, under the mutex) and taken on
// another (the waiter's), so it must be `Send`; it is never shared, each field being
// accessed by one side at a time (the table in the module docs), hence `Sync` needs no
// more. Wakers are `Send + Sync`.
unsafe impl<W: Send> Send for Node<W> {}
// SAFETY: as above.
unsafe impl<W: Send> Sync for Node<W> {}

/// The waiter's handle on its node.
pub(crate) struct Ticket<W> {
    node: Arc<Node<W>>,
    /// Whether a waker is stored in the node (after the first pending poll).
    waker_stored: bool,
}

/// The line's handle on a waiter's node: one per node, held only by the list.
pub(crate) struct Linked<W> {
    node: Arc<Node<W>>,
}

impl<W> Ticket<W> {
    /// A new node carrying `data`: the waiter's handle, and the line's to put in the list.
    pub(crate) fn new(data: W) -> (Ticket<W>, Linked<W>) {
        let node = Arc::new(Node {
            state: AtomicUsize::new(0),
            index: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
            data: UnsafeCell::new(Some(data)),
        });
        let linked = Linked {
            node: Arc::clone(&node),
        };
        (
            Ticket {
                node,
                waker_stored: false,
            },
            linked,
        )
    }

    /// Whether the line granted this waiter. Once true, it stays true.
    #[inline]
    pub(crate) fn is_granted(&self) -> bool {
        self.node.state.load(Ordering::Acquire) & GRANTED != 0
    }

    /// The node's place in its list; meaningful only while not granted, under the mutex.
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.node.index.load(Ordering::Relaxed)
    }

    /// Whether `linked` is this waiter's node (a check on the list's bookkeeping).
    pub(crate) fn is(&self, linked: &Linked<W>) -> bool {
        Arc::ptr_eq(&self.node, &linked.node)
    }

    /// What the waiter was given, once granted.
    ///
    /// # Panics
    ///
    /// If the waiter was not granted, or its data was taken already (a bug in toro).
    pub(crate) fn take_granted(&mut self) -> W {
        assert!(
            self.is_granted(),
            "toro: took the grant of a waiter in line"
        );
        self.take_data()
    }

    fn take_data(&mut self) -> W {
        // SAFETY: `GRANTED` was seen with Acquire (which pairs with the granter's
        // Release), so the line wrote its last to the data before, and never touches it
        // again: it let go of its `Linked`. Or the line handed its `Linked` back
        // (`reclaim`). Either way the data is this waiter's alone, and `&mut self` is
        // its one handle.
        self.node
            .data
            .with_mut(|data| unsafe { (*data).take() })
            .expect("toro: a waiter's data taken twice")
    }

    /// Ready with what the waiter was given once it is granted; otherwise stores the
    /// task's waker (if it is not the one stored already) and is pending.
    ///
    /// Takes no lock. A waker is cloned before the waker cell is claimed, and a replaced
    /// one dropped after it is released: no user code runs inside the claim.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<W> {
        let mut fresh = (!self.waker_stored).then(|| cx.waker().clone());
        loop {
            if self.claim_waker().is_err() {
                drop(fresh);
                return Poll::Ready(self.take_data());
            }
            // SAFETY: this waiter holds `REGISTERING`, set from a state without
            // `GRANTED`: the granter will not touch the waker cell (it finds
            // `REGISTERING` and leaves the waker to us), and the line never does
            // otherwise.
            let stored = self.node.waker.with_mut(|cell| unsafe {
                match (fresh.take(), &mut *cell) {
                    (Some(waker), slot) => Ok(slot.replace(waker)),
                    (None, Some(old)) if old.will_wake(cx.waker()) => Ok(None),
                    (None, _) => Err(()),
                }
            });
            let granted = self.release_waker();
            match stored {
                Ok(replaced) => {
                    drop(replaced);
                    self.waker_stored = true;
                    if granted {
                        return Poll::Ready(self.take_data());
                    }
                    return Poll::Pending;
                }
                // The task's waker changed: clone it outside the claim, then try again.
                Err(()) if granted => return Poll::Ready(self.take_data()),
                Err(()) => fresh = Some(cx.waker().clone()),
            }
        }
    }

    /// Takes `REGISTERING`; `Err` if the waiter is granted (nothing to store).
    #[inline]
    fn claim_waker(&self) -> Result<(), ()> {
        self.node
            .state
            .compare_exchange(0, REGISTERING, Ordering::Acquire, Ordering::Acquire)
            .map(drop)
            .map_err(drop)
    }

    /// Gives `REGISTERING` back. `true` if the line granted the waiter meanwhile: the
    /// granter left the waker in the cell, so the waiter takes it out (to drop it) and
    /// completes by itself.
    fn release_waker(&self) -> bool {
        match self
            .node
            .state
            .compare_exchange(REGISTERING, 0, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(_) => {
                // SAFETY: `GRANTED` came while this waiter held `REGISTERING`, so the
                // granter did not take the waker: the cell is this waiter's for good.
                let waker = self.node.waker.with_mut(|cell| unsafe { (*cell).take() });
                drop(waker);
                true
            }
        }
    }

    /// The line handed back its handle (the waiter left before it was granted): the data
    /// and the stored waker are the waiter's. Returns both; the caller drops the waker
    /// after the primitive's mutex is released.
    ///
    /// # Panics
    ///
    /// If `linked` is not this waiter's node (a bug in toro).
    pub(crate) fn reclaim(&mut self, linked: Linked<W>) -> (W, Option<Waker>) {
        assert!(self.is(&linked), "toro: reclaimed another waiter's node");
        drop(linked);
        // SAFETY: the line's only handle is gone, so nobody else can reach the node;
        // `&mut self` is the waiter's one handle.
        let waker = self.node.waker.with_mut(|cell| unsafe { (*cell).take() });
        (self.take_data(), waker)
    }
}

impl<W> Linked<W> {
    /// The waiter's data, for the line to update while the waiter stands in it.
    #[inline]
    pub(crate) fn data_mut(&mut self) -> &mut W {
        // SAFETY: a `Linked` exists only while the waiter is not granted (granting
        // consumes it) and has not reclaimed it; in that time only the line touches the
        // data, and `&mut self` is the line's one handle. The reference cannot outlive
        // the borrow of the handle.
        self.node.data.with_mut(|data| unsafe {
            (*data)
                .as_mut()
                .expect("toro: a waiter in line without its data")
        })
    }

    #[inline]
    pub(crate) fn set_index(&self, index: usize) {
        self.node.index.store(index, Ordering::Relaxed);
    }

    /// Grants the waiter and lets go of the node. Returns the waker to wake once the
    /// primitive's mutex is released (none if the waiter was storing one just then: it
    /// sees the grant itself and completes without a wake-up).
    #[inline]
    pub(crate) fn grant(self) -> Option<Waker> {
        // Release: the data written by the line is seen by the waiter that sees GRANTED.
        // Acquire: a waker stored under `REGISTERING` is seen by the granter below.
        let before = self.node.state.fetch_or(GRANTED, Ordering::AcqRel);
        if before & REGISTERING != 0 {
            return None;
        }
        // SAFETY: `GRANTED` is set and `REGISTERING` was clear, so the waiter will never
        // claim the cell again (its claim fails on `GRANTED`) and is not in it now: the
        // cell is the granter's. `self.node` keeps the node alive until this returns.
        self.node.waker.with_mut(|cell| unsafe { (*cell).take() })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize as Count, Ordering::SeqCst};
    use std::task::Wake;

    struct Counter(Count);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn grant_after_registration_wakes_and_hands_over() {
        let counter = Arc::new(Counter(Count::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let (mut ticket, mut linked) = Ticket::new(1);
        assert!(ticket.poll(&mut cx).is_pending());
        *linked.data_mut() = 2;
        linked.grant().expect("the stored waker").wake();
        assert_eq!(counter.0.load(SeqCst), 1);
        assert_eq!(ticket.poll(&mut cx), Poll::Ready(2));
    }

    #[test]
    fn grant_before_the_first_poll_needs_no_waker() {
        let counter = Arc::new(Counter(Count::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let (mut ticket, linked) = Ticket::new("item");
        assert!(linked.grant().is_none());
        assert_eq!(ticket.poll(&mut cx), Poll::Ready("item"));
        assert_eq!(counter.0.load(SeqCst), 0);
    }

    #[test]
    fn reclaim_returns_data_and_waker() {
        let counter = Arc::new(Counter(Count::new(0)));
        let waker = Waker::from(counter);
        let mut cx = Context::from_waker(&waker);
        let (mut ticket, linked) = Ticket::new(7);
        assert!(ticket.poll(&mut cx).is_pending());
        let (data, stored) = ticket.reclaim(linked);
        assert_eq!(data, 7);
        assert!(stored.is_some());
    }
}
