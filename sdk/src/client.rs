//! The typed SDK: the client progenitor generated from `openapi/gateway.yaml`.
//!
//! Nothing here is written by hand; the build emits it. What it calls lives in
//! `progenitor-client`. Construct it with [`crate::connect`], which adds the
//! bearer key and sane timeouts.

#![allow(
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations,
    unused_imports,
    unreachable_pub
)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));
