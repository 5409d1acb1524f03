//! Who the client is when the socket peer is a reverse proxy or load
//! balancer.
//!
//! The per-IP rate limits and the access log need the client's address.
//! Behind a proxy the socket peer is the proxy, so every client would share
//! one budget. With `--trusted-proxy CIDR…` the client is read from the
//! header those proxies set — `X-Forwarded-For` (the default) or RFC 7239
//! `Forwarded: for=` (`--forwarded-header forwarded`) — and only when the
//! peer is one of them: from anyone else the header is ignored, since a
//! client can send whatever it likes.
//!
//! Proxies append the address they received the request from, so the list
//! is walked from the right, skipping trusted hops; the first untrusted
//! address is the client (anything left of it was written by the client
//! and proves nothing). If every hop is trusted, the leftmost is the client.
//! An entry that is not an address (`unknown`, an obfuscated `_name`, junk)
//! stops the walk: the client is then the nearest trusted hop, so a bad
//! header can only cost the proxy's own budget, never borrow another
//! client's.
//!
//! Only one header is read, the one named: a proxy appends to its own header
//! and passes the other through untouched, so reading both would let a
//! client pick its address.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use axum::http::HeaderMap;

/// At most this many hops are walked (from the right); a longer chain of
/// trusted proxies is not a real deployment.
const MAX_HOPS: usize = 32;

/// An address block, `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a `--trusted-proxy` value is not a CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR {value:?}: {why}")]
pub struct CidrError {
    value: String,
    why: &'static str,
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(value: &str) -> Result<Self, CidrError> {
        let fail = |why| CidrError {
            value: value.to_owned(),
            why,
        };
        let (address, prefix) = match value.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (value.trim(), None),
        };
        let network = address
            .parse::<IpAddr>()
            .map_err(|_| fail("expected an IPv4 or IPv6 address, then /PREFIX"))?
            .to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(|| {
                fail(if bits == 32 {
                    "the prefix must be 0 to 32"
                } else {
                    "the prefix must be 0 to 128"
                })
            })?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// Which header the trusted proxies set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(format!(
                "expected x-forwarded-for or forwarded, got {value:?}"
            )),
        }
    }
}

/// The proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    blocks: Vec<Cidr>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn new(blocks: Vec<Cidr>, header: ForwardedHeader) -> Self {
        TrustedProxies { blocks, header }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => hops(headers, "x-forwarded-for", whole),
            ForwardedHeader::Forwarded => hops(headers, "forwarded", forwarded_for),
        };
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = hop.as_deref().and_then(node) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// The entries of every `name` header, left to right: `entry` picks the
/// address part of each comma-separated element (`None`: none there).
fn hops(
    headers: &HeaderMap,
    name: &str,
    entry: impl Fn(&str) -> Option<&str>,
) -> Vec<Option<String>> {
    let mut hops = Vec::new();
    for value in headers.get_all(name) {
        match value.to_str() {
            Ok(text) => hops.extend(text.split(',').map(|e| entry(e).map(str::to_owned))),
            // Not ASCII: nothing in it can be trusted, nor anything left of it.
            Err(_) => {
                hops.clear();
                hops.push(None);
            }
        }
    }
    hops
}

/// An `X-Forwarded-For` element is the address.
fn whole(element: &str) -> Option<&str> {
    Some(element)
}

