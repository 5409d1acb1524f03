//! Request validation with the gateway's exact messages.
//!
//! A request body is checked against its operation's request schema, and
//! the query parameters against theirs, from the spec, by the one checker
//! the MCP server uses on tool arguments (`smartalex-schema`); this module
//! only words its typed violations the way the gateway does, as the error
//! reference documents (a query's problems are 400 `Invalid query
//! parameter: …`, see [`query`]):
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
use std::num::NonZeroU64;
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
/// The spec's area code, searching for numbers.
const AREA_CODE: &str = "^[0-9]{2,4}$";

/// A body that passed its operation's schema: only known fields, each
/// well-formed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body(Arc<Map<String, Value>>);

impl Body {
    /// A typed body's members, as the caller sent them (the SDK's types
    /// leave absent optional members out): what storage writes by name.
    pub(crate) fn of<T: serde::Serialize>(typed: &T) -> Result<Body, ApiError> {
        match serde_json::to_value(typed) {
            Ok(Value::Object(map)) => Ok(Body(Arc::new(map))),
            Ok(_) => Err(ApiError::internal("a request body type wrote no object")),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
    /// The checked body as the operation's SDK type. The SDK's type and the
    /// checker read the same schema; a body one refuses and the other
    /// passes is answered as a 422 naming the problem.
    pub(crate) fn read<T: serde::de::DeserializeOwned>(self) -> Result<T, ApiError> {
        let map = Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone());
        serde_json::from_value(Value::Object(map)).map_err(|e| ApiError::field("body", e))
    }
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

/// Pagination from the checked `page` and `per_page` (the router applied
/// the spec's defaults, so the fallbacks here only guard).
pub(crate) fn page(page: Option<NonZeroU64>, per_page: Option<NonZeroU64>) -> Page {
    let clamped = |n: NonZeroU64| i64::try_from(n.get()).unwrap_or(MAX_PAGE).min(MAX_PAGE);
    Page {
        page: page.map_or(1, clamped),
        per_page: per_page.map_or(25, clamped),
    }
}

/// An operation's query parameters as one object schema, compiled once:
/// the shared checker, and each parameter's own schema (its type, default
/// and bounds).
#[derive(Debug)]
pub(crate) struct QuerySchema {
    checker: Schema,
    params: Map<String, Value>,
}

impl QuerySchema {
    pub(crate) fn compile(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let params = value
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        Ok(QuerySchema {
            checker: Schema::compile(text)?,
            params,
        })
    }
}

/// Query parameters that passed their operation's schema: each as JSON of
/// its type, the spec's defaults filled in, unknown ones left out.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckedQuery(Map<String, Value>);

impl CheckedQuery {
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }
}

/// Check a query string's parameters against the operation's schema, with
/// the one checker request bodies go through, and word the first problem
/// the gateway's way (400 `Invalid query parameter: …`): `<name> is
/// required`, `<name> must be one of: a, b`, `<name> must be an integer
/// between 1 and 100` (`>= 1` without a maximum), `area_code must be 2 to 4
/// digits`; a malformed id is `Invalid UUID format`, as in the path.
pub(crate) fn query(
    raw: &HashMap<String, String>,
    schema: &QuerySchema,
) -> Result<CheckedQuery, ApiError> {
    let mut typed = Map::new();
    for (name, param) in &schema.params {
        match raw.get(name) {
            Some(text) => {
                typed.insert(name.clone(), typed_param(param, text));
            }
            None => {
                if let Some(default) = param.get("default") {
                    typed.insert(name.clone(), default.clone());
                }
            }
        }
    }
    let typed = Value::Object(typed);
    let violations = schema.checker.check(&typed);
    let first = violations
        .iter()
        .find(|v| v.problem == Problem::Required)
        .or_else(|| violations.first());
    if let Some(v) = first {
        return Err(query_error(v, schema.params.get(&v.path)));
    }
    match typed {
        Value::Object(map) => Ok(CheckedQuery(map)),
        _ => Ok(CheckedQuery::default()),
    }
}

/// A parameter's text as JSON of its schema's type: an integer's digits as
/// a number, anything else as the text sent. Numbers past what JSON carries
/// exactly (2^53 - 1, which the checker holds every integer to) become
/// that: a page that far is empty, a bounded parameter is out of bounds.
fn typed_param(param: &Value, text: &str) -> Value {
    const LARGEST: i64 = (1 << 53) - 1;
    if param.get("type").and_then(Value::as_str) != Some("integer") {
        return Value::String(text.to_owned());
    }
    let trimmed = text.trim();
    match trimmed.parse::<i64>() {
        Ok(n) => Value::from(n.clamp(-LARGEST, LARGEST)),
        Err(_) if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) => {
            Value::from(LARGEST)
        }
        Err(_) => Value::String(text.to_owned()),
    }
}

