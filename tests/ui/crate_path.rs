#[toro::test(crate = "not a path")]
async fn not_a_path() {}

#[toro::test(crate = toro)]
async fn not_a_string() {}

#[toro::test(crate = "toro", crate = "toro")]
async fn given_twice() {}

fn main() {}
