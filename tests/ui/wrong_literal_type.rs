#[toro::test(flavor = "multi_thread", worker_threads = "2")]
async fn threads_as_a_string() {}

#[toro::test(start_paused = 1)]
async fn paused_as_an_integer() {}

#[toro::test(runtime = tokio)]
async fn runtime_as_a_path() {}

#[toro::test(flavor = current_thread)]
async fn flavor_as_a_path() {}

#[toro::test(runtimes = "tokio")]
async fn runtimes_as_a_string() {}

fn main() {}
