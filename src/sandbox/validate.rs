//! Request validation with the gateway's exact messages.
//!
//! Request bodies are checked against a per-operation field table that
//! mirrors the spec's request schema (the tests check the tables against
//! `openapi/gateway.yaml`). The messages follow the error reference:
//!
//! * 400 `Invalid request body: <field> is required` — a required field is missing;
//! * 400 `Invalid request body: <field> must be one of: a, b` — a bad enum value;
//! * 400 `Invalid UUID format` — a malformed id in the path;
//! * 422 `<field>: <problem>` in zod's words — wrong type, too short, bad
//!   format, out of range, unknown field.
//!
//! Validation never panics and never trusts sizes: numbers are range-checked
//! before they are narrowed.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::errors::ApiError;

/// What a field must be.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string of `min` to `max` characters.
    Str {
        min: usize,
        max: usize,
    },
    Email,
    /// An absolute URI.
    Url,
    Uuid,
    /// E.164 (`^\+[1-9][0-9]{6,14}$`).
    Phone,
    /// `YYYY-MM-DD`.
    Date,
    /// `HH:MM`, 24-hour.
    HhMm,
    /// ISO 4217 (`^[A-Z]{3}$`).
    Currency,
    /// An IANA time zone name.
    TimeZone,
    Enum(&'static [&'static str]),
    Int {
        min: i64,
    },
    Num {
        min: f64,
        max: Option<f64>,
    },
    /// Strings of at most `max_len` characters, at most `max_items` of them.
    StrList {
        max_items: usize,
        max_len: usize,
    },
    EnumList {
        allowed: &'static [&'static str],
        min_items: usize,
        unique: bool,
    },
    UuidList {
        min_items: usize,
        max_items: usize,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Field {
    pub const fn req(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            required: true,
        }
    }
    pub const fn opt(name: &'static str, kind: Kind) -> Field {
        Field {
            name,
            kind,
            required: false,
        }
    }
}

/// A body that passed its field table: only known fields, each well-formed.
#[derive(Debug, Default)]
pub struct Body(Map<String, Value>);

impl Body {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.0.get(name).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    /// The provided fields, in the table's order.
    pub fn provided<'a>(
        &'a self,
        table: &'a [Field],
    ) -> impl Iterator<Item = (&'a Field, &'a Value)> + 'a {
        table
            .iter()
            .filter_map(|f| self.0.get(f.name).map(|v| (f, v)))
    }
}

/// Parse and check a JSON body against `table`.
pub fn body(bytes: &[u8], table: &[Field]) -> Result<Body, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::body("expected a JSON object"));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::body(format!("malformed JSON ({e})")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::body("expected a JSON object"));
    };
    let unknown: Vec<String> = map
        .keys()
        .filter(|k| !table.iter().any(|f| f.name == k.as_str()))
        .map(|k| format!("'{k}'"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Validation(format!(
            "Unrecognized key(s) in object: {}",
            unknown.join(", ")
        )));
    }
    if let Some(missing) = table
        .iter()
        .find(|f| f.required && !map.contains_key(f.name))
    {
        return Err(ApiError::body(format!("{} is required", missing.name)));
    }
    for field in table {
        if let Some(value) = map.get(field.name) {
            check(field.name, field.kind, value)?;
        }
    }
    Ok(Body(map))
}

fn received(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expect_str<'a>(name: &str, v: &'a Value) -> Result<&'a str, ApiError> {
    v.as_str()
        .ok_or_else(|| ApiError::field(name, format!("Expected string, received {}", received(v))))
}

/// The spec's `maxLength` for e-mail addresses (RFC 5321's limit).
const MAX_EMAIL: usize = 254;
/// The spec's `maxLength` for URLs.
const MAX_URL: usize = 2048;

/// zod's message for a string over its `maxLength`.
fn at_most(name: &str, s: &str, max: usize) -> Result<(), ApiError> {
    if s.chars().count() > max {
        return Err(ApiError::field(
            name,
            format!("String must contain at most {max} character(s)"),
        ));
    }
    Ok(())
}

