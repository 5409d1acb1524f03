//! `smartalex-mcp http`: MCP over Streamable HTTP (cloud mode), where every
//! request brings its own credential.
//!
//! Its own module, compiled only with the `http` feature: it maps
//! [`HttpArgs`] onto the library's endpoint (`smartalex_mcp::http`), serves
//! until Ctrl-C or SIGTERM, and prints the one line a script waits for.
//! Fronting an embedded sandbox (`--sandbox`) changes where calls go and
//! adds a step between binding and serving; that is [`sandbox`], compiled
//! only with the `sandbox` feature too.

#[cfg(feature = "sandbox")]
mod sandbox;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use smartalex_mcp::Timeouts;
use smartalex_mcp::gateway::{Gateway, KeyState};
use smartalex_mcp::http::{self as endpoint, ClientCredentials, HttpOptions, Limits};
use smartalex_mcp::registry::Registry;
use smartalex_mcp::tools::Selection;

use super::args::{HttpArgs, ServeArgs};
use super::logging::TARGET;
use super::registry;

/// Where the endpoint's tool calls go, and how it exchanges OAuth tokens
/// there.
struct Upstream {
    gateway_url: String,
    /// This server's confidential client at the authorization server.
    oauth_client: Option<ClientCredentials>,
    /// The gateway pushes its changes in-process (an embedded sandbox), so
    /// live resources need no webhooks.
    pushes_changes: bool,
}

/// `smartalex-mcp http`: every request brings its own credential, so the
/// registry's gateway has none; the gateway URL is the configured one or the
/// embedded sandbox's.
pub(crate) async fn run(top: ServeArgs, args: HttpArgs) -> anyhow::Result<()> {
    let serve = top.merge(args.serve.clone());
    let selection = registry::selection(&serve)?;
    let configured = Gateway::from_env();
    if !matches!(configured.key(), KeyState::Missing) {
        tracing::warn!(
            target: TARGET,
            "SMARTALEX_API_KEY is ignored by `http`: every request brings its own credentials"
        );
    }
    let timeouts = configured.timeouts();
    let oauth_client = args.oauth_client_id.clone().map(|id| ClientCredentials {
        client_id: id,
        client_secret: args.oauth_client_secret.clone().unwrap_or_default(),
    });
    #[cfg(feature = "sandbox")]
    if serve.sandbox.enabled {
        return sandbox::run(serve, args, selection, oauth_client, timeouts).await;
    }
    let upstream = Upstream {
        gateway_url: configured.base_url().to_owned(),
        oauth_client,
        pushes_changes: false,
    };
    let bound = bind(&serve, args, &selection, &upstream, timeouts).await?;
    serve_until_stopped(bound, &upstream.gateway_url).await
}

/// Bind the endpoint `args` describes, serving `selection` from `upstream`.
async fn bind(
    serve: &ServeArgs,
    args: HttpArgs,
    selection: &Selection,
    upstream: &Upstream,
    timeouts: Timeouts,
) -> anyhow::Result<endpoint::Bound> {
    if upstream.oauth_client.is_none() {
        tracing::warn!(
            target: TARGET,
            "no --oauth-client-id: OAuth access tokens cannot be exchanged and will be refused (API keys work)"
        );
    }
    let registry = Arc::new(Registry::new(
        selection,
        Gateway::new(upstream.gateway_url.clone(), KeyState::Missing, timeouts),
    ));
    registry::hear(&registry, serve);
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
    // One single-threaded runtime per processor serves the connections.
    options.cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    options.trusted_proxies =
        endpoint::TrustedProxies::new(args.trusted_proxies, args.forwarded_header);
    options.redis_url = args.redis_url;
    options.session_ttl = Duration::from_secs(args.session_ttl.max(1));
    options.max_body_bytes = args.max_body_bytes;
    options.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    options.oauth_client = upstream.oauth_client.clone();
    options.confirm_key = args.confirm_key;
    options.confirm_ttl = Duration::from_secs(args.confirm_ttl);
    options.webhooks = !args.no_webhooks && !upstream.pushes_changes;
    endpoint::bind(options, registry, &upstream.gateway_url, timeouts)
        .await
        .context("starting the HTTP server")
}

/// Serve `bound` until Ctrl-C or SIGTERM, saying so on stderr.
async fn serve_until_stopped(bound: endpoint::Bound, gateway_url: &str) -> anyhow::Result<()> {
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
