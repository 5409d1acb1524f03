//! `pattern`, as JSON Schema specifies it (an ECMAScript regular
//! expression), with the patterns an API spec actually writes matched
//! without a regex engine.
//!
//! Every phone number in a contact page is checked against
//! `^\+[1-9][0-9]{6,14}$`; in a profile of a 25-contact tool call, the
//! backtracking engine doing it was 2% of the server's CPU, more than the
//! rest of the page's strings together. Patterns like that one — anchored at
//! both ends, a sequence of ASCII characters and classes, each repeated a
//! bounded or unbounded number of times — are matched here in one pass
//! over the bytes. A pattern is taken this way only where that pass gives
//! exactly the engine's answer: every repeated item of variable count is
//! followed by one that must occur and can share no character with it, so
//! taking as many as possible can never be wrong. Every other pattern goes
//! to [`regress`], which implements ECMAScript's semantics.

/// A compiled `pattern`.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    matcher: Matcher,
}

#[derive(Debug)]
enum Matcher {
    /// `^…$` over ASCII items: matched byte by byte.
    Anchored(Vec<Item>),
    Regex(regress::Regex),
}

/// One character class (a literal is a class of one), repeated
/// `min..=max` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    /// Bit `b` set: ASCII byte `b` is in the class.
    set: u128,
    min: u32,
    max: u32,
}

impl Pattern {
    /// Compile `source`; a pattern the engine rejects is an error naming it
    /// (`pattern <source>: <the engine's reason>`).
    pub fn new(source: &str) -> Result<Self, String> {
        let matcher = match anchored(source) {
            Some(items) => Matcher::Anchored(items),
            None => Matcher::Regex(
                regress::Regex::new(source).map_err(|e| format!("pattern {source}: {e}"))?,
            ),
        };
        Ok(Self {
            source: source.to_owned(),
            matcher,
        })
    }

    /// The pattern as written in the schema.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Does `text` match anywhere, as ECMAScript's `RegExp.test` says?
    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Regex(re) => re.find(text).is_some(),
            Matcher::Anchored(items) => {
                // Every class is ASCII, so a byte outside one (any byte of a
                // non-ASCII character among them) fails the match, as the
                // character would.
                let b = text.as_bytes();
                let mut at = 0;
                for item in items {
                    let mut n = 0;
                    while n < item.max && b.get(at).is_some_and(|&c| item.contains(c)) {
                        at += 1;
                        n += 1;
                    }
                    if n < item.min {
                        return false;
                    }
                }
                at == b.len()
            }
        }
    }

    #[cfg(test)]
    fn is_anchored(&self) -> bool {
        matches!(self.matcher, Matcher::Anchored(_))
    }
}

impl Item {
    fn contains(&self, c: u8) -> bool {
        c < 128 && (self.set >> c) & 1 == 1
    }
}

/// `source` as items, if it is `^…$` over ASCII classes and literals and
/// taking each item greedily is exact (see the module doc).
fn anchored(source: &str) -> Option<Vec<Item>> {
    let body = source.strip_prefix('^')?.strip_suffix('$')?;
    if body.ends_with('\\') {
        // `\$`: the closing `$` was a literal.
        return None;
    }
    let b = body.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let set = match b[i] {
            b'\\' => {
                let escaped = *b.get(i + 1)?;
                i += 2;
                match escaped {
                    b'd' => range(b'0', b'9'),
                    c if b"+.*?()[]{}|\\/^$-".contains(&c) => 1u128 << c,
                    _ => return None,
                }
            }
            b'[' => {
                let close = i + 1 + b[i + 1..].iter().position(|&c| c == b']')?;
                let set = class(&b[i + 1..close])?;
                i = close + 1;
                set
            }
            c if c.is_ascii_graphic() && !b".*+?()[]{}|^$".contains(&c) || c == b' ' => {
                i += 1;
                1u128 << c
            }
            _ => return None,
        };
        let (min, max) = match b.get(i) {
            Some(b'?') => (0, 1),
            Some(b'*') => (0, u32::MAX),
            Some(b'+') => (1, u32::MAX),
            Some(b'{') => {
                let close = i + b[i..].iter().position(|&c| c == b'}')?;
                let inside = std::str::from_utf8(&b[i + 1..close]).ok()?;
                i = close;
                let digits = |s: &str| {
                    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                        .then(|| s.parse::<u32>().ok())
                        .flatten()
                };
                match inside.split_once(',') {
                    None => {
                        let n = digits(inside)?;
                        (n, n)
                    }
                    Some((lo, "")) => (digits(lo)?, u32::MAX),
                    Some((lo, hi)) => (digits(lo)?, digits(hi)?),
                }
            }
            _ => {
                items.push(Item {
                    set,
                    min: 1,
                    max: 1,
                });
                continue;
            }
        };
        i += 1;
        if min > max || matches!(b.get(i), Some(b'?' | b'*' | b'+' | b'{')) {
            // `{3,1}` is the engine's error to report; `+?` is lazy, `a**`
            // an error: not a pattern this matcher takes.
            return None;
        }
        items.push(Item { set, min, max });
    }
    let greedy_is_exact = items.windows(2).all(|w| {
        let (item, next) = (w[0], w[1]);
        item.min == item.max || (next.min > 0 && item.set & next.set == 0)
    });
    greedy_is_exact.then_some(items)
}

