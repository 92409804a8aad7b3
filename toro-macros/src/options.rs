//! The options of `#[toro::main(...)]` and `#[toro::test(...)]`: parsed, checked, and
//! turned into the runtime each generated function runs on.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// Which attribute is being expanded: the options differ a little.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[toro::main]",
            Kind::Test => "#[toro::test]",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Main => &["runtime", "flavor", "worker_threads", "crate"],
            Kind::Test => &[
                "runtime",
                "runtimes",
                "flavor",
                "worker_threads",
                "start_paused",
                "clock",
                "crate",
            ],
        }
    }
}

/// A runtime a generated function can run on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Runtime {
    Tokio,
    Smol,
    AsyncStd,
    /// toro's own single-threaded loop (`toro::block_on`); needs no feature.
    Builtin,
}

impl Runtime {
    pub(crate) const ALL: [Runtime; 4] = [
        Runtime::Tokio,
        Runtime::Smol,
        Runtime::AsyncStd,
        Runtime::Builtin,
    ];

    fn from_name(name: &str) -> Option<Runtime> {
        match name {
            "tokio" => Some(Runtime::Tokio),
            "smol" => Some(Runtime::Smol),
            "async-std" | "async_std" => Some(Runtime::AsyncStd),
            "builtin" => Some(Runtime::Builtin),
            _ => None,
        }
    }

    /// The name of the test function `runtimes(...)` makes for this runtime.
    pub(crate) fn test_name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::AsyncStd => "async_std",
            Runtime::Builtin => "builtin",
        }
    }

    pub(crate) fn display(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::AsyncStd => "async-std",
            Runtime::Builtin => "builtin",
        }
    }
}

/// tokio's runtime flavors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// A value and where the user wrote it: the whole `key = value`, from `span` to `end`.
#[derive(Clone, Copy)]
pub(crate) struct At<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
    pub(crate) end: Span,
}

impl<T> At<T> {
    fn with<U>(&self, value: U) -> At<U> {
        At {
            value,
            span: self.span,
            end: self.end,
        }
    }
}

/// The runtime a single generated function runs on.
#[derive(Clone, Copy)]
pub(crate) enum Choice {
    /// Named by the user (`runtime = "smol"`, one of `runtimes(...)`), or implied by a tokio
    /// option; the span is where, so "feature off" errors point there.
    Named(Runtime, Span),
    /// Whichever the facade's features enable: tokio, then smol, then async-std, else the
    /// built-in loop.
    Auto,
}

/// tokio's settings, used when the chosen runtime is tokio.
#[derive(Clone, Copy)]
pub(crate) struct TokioSettings {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<At<usize>>,
    pub(crate) start_paused: Option<At<bool>>,
}

/// Checked options.
pub(crate) struct Options {
    /// One runtime for a plain function, or several for `runtimes(...)` (then the test
    /// becomes a module of tests).
    pub(crate) runtimes: Runtimes,
    pub(crate) tokio: TokioSettings,
    /// `clock = "manual"`, where it was written: each generated test makes a fresh
    /// `ManualClock`, enters its handle on the test's thread and may hand it to the test.
    pub(crate) manual_clock: Option<Span>,
    /// The path the expansion names the facade by: `::toro`, or the user's
    /// `crate = "path"` (a renamed or re-exported dependency).
    pub(crate) krate: TokenStream,
}

pub(crate) enum Runtimes {
    One(Choice),
    Each(Vec<(Runtime, Span)>),
}

/// What was written, before the checks that relate several keys.
#[derive(Default)]
struct Raw {
    runtime: Option<At<Runtime>>,
    runtimes: Option<At<Vec<(Runtime, Span)>>>,
    flavor: Option<At<Flavor>>,
    worker_threads: Option<At<usize>>,
    start_paused: Option<At<bool>>,
    /// `clock = "..."`; also set when the value is refused, so that the function's
    /// argument is not reported as well.
    clock: Option<At<()>>,
    krate: Option<syn::Path>,
}

