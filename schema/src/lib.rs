//! One JSON Schema checker for every place that checks a value against the
//! spec: the MCP server (a tool call's arguments, before anything is sent),
//! and the generator (each operation's documented response example, at
//! build time — the sandbox answers an operation it does not simulate from
//! that example, so it must be true to the schema).
//!
//! A wrong argument costs one local check instead of a gateway round trip,
//! and a model gets every problem at once: the argument's path, what it must
//! be (all enum values, not "or 5 other candidates"), and the value it got,
//! cut short so a huge argument never floods the reply.
//!
//! Why not the `jsonschema` crate: it validates each schema against the
//! draft meta-schema when it compiles it, which took 3.9 MiB of peak memory
//! for our 300-byte schemas — a quarter of the server's budget — and our
//! schemas use a small, fixed subset of JSON Schema that the generator
//! enforces (`codegen/src/schema.rs` rejects any other keyword at build
//! time). So this crate compiles exactly that subset: `type`, `properties`,
//! `required`, `additionalProperties: false`, `items`, `enum`, string length,
//! numeric bounds, item counts, `uniqueItems`, `pattern` (ECMAScript, as
//! JSON Schema specifies: [`Pattern`]) and the formats `uuid`, `uri`,
//! `email`, `date` and `date-time`.

use serde_json::{Map, Value};

mod pattern;
pub use pattern::Pattern;

/// The largest integer JSON carries exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The longest excerpt of a bad value quoted back.
const MAX_QUOTE: usize = 40;

/// One way a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `stage`, `contact_ids.3`; empty for the value itself.
    pub path: String,
    /// What was expected, in the words a model reads.
    pub message: String,
    /// The same, typed, for a server that words it its own way.
    pub problem: Problem,
}

/// Which rule a value broke. Bounds are written as the schema wrote them
/// (`100`, not `100.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// `type`: `received` is the JSON type of the value, or `float` for a
    /// number with a fraction where an integer was expected.
    Type {
        expected: String,
        received: &'static str,
    },
    /// `enum`: the allowed values.
    Enum(Vec<Value>),
    MinLength(u64),
    MaxLength(u64),
    /// `pattern`, as written.
    Pattern(String),
    /// `format`: `uuid`, `uri`, `email`, `date`, `date-time`.
    Format(String),
    Minimum(String),
    Maximum(String),
    ExclusiveMinimum(String),
    ExclusiveMaximum(String),
    MinItems(u64),
    MaxItems(u64),
    /// `uniqueItems`.
    Duplicates,
    /// Members a closed object (`additionalProperties: false`) does not have.
    Unknown(Vec<String>),
    /// A `required` member is missing; the path names it.
    Required,
    /// A check beyond the schema, made by the caller ([`Violation::other`]).
    Other,
}

impl Violation {
    /// A violation found outside the schema: `message` says it all.
    pub fn other(path: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            path: path.into(),
            message: message.into(),
            problem: Problem::Other,
        }
    }
}

/// A compiled schema.
#[derive(Debug)]
pub struct Schema {
    root: Node,
}

/// One compiled schema node.
#[derive(Debug, Default)]
struct Node {
    ty: Option<String>,
    properties: Vec<(String, Node)>,
    required: Vec<String>,
    closed: bool,
    items: Option<Box<Node>>,
    one_of_values: Option<Vec<Value>>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    unique_items: bool,
    pattern: Option<Pattern>,
    format: Option<String>,
}

impl Schema {
    pub fn compile(schema_json: &str) -> Result<Self, String> {
        let schema: Value = serde_json::from_str(schema_json).map_err(|e| e.to_string())?;
        Ok(Self {
            root: Node::compile(&schema)?,
        })
    }

    /// Every violation in `args`, in schema order.
    pub fn check(&self, args: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        self.root.check("", args, &mut out);
        out
    }
}

