#![doc = include_str!("../README.md")]

mod auth;
mod client;
mod limit;

pub use auth::{AccessToken, ApiKey, KeyError, LIVE_PREFIX, TEST_PREFIX, Timeouts, connect};
pub use client::{ByteStream, Client, ClientInfo, DEFAULT_BASE_URL, Error, ResponseValue, types};
pub use limit::{MAX_RESPONSE_BYTES, is_too_large};

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