fn check(name: &str, kind: Kind, v: &Value) -> Result<(), ApiError> {
    match kind {
        Kind::Str { min, max } => {
            let s = expect_str(name, v)?;
            if s.chars().count() < min {
                return Err(ApiError::field(
                    name,
                    format!("String must contain at least {min} character(s)"),
                ));
            }
            at_most(name, s, max)?;
        }
        Kind::Email => {
            let s = expect_str(name, v)?;
            at_most(name, s, MAX_EMAIL)?;
            if !is_email(s) {
                return Err(ApiError::field(name, "Invalid email"));
            }
        }
        Kind::Url => {
            let s = expect_str(name, v)?;
            at_most(name, s, MAX_URL)?;
            if !is_url(s) {
                return Err(ApiError::field(name, "Invalid url"));
            }
        }
        Kind::Uuid => {
            if !is_uuid(expect_str(name, v)?) {
                return Err(ApiError::field(name, "Invalid uuid"));
            }
        }
        Kind::Phone => {
            if !is_e164(expect_str(name, v)?) {
                return Err(ApiError::field(
                    name,
                    "Invalid phone number: use E.164, e.g. +14155550123",
                ));
            }
        }
        Kind::Date => {
            let s = expect_str(name, v)?;
            if s.len() != 10 || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
                return Err(ApiError::field(name, "Invalid date: use YYYY-MM-DD"));
            }
        }
        Kind::HhMm => {
            if !is_hh_mm(expect_str(name, v)?) {
                return Err(ApiError::field(name, "Invalid time: use HH:MM (24-hour)"));
            }
        }
        Kind::Currency => {
            let s = expect_str(name, v)?;
            if !(s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(ApiError::field(
                    name,
                    "Invalid currency: use a 3-letter ISO 4217 code, e.g. USD",
                ));
            }
        }
        Kind::TimeZone => {
            if !is_time_zone(expect_str(name, v)?) {
                return Err(ApiError::field(
                    name,
                    "Invalid time zone: use an IANA name, e.g. America/New_York",
                ));
            }
        }
        Kind::Enum(allowed) => {
            let s = expect_str(name, v)?;
            if !allowed.contains(&s) {
                return Err(ApiError::body(format!(
                    "{name} must be one of: {}",
                    allowed.join(", ")
                )));
            }
        }
        Kind::Int { min } => {
            let Value::Number(n) = v else {
                return Err(ApiError::field(
                    name,
                    format!("Expected number, received {}", received(v)),
                ));
            };
            let as_int = n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            });
            match as_int {
                None if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                    return Err(ApiError::field(name, "Expected integer, received float"));
                }
                None => {
                    return Err(ApiError::field(
                        name,
                        "Number must be less than or equal to 9007199254740991",
                    ));
                }
                Some(i) if i < min => {
                    return Err(ApiError::field(
                        name,
                        format!("Number must be greater than or equal to {min}"),
                    ));
                }
                Some(i) if i > 9_007_199_254_740_991 => {
                    return Err(ApiError::field(
                        name,
                        "Number must be less than or equal to 9007199254740991",
                    ));
                }
                Some(_) => {}
            }
        }
        Kind::Num { min, max } => {
            let f = v.as_f64().ok_or_else(|| {
                ApiError::field(name, format!("Expected number, received {}", received(v)))
            })?;
            if f < min {
                return Err(ApiError::field(
                    name,
                    format!("Number must be greater than or equal to {min}"),
                ));
            }
            if let Some(max) = max.filter(|m| f > *m) {
                return Err(ApiError::field(
                    name,
                    format!("Number must be less than or equal to {max}"),
                ));
            }
        }
        Kind::StrList { max_items, max_len } => {
            let items = v.as_array().ok_or_else(|| {
                ApiError::field(name, format!("Expected array, received {}", received(v)))
            })?;
            if items.len() > max_items {
                return Err(ApiError::field(
                    name,
                    format!("Array must contain at most {max_items} element(s)"),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let at = format!("{name}.{i}");
                at_most(&at, expect_str(&at, item)?, max_len)?;
            }
        }
        Kind::EnumList {
            allowed,
            min_items,
            unique,
        } => {
            let items = v.as_array().ok_or_else(|| {
                ApiError::field(name, format!("Expected array, received {}", received(v)))
            })?;
            if items.len() < min_items {
                return Err(ApiError::field(
                    name,
                    format!("Array must contain at least {min_items} element(s)"),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let s = expect_str(&format!("{name}.{i}"), item)?;
                if !allowed.contains(&s) {
                    return Err(ApiError::body(format!(
                        "{name} must contain only: {}",
                        allowed.join(", ")
                    )));
                }
                if unique && items[..i].contains(item) {
                    return Err(ApiError::field(name, "Items must be unique"));
                }
            }
        }
        Kind::UuidList {
            min_items,
            max_items,
        } => {
            let items = v.as_array().ok_or_else(|| {
                ApiError::field(name, format!("Expected array, received {}", received(v)))
            })?;
            if items.len() < min_items {
                return Err(ApiError::field(
                    name,
                    format!("Array must contain at least {min_items} element(s)"),
                ));
            }
            if items.len() > max_items {
                return Err(ApiError::field(
                    name,
                    format!("Array must contain at most {max_items} element(s)"),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let item_name = format!("{name}.{i}");
                if !is_uuid(expect_str(&item_name, item)?) {
                    return Err(ApiError::field(&item_name, "Invalid uuid"));
                }
            }
        }
    }
    Ok(())
}

/// A canonical (hyphenated, 36-character) UUID.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

/// The path id, lower-cased, or 400 `Invalid UUID format`.
pub fn path_id(raw: &str) -> Result<String, ApiError> {
    if is_uuid(raw) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::InvalidUuid)
    }
}

pub fn is_e164(s: &str) -> bool {
    let b = s.as_bytes();
    (8..=16).contains(&b.len())
        && b[0] == b'+'
        && (b'1'..=b'9').contains(&b[1])
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| !u.cannot_be_a_base() || u.scheme() == "mailto")
}

fn is_hh_mm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit)
        && (b[0] - b'0') * 10 + (b[1] - b'0') < 24
        && (b[3] - b'0') < 6
}

