use std::time::Duration;
use toro::Lock;

async fn misuse(a: &Lock, b: &Lock) {
    let d = Duration::from_secs(1);
    let _ = toro::with!(deadline = d => {});
    let _ = toro::with!(x = a.acquire(), deadline = d, y = b.acquire() => {});
    let _ = toro::with!(x = a.acquire(), deadline = d, deadline = d => {});
    let _ = toro::with!(x = a.acquire(), x = b.acquire() => {});
}

fn main() {}
