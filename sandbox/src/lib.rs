//! The sandbox gateway: a real, SQLite-backed implementation of
//! `openapi/gateway.yaml`, so the MCP server can be tried, tested and
//! demonstrated without a SmartAlex account.
//!
//! It is not a mock: resources persist in SQLite, keys are hashed and
//! scoped to a workspace, rate limits count, Quick Setup fetches the page,
//! starting a campaign dials (simulated, time-compressed) calls, and
//! webhooks are signed and delivered. Errors carry the exact messages of the
//! production gateway (see `errors`).
//!
//! Layout: `server` assembles the router and the per-request pipeline
//! (auth → rate limit → route → JSON errors); `routes/` has one file per
//! spec tag; `db` owns storage and migrations; `dialer`, `webhooks`
//! and `quick_setup` are the behaviours that run beside requests;
//! `oauth/` is the OAuth 2.1 authorization server the MCP server's HTTP
//! transport delegates to (outside the pipeline: it is not the API).
//!
//! Nothing here prints to stdout, and no key or secret is ever logged.

pub mod cli;

mod auth;
pub mod changes;
mod clock;
mod conversation;
mod credentials;
mod db;
mod dialer;
mod errors;
mod ids;
mod netguard;
mod numbers;
mod oauth;
mod operations;
mod prompt;
mod quick_setup;
mod records;
mod routes;
mod seed;
mod server;
mod validate;
mod webhooks;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use auth::{Domain, KeySpec, KeyUser};
use operations::examples_note;

/// Where the sandbox keeps its data.
#[derive(Debug, Clone)]
pub enum Db {
    /// A SQLite file (created, migrated and seeded with a demo workspace on first use).
    Path(PathBuf),
    /// `:memory:` — an empty workspace, gone when the process exits.
    Memory,
}

impl Db {
    /// `:memory:` or a path.
    pub(crate) fn parse(text: &str) -> Db {
        if text == ":memory:" {
            Db::Memory
        } else {
            Db::Path(PathBuf::from(text))
        }
    }

    /// What a `--db` flag names: `:memory:`, a path, or (without the flag)
    /// the file in the platform data directory.
    pub fn from_flag(flag: Option<&str>) -> Db {
        flag.map_or_else(|| Db::Path(default_db_path()), Db::parse)
    }
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub db: Db,
    /// Requests per minute per workspace (the public, per-IP limit keeps the
    /// documented 30:100 ratio to it).
    pub rate_limit_per_min: u32,
    /// Let Quick Setup and webhooks reach private and loopback addresses (tests use it).
    pub allow_private_urls: bool,
    /// Lifetime of the OAuth access tokens the sandbox issues (refresh
    /// tokens last 30 days).
    pub access_token_ttl: std::time::Duration,
    /// Connection cap, header and idle timeouts.
    pub connections: smartalex_serve::listen::ConnectionLimits,
    /// Serve the OAuth authorization server (`/oauth/…`). The stdio server's
    /// embedded sandbox leaves it off unless asked (`--sandbox-oauth`).
    pub oauth: bool,
    /// The operator's consent key: whoever presents it (through the consent
    /// link) may approve authorization requests. `None`: a random one.
    pub consent_key: Option<String>,
    /// More `Host` values to answer besides loopback names and the bound
    /// address (names, or `host:port`).
    pub allowed_hosts: Vec<String>,
    /// More browser origins to accept besides loopback ones.
    pub allowed_origins: Vec<String>,
    /// Requests per minute per IP to `/oauth/register`, `/oauth/authorize`
    /// and `/oauth/token` (`0`: unlimited). A confidential client's token
    /// exchanges count against the client instead, at `rate_limit_per_min`.
    pub oauth_rate_limit_per_min: u32,
    /// How often, at most, expired authorization requests, codes and tokens
    /// are deleted (checked on OAuth requests).
    pub oauth_purge_interval: std::time::Duration,
}

impl SandboxOptions {
    /// The documented defaults: 100 requests/min, public addresses only,
    /// OAuth on with a random consent key, 15-minute OAuth access tokens,
    /// 30 OAuth requests/min per IP.
    pub fn new(db: Db) -> Self {
        SandboxOptions {
            db,
            rate_limit_per_min: 100,
            allow_private_urls: false,
            access_token_ttl: oauth::DEFAULT_ACCESS_TOKEN_TTL,
            connections: smartalex_serve::listen::ConnectionLimits::default(),
            oauth: true,
            consent_key: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            oauth_rate_limit_per_min: oauth::DEFAULT_RATE_LIMIT_PER_MIN,
            oauth_purge_interval: oauth::DEFAULT_PURGE_INTERVAL,
        }
    }
}

/// Why the sandbox could not start or mint a key.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot open sandbox database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create sandbox database {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the sandbox database has schema version {found}, newer than this build supports ({supported}); upgrade smartalex-mcp or use another --db"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("sandbox database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

impl From<errors::ApiError> for SandboxError {
    fn from(e: errors::ApiError) -> Self {
        match e {
            errors::ApiError::Internal(cause) => SandboxError::Setup(cause.to_string()),
            other => SandboxError::Setup(other.to_string()),
        }
    }
}