impl Node {
    fn compile(v: &Value) -> Result<Self, String> {
        let Some(m) = v.as_object() else {
            return Err(format!("schema is not an object: {v}"));
        };
        let num = |k: &str| m.get(k).and_then(Value::as_f64);
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        let mut node = Node {
            ty: m.get("type").and_then(Value::as_str).map(str::to_owned),
            required: m
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            closed: m.get("additionalProperties") == Some(&Value::Bool(false)),
            one_of_values: m.get("enum").and_then(Value::as_array).cloned(),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            minimum: num("minimum"),
            maximum: num("maximum"),
            exclusive_minimum: num("exclusiveMinimum"),
            exclusive_maximum: num("exclusiveMaximum"),
            min_items: count("minItems"),
            max_items: count("maxItems"),
            unique_items: m.get("uniqueItems") == Some(&Value::Bool(true)),
            format: m.get("format").and_then(Value::as_str).map(str::to_owned),
            ..Node::default()
        };
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                node.properties.push((name.clone(), Node::compile(s)?));
            }
        }
        if let Some(items) = m.get("items") {
            node.items = Some(Box::new(Node::compile(items)?));
        }
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            node.pattern = Some(Pattern::new(p)?);
        }
        Ok(node)
    }

    fn check(&self, path: &str, v: &Value, out: &mut Vec<Violation>) {
        let mut fail = |message: String, problem: Problem| {
            out.push(Violation {
                path: path.to_owned(),
                message,
                problem,
            })
        };
        if let Some(ty) = &self.ty
            && !has_type(v, ty)
        {
            let received = match v {
                Value::Number(_) if ty == "integer" => "float",
                other => json_type(other),
            };
            fail(
                format!("must be {} {ty} (got {})", article(ty), quote(v)),
                Problem::Type {
                    expected: ty.clone(),
                    received,
                },
            );
            return;
        }
        if let Some(allowed) = &self.one_of_values
            && !allowed.contains(v)
        {
            let list: Vec<String> = allowed.iter().map(plain).collect();
            fail(
                format!("must be one of: {} (got {})", list.join(", "), quote(v)),
                Problem::Enum(allowed.clone()),
            );
        }
        match v {
            Value::String(s) => self.check_string(s, v, &mut fail),
            Value::Number(n) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                if self.ty.as_deref() == Some("integer") && n.abs() > MAX_SAFE_INTEGER {
                    // Past 2^53 an integer is no longer exact in JSON
                    // (RFC 7493): refused whatever the schema's bounds.
                    let bound = number(MAX_SAFE_INTEGER.copysign(n));
                    let (message, problem) = if n > 0.0 {
                        (
                            format!("must be at most {bound} (got {})", quote(v)),
                            Problem::Maximum(bound),
                        )
                    } else {
                        (
                            format!("must be at least {bound} (got {})", quote(v)),
                            Problem::Minimum(bound),
                        )
                    };
                    fail(message, problem);
                }
                self.check_number(n, v, &mut fail)
            }
            Value::Array(items) => self.check_array(path, items, out),
            Value::Object(map) => self.check_object(path, map, out),
            _ => {}
        }
    }

    fn check_string(&self, s: &str, v: &Value, fail: &mut impl FnMut(String, Problem)) {
        let chars = s.chars().count() as u64;
        if let Some(min) = self.min_length.filter(|min| chars < *min) {
            fail(
                format!("must contain at least {min} character(s)"),
                Problem::MinLength(min),
            );
        }
        if let Some(max) = self.max_length.filter(|max| chars > *max) {
            fail(
                format!("must contain at most {max} character(s)"),
                Problem::MaxLength(max),
            );
        }
        if let Some(pattern) = &self.pattern
            && !pattern.is_match(s)
        {
            let source = pattern.source();
            fail(
                format!("must match the pattern {source} (got {})", quote(v)),
                Problem::Pattern(source.to_owned()),
            );
        }
        if let Some(format) = &self.format
            && !format_ok(format, s)
        {
            fail(format_message(format, v), Problem::Format(format.clone()));
        }
    }

    fn check_number(&self, n: f64, v: &Value, fail: &mut impl FnMut(String, Problem)) {
        if let Some(min) = self.minimum.filter(|min| n < *min) {
            let min = number(min);
            fail(
                format!("must be at least {min} (got {})", quote(v)),
                Problem::Minimum(min),
            );
        }
        if let Some(max) = self.maximum.filter(|max| n > *max) {
            let max = number(max);
            fail(
                format!("must be at most {max} (got {})", quote(v)),
                Problem::Maximum(max),
            );
        }
        if let Some(min) = self.exclusive_minimum.filter(|min| n <= *min) {
            let min = number(min);
            fail(
                format!("must be greater than {min} (got {})", quote(v)),
                Problem::ExclusiveMinimum(min),
            );
        }
        if let Some(max) = self.exclusive_maximum.filter(|max| n >= *max) {
            let max = number(max);
            fail(
                format!("must be less than {max} (got {})", quote(v)),
                Problem::ExclusiveMaximum(max),
            );
        }
    }

    fn check_array(&self, path: &str, items: &[Value], out: &mut Vec<Violation>) {
        let len = items.len() as u64;
        let fail = |out: &mut Vec<Violation>, message: String, problem: Problem| {
            out.push(Violation {
                path: path.to_owned(),
                message,
                problem,
            })
        };
        if let Some(min) = self.min_items.filter(|min| len < *min) {
            fail(
                out,
                format!("must have at least {min} item(s)"),
                Problem::MinItems(min),
            );
        }
        if let Some(max) = self.max_items.filter(|max| len > *max) {
            fail(
                out,
                format!("must have at most {max} items (got {len}); split it into several calls"),
                Problem::MaxItems(max),
            );
        }
        if self.unique_items
            && items
                .iter()
                .enumerate()
                .any(|(i, x)| items[..i].contains(x))
        {
            fail(
                out,
                "must not contain duplicates".to_owned(),
                Problem::Duplicates,
            );
        }
        if let Some(node) = &self.items {
            for (i, item) in items.iter().enumerate() {
                node.check(&join(path, &i.to_string()), item, out);
            }
        }
    }

    fn check_object(&self, path: &str, map: &Map<String, Value>, out: &mut Vec<Violation>) {
        for (name, node) in &self.properties {
            if let Some(v) = map.get(name) {
                node.check(&join(path, name), v, out);
            }
        }
        if self.closed {
            let unexpected: Vec<&str> = map
                .keys()
                .filter(|k| !self.properties.iter().any(|(n, _)| n == *k))
                .map(String::as_str)
                .collect();
            if !unexpected.is_empty() {
                let message = if path.is_empty() {
                    let names: Vec<&str> =
                        self.properties.iter().map(|(n, _)| n.as_str()).collect();
                    format!(
                        "is not an argument of this tool (it takes: {})",
                        names.join(", ")
                    )
                } else {
                    "is not a known field here".to_owned()
                };
                out.push(Violation {
                    path: join(path, &unexpected.join(", ")),
                    message,
                    problem: Problem::Unknown(unexpected.iter().map(|k| (*k).to_owned()).collect()),
                });
            }
        }
        for name in &self.required {
            if !map.contains_key(name) {
                out.push(Violation {
                    path: join(path, name),
                    message: "is required".to_owned(),
                    problem: Problem::Required,
                });
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The JSON type of a value, as JSON Schema names it.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON Schema types: an integer is any number without a fraction.
fn has_type(v: &Value, ty: &str) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "number" => v.is_number(),
        "integer" => {
            v.as_i64().is_some()
                || v.as_u64().is_some()
                || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "null" => v.is_null(),
        _ => true,
    }
}

pub fn format_ok(format: &str, s: &str) -> bool {
    match format {
        "uuid" => is_uuid(s),
        // Absolute, with a host part (`mailto:` aside): what a gateway can call back.
        "uri" => url::Url::parse(s).is_ok_and(|u| !u.cannot_be_a_base() || u.scheme() == "mailto"),
        "email" => is_email(s),
        // RFC 3339 `full-date`: zero-padded, which chrono alone does not insist on.
        "date" => s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        // The generator admits only the formats above.
        _ => true,
    }
}

/// `local@domain`: one `@` with something before it, a dot in the domain
/// but at neither end, and no whitespace or control character anywhere.
///
/// Every e-mail field of every record on a page is checked, so an ASCII
/// address (nearly all of them) is read in one pass, byte by byte, rather
/// than searched four times.
fn is_email(s: &str) -> bool {
    let b = s.as_bytes();
    let mut at = None;
    let mut dot = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'@' if at.is_some() => return false,
            b'@' => at = Some(i),
            b'.' => dot |= at.is_some(),
            // ASCII whitespace is 0x09–0x0D and 0x20; controls are below 0x20 and 0x7F.
            0..=b' ' | 0x7f => return false,
            0x80.. => return is_unicode_email(s),
            _ => {}
        }
    }
    at.is_some_and(|at| at > 0 && dot && b.get(at + 1) != Some(&b'.') && b.last() != Some(&b'.'))
}