/// Collects every error instead of stopping at the first, so one compile shows them all.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error underlining a whole option, `key = value`.
    fn on<T>(&mut self, at: &At<T>, message: impl std::fmt::Display) {
        // Two tokens spanning the range: `new_spanned` underlines from the first to the
        // last (a `Span::join` is not available on stable).
        let (first, last) = (at.span, at.end);
        let range = quote::quote_spanned!(first=> start)
            .into_iter()
            .chain(quote::quote_spanned!(last=> end));
        self.push(syn::Error::new_spanned(
            range.collect::<proc_macro2::TokenStream>(),
            message,
        ));
    }

    pub(crate) fn into_result(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Parses and checks the attribute's arguments, pushing what is wrong to `errors`. `None`
/// where they are not even a list of options; else the options as far as they were
/// understood (with errors pushed, they are only good for checking the function).
pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &mut Errors) -> Option<Options> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => metas,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let mut raw = Raw::default();
    for meta in &metas {
        parse_one(kind, meta, &mut raw, errors);
    }
    Some(check(kind, raw, errors))
}

fn parse_one(kind: Kind, meta: &Meta, raw: &mut Raw, errors: &mut Errors) {
    let attribute = kind.attribute();
    let Some(key) = meta
        .path()
        .get_ident()
        .map(|ident| ident.unraw().to_string())
    else {
        errors.at(
            meta.path().span(),
            format!(
                "expected an option name, like `runtime`; {attribute} takes {}",
                listed(kind.keys())
            ),
        );
        return;
    };
    if !kind.keys().contains(&key.as_str()) {
        errors.push(unknown_key(kind, &key, meta.path().span()));
        return;
    }
    let all = {
        let mut tokens = quote::ToTokens::to_token_stream(meta).into_iter();
        let span = tokens.next().map_or_else(Span::call_site, |t| t.span());
        let end = tokens.last().map_or(span, |t| t.span());
        At {
            value: (),
            span,
            end,
        }
    };
    let duplicate = match key.as_str() {
        "runtime" => raw.runtime.is_some(),
        "runtimes" => raw.runtimes.is_some(),
        "flavor" => raw.flavor.is_some(),
        "worker_threads" => raw.worker_threads.is_some(),
        "start_paused" => raw.start_paused.is_some(),
        "clock" => raw.clock.is_some(),
        _ => raw.krate.is_some(),
    };
    if duplicate {
        errors.on(&all, format!("`{key}` is given twice: keep only one"));
        return;
    }
    if key == "runtimes" {
        match meta {
            Meta::List(list) => match list.parse_args_with(parse_runtime_list) {
                Ok(list) if list.is_empty() => errors.on(
                    &all,
                    "`runtimes(...)` needs at least one runtime: tokio, smol, async_std or builtin",
                ),
                Ok(list) => raw.runtimes = Some(all.with(list)),
                Err(error) => errors.push(error),
            },
            _ => errors.on(
                &all,
                "`runtimes` takes a list, like `runtimes(tokio, smol, async_std, builtin)`",
            ),
        }
        return;
    }
    let value = match meta {
        Meta::NameValue(name_value) => &name_value.value,
        _ => {
            errors.on(
                &all,
                format!("`{key}` needs a value, like {}", example(&key)),
            );
            return;
        }
    };
    let lit = match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    };
    match key.as_str() {
        "runtime" => match lit {
            Some(Lit::Str(s)) => match Runtime::from_name(&s.value()) {
                Some(runtime) => {
                    raw.runtime = Some(At { value: runtime, span: s.span(), end: s.span() })
                }
                None => errors.at(
                    s.span(),
                    format!(
                        "unknown runtime \"{}\": use \"tokio\", \"smol\", \"async-std\" or \"builtin\"",
                        s.value()
                    ),
                ),
            },
            _ => errors.push(wrong_type(&key, value)),
        },
        "flavor" => match lit {
            Some(Lit::Str(s)) => match s.value().as_str() {
                "current_thread" => {
                    raw.flavor = Some(all.with(Flavor::CurrentThread))
                }
                "multi_thread" => raw.flavor = Some(all.with(Flavor::MultiThread)),
                other => errors.at(
                    s.span(),
                    format!(
                        "unknown tokio flavor \"{other}\": use \"current_thread\" or \"multi_thread\""
                    ),
                ),
            },
            _ => errors.push(wrong_type(&key, value)),
        },
        "worker_threads" => match lit {
            Some(Lit::Int(int)) => match int.base10_parse::<usize>() {
                Ok(0) => errors.at(int.span(), "`worker_threads` must be at least 1"),
                Ok(n) => raw.worker_threads = Some(all.with(n)),
                Err(error) => errors.at(
                    int.span(),
                    format!("`worker_threads` takes a positive integer, like `worker_threads = 4`: {error}"),
                ),
            },
            _ => errors.push(wrong_type(&key, value)),
        },
        "start_paused" => match lit {
            Some(Lit::Bool(b)) => raw.start_paused = Some(all.with(b.value)),
            _ => errors.push(wrong_type(&key, value)),
        },
        "clock" => {
            raw.clock = Some(all);
            match lit {
                Some(Lit::Str(s)) if s.value() == "manual" => {}
                Some(Lit::Str(s)) => errors.at(
                    s.span(),
                    format!(
                        "unknown clock \"{}\": the one clock to ask for is \"manual\" (a `toro::ManualClock`, moved only by the test); leave `clock` out for the runtime's own clock",
                        s.value()
                    ),
                ),
                _ => errors.push(wrong_type(&key, value)),
            }
        }
        _ => match lit {
            // Like tokio's `crate = "..."`: a path in a string, parsed with the literal's
            // span, so a path that does not resolve is reported on the literal.
            Some(Lit::Str(s)) => match s.parse_with(syn::Path::parse_mod_style) {
                Ok(path) => raw.krate = Some(path),
                Err(_) => errors.at(
                    s.span(),
                    format!(
                        "`crate` takes the path of the toro crate, like {}; \"{}\" is not a path",
                        example(&key),
                        s.value()
                    ),
                ),
            },
            _ => errors.push(wrong_type(&key, value)),
        },
    }
}

