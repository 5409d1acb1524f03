//! Sealed confirmation state: what makes a 2026-07-28 approval the user's.
//!
//! On 2026-07-28 the server cannot ask the user mid-call. It answers an
//! input-required result instead, and the client calls again with the
//! user's answer in `inputResponses`. Anyone can write an `inputResponses`
//! — a model, or text injected into one — so an approval counts only next to
//! the `requestState` this server issued with the question. That state is an
//! HMAC-SHA256 tag over exactly what was asked about:
//!
//! - the caller's [subject](crate::server) (a workspace and its credential),
//! - the tool, and its arguments in canonical JSON (keys sorted, without
//!   `confirm`),
//! - an expiry (five minutes by default) and a random nonce.
//!
//! Only the expiry, the nonce and the tag travel; the rest is re-derived from
//! the retry, so a state for another caller, tool or argument list fails the
//! tag. A nonce is spent on first use and remembered until its expiry, so an
//! approval cannot be replayed against this process.
//!
//! The key comes from `--confirm-key` / `SMARTALEX_CONFIRM_KEY`; without it
//! each process draws its own, which is right for one process and wrong for
//! several behind a load balancer (a state issued by one would fail on
//! another). The spent-nonce set is per process: across replicas sharing a
//! key, the expiry is what bounds a replay of the same approved call.
//!
//! This module never logs the key, and a refusal says why only to the log
//! (at `warn`, without the state): the client sees one answer for all of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// How long the user has to answer, unless configured.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The longest configurable answer window.
pub const MAX_TTL: Duration = Duration::from_secs(900);
/// Keys shorter than this are refused.
pub const MIN_KEY_BYTES: usize = 32;
/// At most this many spent nonces are remembered; past it (after dropping
/// the expired ones) approvals are refused rather than memory grown.
const MAX_SPENT: usize = 100_000;

const VERSION: &str = "c1";
const DOMAIN: &[u8] = b"smartalex-mcp/confirm/v1";
const NONCE: usize = 16;
const TAG: usize = 32;

/// The secret that signs confirmation states.
#[derive(Clone)]
pub struct ConfirmKey(Box<[u8]>);

impl std::fmt::Debug for ConfirmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmKey(…)")
    }
}

/// Why a configured key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the confirmation key must be hex or base64")]
    Encoding,
    #[error("the confirmation key must hold at least {MIN_KEY_BYTES} bytes (got {0})")]
    TooShort(usize),
    #[error("no randomness for a confirmation key: {0}")]
    Random(String),
}

impl ConfirmKey {
    /// A key given as hex (64+ digits) or base64 (standard or URL-safe).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = crate::hex::decode(text)
            .or_else(|| STANDARD.decode(text).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok())
            .ok_or(KeyError::Encoding)?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort(bytes.len()));
        }
        Ok(ConfirmKey(bytes.into()))
    }

    /// A fresh key from the operating system (for a single process).
    pub fn random() -> Result<Self, KeyError> {
        let mut bytes = [0u8; MIN_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(ConfirmKey(bytes.into()))
    }
}

impl std::str::FromStr for ConfirmKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        ConfirmKey::parse(s)
    }
}

/// What a confirmation is about: who asked to run which tool with what.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The caller's opaque subject (see `server.rs`).
    pub subject: &'a [u8],
    pub tool: &'a str,
    /// The call's arguments; `confirm` among them is ignored.
    pub args: &'a Map<String, Value>,
}

/// Why a state was refused (for the log only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no request state")]
    Missing,
    #[error("malformed request state")]
    Malformed,
    #[error("request state issued for another caller, tool or arguments, or tampered with")]
    Forged,
    #[error("request state expired")]
    Expired,
    #[error("request state already used")]
    Replayed,
    #[error("too many confirmations in flight")]
    Busy,
}

