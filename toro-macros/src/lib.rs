//! Procedural macros of toro (placeholder; filled by the macros work).
#![forbid(unsafe_code)]
