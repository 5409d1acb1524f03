#![doc = include_str!("../README.md")]

// The typed SDK is the `smartalex` crate; these are its names that the
// server's own interface takes and gives (keys, the client, its types).
pub use smartalex::{
    AccessToken, ApiKey, ByteStream, Client, ClientInfo, DEFAULT_BASE_URL, Error, KeyError,
    LIVE_PREFIX, MAX_RESPONSE_BYTES, ResponseValue, TEST_PREFIX, Timeouts, connect, is_too_large,
    types,
};

mod args;
mod buffers;
mod changes;
mod client_log;
mod complete;
pub mod confirm;
mod dispatch;
mod error;
mod escape;
pub mod gateway;
mod hex;
mod http1;
pub mod live;
pub mod logs;
mod prompts;
pub mod registry;
mod resources;
pub mod server;
mod shape;
mod splice;
pub mod stdio;
pub mod surface;
pub mod tools;
pub mod truncate;
pub mod untrusted;
mod written;

// Who a request acts for: below both the server and the HTTP transport.
#[cfg(feature = "http")]
mod caller;
#[cfg(feature = "http")]
pub mod http;
