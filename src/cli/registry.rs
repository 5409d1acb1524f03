//! The registry a command serves tools from: the `--read-only`/`--tools`
//! selection, the gateway its calls go to, and live resources.
//!
//! Every command that serves or calls tools (`stdio`, `tools`, `call`,
//! `http`) starts from the same options ([`ServeArgs`]); this is the one
//! place that turns them into a [`Registry`], so that the commands agree on
//! which gateway they use and how they warn about its key.

use smartalex_mcp::gateway::{Gateway, KeyState};
use smartalex_mcp::registry::Registry;
use smartalex_mcp::tools::Selection;

use super::args::ServeArgs;
use super::logging::TARGET;

/// The tools `serve` selects (`--read-only`, `--tools`).
pub(crate) fn selection(serve: &ServeArgs) -> anyhow::Result<Selection> {
    Selection::new(serve.read_only, serve.tools.clone()).map_err(anyhow::Error::msg)
}

/// The registry for `serve`'s selection, against the configured gateway or
/// an in-process sandbox.
pub(crate) async fn build(serve: &ServeArgs) -> anyhow::Result<Registry> {
    let selection = selection(serve)?;
    #[cfg(feature = "sandbox")]
    if serve.sandbox.enabled {
        let running = super::embedded::start(serve, 100, serve.sandbox.oauth).await?;
        let registry = Registry::new(&selection, super::embedded::gateway(&running)?);
        hear(&registry, serve);
        return Ok(registry);
    }
    let gateway = Gateway::from_env();
    match gateway.key() {
        KeyState::Missing => tracing::warn!(
            target: TARGET,
            "SMARTALEX_API_KEY is not set: tools are listed, but calls will answer how to set it"
        ),
        KeyState::Malformed(why) => {
            tracing::warn!(target: TARGET, "SMARTALEX_API_KEY is malformed: {why}")
        }
        KeyState::Token(_) => {}
        KeyState::Valid(key) => {
            tracing::info!(
                target: TARGET,
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

/// Set up live resources: the poll interval, and (with an embedded sandbox)
/// the sandbox's changes as they commit.
pub(crate) fn hear(registry: &Registry, serve: &ServeArgs) {
    if let Some(secs) = serve.resource_poll {
        let every = (secs.is_finite() && secs > 0.0)
            .then(|| std::time::Duration::from_secs_f64(secs.min(86_400.0)));
        registry.live().set_poll(every);
    }
    #[cfg(feature = "sandbox")]
    if serve.sandbox.enabled {
        super::embedded::forward_changes(registry);
    }
}
