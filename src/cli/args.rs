//! The command line: every flag and subcommand, with its help text, and
//! nothing that acts on them.
//!
//! Kept apart from the commands so that what `--help` says can be read and
//! reviewed in one place, and so that the commands receive typed, merged
//! options instead of parsing anything themselves. What an optional feature
//! adds is one group: the embedded sandbox's flags are one flattened
//! [`SandboxFlags`], `http`'s are [`HttpArgs`], each gated once.

use clap::{Parser, Subcommand};

/// SmartAlex MCP server: manage contacts, voice agents, phone numbers,
/// campaigns, calls, deals and webhooks from an AI assistant.
///
/// With no subcommand, serves MCP over stdio against SMARTALEX_API_URL with
/// SMARTALEX_API_KEY (or against an embedded sandbox with --sandbox).
#[derive(Debug, Parser)]
#[command(name = "smartalex-mcp", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Options shared by everything that serves or calls tools.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeArgs {
    /// Serve only read-only tools.
    #[arg(long)]
    pub(crate) read_only: bool,
    /// Serve only these domains (comma-separated spec tags, e.g. contacts,deals).
    #[arg(long, value_delimiter = ',', value_name = "DOMAINS")]
    pub(crate) tools: Option<Vec<String>>,
    /// Re-read subscribed resources this often, to notice changes the
    /// gateway does not push (at least 1; 0: never) [default: 30].
    #[arg(long, value_name = "SECS", env = "SMARTALEX_RESOURCE_POLL")]
    pub(crate) resource_poll: Option<f64>,
    #[cfg(feature = "sandbox")]
    #[command(flatten)]
    pub(crate) sandbox: SandboxFlags,
}

impl ServeArgs {
    /// Options given before the subcommand, overridden by those after it.
    pub(crate) fn merge(self, sub: ServeArgs) -> ServeArgs {
        ServeArgs {
            read_only: self.read_only || sub.read_only,
            tools: sub.tools.or(self.tools),
            resource_poll: sub.resource_poll.or(self.resource_poll),
            #[cfg(feature = "sandbox")]
            sandbox: self.sandbox.merge(sub.sandbox),
        }
    }
}

/// `--sandbox`, and the options of the embedded sandbox it starts.
#[cfg(feature = "sandbox")]
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SandboxFlags {
    /// Run the sandbox gateway in-process and use it (no account needed).
    #[arg(id = "sandbox", long = "sandbox", env = "SMARTALEX_SANDBOX")]
    pub(crate) enabled: bool,
    /// Sandbox database file, or `:memory:` [default: the platform data dir].
    #[arg(long, value_name = "PATH", requires = "sandbox")]
    pub(crate) db: Option<String>,
    /// Let the embedded sandbox fetch private and loopback addresses (Quick
    /// Setup pages, webhook receivers). For local testing only.
    #[arg(long, requires = "sandbox")]
    pub(crate) allow_private_urls: bool,
    /// Let the stdio server's embedded sandbox also serve its OAuth
    /// authorization server (`http --sandbox` always does); the consent link
    /// is printed on stderr.
    #[arg(id = "sandbox_oauth", long = "sandbox-oauth", requires = "sandbox")]
    pub(crate) oauth: bool,
    /// The embedded sandbox's OAuth consent key [default: a random one].
    #[arg(
        long,
        value_name = "KEY",
        requires = "sandbox",
        env = "SMARTALEX_SANDBOX_CONSENT_KEY",
        hide_env_values = true
    )]
    pub(crate) consent_key: Option<String>,
}

