// Built only where toro's `smol` feature is off.
#[toro::main(runtime = "smol")]
async fn main() {}
