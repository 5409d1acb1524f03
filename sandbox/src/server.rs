//! The HTTP side: the route table and the pipeline every request goes through.
//!
//! Before anything, every route — the API and the OAuth authorization
//! server alike — checks `Host` and `Origin` ([`smartalex_serve::origin`]): a page
//! that rebinds a DNS name to the sandbox's loopback port gets 403, not an
//! answer.
//!
//! API pipeline, in order: authenticate (401) → count against the rate limit
//! (429; the workspace's bucket, or the caller's IP without a valid key) →
//! route (unknown method or path → 404 `No route found for …`) → admit
//! (authorize, check the id and body) → the operation's typed method.
//! Every response, errors included, leaves with `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
//!
//! Handlers run in their own task so that a bug that panics becomes a JSON
//! 500 rather than a dropped connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, Query, RawPathParams, Request, State,
};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use smartalex_schema::Schema;
use tokio::sync::Notify;

use super::auth::{Authenticator, Domain, Principal};
use super::db::Store;
use super::errors::ApiError;
use super::oauth::operator::Operator;
use super::operations::{OPERATIONS, Operation};
use super::routes::{ResourceId, Workspace};
use super::validate::{self, QuerySchema};
use super::{SandboxOptions, SharedApp};
use smartalex_serve::listen::ConnectionLimits;
use smartalex_serve::origin::Origins;
use smartalex_serve::ratelimit::{Bucket, Limits, RateLimiter};

/// Everything a handler or background task needs.
pub(crate) struct AppInner {
    pub(crate) store: Store,
    pub(crate) auth: Authenticator,
    limiter: RateLimiter,
    pub(crate) allow_private_urls: bool,
    /// `http://<bound addr>`: the OAuth issuer, and the resource identifier
    /// (token audience) of this gateway.
    pub(crate) issuer: String,
    /// Lifetime of issued OAuth access tokens.
    pub(crate) access_token_ttl: std::time::Duration,
    /// The `Host`/`Origin` values every route answers.
    origins: Origins,
    /// Who may approve authorization requests; `None` when OAuth is off.
    pub(crate) operator: Option<Operator>,
    /// Per-IP budget of the OAuth endpoints (per client for exchanges).
    pub(crate) oauth_limiter: RateLimiter,
    /// When expired OAuth rows were last deleted, and how often to.
    pub(crate) oauth_purge: super::oauth::purge::Schedule,
    pub(crate) started: Instant,
    /// Wakes the webhook delivery worker when new deliveries are queued.
    pub(crate) deliveries: Notify,
    /// Built on first use: building a TLS client costs more than the rest of start-up.
    http: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for AppInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppInner")
            .field("store", &self.store)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// The state shared by the router and the background tasks.
pub(crate) fn new_app(
    store: Store,
    options: &SandboxOptions,
    issuer: String,
    consent_key: Option<&str>,
) -> SharedApp {
    let issuer_url = url::Url::parse(&issuer).ok();
    let listening_on_loopback = issuer_url
        .as_ref()
        .and_then(|u| u.host_str())
        .is_some_and(|h| h == "127.0.0.1" || h == "[::1]" || h == "localhost");
    // The bound address is the issuer; a sandbox on 0.0.0.0 answers its
    // own address and loopback names, and others only with --allow-host.
    let origins = match &issuer_url {
        Some(url) => Origins::new(
            url,
            &options.allowed_hosts,
            &options.allowed_origins,
            listening_on_loopback,
        ),
        None => Origins::new(
            &url::Url::parse("http://127.0.0.1/").expect("a literal URL"),
            &options.allowed_hosts,
            &options.allowed_origins,
            true,
        ),
    };
    let port = issuer_url.as_ref().and_then(url::Url::port).unwrap_or(80);
    Arc::new(AppInner {
        auth: Authenticator::new(store.clone(), issuer.clone()),
        store,
        limiter: RateLimiter::in_memory(limits(options.rate_limit_per_min)),
        allow_private_urls: options.allow_private_urls,
        issuer,
        access_token_ttl: options.access_token_ttl,
        origins,
        operator: consent_key.map(|key| Operator::new(key, port)),
        oauth_limiter: RateLimiter::in_memory(Limits {
            per_ip: options.oauth_rate_limit_per_min,
            ..limits(options.rate_limit_per_min)
        }),
        oauth_purge: super::oauth::purge::Schedule::new(options.oauth_purge_interval),
        started: Instant::now(),
        deliveries: Notify::new(),
        http: OnceLock::new(),
    })
}

impl AppInner {
    /// The shared outbound HTTP client (no redirects, no proxies, bounded time).
    pub(crate) fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            super::netguard::client_builder().build().unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot build the outbound HTTP client; using defaults");
            reqwest::Client::new()
        })
        })
    }
}

