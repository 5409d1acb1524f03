//! A gateway answer, checked against the tool's output schema and rewritten
//! canonical, in one pass over its bytes.
//!
//! This is the hot path of every tool call. MCP requires `structuredContent`
//! to conform to the tool's `outputSchema`, and the assistant must see third
//! parties' text fenced ([`crate::untrusted`]). The obvious way to get both —
//! deserialize into the SDK's typed structs, convert to a
//! `serde_json::Value`, fence, serialize — touches every byte five times
//! and allocates every string twice; on a 25-contact page it was most of
//! the server's CPU. Here one forward scan of the gateway's bytes does it
//! all and writes compact JSON as it goes:
//!
//! - every value is checked against the compiled schema (type, `required`,
//!   `enum`, formats, `pattern`, bounds, lengths); the first violation
//!   stops the scan with its path;
//! - the output is exactly what the typed round trip wrote, so nothing
//!   downstream can tell the difference: members in the SDK structs' order
//!   (by name), unknown members dropped, `null` and empty arrays of optional
//!   members omitted, uuids lower-case, timestamps in UTC with `Z`, numbers
//!   of `type: number` written as `f64`;
//! - strings are copied as they are unless they must change (escapes,
//!   fences, non-canonical forms): nothing is allocated for the rest;
//! - the text block's form of the answer (the JSON as a JSON string) is
//!   written alongside, so nothing reads the answer again to escape it
//!   ([`crate::written`]).
//!
//! The scanner accepts exactly RFC 8259 JSON (UTF-8, no trailing commas or
//! garbage), nesting at most [`MAX_DEPTH`] deep.

use std::borrow::Cow;

use serde_json::Value;

use smartalex_schema::{Pattern, format_message, format_ok};

use crate::escape::{escaped_char, plain_run, write_escaped_inner};
use crate::written::{Mark, Written};

/// The fence around a third party's text ([`crate::untrusted`]) with the
/// string's quote, as JSON and as the text block has it ([`Written`]).
const FENCE_OPEN: [&[u8]; 2] = [b"\"<untrusted>", b"\\\"<untrusted>"];
const FENCE_CLOSE: [&[u8]; 2] = [b"</untrusted>\"", b"</untrusted>\\\""];

/// How deep an answer may nest (serde_json's own default).
const MAX_DEPTH: usize = 128;

/// A tool's compiled output schema, with its fenced fields marked.
#[derive(Debug)]
pub(crate) struct Shape {
    root: Node,
}

/// Why an answer does not fit: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    /// A third party's text: fenced on the way out.
    untrusted: bool,
}

#[derive(Debug)]
enum Kind {
    /// Members sorted by name, as the SDK's structs declare them.
    Object(Vec<Prop>),
    Array {
        items: Box<Node>,
        min: Option<u64>,
        max: Option<u64>,
    },
    Str(Box<StrRules>),
    Integer(Bounds),
    Number(Bounds),
    Bool,
    /// No `type`: any JSON, written as serde_json would.
    Any,
}

#[derive(Debug)]
struct Prop {
    name: String,
    /// `"<name>":`, as the member is written, and as it stands in the
    /// text block (escaped, [`Written`]).
    head: Box<[u8]>,
    text_head: Box<[u8]>,
    /// The name needs no escape in JSON: `"<name>"` is how it is sent.
    plain: bool,
    node: Node,
    required: bool,
}

#[derive(Debug, Default)]
struct StrRules {
    allowed: Option<Vec<String>>,
    format: Option<Format>,
    pattern: Option<Pattern>,
    min_len: Option<u64>,
    max_len: Option<u64>,
}

/// A string's `format`, the two the SDK rewrites told apart once.
#[derive(Debug)]
enum Format {
    Uuid,
    DateTime,
    Other(String),
}

