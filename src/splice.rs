//! Tool results written onto the wire as the bytes they already are.
//!
//! A tool's answer leaves [`crate::shape`] as compact JSON text. MCP sends it
//! twice: as `structuredContent` (that JSON) and as a text block (that JSON
//! as a JSON string). rmcp's message types hold `structuredContent` as a
//! `serde_json::Value`, so going through them means parsing the text back
//! into a tree only to serialize it again — on a 25-contact page, more CPU
//! than the whole rest of the call.
//!
//! So a served tool result carries two placeholders instead: short strings
//! that start with [`marker`], a per-process secret no client or gateway can
//! know, and name a stashed answer. rmcp serializes the (now tiny) message as
//! usual; the transport then [`splice`]s the answer in — raw JSON in place of
//! the `structuredContent` placeholder, the escaped string in place of the
//! text one (as the scan wrote it beside the JSON, [`crate::written`]; an
//! answer cut to fit is escaped here) — writing each byte once. Both transports splice: the stdio
//! writer ([`crate::stdio`]) and the HTTP body ([`crate::http`]).
//!
//! A stashed answer is taken when its message is written. One that never
//! is (its client went away first) is dropped after [`MAX_AGE`], and at most
//! [`MAX_STASHED`] wait at once, so memory stays bounded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long an answer waits for its message to be written.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(600);

/// The most answers waiting at once; past it the oldest are dropped.
pub(crate) const MAX_STASHED: usize = 4096;

/// Which placeholder.
const STRUCTURED: char = 's';
const TEXT: char = 't';

#[derive(Debug)]
struct Stashed {
    at: Instant,
    json: String,
    /// `json` as it stands inside a JSON string, when the scan wrote it
    /// ([`crate::written`]); else it is escaped as it is spliced.
    escaped: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Stash {
    answers: HashMap<u64, Stashed>,
}

static STASH: OnceLock<Mutex<Stash>> = OnceLock::new();
static WAITING: AtomicUsize = AtomicUsize::new(0);
static NEXT: AtomicU64 = AtomicU64::new(1);

fn stash() -> std::sync::MutexGuard<'static, Stash> {
    STASH
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// The placeholders' prefix: a private-use character, then 32 random hex
/// digits fixed for the life of the process. Nothing a client sends or the
/// gateway answers is ever serialized starting with it unless it knows them.
pub(crate) fn marker() -> &'static str {
    static MARKER: OnceLock<String> = OnceLock::new();
    MARKER.get_or_init(|| {
        let mut seed = [0u8; 16];
        if getrandom::fill(&mut seed).is_err() {
            // No entropy source: still unique per process and time, and only
            // the stdio client (which owns the process) could try to guess.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            seed = (t ^ u128::from(std::process::id())).to_le_bytes();
        }
        format!("\u{F8FF}smartalex-{}-", crate::hex::encode(&seed))
    })
}

/// Keep `json` (an answer's compact JSON, and `escaped` its form inside a
/// JSON string if it was written) for the wire; returns the placeholders
/// for `structuredContent` and for the text block.
///
/// The `structuredContent` placeholder is an object with one member,
/// `{"<marker>s<id>":0}`: structured content is an object, and rmcp drops
/// any other value from a result for a client before 2026-07-28.
pub(crate) fn stash_answer(json: String, escaped: Option<Vec<u8>>) -> (Value, String) {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let now = Instant::now();
    {
        let mut s = stash();
        if s.answers.len() >= MAX_STASHED / 2 {
            s.answers.retain(|_, a| now.duration_since(a.at) < MAX_AGE);
        }
        while s.answers.len() >= MAX_STASHED {
            let Some(oldest) = s.answers.iter().min_by_key(|(_, a)| a.at).map(|(k, _)| *k) else {
                break;
            };
            s.answers.remove(&oldest);
        }
        s.answers.insert(
            id,
            Stashed {
                at: now,
                json,
                escaped,
            },
        );
        WAITING.store(s.answers.len(), Ordering::Relaxed);
    }
    (
        Value::Object(serde_json::Map::from_iter([(
            placeholder(STRUCTURED, id),
            Value::from(0),
        )])),
        placeholder(TEXT, id),
    )
}

