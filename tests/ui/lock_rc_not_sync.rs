// `Lock<T>` is `Sync` only for `T: Send`: a lock of `Rc` cannot be shared between threads,
// since whoever took it on another thread would reach the `Rc` (and so could an
// `RwLock`'s readers).
use std::rc::Rc;
use toro::{Lock, RwLock};

fn require_sync<T: Sync>(_: &T) {}

fn main() {
    let lock = Lock::with_value(Rc::new(5u32));
    require_sync(&lock);
    let rw = RwLock::with_value(Rc::new(5u32), 2);
    require_sync(&rw);
}
