//! JSON string bytes, eight at a time.
//!
//! Every string of every tool answer passes through here: the scan
//! ([`crate::shape`]) finds the end of each string token with
//! [`plain_run`], and escapes what it must rewrite with [`write_escaped`]
//! (and, for the text block, the same again: [`crate::written`]); an
//! answer that was cut to fit is escaped whole for its text block
//! ([`crate::splice`]). Compact JSON has a quote every few bytes, so
//! anything that stops and looks at bytes one at a time, or calls `memcpy`
//! for each run between two quotes, pays for it on every member of every
//! record. These functions look at a `u64` word at a time and find the byte
//! that matters by its bit, exactly (never "maybe one of these": where a
//! cheaper test may also mark a later byte, only its first mark is read),
//! in safe code.
//!
//! Reading an escape back ([`escaped_char`]) is here too, for the scan's
//! strings with escapes, and for the stdio transport, to find the lone half
//! of a surrogate pair that made serde_json refuse a line.

/// Eight bytes of ones, and of high bits: for looking at a word at a time.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that is zero, and of no other.
#[inline]
fn zero_bytes(word: u64) -> u64 {
    const LOWS: u64 = !HIGHS;
    !(((word & LOWS).wrapping_add(LOWS)) | word | LOWS)
}

/// The high bit of each byte of `word` that is `byte`.
#[inline]
fn bytes_equal_to(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(byte)))
}

/// The high bit of each byte of `word` that is a quote or a backslash.
#[inline]
fn doubled_bytes(word: u64) -> u64 {
    bytes_equal_to(word, b'"') | bytes_equal_to(word, b'\\')
}

/// The high bit of the first byte of `word` (in memory order) that is
/// `byte`, and perhaps of later ones: the subtract-and-mask test, three
/// operations to [`bytes_equal_to`]'s six. Below the first match no borrow
/// has happened, so every byte there reads exactly; a byte above it may
/// read as a match when it is not. Exact, then, for "is there one" and
/// "where is the first".
#[inline]
fn first_equal_to(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The high bit of the first byte of `word` that is a control character,
/// and perhaps of later ones, as for [`first_equal_to`]: a byte under 0x20
/// is the first to borrow when 0x20 is taken from each.
#[inline]
fn first_control(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x20) & !word & HIGHS
}

/// The eight bytes of `b` from `i` as a word, if there are eight.
#[inline]
fn word_at(b: &[u8], i: usize) -> Option<u64> {
    let chunk = b.get(i..i.checked_add(8)?)?;
    <[u8; 8]>::try_from(chunk).ok().map(u64::from_le_bytes)
}

/// Whether `b` is ASCII without a `<` or a DEL: a third party's text that
/// needs nothing done to it but the fence ([`crate::untrusted`]), if its
/// string had no escapes. Eight bytes at a time.
#[inline]
pub(crate) fn is_plain_ascii(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(word) = word_at(b, i) {
        if word & HIGHS != 0 || first_equal_to(word, b'<') | first_equal_to(word, 0x7f) != 0 {
            return false;
        }
        i += 8;
    }
    b[i..]
        .iter()
        .all(|c| c.is_ascii() && *c != b'<' && *c != 0x7f)
}

