// `Lock<Cell<u32>>` is `Sync` (one holder at a time), but its guard is not: sharing a
// guard would hand `&Cell<u32>` to two threads at once.
use std::cell::Cell;
use toro::{Lock, LockGuard};

fn require_sync<T: Sync>(_: &T) {}

fn main() {
    let lock = Lock::with_value(Cell::new(0u32));
    require_sync(&lock);
    let guard: LockGuard<'_, Cell<u32>> = lock.try_acquire().unwrap();
    require_sync(&guard);
}
