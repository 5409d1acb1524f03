//! The connection to the API gateway, as configured by the environment.
//!
//! Building an HTTPS client loads the platform's root certificates, which
//! takes milliseconds the `initialize` handshake should not wait for, so the
//! client is built on first use (or warmed in the background right after the
//! server starts). A missing or malformed key does not stop the server: it
//! starts, lists its tools, and every call answers how to fix the key.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::args::Args;
use crate::dispatch::{Reply, Upstream, dispatch};
use crate::error::CallError;
use crate::http1::Plain;
use crate::tools::ToolSpec;
use smartalex::{AccessToken, ApiKey, KeyError, Timeouts, connect, connect_with_token};
use smartalex::{Client, DEFAULT_BASE_URL};

/// `SMARTALEX_API_URL`: the gateway's base URL.
pub const ENV_URL: &str = "SMARTALEX_API_URL";
/// `SMARTALEX_API_KEY`: a `sa_live_`/`sa_test_` key.
pub const ENV_KEY: &str = "SMARTALEX_API_KEY";
/// `SMARTALEX_TIMEOUT_SECS`: per-request timeout (default 30).
pub const ENV_TIMEOUT: &str = "SMARTALEX_TIMEOUT_SECS";

/// What `SMARTALEX_API_KEY` held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    Missing,
    Malformed(KeyError),
    Valid(ApiKey),
    /// An access token minted for the gateway (cloud mode, OAuth callers).
    Token(AccessToken),
}

impl KeyState {
    /// Classify a raw value (`None` or blank = missing).
    pub fn from_raw(raw: Option<&str>) -> Self {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => KeyState::Missing,
            Some(s) => match ApiKey::parse(s) {
                Ok(k) => KeyState::Valid(k),
                Err(e) => KeyState::Malformed(e),
            },
        }
    }
}

/// Where and how to reach the gateway.
#[derive(Debug)]
pub struct Gateway {
    base_url: String,
    key: KeyState,
    timeouts: Timeouts,
    client: OnceLock<Result<Upstream, String>>,
}

impl Gateway {
    pub fn new(base_url: impl Into<String>, key: KeyState, timeouts: Timeouts) -> Self {
        Self {
            base_url: base_url.into(),
            key,
            timeouts,
            client: OnceLock::new(),
        }
    }

    /// From `SMARTALEX_API_URL`, `SMARTALEX_API_KEY` and `SMARTALEX_TIMEOUT_SECS`.
    pub fn from_env() -> Self {
        let url = std::env::var(ENV_URL)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let key = KeyState::from_raw(std::env::var(ENV_KEY).ok().as_deref());
        let mut timeouts = Timeouts::default();
        if let Some(secs) = std::env::var(ENV_TIMEOUT)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
        {
            timeouts.request = Duration::from_secs(secs);
        }
        Self::new(url, key, timeouts)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn key(&self) -> &KeyState {
        &self.key
    }

    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The client, built on first use.
    fn client(&self) -> Result<&Upstream, CallError> {
        match &self.key {
            KeyState::Missing => return Err(CallError::MissingKey),
            KeyState::Malformed(e) => return Err(CallError::MalformedKey(*e)),
            KeyState::Valid(_) | KeyState::Token(_) => {}
        }
        self.client
            .get_or_init(|| {
                let (sdk, bearer) = match &self.key {
                    KeyState::Token(t) => (
                        connect_with_token(&self.base_url, t, self.timeouts),
                        Some(t.expose()),
                    ),
                    KeyState::Valid(k) => (
                        connect(&self.base_url, Some(k), self.timeouts),
                        Some(k.expose()),
                    ),
                    KeyState::Missing | KeyState::Malformed(_) => {
                        (connect(&self.base_url, None, self.timeouts), None)
                    }
                };
                let sdk: Client = sdk.map_err(|e| e.to_string())?;
                let plain = Plain::new(&self.base_url, bearer, self.timeouts);
                Ok(Upstream::new(sdk, plain))
            })
            .as_ref()
            .map_err(|e| CallError::Transport(e.clone()))
    }

    /// Build the client now, so the first call doesn't pay for it.
    pub fn warm(&self) {
        let _ = self.client();
    }

    /// Call the operation behind `tool`. `args` must already be valid.
    pub async fn call(
        &self,
        tool: &ToolSpec,
        args: Map<String, Value>,
    ) -> Result<Reply, CallError> {
        let client = self.client()?;
        dispatch(client, tool.name, Args::new(args))
            .await
            .map_err(|e| match e {
                CallError::Timeout { .. } => CallError::Timeout {
                    seconds: self.timeouts.request.as_secs(),
                },
                other => other,
            })
    }
}