/// `tokio, smol, async_std, builtin`; `async-std` and string literals are accepted too.
fn parse_runtime_list(input: ParseStream<'_>) -> syn::Result<Vec<(Runtime, Span)>> {
    let mut list: Vec<(Runtime, Span)> = Vec::new();
    let mut errors = Errors::default();
    while !input.is_empty() {
        let (name, span) = if input.peek(LitStr) {
            let s: LitStr = input.parse()?;
            (s.value(), s.span())
        } else {
            let ident = syn::Ident::parse_any(input)?;
            if ident == "async" && input.peek(Token![-]) {
                let _: Token![-] = input.parse()?;
                let std = syn::Ident::parse_any(input)?;
                let span = ident.span().join(std.span()).unwrap_or(ident.span());
                (format!("async-{std}"), span)
            } else {
                (ident.to_string(), ident.span())
            }
        };
        match Runtime::from_name(&name) {
            Some(runtime) if list.iter().any(|(seen, _)| *seen == runtime) => errors.at(
                span,
                format!("`{name}` is listed twice in `runtimes(...)`: keep one"),
            ),
            Some(runtime) => list.push((runtime, span)),
            None => errors.at(
                span,
                format!("unknown runtime `{name}`: use tokio, smol, async_std or builtin"),
            ),
        }
        if input.is_empty() {
            break;
        }
        let _: Token![,] = input.parse()?;
    }
    errors.into_result().map(|()| list)
}

