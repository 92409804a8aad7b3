#[toro::main(runtime = "glommio")]
async fn main() {}

#[toro::test(runtimes(tokio, glommio))]
async fn unknown_in_list() {}

#[toro::test(flavor = "local")]
async fn unknown_flavor() {}

#[toro::test(flavor = "multi_thread", worker_threads = 0)]
async fn no_workers() {}
