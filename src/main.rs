//! `smartalex-mcp`: the SmartAlex MCP server, its tool list, one-off calls,
//! and the sandbox gateway.
//!
//! The only binary in the crate, and the only place that uses `anyhow`:
//! everything below it has typed errors. stdout belongs to the JSON-RPC
//! channel (stdio) or to the one thing a subcommand prints (`tools`, `call`);
//! every log line goes to stderr.

use std::io::{IsTerminal, Write};
#[cfg(any(feature = "sandbox", feature = "http"))]
use std::net::SocketAddr;
#[cfg(feature = "sandbox")]
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rmcp::ServiceExt;
use smartalex_mcp::confirm::{ConfirmKey, Sealer};
use smartalex_mcp::gateway::{Gateway, KeyState};
use smartalex_mcp::registry::{Outcome, Registry};
#[cfg(feature = "sandbox")]
use smartalex_mcp::sandbox::{self, Db, SandboxOptions, cli::SandboxCommand};
use smartalex_mcp::server::SmartAlexServer;
use smartalex_mcp::tools::{DOMAINS, Selection};
#[cfg(feature = "sandbox")]
use smartalex_mcp::{ApiKey, Timeouts};

/// SmartAlex MCP server: manage contacts, voice agents, phone numbers,
/// campaigns, calls, deals and webhooks from an AI assistant.
///
/// With no subcommand, serves MCP over stdio against SMARTALEX_API_URL with
/// SMARTALEX_API_KEY (or against an embedded sandbox with --sandbox).
#[derive(Debug, Parser)]
#[command(name = "smartalex-mcp", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Options shared by everything that serves or calls tools.
#[derive(Debug, Clone, clap::Args)]
struct ServeArgs {
    /// Serve only read-only tools.
    #[arg(long)]
    read_only: bool,
    /// Serve only these domains (comma-separated spec tags, e.g. contacts,deals).
    #[arg(long, value_delimiter = ',', value_name = "DOMAINS")]
    tools: Option<Vec<String>>,
    /// Re-read subscribed resources this often, to notice changes the
    /// gateway does not push (at least 1; 0: never) [default: 30].
    #[arg(long, value_name = "SECS", env = "SMARTALEX_RESOURCE_POLL")]
    resource_poll: Option<f64>,
    /// Run the sandbox gateway in-process and use it (no account needed).
    #[cfg(feature = "sandbox")]
    #[arg(long, env = "SMARTALEX_SANDBOX")]
    sandbox: bool,
    /// Sandbox database file, or `:memory:` [default: the platform data dir].
    #[cfg(feature = "sandbox")]
    #[arg(long, value_name = "PATH", requires = "sandbox")]
    db: Option<String>,
    /// Let the embedded sandbox fetch private and loopback addresses (Quick
    /// Setup pages, webhook receivers). For local testing only.
    #[cfg(feature = "sandbox")]
    #[arg(long, requires = "sandbox")]
    allow_private_urls: bool,
    /// Let the stdio server's embedded sandbox also serve its OAuth
    /// authorization server (`http --sandbox` always does); the consent link
    /// is printed on stderr.
    #[cfg(feature = "sandbox")]
    #[arg(long, requires = "sandbox")]
    sandbox_oauth: bool,
    /// The embedded sandbox's OAuth consent key [default: a random one].
    #[cfg(feature = "sandbox")]
    #[arg(
        long,
        value_name = "KEY",
        requires = "sandbox",
        env = "SMARTALEX_SANDBOX_CONSENT_KEY",
        hide_env_values = true
    )]
    consent_key: Option<String>,
}