/// Issues and redeems confirmation states. One per process, shared by every
/// session and request.
pub struct Sealer {
    key: ConfirmKey,
    ttl: Duration,
    /// Spent nonces, with the expiry (unix ms) after which they cannot
    /// verify anyway.
    spent: Mutex<HashMap<[u8; NONCE], u64>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// `ttl` is clamped to 1 s ..= [`MAX_TTL`].
    pub fn new(key: ConfirmKey, ttl: Duration) -> Self {
        Sealer {
            key,
            ttl: ttl.clamp(Duration::from_secs(1), MAX_TTL),
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// The `requestState` to send with the question.
    pub fn issue(&self, question: &Question<'_>) -> String {
        self.issue_at(question, now_ms())
    }

    /// Check `state` against the retry's own caller, tool and arguments, and
    /// spend it.
    pub fn redeem(&self, state: Option<&str>, question: &Question<'_>) -> Result<(), Refused> {
        self.redeem_at(state.ok_or(Refused::Missing)?, question, now_ms())
    }

    fn issue_at(&self, question: &Question<'_>, now: u64) -> String {
        let expires = now.saturating_add(self.ttl.as_millis() as u64);
        let mut nonce = [0u8; NONCE];
        if getrandom::fill(&mut nonce).is_err() {
            // Uniqueness is all a nonce needs; the tag still needs the key.
            nonce[..8].copy_from_slice(&now.to_be_bytes());
            nonce[8..].copy_from_slice(&next_count().to_be_bytes());
        }
        let tag = self.tag(question, expires, &nonce);
        let mut body = Vec::with_capacity(8 + NONCE + TAG);
        body.extend_from_slice(&expires.to_be_bytes());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&tag);
        format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(body))
    }

    fn redeem_at(&self, state: &str, question: &Question<'_>, now: u64) -> Result<(), Refused> {
        let body = state
            .strip_prefix(VERSION)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|b64| b64.len() <= 128)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .filter(|body| body.len() == 8 + NONCE + TAG)
            .ok_or(Refused::Malformed)?;
        let (expires, rest) = body.split_at(8);
        let (nonce, tag) = rest.split_at(NONCE);
        let expires = u64::from_be_bytes(expires.try_into().expect("split at 8"));
        let nonce: [u8; NONCE] = nonce.try_into().expect("split at NONCE");
        self.mac(question, expires, &nonce)
            .verify_slice(tag)
            .map_err(|_| Refused::Forged)?;
        if now >= expires {
            return Err(Refused::Expired);
        }
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.contains_key(&nonce) {
            return Err(Refused::Replayed);
        }
        if spent.len() >= MAX_SPENT {
            spent.retain(|_, until| *until > now);
            if spent.len() >= MAX_SPENT {
                return Err(Refused::Busy);
            }
        }
        spent.insert(nonce, expires);
        Ok(())
    }

    fn tag(&self, question: &Question<'_>, expires: u64, nonce: &[u8; NONCE]) -> [u8; TAG] {
        self.mac(question, expires, nonce)
            .finalize()
            .into_bytes()
            .into()
    }

    fn mac(&self, question: &Question<'_>, expires: u64, nonce: &[u8; NONCE]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key.0)
            .expect("HMAC accepts keys of any length");
        let mut field = |bytes: &[u8]| {
            mac.update(&(bytes.len() as u64).to_be_bytes());
            mac.update(bytes);
        };
        field(DOMAIN);
        field(question.subject);
        field(question.tool.as_bytes());
        field(canonical_args(question.args).as_bytes());
        field(&expires.to_be_bytes());
        field(nonce);
        mac
    }
}

/// The arguments as canonical JSON: object keys sorted at every depth, no
/// whitespace, `confirm` left out (it is not part of what is approved).
fn canonical_args(args: &Map<String, Value>) -> String {
    let mut out = String::new();
    let approved = args
        .iter()
        .filter(|(k, _)| k.as_str() != crate::registry::CONFIRM_ARG);
    canonical_object(approved, &mut out);
    out
}

