//! Outbound requests to user-supplied URLs (Quick Setup pages, webhook
//! endpoints) without becoming a server-side request forgery tool.
//!
//! Only `http` and `https`. Unless the sandbox was started with
//! `allow_private_urls`, the host is resolved here, every address must be
//! public (not loopback, private, link-local, CGNAT, multicast, documentation
//! or reserved space, including IPv4 hidden in IPv6), and the request is
//! pinned to the checked address so a second DNS answer cannot swap it.
//! Redirects are never followed automatically: callers re-check each hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

/// Why a URL may not be fetched.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum Refusal {
    #[error("Only http and https URLs are supported")]
    Scheme,
    #[error("URL has no host")]
    NoHost,
    #[error("Private and loopback addresses are not allowed")]
    Private,
    #[error("Host could not be resolved")]
    Unresolvable,
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// The settings every outbound client shares.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    smartalex::http_client()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("SmartAlex-Sandbox/", env!("CARGO_PKG_VERSION")))
}

/// Cheap checks that need no DNS: scheme, host, literal private addresses.
pub(crate) fn check_static(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme);
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(Refusal::NoHost)?;
    if allow_private {
        return Ok(());
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let blocked = match bare.parse::<IpAddr>() {
        Ok(ip) => !is_public(ip),
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".internal")
                || d.ends_with(".local")
        }
    };
    if blocked {
        Err(Refusal::Private)
    } else {
        Ok(())
    }
}

/// A client for `url`: the shared one when private addresses are allowed,
/// else one pinned to the resolved, checked public address.
pub(crate) async fn client_for(
    url: &Url,
    shared: &reqwest::Client,
    allow_private: bool,
) -> Result<reqwest::Client, Refusal> {
    check_static(url, allow_private)?;
    if allow_private {
        return Ok(shared.clone());
    }
    let host = url.host_str().ok_or(Refusal::NoHost)?.to_owned();
    if host.parse::<IpAddr>().is_ok() || host.starts_with('[') {
        return Ok(shared.clone());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| Refusal::Unresolvable)?
        .collect();
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(Refusal::Private);
    }
    client_builder()
        .resolve_to_addrs(&host, &addrs)
        .build()
        .map_err(|_| Refusal::Unresolvable)
}

/// Globally routable unicast.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) embeds an IPv4 address.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0) {
        return is_public_v4(Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        ));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || seg[..6].iter().all(|s| *s == 0)) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect(ip)), "{ip} must not be public");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect(ip)), "{ip} is public");
        }
    }

    #[test]
    fn static_checks() {
        let url = |s: &str| Url::parse(s).expect(s);
        assert_eq!(
            check_static(&url("ftp://example.com/"), true),
            Err(Refusal::Scheme)
        );
        assert_eq!(
            check_static(&url("http://localhost:8080/"), false),
            Err(Refusal::Private)
        );
        assert_eq!(
            check_static(&url("http://[::1]/"), false),
            Err(Refusal::Private)
        );
        assert_eq!(check_static(&url("http://127.0.0.1/"), true), Ok(()));
        assert_eq!(check_static(&url("https://example.com/"), false), Ok(()));
    }
}
