//! PKCE (RFC 7636), S256 only.
//!
//! OAuth 2.1 requires PKCE for every client, and `plain` proves nothing an
//! eavesdropper on the authorization response does not already have, so
//! the sandbox accepts only `S256`: the client sends
//! `BASE64URL(SHA256(verifier))` when it asks for a code, and the verifier
//! itself when it redeems the code. This module must never log a verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The only supported `code_challenge_method`.
pub(crate) const METHOD: &str = "S256";

/// Why a PKCE parameter is refused (the text is an `error_description`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PkceError {
    #[error("code_challenge is required")]
    MissingChallenge,
    #[error("code_challenge_method is required and must be S256")]
    MissingMethod,
    #[error("code_challenge_method must be S256 (plain is not supported)")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 base64url characters (an S256 digest)")]
    MalformedChallenge,
    #[error("code_verifier must be 43-128 characters of [A-Za-z0-9-._~]")]
    MalformedVerifier,
}

/// Check the authorization request's challenge and method.
pub(crate) fn check_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<(), PkceError> {
    let challenge = challenge.ok_or(PkceError::MissingChallenge)?;
    match method {
        None => return Err(PkceError::MissingMethod),
        Some(METHOD) => {}
        Some(_) => return Err(PkceError::UnsupportedMethod),
    }
    // An S256 challenge is a 32-byte digest: exactly 43 unpadded base64url characters.
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(PkceError::MalformedChallenge)
    }
}

/// `BASE64URL(SHA256(verifier))`.
fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Does `verifier` (well-formed per RFC 7636 §4.1) match `challenge`?
pub(crate) fn verify(verifier: &str, challenge: &str) -> Result<bool, PkceError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(PkceError::MalformedVerifier);
    }
    Ok(challenge_of(verifier) == challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(challenge_of(verifier), challenge);
        assert_eq!(verify(verifier, challenge), Ok(true));
        assert_eq!(check_challenge(Some(challenge), Some("S256")), Ok(()));
    }

    #[test]
    fn a_wrong_verifier_does_not_match() {
        let challenge = challenge_of(&"a".repeat(43));
        assert_eq!(verify(&"b".repeat(43), &challenge), Ok(false));
        assert_eq!(verify(&"a".repeat(43), &challenge), Ok(true));
    }

    #[test]
    fn verifiers_outside_the_alphabet_or_length_are_refused() {
        let challenge = challenge_of(&"a".repeat(43));
        assert_eq!(
            verify(&"a".repeat(42), &challenge),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            verify(&"a".repeat(129), &challenge),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            verify(&format!("{}+", "a".repeat(43)), &challenge),
            Err(PkceError::MalformedVerifier)
        );
        assert!(verify(&"a~._-".repeat(25), &challenge).is_ok());
    }

    #[test]
    fn only_s256_with_a_digest_sized_challenge() {
        let challenge = challenge_of(&"x".repeat(50));
        assert_eq!(
            check_challenge(None, Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            check_challenge(Some(&challenge), None),
            Err(PkceError::MissingMethod)
        );
        assert_eq!(
            check_challenge(Some(&challenge), Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            check_challenge(Some("short"), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(
            check_challenge(Some(&format!("{}=", &challenge[..42])), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
    }
}
