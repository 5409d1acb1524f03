//! Checking a tool call's arguments against the tool's input schema.
//!
//! This runs before anything is sent, so a wrong argument costs one local
//! check instead of a gateway round trip, and a model gets every problem at
//! once. The messages are rewritten from the validator's defaults to what a
//! model needs to fix the call in one go: the argument's path, what it must
//! be (all enum values, not "or 5 other candidates"), and the value it got,
//! cut short so a huge argument never floods the reply.

use serde_json::Value;

use jsonschema::error::{TypeKind, ValidationErrorKind};

use crate::error::Violation;

/// The longest excerpt of a bad value quoted back.
const MAX_QUOTE: usize = 40;

/// A tool's compiled input schema.
#[derive(Debug)]
pub(crate) struct ArgsSchema {
    validator: jsonschema::Validator,
    /// The argument names, for "unexpected argument" messages.
    names: Vec<String>,
}

impl ArgsSchema {
    pub(crate) fn compile(schema_json: &str) -> Result<Self, String> {
        let schema: Value = serde_json::from_str(schema_json).map_err(|e| e.to_string())?;
        let names = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| e.to_string())?;
        Ok(Self { validator, names })
    }

    /// Every violation in `args`, in document order.
    pub(crate) fn check(&self, args: &Value) -> Vec<Violation> {
        self.validator
            .iter_errors(args)
            .map(|e| {
                self.violation(
                    e.instance_path().as_str(),
                    e.kind(),
                    e.instance(),
                    &e.to_string(),
                )
            })
            .collect()
    }

    fn violation(
        &self,
        pointer: &str,
        kind: &ValidationErrorKind,
        got: &Value,
        fallback: &str,
    ) -> Violation {
        let base = pointer.trim_start_matches('/').replace('/', ".");
        let at = |name: &str| {
            if base.is_empty() {
                name.to_owned()
            } else {
                format!("{base}.{name}")
            }
        };
        let (path, message) = match kind {
            ValidationErrorKind::Required { property } => (
                at(property.as_str().unwrap_or_default()),
                "is required".to_owned(),
            ),
            ValidationErrorKind::AdditionalProperties { unexpected } => (
                at(&unexpected.join(", ")),
                if base.is_empty() {
                    format!(
                        "is not an argument of this tool (it takes: {})",
                        self.names.join(", ")
                    )
                } else {
                    "is not a known field here".to_owned()
                },
            ),
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> = options
                    .as_array()
                    .map(|o| o.iter().map(plain).collect())
                    .unwrap_or_default();
                (
                    base,
                    format!(
                        "must be one of: {} (got {})",
                        allowed.join(", "),
                        quote(got)
                    ),
                )
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(ts) => format!("{ts:?}"),
                };
                (
                    base,
                    format!(
                        "must be {} {expected} (got {})",
                        article(&expected),
                        quote(got)
                    ),
                )
            }
            ValidationErrorKind::Format { format } => (base, format_message(format, got)),
            ValidationErrorKind::MinLength { limit } => {
                (base, format!("must contain at least {limit} character(s)"))
            }
            ValidationErrorKind::MaxLength { limit } => {
                (base, format!("must contain at most {limit} character(s)"))
            }
            ValidationErrorKind::MinItems { limit } => {
                (base, format!("must have at least {limit} item(s)"))
            }
            ValidationErrorKind::MaxItems { limit } => (
                base,
                format!(
                    "must have at most {limit} items (got {}); split it into several calls",
                    got.as_array().map_or(0, Vec::len)
                ),
            ),
            ValidationErrorKind::Minimum { limit } => (
                base,
                format!("must be at least {limit} (got {})", quote(got)),
            ),
            ValidationErrorKind::Maximum { limit } => (
                base,
                format!("must be at most {limit} (got {})", quote(got)),
            ),
            ValidationErrorKind::Pattern { pattern } => (
                base,
                format!("must match the pattern {pattern} (got {})", quote(got)),
            ),
            ValidationErrorKind::UniqueItems => (base, "must not contain duplicates".to_owned()),
            _ => (base, fallback.to_owned()),
        };
        Violation { path, message }
    }
}

fn format_message(format: &str, got: &Value) -> String {
    match format {
        "uuid" => format!(
            "must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got {})",
            quote(got)
        ),
        "uri" => format!(
            "must be an absolute URL like https://example.com (got {})",
            quote(got)
        ),
        "email" => format!("must be an email address (got {})", quote(got)),
        "date" => format!("must be a date like 2026-12-31 (got {})", quote(got)),
        "date-time" => format!(
            "must be an RFC 3339 date-time like 2026-12-31T09:00:00Z (got {})",
            quote(got)
        ),
        other => format!("must be a valid {other} (got {})", quote(got)),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// An enum value as written in a list: strings bare, others as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The offending value as compact JSON, cut to [`MAX_QUOTE`] characters.
fn quote(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= MAX_QUOTE {
        return text;
    }
    let cut: String = text.chars().take(MAX_QUOTE).collect();
    format!("{cut}…")
}