/// The route table: every operation of `openapi/gateway.yaml`
/// ([`OPERATIONS`], generated), each authorized from its domain and access
/// and then simulated or answered from its example, behind the pipeline;
/// and beside them the OAuth authorization server, which is not.
fn router(app: SharedApp) -> Router {
    let mut api = Router::new();
    for op in &OPERATIONS {
        api = api.route(op.path, operation(op));
    }
    let api = api
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(app.clone(), pipeline));
    // Merged after `layer`, so the authorization server's routes skip the
    // API's authentication and rate limit (they have their own).
    let routes = if app.operator.is_some() {
        api.merge(super::oauth::router(app.clone()))
    } else {
        api
    };
    routes
        .layer(middleware::from_fn_with_state(app.clone(), check_origin))
        .with_state(app)
}

/// One operation's route: what the spec says of every request (who may
/// call it, a well-formed id and body), then its simulation or its example.
fn operation(op: &'static Operation) -> MethodRouter<SharedApp> {
    let filter = Method::from_bytes(op.method.as_bytes())
        .ok()
        .and_then(|m| MethodFilter::try_from(m).ok())
        .unwrap_or_else(|| panic!("`{}`: the spec's method {} is not HTTP", op.id, op.method));
    // The operation's method of the generated interface: its simulation,
    // or its example until it has one.
    let handler = (op.route)(op, filter);
    // Resolved once, here: the generator takes the domains from the same tags.
    let domain = Domain::parse(op.domain);
    // Compiled once, here; the build compiled it too, so this cannot fail.
    let schema =
        op.body.map(|text| {
            Arc::new(Schema::compile(text).unwrap_or_else(|e| {
                panic!("`{}`: the build compiled this request schema: {e}", op.id)
            }))
        });
    let query =
        op.query.map(|text| {
            Arc::new(QuerySchema::compile(text).unwrap_or_else(|e| {
                panic!("`{}`: the build compiled this query schema: {e}", op.id)
            }))
        });
    handler.route_layer(middleware::from_fn(move |req: Request, next: Next| {
        admit(op, domain, schema.clone(), query.clone(), req, next)
    }))
}