/// One query violation in the gateway's words.
fn query_error(v: &Violation, param: Option<&Value>) -> ApiError {
    let name = &v.path;
    let bound = |key: &str| param.and_then(|p| p.get(key)).and_then(Value::as_i64);
    let integer = param.and_then(|p| p.get("type")).and_then(Value::as_str) == Some("integer");
    match &v.problem {
        Problem::Required => ApiError::query(format!("{name} is required")),
        Problem::Enum(allowed) => {
            let list: Vec<String> = allowed
                .iter()
                .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
                .collect();
            ApiError::query(format!("{name} must be one of: {}", list.join(", ")))
        }
        Problem::Format(format) if format == "uuid" => ApiError::InvalidUuid,
        Problem::Pattern(pattern) if pattern == AREA_CODE => {
            ApiError::query(format!("{name} must be 2 to 4 digits"))
        }
        Problem::Type { .. } | Problem::Minimum(_) | Problem::Maximum(_) if integer => {
            match (bound("minimum").unwrap_or(0), bound("maximum")) {
                (min, Some(max)) => {
                    ApiError::query(format!("{name} must be an integer between {min} and {max}"))
                }
                (min, None) => ApiError::query(format!("{name} must be an integer >= {min}")),
            }
        }
        _ => ApiError::query(format!("{name}: {}", v.message)),
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

    /// The spec's query parameters of `search_available_numbers` and a list.
    const QUERY: &str = r#"{"type":"object","required":["country"],"properties":{
        "country":{"type":"string","enum":["US","CA"]},
        "area_code":{"type":"string","pattern":"^[0-9]{2,4}$"},
        "limit":{"type":"integer","minimum":1,"maximum":20,"default":10},
        "page":{"type":"integer","minimum":1,"default":1},
        "campaign_id":{"type":"string","format":"uuid"}}}"#;

    fn checked(pairs: &[(&str, &str)]) -> Result<Value, String> {
        let schema = QuerySchema::compile(QUERY).unwrap();
        let raw: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        query(&raw, &schema)
            .map(|q| Value::Object(q.0))
            .map_err(|e| format!("{} {}", e.status().as_u16(), e))
    }

    #[test]
    fn query_parameters_are_typed_defaulted_and_worded_as_the_gateway_does() {
        assert_eq!(
            checked(&[("country", "US"), ("limit", " 5 "), ("other", "x")]),
            Ok(serde_json::json!({"country": "US", "limit": 5, "page": 1}))
        );
        // A page too far to count is the last one there could be, not an error.
        for far in ["10000000000000000", "123456789012345678901234"] {
            assert_eq!(
                checked(&[("country", "US"), ("page", far)]).map(|q| q["page"].clone()),
                Ok(Value::from((1_i64 << 53) - 1)),
                "{far}"
            );
        }
        for (pairs, expected) in [
            (
                &[("limit", "5")][..],
                "400 Invalid query parameter: country is required",
            ),
            (
                &[("country", "us")][..],
                "400 Invalid query parameter: country must be one of: US, CA",
            ),
            (
                &[("country", "US"), ("limit", "21")][..],
                "400 Invalid query parameter: limit must be an integer between 1 and 20",
            ),
            (
                &[("country", "US"), ("limit", "100000000000000000000")][..],
                "400 Invalid query parameter: limit must be an integer between 1 and 20",
            ),
            (
                &[("country", "US"), ("limit", "ten")][..],
                "400 Invalid query parameter: limit must be an integer between 1 and 20",
            ),
            (
                &[("country", "US"), ("page", "0")][..],
                "400 Invalid query parameter: page must be an integer >= 1",
            ),
            (
                &[("country", "US"), ("page", "1.5")][..],
                "400 Invalid query parameter: page must be an integer >= 1",
            ),
            (&[("country", "US"), ("area_code", "4155")][..], "ok"),
            (
                &[("country", "US"), ("area_code", "41a")][..],
                "400 Invalid query parameter: area_code must be 2 to 4 digits",
            ),
            (
                &[("country", "US"), ("campaign_id", "123")][..],
                "400 Invalid UUID format",
            ),
        ] {
            let got = checked(pairs).map_or_else(|e| e, |_| "ok".to_owned());
            assert_eq!(got, expected, "{pairs:?}");
        }
    }

    #[test]
    fn pages_are_clamped_not_refused() {
        let page = page(NonZeroU64::new(u64::MAX), NonZeroU64::new(100));
        assert_eq!((page.page, page.per_page), (MAX_PAGE, 100));
        assert_eq!(page.offset(), (MAX_PAGE - 1) * 100);
    }
}
