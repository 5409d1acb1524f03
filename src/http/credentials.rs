//! Who is calling: from a request's `Authorization: Bearer …` to the
//! workspace it acts for and the gateway credential to act with.
//!
//! Two kinds of bearer are accepted:
//! - **API keys** (`sa_live_…`, `sa_test_…`) are gateway credentials already;
//!   the key is checked with the authorization server's introspection
//!   endpoint (RFC 7662), which also names its workspace, and then sent on
//!   to the gateway as it is.
//! - **OAuth access tokens** must have been minted *for this server*: the
//!   introspected audience must be this server's resource URL (RFC 8707), or
//!   the request is refused. Such a token is never forwarded: it is exchanged
//!   (RFC 8693) for a token whose audience is the gateway, and that one is
//!   used. The exchange authenticates this server as its confidential client
//!   (`--oauth-client-id`/`--oauth-client-secret`, HTTP Basic): the
//!   authorization server exchanges only for a client provisioned for this
//!   server's URL, so a token minted for anyone else cannot be laundered
//!   into a gateway token.
//!
//! Verdicts are cached by the SHA-256 of the bearer for at most a minute
//! (never past the token's expiry), so a busy client costs one introspection
//! a minute, not one per request. A bearer refused after introspection
//! (inactive, or minted for another audience) is remembered as refused for
//! 15 seconds, so repeating it costs the authorization server nothing; an
//! unreachable authorization server is not cached at all.
//!
//! [`Resolver::known`] sorts a request without asking anyone, for the rate
//! limits: a caller already resolved, a request with no credential or a
//! refused one (missing, not shaped like a key or a token, recently
//! refused), or a well-formed credential not yet verified — which pays from
//! its own per-IP budget, so anonymous traffic cannot starve it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::caller::Caller;
use crate::gateway::{Gateway, KeyState};
use smartalex::{AccessToken, ApiKey, LIVE_PREFIX, TEST_PREFIX, Timeouts};

/// How long a verdict is trusted.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Past this many cached callers, expired ones are swept (and, if none are,
/// the cache starts over).
const CACHE_MAX: usize = 10_000;
/// How long a refusal is remembered: long enough that a client
/// retrying a bad credential costs the authorization server nothing, short
/// enough that a key just issued elsewhere is not refused for long.
const NEGATIVE_TTL: Duration = Duration::from_secs(15);
/// Longer bearers are refused without asking anyone.
const MAX_BEARER: usize = 4096;
/// Shorter OAuth bearers are refused without asking anyone (real tokens
/// carry far more entropy).
const MIN_TOKEN: usize = 16;
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Why a request has no caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No `Authorization` header.
    Missing,
    /// A bearer that is malformed, unknown, expired, revoked or minted for
    /// another audience.
    Invalid,
    /// The authorization server could not be asked.
    Unavailable(String),
}

/// What is known about a request's credential without asking anyone.
#[derive(Debug, Clone)]
pub enum Known {
    /// Resolved in the last minute.
    Caller(Caller),
    /// No credential, a malformed one, or one refused recently.
    Refused(Rejection),
    /// A well-formed credential not verified yet.
    Unverified,
}

