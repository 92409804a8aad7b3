//! A deadline on toro's own clocks allocates nothing: the timer lives in the wait (tokio's
//! sleep in a box the thread reuses), found without a walk, registered with a timer whose
//! storage has grown already. Counted by a global allocator that counts this thread's
//! allocations (the test harness's threads and the clocks' own threads never show).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use toro::{DeadlineExt, Lock, LoopHandle, ManualClock};

mod support;
use support::poll;

struct Counting;

thread_local! {
    /// Allocations made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator, only counting calls on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: a thread's last allocations may come after its thread-locals are gone.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Allocations made by `rounds` rounds of timed waits on `lock` after as many to warm up:
/// each acquire waits with a 60 s deadline (it is pending: the timer is armed), is handed
/// the lock, and completes (the timer is cancelled); then the same for `DeadlineExt` on a
/// future that pends once.
fn allocations_in_timed_waits(lock: &Lock, deadline_on: Option<&LoopHandle>) -> usize {
    let round = || {
        let held = lock.try_acquire().unwrap();
        let deadline = Duration::from_secs(60);
        let mut wait = match deadline_on {
            Some(handle) => lock.acquire().deadline_on(handle, deadline),
            None => lock.acquire().deadline(deadline),
        };
        assert!(poll(&mut wait).is_pending());
        drop(held);
        assert!(matches!(poll(&mut wait), std::task::Poll::Ready(Ok(_))));
        let mut once = support::yield_now();
        let mut any = match deadline_on {
            Some(handle) => (&mut once).deadline_on(handle, deadline),
            None => (&mut once).deadline(deadline),
        };
        assert!(poll(&mut any).is_pending());
        assert_eq!(poll(&mut any), std::task::Poll::Ready(Ok(())));
    };
    for _ in 0..64 {
        round();
    }
    let before = allocations();
    for _ in 0..1000 {
        round();
    }
    allocations() - before
}

#[test]
fn a_deadline_on_the_runtime_free_clock_allocates_nothing() {
    std::thread::spawn(|| {
        let lock = Lock::new();
        assert_eq!(allocations_in_timed_waits(&lock, None), 0);
        let handle = LoopHandle::runtime_free();
        assert_eq!(allocations_in_timed_waits(&lock, Some(&handle)), 0);
    })
    .join()
    .unwrap();
}

#[test]
fn a_deadline_on_a_manual_clock_allocates_nothing() {
    std::thread::spawn(|| {
        let lock = Lock::new();
        let clock = ManualClock::new();
        let handle = clock.handle();
        assert_eq!(allocations_in_timed_waits(&lock, Some(&handle)), 0);
        let _entered = handle.enter();
        assert_eq!(allocations_in_timed_waits(&lock, None), 0);
        assert_eq!(clock.sleepers(), 0);
    })
    .join()
    .unwrap();
}

#[cfg(feature = "tokio")]
#[test]
fn a_deadline_on_tokios_timer_allocates_nothing() {
    std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let _entered = runtime.enter();
        let lock = Lock::new();
        assert_eq!(LoopHandle::current().name(), "tokio");
        assert_eq!(allocations_in_timed_waits(&lock, None), 0);
        let handle = toro::tokio::handle();
        assert_eq!(allocations_in_timed_waits(&lock, Some(&handle)), 0);
    })
    .join()
    .unwrap();
}
