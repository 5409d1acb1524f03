//! Cloud mode: MCP over Streamable HTTP, for many callers at once.
//!
//! rmcp implements the transport — 2025-11-25 sessions (`Mcp-Session-Id`,
//! SSE streams) and 2026-07-28 stateless requests alike. Around it this
//! module adds what a hosted endpoint needs and rmcp leaves to the host:
//! per-request credentials (`credentials`), sessions bound to the
//! credential that opened them (`sessions`), the documented rate limits
//! ([`smartalex_serve::ratelimit`], shared with the sandbox) keyed on the
//! client's address even behind a reverse proxy (`client_ip`), bounded
//! connections ([`smartalex_serve::listen`]), DNS-rebinding protection
//! ([`smartalex_serve::origin`], shared with the sandbox), the exact error
//! bodies of the error reference (`gate`, `transport_errors`), what each
//! protocol era gets on the wire (`era`: JSON answers, priming events only
//! for clients that expect them), RFC 9728 Protected Resource Metadata, a
//! health endpoint, and a graceful shutdown that lets in-flight calls finish.
//!
//! Nothing here keeps per-caller state that another process would need:
//! a 2026-07-28 request can land on any of several processes behind a load
//! balancer, and with `--redis-url` they share one rate-limit budget and
//! every 2025-11-25 session with its owner (`session_store`), so any
//! process answers any session. Without it, a session lives in the process
//! that created it, and its clients need sticky routing.

mod client_ip;
mod credentials;
mod era;
mod gate;
mod hooks;
mod session_store;
mod sessions;
mod spliced;
mod transport_errors;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::SessionStore;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use client_ip::{Cidr, CidrError, ForwardedHeader, TrustedProxies};
pub use credentials::{ClientCredentials, Rejection, Resolver};
pub use session_store::DEFAULT_TTL as DEFAULT_SESSION_TTL;
pub use smartalex_serve::listen::ConnectionLimits;
use smartalex_serve::origin;
use smartalex_serve::ratelimit;
pub use smartalex_serve::ratelimit::{Limits, RateLimiter};

pub use crate::caller::{Caller, Subject};

use crate::confirm::{ConfirmKey, Sealer};
use crate::registry::Registry;
use crate::server::SmartAlexServer;
use smartalex::Timeouts;

/// How long shutdown waits for the webhooks of live resources to be deleted.
const UNREGISTER_TIMEOUT: Duration = Duration::from_secs(10);

/// How to serve.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub listen: SocketAddr,
    /// The MCP endpoint's path (`/mcp`).
    pub path: String,
    /// The URL clients use to reach the endpoint, and the audience OAuth
    /// tokens must carry. Default: `http://<listen><path>`.
    pub public_url: Option<String>,
    /// The OAuth authorization server's issuer URL. Default: the gateway's.
    pub authorization_server: Option<String>,
    /// More `Host` values to answer (names, or `host:port`).
    pub allowed_hosts: Vec<String>,
    /// More browser origins to accept (`https://app.example.com`, `…:*`).
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    /// Share rate-limit counts and 2025-11-25 sessions through this Redis.
    pub redis_url: Option<String>,
    /// With `redis_url`: how long an unused session stays in Redis.
    pub session_ttl: Duration,
    /// Largest accepted POST body.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 504.
    pub request_timeout: Duration,
    /// On shutdown, how long in-flight requests may take to finish.
    pub shutdown_grace: Duration,
    /// Connection cap, header and idle timeouts.
    pub connections: ConnectionLimits,
    /// Serve connections on this many single-threaded runtimes of their own
    /// ([`smartalex_serve::listen::Cores`]); 0: on the caller's runtime.
    pub cores: usize,
    /// Reverse proxies whose forwarding header names the client.
    pub trusted_proxies: TrustedProxies,
    /// This server's confidential client for token exchange.
    pub oauth_client: Option<ClientCredentials>,
    /// Signs confirmation states; every replica must share it. Default: a
    /// random key for this process.
    pub confirm_key: Option<ConfirmKey>,
    /// How long a confirmation question stays answerable.
    pub confirm_ttl: Duration,
    /// Register a webhook per workspace with subscribers and receive its
    /// events at `/hooks/…`, so live resources hear changes as they happen
    /// (off: they are polled).
    pub webhooks: bool,
}