/// This server's confidential client at the authorization server.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Resolves bearers to callers, with a cache.
pub struct Resolver {
    gateway_url: String,
    client: Option<ClientCredentials>,
    authorization_server: String,
    resource: String,
    timeouts: Timeouts,
    http: reqwest::Client,
    cache: Mutex<HashMap<[u8; 32], (Caller, Instant)>>,
    /// Bearers refused after introspection, until when.
    refused: Mutex<HashMap<[u8; 32], Instant>>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("gateway_url", &self.gateway_url)
            .field("authorization_server", &self.authorization_server)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// RFC 7662's answer, with the fields the sandbox adds.
#[derive(Debug, Deserialize)]
struct Introspection {
    active: bool,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    exp: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, resource: &str) -> bool {
        let same = |a: &String| same_resource(a, resource);
        match self {
            Audience::One(a) => same(a),
            Audience::Many(list) => list.iter().any(same),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Exchanged {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Resolver {
    /// `gateway_url`: where tools are called. `authorization_server`: the
    /// issuer whose `/oauth/introspect` and `/oauth/token` vouch for bearers.
    /// `resource`: this server's own URL, the audience its tokens must have.
    /// `client`: how this server authenticates its token exchanges (without
    /// one, the authorization server will refuse them).
    pub fn new(
        gateway_url: &str,
        authorization_server: &str,
        resource: &str,
        client: Option<ClientCredentials>,
        timeouts: Timeouts,
    ) -> Result<Self, reqwest::Error> {
        let mut builder = smartalex::http_client()
            .connect_timeout(timeouts.connect)
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smartalex-mcp/", env!("CARGO_PKG_VERSION")));
        if authorization_server.starts_with("http://") {
            builder = builder.tls_certs_only(std::iter::empty());
        }
        Ok(Resolver {
            gateway_url: gateway_url.trim_end_matches('/').to_owned(),
            client,
            authorization_server: authorization_server.trim_end_matches('/').to_owned(),
            resource: resource.to_owned(),
            timeouts,
            http: builder.build()?,
            cache: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
        })
    }

    /// The caller behind `headers`' bearer.
    pub async fn resolve(&self, headers: &HeaderMap) -> Result<Caller, Rejection> {
        let bearer = bearer(headers)?;
        if !well_formed(bearer) {
            return Err(Rejection::Invalid);
        }
        let digest: [u8; 32] = Sha256::digest(bearer.as_bytes()).into();
        if let Some(caller) = self.cached(&digest) {
            return Ok(caller);
        }
        if self.refused_recently(&digest) {
            return Err(Rejection::Invalid);
        }
        let resolved = if bearer.starts_with(LIVE_PREFIX) || bearer.starts_with(TEST_PREFIX) {
            self.api_key(bearer).await
        } else {
            self.access_token(bearer).await
        };
        let (caller, expires) = match resolved {
            Ok(found) => found,
            Err(Rejection::Invalid) => {
                remember(&self.refused, digest, Instant::now() + NEGATIVE_TTL, |u| *u);
                return Err(Rejection::Invalid);
            }
            Err(other) => return Err(other),
        };
        let ttl = expires.map_or(CACHE_TTL, |left| left.min(CACHE_TTL));
        remember(
            &self.cache,
            digest,
            (caller.clone(), Instant::now() + ttl),
            |v| v.1,
        );
        Ok(caller)
    }

    /// What is known about `headers`' bearer, without asking anyone.
    pub fn known(&self, headers: &HeaderMap) -> Known {
        let bearer = match bearer(headers) {
            Ok(bearer) if well_formed(bearer) => bearer,
            Ok(_) => return Known::Refused(Rejection::Invalid),
            Err(rejection) => return Known::Refused(rejection),
        };
        let digest: [u8; 32] = Sha256::digest(bearer.as_bytes()).into();
        if let Some(caller) = self.cached(&digest) {
            Known::Caller(caller)
        } else if self.refused_recently(&digest) {
            Known::Refused(Rejection::Invalid)
        } else {
            Known::Unverified
        }
    }

    fn refused_recently(&self, digest: &[u8; 32]) -> bool {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        refused
            .get(digest)
            .is_some_and(|until| *until > Instant::now())
    }

    fn cached(&self, digest: &[u8; 32]) -> Option<Caller> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (caller, until) = cache.get(digest)?;
        (*until > Instant::now()).then(|| caller.clone())
    }

    async fn api_key(&self, bearer: &str) -> Result<(Caller, Option<Duration>), Rejection> {
        let key = ApiKey::parse(bearer).map_err(|_| Rejection::Invalid)?;
        let found = self.introspect(bearer).await?;
        let workspace = match found {
            Introspection {
                active: true,
                workspace_id: Some(workspace),
                ..
            } => workspace,
            _ => return Err(Rejection::Invalid),
        };
        let gateway = Gateway::new(&self.gateway_url, KeyState::Valid(key), self.timeouts);
        Ok((
            Caller {
                workspace,
                gateway: Arc::new(gateway),
            },
            None,
        ))
    }

    async fn access_token(&self, bearer: &str) -> Result<(Caller, Option<Duration>), Rejection> {
        if bearer.len() > MAX_BEARER || !bearer.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Rejection::Invalid);
        }
        let found = self.introspect(bearer).await?;
        tracing::debug!(active = found.active, token_type = ?found.token_type, audience = ?found.aud, "introspected");
        let for_us = found.active
            && found.token_type.as_deref() == Some("access_token")
            && found
                .aud
                .as_ref()
                .is_some_and(|a| a.contains(&self.resource));
        let (Some(workspace), true) = (found.workspace_id, for_us) else {
            if found.active {
                tracing::warn!(
                    token_type = found.token_type.as_deref().unwrap_or("-"),
                    audience = ?found.aud,
                    expected = %self.resource,
                    "refused an active token not minted for this server"
                );
            }
            return Err(Rejection::Invalid);
        };
        let left = found.exp.map(seconds_until);
        if left == Some(Duration::ZERO) {
            return Err(Rejection::Invalid);
        }
        let exchanged = self.exchange(bearer).await?;
        let token = AccessToken::new(exchanged.access_token).ok_or_else(|| {
            Rejection::Unavailable("the token exchange returned an unusable token".into())
        })?;
        let left = match (left, exchanged.expires_in.map(Duration::from_secs)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let gateway = Gateway::new(&self.gateway_url, KeyState::Token(token), self.timeouts);
        Ok((
            Caller {
                workspace,
                gateway: Arc::new(gateway),
            },
            left,
        ))
    }

    async fn introspect(&self, token: &str) -> Result<Introspection, Rejection> {
        let url = format!("{}/oauth/introspect", self.authorization_server);
        let response = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, FORM)
            .body(form(&[("token", token)]))
            .send()
            .await
            .map_err(|e| unavailable("introspection", &e))?;
        if !response.status().is_success() {
            return Err(Rejection::Unavailable(format!(
                "introspection answered HTTP {}",
                response.status().as_u16()
            )));
        }
        read_json(response, "introspection").await
    }

    async fn exchange(&self, subject: &str) -> Result<Exchanged, Rejection> {
        let url = format!("{}/oauth/token", self.authorization_server);
        let mut request = self.http.post(&url).header(CONTENT_TYPE, FORM).body(form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", subject),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("resource", self.gateway_url.as_str()),
        ]));
        if let Some(client) = &self.client {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            request = request.basic_auth(
                form_encode(&client.client_id),
                Some(form_encode(&client.client_secret)),
            );
        }
        let response = request
            .send()
            .await
            .map_err(|e| unavailable("token exchange", &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::UNAUTHORIZED
        {
            // Our own budget or our own credentials, not the caller's token:
            // a 503 to retry (and a log line to fix), not a 401.
            return Err(Rejection::Unavailable(format!(
                "token exchange answered HTTP {}{}",
                status.as_u16(),
                if status == reqwest::StatusCode::UNAUTHORIZED {
                    " (check --oauth-client-id and --oauth-client-secret)"
                } else {
                    ""
                }
            )));
        }
        if status.is_client_error() {
            // Revoked or expired between introspection and exchange. The
            // error body is RFC 6749's `error`/`error_description`: no secrets.
            let why = read_bounded(response)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            tracing::warn!(status = status.as_u16(), answer = %why, "token exchange refused");
            return Err(Rejection::Invalid);
        }
        if !status.is_success() {
            return Err(Rejection::Unavailable(format!(
                "token exchange answered HTTP {}",
                status.as_u16()
            )));
        }
        read_json(response, "token exchange").await
    }
}

/// The most of an authorization server's answer read: its JSON documents
/// are a few hundred bytes, and nothing it sends may cost more.
const MAX_AS_ANSWER: usize = 64 * 1024;

/// An answer's body, or `None` past [`MAX_AS_ANSWER`] or on a broken read.
async fn read_bounded(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_AS_ANSWER {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> Result<T, Rejection> {
    let body = read_bounded(response).await.ok_or_else(|| {
        Rejection::Unavailable(format!(
            "{what} answer is unreadable or over {MAX_AS_ANSWER} bytes"
        ))
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        Rejection::Unavailable(format!("{what} answer is not the expected JSON ({e})"))
    })
}

/// Insert into a verdict cache that never holds more than [`CACHE_MAX`]:
/// past it, expired entries (`until` is when one expires) are swept, and if
/// none were, it starts over.
fn remember<V>(
    cache: &Mutex<HashMap<[u8; 32], V>>,
    digest: [u8; 32],
    value: V,
    until: impl Fn(&V) -> Instant,
) {
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_MAX {
        let now = Instant::now();
        cache.retain(|_, v| until(v) > now);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
    }
    cache.insert(digest, value);
}

/// Shaped like an API key (`sa_live_…`/`sa_test_…`) or an OAuth access
/// token (16 to 4096 characters of RFC 6750's `b64token`): worth asking the
/// authorization server about.
fn well_formed(bearer: &str) -> bool {
    if bearer.len() > MAX_BEARER {
        return false;
    }
    if bearer.starts_with(LIVE_PREFIX) || bearer.starts_with(TEST_PREFIX) {
        return ApiKey::parse(bearer).is_ok();
    }
    let body = bearer.trim_end_matches('=');
    bearer.len() >= MIN_TOKEN
        && !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

const FORM: &str = "application/x-www-form-urlencoded";

/// An `application/x-www-form-urlencoded` body (reqwest's `form` feature
/// would add a dependency to the SDK for these two requests).
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// One value, `application/x-www-form-urlencoded`.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn unavailable(what: &str, e: &reqwest::Error) -> Rejection {
    // reqwest errors carry the URL, never the form body: safe to show.
    Rejection::Unavailable(format!("{what} failed: {e}"))
}

/// The bearer of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Result<&str, Rejection> {
    let value = headers.get(AUTHORIZATION).ok_or(Rejection::Missing)?;
    let text = value.to_str().map_err(|_| Rejection::Invalid)?.trim();
    let (scheme, token) = text.split_once(' ').ok_or(Rejection::Invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Rejection::Invalid);
    }
    Ok(token)
}

/// Resource URLs compare equal up to a trailing slash.
fn same_resource(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn seconds_until(exp: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Duration::from_secs(exp.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer(&HeaderMap::new()), Err(Rejection::Missing));
        assert_eq!(bearer(&headers("Basic abc")), Err(Rejection::Invalid));
        assert_eq!(bearer(&headers("Bearer ")), Err(Rejection::Invalid));
        assert_eq!(bearer(&headers("bearer  sa_test_x ")), Ok("sa_test_x"));
    }

    #[test]
    fn only_well_formed_bearers_are_worth_asking_about() {
        assert!(well_formed("sa_test_9f8e7d6c5b4a3928"));
        assert!(well_formed("sa_live_abcdefgh"));
        assert!(!well_formed("sa_test_short"));
        assert!(!well_formed("sa_test_has space"));
        assert!(well_formed("mcp_at_0123456789abcdef0123"));
        assert!(well_formed(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        ));
        assert!(well_formed("abcdefghijklmnop=="));
        assert!(!well_formed("not-a-token"));
        assert!(!well_formed("================"));
        assert!(!well_formed("abcdefghijklmnop\"quoted\""));
        assert!(!well_formed(&"a".repeat(MAX_BEARER + 1)));
    }

    #[test]
    fn audiences_match_exactly_up_to_a_trailing_slash() {
        let one = Audience::One("http://127.0.0.1:8080/mcp".into());
        assert!(one.contains("http://127.0.0.1:8080/mcp/"));
        assert!(!one.contains("http://127.0.0.1:8080/mcp2"));
        assert!(!one.contains("http://127.0.0.1:8081/mcp"));
        let many = Audience::Many(vec!["http://a".into(), "http://b/mcp".into()]);
        assert!(many.contains("http://b/mcp"));
        assert!(!many.contains("http://c"));
    }
}
