//! The sandbox as an OAuth 2.1 authorization server.
//!
//! The MCP server's HTTP transport is an OAuth *resource server*; it needs
//! an authorization server to send clients to, and for local work that is
//! this sandbox. The issuer is the sandbox's own base URL, which is also the
//! gateway's resource identifier: an access token whose audience is that URL
//! is accepted by the gateway API like an API key (see [`super::auth`]).
//!
//! What is implemented, and where:
//! - [`metadata`]: RFC 8414 discovery (`/.well-known/oauth-authorization-server`);
//! - [`register`]: RFC 7591 dynamic client registration;
//! - [`authorize`] and [`consent`]: the authorization-code flow with PKCE
//!   (S256 only) and RFC 8707 resource indicators (required), ending in a
//!   minimal consent page where the operator picks a workspace;
//! - [`operator`]: who the operator is — the holder of the consent key the
//!   starting process printed — and the CSRF token of the consent form;
//! - [`token`]: the `authorization_code` and `refresh_token` (rotating, with
//!   reuse detection) grants; [`exchange`]: the RFC 8693 token exchange,
//!   for provisioned confidential clients only; [`grant`]: what the grants
//!   share (their outcome, form fields, and issuing tokens);
//! - [`client_auth`]: how the token endpoint knows the client;
//! - [`introspect`]: RFC 7662 introspection of access tokens and API keys;
//! - [`bounds`]: body sizes, field limits and per-IP rate limits;
//!   [`purge`]: deleting expired requests, codes and tokens;
//! - [`store`]: the SQL; [`pkce`]: verifier and challenge rules.
//!
//! Tokens are opaque (`sa_oat_` access, `sa_ort_` refresh — prefixes kept
//! in [`crate::credentials`] — then 48 hex chars of OS randomness); codes,
//! request ids and client secrets are random too, and only SHA-256 hashes of
//! any of them are stored.
//!
//! Sandbox simplifications, on purpose:
//! - there are no user accounts: the operator (whoever holds the consent
//!   key) owns every workspace and picks one on the consent page;
//! - introspection is unauthenticated (any caller may ask about a token).
//!
//! Like every sandbox route, these check `Host` and `Origin` first (see
//! [`super::server`]).
//!
//! These routes sit outside the gateway API's pipeline: they are not the API
//! and neither need an API key nor count against its rate limit. Nothing here
//! logs or echoes a secret — token, code, verifier or client secret.

mod authorize;
mod bounds;
mod client_auth;
mod consent;
pub(crate) mod exchange;
mod grant;
mod introspect;
mod metadata;
pub(crate) mod operator;
mod pkce;
pub(crate) mod purge;
mod register;
pub(crate) mod store;
mod token;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::SharedApp;
use super::errors::ApiError;
use super::ids::{self, hex};

/// How long an access token lives unless `SandboxOptions` says otherwise.
pub(crate) const DEFAULT_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a refresh token lives.
const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Requests per minute per IP to the OAuth endpoints that anyone can call.
pub(crate) const DEFAULT_RATE_LIMIT_PER_MIN: u32 = 30;
/// How often expired OAuth rows are deleted, at most.
pub(crate) const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// The scopes the sandbox knows, in canonical order.
const SCOPES: [&str; 2] = ["read", "write"];
/// RFC 8693 names.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The authorization server's routes (mounted outside the API pipeline).
/// Registration, authorization and the consent link count against the
/// caller's IP; the token endpoint counts for itself ([`token`]).
pub(crate) fn router(app: SharedApp) -> Router<SharedApp> {
    let per_ip = Router::new()
        .route("/oauth/register", post(register::serve))
        .route(
            "/oauth/authorize",
            get(authorize::request).post(authorize::decide),
        )
        .route("/oauth/consent", get(operator::visit).post(operator::enter))
        .route_layer(axum::middleware::from_fn_with_state(app, bounds::per_ip));
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::serve),
        )
        .route("/oauth/token", post(token::serve))
        .route("/oauth/introspect", post(introspect::serve))
        .merge(per_ip)
}

/// A new opaque token: `prefix` + 48 hex characters (24 bytes of OS randomness).
fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", hex(&ids::random_bytes::<24>()))
}

/// A new random secret with no prefix (codes, request ids, client secrets).
pub(crate) fn new_secret() -> String {
    hex(&ids::random_bytes::<32>())
}

