// A `LockGuard` borrows its lock: it cannot outlive it (use `acquire_owned` on an
// `Arc<Lock<T>>` for a guard that borrows nothing).
use toro::{Lock, LockGuard};

fn main() {
    let guard: LockGuard<'_, u32>;
    {
        let lock = Lock::with_value(5);
        guard = lock.try_acquire().unwrap();
    }
    assert_eq!(*guard, 5);
}
