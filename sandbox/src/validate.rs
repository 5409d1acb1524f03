//! Request validation with the gateway's exact messages.
//!
//! A request body is checked against its operation's request schema, from
//! the spec, by the one checker the MCP server uses on tool arguments
//! (`smartalex-schema`); this module only words its typed violations the
//! way the gateway does, as the error reference documents:
//!
//! * 400 `Invalid request body: <field> is required` — a required field is missing;
//! * 400 `Invalid request body: <field> must be one of: a, b` — a bad enum value
//!   (`must contain only: …` for an item of a list);
//! * 400 `Invalid UUID format` — a malformed id in the path;
//! * 422 `<field>: <problem>` in zod's words — wrong type, too short, bad
//!   format, out of range; `Unrecognized key(s) in object: 'x'` for an unknown field.
//!
//! One problem is reported, in the order the gateway checks: unknown
//! fields, then missing ones, then each field in the schema's order.
//! Validation never panics and never trusts sizes.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use smartalex_schema::{Problem, Schema, Violation};

use super::errors::ApiError;

/// The E.164 pattern of the spec's phone numbers.
const PHONE: &str = r"^\+[1-9][0-9]{6,14}$";
/// The spec's 24-hour `HH:MM`.
const HH_MM: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// The spec's ISO 4217 currency code.
const CURRENCY: &str = "^[A-Z]{3}$";

/// A body that passed its operation's schema: only known fields, each
/// well-formed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body(Arc<Map<String, Value>>);

impl Body {
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
    pub(crate) fn list(&self, name: &str) -> Option<Vec<String>> {
        self.0.get(name).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
    }
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    /// The provided fields (every one a property of the schema).
    pub(crate) fn provided(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Parse and check a JSON body against its operation's compiled schema.
pub(crate) fn body(bytes: &[u8], schema: &Schema) -> Result<Body, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::body("expected a JSON object"));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::body(format!("malformed JSON ({e})")))?;
    if !value.is_object() {
        return Err(ApiError::body("expected a JSON object"));
    }
    let violations = schema.check(&value);
    if let Some(error) = gateway_error(&violations) {
        return Err(error);
    }
    match value {
        Value::Object(map) => Ok(Body(Arc::new(map))),
        _ => Err(ApiError::body("expected a JSON object")),
    }
}

/// The one error the gateway reports for `violations`, if any.
fn gateway_error(violations: &[Violation]) -> Option<ApiError> {
    let unknown = violations.iter().find_map(|v| match &v.problem {
        Problem::Unknown(names) => Some(names),
        _ => None,
    });
    if let Some(names) = unknown {
        let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        return Some(ApiError::Validation(format!(
            "Unrecognized key(s) in object: {}",
            quoted.join(", ")
        )));
    }
    if let Some(missing) = violations.iter().find(|v| v.problem == Problem::Required) {
        return Some(ApiError::body(format!("{} is required", missing.path)));
    }
    let first = violations.first()?;
    // zod checks a list's items before their uniqueness.
    let first = match first.problem {
        Problem::Duplicates => {
            let items = format!("{}.", first.path);
            violations
                .iter()
                .find(|v| v.path.starts_with(&items))
                .unwrap_or(first)
        }
        _ => first,
    };
    Some(worded(first))
}

