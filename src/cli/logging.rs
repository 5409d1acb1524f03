//! Where log lines go, and in which format.
//!
//! Its own module because it is the one piece of set-up every command
//! shares, and the one that must never touch stdout: stdout may be the
//! JSON-RPC channel (stdio) or carry the one thing a subcommand prints.

use std::io::IsTerminal;

/// The target of the binary's own log lines: `smartalex_mcp`, the crate's
/// name, whichever module of the binary logs them, so that the lines (and
/// the log pipelines that match on their target) do not depend on how the
/// binary's code is split into modules.
pub(crate) const TARGET: &str = "smartalex_mcp";

/// Logs go to stderr (stdout may be the JSON-RPC channel): human-readable,
/// or one JSON object per line with `SMARTALEX_LOG_FORMAT=json` for a log
/// pipeline.
///
/// rmcp logs every new session's id at `info`; a session id is a bearer
/// secret, so that target stays at `warn` unless `SMARTALEX_LOG` names it.
pub(crate) fn init() {
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
