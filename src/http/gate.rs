//! The gate every MCP request passes before rmcp sees it.
//!
//! In order, each step answering with its own documented status:
//! 1. **DNS rebinding** — `Host` must be one this server answers to and a
//!    browser's `Origin` must be allowed: else 403.
//! 2. **Credentials and rate limit** — a caller resolved in the last minute
//!    counts against its workspace. A request without a credential, with a
//!    malformed one or one refused in the last 15 s counts against the
//!    client's IP. A well-formed credential not verified yet first counts
//!    against the IP's separate verification budget (made-up tokens cannot
//!    flood the authorization server, and anonymous traffic cannot starve
//!    real keys), then, once it proves valid, against its workspace. Over
//!    any budget: 429 with `Retry-After`. The client's IP is the socket
//!    peer, or behind `--trusted-proxy` the forwarded client
//!    ([`super::client_ip`]).
//! 3. **Accept** — a POST must accept both `application/json` and
//!    `text/event-stream` (a GET, the stream): else 406 with the exact body
//!    of the error reference.
//! 4. **Authentication** — no valid caller: 401 with
//!    `WWW-Authenticate: Bearer resource_metadata="…"`.
//! 5. **Session owner** — a request naming a 2025-11-25 session that its
//!    caller did not open gets the unknown-session 404 ([`super::sessions`];
//!    with `--redis-url`, as the shared store says, or 503 while it cannot
//!    say for a session this process does not hold).
//! 6. rmcp, with the [`Caller`] in the request's extensions, bounded in time.
//!
//! Steps 3 onwards carry `X-RateLimit-*` headers, and so does a 403 (it is
//! counted against the IP): every response of the MCP endpoint does.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;
use super::credentials::{Known, Rejection};
use super::session_store::Opener;
use super::transport_errors::{as_json_rpc, transport_error};
use crate::caller::{Caller, Subject};
use smartalex_serve::ratelimit::Bucket;

const NOT_ACCEPTABLE_POST: &str =
    "Not Acceptable: Client must accept both application/json and text/event-stream";
const NOT_ACCEPTABLE_GET: &str = "Not Acceptable: Client must accept text/event-stream";

/// The middleware.
pub(super) async fn gate(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let ip = shared.proxies.client(peer.ip(), request.headers());

    if let Err(why) = shared.origins.check(request.headers()) {
        let decision = shared.limiter.check(&Bucket::Ip(ip)).await;
        let mut response = transport_error(StatusCode::FORBIDDEN, &format!("Forbidden: {why}"));
        decision.apply(response.headers_mut());
        log(&method, StatusCode::FORBIDDEN, None, ip, started);
        return response;
    }

    // A caller seen in the last minute counts against its workspace. A
    // request with no credential, a malformed one or one refused in the last
    // seconds pays from the IP's public budget. A well-formed credential not
    // verified yet pays from the IP's verification budget before the
    // authorization server is asked: made-up tokens cost it at most that
    // rate, and anonymous traffic from a shared address cannot spend it.
    let (caller, decision) = match shared.resolver.known(request.headers()) {
        Known::Caller(caller) => {
            let bucket = Bucket::Workspace(caller.workspace.clone());
            (Ok(caller), shared.limiter.check(&bucket).await)
        }
        Known::Refused(rejection) => (Err(rejection), shared.limiter.check(&Bucket::Ip(ip)).await),
        Known::Unverified => {
            let verify = shared.limiter.check(&Bucket::Verify(ip)).await;
            if !verify.allowed {
                log(&method, StatusCode::TOO_MANY_REQUESTS, None, ip, started);
                return verify.rejection();
            }
            match shared.resolver.resolve(request.headers()).await {
                Ok(caller) => {
                    let bucket = Bucket::Workspace(caller.workspace.clone());
                    (Ok(caller), shared.limiter.check(&bucket).await)
                }
                Err(rejection) => (Err(rejection), verify),
            }
        }
    };
    let workspace = caller.as_ref().ok().map(|c| c.workspace.clone());
    if !decision.allowed {
        let status = StatusCode::TOO_MANY_REQUESTS;
        log(&method, status, workspace.as_deref(), ip, started);
        return decision.rejection();
    }

    let mut response = match accepts(&method, request.headers()) {
        Err(message) => transport_error(StatusCode::NOT_ACCEPTABLE, message),
        Ok(()) => match caller {
            Err(rejection) => shared.unauthorized(&rejection),
            Ok(caller) => {
                let subject = Subject::of(&caller);
                match shared.sessions.admit(request.headers(), &subject).await {
                    Err(refused) => refused.into_response(),
                    Ok(claimed) => {
                        request.extensions_mut().insert::<Caller>(caller);
                        // The shared session store learns the opener from it.
                        let opener = Opener::new(subject);
                        let handled = opener.scope(shared.track(next.run(request))).await;
                        let mut response = as_json_rpc(handled).await;
                        let sessions = &shared.sessions;
                        sessions.settle(&method, claimed.as_deref(), &opener, &response);
                        // rmcp answers a session DELETE 202; the session is gone at
                        // once, and clients (the Python SDK) expect 200 or 204.
                        if method == Method::DELETE && response.status() == StatusCode::ACCEPTED {
                            *response.status_mut() = StatusCode::NO_CONTENT;
                        }
                        response
                    }
                }
            }
        },
    };
    log(
        &method,
        response.status(),
        workspace.as_deref(),
        ip,
        started,
    );
    decision.apply(response.headers_mut());
    response
}