/// The `for=` value of one RFC 7239 element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// An address, with or without a port: `192.0.2.1`, `192.0.2.1:80`,
/// `2001:db8::1`, `[2001:db8::1]:443`.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (v6, _) = rest.split_once(']')?;
        return v6
            .parse::<Ipv6Addr>()
            .ok()
            .map(|ip| IpAddr::V6(ip).to_canonical());
    }
    let bare = match text.split_once(':') {
        // Exactly one colon: an IPv4 address and a port.
        Some((v4, port)) if !port.contains(':') => v4,
        _ => text,
    };
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cidr(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    fn with(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cidrs_parse_and_match() {
        let ten = cidr("10.0.0.0/8");
        assert!(ten.contains(ip("10.255.1.2")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6");
        assert!(cidr("192.168.1.0/23").contains(ip("192.168.0.77")));
        assert!(!cidr("192.168.1.0/23").contains(ip("192.168.2.1")));
        assert!(cidr("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!cidr("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(!cidr("0.0.0.0/0").contains(ip("2001:db8::1")));
        let v6 = cidr("2001:db8:abcd::/48");
        assert!(v6.contains(ip("2001:db8:abcd:12::1")));
        assert!(!v6.contains(ip("2001:db8:abce::1")));
        assert!(cidr("::/0").contains(ip("::1")));
        assert!(cidr(" fd00::/7 ").contains(ip("fdff::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/-1",
            "host/8",
            "10.0.0.0/",
        ] {
            let e = bad.parse::<Cidr>().unwrap_err();
            assert!(e.to_string().starts_with("invalid CIDR"), "{bad}: {e}");
        }
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        let proxies = TrustedProxies::new(vec![cidr("10.0.0.0/8")], ForwardedHeader::XForwardedFor);
        let h = with("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn x_forwarded_for_is_walked_from_the_right() {
        let proxies = TrustedProxies::new(
            vec![cidr("10.0.0.0/8"), cidr("2001:db8::/32")],
            ForwardedHeader::XForwardedFor,
        );
        let client =
            |values: &[&str]| proxies.client(ip("10.0.0.2"), &with("x-forwarded-for", values));
        // The client's own claim (1.1.1.1) is left of the real client.
        assert_eq!(
            client(&["1.1.1.1, 203.0.113.9, 10.0.0.5"]),
            ip("203.0.113.9")
        );
        // Several header lines are one list.
        assert_eq!(
            client(&["1.1.1.1", "203.0.113.9:5123", "10.0.0.5"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(&["[2001:db8::7]:80, 2001:db8::8"]),
            ip("2001:db8::7")
        );
        assert_eq!(client(&["198.51.100.4 , 2001:db8::8"]), ip("198.51.100.4"));
        // All trusted: the leftmost.
        assert_eq!(client(&["10.1.1.1, 10.2.2.2"]), ip("10.1.1.1"));
        // No header: the peer.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
        // Junk stops the walk at the nearest trusted hop.
        assert_eq!(client(&["203.0.113.9, unknown, 10.0.0.5"]), ip("10.0.0.5"));
        assert_eq!(client(&["203.0.113.9, "]), ip("10.0.0.2"));
        // Forwarded is not read when X-Forwarded-For is the configured one.
        let h = with("forwarded", &["for=203.0.113.9"]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_for_is_rfc_7239() {
        let proxies = TrustedProxies::new(vec![cidr("10.0.0.0/8")], ForwardedHeader::Forwarded);
        let client = |values: &[&str]| proxies.client(ip("10.0.0.2"), &with("forwarded", values));
        assert_eq!(
            client(&[
                "for=1.1.1.1, For=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.9.9.9;by=10.0.0.2"
            ]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client(&["proto=http;for=192.0.2.60:8080"]),
            ip("192.0.2.60")
        );
        assert_eq!(
            client(&["for=192.0.2.60", "for=10.3.3.3"]),
            ip("192.0.2.60")
        );
        assert_eq!(client(&["for=192.0.2.60, for=_hidden"]), ip("10.0.0.2"));
        assert_eq!(client(&["for=192.0.2.60, proto=https"]), ip("10.0.0.2"));
        assert_eq!(client(&["for=unknown"]), ip("10.0.0.2"));
        let h = with("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn long_chains_are_bounded() {
        let proxies = TrustedProxies::new(vec![cidr("10.0.0.0/8")], ForwardedHeader::XForwardedFor);
        let chain = vec!["10.0.0.1"; 1000].join(",");
        let h = with("x-forwarded-for", &[&format!("203.0.113.9,{chain}")]);
        assert_eq!(proxies.client(ip("10.0.0.2"), &h), ip("10.0.0.1"));
    }
}