impl ServeArgs {
    /// Options given before the subcommand, overridden by those after it.
    fn merge(self, sub: ServeArgs) -> ServeArgs {
        ServeArgs {
            read_only: self.read_only || sub.read_only,
            tools: sub.tools.or(self.tools),
            resource_poll: sub.resource_poll.or(self.resource_poll),
            #[cfg(feature = "sandbox")]
            sandbox: self.sandbox || sub.sandbox,
            #[cfg(feature = "sandbox")]
            db: sub.db.or(self.db),
            #[cfg(feature = "sandbox")]
            allow_private_urls: self.allow_private_urls || sub.allow_private_urls,
            #[cfg(feature = "sandbox")]
            sandbox_oauth: self.sandbox_oauth || sub.sandbox_oauth,
            #[cfg(feature = "sandbox")]
            consent_key: sub.consent_key.or(self.consent_key),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
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
    Http(HttpArgs),
    /// Run the sandbox gateway, or mint a sandbox API key.
    #[cfg(feature = "sandbox")]
    Sandbox(SandboxCommand),
}

/// `smartalex-mcp http`.
#[cfg(feature = "http")]
#[derive(Debug, clap::Args)]
struct HttpArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Path of the MCP endpoint.
    #[arg(long, default_value = "/mcp")]
    path: String,
    /// The endpoint's public URL: the audience OAuth tokens must carry and
    /// the resource in /.well-known/oauth-protected-resource
    /// [default: http://LISTEN/PATH].
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The OAuth authorization server (issuer URL) [default: the gateway's URL].
    #[arg(long, value_name = "URL")]
    authorization_server: Option<String>,
    /// Also answer this Host (a name, or host:port); repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// Also accept requests from this browser Origin (`https://app.example.com`,
    /// `http://localhost:*`); repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Requests per minute per workspace (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 100)]
    rate_limit: u32,
    /// Requests per minute per IP without valid credentials (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 30)]
    public_rate_limit: u32,
    /// Well-formed credentials not yet verified, per minute per IP: each may
    /// cost an introspection (0: unlimited) [default: --public-rate-limit].
    #[arg(long, value_name = "N")]
    verify_rate_limit: Option<u32>,
    /// Take the client's IP from the forwarding header of requests whose
    /// socket peer is in this block (e.g. 10.0.0.0/8, fd00::/8, or one
    /// address); repeatable or comma-separated.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_delimiter = ',')]
    trusted_proxies: Vec<smartalex_mcp::http::Cidr>,
    /// The header the trusted proxies set: x-forwarded-for or forwarded
    /// (RFC 7239).
    #[arg(long, value_name = "HEADER", default_value = "x-forwarded-for")]
    forwarded_header: smartalex_mcp::http::ForwardedHeader,
    #[command(flatten)]
    connections: smartalex_mcp::listen::ConnectionArgs,
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
    redis_url: Option<String>,
    /// With --redis-url: a session unused for this many seconds expires
    /// (each request refreshes it).
    #[arg(long, value_name = "SECS", default_value_t = smartalex_mcp::http::DEFAULT_SESSION_TTL.as_secs())]
    session_ttl: u64,
    /// Largest accepted request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = smartalex_mcp::stdio::MAX_LINE)]
    max_body_bytes: usize,
    /// Answer 504 to a request still running after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    request_timeout: u64,
    /// This server's confidential client at the authorization server, used
    /// to exchange OAuth tokens (RFC 8693) [with --sandbox: provisioned
    /// automatically].
    #[arg(long, value_name = "ID", env = "SMARTALEX_OAUTH_CLIENT_ID")]
    oauth_client_id: Option<String>,
    /// The secret of --oauth-client-id.
    #[arg(
        long,
        value_name = "SECRET",
        env = "SMARTALEX_OAUTH_CLIENT_SECRET",
        hide_env_values = true,
        requires = "oauth_client_id"
    )]
    oauth_client_secret: Option<String>,
    /// The key that seals confirmation states (hex or base64, at least 32
    /// bytes); give every process behind one endpoint the same key
    /// [default: a random key for this process].
    #[arg(
        long,
        value_name = "KEY",
        env = "SMARTALEX_CONFIRM_KEY",
        hide_env_values = true
    )]
    confirm_key: Option<smartalex_mcp::confirm::ConfirmKey>,
    /// Seconds the user has to answer a confirmation (at most 900).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    confirm_ttl: u64,
    /// Do not register webhooks for live resources: subscribers hear changes
    /// only through polls (--resource-poll). By default, the first
    /// subscriber of a workspace registers one, delivered to
    /// <public origin>/hooks/<token>
    #[arg(long)]
    no_webhooks: bool,
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let runtime = match &cli.command {
        // The sandbox serves many connections: give it both cores.
        #[cfg(feature = "sandbox")]
        Some(Command::Sandbox(_)) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        #[cfg(feature = "http")]
        Some(Command::Http(_)) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        // One client, one pipe: a single thread starts faster and stays small.
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr (stdout may be the JSON-RPC channel): human-readable,
/// or one JSON object per line with `SMARTALEX_LOG_FORMAT=json` for a log
/// pipeline.
///
/// rmcp logs every new session's id at `info`; a session id is a bearer
/// secret, so that target stays at `warn` unless `SMARTALEX_LOG` names it.
fn init_logging() {
    let asked = std::env::var("SMARTALEX_LOG").ok();
    let filter =
        tracing_subscriber::EnvFilter::try_new(smartalex_mcp::logs::directives(asked.as_deref()))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("SMARTALEX_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().with_current_span(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let top = cli.serve;
    match cli.command {
        #[cfg(feature = "sandbox")]
        Some(Command::Sandbox(cmd)) => cmd.run().await.map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "http")]
        Some(Command::Http(args)) => {
            serve_http(top, args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Tools { json, serve }) => {
            let registry = registry(&top.merge(serve)).await?;
            print_tools(&registry, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Call { tool, args, serve }) => {
            let registry = registry(&top.merge(serve)).await?;
            call(&registry, &tool, &args).await
        }
        Some(Command::Stdio { serve }) => {
            let registry = Arc::new(registry(&top.merge(serve)).await?);
            serve_stdio(registry).await?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let registry = Arc::new(registry(&top).await?);
            serve_stdio(registry).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The registry for `serve`'s selection, against the configured gateway or
/// an in-process sandbox.
async fn registry(serve: &ServeArgs) -> anyhow::Result<Registry> {
    let selection =
        Selection::new(serve.read_only, serve.tools.clone()).map_err(anyhow::Error::msg)?;
    #[cfg(feature = "sandbox")]
    if serve.sandbox {
        let running = embedded_sandbox(serve, 100, serve.sandbox_oauth).await?;
        let registry = Registry::new(&selection, sandbox_gateway(&running)?);
        hear(&registry, serve);
        return Ok(registry);
    }
    let gateway = Gateway::from_env();
    match gateway.key() {
        KeyState::Missing => tracing::warn!(
            "SMARTALEX_API_KEY is not set: tools are listed, but calls will answer how to set it"
        ),
        KeyState::Malformed(why) => tracing::warn!("SMARTALEX_API_KEY is malformed: {why}"),
        KeyState::Token(_) => {}
        KeyState::Valid(key) => {
            tracing::info!(
                key = key.redacted(),
                url = gateway.base_url(),
                "gateway configured"
            )
        }
    }
    let registry = Registry::new(&selection, gateway);
    hear(&registry, serve);
    Ok(registry)
}

/// Start the sandbox gateway in this process (its OAuth authorization
/// server only if `oauth`; then the consent link goes to stderr).
#[cfg(feature = "sandbox")]
async fn embedded_sandbox(
    serve: &ServeArgs,
    rate_limit_per_min: u32,
    oauth: bool,
) -> anyhow::Result<sandbox::RunningSandbox> {
    let db = match serve.db.as_deref() {
        Some(":memory:") => Db::Memory,
        Some(path) => Db::Path(PathBuf::from(path)),
        None => Db::Path(sandbox::default_db_path()),
    };
    let options = SandboxOptions {
        rate_limit_per_min,
        allow_private_urls: serve.allow_private_urls,
        oauth,
        consent_key: serve.consent_key.clone(),
        ..SandboxOptions::new(db)
    };
    let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = sandbox::start(listen, options)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("starting the embedded sandbox")?;
    sandbox::cli::print_consent_link(&running);
    tracing::info!(addr = %running.addr, oauth, "embedded sandbox gateway ready");
    Ok(running)
}

/// Set up live resources: the poll interval, and (with an embedded sandbox)
/// the sandbox's changes as they commit.
fn hear(registry: &Registry, serve: &ServeArgs) {
    let live = registry.live();
    if let Some(secs) = serve.resource_poll {
        let every = (secs.is_finite() && secs > 0.0)
            .then(|| std::time::Duration::from_secs_f64(secs.min(86_400.0)));
        live.set_poll(every);
    }
    #[cfg(feature = "sandbox")]
    if serve.sandbox {
        let publisher = live.publisher();
        let mut changes = sandbox::changes::subscribe();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match changes.recv().await {
                    Ok(c) => publisher.publish(smartalex_mcp::live::Change {
                        workspace: c.workspace_id,
                        event: c.event,
                        id: c.id,
                    }),
                    Err(RecvError::Lagged(n)) => publisher.lagged(n),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }
}

/// A gateway handle on an embedded sandbox, with its key.
#[cfg(feature = "sandbox")]
fn sandbox_gateway(running: &sandbox::RunningSandbox) -> anyhow::Result<Gateway> {
    let key = ApiKey::parse(&running.api_key).context("the sandbox minted a malformed key")?;
    Ok(Gateway::new(
        running.url(),
        KeyState::Valid(key),
        Timeouts::default(),
    ))
}

/// `smartalex-mcp http`: every request brings its own credential, so the
/// registry's gateway has none; the gateway URL is the configured one or the
/// embedded sandbox's.
#[cfg(feature = "http")]
async fn serve_http(top: ServeArgs, args: HttpArgs) -> anyhow::Result<()> {
    use smartalex_mcp::http::{self, HttpOptions, Limits};
    let serve = top.merge(args.serve.clone());
    let selection =
        Selection::new(serve.read_only, serve.tools.clone()).map_err(anyhow::Error::msg)?;
    let configured = Gateway::from_env();
    if !matches!(configured.key(), KeyState::Missing) {
        tracing::warn!(
            "SMARTALEX_API_KEY is ignored by `http`: every request brings its own credentials"
        );
    }
    let timeouts = configured.timeouts();
    // With --sandbox and no credentials given, provisioned below.
    #[cfg_attr(not(feature = "sandbox"), allow(unused_mut))]
    let mut oauth_client = args
        .oauth_client_id
        .clone()
        .map(|id| http::ClientCredentials {
            client_id: id,
            client_secret: args.oauth_client_secret.clone().unwrap_or_default(),
        });
    #[cfg(feature = "sandbox")]
    let embedded = if serve.sandbox {
        // The gateway must not refuse what the endpoint in front of it allows.
        let limit = match args.rate_limit {
            0 => u32::MAX,
            n => n.max(100),
        };
        let running = embedded_sandbox(&serve, limit, true).await?;
        // This process is the resource server its sandbox exchanges tokens
        // for: it provisions its own client once its public URL is known.
        oauth_client.get_or_insert_with(|| http::ClientCredentials {
            client_id: format!("smartalex-mcp-http-{}", running.addr.port()),
            client_secret: sandbox::new_secret(),
        });
        Some(running)
    } else {
        None
    };
    #[cfg(feature = "sandbox")]
    let gateway_url = match &embedded {
        Some(running) => running.url(),
        None => configured.base_url().to_owned(),
    };
    #[cfg(not(feature = "sandbox"))]
    let gateway_url = configured.base_url().to_owned();
    if oauth_client.is_none() {
        tracing::warn!(
            "no --oauth-client-id: OAuth access tokens cannot be exchanged and will be refused (API keys work)"
        );
    }
    let registry = Arc::new(Registry::new(
        &selection,
        Gateway::new(gateway_url.clone(), KeyState::Missing, timeouts),
    ));
    hear(&registry, &serve);
    let mut options = HttpOptions::new(args.listen);
    options.path = args.path;
    options.public_url = args.public_url;
    options.authorization_server = args.authorization_server;
    options.allowed_hosts = args.allowed_hosts;
    options.allowed_origins = args.allowed_origins;
    options.limits = Limits {
        per_workspace: args.rate_limit,
        per_ip: args.public_rate_limit,
        per_ip_verify: args.verify_rate_limit.unwrap_or(args.public_rate_limit),
    };
    options.connections = args.connections.limits();
    options.trusted_proxies =
        http::TrustedProxies::new(args.trusted_proxies, args.forwarded_header);
    options.redis_url = args.redis_url;
    options.session_ttl = std::time::Duration::from_secs(args.session_ttl.max(1));
    options.max_body_bytes = args.max_body_bytes;
    options.request_timeout = std::time::Duration::from_secs(args.request_timeout.max(1));
    options.oauth_client = oauth_client.clone();
    options.confirm_key = args.confirm_key;
    options.confirm_ttl = std::time::Duration::from_secs(args.confirm_ttl);
    // An embedded sandbox pushes its changes in-process.
    #[cfg(feature = "sandbox")]
    let pushed = embedded.is_some();
    #[cfg(not(feature = "sandbox"))]
    let pushed = false;
    options.webhooks = !args.no_webhooks && !pushed;
    let bound = http::bind(options, registry, &gateway_url, timeouts)
        .await
        .context("starting the HTTP server")?;
    #[cfg(feature = "sandbox")]
    if let (Some(running), Some(client)) = (&embedded, &oauth_client) {
        running
            .provision_exchange_client(&sandbox::ExchangeClient {
                client_id: client.client_id.clone(),
                client_secret: client.client_secret.clone(),
                audiences: vec![bound.url.clone()],
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("provisioning this server's OAuth client in the embedded sandbox")?;
    }
    // The one line a script (or a test) waits for; logs are opt-in.
    eprintln!(
        "smartalex-mcp {}: serving MCP at {} (gateway {gateway_url})",
        env!("CARGO_PKG_VERSION"),
        bound.url
    );
    bound.run(shutdown_signal()).await?;
    eprintln!("smartalex-mcp: stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
#[cfg(feature = "http")]
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

async fn serve_stdio(registry: Arc<Registry>) -> anyhow::Result<()> {
    if std::io::stdin().is_terminal() {
        // A person ran it by hand; a client would have connected pipes.
        eprintln!(
            "smartalex-mcp {} speaks MCP (JSON-RPC) on stdin/stdout: connect an MCP client to it \
             (see the README), or try `smartalex-mcp tools` / `smartalex-mcp call <tool>`. Ctrl-D quits.",
            env!("CARGO_PKG_VERSION")
        );
    }
    let key = ConfirmKey::random().context("creating the confirmation key")?;
    let sealer = Arc::new(Sealer::new(key, smartalex_mcp::confirm::DEFAULT_TTL));
    let server = SmartAlexServer::new(Arc::clone(&registry), sealer).with_spliced_results();
    let running = match server.serve(smartalex_mcp::stdio::stdio()).await {
        Ok(running) => running,
        // The client hung up before initializing: a normal end, not an error.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context("MCP initialization over stdio failed")),
    };
    // Build the HTTPS client (root certificates and all) off the request path.
    tokio::task::spawn_blocking(move || registry.gateway().warm());
    running
        .waiting()
        .await
        .context("MCP session ended with an error")?;
    Ok(())
}

fn print_tools(registry: &Registry, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let list = serde_json::json!({ "tools": registry.tools() });
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        return Ok(());
    }
    for domain in DOMAINS {
        let tools: Vec<_> = registry.specs().filter(|t| t.domain == *domain).collect();
        if tools.is_empty() {
            continue;
        }
        writeln!(out, "{domain}:")?;
        for t in tools {
            let mark = if t.is_read_only() {
                "read-only"
            } else {
                "writes"
            };
            writeln!(out, "  {:<38} {:<9} {}", t.name, mark, t.title)?;
        }
    }
    Ok(())
}

async fn call(registry: &Registry, tool: &str, args: &str) -> anyhow::Result<ExitCode> {
    let args: serde_json::Value = serde_json::from_str(args).context("ARGS is not valid JSON")?;
    let serde_json::Value::Object(args) = args else {
        anyhow::bail!("ARGS must be a JSON object, like '{{\"per_page\": 5}}'");
    };
    if !registry.contains(tool) {
        anyhow::bail!(
            "unknown tool `{tool}`; run `smartalex-mcp tools` to list them{}",
            if smartalex_mcp::tools::find(tool).is_some() {
                " (it exists, but --read-only/--tools excluded it)"
            } else {
                ""
            }
        );
    }
    let outcome = registry
        .call(tool, Some(args))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut out = std::io::stdout().lock();
    match outcome {
        Outcome::Ok(output) => {
            writeln!(out, "{}", output.text)?;
            if let Some(note) = output.note {
                eprintln!("{note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Failed(text) => {
            writeln!(out, "{text}")?;
            Ok(ExitCode::FAILURE)
        }
    }
}
