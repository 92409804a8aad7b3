//! The procedural macros of [toro](https://docs.rs/toro): `#[toro::main]`, `#[toro::test]`
//! and `toro::with!`.
//!
//! Use them through the `toro` facade (its default `macros` feature), never from this
//! crate directly: their expansions name `::toro::...` paths (another path with
//! `crate = "path"`; `with!` is told the facade's own path), and which runtimes exist
//! depends on the facade's features (`tokio`, `smol`, `async-std`). The runnable examples
//! are on the facade's re-exports.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

use proc_macro::TokenStream;

mod entry;
mod options;
mod with;

use options::Kind;

/// Runs an `async fn main` on a runtime.
///
/// # Options
///
/// - `runtime = "tokio" | "smol" | "async-std" | "builtin"`: the runtime. Its facade
///   feature must be on (`builtin`, toro's own single-threaded loop, needs none).
///   Without it: tokio if the `tokio` feature is on, else smol, else async-std, else the
///   built-in loop, so `#[toro::main]` always works.
/// - `flavor = "multi_thread" | "current_thread"` (tokio; default `multi_thread`, like
///   `#[tokio::main]`), `worker_threads = N` (tokio's multi-thread runtime only). A tokio
///   option with no `runtime` named asks for tokio.
/// - `crate = "path"`: the path the expansion names toro by, `::toro` unless told (as
///   tokio's `crate = "..."`), for a renamed dependency
///   (`my_toro = { package = "toro", ... }` and `#[my_toro::main(crate = "my_toro")]`) or
///   a re-export (`crate = "my_framework::toro"`).
///
/// The runtime's loop handle becomes the process default
/// (`toro::LoopHandle::set_default`), so every deadline in the program, on every worker
/// thread, is measured on that runtime's clock; with the built-in loop, on the
/// runtime-free clock.
///
/// # Errors
///
/// A compile error, on the offending tokens, for a function that is not `async`, that
/// takes arguments or is generic; for an unknown, duplicate or ill-typed option;
/// `worker_threads` on the current-thread flavor; a tokio option on another runtime; and
/// a runtime whose facade feature is off.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a runtime, or on several.
///
/// # Options
///
/// - `runtime = "tokio" | "smol" | "async-std" | "builtin"`, as for `#[toro::main]`; when
///   none is named: tokio, then smol, then async-std, then the built-in loop.
/// - `runtimes(tokio, smol, async_std, builtin)`: one `#[test]` per listed runtime, in a
///   module named after the function, each test named after its runtime (`cargo test
///   my_test::smol`). A runtime whose facade feature is off is left out, without error.
///   The body is moved into that module: it sees the parent's items through `use
///   super::*`.
/// - `flavor` (default `current_thread`, like `#[tokio::test]`), `worker_threads`, and
///   `start_paused = true` for tokio: tokio's clock starts paused and auto-advances, so
///   deadlines are exact. `start_paused` needs tokio's `test-util` feature in your
///   dependency graph, as `#[tokio::test(start_paused = true)]` does (e.g.
///   `tokio = { version = "1", features = ["test-util"] }` in `[dev-dependencies]`).
/// - `clock = "manual"`: the test's deadlines are measured on a fresh
///   `toro::ManualClock`, which stands still until the test advances it (below).
/// - `crate = "path"`, as for `#[toro::main]`.
///
/// Tests run in parallel threads, so a test sets no process-wide default handle: under
/// tokio, waits find tokio's timer by themselves; under smol, async-std and the built-in
/// loop the adapter's handle is entered on the test's thread.
///
/// # A manual clock
///
/// With `clock = "manual"` each generated test (each runtime's, with `runtimes(...)`)
/// makes a fresh `toro::ManualClock` and enters its handle on the test's thread for the
/// whole test, over the runtime's own: every toro deadline started on that thread is
/// measured on it. The test function may take it as its one argument, of type
/// `toro::ManualClock`, bound by any pattern (`clock: ManualClock`, `_: ManualClock`);
/// without one the clock is entered all the same and never moves. It works on every
/// runtime: tokio (current-thread), smol, async-std and the built-in loop.
///
/// It is not tokio's `start_paused`, which toro keeps honouring. tokio's paused clock
/// exists only under tokio, times tokio's own timers (`tokio::time::sleep` included), and
/// moves forward by itself whenever the runtime is idle. The manual clock times toro's
/// deadlines only (not `tokio::time::sleep`, nor other libraries' timers), on any
/// runtime or none, and moves only when the test calls `advance` or `advance_to`: a
/// deadline of 5 s fires at `advance(5 s)`, deterministically to the instant, never at
/// 4.999 s. Tasks the runtime runs on other threads (`smol::spawn`,
/// `async_std::task::spawn`, `spawn_blocking`) do not see the entered handle: give their
/// waits `.deadline_on(&clock.handle(), d)`.
///
/// # Errors
///
/// As for `#[toro::main]`, plus `start_paused` on a multi-thread runtime, a second test
/// attribute, and arguments: a test takes none, but for its clock under `clock =
/// "manual"` (one argument; a second one, or `self`, is refused). `clock` takes only
/// `"manual"`, and not together with `start_paused` (pick one) nor with tokio's
/// `flavor = "multi_thread"` (tasks on other worker threads would not see the clock).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(Kind::Test, args.into(), item.into()).into()
}

/// Holds guards for a block: `with!(guard = lock.acquire(), deadline = d => { body })`.
///
/// - With `deadline = d` (anything `Into<toro::Deadline>`), it evaluates to
///   `Result<T, toro::Timeout>` where `T` is the body's type: `Err` if the deadline passed
///   before every guard was taken; then the body did not run and no guard is held.
/// - Without a deadline, it evaluates to the body's value.
/// - Several guards, `a = x.acquire(), b = y.acquire()`, are taken in order under one
///   deadline (resolved once, when the first wait starts) and released in reverse order
///   when the block ends.
/// - A guard named `_` is held all the same; `mut name` binds it mutably.
/// - The block is expanded inline in the enclosing async function: `?`, `return`,
///   `break` and `continue` in the body act on that function or loop, and `.await` works
///   in it. So `with!` is usable only inside async code.
///
/// With several guards and a deadline, the guard expressions run inside one `async`
/// block (so that a single deadline covers them): `?` or `return` there, as opposed to in
/// the body, would act on that block.
///
/// The facade's `with!` is a `macro_rules!` that calls this one with its `$crate` in
/// parentheses first, `with!(($crate) guard = ...)`, so that a renamed `toro` dependency
/// works; without that group, the expansion names `::toro`.
///
/// # Errors
///
/// A compile error for a missing guard, body or `=`, a guard after the deadline, a
/// deadline given twice, a guard name used twice, and use outside async code.
#[proc_macro]
pub fn with(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    // A guard starts with `mut`, a name or `_`, never with a parenthesized group: one
    // there is the crate path.
    let mut tokens = input.clone().into_iter();
    let (krate, input) = match tokens.next() {
        Some(proc_macro2::TokenTree::Group(group))
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            (Some(group.stream()), tokens.collect())
        }
        _ => (None, input),
    };
    match syn::parse2::<with::With>(input) {
        Ok(mut with) => {
            if let Some(krate) = krate {
                with.krate = krate;
            }
            with.expand().into()
        }
        Err(error) => error.to_compile_error().into(),
    }
}
