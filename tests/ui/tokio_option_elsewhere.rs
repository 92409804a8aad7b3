#[toro::main(runtime = "smol", flavor = "current_thread")]
async fn main() {}

#[toro::test(runtimes(smol, builtin), start_paused = true)]
async fn no_tokio_in_the_list() {}

#[toro::test(runtime = "tokio", runtimes(tokio))]
async fn both_runtime_and_runtimes() {}
