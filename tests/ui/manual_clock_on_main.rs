#[toro::main(clock = "manual")]
async fn main() {}
