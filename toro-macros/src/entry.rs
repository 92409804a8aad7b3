//! `#[toro::main]` and `#[toro::test]`: an `async fn` becomes a plain function that runs
//! its body on a runtime.
//!
//! The macro cannot see the facade's features, so everything that depends on them goes
//! through `::toro::__private` (or `path::__private`, given `crate = "path"`):
//! `main_auto`/`test_auto` pick the runtime the features enable, `require_tokio!(...)`
//! (and the smol / async-std ones) expand to their input when the feature is on and to a
//! `compile_error!` when it is off, and `if_tokio! { ... }` expands to nothing when it is
//! off (the tests of `runtimes(...)`).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, ReturnType, Type};

use crate::options::{self, Choice, Errors, Flavor, Kind, Options, Runtime, Runtimes};

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let message = format!("{} goes on an `async fn`", kind.attribute());
            let mut out = syn::Error::new(Span::call_site(), message).to_compile_error();
            out.extend(item);
            return out;
        }
    };

    let mut errors = Errors::default();
    let options = options::parse(kind, args, &mut errors);
    // Options that are not even a list leave unknown whether a clock was asked for: the
    // function is then checked as if it had been, so that no argument error is invented.
    let manual_clock = options
        .as_ref()
        .is_none_or(|options| options.manual_clock.is_some());
    check_function(kind, &function, manual_clock, &mut errors);
    match (errors.into_result(), options) {
        (Ok(()), Some(options)) => generate(kind, &function, &options),
        (Err(error), _) => {
            let mut out = error.to_compile_error();
            out.extend(fallback(kind, &function));
            out
        }
        (Ok(()), None) => unreachable!("a failed parse pushed its error"),
    }
}

/// What the attribute needs of the function itself. `manual_clock`: whether the test
/// asked for `clock = "manual"`, which lets it take the clock as its one argument.
fn check_function(kind: Kind, function: &ItemFn, manual_clock: bool, errors: &mut Errors) {
    let attribute = kind.attribute();
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token.span,
            format!("{attribute} needs an `async fn`: add `async` before `fn`"),
        );
    }
    match kind {
        Kind::Main if !sig.inputs.is_empty() => errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!(
                "`{}` cannot take arguments under {attribute}: remove them (read command-line arguments with `std::env::args()`)",
                sig.ident
            ),
        )),
        Kind::Main => {}
        Kind::Test if !manual_clock && !sig.inputs.is_empty() => {
            errors.push(syn::Error::new_spanned(
                &sig.inputs,
                "a test function cannot take arguments: remove them and build the values in the body (the one argument a test may take is a `toro::ManualClock`, with `#[toro::test(clock = \"manual\")]`)",
            ))
        }
        Kind::Test => {
            if let Some(syn::FnArg::Receiver(receiver)) = sig.inputs.first() {
                errors.push(syn::Error::new_spanned(
                    receiver,
                    "a test function cannot take `self`: its one argument is the clock, like `clock: toro::ManualClock`",
                ));
            }
            let others: TokenStream = sig
                .inputs
                .pairs()
                .skip(1)
                .map(|pair| pair.into_value().to_token_stream())
                .collect();
            if !others.is_empty() {
                errors.push(syn::Error::new_spanned(
                    others,
                    "with `clock = \"manual\"` a test takes one argument, the clock (like `clock: toro::ManualClock`): remove the others",
                ));
            }
        }
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{attribute} cannot be generic: remove the generic parameters"),
        ));
    }
    if kind == Kind::Test {
        for attr in &function.attrs {
            let path = attr.path();
            if path
                .segments
                .last()
                .is_some_and(|last| last.ident == "test")
            {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "#[toro::test] already makes this a test: remove this second test attribute",
                ));
            }
        }
    }
}

