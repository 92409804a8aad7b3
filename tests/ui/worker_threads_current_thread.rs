#[toro::main(flavor = "current_thread", worker_threads = 2)]
async fn main() {}

// Tests default to the current-thread runtime, like #[tokio::test].
#[toro::test(worker_threads = 2)]
async fn workers_on_a_default_test() {}
