#[toro::main]
fn main() {}