fn generate(kind: Kind, function: &ItemFn, options: &Options) -> TokenStream {
    match &options.runtimes {
        Runtimes::One(choice) => {
            one_function(kind, function, &function.sig.ident, *choice, options)
        }
        Runtimes::Each(list) => {
            // One test per runtime, in a module named after the function:
            // `cargo test my_test::smol`.
            let module = &function.sig.ident;
            let tests = Runtime::ALL
                .iter()
                .filter_map(|runtime| list.iter().find(|(listed, _)| listed == runtime))
                .map(|(runtime, span)| {
                    let name = format_ident!("{}", runtime.test_name(), span = *span);
                    let mut function = function.clone();
                    // Seen from the parent module as the function would have been.
                    if let syn::Visibility::Inherited = function.vis {
                        function.vis = syn::parse_quote!(pub(super));
                    }
                    let choice = Choice::Named(*runtime, *span);
                    let test = one_function(kind, &function, &name, choice, options);
                    let krate = &options.krate;
                    match runtime {
                        Runtime::Tokio => quote!(#krate::__private::if_tokio! { #test }),
                        Runtime::Smol => quote!(#krate::__private::if_smol! { #test }),
                        Runtime::AsyncStd => quote!(#krate::__private::if_async_std! { #test }),
                        Runtime::Builtin => test,
                    }
                });
            quote! {
                mod #module {
                    #[allow(unused_imports)]
                    use super::*;
                    #(#tests)*
                }
            }
        }
    }
}

/// The plain function that runs `function`'s body on `choice`.
fn one_function(
    kind: Kind,
    function: &ItemFn,
    name: &syn::Ident,
    choice: Choice,
    options: &Options,
) -> TokenStream {
    let attrs = &function.attrs;
    let vis = &function.vis;
    let mut sig = function.sig.clone();
    sig.asyncness = None;
    sig.ident = name.clone();
    sig.inputs.clear();
    let test_attr = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[::core::prelude::v1::test]),
    };
    let clock = manual_clock(function, options);
    let body = body_future(function);
    let run = run_on(kind, choice, options);
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #clock
            #body
            #run
        }
    }
}

