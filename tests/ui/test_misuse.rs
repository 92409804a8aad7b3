#[toro::test]
fn not_async() {}

#[toro::test]
async fn with_arguments(n: u32) {
    assert_eq!(n, 0);
}

#[toro::test]
#[test]
async fn tested_twice() {}

#[toro::test]
async fn generic<T>() {}

fn main() {}
