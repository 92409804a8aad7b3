fn main() {
    let lock = toro::Lock::new();
    toro::with!(guard = lock.acquire() => {});
}
