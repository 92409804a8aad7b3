#[toro::main(runtime = "tokio", runtime = "smol")]
async fn main() {}

#[toro::test(runtimes(tokio, smol, tokio))]
async fn listed_twice() {}
