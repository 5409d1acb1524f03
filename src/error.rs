//! Why a tool call failed, and what the assistant is told.
//!
//! A failed call is read by a model, not a person at a terminal, and the
//! model's next move depends on the text: retry, fix an argument, look up an
//! id, or ask the user to fix their key. So every message has one shape,
//! taken from the product's error reference:
//!
//! ```text
//! Failed to <action>: <what the gateway said>. <how to recover>
//! ```
//!
//! e.g. `Failed to list contacts: Authorization required. Check your API key
//! is valid and not expired.` Inside the crate errors stay typed
//! ([`CallError`]); the text is made only at the edge, by
//! [`CallError::message`], and every kind is pinned by a snapshot test.
//!
//! Two rules: a message never contains the API key (nothing here ever sees
//! it), and never more than a short excerpt of a foreign body (an HTML error
//! page is cut to its first bytes).

use std::fmt::Write as _;

use crate::tools::ToolSpec;
use smartalex::KeyError;

/// How much of a non-JSON gateway body a message quotes.
const SNIPPET_CHARS: usize = 60;

/// A tool call that did not produce a result.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No tool of that name is served.
    UnknownTool(String),
    /// The arguments break the tool's input schema; nothing was sent.
    InvalidArguments(Vec<Violation>),
    /// `SMARTALEX_API_KEY` is not set; nothing was sent.
    MissingKey,
    /// `SMARTALEX_API_KEY` is not a SmartAlex key; nothing was sent.
    MalformedKey(KeyError),
    /// The gateway answered with a JSON error body.
    Gateway(GatewayError),
    /// The gateway answered with something that is not JSON (an HTML page).
    NonJson {
        status: Option<u16>,
        snippet: String,
    },
    /// A success response that does not match the spec.
    BadPayload(String),
    /// Could not connect to the gateway.
    Unreachable { origin: String },
    /// The gateway did not answer in time.
    Timeout { seconds: u64 },
    /// The gateway's answer was over [`crate::MAX_RESPONSE_BYTES`]; the rest
    /// was not read.
    TooLarge { limit: usize },
    /// Anything else on the way (TLS, a broken connection mid-body, ...).
    Transport(String),
    /// A tool that asks first, called without approval by a client that
    /// cannot ask the user: the question to put to them.
    ConfirmationRequired { question: String },
    /// The user said no (or dismissed the question).
    Declined,
}

/// One way the arguments break the schema.
pub use smartalex_schema::Violation;