/// Where the run of bytes from `i` that need no attention inside a JSON
/// string ends: at a quote, a backslash, a control character or the end.
/// Eight bytes at a time, and the first special byte in a word is found by
/// its bit, not by looking at the bytes again. Only the first is wanted, so
/// the three tests are the cheaper ones that are exact up to the first
/// match ([`first_equal_to`]): the lowest bit of their union is the first
/// byte any of them matches.
#[inline]
pub(crate) fn plain_run(b: &[u8], mut i: usize) -> usize {
    while let Some(word) = word_at(b, i) {
        let special =
            first_equal_to(word, b'"') | first_equal_to(word, b'\\') | first_control(word);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(c) = b.get(i) {
        if *c == b'"' || *c == b'\\' || *c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// `s` as a JSON string, escaped exactly as serde_json escapes.
///
/// The text block of every tool result is its answer escaped, and an
/// answer is compact JSON: a quote every few bytes. A loop that finds the
/// next special byte, copies the run before it and writes its escape stops
/// at nearly every member, and calls `memcpy` for a handful of bytes each
/// time. Here the answer goes eight bytes at a time: the word is written
/// whole, and for each quote or backslash in it (found exactly, by bit
/// arithmetic) the write point moves up to it, a backslash goes in, and the
/// rest of the word is written again after it. A control character, which
/// needs six bytes, hands the rest to [`write_escaped_slowly`].
pub(crate) fn write_escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped_inner(out, s.as_bytes());
    out.push(b'"');
}

/// [`write_escaped`] without the quotes: `b` (UTF-8, or a run of it that
/// starts and ends on whole characters) as it stands inside a JSON string.
pub(crate) fn write_escaped_inner(out: &mut Vec<u8>, b: &[u8]) {
    let start = out.len();
    // Room for every byte doubled and a word written whole past the end.
    out.resize(start + 2 * b.len() + 8, 0);
    let buf = &mut out[start..];
    let mut w = 0;
    let mut i = 0;
    while let Some(word) = word_at(b, i) {
        if first_control(word) != 0 {
            break;
        }
        let mut doubled = doubled_bytes(word);
        let (mut rest, mut from) = (word, 0);
        while doubled != 0 {
            let at = (doubled.trailing_zeros() / 8) as usize;
            buf[w..w + 8].copy_from_slice(&rest.to_le_bytes());
            w += at - from;
            buf[w] = b'\\';
            w += 1;
            rest = word >> (8 * at);
            from = at;
            doubled &= doubled - 1;
        }
        buf[w..w + 8].copy_from_slice(&rest.to_le_bytes());
        w += 8 - from;
        i += 8;
    }
    // The last few bytes, and a word with a control character in it.
    while let Some(&c) = b.get(i) {
        if c < 0x20 {
            break;
        }
        buf[w] = b'\\';
        let doubled = usize::from(c == b'"' || c == b'\\');
        buf[w + doubled] = c;
        w += 1 + doubled;
        i += 1;
    }
    out.truncate(start + w);
    if i < b.len() {
        // A control character: whole characters so far, since it is ASCII.
        write_escaped_slowly(out, &b[i..]);
    }
}

/// The bytes of a JSON string from a control character on, escaped, the
/// runs that need nothing copied whole (no quotes around them).
fn write_escaped_slowly(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(b.len() + b.len() / 8 + 8);
    let mut at = 0;
    loop {
        let end = plain_run(b, at);
        out.extend_from_slice(&b[at..end]);
        let Some(c) = b.get(end) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]),
        }
        at = end + 1;
    }
}

/// The character of the escape whose backslash is just before `b[at]`, and
/// how many bytes after the backslash it takes.
///
/// Always inlined: given a second caller (the stdio transport's), the
/// shipped build stopped inlining it into the scan's `unescape`, which cost
/// a 25-contact page 0.2% more instructions; inlined, it counts the same.
#[inline(always)]
pub(crate) fn escaped_char(b: &[u8], at: usize) -> Result<(char, usize), String> {
    let c = match b.get(at) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let unit = hex4(b, at + 1)?;
            if !(0xD800..0xDC00).contains(&unit) {
                let c = char::from_u32(unit).ok_or("lone trailing surrogate in \\u escape")?;
                return Ok((c, 5));
            }
            if b.get(at + 5..at + 7) != Some(b"\\u") {
                return Err("lone leading surrogate in \\u escape".into());
            }
            let low = hex4(b, at + 7)?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err("invalid surrogate pair in \\u escape".into());
            }
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            let c = char::from_u32(code).ok_or("invalid surrogate pair in \\u escape")?;
            return Ok((c, 11));
        }
        _ => return Err("invalid escape".into()),
    };
    Ok((c, 1))
}

