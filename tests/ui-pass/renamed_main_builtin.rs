// `crate = "..."` with a runtime named: the built-in loop needs no feature.
extern crate std as toro;
extern crate toro as renamed;

#[renamed::main(crate = "renamed", runtime = "builtin")]
async fn main() -> Result<(), renamed::NotLocked> {
    assert_eq!(renamed::LoopHandle::current().name(), "runtime-free");
    let lock = renamed::Lock::new();
    lock.acquire().await.forget();
    lock.release()
}