fn canonical_object<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut String) {
    let mut entries: Vec<_> = entries.collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        canonical(value, out);
    }
    out.push('}');
}

fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => canonical_object(map.iter(), out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn next_count() -> u64 {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealer() -> Sealer {
        Sealer::new(ConfirmKey::parse(&"ab".repeat(32)).unwrap(), DEFAULT_TTL)
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn keys_are_hex_or_base64_and_long_enough() {
        assert!(ConfirmKey::parse(&"0f".repeat(32)).is_ok());
        assert!(ConfirmKey::parse(&STANDARD.encode([7u8; 48])).is_ok());
        assert!(ConfirmKey::parse(&URL_SAFE_NO_PAD.encode([250u8; 40])).is_ok());
        assert_eq!(
            ConfirmKey::parse(&"0f".repeat(31)).unwrap_err(),
            KeyError::TooShort(31)
        );
        assert_eq!(
            ConfirmKey::parse("not a key!").unwrap_err(),
            KeyError::Encoding
        );
        assert_eq!(
            format!("{:?}", ConfirmKey::random().unwrap()),
            "ConfirmKey(…)"
        );
    }

    #[test]
    fn a_state_opens_once_for_exactly_its_question() {
        let s = sealer();
        let a = args(json!({"id": "x", "opts": {"b": 1, "a": [1, {"d": 2, "c": 3}]}}));
        let q = Question {
            subject: b"alice",
            tool: "delete_agent",
            args: &a,
        };
        let state = s.issue(&q);
        // Key order and `confirm` do not change what was approved.
        let reordered =
            args(json!({"opts": {"a": [1, {"c": 3, "d": 2}], "b": 1}, "confirm": true, "id": "x"}));
        let same = Question {
            args: &reordered,
            ..q
        };
        let other_args = args(json!({"id": "y", "opts": {"b": 1, "a": [1, {"d": 2, "c": 3}]}}));
        for wrong in [
            Question {
                subject: b"bob",
                ..q
            },
            Question {
                tool: "delete_deal",
                ..q
            },
            Question {
                args: &other_args,
                ..q
            },
        ] {
            assert_eq!(s.redeem(Some(&state), &wrong), Err(Refused::Forged));
        }
        assert_eq!(s.redeem(Some(&state), &same), Ok(()));
        assert_eq!(s.redeem(Some(&state), &q), Err(Refused::Replayed));
        assert_eq!(s.redeem(None, &q), Err(Refused::Missing));
    }

    #[test]
    fn tampered_foreign_and_expired_states_are_refused() {
        let s = sealer();
        let a = args(json!({"id": "x"}));
        let q = Question {
            subject: b"alice",
            tool: "t",
            args: &a,
        };
        let state = s.issue(&q);
        let mut bytes = state.into_bytes();
        let at = bytes.len() - 10; // inside the tag
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(s.redeem(Some(&tampered), &q), Err(Refused::Forged));
        for junk in ["", "c1.", "c1.!!!!", "c2.AAAA", &"c1.".repeat(100)] {
            assert_eq!(s.redeem(Some(junk), &q), Err(Refused::Malformed), "{junk}");
        }
        let other = Sealer::new(ConfirmKey::random().unwrap(), DEFAULT_TTL);
        assert_eq!(other.redeem(Some(&s.issue(&q)), &q), Err(Refused::Forged));
        let old = s.issue_at(&q, now_ms() - DEFAULT_TTL.as_millis() as u64 - 1);
        assert_eq!(s.redeem(Some(&old), &q), Err(Refused::Expired));
        // Moving the expiry forward breaks the tag.
        let mut body = URL_SAFE_NO_PAD.decode(&old[3..]).unwrap();
        body[..8].copy_from_slice(&u64::MAX.to_be_bytes());
        let extended = format!("c1.{}", URL_SAFE_NO_PAD.encode(body));
        assert_eq!(s.redeem(Some(&extended), &q), Err(Refused::Forged));
    }
}