impl Format {
    fn new(format: &str) -> Self {
        match format {
            "uuid" => Self::Uuid,
            "date-time" => Self::DateTime,
            other => Self::Other(other.to_owned()),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Bounds {
    min: Option<f64>,
    max: Option<f64>,
}

impl Shape {
    /// Compile `schema_json`, fencing the strings at `untrusted` paths
    /// (`data/*/notes`: `*` is every array item).
    pub(crate) fn compile(schema_json: &str, untrusted: &[&str]) -> Result<Self, String> {
        let schema: Value = serde_json::from_str(schema_json).map_err(|e| e.to_string())?;
        let mut root = Node::compile(&schema)?;
        for path in untrusted {
            root.mark(&mut path.split('/'));
        }
        Ok(Self { root })
    }

    /// Check `input` and append its canonical, fenced form to `out`, as
    /// JSON and as the text of a JSON string ([`Written`]). On a misfit
    /// `out` holds a partial answer the caller must discard.
    pub(crate) fn transcode(&self, input: &[u8], out: &mut Written) -> Result<(), Misfit> {
        let text = std::str::from_utf8(input).map_err(|e| Misfit {
            path: String::new(),
            message: format!("the answer is not UTF-8 ({e})"),
        })?;
        let mut scan = Scan {
            text,
            b: text.as_bytes(),
            i: 0,
            path: Vec::new(),
            scratch: Vec::new(),
        };
        scan.ws();
        scan.value(&self.root, out, 0).map_err(|m| *m)?;
        scan.ws();
        if scan.i != scan.b.len() {
            return Err(*scan.syntax("trailing characters"));
        }
        Ok(())
    }
}

impl Node {
    fn compile(v: &Value) -> Result<Self, String> {
        let m = v
            .as_object()
            .ok_or_else(|| format!("schema is not an object: {v}"))?;
        let num = |k: &str| m.get(k).and_then(Value::as_f64);
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        let bounds = Bounds {
            min: num("minimum"),
            max: num("maximum"),
        };
        let kind = match m.get("type").and_then(Value::as_str) {
            Some("object") => {
                let required: Vec<&str> = m
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut props = Vec::new();
                for (name, s) in m
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let head = format!("{}:", Value::String(name.clone())).into_bytes();
                    let mut text_head = Vec::new();
                    write_escaped_inner(&mut text_head, &head);
                    props.push(Prop {
                        name: name.clone(),
                        head: head.into(),
                        text_head: text_head.into(),
                        plain: plain_run(name.as_bytes(), 0) == name.len(),
                        node: Node::compile(s)?,
                        required: required.contains(&name.as_str()),
                    });
                }
                if props.is_empty() {
                    Kind::Any
                } else {
                    props.sort_by(|a, b| a.name.cmp(&b.name));
                    if props.len() > 64 {
                        return Err("an object with more than 64 properties".into());
                    }
                    Kind::Object(props)
                }
            }
            Some("array") => Kind::Array {
                items: Box::new(match m.get("items") {
                    Some(items) => Node::compile(items)?,
                    None => Node {
                        kind: Kind::Any,
                        untrusted: false,
                    },
                }),
                min: count("minItems"),
                max: count("maxItems"),
            },
            Some("string") => {
                let allowed = match m.get("enum").and_then(Value::as_array) {
                    None => None,
                    Some(values) => Some(
                        values
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                            .ok_or("a string enum with a value that is not a string")?,
                    ),
                };
                let pattern = m
                    .get("pattern")
                    .and_then(Value::as_str)
                    .map(Pattern::new)
                    .transpose()?;
                Kind::Str(Box::new(StrRules {
                    allowed,
                    format: m.get("format").and_then(Value::as_str).map(Format::new),
                    pattern,
                    min_len: count("minLength"),
                    max_len: count("maxLength"),
                }))
            }
            Some("integer") => Kind::Integer(bounds),
            Some("number") => Kind::Number(bounds),
            Some("boolean") => Kind::Bool,
            None => Kind::Any,
            Some(other) => return Err(format!("unsupported type {other}")),
        };
        Ok(Node {
            kind,
            untrusted: false,
        })
    }

    fn mark<'a>(&mut self, segments: &mut (impl Iterator<Item = &'a str> + Clone)) {
        let Some(segment) = segments.next() else {
            self.untrusted = matches!(self.kind, Kind::Str(_));
            return;
        };
        match (&mut self.kind, segment) {
            (Kind::Array { items, .. }, "*") => items.mark(segments),
            (Kind::Object(props), name) => {
                if let Some(p) = props.iter_mut().find(|p| p.name == name) {
                    p.node.mark(segments);
                }
            }
            _ => {}
        }
    }
}

/// A scan's result: the misfit boxed, so the happy path moves a word.
type Fit<T> = Result<T, Box<Misfit>>;

/// One step of the path to a value, for messages.
#[derive(Debug, Clone, Copy)]
enum Seg<'s> {
    Key(&'s str),
    Index(usize),
}

struct Scan<'a, 's> {
    /// The whole answer, checked to be UTF-8 once.
    text: &'a str,
    b: &'a [u8],
    i: usize,
    path: Vec<Seg<'s>>,
    /// Per nesting depth, reused from object to object.
    scratch: Vec<Scratch>,
}

/// What an object at one depth reuses from the last object there.
#[derive(Default)]
struct Scratch {
    /// Its written members' start and end in the output, by property
    /// index (valid where the object's `kept` has the property's bit).
    spans: Vec<(Mark, Mark)>,
    /// The buffers they are put in order through.
    written: Written,
    /// The property index of each member of the last object here, in the
    /// order they came ([`UNKNOWN`] for one the schema does not have), and
    /// the properties they index (the address of the slice): the items of a
    /// page come with the same members in the same order, so the next
    /// object's are looked for where the last one's were.
    order: Vec<usize>,
    order_of: usize,
    /// Whether the last object here had its members out of order.
    shuffled: bool,
}

/// In [`Scratch::order`], a member the schema does not name.
const UNKNOWN: usize = usize::MAX;

impl Prop {
    /// `"<name>"`: the name as a JSON string, when it is [`Prop::plain`].
    fn quoted(&self) -> &[u8] {
        &self.head[..self.head.len() - 1]
    }
}