fn check(kind: Kind, raw: Raw, errors: &mut Errors) -> Options {
    let attribute = kind.attribute();
    if let (Some(_), Some(runtimes)) = (&raw.runtime, &raw.runtimes) {
        errors.on(
            runtimes,
            "give either `runtime = \"...\"` or `runtimes(...)`, not both",
        );
    }

    // The tokio-only options: where tokio is not the runtime, say so; where no runtime is
    // named, they ask for tokio.
    let tokio_options: Vec<(&str, At<()>)> = [
        raw.flavor.map(|o| ("flavor", o.with(()))),
        raw.worker_threads.map(|o| ("worker_threads", o.with(()))),
        raw.start_paused.map(|o| ("start_paused", o.with(()))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let runtimes = if let Some(list) = raw.runtimes {
        if !list
            .value
            .iter()
            .any(|(runtime, _)| *runtime == Runtime::Tokio)
        {
            for (key, at) in &tokio_options {
                errors.on(
                    at,
                    format!(
                        "`{key}` is a tokio option, but `runtimes(...)` has no tokio: add tokio to the list or remove `{key}`"
                    ),
                );
            }
        }
        Runtimes::Each(list.value)
    } else if let Some(runtime) = raw.runtime {
        if runtime.value != Runtime::Tokio {
            for (key, at) in &tokio_options {
                errors.on(
                    at,
                    format!(
                        "`{key}` is a tokio option, but this runs on {}: remove `{key}` or use `runtime = \"tokio\"`",
                        runtime.value.display()
                    ),
                );
            }
        }
        Runtimes::One(Choice::Named(runtime.value, runtime.span))
    } else if let Some((_, at)) = tokio_options.first() {
        Runtimes::One(Choice::Named(Runtime::Tokio, at.span))
    } else {
        Runtimes::One(Choice::Auto)
    };

    // Like `#[tokio::main]` and `#[tokio::test]`: main is multi-threaded, tests are not.
    let flavor = raw.flavor.map_or(
        match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        },
        |f| f.value,
    );
    if let Some(workers) = raw.worker_threads {
        if flavor == Flavor::CurrentThread {
            let why = if raw.flavor.is_some() {
                "`flavor = \"current_thread\"` is set".to_string()
            } else {
                format!("{attribute} uses the current-thread runtime unless told otherwise")
            };
            errors.on(
                &workers,
                format!(
                    "`worker_threads` is for tokio's multi-thread runtime, but {why}: add `flavor = \"multi_thread\"` or remove `worker_threads`"
                ),
            );
        }
    }
    if let Some(paused) = raw.start_paused {
        if paused.value && flavor == Flavor::MultiThread {
            errors.on(
                &paused,
                "`start_paused = true` needs tokio's current-thread runtime (tokio pauses time only there): remove `flavor = \"multi_thread\"`",
            );
        }
    }
    if raw.clock.is_some() {
        if let Some(paused) = raw.start_paused {
            errors.on(
                &paused,
                "`start_paused` and `clock = \"manual\"` each stop time for the test: pick one (`start_paused` pauses tokio's clock, which moves by itself when the runtime is idle; `clock = \"manual\"` gives a `toro::ManualClock`, which moves only when the test advances it)",
            );
        }
        if let Some(multi) = raw.flavor.filter(|f| f.value == Flavor::MultiThread) {
            errors.on(
                &multi,
                "`clock = \"manual\"` needs tokio's current-thread runtime: the clock is entered on the test's thread, and tasks on other worker threads would not see it; remove `flavor = \"multi_thread\"`",
            );
        }
    }
    Options {
        runtimes,
        tokio: TokioSettings {
            flavor,
            worker_threads: raw.worker_threads,
            start_paused: raw.start_paused,
        },
        manual_clock: raw.clock.map(|clock| clock.span),
        krate: raw.krate.map_or_else(
            || quote::quote!(::toro),
            |path| quote::ToTokens::to_token_stream(&path),
        ),
    }
}

fn example(key: &str) -> &'static str {
    match key {
        "runtime" => "`runtime = \"tokio\"` (or \"smol\", \"async-std\", \"builtin\")",
        "flavor" => "`flavor = \"current_thread\"` or `flavor = \"multi_thread\"`",
        "worker_threads" => "`worker_threads = 4`",
        "start_paused" => "`start_paused = true`",
        "clock" => "`clock = \"manual\"`",
        "crate" => "`crate = \"my_toro\"` (for `my_toro = { package = \"toro\", ... }`)",
        _ => "`runtimes(tokio, smol, async_std, builtin)`",
    }
}

fn wrong_type(key: &str, value: &Expr) -> syn::Error {
    let what = match key {
        "runtime" | "flavor" | "clock" | "crate" => "a string literal",
        "worker_threads" => "an integer literal",
        _ => "a bool literal",
    };
    syn::Error::new_spanned(
        value,
        format!("`{key}` takes {what}, like {}", example(key)),
    )
}

fn unknown_key(kind: Kind, key: &str, span: Span) -> syn::Error {
    let attribute = kind.attribute();
    let message = if let Some(runtime) = Runtime::from_name(key) {
        format!(
            "to choose a runtime, write `runtime = \"{}\"`; {attribute} takes {}",
            runtime.display(),
            listed(kind.keys())
        )
    } else if kind == Kind::Main && Kind::Test.keys().contains(&key) {
        format!(
            "`{key}` is an option of #[toro::test] only; {attribute} takes {}",
            listed(kind.keys())
        )
    } else if let Some(near) = kind.keys().iter().find(|k| edit_distance(k, key) <= 2) {
        format!(
            "unknown option `{key}`: did you mean `{near}`? {attribute} takes {}",
            listed(kind.keys())
        )
    } else {
        format!(
            "unknown option `{key}`: {attribute} takes {}",
            listed(kind.keys())
        )
    };
    syn::Error::new(span, message)
}

fn listed(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