/// [`is_email`] for an address with characters beyond ASCII.
fn is_unicode_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub fn format_message(format: &str, got: &Value) -> String {
    let got = quote(got);
    match format {
        "uuid" => format!("must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got {got})"),
        "uri" => format!("must be an absolute URL like https://example.com (got {got})"),
        "email" => format!("must be an email address (got {got})"),
        "date" => format!("must be a date like 2026-12-31 (got {got})"),
        "date-time" => {
            format!("must be an RFC 3339 date-time like 2026-12-31T09:00:00Z (got {got})")
        }
        other => format!("must be a valid {other} (got {got})"),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A bound as written in the schema: `100`, not `100.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(schema: Value, args: Value) -> Vec<String> {
        Schema::compile(&schema.to_string())
            .unwrap()
            .check(&args)
            .into_iter()
            .map(|v| format!("{}: {}", v.path, v.message))
            .collect()
    }

    /// The one-pass check says what the four searches say: for every ASCII
    /// byte in an address, and for every string of up to five characters
    /// from an alphabet of the ones that matter.
    #[test]
    fn an_email_is_read_in_one_pass_as_in_four() {
        for b in 0u8..=0x7f {
            for s in [
                format!("a{}b@example.com", char::from(b)),
                format!("ab@exa{}mple.com", char::from(b)),
            ] {
                assert_eq!(is_email(&s), is_unicode_email(&s), "byte {b:#04x}");
            }
        }
        let alphabet = [
            "a", "@", ".", " ", "\t", "\u{7f}", "é", "\u{a0}", "\u{2028}",
        ];
        let mut strings = vec![String::new()];
        let mut last = strings.clone();
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(last.iter().cloned());
        }
        assert!(strings.len() > 60_000, "{}", strings.len());
        for s in &strings {
            assert_eq!(is_email(s), is_unicode_email(s), "{s:?}");
        }
        assert!(is_email("ada.lovelace@example.com"));
        assert!(is_email("zoë@exämple.com"));
        assert!(!is_email("ada@example."));
    }

    #[test]
    fn violations_are_typed_too() {
        let schema = Schema::compile(
            r#"{"type":"object","additionalProperties":false,"required":["n"],
                "properties":{"n":{"type":"integer","minimum":1},"s":{"type":"string","pattern":"^a$"}}}"#,
        )
        .unwrap();
        let problems: Vec<(String, Problem)> = schema
            .check(&json!({"n": 0.5, "s": "b", "x": 1}))
            .into_iter()
            .map(|v| (v.path, v.problem))
            .collect();
        assert_eq!(
            problems,
            [
                (
                    "n".to_owned(),
                    Problem::Type {
                        expected: "integer".into(),
                        received: "float"
                    }
                ),
                ("s".to_owned(), Problem::Pattern("^a$".into())),
                ("x".to_owned(), Problem::Unknown(vec!["x".into()])),
            ]
        );
        assert_eq!(
            schema.check(&json!({"n": 685456795552531290783744u128 as f64}))[0].problem,
            Problem::Maximum("9007199254740991".into())
        );
        let missing = schema.check(&json!({}));
        assert_eq!(missing[0].problem, Problem::Required);
        assert_eq!(
            schema.check(&json!({"n": 0}))[0].problem,
            Problem::Minimum("1".into())
        );
    }

    #[test]
    fn formats_are_as_strict_as_the_gateway() {
        for (format, ok, bad) in [
            (
                "email",
                "a@b.co",
                ["a@b", "a b@c.de", "a@b.co.", "a@b@c.de"],
            ),
            (
                "uri",
                "https://x.io/a",
                ["nope", "foo:bar", "/relative", ""],
            ),
            (
                "date",
                "2026-02-03",
                ["2026-2-3", "2026-02-30", "03/02/2026", ""],
            ),
        ] {
            assert!(format_ok(format, ok), "{format} {ok}");
            for b in bad {
                assert!(!format_ok(format, b), "{format} {b}");
            }
        }
    }

    #[test]
    fn every_keyword_of_the_subset() {
        let schema = json!({"type": "object", "additionalProperties": false, "required": ["name", "ids"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 5},
                "ids": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
                        "items": {"type": "string", "format": "uuid"}},
                "page": {"type": "integer", "minimum": 1, "maximum": 100},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "stage": {"type": "string", "enum": ["lead", "won"]},
                "phone": {"type": "string", "pattern": "^\\+[1-9][0-9]{6,14}$"},
                "url": {"type": "string", "format": "uri"},
                "mail": {"type": "string", "format": "email"},
                "day": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "ok": {"type": "boolean"}}});
        assert!(check(schema.clone(), json!({"name": "Ada", "ids": ["a1b2c3d4-e5f6-7890-abcd-ef1234567890"], "page": 2.0,
            "ratio": 0.5, "stage": "won", "phone": "+14155550123", "url": "https://x.io/a", "mail": "a@x.io",
            "day": "2026-02-28", "at": "2026-02-28T10:00:00Z", "ok": true})).is_empty());
        let got = check(
            schema,
            json!({"name": "", "ids": ["x", "x", "y"], "page": 1.5, "ratio": 1, "stage": "lost",
            "phone": "555", "url": "nope", "mail": "a@", "day": "2026-02-30", "at": "yesterday", "ok": "yes", "extra": 1}),
        );
        assert_eq!(
            got,
            vec![
                "name: must contain at least 1 character(s)",
                "ids: must have at most 2 items (got 3); split it into several calls",
                "ids: must not contain duplicates",
                "ids.0: must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"x\")",
                "ids.1: must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"x\")",
                "ids.2: must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"y\")",
                "page: must be an integer (got 1.5)",
                "ratio: must be less than 1 (got 1)",
                "stage: must be one of: lead, won (got \"lost\")",
                "phone: must match the pattern ^\\+[1-9][0-9]{6,14}$ (got \"555\")",
                "url: must be an absolute URL like https://example.com (got \"nope\")",
                "mail: must be an email address (got \"a@\")",
                "day: must be a date like 2026-12-31 (got \"2026-02-30\")",
                "at: must be an RFC 3339 date-time like 2026-12-31T09:00:00Z (got \"yesterday\")",
                "ok: must be a boolean (got \"yes\")",
                "extra: is not an argument of this tool (it takes: name, ids, page, ratio, stage, phone, url, mail, day, at, ok)",
            ]
        );
        assert_eq!(
            check(json!({"type": "object", "required": ["a"]}), json!({})),
            vec!["a: is required"]
        );
        assert_eq!(
            check(json!({"type": "object"}), json!([1])),
            vec![": must be an object (got [1])"]
        );
    }

    #[test]
    fn long_values_are_quoted_short() {
        let got = check(json!({"type": "integer"}), json!("x".repeat(1000)));
        assert!(got[0].len() < 100 && got[0].contains('…'), "{got:?}");
    }
}
