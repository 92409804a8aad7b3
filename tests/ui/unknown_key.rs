#[toro::main(flavour = "current_thread")]
async fn main() {}

#[toro::test(timeout = 5)]
async fn unknown_test_option() {}

#[toro::test(smol)]
async fn a_bare_runtime_name() {}
