//! The sandbox gateway run inside this process (`--sandbox`): no account,
//! no network, a SQLite file (or `:memory:`) for state.
//!
//! Its own module, compiled only with the `sandbox` feature, so that the
//! commands which can use it (`stdio`, `tools`, `call`, `http`) each need
//! one gated call and no sandbox code of their own.

use anyhow::Context;
use smartalex_mcp::gateway::{Gateway, KeyState};
use smartalex_mcp::registry::Registry;
use smartalex_mcp::{ApiKey, Timeouts};
use smartalex_sandbox::{Db, RunningSandbox, SandboxOptions};

use super::args::ServeArgs;
use super::logging::TARGET;

/// Start the sandbox gateway in this process (its OAuth authorization
/// server only if `oauth`; then the consent link goes to stderr).
pub(crate) async fn start(
    serve: &ServeArgs,
    rate_limit_per_min: u32,
    oauth: bool,
) -> anyhow::Result<RunningSandbox> {
    let flags = &serve.sandbox;
    let db = Db::from_flag(flags.db.as_deref());
    let options = SandboxOptions {
        rate_limit_per_min,
        allow_private_urls: flags.allow_private_urls,
        oauth,
        consent_key: flags.consent_key.clone(),
        ..SandboxOptions::new(db)
    };
    let listen = ([127, 0, 0, 1], 0).into();
    let running = smartalex_sandbox::start(listen, options)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("starting the embedded sandbox")?;
    smartalex_sandbox::cli::print_consent_link(&running);
    tracing::info!(target: TARGET, addr = %running.addr, oauth, "embedded sandbox gateway ready");
    Ok(running)
}

/// A gateway handle on an embedded sandbox, with its key.
pub(crate) fn gateway(running: &RunningSandbox) -> anyhow::Result<Gateway> {
    let key = ApiKey::parse(&running.api_key).context("the sandbox minted a malformed key")?;
    Ok(Gateway::new(
        running.url(),
        KeyState::Valid(key),
        Timeouts::default(),
    ))
}

/// Publish the embedded sandbox's changes to `registry`'s live resources as
/// they commit (the sandbox pushes them in-process; no webhooks, no polls).
pub(crate) fn forward_changes(registry: &Registry) {
    let publisher = registry.live().publisher();
    let mut changes = smartalex_sandbox::changes::subscribe();
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
