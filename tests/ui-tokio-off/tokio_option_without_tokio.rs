// Built only where toro's `tokio` feature is off.

// A tokio option with no runtime named asks for tokio.
#[toro::main(flavor = "current_thread")]
#[allow(dead_code)]
async fn implied() {}

#[toro::main(runtime = "tokio")]
async fn main() {}
