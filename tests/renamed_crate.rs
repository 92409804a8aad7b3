//! toro under another name: `#[renamed::test(crate = "renamed")]` and `renamed::with!`
//! name toro by the path they are given (`with!` by its own `$crate`), never `::toro`.
//!
//! `::toro` is made to name `std` here (`extern crate std as toro;`), as in a crate that
//! depends on toro under another name: an expansion that still named `::toro::...` would
//! not compile. `#[toro::main(crate = "...")]` is in `tests/ui-pass/` (a main sets the
//! process's default loop handle, which these tests must not see).

extern crate std as toro;
extern crate toro as renamed;

use std::time::Duration;

#[renamed::test(crate = "renamed")]
async fn a_test_on_the_runtime_the_features_pick() {
    let lock = renamed::Lock::new();
    let _held = lock.acquire().await;
    let late = lock.acquire().deadline(Duration::from_millis(5)).await;
    assert!(late.is_err());
}

#[renamed::test(crate = "renamed", runtimes(tokio, smol, async_std, builtin))]
async fn with_and_each_runtime() {
    let lock = renamed::Lock::new();
    let slots = renamed::Semaphore::new(2);
    let one = renamed::with!(_g = lock.acquire(), deadline = Duration::from_secs(5) => 7);
    assert_eq!(one, Ok(7));
    let both = renamed::with!(
        _slot = slots.acquire(),
        _g = lock.acquire(),
        deadline = Duration::from_secs(5) => slots.counter()
    );
    assert_eq!(both, Ok(1));
    let plain = renamed::with!(_g = lock.acquire() => lock.locked());
    assert!(plain);
}

#[renamed::test(crate = "renamed", runtimes(tokio), start_paused = true)]
async fn tokio_options() {
    let start = renamed::now();
    let never = renamed::Event::new();
    let waited = never.wait().deadline(Duration::from_secs(60)).await;
    assert!(waited.is_err());
    assert_eq!(renamed::now() - start, Duration::from_secs(60));
}

#[renamed::test(crate = "renamed", clock = "manual", runtimes(tokio, builtin))]
async fn a_manual_clock(clock: renamed::ManualClock) {
    assert_eq!(renamed::LoopHandle::current().name(), "manual");
    let start = renamed::now();
    let never = renamed::Event::new();
    let wait = never.wait().deadline(Duration::from_secs(60));
    clock.advance(Duration::from_secs(60));
    assert!(wait.await.is_err());
    assert_eq!(renamed::now() - start, Duration::from_secs(60));
}