/// In the gateway's order: the caller may do the operation's access in its
/// domain (403), the path's id is a UUID (400), the query parameters fit
/// theirs (400), the body fits the request schema (400/422). The operation's method then gets the caller's
/// [`Workspace`], the id and the checked body, as the SDK's types
/// ([`crate::routes::Call`]).
async fn admit(
    op: &'static Operation,
    domain: Option<Domain>,
    schema: Option<Arc<Schema>>,
    query: Option<Arc<QuerySchema>>,
    req: Request,
    next: Next,
) -> Response {
    match admitted(op, domain, schema, query, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn admitted(
    op: &'static Operation,
    domain: Option<Domain>,
    schema: Option<Arc<Schema>>,
    query: Option<Arc<QuerySchema>>,
    req: Request,
) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    let principal = parts
        .extensions
        .get::<Principal>()
        .ok_or_else(|| ApiError::internal("no principal before authorization"))?;
    let domain =
        domain.ok_or_else(|| ApiError::internal(format!("`{}`: unknown domain", op.id)))?;
    let workspace = Workspace(principal.authorize(domain, op.access)?.to_owned());
    parts.extensions.insert(workspace);
    if op.path.contains("{id}") {
        // A segment that does not even decode to UTF-8 is no UUID either.
        let params = RawPathParams::from_request_parts(&mut parts, &())
            .await
            .map_err(|_| ApiError::InvalidUuid)?;
        let raw = params
            .iter()
            .find_map(|(name, value)| (name == "id").then_some(value))
            .ok_or(ApiError::InvalidUuid)?;
        let id = ResourceId(validate::path_id(raw)?);
        parts.extensions.insert(id);
    }
    if let Some(query) = query {
        let raw = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|_| ApiError::query("malformed query string"))?;
        parts.extensions.insert(validate::query(&raw, &query)?);
    }
    let Some(schema) = schema else {
        return Ok(Request::from_parts(parts, body));
    };
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map_err(|e| ApiError::body(format!("unreadable ({})", e.body_text())))?;
    let checked = validate::body(&bytes, &schema)?;
    parts.extensions.insert(checked);
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// DNS-rebinding protection for every route: 403 before anything else.
async fn check_origin(State(app): State<SharedApp>, req: Request, next: Next) -> Response {
    match app.origins.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::info!(
                reason = why,
                path = req.uri().path(),
                "refused a request by Host/Origin"
            );
            (
                axum::http::StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({"error": "Forbidden", "message": why})),
            )
                .into_response()
        }
    }
}

/// Serve in the background, within `connections` ([`smartalex_serve::listen`]).
pub(crate) fn spawn(
    app: SharedApp,
    listener: tokio::net::TcpListener,
    connections: ConnectionLimits,
) {
    super::webhooks::spawn_worker(app.clone());
    super::dialer::resume(app.clone());
    let router = router(app);
    tokio::spawn(async move {
        let forever = std::future::pending();
        if let Err(e) = smartalex_serve::listen::serve(listener, router, connections, forever).await
        {
            tracing::error!(error = %e, "sandbox gateway stopped");
        }
    });
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// A known path with a method it does not serve: the same message, but
/// `405` (axum adds the `Allow` header), as HTTP clients and conformance
/// tools expect.
async fn wrong_method(method: Method, uri: Uri) -> Response {
    let error = ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_owned(),
    };
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(error.body_json()),
    )
        .into_response()
}

async fn pipeline(State(app): State<SharedApp>, mut req: Request, next: Next) -> Response {
    let auth = app.auth.authenticate(req.headers()).await;
    let bucket = match &auth {
        Ok(p) => Bucket::Workspace(p.workspace_id.clone()),
        Err(_) => {
            let ip = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip())
                .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
            Bucket::Ip(ip)
        }
    };
    let decision = app.limiter.check(&bucket).await;
    let mut response = if !decision.allowed {
        ApiError::TooManyRequests {
            retry_after: decision.reset_secs,
        }
        .into_response()
    } else {
        match auth {
            Err(e) => e.into_response(),
            Ok(principal) => {
                req.extensions_mut().insert(principal);
                let (method, path) = (req.method().clone(), req.uri().path().to_owned());
                match tokio::spawn(next.run(req)).await {
                    Ok(response) => response,
                    Err(e) => {
                        tracing::error!(%method, %path, error = %e, "sandbox handler panicked");
                        ApiError::internal("handler panicked").into_response()
                    }
                }
            }
        }
    };
    decision.apply(response.headers_mut());
    response
}

/// The configured per-workspace limit, and the public per-IP one at the
/// documented 30:100 ratio to it (30 a minute by default).
fn limits(per_min: u32) -> Limits {
    let per_workspace = per_min.max(1);
    let per_ip = u32::try_from((u64::from(per_workspace) * 30).div_ceil(100))
        .unwrap_or(u32::MAX)
        .max(1);
    Limits {
        per_workspace,
        per_ip,
        per_ip_verify: per_ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_limit_keeps_the_documented_ratio() {
        assert_eq!(limits(100).per_ip, 30);
        assert_eq!(limits(1).per_ip, 1);
        assert_eq!(limits(10_000).per_ip, 3_000);
        assert_eq!(limits(u32::MAX).per_workspace, u32::MAX);
    }
}