/// `UTC`, or `Area/Location[/Sub]` with IANA's character set.
fn is_time_zone(s: &str) -> bool {
    if matches!(s, "UTC" | "GMT" | "Etc/UTC") {
        return true;
    }
    let parts: Vec<&str> = s.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 30
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-+".contains(&b))
                && p.as_bytes()[0].is_ascii_uppercase()
        })
}

/// Pagination from the query string.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// Pages past the end are empty, however far: a page number too large for
/// an `i64` is clamped (its page is empty either way) rather than refused.
const MAX_PAGE: i64 = 1_000_000_000_000_000;

pub fn page(query: &HashMap<String, String>) -> Result<Page, ApiError> {
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
pub fn int_param(
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
pub fn enum_param<'q>(
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

    const TABLE: &[Field] = &[
        Field::req("name", Kind::Str { min: 1, max: 200 }),
        Field::opt("stage", Kind::Enum(&["lead", "qualified"])),
        Field::opt(
            "value",
            Kind::Num {
                min: 0.0,
                max: None,
            },
        ),
        Field::opt(
            "ids",
            Kind::UuidList {
                min_items: 1,
                max_items: 2,
            },
        ),
    ];

    fn msg(json: &str) -> String {
        match body(json.as_bytes(), TABLE) {
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
            msg(r#"{"name":"x","bogus":1}"#),
            "422 Unrecognized key(s) in object: 'bogus'"
        );
        assert_eq!(
            msg(r#"{"name":"x","ids":["nope"]}"#),
            "422 ids.0: Invalid uuid"
        );
        assert_eq!(
            msg(r#"[1]"#),
            "400 Invalid request body: expected a JSON object"
        );
        assert!(msg("{").starts_with("400 Invalid request body: malformed JSON"));
    }

    #[test]
    fn formats() {
        assert!(is_e164("+14155550123"));
        assert!(!is_e164("+04155550123") && !is_e164("14155550123") && !is_e164("+1"));
        assert!(is_hh_mm("09:30") && is_hh_mm("23:59") && !is_hh_mm("24:00") && !is_hh_mm("9:30"));
        assert!(
            is_time_zone("America/New_York") && is_time_zone("UTC") && !is_time_zone("nowhere")
        );
        assert!(is_email("a@b.co") && !is_email("a@b") && !is_email("a b@c.de"));
        assert!(path_id("A1B2C3D4-E5F6-7890-ABCD-EF1234567890").is_ok());
        assert!(matches!(path_id("123"), Err(ApiError::InvalidUuid)));
    }
}