/// A sandbox serving on `addr`, with a key for its default workspace.
pub struct RunningSandbox {
    pub addr: SocketAddr,
    /// A `sa_test_` key with read+write permission on the default workspace:
    /// the database's embedded key, reused by every start on the same file
    /// while it is live (a `:memory:` database gets a new one each start).
    pub api_key: String,
    store: db::Store,
    created: bool,
    /// `None` when OAuth is off.
    consent_key: Option<String>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("addr", &self.addr)
            .field("api_key", &auth::display_prefix(&self.api_key))
            .field("created", &self.created)
            .field("oauth", &self.consent_key.is_some())
            .finish()
    }
}

impl RunningSandbox {
    /// Mint another key (any workspace, permission or user) on this sandbox's database.
    pub async fn create_key(&self, spec: KeySpec) -> Result<String, SandboxError> {
        Ok(self
            .store
            .write(move |tx| Ok(auth::mint(tx, &spec)?))
            .await?)
    }

    /// `true` if this start created the database.
    pub fn database_created(&self) -> bool {
        self.created
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The operator's consent key (`None` when OAuth is off). Print it only
    /// where the operator reads (stderr), never on stdout or in a log.
    pub fn consent_key(&self) -> Option<&str> {
        self.consent_key.as_deref()
    }

    /// The link the operator opens once in the browser that will approve
    /// authorization requests (`None` when OAuth is off).
    pub fn consent_url(&self) -> Option<String> {
        self.consent_key
            .as_deref()
            .map(|key| oauth::operator::consent_url(&self.url(), key))
    }

    /// Register (or update) a confidential client that may exchange (RFC
    /// 8693) access tokens whose audience is one of `audiences` for gateway
    /// tokens, authenticating with HTTP Basic `client_id:client_secret`.
    /// This is how a resource server — `smartalex-mcp http` — is allowed to
    /// exchange; dynamic registration cannot grant it.
    pub async fn provision_exchange_client(
        &self,
        client: &ExchangeClient,
    ) -> Result<(), SandboxError> {
        oauth::exchange::provision(&self.store, client).await
    }
}

/// A resource server's credentials at the sandbox's token endpoint, and the
/// token audiences (its own public URL) it may exchange.
#[derive(Clone)]
pub struct ExchangeClient {
    pub client_id: String,
    pub client_secret: String,
    pub audiences: Vec<String>,
}

impl std::fmt::Debug for ExchangeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeClient")
            .field("client_id", &self.client_id)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

/// A new random secret (64 hex characters of OS randomness), e.g. for an
/// exchange client's `client_secret`.
pub fn new_secret() -> String {
    oauth::new_secret()
}

/// Provision an exchange client in the database at `path` (the CLI's
/// `sandbox client`; safe while a sandbox serves it).
pub(crate) fn provision_exchange_client(
    path: &Path,
    client: &ExchangeClient,
) -> Result<(), SandboxError> {
    let (store, _) = db::Store::open(&Db::Path(path.to_path_buf()))?;
    oauth::exchange::provision_blocking(&store, client)
}

/// The workspace that `start` keeps its embedded key for.
pub(crate) const DEFAULT_WORKSPACE: &str = "default";

/// Start serving on `listen` in the current tokio runtime; returns once the
/// socket is bound. Serving, the dialer and webhook delivery run as
/// background tasks of that runtime.
pub async fn start(
    listen: SocketAddr,
    options: SandboxOptions,
) -> Result<RunningSandbox, SandboxError> {
    let (store, opened) = db::Store::open(&options.db)?;
    let seed_demo = matches!(options.db, Db::Path(_));
    let key_store = store.clone();
    let api_key = key_store
        .write(move |tx| {
            let workspace = seed::ensure_default(tx, seed_demo)?;
            Ok(auth::embedded_key(tx, &workspace)?)
        })
        .await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| SandboxError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: listen,
        source,
    })?;
    // The OAuth issuer, and the gateway's own resource identifier: only
    // known once bound (the port may have been 0).
    let issuer = format!("http://{addr}");
    let consent_key = match (&options.oauth, &options.consent_key) {
        (false, _) => None,
        (true, Some(key)) => Some(oauth::operator::check_key(key).map_err(SandboxError::Setup)?),
        (true, None) => Some(oauth::new_secret()),
    };
    let app = server::new_app(store.clone(), &options, issuer, consent_key.as_deref());
    server::spawn(app, listener, options.connections);
    tracing::info!(%addr, created = opened.created, "sandbox gateway listening");
    // Canned answers are worth a warning: a user trying the operation
    // should know its answers do not come from the simulation.
    if operations::answered_from_examples().next().is_some() {
        tracing::warn!("{}", examples_note());
    } else {
        tracing::info!("{}", examples_note());
    }
    Ok(RunningSandbox {
        addr,
        api_key,
        store,
        created: opened.created,
        consent_key,
    })
}

/// Mint a key on the database at `path` (safe while a sandbox serves it).
pub(crate) fn create_key(path: &Path, spec: &KeySpec) -> Result<String, SandboxError> {
    let (store, _) = db::Store::open(&Db::Path(path.to_path_buf()))?;
    Ok(store.write_blocking(|tx| Ok(auth::mint(tx, spec)?))?)
}

/// The default database: `<platform data dir>/sandbox.db`, e.g.
/// `~/.local/share/smartalex-mcp/sandbox.db` on Linux.
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("com", "SmartAlex", "smartalex-mcp")
        .map(|dirs| dirs.data_dir().join("sandbox.db"))
        .unwrap_or_else(|| PathBuf::from("smartalex-sandbox.db"))
}

/// Shared by the server and the background tasks.
type SharedApp = Arc<server::AppInner>;