/// `<marker><kind><id>`, written without the formatting machinery (which
/// was a visible part of a call's profile for two short strings).
fn placeholder(kind: char, id: u64) -> String {
    let m = marker();
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(id);
    let mut out = String::with_capacity(m.len() + 1 + digits.len());
    out.push_str(m);
    out.push(kind);
    out.push_str(digits);
    out
}

/// Does any serialized message still need [`splice`]?
pub(crate) fn waiting() -> bool {
    WAITING.load(Ordering::Relaxed) > 0
}

/// `message` (one serialized JSON-RPC message) with every placeholder
/// replaced by its answer, which is then forgotten. A message without
/// placeholders comes back as it is, unallocated.
pub(crate) fn splice(message: Vec<u8>) -> Vec<u8> {
    if !waiting() {
        return message;
    }
    static QUOTED: OnceLock<String> = OnceLock::new();
    let needle = QUOTED.get_or_init(|| format!("\"{}", marker())).as_bytes();
    let Some(first) = find(&message, needle, 0) else {
        return message;
    };
    let mut taken: Vec<(u64, Stashed)> = Vec::new();
    let mut out = Vec::new();
    let mut copied = 0;
    let mut at = Some(first);
    while let Some(start) = at {
        // `"<marker><kind><id>"`: the whole JSON string is the placeholder.
        let kind_at = start + needle.len();
        let digits_end = message[kind_at + 1..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map(|n| kind_at + 1 + n);
        let parsed = digits_end
            .filter(|end| message.get(*end) == Some(&b'"') && *end > kind_at + 1)
            .and_then(|end| {
                let id = std::str::from_utf8(&message[kind_at + 1..end])
                    .ok()?
                    .parse()
                    .ok()?;
                Some((message[kind_at], id, end + 1))
            });
        // The structured placeholder is the whole object around that
        // string, `{"…":0}`.
        let parsed = parsed.and_then(|(kind, id, end)| {
            if kind != STRUCTURED as u8 {
                return Some((kind, id, start, end));
            }
            let open = start.checked_sub(1).filter(|&o| message[o] == b'{')?;
            message[end..]
                .starts_with(b":0}")
                .then_some((kind, id, open, end + 3))
        });
        let Some((kind, id, start, end)) = parsed else {
            at = find(&message, needle, kind_at);
            continue;
        };
        if !taken.iter().any(|(k, _)| *k == id)
            && let Some(answer) = stash().answers.remove(&id)
        {
            taken.push((id, answer));
        }
        let Some((_, answer)) = taken.iter().find(|(k, _)| *k == id) else {
            // Dropped for age: say so rather than send the placeholder.
            out.extend_from_slice(&message[copied..start]);
            out.extend_from_slice(if kind == STRUCTURED as u8 {
                b"null".as_slice()
            } else {
                b"\"The answer expired before it could be sent; call the tool again.\"".as_slice()
            });
            copied = end;
            at = find(&message, needle, end);
            continue;
        };
        if out.capacity() == 0 {
            out =
                crate::buffers::take(message.len() + 2 * answer.json.len() + answer.json.len() / 4);
        }
        out.extend_from_slice(&message[copied..start]);
        if kind == STRUCTURED as u8 {
            out.extend_from_slice(answer.json.as_bytes());
        } else if let Some(escaped) = &answer.escaped {
            out.push(b'"');
            out.extend_from_slice(escaped);
            out.push(b'"');
        } else {
            crate::escape::write_escaped(&mut out, &answer.json);
        }
        copied = end;
        at = find(&message, needle, end);
    }
    out.extend_from_slice(&message[copied..]);
    if !taken.is_empty() {
        WAITING.store(stash().answers.len(), Ordering::Relaxed);
    }
    for (_, answer) in taken {
        crate::buffers::give(answer.json.into_bytes());
        if let Some(escaped) = answer.escaped {
            crate::buffers::give(escaped);
        }
    }
    out
}

/// Where `needle` (a quote, then the marker) first occurs in `hay` at or
/// after `from`. The scan looks for the marker's first byte, which JSON text
/// almost never holds, rather than for quotes, which it is full of.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rare = *needle.get(1)?;
    let mut i = from + 1;
    while i + needle.len() <= hay.len() + 1 {
        i += hay.get(i..)?.iter().position(|b| *b == rare)?;
        if hay[i - 1..].starts_with(needle) {
            return Some(i - 1);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_placeholders_become_the_answer_once() {
        let answer = r#"{"data":[{"notes":"say \"hi\""}],"total":1}"#;
        // The text block escaped as it is spliced, or as the scan wrote it:
        // the same bytes.
        let mut written = Vec::new();
        crate::escape::write_escaped_inner(&mut written, answer.as_bytes());
        let mut lines = Vec::new();
        for escaped in [None, Some(written)] {
            let (structured, text) = stash_answer(answer.to_owned(), escaped);
            let message = json!({"jsonrpc": "2.0", "id": 1, "result": {
                "content": [{"type": "text", "text": text}],
                "structuredContent": structured, "isError": false}});
            lines.push(splice(serde_json::to_vec(&message).unwrap()));
        }
        assert_eq!(lines[0], lines[1]);
        let got: Value = serde_json::from_slice(&lines[1]).unwrap();
        assert_eq!(
            got["result"]["structuredContent"],
            serde_json::from_str::<Value>(answer).unwrap()
        );
        assert_eq!(got["result"]["content"][0]["text"], answer);
        let (structured, text) = stash_answer(answer.to_owned(), None);
        let message = json!({"jsonrpc": "2.0", "id": 1, "result": {
            "content": [{"type": "text", "text": text}],
            "structuredContent": structured, "isError": false}});
        splice(serde_json::to_vec(&message).unwrap());
        // Taken: the same placeholders again find nothing to put in.
        let again = splice(serde_json::to_vec(&message).unwrap());
        let got: Value = serde_json::from_slice(&again).unwrap();
        assert!(
            got["result"]["structuredContent"].get("data").is_none(),
            "{got}"
        );
    }

    #[test]
    fn a_placeholder_is_the_marker_the_kind_and_the_id() {
        for id in [0, 7, 10, 4096, u64::MAX] {
            assert_eq!(placeholder(TEXT, id), format!("{}{TEXT}{id}", marker()));
        }
    }

    #[test]
    fn finds_the_needle_wherever_it_starts() {
        let needle = "\"\u{F8FF}ab".as_bytes();
        let hay = "x\"\u{F8FF}a \"\u{F8FF}ab\"\u{F8FF}ab".as_bytes();
        let first = find(hay, needle, 0).unwrap();
        assert_eq!(&hay[first..first + needle.len()], needle);
        let second = find(hay, needle, first + 1).unwrap();
        assert!(second > first);
        assert_eq!(find(hay, needle, second + 1), None);
        assert_eq!(find(needle, needle, 0), Some(0));
        assert_eq!(find(b"", needle, 0), None);
    }

    #[test]
    fn text_that_only_looks_like_a_placeholder_is_left_alone() {
        let (_, text) = stash_answer("{}".to_owned(), None);
        // Not at the start of a string, or without the secret marker.
        for message in [
            json!({"id": format!("x{text}")}),
            json!({"id": "\u{F8FF}smartalex-00000000000000000000000000000000-s1"}),
        ] {
            let bytes = serde_json::to_vec(&message).unwrap();
            assert_eq!(splice(bytes.clone()), bytes);
        }
    }
}