/// A string token: its text between the quotes, and whether it has escapes.
struct Token<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a, 's> Scan<'a, 's> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if !out.is_empty() {
                out.push('.');
            }
            match seg {
                Seg::Key(k) => out.push_str(k),
                Seg::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    #[cold]
    fn misfit(&self, message: String) -> Box<Misfit> {
        Box::new(Misfit {
            path: self.path(),
            message,
        })
    }

    #[cold]
    fn syntax(&self, what: &str) -> Box<Misfit> {
        Box::new(Misfit {
            path: String::new(),
            message: format!("invalid JSON at byte {}: {what}", self.i),
        })
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Fit<()> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.syntax(&format!("expected `{}`", byte as char)))
        }
    }

    /// After a member or an item: `true` past the closing bracket, `false`
    /// past a comma.
    #[inline]
    fn closes(&mut self, close: u8) -> Fit<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            _ => Err(self.syntax(&format!("expected `,` or `{}`", close as char))),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Fit<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.syntax("expected a value"))
        }
    }

    /// What the value starting here is, for "must be a string (got …)".
    fn got(&mut self) -> String {
        let start = self.i;
        let end = match self.skip(0) {
            Ok(()) => self.i,
            Err(_) => self.b.len(),
        };
        self.i = start;
        let text = String::from_utf8_lossy(&self.b[start..end]);
        if text.chars().count() > 40 {
            format!("{}…", text.chars().take(40).collect::<String>())
        } else {
            text.into_owned()
        }
    }

    fn wrong_type(&mut self, what: &str) -> Box<Misfit> {
        if !matches!(
            self.peek(),
            Some(b'"' | b'{' | b'[' | b't' | b'f' | b'n' | b'-' | b'0'..=b'9')
        ) {
            return self.syntax("expected a value");
        }
        let got = self.got();
        self.misfit(format!("must be {what} (got {got})"))
    }

    fn value(&mut self, node: &'s Node, out: &mut Written, depth: usize) -> Fit<()> {
        if depth > MAX_DEPTH {
            return Err(self.syntax("nested too deeply"));
        }
        match &node.kind {
            Kind::Object(props) => self.object(props, out, depth),
            Kind::Array { items, min, max } => self.array(items, *min, *max, out, depth),
            Kind::Str(rules) => self.string_value(rules, node.untrusted, out),
            Kind::Integer(bounds) => self.integer(*bounds, out),
            Kind::Number(bounds) => self.number(*bounds, out),
            Kind::Bool => match self.peek() {
                Some(b't') => self.literal(b"true").map(|()| out.same(b"true")),
                Some(b'f') => self.literal(b"false").map(|()| out.same(b"false")),
                _ => Err(self.wrong_type("a boolean")),
            },
            Kind::Any => self.any(out),
        }
    }

    fn object(&mut self, props: &'s [Prop], out: &mut Written, depth: usize) -> Fit<()> {
        if self.peek() != Some(b'{') {
            return Err(self.wrong_type("an object"));
        }
        self.i += 1;
        out.byte(b'{');
        let open = out.mark();
        // Where each written member is in `out`, by property index.
        if self.scratch.len() <= depth {
            self.scratch.resize_with(depth + 1, Default::default);
        }
        let Scratch {
            mut spans,
            mut written,
            mut order,
            order_of,
            shuffled: last_shuffled,
        } = std::mem::take(&mut self.scratch[depth]);
        if spans.len() < props.len() {
            spans.resize(props.len(), Default::default());
        }
        let same_props = order_of == props.as_ptr().addr();
        if !same_props {
            order.clear();
        }
        // The last object here had its members out of order, and so most
        // likely has this one (the items of a page come alike): they are
        // written aside as they come and put in order once, rather than
        // written in place, moved aside and put back.
        let staged = same_props && last_shuffled;
        if staged {
            written.clear();
        }
        let to: &mut Written = if staged { &mut written } else { out };
        let mut seen = 0u64;
        // The members written (not dropped as `null` or an empty list), and
        // whether one came after a member the schema puts later: if not,
        // they are in place.
        let mut kept = 0u64;
        let mut shuffled = false;
        let mut member = 0;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.syntax("expected a member name"));
                }
                // The member the last object had here, if this one's name
                // is that, byte for byte; else the name, read and looked up.
                let guess = order.get(member).copied().filter(|&k| {
                    props
                        .get(k)
                        .is_some_and(|p| p.plain && self.b[self.i..].starts_with(p.quoted()))
                });
                let found = match guess {
                    Some(k) => {
                        self.i += props[k].quoted().len();
                        Some(k)
                    }
                    None => {
                        let key = self.token()?;
                        let name = key_text(&key).map_err(|m| self.syntax(&m))?;
                        // A linear scan on length first beats a binary search
                        // of memcmp calls for the ten-odd members of a record.
                        props
                            .iter()
                            .position(|p| p.name.len() == name.len() && p.name == *name)
                    }
                };
                match order.get_mut(member) {
                    Some(slot) => *slot = found.unwrap_or(UNKNOWN),
                    None => order.push(found.unwrap_or(UNKNOWN)),
                }
                member += 1;
                self.ws();
                self.expect(b':')?;
                self.ws();
                match found {
                    None => self.skip(depth + 1)?,
                    Some(k) => {
                        let prop = &props[k];
                        if seen & (1 << k) != 0 {
                            return Err(self.misfit(format!("duplicate field `{}`", prop.name)));
                        }
                        seen |= 1 << k;
                        if !prop.required && self.peek() == Some(b'n') {
                            self.literal(b"null")?;
                        } else {
                            let mark = to.mark();
                            if kept != 0 {
                                to.byte(b',');
                            }
                            let start = to.mark();
                            to.head(&prop.head, &prop.text_head);
                            self.path.push(Seg::Key(&prop.name));
                            self.value(&prop.node, to, depth + 1)?;
                            self.path.pop();
                            let empty_list = matches!(prop.node.kind, Kind::Array { .. })
                                && to.json.ends_with(b":[]");
                            if !prop.required && empty_list {
                                to.truncate(mark);
                            } else {
                                // A member of a higher index already written.
                                shuffled |= kept >> k > 1;
                                kept |= 1 << k;
                                spans[k] = (start, to.mark());
                            }
                        }
                    }
                }
                if self.closes(b'}')? {
                    break;
                }
            }
        }
        for (k, prop) in props.iter().enumerate() {
            if prop.required && seen & (1 << k) == 0 {
                self.path.push(Seg::Key(&prop.name));
                let missing = self.misfit("is required".to_owned());
                self.path.pop();
                return Err(missing);
            }
        }
        if staged || shuffled {
            // Where the members' marks count from in `written`.
            let base = if staged {
                Mark::default()
            } else {
                out.move_from(open, &mut written);
                open
            };
            // The written members by property index: the schema's order.
            let mut left = kept;
            while left != 0 {
                let k = left.trailing_zeros() as usize;
                if left != kept {
                    out.byte(b',');
                }
                left &= left - 1;
                let (start, end) = spans[k];
                out.copy(
                    &written,
                    Written::since(start, base),
                    Written::since(end, base),
                );
            }
        }
        out.byte(b'}');
        order.truncate(member);
        self.scratch[depth] = Scratch {
            spans,
            written,
            order,
            order_of: props.as_ptr().addr(),
            shuffled,
        };
        Ok(())
    }

    fn array(
        &mut self,
        items: &'s Node,
        min: Option<u64>,
        max: Option<u64>,
        out: &mut Written,
        depth: usize,
    ) -> Fit<()> {
        if self.peek() != Some(b'[') {
            return Err(self.wrong_type("an array"));
        }
        self.i += 1;
        out.byte(b'[');
        let mut n = 0usize;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if n > 0 {
                    out.byte(b',');
                }
                self.path.push(Seg::Index(n));
                self.value(items, out, depth + 1)?;
                self.path.pop();
                n += 1;
                if self.closes(b']')? {
                    break;
                }
            }
        }
        out.byte(b']');
        let len = n as u64;
        if let Some(min) = min.filter(|m| len < *m) {
            return Err(self.misfit(format!("must have at least {min} item(s)")));
        }
        if let Some(max) = max.filter(|m| len > *m) {
            return Err(self.misfit(format!("must have at most {max} items (got {len})")));
        }
        Ok(())
    }

    /// A string token; `self.i` is on its opening quote.
    fn token(&mut self) -> Fit<Token<'a>> {
        let b = self.b;
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = plain_run(b, i);
            match b.get(i) {
                None => {
                    self.i = i;
                    return Err(self.syntax("unterminated string"));
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(c) if *c < 0x20 => {
                    self.i = i;
                    return Err(self.syntax("control character in a string"));
                }
                Some(_) => i += 1,
            }
        }
        // Both ends are ASCII quotes, so the slice is on char boundaries.
        let raw = self.text.get(start..i).unwrap_or_default();
        self.i = i + 1;
        Ok(Token { raw, escaped })
    }

    fn string_value(&mut self, rules: &StrRules, untrusted: bool, out: &mut Written) -> Fit<()> {
        if self.peek() != Some(b'"') {
            return Err(self.wrong_type("a string"));
        }
        let token = self.token()?;
        let text = key_text(&token).map_err(|m| self.syntax(&m))?;
        let quoted = || Value::String(text.clone().into_owned());
        if let Some(allowed) = &rules.allowed
            && !allowed.iter().any(|a| *a == text)
        {
            return Err(self.misfit(format!(
                "must be one of: {} (got {})",
                allowed.join(", "),
                quoted()
            )));
        }
        if rules.min_len.is_some() || rules.max_len.is_some() {
            let chars = text.chars().count() as u64;
            if let Some(min) = rules.min_len.filter(|m| chars < *m) {
                return Err(self.misfit(format!("must contain at least {min} character(s)")));
            }
            if let Some(max) = rules.max_len.filter(|m| chars > *m) {
                return Err(self.misfit(format!("must contain at most {max} character(s)")));
            }
        }
        if let Some(pattern) = &rules.pattern
            && !pattern.is_match(&text)
        {
            return Err(self.misfit(format!(
                "must match the pattern {} (got {})",
                pattern.source(),
                quoted()
            )));
        }
        let canonical: Option<String> = match &rules.format {
            None => None,
            // Hyphenated lower-case hex is a UUID already in its SDK form.
            Some(Format::Uuid) if is_lower_uuid(text.as_bytes()) => None,
            Some(Format::Uuid) => match uuid::Uuid::try_parse(&text) {
                Ok(u) => Some(u.hyphenated().to_string()),
                Err(_) => return Err(self.misfit(format_message("uuid", &quoted()))),
            },
            Some(Format::DateTime) if is_plain_utc(text.as_bytes()) => None,
            Some(Format::DateTime) => match utc_millis(text.as_bytes()) {
                Some(Millis::AsWritten) => None,
                Some(Millis::WholeSecond(whole)) => Some(whole),
                None => match chrono::DateTime::parse_from_rfc3339(&text) {
                    Ok(t) => Some(
                        t.with_timezone(&chrono::Utc)
                            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    ),
                    Err(_) => return Err(self.misfit(format_message("date-time", &quoted()))),
                },
            },
            Some(Format::Other(format)) if format_ok(format, &text) => None,
            Some(Format::Other(format)) => {
                return Err(self.misfit(format_message(format, &quoted())));
            }
        };
        let raw = token.raw.as_bytes();
        let as_read = canonical.is_none() && !token.escaped;
        if untrusted {
            if as_read && crate::untrusted::needs_only_the_fence(raw) {
                out.enclosed(FENCE_OPEN, raw, FENCE_CLOSE);
            } else {
                let mark = out.mark();
                let text = canonical.as_deref().unwrap_or(&text);
                crate::untrusted::write_fenced(&mut out.json, text, None);
                out.escape_since(mark);
            }
        } else if as_read {
            out.string(raw);
        } else {
            let mark = out.mark();
            crate::escape::write_escaped(&mut out.json, canonical.as_deref().unwrap_or(&text));
            out.escape_since(mark);
        }
        Ok(())
    }

    /// A number token's text; `self.i` is on its first character.
    fn number_token(&mut self) -> Fit<(&'a str, bool)> {
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > s
        };
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    self.i = i;
                    return Err(self.syntax("a number with a leading zero"));
                }
            }
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(self.syntax("expected a value")),
        }
        let mut integral = true;
        if b.get(i) == Some(&b'.') {
            i += 1;
            integral = false;
            if !digits(&mut i) {
                self.i = i;
                return Err(self.syntax("expected a digit"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            integral = false;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                self.i = i;
                return Err(self.syntax("expected a digit"));
            }
        }
        self.i = i;
        // ASCII by construction.
        let text = std::str::from_utf8(&b[start..i]).unwrap_or_default();
        Ok((text, integral))
    }

    fn is_number_start(&self) -> bool {
        matches!(self.peek(), Some(b'-' | b'0'..=b'9'))
    }

    fn integer(&mut self, bounds: Bounds, out: &mut Written) -> Fit<()> {
        if !self.is_number_start() {
            return Err(self.wrong_type("an integer"));
        }
        let start = self.i;
        let (text, integral) = self.number_token()?;
        let value = if integral {
            text.parse::<i64>()
                .map(|n| n as f64)
                .or_else(|_| text.parse::<u64>().map(|n| n as f64))
                .ok()
        } else {
            None
        };
        let Some(value) = value else {
            self.i = start;
            return Err(self.wrong_type("an integer"));
        };
        self.check_bounds(value, text, bounds)?;
        if text == "-0" {
            out.byte(b'0');
        } else {
            out.same(text.as_bytes());
        }
        Ok(())
    }

    fn number(&mut self, bounds: Bounds, out: &mut Written) -> Fit<()> {
        if !self.is_number_start() {
            return Err(self.wrong_type("a number"));
        }
        let (text, _) = self.number_token()?;
        let value: f64 = text.parse().unwrap_or(f64::NAN);
        if !value.is_finite() {
            return Err(self.misfit(format!("must be a finite number (got {text})")));
        }
        self.check_bounds(value, text, bounds)?;
        // As the SDK's `f64` fields wrote it: `0` is `0.0`.
        let mark = out.mark();
        serde_json::to_writer(&mut out.json, &value).map_err(|e| self.misfit(e.to_string()))?;
        out.same_since(mark);
        Ok(())
    }

    fn check_bounds(&self, value: f64, text: &str, bounds: Bounds) -> Fit<()> {
        if let Some(min) = bounds.min.filter(|m| value < *m) {
            return Err(self.misfit(format!("must be at least {min} (got {text})")));
        }
        if let Some(max) = bounds.max.filter(|m| value > *m) {
            return Err(self.misfit(format!("must be at most {max} (got {text})")));
        }
        Ok(())
    }

    /// Any JSON value, rewritten as serde_json writes a `Value`.
    fn any(&mut self, out: &mut Written) -> Fit<()> {
        let mut values =
            serde_json::Deserializer::from_slice(&self.b[self.i..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(v)) => {
                self.i += values.byte_offset();
                let mark = out.mark();
                serde_json::to_writer(&mut out.json, &v).map_err(|e| self.misfit(e.to_string()))?;
                out.escape_since(mark);
                Ok(())
            }
            Some(Err(e)) => Err(self.syntax(&e.to_string())),
            None => Err(self.syntax("expected a value")),
        }
    }

    /// Step over one value, checking only that it is JSON.
    fn skip(&mut self, depth: usize) -> Fit<()> {
        if depth > MAX_DEPTH {
            return Err(self.syntax("nested too deeply"));
        }
        match self.peek() {
            Some(b'"') => self
                .token()
                .and_then(|t| key_text(&t).map(drop).map_err(|m| self.syntax(&m))),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number_token().map(drop),
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if open == b'{' {
                        if self.peek() != Some(b'"') {
                            return Err(self.syntax("expected a member name"));
                        }
                        self.skip(depth + 1)?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                    }
                    self.skip(depth + 1)?;
                    if self.closes(close)? {
                        return Ok(());
                    }
                }
            }
            _ => Err(self.syntax("expected a value")),
        }
    }
}

