use toro::ManualClock;

#[toro::test(clock = "manual", start_paused = true)]
async fn manual_and_paused(clock: ManualClock) {
    clock.advance(std::time::Duration::from_secs(1));
}

#[toro::test(clock = "manual", flavor = "multi_thread")]
async fn manual_on_many_threads(clock: ManualClock) {
    clock.advance(std::time::Duration::from_secs(1));
}

#[toro::test(clock = "virtual")]
async fn unknown_clock() {}

#[toro::test(clock = manual)]
async fn clock_not_a_string() {}

#[toro::test]
async fn clock_without_the_option(clock: ManualClock) {
    clock.advance(std::time::Duration::from_secs(1));
}

#[toro::test(clock = "manual")]
async fn two_arguments(clock: ManualClock, other: ManualClock, third: u8) {
    clock.advance(std::time::Duration::from_secs(1));
    other.advance(std::time::Duration::from_secs(third.into()));
}

fn main() {}
