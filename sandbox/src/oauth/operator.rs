//! Who may approve an authorization request: the operator, and only them.
//!
//! Whoever can reach the sandbox is not, by that alone, its operator: a web
//! page can make the operator's browser send requests to loopback, and on a
//! shared machine other users can reach the port too. So the process that
//! starts the sandbox holds a **consent key** (random, or given with
//! `--consent-key` / `SMARTALEX_SANDBOX_CONSENT_KEY`) and prints a consent
//! link on stderr — never stdout, never a log. Opening that link once sets
//! an `HttpOnly` cookie that marks the browser as the operator's; the
//! consent page shows workspaces only to that browser, and otherwise says
//! how to get the link (or lets the operator paste the key).
//!
//! Approving or denying then needs three things at once: the operator's
//! cookie; a CSRF token bound to that one pending request (an HMAC of its
//! id under the consent key, so it cannot be computed without the key nor
//! reused for another request); and an `Origin` (or `Referer`) that is the
//! sandbox itself ([`smartalex_serve::origin::same_origin`]).
//!
//! The cookie is `SameSite=Lax`, not `Strict`: a client that opens the
//! consent page from another site (an MCP inspector on another loopback
//! port, a desktop app's web view) is a top-level navigation, and the
//! operator must still be recognised there. What `Strict` would add — no
//! cookie on cross-site requests — matters only for the POST, and the POST
//! is guarded by the CSRF token and the same-origin check anyway. The
//! cookie's name carries the port, so two sandboxes on one host do not
//! overwrite each other's.
//!
//! The cookie holds an HMAC of a fixed label under the key, not the key;
//! every comparison is of fixed-length digests (HMAC verification is
//! constant-time).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::bounds::LimitedBody;
use super::{Params, consent};
use crate::SharedApp;
use crate::ids::{hex, sha256_hex};

type HmacSha256 = Hmac<Sha256>;

/// Shortest consent key accepted from the command line or the environment.
const MIN_KEY_LEN: usize = 16;
const MAX_KEY_LEN: usize = 256;
/// How long the browser keeps the operator's cookie.
const COOKIE_MAX_AGE_SECS: u64 = 12 * 3600;

/// The operator's consent key, in the forms the routes need.
pub(crate) struct Operator {
    key_hash: String,
    key: Vec<u8>,
    cookie_name: String,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("cookie_name", &self.cookie_name)
            .finish_non_exhaustive()
    }
}

/// A consent key given by the operator: visible ASCII, 16 to 256 characters.
pub(crate) fn check_key(key: &str) -> Result<String, String> {
    let key = key.trim();
    if key.len() < MIN_KEY_LEN || key.len() > MAX_KEY_LEN {
        return Err(format!(
            "the consent key must be {MIN_KEY_LEN} to {MAX_KEY_LEN} characters long"
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the consent key must be printable ASCII without spaces".into());
    }
    Ok(key.to_owned())
}

/// The link that makes a browser the operator's.
pub(crate) fn consent_url(base: &str, key: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("key", key)
        .finish();
    format!("{}/oauth/consent?{query}", base.trim_end_matches('/'))
}

impl Operator {
    /// `key` is already checked; `port` names the cookie.
    pub(crate) fn new(key: &str, port: u16) -> Self {
        Operator {
            key_hash: sha256_hex(key),
            key: key.as_bytes().to_vec(),
            cookie_name: format!("smartalex_operator_{port}"),
        }
    }

    fn mac(&self, label: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        mac
    }

    fn verify(&self, label: &str, presented_hex: &str) -> bool {
        let Some(bytes) = unhex(presented_hex) else {
            return false;
        };
        self.mac(label).verify_slice(&bytes).is_ok()
    }

    /// Is `presented` the consent key? (Digests compared, not keys.)
    fn key_matches(&self, presented: &str) -> bool {
        sha256_hex(presented.trim()) == self.key_hash
    }

    /// Does this browser carry the operator's cookie?
    pub(crate) fn recognises(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie_name && self.verify("operator", value))
    }

    /// The CSRF token of the consent form for `request_id`.
    pub(crate) fn csrf_token(&self, request_id: &str) -> String {
        hex(&self
            .mac(&format!("csrf\0{request_id}"))
            .finalize()
            .into_bytes())
    }

    pub(crate) fn csrf_ok(&self, request_id: &str, token: &str) -> bool {
        self.verify(&format!("csrf\0{request_id}"), token)
    }

    fn set_cookie(&self) -> Option<HeaderValue> {
        let value = hex(&self.mac("operator").finalize().into_bytes());
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE_SECS}",
            self.cookie_name
        ))
        .ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Where to go after the operator is recognised: only back to an