impl HttpOptions {
    /// The documented defaults on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        HttpOptions {
            listen,
            path: "/mcp".to_owned(),
            public_url: None,
            authorization_server: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            limits: Limits::default(),
            redis_url: None,
            session_ttl: session_store::DEFAULT_TTL,
            max_body_bytes: crate::stdio::MAX_LINE,
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            connections: ConnectionLimits::default(),
            cores: 0,
            trusted_proxies: TrustedProxies::default(),
            oauth_client: None,
            confirm_key: None,
            confirm_ttl: crate::confirm::DEFAULT_TTL,
            webhooks: true,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid {what} {value:?}: {why}")]
    Url {
        what: &'static str,
        value: String,
        why: String,
    },
    #[error("the MCP path must start with '/' (got {0:?})")]
    Path(String),
    #[error(transparent)]
    Redis(#[from] ratelimit::RedisError),
    #[error(transparent)]
    SessionStore(#[from] session_store::ConnectError),
    #[error("cannot build the HTTP client for the authorization server: {0}")]
    Client(#[from] reqwest::Error),
    #[error("invalid confirmation key: {0}")]
    ConfirmKey(#[from] crate::confirm::KeyError),
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
}

/// State shared by the gate and the metadata routes.
struct Shared {
    resolver: Resolver,
    limiter: RateLimiter,
    proxies: TrustedProxies,
    origins: origin::Origins,
    metadata: serde_json::Value,
    resource_metadata_url: String,
    sessions: sessions::Sessions,
    request_timeout: Duration,
    in_flight: AtomicUsize,
    idle: Notify,
    /// The webhook receiver of live resources, when on.
    hooks: Option<Arc<hooks::Hooks>>,
}

/// A bound, not yet serving, endpoint.
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    router: Router,
    shared: Arc<Shared>,
    sessions: CancellationToken,
    /// The endpoint's URL (the public URL if one was given).
    pub url: String,
    pub addr: SocketAddr,
    grace: Duration,
    connections: ConnectionLimits,
    cores: usize,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("resolver", &self.resolver)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

/// Bind `options.listen` and build the endpoint for `registry`, whose tools
/// call `gateway_url` with each request's own credential.
pub async fn bind(
    options: HttpOptions,
    registry: Arc<Registry>,
    gateway_url: &str,
    timeouts: Timeouts,
) -> Result<Bound, HttpError> {
    if !options.path.starts_with('/') {
        return Err(HttpError::Path(options.path));
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| HttpError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| HttpError::Bind {
        addr: options.listen,
        source,
    })?;
    let public = options
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}{}", options.path));
    let public_url = parse_url("--public-url", &public)?;
    let authorization_server = options
        .authorization_server
        .clone()
        .unwrap_or_else(|| gateway_url.trim_end_matches('/').to_owned());
    parse_url("--authorization-server", &authorization_server)?;

    let limiter = match &options.redis_url {
        Some(url) => RateLimiter::redis(url, options.limits).await?,
        None => RateLimiter::in_memory(options.limits),
    };
    // rmcp's sessions in this process; with Redis, also in the shared store.
    let session_manager = Arc::new(LocalSessionManager::default());
    let session_store = match &options.redis_url {
        Some(url) => Some(Arc::new(
            session_store::RedisSessions::connect(url, options.session_ttl).await?,
        )),
        None => None,
    };
    let resolver = Resolver::new(
        gateway_url,
        &authorization_server,
        &public,
        options.oauth_client.clone(),
        timeouts,
    )?;
    let origin = public_url.origin().ascii_serialization();
    let hooks = options.webhooks.then(|| {
        let hooks = Arc::new(hooks::Hooks::new(&origin, Arc::clone(&registry)));
        registry
            .live()
            .set_push_source(Arc::clone(&hooks) as Arc<dyn crate::live::PushSource>);
        hooks
    });
    let resource_path = public_url.path().trim_end_matches('/');
    let resource_metadata_url =
        format!("{origin}/.well-known/oauth-protected-resource{resource_path}");
    let metadata = serde_json::json!({
        "resource": public,
        "authorization_servers": [authorization_server],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["read", "write"],
        "resource_name": "SmartAlex MCP",
        "resource_documentation": "https://docs.getsmartalex.com",
    });
    let shared = Arc::new(Shared {
        resolver,
        limiter,
        proxies: options.trusted_proxies.clone(),
        origins: origin::Origins::new(
            &public_url,
            &options.allowed_hosts,
            &options.allowed_origins,
            addr.ip().is_loopback(),
        ),
        metadata,
        resource_metadata_url,
        sessions: sessions::Sessions::new(
            session_store
                .clone()
                .map(|store| (store, Arc::clone(&session_manager))),
        ),
        request_timeout: options.request_timeout,
        in_flight: AtomicUsize::new(0),
        idle: Notify::new(),
        hooks,
    });

    let sessions = CancellationToken::new();
    // Host and Origin are checked by the gate (with this server's own
    // lists and error bodies), so rmcp's copies of those checks are off.
    let mut config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_json_response(true)
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_cancellation_token(sessions.child_token());
    config.session_store = session_store.map(|store| store as Arc<dyn SessionStore>);
    // One sealer for every session and request: a state issued on one
    // request is redeemed on another.
    let key = match options.confirm_key {
        Some(key) => key,
        None => ConfirmKey::random()?,
    };
    let sealer = Arc::new(Sealer::new(key, options.confirm_ttl));
    let mcp = StreamableHttpService::new(
        move || {
            Ok(
                SmartAlexServer::new(Arc::clone(&registry), Arc::clone(&sealer))
                    .with_spliced_results(),
            )
        },
        session_manager,
        config,
    );
    let mut router = Router::new()
        .route_service(&options.path, mcp)
        .route_layer(axum::middleware::from_fn(spliced::layer))
        .route_layer(axum::middleware::from_fn(era::layer))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            gate::gate,
        ));
    router = router
        .route("/.well-known/oauth-protected-resource", get(metadata_route))
        .route("/healthz", get(health))
        .route("/hooks/{token}", axum::routing::post(hooks::receive));
    if !resource_path.is_empty() {
        router = router.route(
            &format!("/.well-known/oauth-protected-resource{resource_path}"),
            get(metadata_route),
        );
    }
    let router = router.fallback(not_found).with_state(Arc::clone(&shared));
    Ok(Bound {
        listener,
        router,
        shared,
        sessions,
        url: public,
        addr,
        grace: options.shutdown_grace,
        connections: options.connections,
        cores: options.cores,
    })
}

impl Bound {
    /// Serve until `shutdown` resolves; then stop accepting, let in-flight
    /// requests finish (up to the grace period), close open streams and
    /// sessions, and return.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), HttpError> {
        let Bound {
            listener,
            router,
            shared,
            sessions,
            grace,
            connections,
            cores,
            ..
        } = self;
        let cores = match cores {
            0 => None,
            n => Some(smartalex_serve::listen::Cores::start(n).map_err(HttpError::Serve)?),
        };
        let stopping = CancellationToken::new();
        let stop = stopping.clone();
        let drained = {
            let shared = Arc::clone(&shared);
            let sessions = sessions.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down: finishing in-flight requests");
                stop.cancel();
                let wait_idle = async {
                    loop {
                        let idle = shared.idle.notified();
                        if shared.in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                            break;
                        }
                        idle.await;
                    }
                };
                if tokio::time::timeout(grace, wait_idle).await.is_err() {
                    tracing::warn!("grace period over: dropping the requests still running");
                }
                // Ends SSE streams and sessions, which would otherwise keep
                // their connections open forever.
                sessions.cancel();
            }
        };
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            drained.await;
            let _ = drained_tx.send(());
        });
        let serving = smartalex_serve::listen::serve_on(
            listener,
            router,
            connections,
            async move { stopping.cancelled().await },
            cores.as_ref(),
        );
        // Connections end once their request (or stream) does; a client that
        // keeps one open after its streams were closed gets 5 more seconds.
        let deadline = async {
            if drained_rx.await.is_ok() {
                tokio::time::sleep(Duration::from_secs(5)).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            result = serving => result.map_err(HttpError::Serve),
            () = deadline => {
                tracing::warn!("connections still open after shutdown; closing them");
                Ok(())
            }
        };
        // Before the process exits: the webhooks it registered for live
        // resources go too.
        if let Some(hooks) = &shared.hooks {
            let unregistered =
                tokio::time::timeout(UNREGISTER_TIMEOUT, hooks.unregister_all()).await;
            if unregistered.is_err() {
                tracing::warn!("live-resources webhooks not all deleted at shutdown");
            }
        }
        result
    }
}

fn parse_url(what: &'static str, value: &str) -> Result<url::Url, HttpError> {
    let url = url::Url::parse(value).map_err(|e| HttpError::Url {
        what,
        value: value.to_owned(),
        why: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(HttpError::Url {
            what,
            value: value.to_owned(),
            why: "expected an http:// or https:// URL with a host".to_owned(),
        });
    }
    Ok(url)
}

/// RFC 9728 Protected Resource Metadata. Public, so counted per IP.
async fn metadata_route(
    State(shared): State<Arc<Shared>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    let ip = shared.proxies.client(peer.ip(), &headers);
    let decision = shared.limiter.check(&ratelimit::Bucket::Ip(ip)).await;
    if !decision.allowed {
        return decision.rejection();
    }
    let mut response = axum::Json(shared.metadata.clone()).into_response();
    decision.apply(response.headers_mut());
    response
}

/// For load balancers: not rate limited, no credentials needed.
async fn health() -> Response {
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Response {
    transport_errors::transport_error(
        axum::http::StatusCode::NOT_FOUND,
        &format!(
            "Not Found: {} is not an MCP endpoint of this server",
            uri.path()
        ),
    )
}
