//! Log messages for the client, as each protocol era defines them.
//!
//! The operator's log goes to stderr ([`crate::logs`]); this is the other
//! audience: the client (and the person behind it) watching what its calls
//! did. Each era says differently who asks for it:
//!
//! - **2025-11-25 and earlier**: `logging/setLevel` sets a level for the
//!   session; from then on, messages at or above it are sent as
//!   `notifications/message`. Before it, nothing is sent.
//! - **2026-07-28**: no session and no `logging/setLevel` (the method is
//!   gone: "method not found"); a request that wants messages names the level
//!   in its own `_meta` (`io.modelcontextprotocol/logLevel`), and only that
//!   request's messages are sent, on its own response stream.
//!
//! A message says what an operator would want to know about one tool call —
//! the tool, its outcome, the gateway's status, how long it took — and
//! nothing else: never arguments, answers, credentials or customer data
//! ([`CallReport`] carries none).

#![allow(deprecated)] // Logging is deprecated by SEP-2577, and still part of both eras.

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::RequestContext;
use serde_json::json;

use crate::registry::CallReport;

/// The logger name messages carry.
const LOGGER: &str = "smartalex";

/// A session's level, set by `logging/setLevel` (shared by the clones of one
/// session's server).
#[derive(Debug, Clone, Default)]
pub struct SessionLevel(Arc<Mutex<Option<LoggingLevel>>>);

impl SessionLevel {
    pub fn set(&self, level: LoggingLevel) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(level);
    }

    fn get(&self) -> Option<LoggingLevel> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Severity order (the protocol's, from `debug` up).
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// The level below which this request's messages are not sent, if any are.
fn threshold(
    context: &RequestContext<RoleServer>,
    session: &SessionLevel,
    stateless: bool,
) -> Option<LoggingLevel> {
    if stateless {
        context.meta.log_level()
    } else {
        session.get()
    }
}

/// The message about a call: `info` when it worked, `warning` when not.
pub fn message(report: &CallReport) -> LoggingMessageNotificationParam {
    let level = if report.outcome == "ok" {
        LoggingLevel::Info
    } else {
        LoggingLevel::Warning
    };
    let millis = (report.elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    LoggingMessageNotificationParam::new(
        level,
        json!({
            "tool": report.tool,
            "outcome": report.outcome,
            "status": report.status,
            "duration_ms": millis,
        }),
    )
    .with_logger(LOGGER)
}

/// Tell the client about `report`, if it asked to hear at that level.
pub async fn report(
    context: &RequestContext<RoleServer>,
    session: &SessionLevel,
    stateless: bool,
    report: &CallReport,
) {
    let Some(min) = threshold(context, session, stateless) else {
        return;
    };
    let message = message(report);
    if rank(message.level) < rank(min) {
        return;
    }
    if let Err(e) = context.peer.notify_logging_message(message).await {
        tracing::debug!("log message not sent: {e}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_message_names_the_call_and_nothing_else() {
        let report = CallReport {
            tool: "smartalex_get_contact",
            outcome: "gateway_4xx",
            status: Some(404),
            elapsed: Duration::from_micros(12_345),
        };
        let m = message(&report);
        assert_eq!(m.level, LoggingLevel::Warning);
        assert_eq!(m.logger.as_deref(), Some("smartalex"));
        assert_eq!(
            m.data,
            json!({"tool": "smartalex_get_contact", "outcome": "gateway_4xx",
                "status": 404, "duration_ms": 12.3})
        );
    }

    #[test]
    fn levels_order_from_debug_to_emergency() {
        let all = [
            LoggingLevel::Debug,
            LoggingLevel::Info,
            LoggingLevel::Notice,
            LoggingLevel::Warning,
            LoggingLevel::Error,
            LoggingLevel::Critical,
            LoggingLevel::Alert,
            LoggingLevel::Emergency,
        ];
        assert!(all.windows(2).all(|w| rank(w[0]) < rank(w[1])));
    }
}