#[cfg(feature = "sandbox")]
impl SandboxFlags {
    /// Flags given before the subcommand, overridden by those after it.
    fn merge(self, sub: SandboxFlags) -> SandboxFlags {
        SandboxFlags {
            enabled: self.enabled || sub.enabled,
            db: sub.db.or(self.db),
            allow_private_urls: self.allow_private_urls || sub.allow_private_urls,
            oauth: self.oauth || sub.oauth,
            consent_key: sub.consent_key.or(self.consent_key),
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve MCP over stdio (the default).
    Stdio {
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Print the tools this server would serve.
    Tools {
        /// Print the `tools/list` JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Call one tool and print its result; exits 1 if the call failed.
    Call {
        /// Tool name, e.g. smartalex_list_contacts.
        tool: String,
        /// Arguments as a JSON object.
        #[arg(default_value = "{}")]
        args: String,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Serve MCP over Streamable HTTP (cloud mode): per-request API-key or
    /// OAuth credentials, rate limits, RFC 9728 metadata.
    #[cfg(feature = "http")]
    Http(Box<HttpArgs>),
    /// Run the sandbox gateway, or mint a sandbox API key.
    #[cfg(feature = "sandbox")]
    Sandbox(smartalex_sandbox::cli::SandboxCommand),
}

/// `smartalex-mcp http`.
#[cfg(feature = "http")]
#[derive(Debug, clap::Args)]
pub(crate) struct HttpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// Path of the MCP endpoint.
    #[arg(long, default_value = "/mcp")]
    pub(crate) path: String,
    /// The endpoint's public URL: the audience OAuth tokens must carry and
    /// the resource in /.well-known/oauth-protected-resource
    /// [default: http://LISTEN/PATH].
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// The OAuth authorization server (issuer URL) [default: the gateway's URL].
    #[arg(long, value_name = "URL")]
    pub(crate) authorization_server: Option<String>,
    /// Also answer this Host (a name, or host:port); repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub(crate) allowed_hosts: Vec<String>,
    /// Also accept requests from this browser Origin (`https://app.example.com`,
    /// `http://localhost:*`); repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub(crate) allowed_origins: Vec<String>,
    /// Requests per minute per workspace (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) rate_limit: u32,
    /// Requests per minute per IP without valid credentials (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) public_rate_limit: u32,
    /// Well-formed credentials not yet verified, per minute per IP: each may
    /// cost an introspection (0: unlimited) [default: --public-rate-limit].
    #[arg(long, value_name = "N")]
    pub(crate) verify_rate_limit: Option<u32>,
    /// Take the client's IP from the forwarding header of requests whose
    /// socket peer is in this block (e.g. 10.0.0.0/8, fd00::/8, or one
    /// address); repeatable or comma-separated.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_delimiter = ',')]
    pub(crate) trusted_proxies: Vec<smartalex_mcp::http::Cidr>,
    /// The header the trusted proxies set: x-forwarded-for or forwarded
    /// (RFC 7239).
    #[arg(long, value_name = "HEADER", default_value = "x-forwarded-for")]
    pub(crate) forwarded_header: smartalex_mcp::http::ForwardedHeader,
    #[command(flatten)]
    pub(crate) connections: smartalex_serve::listen::ConnectionArgs,
    /// Share rate-limit counts and 2025-11-25 sessions with other processes
    /// through this Redis (redis://127.0.0.1:6379/0), so that any process
    /// answers any session [default: in this process; sessions then need
    /// sticky routing].
    #[arg(
        long,
        value_name = "URL",
        env = "SMARTALEX_REDIS_URL",
        hide_env_values = true
    )]
    pub(crate) redis_url: Option<String>,
    /// With --redis-url: a session unused for this many seconds expires
    /// (each request refreshes it).
    #[arg(long, value_name = "SECS", default_value_t = smartalex_mcp::http::DEFAULT_SESSION_TTL.as_secs())]
    pub(crate) session_ttl: u64,
    /// Largest accepted request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = smartalex_mcp::stdio::MAX_LINE)]
    pub(crate) max_body_bytes: usize,
    /// Answer 504 to a request still running after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) request_timeout: u64,
    /// This server's confidential client at the authorization server, used
    /// to exchange OAuth tokens (RFC 8693) [with --sandbox: provisioned
    /// automatically].
    #[arg(long, value_name = "ID", env = "SMARTALEX_OAUTH_CLIENT_ID")]
    pub(crate) oauth_client_id: Option<String>,
    /// The secret of --oauth-client-id.
    #[arg(
        long,
        value_name = "SECRET",
        env = "SMARTALEX_OAUTH_CLIENT_SECRET",
        hide_env_values = true,
        requires = "oauth_client_id"
    )]
    pub(crate) oauth_client_secret: Option<String>,
    /// The key that seals confirmation states (hex or base64, at least 32
    /// bytes); give every process behind one endpoint the same key
    /// [default: a random key for this process].
    #[arg(
        long,
        value_name = "KEY",
        env = "SMARTALEX_CONFIRM_KEY",
        hide_env_values = true
    )]
    pub(crate) confirm_key: Option<smartalex_mcp::confirm::ConfirmKey>,
    /// Seconds the user has to answer a confirmation (at most 900).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub(crate) confirm_ttl: u64,
    /// Do not register webhooks for live resources: subscribers hear changes
    /// only through polls (--resource-poll). By default, the first
    /// subscriber of a workspace registers one, delivered to
    /// <public origin>/hooks/<token>
    #[arg(long)]
    pub(crate) no_webhooks: bool,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}
