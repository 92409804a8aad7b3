// The path is used as given: one that names no crate is reported on the literal.
#[toro::main(crate = "no_such_crate")]
async fn main() {}