/// The four hex digits at `b[at..]`.
#[inline]
pub(crate) fn hex4(b: &[u8], at: usize) -> Result<u32, String> {
    let digits = b.get(at..at + 4).ok_or("invalid \\u escape")?;
    digits.iter().try_fold(0, |n, &d| {
        char::from(d)
            .to_digit(16)
            .map(|d| n * 16 + d)
            .ok_or_else(|| "invalid \\u escape".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_exactly_as_serde_json_does() {
        let mut all = String::new();
        for c in (0u8..0x80)
            .map(char::from)
            .chain(['é', '‹', '😀', '\u{2028}'])
        {
            all.push(c);
        }
        let quotes = "\"".repeat(101);
        let backslashes = "\\".repeat(99);
        for s in [
            all.as_str(),
            "",
            "plain text that is long enough to take the word path",
            "ab\"cdefgh\\ijklmnop\u{1}",
            &quotes,
            &backslashes,
        ] {
            let mut ours = Vec::new();
            write_escaped(&mut ours, s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
        // Strings of every length up to three words, from characters that
        // take each path (plain, doubled, long form, multi-byte), appended
        // to what is already in the buffer.
        let alphabet = [
            'a', 'Z', ' ', '"', '\\', '\n', '\u{1f}', '\u{7f}', 'é', '😀', '/', ':',
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0..=24 {
            for _ in 0..200 {
                let s: String = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                let mut ours = b"prefix".to_vec();
                write_escaped(&mut ours, &s);
                assert_eq!(
                    ours,
                    format!("prefix{}", serde_json::to_string(&s).unwrap()).into_bytes(),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn a_plain_run_ends_at_the_first_special_byte() {
        // Every byte value, at every offset of a word, after every start.
        for special in 0..=255u8 {
            for len in 0..=20 {
                let mut b = vec![b'a'; len];
                b.push(special);
                b.extend_from_slice(b"xy\"z");
                let naive =
                    |from: usize| (from..b.len()).find(|&j| matches!(b[j], b'"' | b'\\' | 0..0x20));
                for from in 0..=len {
                    assert_eq!(Some(plain_run(&b, from)), naive(from), "{b:?} from {from}");
                }
            }
        }
        assert_eq!(plain_run(b"abcdefghijk", 0), 11);
        // Two bytes from those next to each test's edge, at every pair of
        // places in two words: the first special byte is never missed, and
        // no byte before it is taken for one.
        let edges = [
            0x00, 0x01, 0x1f, 0x20, 0x21, b'"', 0x23, 0x5b, b'\\', 0x5d, 0x7f, 0x80, 0x9f, 0xa0,
            0xa2, 0xdc, 0xff, b'a',
        ];
        for x in edges {
            for y in edges {
                for p in 0..16 {
                    for q in p + 1..16 {
                        let mut b = vec![b'a'; 16];
                        b[p] = x;
                        b[q] = y;
                        let naive = (0..16)
                            .find(|&j| matches!(b[j], b'"' | b'\\' | 0..0x20))
                            .unwrap_or(16);
                        assert_eq!(plain_run(&b, 0), naive, "{b:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn plain_ascii_is_ascii_without_an_angle_or_a_del() {
        for byte in 0..=255u8 {
            for len in 0..=17 {
                for at in 0..len {
                    let mut b = vec![b'a'; len];
                    b[at] = byte;
                    let naive = b.iter().all(|c| c.is_ascii() && *c != b'<' && *c != 0x7f);
                    assert_eq!(is_plain_ascii(&b), naive, "{b:?}");
                }
            }
        }
        assert!(is_plain_ascii(b""));
        // The cheap tests are exact for "is there one" whatever else the
        // word holds: every byte value beside each byte near the tests, at
        // five pairs of places.
        for x in 0..=255u8 {
            for y in [0x00, 0x3b, b'<', 0x3d, 0x7e, 0x7f, 0x80, 0xbc, 0xff, b'a'] {
                for (p, q) in [(0, 1), (0, 7), (3, 4), (6, 7), (1, 6)] {
                    let mut b = vec![b'a'; 8];
                    b[p] = x;
                    b[q] = y;
                    let naive = b.iter().all(|c| c.is_ascii() && *c != b'<' && *c != 0x7f);
                    assert_eq!(is_plain_ascii(&b), naive, "{b:?}");
                }
            }
        }
    }
}
