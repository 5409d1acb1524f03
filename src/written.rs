//! An answer written two ways at once: as JSON, and as that JSON inside a
//! JSON string.
//!
//! MCP sends a tool's answer twice ([`crate::splice`]): as
//! `structuredContent`, and as a text block holding the same JSON as a
//! string. Escaping the finished JSON for that string means reading all of
//! it again and stopping at every quote, which compact JSON has every few
//! bytes: on a 25-contact page that was a quarter of a call's
//! instructions. Yet the scan that writes the JSON ([`crate::shape`]) knows
//! every quote it writes and why — around a member's name, around a string
//! it copies — so it writes both forms as it goes: a member's head in its
//! two forms (built once per property), a string that needs no escape
//! copied into both with its quotes written `"` in one and `\"` in the
//! other, brackets, commas, numbers and literals (the same in both) twice.
//! Only what the scan writes the rare way (a string with escapes, a
//! canonical form, a fenced text that needed more than its fence, a value
//! of no type) is escaped from the JSON just written, by
//! [`Written::escape_since`].

use crate::escape::write_escaped_inner;

/// The two forms of one answer, written side by side.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The answer as compact JSON.
    pub(crate) json: Vec<u8>,
    /// `json` as it stands inside a JSON string, without the quotes: what
    /// [`crate::escape::write_escaped`] would write between them.
    pub(crate) text: Vec<u8>,
}

/// A point in both forms at once; the default is their start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    json: usize,
    text: usize,
}

impl Written {
    pub(crate) fn new(json: Vec<u8>, text: Vec<u8>) -> Self {
        Self { json, text }
    }

    #[inline]
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            json: self.json.len(),
            text: self.text.len(),
        }
    }

    /// Back to `mark`: what was written since is dropped from both.
    #[inline]
    pub(crate) fn truncate(&mut self, mark: Mark) {
        self.json.truncate(mark.json);
        self.text.truncate(mark.text);
    }

    pub(crate) fn clear(&mut self) {
        self.json.clear();
        self.text.clear();
    }

    /// A byte that is the same in both: never a quote, a backslash or a
    /// control character.
    #[inline]
    pub(crate) fn byte(&mut self, c: u8) {
        debug_assert!(c >= 0x20 && c != b'"' && c != b'\\');
        self.json.push(c);
        self.text.push(c);
    }

    /// Bytes that are the same in both (numbers, literals).
    #[inline]
    pub(crate) fn same(&mut self, b: &[u8]) {
        self.json.extend_from_slice(b);
        self.text.extend_from_slice(b);
    }

    /// What was written to `json` alone since `mark`, copied as it is to
    /// `text`: for bytes known to need no escape.
    #[inline]
    pub(crate) fn same_since(&mut self, mark: Mark) {
        self.text.extend_from_slice(&self.json[mark.json..]);
    }

    /// A member's head, `"name":`, in its two forms.
    #[inline]
    pub(crate) fn head(&mut self, json: &[u8], text: &[u8]) {
        self.json.extend_from_slice(json);
        self.text.extend_from_slice(text);
    }

    /// A JSON string whose text `raw` needs no escape: no quote, backslash
    /// or control character in it.
    #[inline]
    pub(crate) fn string(&mut self, raw: &[u8]) {
        self.json.push(b'"');
        self.json.extend_from_slice(raw);
        self.json.push(b'"');
        self.text.extend_from_slice(b"\\\"");
        self.text.extend_from_slice(raw);
        self.text.extend_from_slice(b"\\\"");
    }

    /// A JSON string of `raw` (as for [`Written::string`]) inside
    /// `open` and `close`, each given as it is written in both forms:
    /// with its quote, `"` and `\"`.
    #[inline]
    pub(crate) fn enclosed(&mut self, open: [&[u8]; 2], raw: &[u8], close: [&[u8]; 2]) {
        self.json.extend_from_slice(open[0]);
        self.json.extend_from_slice(raw);
        self.json.extend_from_slice(close[0]);
        self.text.extend_from_slice(open[1]);
        self.text.extend_from_slice(raw);
        self.text.extend_from_slice(close[1]);
    }

    /// What was written to `json` alone since `mark` (whole characters),
    /// escaped into `text`.
    pub(crate) fn escape_since(&mut self, mark: Mark) {
        write_escaped_inner(&mut self.text, &self.json[mark.json..]);
    }

    /// Both forms of what `from` holds between `start` and `end`.
    #[inline]
    pub(crate) fn copy(&mut self, from: &Written, start: Mark, end: Mark) {
        self.json
            .extend_from_slice(&from.json[start.json..end.json]);
        self.text
            .extend_from_slice(&from.text[start.text..end.text]);
    }

    /// This `mark` counted from `base` (where a copy of both forms from
    /// `base` on starts), for [`Written::copy`] out of that copy.
    #[inline]
    pub(crate) fn since(mark: Mark, base: Mark) -> Mark {
        Mark {
            json: mark.json - base.json,
            text: mark.text - base.text,
        }
    }

    /// Both forms from `mark` on, appended to `to` (emptied first).
    pub(crate) fn move_from(&mut self, mark: Mark, to: &mut Written) {
        to.clear();
        to.json.extend_from_slice(&self.json[mark.json..]);
        to.text.extend_from_slice(&self.text[mark.text..]);
        self.truncate(mark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of writing leaves `text` what escaping `json` would be.
    #[test]
    fn the_text_is_always_the_json_escaped() {
        let mut w = Written::default();
        w.byte(b'{');
        w.head(br#""a\"b":"#, br#"\"a\\\"b\":"#);
        w.string(b"plain");
        w.byte(b',');
        w.enclosed([b"\"<f>", b"\\\"<f>"], b"fenced", [b"</f>\"", b"</f>\\\""]);
        w.byte(b',');
        let m = w.mark();
        w.json
            .extend_from_slice("\"tab\\t \u{e9} \\\"q\\\"\"".as_bytes());
        w.escape_since(m);
        w.byte(b',');
        let m = w.mark();
        w.json.extend_from_slice(b"12.5");
        w.same_since(m);
        w.same(b"true");
        w.byte(b'}');
        let mut escaped = Vec::new();
        write_escaped_inner(&mut escaped, &w.json);
        assert_eq!(
            String::from_utf8(w.text.clone()).unwrap(),
            String::from_utf8(escaped).unwrap()
        );
        // Moved out and copied back in pieces, it reads the same.
        let whole = (w.json.clone(), w.text.clone());
        let base = Mark { json: 1, text: 1 };
        let mut scratch = Written::default();
        let end = w.mark();
        w.move_from(base, &mut scratch);
        assert_eq!(w.mark(), base);
        w.copy(
            &scratch,
            Written::since(base, base),
            Written::since(end, base),
        );
        assert_eq!((w.json, w.text), whole);
    }
}
