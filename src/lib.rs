//! toro: Tornado-style coordination primitives for async Rust, with a deadline on every
//! wait, on tokio, async-std, smol or no runtime at all.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use toro_core::*;

/// toro on tokio (feature `tokio`).
#[cfg(feature = "tokio")]
pub use toro_tokio as tokio;

/// toro on smol (feature `smol`).
#[cfg(feature = "smol")]
pub use toro_smol as smol;

/// toro on async-std (feature `async-std`).
#[cfg(feature = "async-std")]
pub use toro_async_std as async_std;
