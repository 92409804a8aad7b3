//! `#[toro::main]` with any feature set: it runs on tokio, smol, async-std or, with no
//! runtime feature, on toro's built-in loop, and says which clock deadlines use.
//!
//! ```text
//! cargo run --example hello_main                      # built-in loop, runtime-free clock
//! cargo run --example hello_main --features tokio     # tokio
//! cargo run --example hello_main --features smol      # smol (async-io)
//! cargo run --example hello_main --features async-std # async-std
//! ```

use std::time::{Duration, Instant};

use toro::{Lock, LoopHandle, Timeout};

/// The clock `#[toro::main]` must pick: tokio first, then smol, then async-std.
const EXPECTED: &str = if cfg!(feature = "tokio") {
    "tokio"
} else if cfg!(feature = "smol") {
    "async-io"
} else if cfg!(feature = "async-std") {
    "async-std"
} else {
    "runtime-free"
};

#[toro::main]
async fn main() {
    let clock = LoopHandle::current().name();
    println!("hello from toro: deadlines run on the {clock} clock");
    assert_eq!(clock, EXPECTED);

    let lock = Lock::new();
    let held = lock.acquire().await;
    let start = Instant::now();
    let late = toro::with!(_guard = lock.acquire(), deadline = Duration::from_millis(20) => ());
    assert_eq!(late, Err(Timeout::new(())));
    println!("a held lock timed out after {:?}", start.elapsed());

    drop(held);
    let value = toro::with!(_guard = lock.acquire(), deadline = Duration::from_secs(1) => 42);
    assert_eq!(value, Ok(42));
    println!("and a free one was taken: {value:?}");
}
