//! `smartalex-mcp http --sandbox`: the endpoint in front of a sandbox
//! gateway started in this process.
//!
//! Its own module, compiled only with both `http` and `sandbox`, because
//! the sandbox plays two parts here: it is the gateway the tools call, and
//! the OAuth authorization server that must learn this endpoint's client
//! before it can exchange tokens for it, which it can only do once the
//! endpoint is bound and knows its URL.

use anyhow::Context;
use smartalex_mcp::Timeouts;
use smartalex_mcp::http::ClientCredentials;
use smartalex_mcp::tools::Selection;
use smartalex_sandbox::ExchangeClient;

use super::{Upstream, bind, serve_until_stopped};
use crate::cli::args::{HttpArgs, ServeArgs};
use crate::cli::embedded;

/// Start the sandbox, bind the endpoint in front of it, provision this
/// server's OAuth client (`oauth_client`, or a new one) there, and serve.
pub(super) async fn run(
    serve: ServeArgs,
    args: HttpArgs,
    selection: Selection,
    oauth_client: Option<ClientCredentials>,
    timeouts: Timeouts,
) -> anyhow::Result<()> {
    // The gateway must not refuse what the endpoint in front of it allows.
    let limit = match args.rate_limit {
        0 => u32::MAX,
        n => n.max(100),
    };
    let running = embedded::start(&serve, limit, true).await?;
    // This process is the resource server its sandbox exchanges tokens
    // for: it provisions its own client once its public URL is known.
    let client = oauth_client.unwrap_or_else(|| ClientCredentials {
        client_id: format!("smartalex-mcp-http-{}", running.addr.port()),
        client_secret: smartalex_sandbox::new_secret(),
    });
    let upstream = Upstream {
        gateway_url: running.url(),
        oauth_client: Some(client.clone()),
        pushes_changes: true,
    };
    let bound = bind(&serve, args, &selection, &upstream, timeouts).await?;
    running
        .provision_exchange_client(&ExchangeClient {
            client_id: client.client_id,
            client_secret: client.client_secret,
            audiences: vec![bound.url.clone()],
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("provisioning this server's OAuth client in the embedded sandbox")?;
    serve_until_stopped(bound, &upstream.gateway_url).await
}