/// A requested scope, checked against [`SCOPES`] and put in canonical
/// order; `None` (absent) means everything.
fn parse_scope(requested: Option<&str>) -> Result<String, String> {
    let Some(text) = requested else {
        return Ok(SCOPES.join(" "));
    };
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err("scope is empty".into());
    }
    if let Some(unknown) = words.iter().find(|w| !SCOPES.contains(w)) {
        return Err(format!(
            "unknown scope \"{unknown}\"; supported: {}",
            SCOPES.join(" ")
        ));
    }
    Ok(SCOPES
        .iter()
        .filter(|s| words.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" "))
}

/// Is every scope in `narrower` also in `wider`?
fn scope_within(narrower: &str, wider: &str) -> bool {
    let granted: Vec<&str> = wider.split(' ').collect();
    narrower.split(' ').all(|s| granted.contains(&s))
}

/// The scope a derived token gets: `requested` if it stays within `granted`
/// (all of `granted` if none was asked for). `of_what` names the grant in
/// the error, e.g. "the original grant".
fn narrow_scope(
    requested: Option<String>,
    granted: &str,
    of_what: &str,
) -> Result<String, OAuthError> {
    let scope = requested.unwrap_or_else(|| granted.to_owned());
    if scope_within(&scope, granted) {
        Ok(scope)
    } else {
        Err(OAuthError::InvalidScope(format!(
            "scope may not exceed {of_what} ({granted})"
        )))
    }
}

/// Form or query parameters, with the RFC 6749 §3.1 rules: an empty value
/// is the same as an absent one, and no parameter may appear twice.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(bytes: &[u8]) -> Params {
        Params(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of `name`; `Err` (a description) if it is repeated.
    fn one(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("{name} must not be repeated"));
        }
        Ok(first)
    }
}

/// An error from the JSON endpoints (register, token), per RFC 6749 §5.2
/// and RFC 7591 §3.2.2: the code is the contract, the description helps a
/// human. Never put a secret into a description.
#[derive(Debug, thiserror::Error)]
enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    /// 401, with `WWW-Authenticate: Basic`.
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    InvalidTarget(String),
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// The client is authenticated but may not use this grant.
    #[error("{0}")]
    UnauthorizedClient(String),
    /// 413: the body is over [`bounds::MAX_BODY`].
    #[error("{0}")]
    TooLarge(String),
    /// 500 `server_error`; the cause is logged, never sent.
    #[error("internal error")]
    Internal(#[from] ApiError),
}

impl OAuthError {
    fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::InvalidRedirectUri(_) => "invalid_redirect_uri",
            OAuthError::InvalidClientMetadata(_) => "invalid_client_metadata",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::TooLarge(_) => "invalid_request",
            OAuthError::Internal(_) => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            OAuthError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            OAuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<rusqlite::Error> for OAuthError {
    fn from(e: rusqlite::Error) -> Self {
        OAuthError::Internal(ApiError::from(e))
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = match &self {
            OAuthError::Internal(cause) => {
                tracing::error!(error = %cause, "sandbox OAuth request failed");
                json!({"error": self.code(), "error_description": "Internal server error"})
            }
            other => json!({"error": other.code(), "error_description": other.to_string()}),
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if matches!(self, OAuthError::InvalidClient(_)) {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"smartalex-sandbox\""),
            );
        }
        response
    }
}

/// A JSON success answer that must not be cached (token and registration responses).
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::ACCESS_TOKEN_PREFIX;

    #[test]
    fn scopes_are_checked_and_canonical() {
        assert_eq!(parse_scope(None).as_deref(), Ok("read write"));
        assert_eq!(
            parse_scope(Some("write  read")).as_deref(),
            Ok("read write")
        );
        assert_eq!(parse_scope(Some("read")).as_deref(), Ok("read"));
        assert!(parse_scope(Some("admin")).is_err());
        assert!(parse_scope(Some(" ")).is_err());
        assert!(scope_within("read", "read write"));
        assert!(!scope_within("read write", "read"));
    }

    #[test]
    fn params_treat_empty_as_absent_and_refuse_repeats() {
        let p = Params::parse(b"a=1&b=&c=x&c=y&d=%20z");
        assert_eq!(p.one("a"), Ok(Some("1")));
        assert_eq!(p.one("b"), Ok(None));
        assert_eq!(p.one("missing"), Ok(None));
        assert!(p.one("c").is_err());
        assert_eq!(p.one("d"), Ok(Some(" z")));
    }

    #[test]
    fn tokens_have_their_prefix_and_entropy() {
        let t = new_token(ACCESS_TOKEN_PREFIX);
        assert!(t.starts_with("sa_oat_"));
        assert_eq!(t.len(), 7 + 48);
        assert_ne!(t, new_token(ACCESS_TOKEN_PREFIX));
    }
}
