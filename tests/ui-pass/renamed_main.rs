// `#[renamed::main(crate = "renamed")]` where `::toro` is not toro (here it is `std`).
extern crate std as toro;
extern crate toro as renamed;

use std::time::Duration;

#[renamed::main(crate = "renamed")]
async fn main() {
    let lock = renamed::Lock::new();
    let held = renamed::with!(_g = lock.acquire(), deadline = Duration::from_secs(5) => lock.locked());
    assert_eq!(held, Ok(true));
    assert!(!lock.locked());
}
