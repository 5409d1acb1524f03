//! The binary's own modules: the command line, and one module per thing the
//! binary does with it.
//!
//! None of this is the library (`smartalex_mcp::…`, declared in `lib.rs`):
//! it is the thin layer that turns flags into library calls, prints what a
//! command prints and chooses exit codes, and it is the only code that uses
//! `anyhow`. It lives in one directory so that it cannot be mistaken for the
//! library modules beside it in `src/`, and so that `main.rs` is left with
//! composition alone.
//!
//! An optional feature gates whole modules here (`http`, `embedded`,
//! `http::sandbox`) and whole groups of flags (`args`); where a command
//! behaves differently with an embedded sandbox, that is one gated
//! `if serve.sandbox.enabled` that hands over to `embedded` (for `http`, to
//! `http::sandbox`).

pub(crate) mod args;
pub(crate) mod call;
#[cfg(feature = "sandbox")]
mod embedded;
#[cfg(feature = "http")]
pub(crate) mod http;
pub(crate) mod logging;
mod registry;
pub(crate) mod stdio;
pub(crate) mod tools;
