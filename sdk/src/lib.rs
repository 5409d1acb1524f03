#![doc = include_str!("../README.md")]

mod auth;
mod client;
mod limit;
mod tls;

pub use auth::{
    AccessToken, ApiKey, KeyError, LIVE_PREFIX, TEST_PREFIX, Timeouts, USER_AGENT, authorization,
    connect, connect_with_token,
};
pub use client::{ByteStream, Client, ClientInfo, DEFAULT_BASE_URL, Error, ResponseValue, types};
pub use limit::{MAX_RESPONSE_BYTES, is_too_large};
pub use tls::{http_client, install_tls_provider};
