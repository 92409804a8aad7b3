//! `toro::with!`: hold guards for a block, like Python's
//! `with (yield lock.acquire(deadline)):`.
//!
//! The block is expanded inline, in the caller's async context (no closure, no inner
//! `async` block around it), so `?`, `return`, `break` and `continue` in it act on the
//! enclosing function or loop.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Token};

use crate::options::Errors;

/// `name = future, ..., deadline = d => body`.
pub(crate) struct With {
    /// The path of the toro crate: the facade's `with!` passes its `$crate`, so a renamed
    /// dependency works; `::toro` when called directly.
    pub(crate) krate: TokenStream,
    guards: Vec<Guard>,
    deadline: Option<Expr>,
    body: Expr,
}

struct Guard {
    mutability: Option<Token![mut]>,
    /// `None` for `_`: held all the same, under a hidden name.
    name: Option<Ident>,
    future: Expr,
}

const SHAPE: &str = "write `toro::with!(guard = lock.acquire(), deadline = d => { ... })`";

impl Parse for With {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("with! needs at least one guard and a body: {SHAPE}"),
            ));
        }
        let mut errors = Errors::default();
        let mut guards: Vec<Guard> = Vec::new();
        let mut deadline: Option<Expr> = None;
        let mut deadline_span = Span::call_site();
        loop {
            let mutability: Option<Token![mut]> = input.parse()?;
            let (name, span) = if input.peek(Token![_]) {
                let underscore: Token![_] = input.parse()?;
                (None, underscore.span)
            } else if input.peek(Ident) {
                let ident: Ident = input.parse()?;
                let span = ident.span();
                (Some(ident), span)
            } else {
                return Err(input.error(format!(
                    "expected a guard `name = future` or `deadline = ...`: {SHAPE}"
                )));
            };
            if input.peek(Token![=>]) || !input.peek(Token![=]) {
                return Err(
                    input.error("expected `=` after the name: write `name = lock.acquire()`")
                );
            }
            let _: Token![=] = input.parse()?;
            let future: Expr = input.parse()?;

            let is_deadline =
                mutability.is_none() && name.as_ref().is_some_and(|n| n == "deadline");
            if is_deadline {
                if deadline.is_some() {
                    errors.at(
                        span,
                        "`deadline` is given twice: one deadline covers every guard, keep one",
                    );
                }
                deadline = Some(future);
                deadline_span = span;
            } else {
                if deadline.is_some() {
                    errors.at(
                        span,
                        "the guards come first and `deadline = ...` last: move this guard before the deadline",
                    );
                }
                if let Some(name) = &name {
                    let taken = guards.iter().any(|g| g.name.as_ref() == Some(name));
                    if taken {
                        errors.at(
                            span,
                            format!("the guard name `{name}` is used twice: give each guard its own name"),
                        );
                    }
                }
                guards.push(Guard {
                    mutability,
                    name,
                    future,
                });
            }

            if input.peek(Token![=>]) {
                let _: Token![=>] = input.parse()?;
                break;
            }
            if input.peek(Token![,]) {
                let _: Token![,] = input.parse()?;
                if input.peek(Token![=>]) {
                    let _: Token![=>] = input.parse()?;
                    break;
                }
                if !input.is_empty() {
                    continue;
                }
            }
            if input.is_empty() {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!("with! is missing its body: end with `=> {{ ... }}`; {SHAPE}"),
                ));
            }
            return Err(input.error(format!(
                "expected `,` and another guard, or `=> {{ ... }}`: {SHAPE}"
            )));
        }
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "with! is missing its body after `=>`: write `=> { ... }`",
            ));
        }
        let body: Expr = input.parse()?;
        let _: Option<Token![,]> = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the body of with!"));
        }
        if guards.is_empty() {
            errors.at(
                deadline_span,
                format!("with! needs at least one guard to hold: {SHAPE}"),
            );
        }
        errors.into_result()?;
        Ok(With {
            krate: quote!(::toro),
            guards,
            deadline,
            body,
        })
    }
}

impl With {
    pub(crate) fn expand(self) -> TokenStream {
        // Names of the macro's own locals: invisible to the user's code.
        let value = Ident::new("__toro_value", Span::mixed_site());
        let acquired = Ident::new("__toro_acquired", Span::mixed_site());
        let timeout = Ident::new("__toro_timeout", Span::mixed_site());
        let held = Ident::new("__toro_guards", Span::mixed_site());
        let result = Ident::new("__toro_result", Span::mixed_site());

        let bindings: Vec<TokenStream> = self
            .guards
            .iter()
            .enumerate()
            .map(|(i, guard)| {
                let mutability = &guard.mutability;
                let name = guard.name.clone().unwrap_or_else(|| {
                    // A plain `_` pattern would drop the guard at once; a hidden name
                    // holds it to the end of the block.
                    format_ident!("__toro_guard_{}", i, span = Span::mixed_site())
                });
                quote!(#mutability #name)
            })
            .collect();
        let futures: Vec<TokenStream> = self
            .guards
            .iter()
            .map(|guard| {
                let future = &guard.future;
                quote!(::core::future::IntoFuture::into_future(#future))
            })
            .collect();
        let body = &self.body;
        let krate = &self.krate;
        let ok = quote!(::core::result::Result::Ok);
        let err = quote!(::core::result::Result::Err);
        // The body's value is bound before the guards drop, so temporaries in it that
        // borrow a guard are gone by then. A body that always returns or breaks is fine:
        // no "unreachable" warning for what follows it here.
        let finish = |wrap: TokenStream| {
            quote! {
                // The body is the initializer of this `let`, not a sub-expression of
                // anything: a body that diverges is as fine as it is at statement level.
                #[allow(clippy::diverging_sub_expression)]
                let #value = #body;
                #[allow(unreachable_code)]
                let #result = #wrap;
                #result
            }
        };
        let plain = finish(quote!(#value));
        let wrapped = finish(quote!(#ok(#value)));

        match (&self.deadline, self.guards.len()) {
            // Taken in order, released in reverse: locals drop in reverse order.
            (None, _) => quote! {{
                #(
                    #[allow(unused_variables)]
                    let #bindings = #futures.await;
                )*
                #plain
            }},
            // One wait: its own `.deadline(d)` (a toro wait's inherent method, allocation
            // free; any other future gets `DeadlineExt::deadline`).
            (Some(deadline), 1) => {
                let binding = &bindings[0];
                let future = &futures[0];
                quote! {{
                    let #acquired = {
                        #[allow(unused_imports)]
                        use #krate::DeadlineExt as _;
                        #future.deadline(#deadline)
                    }
                    .await;
                    match #acquired {
                        #[allow(unused_variables)]
                        #ok(#binding) => {
                            #wrapped
                        }
                        #err(#timeout) => #err(#timeout),
                    }
                }}
            }
            // Several waits under ONE deadline: the deadline is resolved once, when the
            // acquisition starts, and covers the whole sequence. On timeout the guards
            // already taken are dropped (released) and the pending wait leaves its line.
            (Some(deadline), _) => {
                let index = (0..self.guards.len()).map(syn::Index::from);
                quote! {{
                    let #acquired = #krate::DeadlineExt::deadline(
                        async { ( #( #futures.await, )* ) },
                        #deadline,
                    )
                    .await;
                    match #acquired {
                        #ok(#held) => {
                            #(
                                #[allow(unused_variables)]
                                let #bindings = #held.#index;
                            )*
                            #wrapped
                        }
                        #err(#timeout) => #err(#timeout),
                    }
                }}
            }
        }
    }
}
