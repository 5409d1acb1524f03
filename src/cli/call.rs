//! `smartalex-mcp call`: one tool call from the shell, without an MCP
//! client.
//!
//! Its own module because it is the one command with an exit code of its
//! own: 1 when the tool answered with a failure, which is not an error of
//! the command (that is 2, like every other command's).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use smartalex_mcp::registry::{Outcome, Registry};

use super::args::ServeArgs;
use super::registry;

/// Call `tool` with `args` (a JSON object) and print its result on stdout;
/// [`ExitCode::FAILURE`] if the tool failed.
pub(crate) async fn run(serve: &ServeArgs, tool: &str, args: &str) -> anyhow::Result<ExitCode> {
    let registry = registry::build(serve).await?;
    call(&registry, tool, args).await
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
