//! `smartalex-mcp tools`: what this server would serve, as a table for a
//! person or as the `tools/list` JSON.
//!
//! Its own module because it is the one command whose output is the
//! selection itself: what `--read-only` and `--tools` leave, by domain.

use std::io::Write;

use smartalex_mcp::registry::Registry;
use smartalex_mcp::tools::DOMAINS;

use super::args::ServeArgs;
use super::registry;

/// Print the tools `serve` selects on stdout.
pub(crate) async fn run(serve: &ServeArgs, json: bool) -> anyhow::Result<()> {
    let registry = registry::build(serve).await?;
    print_tools(&registry, json)
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