fn log(method: &Method, status: StatusCode, workspace: Option<&str>, ip: IpAddr, started: Instant) {
    tracing::info!(
        target: "smartalex_mcp::http::access",
        %method,
        status = status.as_u16(),
        workspace = workspace.unwrap_or("-"),
        %ip,
        micros = started.elapsed().as_micros() as u64,
        "mcp request"
    );
}

/// The Accept rules of the Streamable HTTP transport (the same test rmcp
/// applies, so nothing it would refuse gets past with another body).
fn accepts(method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
    let mut json = false;
    let mut sse = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let essence = item.split(';').next().unwrap_or_default().trim();
            json |= essence.eq_ignore_ascii_case("application/json");
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    if *method == Method::POST && !(json && sse) {
        return Err(NOT_ACCEPTABLE_POST);
    }
    if *method == Method::GET && !sse {
        return Err(NOT_ACCEPTABLE_GET);
    }
    Ok(())
}

impl Shared {
    /// 401 with the gateway's documented bodies and the RFC 9728 pointer.
    pub(super) fn unauthorized(&self, rejection: &Rejection) -> Response {
        let metadata = &self.resource_metadata_url;
        let (status, challenge, body) = match rejection {
            Rejection::Missing => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer resource_metadata=\"{metadata}\""),
                serde_json::json!({ "error": "Authorization required" }),
            ),
            Rejection::Invalid => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer error=\"invalid_token\", error_description=\"The API key or OAuth token is invalid, expired, or deactivated\", resource_metadata=\"{metadata}\""
                ),
                serde_json::json!({ "error": "Invalid or expired token." }),
            ),
            Rejection::Unavailable(why) => {
                tracing::error!(reason = %why, "cannot check credentials");
                let mut response = (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({
                        "error": "Authorization server unavailable",
                        "message": "Credentials could not be checked right now. Retry in a few seconds.",
                    })),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                return response;
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }

    /// Run `call` as an in-flight request (shutdown waits for it), bounded by
    /// the request timeout, which runs until the request's first message
    /// ([`super::era`] waits for it to choose JSON or a stream). A stream is
    /// not bounded after that: its body flows on.
    async fn track(&self, call: impl Future<Output = Response>) -> Response {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _done = InFlight(self);
        match tokio::time::timeout(self.request_timeout, call).await {
            Ok(response) => response,
            Err(_) => transport_error(
                StatusCode::GATEWAY_TIMEOUT,
                &format!(
                    "Request timed out after {} s. Retry; if it keeps happening, the SmartAlex gateway may be slow or down.",
                    self.request_timeout.as_secs()
                ),
            ),
        }
    }
}

/// Decrements the in-flight count however the request ends (even dropped).
struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(accept: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        m
    }

    #[test]
    fn accept_rules() {
        let both = h("application/json, text/event-stream");
        assert!(accepts(&Method::POST, &both).is_ok());
        assert!(
            accepts(
                &Method::POST,
                &h("Application/JSON;q=0.9,text/event-stream")
            )
            .is_ok()
        );
        assert_eq!(
            accepts(&Method::POST, &h("application/json")),
            Err(NOT_ACCEPTABLE_POST)
        );
        assert_eq!(accepts(&Method::POST, &h("*/*")), Err(NOT_ACCEPTABLE_POST));
        assert_eq!(
            accepts(&Method::POST, &HeaderMap::new()),
            Err(NOT_ACCEPTABLE_POST)
        );
        assert!(accepts(&Method::GET, &h("text/event-stream")).is_ok());
        assert_eq!(
            accepts(&Method::GET, &h("application/json")),
            Err(NOT_ACCEPTABLE_GET)
        );
        assert!(accepts(&Method::DELETE, &HeaderMap::new()).is_ok());
    }
}