/// A string token's text: borrowed when it has no escapes (inlined: most
/// have none, and the call cost more than the check).
#[inline(always)]
fn key_text<'a>(token: &Token<'a>) -> Result<Cow<'a, str>, String> {
    if token.escaped {
        unescape(token.raw).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(token.raw))
    }
}

/// The text of a JSON string token with escapes.
///
/// The runs between escapes are copied whole, found eight bytes at a time
/// ([`plain_run`]); a note or a transcript line with one quote or line
/// break in it was pushed a character at a time.
fn unescape(raw: &str) -> Result<String, String> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        // Every byte a run ends at is ASCII, so the run is whole characters.
        let end = plain_run(b, i);
        out.push_str(raw.get(i..end).unwrap_or_default());
        match b.get(end) {
            None => break,
            Some(b'\\') => {
                let (c, len) = escaped_char(b, end + 1)?;
                out.push(c);
                i = end + 1 + len;
            }
            // A quote or a control character: never in a token's text (the
            // scan ends a string at one and refuses the other), kept as is.
            Some(&c) => {
                out.push(char::from(c));
                i = end + 1;
            }
        }
    }
    Ok(out)
}

/// Hyphenated and lower-case: what the SDK's `Uuid` writes. The hyphens
/// are looked at where they must be, and the 32 digits up in a table.
fn is_lower_uuid(b: &[u8]) -> bool {
    static LOWER_HEX: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = matches!(c as u8, b'0'..=b'9' | b'a'..=b'f');
            c += 1;
        }
        t
    };
    let Ok(b) = <&[u8; 36]>::try_from(b) else {
        return false;
    };
    [b[8], b[13], b[18], b[23]] == [b'-'; 4]
        && [&b[..8], &b[9..13], &b[14..18], &b[19..23], &b[24..]]
            .iter()
            .all(|group| group.iter().all(|c| LOWER_HEX[usize::from(*c)]))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, a real date and time: exactly what the SDK's