/// One violation in the gateway's words.
fn worded(v: &Violation) -> ApiError {
    let field = |problem: String| ApiError::field(&v.path, problem);
    match &v.problem {
        Problem::Type { expected, received } => match (expected.as_str(), *received) {
            ("integer", "float") => field("Expected integer, received float".into()),
            ("integer", received) => field(format!("Expected number, received {received}")),
            (expected, received) => field(format!("Expected {expected}, received {received}")),
        },
        Problem::Enum(allowed) => {
            let list: Vec<String> = allowed
                .iter()
                .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
                .collect();
            match list_item_of(&v.path) {
                Some(list_name) => ApiError::body(format!(
                    "{list_name} must contain only: {}",
                    list.join(", ")
                )),
                None => ApiError::body(format!("{} must be one of: {}", v.path, list.join(", "))),
            }
        }
        Problem::MinLength(n) => field(format!("String must contain at least {n} character(s)")),
        Problem::MaxLength(n) => field(format!("String must contain at most {n} character(s)")),
        Problem::Pattern(pattern) => field(
            match pattern.as_str() {
                PHONE => "Invalid phone number: use E.164, e.g. +14155550123",
                HH_MM => "Invalid time: use HH:MM (24-hour)",
                CURRENCY => "Invalid currency: use a 3-letter ISO 4217 code, e.g. USD",
                _ => "Invalid",
            }
            .into(),
        ),
        Problem::Format(format) => field(
            match format.as_str() {
                "email" => "Invalid email",
                "uri" => "Invalid url",
                "uuid" => "Invalid uuid",
                "date" => "Invalid date: use YYYY-MM-DD",
                "date-time" => "Invalid datetime",
                _ => "Invalid",
            }
            .into(),
        ),
        Problem::Minimum(n) => field(format!("Number must be greater than or equal to {n}")),
        Problem::Maximum(n) => field(format!("Number must be less than or equal to {n}")),
        Problem::ExclusiveMinimum(n) => field(format!("Number must be greater than {n}")),
        Problem::ExclusiveMaximum(n) => field(format!("Number must be less than {n}")),
        Problem::MinItems(n) => field(format!("Array must contain at least {n} element(s)")),
        Problem::MaxItems(n) => field(format!("Array must contain at most {n} element(s)")),
        Problem::Duplicates => field("Items must be unique".into()),
        Problem::Required => ApiError::body(format!("{} is required", v.path)),
        _ => field(v.message.clone()),
    }
}

/// `tags` for `tags.3`: the list an item belongs to.
fn list_item_of(path: &str) -> Option<&str> {
    let (list, index) = path.rsplit_once('.')?;
    index.bytes().all(|b| b.is_ascii_digit()).then_some(list)
}

/// The path id, lower-cased, or 400 `Invalid UUID format`.
pub(crate) fn path_id(raw: &str) -> Result<String, ApiError> {
    // The same UUID rule as every `format: uuid` of the spec.
    if smartalex_schema::format_ok("uuid", raw) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::InvalidUuid)
    }
}

/// Pagination from the query string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) page: i64,
    pub(crate) per_page: i64,
}

impl Page {
    pub(crate) fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// Pages past the end are empty, however far: a page number too large for
/// an `i64` is clamped (its page is empty either way) rather than refused.
const MAX_PAGE: i64 = 1_000_000_000_000_000;

pub(crate) fn page(query: &HashMap<String, String>) -> Result<Page, ApiError> {
    let page = match query.get("page").map(|p| p.trim()) {
        Some(p) if p.len() > 15 && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0') => {
            MAX_PAGE
        }
        _ => int_param(query, "page", 1, 1, MAX_PAGE)?,
    };
    let per_page = int_param(query, "per_page", 25, 1, 100)?;
    Ok(Page { page, per_page })
}

/// An integer query parameter in `min..=max`, or `default` when absent.
pub(crate) fn int_param(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(default);
    };
    let bad = || {
        if max >= MAX_PAGE {
            ApiError::query(format!("{name} must be an integer >= {min}"))
        } else {
            ApiError::query(format!("{name} must be an integer between {min} and {max}"))
        }
    };
    let n: i64 = raw.trim().parse().map_err(|_| bad())?;
    if n < min || n > max {
        return Err(bad());
    }
    Ok(n)
}