/// authorization request of this server (never an open redirect).
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with("/oauth/authorize?") && !n.contains(['\\', '\r', '\n']))
}

/// `GET /oauth/consent?key=…[&next=…]`: the operator's link. Without a
/// valid key, the page that says how to get one.
pub(crate) async fn visit(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(operator) = &app.operator else {
        return consent::error_page(StatusCode::NOT_FOUND, "OAuth is not enabled");
    };
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let next = params.one("next").ok().flatten();
    match params.one("key").ok().flatten() {
        Some(key) => recognise(operator, key, next),
        None if operator.recognises(&headers) => consent::recognised_page(),
        None => consent::operator_required(next.and_then(|n| safe_next(Some(n)))),
    }
}

/// `POST /oauth/consent` (`key`, `next`): the operator pasted the key.
pub(crate) async fn enter(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    body: LimitedBody,
) -> Response {
    let Some(operator) = &app.operator else {
        return consent::error_page(StatusCode::NOT_FOUND, "OAuth is not enabled");
    };
    if let Err(why) = smartalex_serve::origin::same_origin(&headers) {
        return consent::error_page(StatusCode::FORBIDDEN, why);
    }
    let form = Params::parse(&body.0);
    let next = form.one("next").ok().flatten();
    match form.one("key").ok().flatten() {
        Some(key) => recognise(operator, key, next),
        None => consent::operator_required(safe_next(next)),
    }
}

fn recognise(operator: &Operator, key: &str, next: Option<&str>) -> Response {
    if !operator.key_matches(key) {
        tracing::warn!("a wrong operator consent key was presented");
        let mut page = consent::operator_required(safe_next(next));
        *page.status_mut() = StatusCode::FORBIDDEN;
        return page;
    }
    // Off the URL at once (a 303 to a URL without the key), cookie set.
    let target = safe_next(next).unwrap_or("/oauth/consent");
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(target) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = operator.set_cookie() {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_and_csrf_need_the_key() {
        let op = Operator::new("0123456789abcdef-key", 8787);
        let other = Operator::new("another-key-0123456789", 8787);
        let cookie = op.set_cookie().expect("cookie");
        let cookie = cookie.to_str().expect("ascii");
        assert!(cookie.starts_with("smartalex_operator_8787="));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let pair = cookie.split(';').next().expect("pair");
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {pair}")).expect("h"),
        );
        assert!(op.recognises(&h));
        assert!(!other.recognises(&h));
        assert!(!op.recognises(&HeaderMap::new()));
        let token = op.csrf_token("req-1");
        assert!(op.csrf_ok("req-1", &token));
        assert!(!op.csrf_ok("req-2", &token));
        assert!(!other.csrf_ok("req-1", &token));
        assert!(!op.csrf_ok("req-1", "zz"));
        assert!(op.key_matches("0123456789abcdef-key"));
        assert!(!op.key_matches("0123456789abcdef-kez"));
    }

    #[test]
    fn keys_and_next_are_checked() {
        assert!(check_key("short").is_err());
        assert!(check_key("has a space in it, see").is_err());
        assert_eq!(
            check_key(" 0123456789abcdef ").as_deref(),
            Ok("0123456789abcdef")
        );
        assert_eq!(
            safe_next(Some("/oauth/authorize?a=1")),
            Some("/oauth/authorize?a=1")
        );
        assert_eq!(safe_next(Some("https://evil.example/")), None);
        assert_eq!(safe_next(Some("//evil.example/oauth/authorize?")), None);
        assert_eq!(
            consent_url("http://127.0.0.1:8787/", "k+y"),
            "http://127.0.0.1:8787/oauth/consent?key=k%2By"
        );
    }
}
