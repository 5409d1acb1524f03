//! The TLS provider, chosen once: rustls with ring.
//!
//! reqwest's own choice, aws-lc-rs, builds a whole C crypto library (its
//! `aws-lc-sys` was the slowest crate of a clean build); ring is far
//! smaller. reqwest then needs the provider installed process-wide before
//! it builds a client, which [`crate::connect`] does, and so does
//! [`http_client`] for code that builds its own `reqwest::Client`.

/// Make ring the process's rustls provider, unless one is set already
/// (by this crate earlier, or by the application).
pub fn install_tls_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// `reqwest::Client::builder()`, with the TLS provider installed: what a
/// program that builds its own client (instead of [`crate::connect`])
/// should start from. `Client::new` builds one with reqwest's defaults,
/// so call [`install_tls_provider`] before it.
pub fn http_client() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tls_client_builds() {
        super::http_client().build().expect("a TLS-capable client");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