/// `DateTime<Utc>` writes for a whole second, so it is copied as it is.
fn is_plain_utc(b: &[u8]) -> bool {
    b.len() == 20 && b[19] == b'Z' && is_utc_second(&b[..19])
}

/// A `YYYY-MM-DDTHH:MM:SS.mmmZ` timestamp (the gateway's clock writes
/// milliseconds, as JavaScript's `toISOString` does), as the SDK's
/// `DateTime<Utc>` writes it back.
enum Millis {
    /// Non-zero milliseconds: written back as they are.
    AsWritten,
    /// `.000`: written back without them, `…:SSZ`.
    WholeSecond(String),
}

/// What the SDK would write for the millisecond timestamp `b`, without
/// parsing it into a date and formatting it again; `None` if `b` is not
/// one (chrono then reads it).
fn utc_millis(b: &[u8]) -> Option<Millis> {
    let shape = b.len() == 24
        && b[19] == b'.'
        && b[20..23].iter().all(u8::is_ascii_digit)
        && b[23] == b'Z'
        && is_utc_second(&b[..19]);
    if !shape {
        return None;
    }
    if &b[20..23] != b"000" {
        return Some(Millis::AsWritten);
    }
    let mut whole = String::with_capacity(20);
    // ASCII: every byte was checked above.
    whole.push_str(std::str::from_utf8(&b[..19]).ok()?);
    whole.push('Z');
    Some(Millis::WholeSecond(whole))
}

