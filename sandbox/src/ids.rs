//! Identifiers, secrets and the sandbox's deterministic pseudo-randomness.
//!
//! Secrets (API keys, webhook signing secrets) and ids come from the OS
//! (`getrandom`). Simulations (which numbers a search offers, how a test
//! call goes) use a small seeded generator so the same inputs give the same
//! story, which is what makes the test-mode dialer testable.

use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(e) = getrandom::fill(&mut bytes) {
        // Never seen on supported platforms; degrade to a hash of time and
        // a counter rather than abort a request.
        tracing::error!(error = %e, "OS randomness unavailable; using a time-based fallback");
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut seed = Sha256::new();
        seed.update(nanos.to_le_bytes());
        seed.update(n.to_le_bytes());
        seed.update(std::process::id().to_le_bytes());
        let digest = seed.finalize();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = digest[i % digest.len()] ^ (i as u8);
        }
    }
    bytes
}

/// A new random (version 4) UUID, lower-case and hyphenated.
pub(crate) fn new_id() -> String {
    uuid::Builder::from_random_bytes(random_bytes::<16>())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Hex SHA-256 of `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A small seeded generator (splitmix64) for simulations, never for secrets.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// Seeded from the OS.
    pub(crate) fn random() -> Self {
        Rng(u64::from_le_bytes(random_bytes::<8>()))
    }

    /// The same parts always give the same sequence.
    pub(crate) fn seeded(parts: &[&str]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0]);
        }
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        Rng(u64::from_le_bytes(first))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v4_uuids() {
        let id = new_id();
        let parsed = uuid::Uuid::parse_str(&id).expect("valid uuid");
        assert_eq!(parsed.get_version_num(), 4);
        assert_ne!(id, new_id());
    }

    #[test]
    fn seeded_rng_is_deterministic() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::seeded(&["x", "y"]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::seeded(&["x", "y"]);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }
}