/// The gateway's JSON error body with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayError {
    pub status: u16,
    /// `error`: the gateway's message.
    pub error: String,
    /// `message`: a longer explanation, when given (429).
    pub message: Option<String>,
    /// Seconds to wait, from `retryAfter` or the `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl CallError {
    /// The gateway's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Gateway(g) => Some(g.status),
            CallError::NonJson { status, .. } => *status,
            _ => None,
        }
    }

    /// A short, secret-free label for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::UnknownTool(_) => "unknown_tool",
            CallError::InvalidArguments(_) => "invalid_arguments",
            CallError::MissingKey => "missing_key",
            CallError::MalformedKey(_) => "malformed_key",
            CallError::Gateway(g) if g.status >= 500 => "gateway_5xx",
            CallError::Gateway(g) if g.status == 429 => "gateway_429",
            CallError::Gateway(_) => "gateway_4xx",
            CallError::NonJson { .. } => "non_json",
            CallError::BadPayload(_) => "bad_payload",
            CallError::Unreachable { .. } => "unreachable",
            CallError::Timeout { .. } => "timeout",
            CallError::TooLarge { .. } => "too_large",
            CallError::Transport(_) => "transport",
            CallError::ConfirmationRequired { .. } => "confirmation_required",
            CallError::Declined => "declined",
        }
    }

    /// The text the assistant sees for a failed call of `tool`.
    pub fn message(&self, tool: &ToolSpec) -> String {
        let action = tool.action;
        let (said, hint) = match self {
            CallError::UnknownTool(name) => {
                return format!(
                    "Unknown tool: {name}. Call tools/list to see the tools this server offers."
                );
            }
            CallError::InvalidArguments(violations) => {
                let mut said = String::from("invalid arguments: ");
                for (i, v) in violations.iter().enumerate() {
                    if i > 0 {
                        said.push_str("; ");
                    }
                    if v.path.is_empty() {
                        said.push_str(&v.message);
                    } else {
                        let _ = write!(said, "{}: {}", v.path, v.message);
                    }
                }
                (
                    said,
                    "Nothing was sent to SmartAlex. Fix the arguments to match the tool's input schema and call again.".to_owned(),
                )
            }
            CallError::MissingKey => (
                "Authorization required".to_owned(),
                format!(
                    "{HINT_401} SMARTALEX_API_KEY is not set: create a key in the SmartAlex Developer Portal and set it in this server's environment."
                ),
            ),
            CallError::MalformedKey(why) => (
                format!("SMARTALEX_API_KEY is not a valid SmartAlex API key: {why}"),
                "Regenerate your API key from the Developer Portal and set it in this server's environment.".to_owned(),
            ),
            CallError::Gateway(g) => (g.error.clone(), gateway_hint(g, tool)),
            CallError::NonJson { snippet, .. } => (
                format!("Gateway error: {snippet}"),
                "The SmartAlex API gateway returned an error page instead of JSON; it is usually temporarily unavailable. Retry after a few seconds; if it persists, the gateway may be experiencing an outage.".to_owned(),
            ),
            CallError::BadPayload(detail) => (
                format!("the gateway's response does not match the API spec ({detail})"),
                "This server and the API gateway may be different versions: update smartalex-mcp to the latest release.".to_owned(),
            ),
            CallError::Unreachable { origin } => (
                format!("could not connect to the SmartAlex API gateway at {origin}"),
                "Check SMARTALEX_API_URL and your network connection, then retry.".to_owned(),
            ),
            CallError::Timeout { seconds } => (
                format!(
                    "the SmartAlex API gateway did not answer within {seconds} second{}",
                    if *seconds == 1 { "" } else { "s" }
                ),
                "Retry after a few seconds; if it persists, the gateway may be experiencing an outage.".to_owned(),
            ),
            CallError::ConfirmationRequired { question } => (
                "confirmation required".to_owned(),
                format!(
                    "This tool asks the user first: \"{question}\" Ask them; if they approve, call it again with the same arguments and confirm: true."
                ),
            ),
            CallError::Declined => (
                "the user declined".to_owned(),
                "Nothing was changed. Do not retry unless the user asks for it.".to_owned(),
            ),
            CallError::TooLarge { limit } => (
                format!(
                    "the SmartAlex API gateway's answer is larger than {} MiB, the most this server reads",
                    limit / (1024 * 1024)
                ),
                "Ask for less at once: a smaller per_page, or a narrower filter.".to_owned(),
            ),
            CallError::Transport(detail) => (
                format!("the connection to the SmartAlex API gateway failed ({detail})"),
                "Retry the request; transient network errors often resolve on the next attempt.".to_owned(),
            ),
        };
        join(&format!("Failed to {action}: {said}"), &hint)
    }
}

/// The hint the error reference gives for 401.
const HINT_401: &str = "Check your API key is valid and not expired.";

fn gateway_hint(g: &GatewayError, tool: &ToolSpec) -> String {
    match g.status {
        400 => "Check your input parameters: required fields must be present, ids must be UUIDs (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), and enum fields accept only the listed values.".to_owned(),
        401 => HINT_401.to_owned(),
        403 if g.error.contains("write permission") => {
            "Generate a new API key with both read and write permissions from the Developer Portal.".to_owned()
        }
        403 if g.error.contains("User principal") => {
            "Regenerate the API key from a user account with appropriate permissions.".to_owned()
        }
        403 => "Ask your workspace admin to grant the required page permission; API keys inherit permissions from the user who created them.".to_owned(),
        // 404 for an unknown path, 405 for a known path with another method.
        _ if g.error.starts_with("No route found") => {
            "This server and the API gateway disagree on routes (a version mismatch): update smartalex-mcp to the latest release.".to_owned()
        }
        404 => match crate::tools::list_tool(tool.domain) {
            Some(list) => format!(
                "Verify the UUID is correct, or use {} to find valid IDs; resources are workspace-scoped.",
                list.name
            ),
            None => "Verify the UUID is correct; resources are workspace-scoped.".to_owned(),
        },
        422 => "Check your input parameters for validation errors.".to_owned(),
        429 => match g.retry_after {
            Some(s) => format!(
                "Rate limit exceeded: wait {s} second{} before retrying.",
                if s == 1 { "" } else { "s" }
            ),
            None => "Rate limit exceeded: wait a minute before retrying.".to_owned(),
        },
        s if s >= 500 => "Retry the request; transient errors often resolve on the next attempt. If it persists, contact support@getsmartalex.com with the request details.".to_owned(),
        s => format!("The gateway answered HTTP {s}; check your input parameters and retry."),
    }
}

/// `said` + `. ` + `hint`, without doubling the sentence end.
fn join(said: &str, hint: &str) -> String {
    let said = said.trim_end();
    if said.ends_with(['.', '…', '!', '?']) {
        format!("{said} {hint}")
    } else {
        format!("{said}. {hint}")
    }
}

/// The first characters of a foreign body, on one line, with `…` if cut.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= SNIPPET_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(SNIPPET_CHARS).collect();
    cut.push('…');
    cut
}