/// `YYYY-MM-DDTHH:MM:SS`, a real date and time (no leap second).
fn is_utc_second(b: &[u8]) -> bool {
    if b.len() != 19 {
        return false;
    }
    let shape = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b'T',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    if !shape {
        return false;
    }
    let n = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (n(0, 4), n(5, 7), n(8, 10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && n(11, 13) < 24 && n(14, 16) < 60 && n(17, 19) < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast paths write what chrono would: parse, then `AutoSi` in UTC.
    #[test]
    fn millisecond_stamps_are_written_as_chrono_writes_them() {
        let chrono_writes = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };
        for stamp in [
            "2026-12-02T13:01:55.640Z",
            "2026-12-02T13:01:55.001Z",
            "2026-12-02T13:01:55.100Z",
            "2024-02-29T23:59:59.999Z",
        ] {
            assert!(matches!(
                utc_millis(stamp.as_bytes()),
                Some(Millis::AsWritten)
            ));
            assert_eq!(chrono_writes(stamp), stamp);
        }
        let Some(Millis::WholeSecond(whole)) = utc_millis(b"2026-12-02T13:01:55.000Z") else {
            panic!("`.000` is a whole second");
        };
        assert_eq!(whole, chrono_writes("2026-12-02T13:01:55.000Z"));
        // Not this shape, or not a real time: left to chrono to read (or refuse).
        for other in [
            "2026-12-02T13:01:55Z",
            "2026-12-02T13:01:55.64Z",
            "2026-12-02T13:01:55.640+00:00",
            "2026-12-02T13:01:55.640z",
            "2026-02-30T13:01:55.640Z",
            "2026-12-02T24:01:55.640Z",
            "2026-12-02T13:01:60.640Z",
        ] {
            assert!(utc_millis(other.as_bytes()).is_none(), "{other}");
        }
    }

    const CONTACT_LIST: &str = r#"{"type":"object","required":["data","page"],"properties":{
        "data":{"type":"array","items":{"type":"object","required":["id","first_name","created_at"],"properties":{
            "id":{"type":"string","format":"uuid"},
            "first_name":{"type":"string"},
            "tags":{"type":"array","items":{"type":"string"}},
            "notes":{"type":"string"},
            "created_at":{"type":"string","format":"date-time"},
            "score":{"type":"number","minimum":0},
            "kind":{"type":"string","enum":["lead","customer"]},
            "meta":{}}}},
        "page":{"type":"integer","minimum":1}}}"#;

    fn run(input: &str) -> Result<String, Misfit> {
        let paths = ["data/*/notes", "data/*/first_name", "missing/*/x", "page/x"];
        let shape = Shape::compile(CONTACT_LIST, &paths).unwrap();
        let mut out = Written::default();
        shape.transcode(input.as_bytes(), &mut out)?;
        let json = String::from_utf8(out.json).unwrap();
        // The text block's form, written alongside, is the JSON escaped.
        let mut escaped = Vec::new();
        crate::escape::write_escaped(&mut escaped, &json);
        assert_eq!(
            format!("\"{}\"", String::from_utf8(out.text).unwrap()),
            String::from_utf8(escaped).unwrap(),
            "{input}"
        );
        Ok(json)
    }

    #[test]
    fn the_fence_is_the_envelope_in_both_forms() {
        let quoted = |s: &str| format!("\"{s}");
        let escaped = |s: &str| {
            let mut out = Vec::new();
            write_escaped_inner(&mut out, s.as_bytes());
            out
        };
        let open = quoted(crate::untrusted::OPEN);
        let close = format!("{}\"", crate::untrusted::CLOSE);
        assert_eq!(FENCE_OPEN, [open.as_bytes(), &escaped(&open)]);
        assert_eq!(FENCE_CLOSE, [close.as_bytes(), &escaped(&close)]);
    }

    #[test]
    fn writes_what_the_typed_round_trip_wrote() {
        let got = run(r#" { "page": 1, "extra": {"x": [1, 2, {"y": null}]},
            "data": [ {"notes": "call \"later\"", "id": "A1B2C3D4-E5F6-7890-ABCD-EF1234567890",
            "first_name": "Ada\u00e9", "tags": [], "score": 0, "kind": null,
            "created_at": "2026-11-01T12:00:00+02:00"} ] } "#)
        .unwrap();
        assert_eq!(
            got,
            r#"{"data":[{"created_at":"2026-11-01T10:00:00Z","first_name":"<untrusted>Adaé</untrusted>","id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","notes":"<untrusted>call \"later\"</untrusted>","score":0.0}],"page":1}"#
        );
    }

    #[test]
    fn the_text_block_form_is_written_alongside_every_kind_of_value() {
        // `run` checks the text form against the JSON escaped; these take
        // every way a value is written, in and out of order.
        let got = run(r#"{"data":[{"meta":{"q":"a\"b","c":"\u0001\t","n":[1.0,-0,true,null]},
            "notes":"<untrusted>forged</untrusted> \"quoted\" \\ tab\t \u202e",
            "id":"A1B2C3D4-E5F6-7890-ABCD-EF1234567890","first_name":"Zoë\n",
            "created_at":"2026-11-01T12:00:00.000+02:00","tags":["x\"y","\/"],
            "score":0.5e1,"kind":"lead"},
            {"created_at":"2026-11-01T12:00:00.250Z","first_name":"plain","id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","tags":[]}],
            "page":2}"#)
        .unwrap();
        assert!(
            got.contains(r#""meta":{"q":"a\"b","c":"\u0001\t","n":[1.0,-0.0,true,null]}"#),
            "{got}"
        );
        assert!(got.contains(r#""tags":["x\"y","/"]"#), "{got}");
    }

    #[test]
    fn an_item_reads_the_same_whatever_came_before_it() {
        // Members are looked for where the last item had them: the same
        // order, another order, a name escaped, one the schema does not
        // have, spaces, a name that starts with a known one.
        let id = r#""id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890""#;
        let at = r#""created_at":"2026-11-01T10:00:00Z""#;
        let items = [
            format!(r#"{{{id},"first_name":"Ada",{at},"tags":["x"]}}"#),
            format!(r#"{{{id},"first_name":"Bob",{at},"notes":"n"}}"#),
            format!(r#"{{{at},{id},"first_name":"Cy"}}"#),
            format!(r#"{{{id},"first\u005fname":"Di",{at}}}"#),
            format!(r#"{{{id},"x":{{"first_name":1}},"first_name":"Ed",{at}}}"#),
            format!(r#"{{ {id} , "first_name" :"Flo" , {at} }}"#),
            format!(r#"{{{id},"first_namex":1,"first_name":"Gus",{at}}}"#),
            format!(r#"{{"first_name":"Hal",{id},{at},"score":1}}"#),
        ];
        let page = |items: &[&String]| {
            let joined: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
            format!(r#"{{"data":[{}],"page":1}}"#, joined.join(","))
        };
        let alone: Vec<String> = items
            .iter()
            .map(|item| {
                let got = run(&page(&[item])).unwrap();
                got[r#"{"data":["#.len()..got.len() - r#"],"page":1}"#.len()].to_owned()
            })
            .collect();
        let expect = |order: &[usize]| {
            let written: Vec<&str> = order.iter().map(|&n| alone[n].as_str()).collect();
            format!(r#"{{"data":[{}],"page":1}}"#, written.join(","))
        };
        let mut orders: Vec<Vec<usize>> = Vec::new();
        for a in 0..items.len() {
            for b in 0..items.len() {
                orders.push(vec![a, b, a]);
            }
        }
        orders.push((0..items.len()).chain(0..items.len()).collect());
        for order in orders {
            let these: Vec<&String> = order.iter().map(|&n| &items[n]).collect();
            assert_eq!(run(&page(&these)).unwrap(), expect(&order), "{order:?}");
        }
        // A name twice is still caught where the last item had it once.
        let twice = format!(r#"{{{id},"first_name":"Ida","first_name":"Jo",{at}}}"#);
        let got = run(&page(&[&items[0], &twice])).unwrap_err();
        assert_eq!(got.to_string(), "data.1: duplicate field `first_name`");
    }

    #[test]
    fn copies_canonical_answers_unchanged_but_for_order() {
        let input = r#"{"data":[{"created_at":"2024-02-29T23:59:59Z","first_name":"x","id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","tags":["a","b\n"]}],"page":2}"#;
        let got = run(input).unwrap();
        assert_eq!(got, input.replace("\"x\"", "\"<untrusted>x</untrusted>\""));
    }

    #[test]
    fn reports_the_first_misfit_with_its_path() {
        let cases = [
            (r#"{"data":[]}"#, "page: is required"),
            (
                r#"{"data":[{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","first_name":"x"}],"page":1}"#,
                "data.0.created_at: is required",
            ),
            (r#"{"data":{},"page":1}"#, "data: must be an array (got {})"),
            (
                r#"{"data":[],"page":0}"#,
                "page: must be at least 1 (got 0)",
            ),
            (
                r#"{"data":[],"page":1.5}"#,
                "page: must be an integer (got 1.5)",
            ),
            (
                r#"{"data":[{"id":"nope","first_name":"x","created_at":"2026-11-01T10:00:00Z"}],"page":1}"#,
                "data.0.id: must be a UUID",
            ),
            (
                r#"{"data":[{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","first_name":"x","created_at":"2026-02-30T10:00:00Z"}],"page":1}"#,
                "data.0.created_at: must be",
            ),
            (
                r#"{"data":[{"id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","first_name":"x","created_at":"2026-11-01T10:00:00Z","kind":"vip"}],"page":1}"#,
                "data.0.kind: must be one of: lead, customer (got \"vip\")",
            ),
            (r#"{"data":[],"page":1,"page":2}"#, "duplicate field `page`"),
        ];
        for (input, want) in cases {
            let got = run(input).unwrap_err().to_string();
            assert!(got.starts_with(want), "{input}\n got: {got}\nwant: {want}");
        }
    }

    /// A whole-second stamp is copied as it is exactly when chrono reads
    /// it and writes it back the same (a leap second aside): every day of
    /// four years around leap years and centuries, every byte broken once.
    #[test]
    fn a_plain_utc_stamp_is_what_chrono_would_write() {
        let chrono_keeps = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s).is_ok_and(|t| {
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    == s
            })
        };
        let mut stamps = Vec::new();
        for year in [1999, 2000, 2024, 2100] {
            for month in 0..=13 {
                for day in 0..=32 {
                    stamps.push(format!("{year}-{month:02}-{day:02}T23:59:59Z"));
                }
            }
        }
        for time in ["24:00:00", "00:60:00", "00:00:60", "12:34:56", "1a:00:00"] {
            stamps.push(format!("2026-12-03T{time}Z"));
        }
        let good = "2026-12-03T12:34:56Z";
        for at in 0..good.len() {
            for byte in [b'0', b'9', b'/', b':', b'-', b'T', b'Z', b' '] {
                let mut b = good.as_bytes().to_vec();
                b[at] = byte;
                stamps.push(String::from_utf8(b).unwrap());
            }
        }
        let mut copied = 0;
        for stamp in &stamps {
            // A leap second chrono keeps too, but it is left to chrono.
            let leap = stamp.ends_with(":60Z");
            assert_eq!(
                is_plain_utc(stamp.as_bytes()),
                chrono_keeps(stamp) && !leap,
                "{stamp}"
            );
            copied += usize::from(is_plain_utc(stamp.as_bytes()));
        }
        assert!(copied > 1_000, "{copied}");
    }

    #[test]
    fn a_lower_uuid_is_what_the_sdk_writes() {
        let good = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
        assert!(is_lower_uuid(good.as_bytes()));
        // Every byte replaced by every other: only another lower-case digit
        // where a digit was keeps it one.
        for at in 0..good.len() {
            for byte in 0..=255u8 {
                let mut b = good.as_bytes().to_vec();
                b[at] = byte;
                let digit = !matches!(at, 8 | 13 | 18 | 23);
                let expect = if digit {
                    matches!(byte, b'0'..=b'9' | b'a'..=b'f')
                } else {
                    byte == b'-'
                };
                assert_eq!(is_lower_uuid(&b), expect, "{at} {byte}");
                if expect {
                    let text = String::from_utf8(b).unwrap();
                    assert_eq!(
                        uuid::Uuid::parse_str(&text)
                            .unwrap()
                            .hyphenated()
                            .to_string(),
                        text
                    );
                }
            }
        }
        assert!(!is_lower_uuid(&good.as_bytes()[1..]));
        assert!(!is_lower_uuid(format!("{good}0").as_bytes()));
    }

    /// The text of `quoted` as the scan reads a string token (the whole of
    /// it, its quotes included), or `None` if it is not one.
    fn token_text(quoted: &str) -> Option<&str> {
        let mut scan = Scan {
            text: quoted,
            b: quoted.as_bytes(),
            i: 0,
            path: Vec::new(),
            scratch: Vec::new(),
        };
        let token = scan.token().ok()?;
        (scan.i == quoted.len()).then_some(token.raw)
    }

    #[test]
    fn unescapes_as_serde_json_reads() {
        // Every escape, good and bad, next to plain runs of both lengths
        // around a word, in every order of three.
        let pieces = [
            "a",
            "é",
            "😀",
            "plain run ",
            r#"\""#,
            r"\\",
            r"\/",
            r"\b",
            r"\f",
            r"\n",
            r"\r",
            r"\t",
            r"\u0041",
            r"\u00e9",
            r"\u20AC",
            r"\ud83d\ude00",
            r"\uD83D\uDE00",
            r"\ud800",
            r"\udc00",
            r"\ud800\u0041",
            r"\ud800x",
            r"\u12",
            r"\u12g4",
            r"\u+041",
            r"\x",
            r"\u00é9",
            r"\",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let quoted = format!("\"{a}{b}{c}\"");
                    // Only what the scan can hand over: no bare quote.
                    let Some(raw) = token_text(&quoted) else {
                        continue;
                    };
                    let theirs = serde_json::from_str::<String>(&quoted);
                    assert_eq!(unescape(raw).ok(), theirs.ok(), "{raw}");
                }
            }
        }
        for (raw, message) in [
            (r"x\ud800y", "lone leading surrogate in \\u escape"),
            (r"\udc00", "lone trailing surrogate in \\u escape"),
            (r"\ud800\u0041", "invalid surrogate pair in \\u escape"),
            (r"\u12", "invalid \\u escape"),
            (r"\u+041", "invalid \\u escape"),
            (r"\q", "invalid escape"),
            (r"ends\", "invalid escape"),
        ] {
            assert_eq!(unescape(raw), Err(message.to_owned()), "{raw}");
        }
    }

    #[test]
    fn rejects_what_is_not_json() {
        for bad in [
            "",
            "{",
            r#"{"data":[],"page":1} x"#,
            r#"{"data":[],"page":1,}"#,
            r#"{"data":[],"page":01}"#,
            r#"{"data":[],"extra":"\x","page":1}"#,
            r#"{"data":[],"extra":"\ud800","page":1}"#,
            "{\"data\":[],\"extra\":\"a\u{1}b\",\"page\":1}",
            r#"{"data":[],"extra":[1 2],"page":1}"#,
            r#"{"data":[],"page":1"#,
        ] {
            let got = run(bad).unwrap_err();
            assert!(got.message.starts_with("invalid JSON"), "{bad:?}: {got}");
        }
        let deep = format!(
            r#"{{"data":[],"page":1,"x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(
            run(&deep)
                .unwrap_err()
                .message
                .contains("nested too deeply")
        );
    }
}
