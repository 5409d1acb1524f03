//! The bearer credentials the sandbox issues, told apart by their prefix:
//! API keys (`sa_test_`, minted by [`auth`](crate::auth)) and OAuth access
//! and refresh tokens (`sa_oat_`, `sa_ort_`, issued by
//! [`oauth`](crate::oauth)) — and what an OAuth scope grants.
//!
//! Both sides need these: the gateway's authentication accepts API keys and
//! access tokens, and the OAuth server issues tokens and introspects both
//! kinds. They live here, below both, so that neither has to import the
//! other for them.

/// The only key prefix the sandbox issues and accepts (`sa_live_` keys belong
/// to production): the SDK's test-key prefix, so both read keys alike.
pub(crate) const KEY_PREFIX: &str = smartalex::TEST_PREFIX;
/// Access tokens: `sa_oat_` + 48 hex characters.
pub(crate) const ACCESS_TOKEN_PREFIX: &str = "sa_oat_";
/// Refresh tokens: `sa_ort_` + 48 hex characters.
pub(crate) const REFRESH_TOKEN_PREFIX: &str = "sa_ort_";

/// Does this (already validated) scope string grant writing?
pub(crate) fn scope_allows_write(scope: &str) -> bool {
    scope.split(' ').any(|s| s == "write")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_write_scope_grants_writing() {
        assert!(scope_allows_write("read write"));
        assert!(!scope_allows_write("read"));
    }

    #[test]
    fn no_prefix_is_another_s_prefix() {
        let prefixes = [KEY_PREFIX, ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX];
        for a in prefixes {
            for b in prefixes {
                assert!(a == b || !a.starts_with(b), "{a} starts with {b}");
            }
        }
    }
}
