// `clock = "manual"` is accepted with any binding of its one argument, or none, under a
// renamed crate too. (Outside `cargo test` a `#[test]` function is left out of the build:
// what the tests do at run time is checked in tests/macros.rs and tests/renamed_crate.rs.)
extern crate std as toro;
extern crate toro as renamed;

use renamed::ManualClock;

type Clock = ManualClock;

#[renamed::test(crate = "renamed", clock = "manual")]
async fn named(clock: ManualClock) {
    clock.advance(std::time::Duration::from_secs(1));
}

#[renamed::test(crate = "renamed", clock = "manual", runtimes(tokio, smol, async_std, builtin))]
async fn on_each_runtime(mut clock: Clock) {
    clock = clock.clone();
    assert_eq!(clock.sleepers(), 0);
}

#[renamed::test(crate = "renamed", runtime = "builtin", clock = "manual")]
async fn ignored(_: renamed::ManualClock) {}

#[renamed::test(crate = "renamed", clock = "manual")]
async fn not_taken() {}

fn main() {}
