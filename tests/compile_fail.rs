//! Misuse of `#[toro::main]`, `#[toro::test]` and `toro::with!` is a compile error that
//! points at the offending tokens and says what to do (trybuild, `tests/ui*/`); what
//! must compile and run is in `tests/ui-pass/`.
//!
//! trybuild builds each case as a crate of its own (minutes on a fresh build), so these
//! tests are opt-in: `cargo test` lists them as ignored, and CI runs them with `--ignored`:
//!
//! ```text
//! cargo test -p toro --all-features --test compile_fail -- --ignored
//!                                                  # tests/ui, tests/ui-pass
//! cargo test -p toro --no-default-features --features macros --test compile_fail -- --ignored
//!                                                  # tests/ui-*-off, tests/ui-pass
//! ```
//!
//! Regenerate an expected message with `TRYBUILD=overwrite`, then read the `.stderr`.

/// Every misuse but "runtime not enabled". Run with every runtime feature on, so the
/// messages do not depend on which are.
#[cfg(all(feature = "tokio", feature = "smol", feature = "async-std"))]
#[test]
#[ignore = "compile-fail cases build a crate each: run with `-- --ignored` (CI does)"]
fn misuse_is_a_compile_error_with_a_fix() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

/// `crate = "path"`: the expansion names toro by that path, on any feature set.
#[test]
#[ignore = "compile-fail cases build a crate each: run with `-- --ignored` (CI does)"]
fn a_renamed_crate_compiles_and_runs() {
    trybuild::TestCases::new().pass("tests/ui-pass/*.rs");
}

/// A runtime whose facade feature is off: needs the `smol` feature off.
#[cfg(not(feature = "smol"))]
#[test]
#[ignore = "compile-fail cases build a crate each: run with `-- --ignored` (CI does)"]
fn a_runtime_whose_feature_is_off_is_a_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui-smol-off/*.rs");
}

/// tokio named, or asked for by a tokio option, with the `tokio` feature off.
#[cfg(not(feature = "tokio"))]
#[test]
#[ignore = "compile-fail cases build a crate each: run with `-- --ignored` (CI does)"]
fn tokio_whose_feature_is_off_is_a_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui-tokio-off/*.rs");
}
