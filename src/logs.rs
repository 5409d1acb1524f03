//! What `SMARTALEX_LOG` may turn on.
//!
//! smartalex-mcp's own log lines never carry a credential or customer data
//! at any level. The libraries under it are not so careful once they are
//! asked for detail: at `debug` and `trace` rmcp prints whole JSON-RPC
//! messages (the contacts a request creates, resources read, prompts; tool
//! results reach it as placeholders, see `crate::splice`) and the HTTP
//! stacks print request details. So a plain level such as
//! `SMARTALEX_LOG=debug` raises only this crate's own logs; every other
//! target stays at `info` at most, unless the operator names it
//! (`SMARTALEX_LOG=debug,rmcp=debug`) and so asks for its payloads knowingly.
//! rmcp's session manager, which logs each new session id at `info`, stays
//! at `warn` unless it is named itself.

use std::str::FromStr;

use tracing_subscriber::filter::LevelFilter;

/// This crate's log target.
const OURS: &str = "smartalex_mcp";

/// rmcp logs every new session id here at `info`; a session id is a
/// credential of sorts (see `http::sessions`), so it stays at `warn` unless
/// named.
const SESSIONS: &str = "rmcp::transport::streamable_http_server::session";

/// The filter directives to use for the operator's `spec` (`SMARTALEX_LOG`;
/// `None` or blank: `warn`).
pub fn directives(spec: Option<&str>) -> String {
    let spec = spec
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("warn");
    let mut out = payload_free(spec);
    if !spec.contains(SESSIONS) {
        out.push_str(&format!(",{SESSIONS}=warn"));
    }
    out
}

/// `spec` with libraries held at `info` when it asks for more.
fn payload_free(spec: &str) -> String {
    let mut global = None;
    let mut named = Vec::new();
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match LevelFilter::from_str(directive) {
            Ok(level) => global = Some(level),
            Err(_) => named.push(directive),
        }
    }
    let Some(level) = global.filter(|l| *l > LevelFilter::INFO) else {
        return spec.to_owned();
    };
    // Every other target at `info`, this crate at the level asked for,
    // then the operator's own named targets, which win.
    let mut out = vec![
        LevelFilter::INFO.to_string().to_lowercase(),
        format!("{OURS}={}", level.to_string().to_lowercase()),
    ];
    out.extend(named.iter().map(|d| (*d).to_owned()));
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_debug_or_trace_raises_only_our_own_logs() {
        assert_eq!(payload_free("debug"), "info,smartalex_mcp=debug");
        assert_eq!(payload_free("trace"), "info,smartalex_mcp=trace");
        assert_eq!(
            directives(Some(" trace ")),
            format!("info,smartalex_mcp=trace,{SESSIONS}=warn")
        );
    }

    #[test]
    fn named_targets_keep_the_level_the_operator_gave_them() {
        assert_eq!(
            payload_free("debug,rmcp=trace"),
            "info,smartalex_mcp=debug,rmcp=trace"
        );
        assert_eq!(payload_free("rmcp=debug"), "rmcp=debug");
        let named = format!("info,{SESSIONS}=info");
        assert_eq!(directives(Some(&named)), named);
    }

    #[test]
    fn quiet_levels_and_the_default_are_unchanged_but_for_session_ids() {
        let quiet = format!(",{SESSIONS}=warn");
        assert_eq!(directives(None), format!("warn{quiet}"));
        assert_eq!(directives(Some("")), format!("warn{quiet}"));
        assert_eq!(directives(Some("info")), format!("info{quiet}"));
        assert_eq!(
            directives(Some("warn,smartalex_mcp=debug")),
            format!("warn,smartalex_mcp=debug{quiet}")
        );
    }
}