/// With `clock = "manual"`: `let __toro_clock = ManualClock::new();`, and the test's
/// argument, if it takes one, bound to a clone of it before the body captures it.
fn manual_clock(function: &ItemFn, options: &Options) -> TokenStream {
    let Some(span) = options.manual_clock else {
        return quote!();
    };
    let krate = &options.krate;
    let new = quote_spanned!(span=> #krate::ManualClock::new());
    let argument = function.sig.inputs.first().map(|argument| {
        let syn::FnArg::Typed(argument) = argument else {
            unreachable!("a `self` argument was refused")
        };
        let (attrs, pat, ty) = (&argument.attrs, &argument.pat, &argument.ty);
        // Located at the type, crate path included, so a test that names another type is
        // told there (with the call site's hygiene, so `__toro_clock` resolves whoever
        // wrote the type).
        let at = Span::call_site().located_at(ty.span());
        let krate = respanned(krate, at);
        let clone = quote_spanned!(at=> #krate::ManualClock::clone(&__toro_clock));
        quote!(#(#attrs)* let #pat: #ty = #clone;)
    });
    quote! {
        let __toro_clock = #new;
        #argument
    }
}

/// `tokens`, every one of them spanned at `span`.
fn respanned(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// `let __toro_body = <the async body>;`, typed as a future of the declared output where
/// that can be written, so `?` and mismatched types are reported against the signature.
fn body_future(function: &ItemFn) -> TokenStream {
    let block = &function.block;
    let async_token = function
        .sig
        .asyncness
        .map_or_else(|| quote!(async), |token| token.into_token_stream());
    let output = match &function.sig.output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) if !matches!(**ty, Type::ImplTrait(_)) => {
            Some(ty.to_token_stream())
        }
        ReturnType::Type(..) => None,
    };
    match output {
        Some(output) => quote! {
            let __toro_body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> =
                ::core::pin::pin!(#async_token move #block);
        },
        None => quote! {
            let __toro_body = #async_token move #block;
        },
    }
}

/// The expression that runs `__toro_body` to completion on `choice`.
fn run_on(kind: Kind, choice: Choice, options: &Options) -> TokenStream {
    let krate = &options.krate;
    // A test's helpers enter the manual clock, if any, over the runtime's own handle.
    let clock = match options.manual_clock {
        Some(_) => quote!(::core::option::Option::Some(&__toro_clock)),
        None => quote!(::core::option::Option::None),
    };
    let (runtime, span) = match choice {
        Choice::Auto => {
            return match kind {
                Kind::Main => quote!(#krate::__private::main_auto(__toro_body)),
                Kind::Test => quote!(#krate::__private::test_auto(#clock, __toro_body)),
            };
        }
        Choice::Named(runtime, span) => (runtime, span),
    };
    // The `require_*!` invocations are spanned at the runtime's name, crate path included,
    // so that "feature off" is reported there.
    let at = |span: Span| respanned(krate, span);
    match (runtime, kind) {
        (Runtime::Builtin, Kind::Main) => quote!(#krate::__private::main_builtin(__toro_body)),
        (Runtime::Builtin, Kind::Test) => {
            quote!(#krate::__private::test_builtin(#clock, __toro_body))
        }
        (Runtime::Smol, Kind::Main) => {
            let krate = at(span);
            quote_spanned! {span=>
                #krate::__private::require_smol!(#krate::smol::run(__toro_body))
            }
        }
        (Runtime::Smol, Kind::Test) => {
            let krate = at(span);
            quote_spanned! {span=>
                #krate::__private::require_smol!(#krate::__private::test_smol(#clock, __toro_body))
            }
        }
        (Runtime::AsyncStd, Kind::Main) => {
            let krate = at(span);
            quote_spanned! {span=>
                #krate::__private::require_async_std!(#krate::async_std::run(__toro_body))
            }
        }
        (Runtime::AsyncStd, Kind::Test) => {
            let krate = at(span);
            quote_spanned! {span=>
                #krate::__private::require_async_std!(#krate::__private::test_async_std(#clock, __toro_body))
            }
        }
        (Runtime::Tokio, _) => {
            let tokio = &options.tokio;
            let builder = match tokio.flavor {
                Flavor::CurrentThread => quote!(new_current_thread),
                Flavor::MultiThread => quote!(new_multi_thread),
            };
            let workers = tokio.worker_threads.map(|workers| {
                let n = workers.value;
                quote_spanned!(workers.span=> .worker_threads(#n))
            });
            // `Builder::start_paused` exists only with tokio's `test-util` feature, which
            // the user's graph must turn on (as for `#[tokio::test(start_paused = true)]`);
            // the span puts a missing-method error on the user's option.
            let paused = tokio
                .start_paused
                .filter(|paused| paused.value)
                .map(|paused| quote_spanned!(paused.span=> .start_paused(true)));
            let runtime = quote! {
                #krate::__private::tokio::runtime::Builder::#builder()
                    #workers
                    #paused
                    .enable_all()
                    .build()
                    .expect("toro: failed to build the tokio runtime")
            };
            let run = match kind {
                // The main sets tokio's handle as the process default, for every worker.
                Kind::Main => quote!(#krate::tokio::run(#runtime, __toro_body)),
                // Tests run in parallel: no process default; waits detect tokio, or find
                // the manual clock entered on the test's thread.
                Kind::Test => quote!(#krate::__private::test_tokio(#runtime, #clock, __toro_body)),
            };
            let krate = at(span);
            quote_spanned!(span=> #krate::__private::require_tokio!(#run))
        }
    }
}

/// What stands in for the function when the attribute has errors: the same function,
/// made synchronous, so the only errors shown are the attribute's (no "`main` function
/// not found", no unused helpers), while the body is still checked.
fn fallback(kind: Kind, function: &ItemFn) -> TokenStream {
    let attrs = &function.attrs;
    let vis = &function.vis;
    let block = &function.block;
    let mut sig = function.sig.clone();
    let allow = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[allow(dead_code)]),
    };
    // A test keeps its arguments (a `self` aside), so that what names their types is
    // still used and the body still sees them: the clock's error comes alone.
    let inputs_kept = match kind {
        Kind::Main => sig.inputs.is_empty(),
        Kind::Test => !matches!(sig.inputs.first(), Some(syn::FnArg::Receiver(_))),
    };
    let body = if sig.asyncness.is_none() {
        block.to_token_stream()
    } else if inputs_kept && sig.generics.params.is_empty() {
        sig.asyncness = None;
        quote!({
            let _ = async move #block;
            ::core::unreachable!()
        })
    } else {
        sig.asyncness = None;
        sig.inputs.clear();
        sig.generics = syn::Generics::default();
        quote!({ ::core::unreachable!() })
    };
    quote! {
        #allow
        #(#attrs)*
        #vis #sig #body
    }
}
