//! Serving MCP over stdio, the default command: one client, on the other
//! end of stdin and stdout.
//!
//! stdout is the JSON-RPC channel here, so nothing in this module (or below
//! it) may print to it; notes for a person go to stderr.
//!
//! One thing here is for speed alone: [`timer_ahead`]. Every tool call arms
//! its gateway timeout on the runtime's timer, and tokio's timer wakes its
//! own driver (a `write` to an eventfd, and often one more `epoll_wait`
//! that returns at once) whenever a new deadline is the earliest it holds.
//! On a stdio server with one call in flight that is every call. A timer
//! that never fires later than a call's deadline keeps the new deadlines
//! from being the earliest, at the price of one wake-up per timeout period
//! (30 s by default) while idle.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rmcp::ServiceExt;
use smartalex_mcp::confirm::{ConfirmKey, Sealer};
use smartalex_mcp::registry::Registry;
use smartalex_mcp::server::SmartAlexServer;

use super::args::ServeArgs;
use super::registry;

/// `smartalex-mcp [stdio]`: serve `serve`'s tools until the client hangs up.
pub(crate) async fn run(serve: &ServeArgs) -> anyhow::Result<()> {
    let registry = Arc::new(registry::build(serve).await?);
    serve_stdio(registry).await
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
    let period = timer_period(registry.gateway().timeouts());
    tokio::spawn(timer_ahead(period));
    // Build the HTTPS client (root certificates and all) off the request path.
    tokio::task::spawn_blocking(move || registry.gateway().warm());
    running
        .waiting()
        .await
        .context("MCP session ended with an error")?;
    Ok(())
}

/// How often [`timer_ahead`] fires: the gateway's request timeout, so its
/// deadline is never later than the one each call arms (a new connection's
/// shorter connect timeout still wakes the driver, once per connection); at
/// least a second.
fn timer_period(timeouts: smartalex::Timeouts) -> Duration {
    timeouts.request.max(Duration::from_secs(1))
}

/// Keep a deadline on the timer that is no later than any call's, for the
/// life of the runtime (see the module doc).
async fn timer_ahead(period: Duration) {
    loop {
        tokio::time::sleep(period).await;
    }
}