/// The bytes `lo..=hi` as a set.
fn range(lo: u8, hi: u8) -> u128 {
    (lo..=hi).fold(0, |set, c| set | 1u128 << c)
}

/// The inside of `[…]`: plain ASCII characters and `a-z` ranges only.
fn class(inside: &[u8]) -> Option<u128> {
    if inside.is_empty() || inside[0] == b'^' {
        return None;
    }
    let plain = |c: u8| c.is_ascii_graphic() && !b"\\[]-^".contains(&c) || c == b' ';
    let mut set = 0u128;
    let mut i = 0;
    while i < inside.len() {
        let lo = inside[i];
        if !plain(lo) {
            return None;
        }
        if inside.get(i + 1) == Some(&b'-') {
            let hi = *inside.get(i + 2)?;
            if !plain(hi) || hi < lo {
                return None;
            }
            set |= range(lo, hi);
            i += 3;
        } else {
            set |= 1u128 << lo;
            i += 1;
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic strings over the characters these patterns care about
    /// (and some they do not: a non-ASCII letter, a newline).
    fn strings() -> Vec<String> {
        const ALPHABET: &[char] = &[
            '+', '0', '1', '5', '9', 'a', 'z', 'Z', '-', '_', '.', ' ', '\n', 'é', '$',
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        let mut out = vec![String::new(), "+14155551000".to_owned(), "+0123".to_owned()];
        for _ in 0..20_000 {
            let len = next() % 18;
            out.push(
                (0..len)
                    .map(|_| ALPHABET[next() % ALPHABET.len()])
                    .collect(),
            );
        }
        // Phone-like strings, where the interesting boundaries are.
        for len in 0..18 {
            let digits: String = (0..len)
                .map(|k| char::from(b'0' + (k % 10) as u8))
                .collect();
            out.push(format!("+1{digits}"));
            out.push(format!("+0{digits}"));
            out.push(format!("+1{digits}\n"));
        }
        out
    }

    #[test]
    fn answers_exactly_as_the_engine_does() {
        let taken = [
            r"^\+[1-9][0-9]{6,14}$",
            "^[0-9]{2,4}$",
            "^a$",
            "^[a-z]+-[0-9]*$",
            r"^\d{3}$",
            "^[a-zA-Z0-9_]{1,}$",
            r"^a\.b?c$",
            "^[+][0-9]{0,2}z$",
            "^$",
            "^ab{2}c{0,1}$",
        ];
        let engine_only = [
            "^[0-9]{1,3}[0-9]$",
            "^a?a$",
            "^(ab)+$",
            "^.*$",
            "^[^x]$",
            "[0-9]+",
            "^a|b$",
            r"^a\$",
            "^a+?$",
            r"^\w+$",
            "^[a-]$",
            "^a*a*$",
            "^é$",
        ];
        let strings = strings();
        for (source, anchored) in taken
            .iter()
            .map(|s| (s, true))
            .chain(engine_only.iter().map(|s| (s, false)))
        {
            let ours = Pattern::new(source).unwrap();
            assert_eq!(ours.is_anchored(), anchored, "{source}");
            assert_eq!(ours.source(), *source);
            let re = regress::Regex::new(source).unwrap();
            for s in &strings {
                assert_eq!(ours.is_match(s), re.find(s).is_some(), "{source} on {s:?}");
            }
        }
    }

    #[test]
    fn a_pattern_the_engine_rejects_is_an_error() {
        for source in ["^(a$", "^a{3,1}$"] {
            let error = Pattern::new(source).unwrap_err();
            assert!(error.starts_with(&format!("pattern {source}: ")), "{error}");
        }
    }
}
