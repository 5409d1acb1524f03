//! API keys, and building an authenticated client.
//!
//! A key is a credential: it is never formatted in full anywhere — `Debug`
//! and [`ApiKey::redacted`] show only its environment prefix — and the
//! `Authorization` header built from it is marked sensitive so HTTP-layer
//! logging never prints it either.

use std::fmt;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::client::Client;

/// Prefix of production keys.
pub const LIVE_PREFIX: &str = "sa_live_";
/// Prefix of test/staging keys.
pub const TEST_PREFIX: &str = "sa_test_";

/// A syntactically valid SmartAlex API key (`sa_live_…` or `sa_test_…`).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a string is not an API key. Deliberately carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Neither `sa_live_` nor `sa_test_`.
    Prefix,
    /// The right prefix, but nothing (or something other than letters, digits,
    /// `_` and `-`) after it.
    Body,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::Prefix => {
                "SmartAlex API keys start with sa_live_ (production) or sa_test_ (test)"
            }
            KeyError::Body => {
                "the key is truncated or contains characters other than letters, digits, '_' and '-'"
            }
        })
    }
}

impl std::error::Error for KeyError {}

impl ApiKey {
    /// Check the shape of `raw` (surrounding whitespace is ignored).
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        let raw = raw.trim();
        let body = raw
            .strip_prefix(LIVE_PREFIX)
            .or_else(|| raw.strip_prefix(TEST_PREFIX))
            .ok_or(KeyError::Prefix)?;
        if body.len() < 8
            || !body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(KeyError::Body);
        }
        Ok(Self(raw.to_owned()))
    }

    /// `true` for `sa_live_` keys.
    pub fn is_live(&self) -> bool {
        self.0.starts_with(LIVE_PREFIX)
    }

    /// The prefix only (`sa_live_…`), for logs.
    pub fn redacted(&self) -> &'static str {
        if self.is_live() {
            "sa_live_…"
        } else {
            "sa_test_…"
        }
    }

    /// The full key. Only for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.redacted())
    }
}

/// An OAuth access token for the gateway (cloud mode gets one per caller by
/// token exchange). Like [`ApiKey`], never formatted.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wrap a token; `None` if it could not be sent as a header.
    pub fn new(token: impl Into<String>) -> Option<Self> {
        let token = token.into();
        (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())).then_some(Self(token))
    }

    /// The full token. Only for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

/// Timeouts used by [`connect`].
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP/TLS connect.
    pub connect: Duration,
    /// The whole request, connect to last body byte.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        }
    }
}

/// The `User-Agent` every request to the gateway carries.
pub const USER_AGENT: &str = concat!("smartalex/", env!("CARGO_PKG_VERSION"));

/// The `Authorization` value that presents `token` (an API key or an
/// access token) as a bearer credential, marked sensitive so that no
/// `Debug` of a request shows it; `None` if it cannot be a header value.
pub fn authorization(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A client for the gateway at `base_url`, sending `key` as a bearer token.
///
/// `key` may be `None` (the gateway then answers 401 to everything but
/// unauthenticated routes).
pub fn connect(
    base_url: &str,
    key: Option<&ApiKey>,
    timeouts: Timeouts,
) -> Result<Client, reqwest::Error> {
    connect_bearer(base_url, key.map(ApiKey::expose), timeouts)
}

/// [`connect`] with an OAuth access token instead of an API key.
pub fn connect_with_token(
    base_url: &str,
    token: &AccessToken,
    timeouts: Timeouts,
) -> Result<Client, reqwest::Error> {
    connect_bearer(base_url, Some(token.expose()), timeouts)
}

/// A client sending `token` (an API key or an access token, both checked
/// to be visible ASCII) as its bearer credential.
fn connect_bearer(
    base_url: &str,
    token: Option<&str>,
    timeouts: Timeouts,
) -> Result<Client, reqwest::Error> {
    let mut headers = HeaderMap::new();
    // Keys and tokens are checked to be visible ASCII, so this is `Some`.
    if let Some(value) = token.and_then(authorization) {
        headers.insert(AUTHORIZATION, value);
    }
    let mut builder = crate::tls::http_client()
        .default_headers(headers)
        .user_agent(USER_AGENT)
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.request)
        .tcp_nodelay(true);
    if base_url.starts_with("http://") {
        // A plain-HTTP gateway (the sandbox, a loopback proxy) never does a
        // TLS handshake: don't load the platform's root certificates, which
        // costs milliseconds and megabytes for nothing.
        builder = builder.tls_certs_only(std::iter::empty());
    }
    let http = builder.build()?;
    Ok(Client::new_with_client(
        base_url.trim_end_matches('/'),
        http,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_prefixes_and_rejects_others() {
        assert!(ApiKey::parse("sa_live_abcdefgh1234").unwrap().is_live());
        assert!(!ApiKey::parse(" sa_test_abcdefgh1234\n").unwrap().is_live());
        assert_eq!(ApiKey::parse("sk_live_abcdefgh1234"), Err(KeyError::Prefix));
        assert_eq!(ApiKey::parse("sa_test_"), Err(KeyError::Body));
        assert_eq!(ApiKey::parse("sa_test_abc def ghij"), Err(KeyError::Body));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ApiKey::parse("sa_test_supersecret123").unwrap();
        let shown = format!("{key:?} {}", key.redacted());
        assert!(!shown.contains("supersecret"), "{shown}");
    }
}
