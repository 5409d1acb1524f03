#![doc = include_str!("../README.md")]

// The typed SDK is the `smartalex` crate; these are its names that the
// server's own interface takes and gives (keys, the client, its types).
pub use smartalex::{
    AccessToken, ApiKey, ByteStream, Client, ClientInfo, DEFAULT_BASE_URL, Error, KeyError,
    LIVE_PREFIX, MAX_RESPONSE_BYTES, ResponseValue, TEST_PREFIX, Timeouts, connect, is_too_large,
    types,
};

#[cfg(feature = "server")]
mod args;
#[cfg(feature = "server")]
mod client_log;
#[cfg(feature = "server")]
pub mod complete;
#[cfg(feature = "server")]
pub mod confirm;
#[cfg(feature = "server")]
mod dispatch;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod gateway;
#[cfg(feature = "server")]
mod hex;
#[cfg(feature = "server")]
pub mod live;
#[cfg(feature = "server")]
pub mod logs;
#[cfg(feature = "server")]
pub mod prompts;
#[cfg(feature = "server")]
pub mod registry;
#[cfg(feature = "server")]
pub mod resources;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
mod shape;
#[cfg(feature = "server")]
mod splice;
#[cfg(feature = "server")]
pub mod stdio;
#[cfg(feature = "server")]
pub mod surface;
#[cfg(feature = "server")]
pub mod tools;
#[cfg(feature = "server")]
pub mod truncate;
#[cfg(feature = "server")]
pub mod untrusted;

#[cfg(feature = "sandbox")]
pub mod sandbox;

#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "http", feature = "sandbox"))]
pub mod listen;
#[cfg(any(feature = "http", feature = "sandbox"))]
pub mod origin;
#[cfg(any(feature = "http", feature = "sandbox"))]
pub mod ratelimit;