/// An optional enum query parameter.
pub(crate) fn enum_param<'q>(
    query: &'q HashMap<String, String>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'q str>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.as_str())),
        Some(_) => Err(ApiError::query(format!(
            "{name} must be one of: {}",
            allowed.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type":"object","additionalProperties":false,"required":["name"],
        "properties":{
            "name":{"type":"string","minLength":1,"maxLength":200},
            "stage":{"type":"string","enum":["lead","qualified"]},
            "value":{"type":"number","minimum":0},
            "count":{"type":"integer","minimum":1},
            "ids":{"type":"array","minItems":1,"maxItems":2,"items":{"type":"string","format":"uuid"}},
            "events":{"type":"array","uniqueItems":true,"items":{"type":"string","enum":["a","b"]}},
            "phone":{"type":"string","pattern":"^\\+[1-9][0-9]{6,14}$"},
            "at":{"type":"string","pattern":"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "currency":{"type":"string","pattern":"^[A-Z]{3}$"},
            "day":{"type":"string","format":"date"},
            "mail":{"type":"string","format":"email","maxLength":254},
            "url":{"type":"string","format":"uri"},
            "timezone":{"type":"string","maxLength":64}}}"#;

    fn msg(json: &str) -> String {
        let schema = Schema::compile(SCHEMA).unwrap();
        match body(json.as_bytes(), &schema) {
            Ok(_) => "ok".into(),
            Err(e) => format!("{} {}", e.status().as_u16(), e),
        }
    }

    #[test]
    fn messages_name_the_field_and_the_problem() {
        assert_eq!(msg(r#"{"name":"x"}"#), "ok");
        assert_eq!(msg(r#"{}"#), "400 Invalid request body: name is required");
        assert_eq!(
            msg(r#"{"name":""}"#),
            "422 name: String must contain at least 1 character(s)"
        );
        assert_eq!(
            msg(r#"{"name":1}"#),
            "422 name: Expected string, received number"
        );
        assert_eq!(
            msg(r#"{"name":"x","stage":"won"}"#),
            "400 Invalid request body: stage must be one of: lead, qualified"
        );
        assert_eq!(
            msg(r#"{"name":"x","value":-1}"#),
            "422 value: Number must be greater than or equal to 0"
        );
        assert_eq!(
            msg(r#"{"name":"x","count":1.5}"#),
            "422 count: Expected integer, received float"
        );
        assert_eq!(
            msg(r#"{"name":"x","count":685456795552531290783744}"#),
            "422 count: Number must be less than or equal to 9007199254740991"
        );
        assert_eq!(
            msg(r#"{"name":"x","count":"2"}"#),
            "422 count: Expected number, received string"
        );
        assert_eq!(
            msg(r#"{"name":"x","bogus":1,"other":2}"#),
            "422 Unrecognized key(s) in object: 'bogus', 'other'"
        );
        assert_eq!(
            msg(r#"{"bogus":1}"#),
            "422 Unrecognized key(s) in object: 'bogus'",
            "unknown fields come before missing ones"
        );
        assert_eq!(
            msg(r#"{"name":"x","ids":["nope"]}"#),
            "422 ids.0: Invalid uuid"
        );
        assert_eq!(
            msg(r#"{"name":"x","ids":[]}"#),
            "422 ids: Array must contain at least 1 element(s)"
        );
        assert_eq!(
            msg(r#"{"name":"x","events":["a","a"]}"#),
            "422 events: Items must be unique"
        );
        assert_eq!(
            msg(r#"{"name":"x","events":["c","c"]}"#),
            "400 Invalid request body: events must contain only: a, b"
        );
        assert_eq!(
            msg(r#"[1]"#),
            "400 Invalid request body: expected a JSON object"
        );
        assert_eq!(
            msg("  "),
            "400 Invalid request body: expected a JSON object"
        );
        assert!(msg("{").starts_with("400 Invalid request body: malformed JSON"));
    }

    #[test]
    fn formats_and_patterns_in_the_gateway_words() {
        for (body, expected) in [
            (
                r#"{"name":"x","phone":"555"}"#,
                "422 phone: Invalid phone number: use E.164, e.g. +14155550123",
            ),
            (
                r#"{"name":"x","at":"24:00"}"#,
                "422 at: Invalid time: use HH:MM (24-hour)",
            ),
            (
                r#"{"name":"x","currency":"usd"}"#,
                "422 currency: Invalid currency: use a 3-letter ISO 4217 code, e.g. USD",
            ),
            (
                r#"{"name":"x","day":"2026-2-3"}"#,
                "422 day: Invalid date: use YYYY-MM-DD",
            ),
            (r#"{"name":"x","mail":"a@b"}"#, "422 mail: Invalid email"),
            (r#"{"name":"x","url":"nope"}"#, "422 url: Invalid url"),
        ] {
            assert_eq!(msg(body), expected, "{body}");
        }
        // The spec allows any time zone name; so does the sandbox.
        assert_eq!(msg(r#"{"name":"x","timezone":"Mars/Olympus_Mons"}"#), "ok");
    }

    #[test]
    fn path_ids() {
        assert!(path_id("A1B2C3D4-E5F6-7890-ABCD-EF1234567890").is_ok());
        assert!(matches!(path_id("123"), Err(ApiError::InvalidUuid)));
    }
}
