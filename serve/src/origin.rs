//! DNS-rebinding and cross-origin protection: which `Host` and `Origin`
//! headers an HTTP server of the workspace answers — cloud mode's MCP endpoint
//! and every route of the sandbox gateway (its API and its OAuth
//! authorization server) alike.
//!
//! A web page can make a browser send requests to `127.0.0.1` — directly, or
//! through a DNS name it rebinds to loopback. The browser then sends the
//! attacker's `Host` (the rebound name) or `Origin` (the page's), so:
//! - `Host` must name this server: a loopback name (any port), the public
//!   URL's host, or one given with `--allow-host`.
//! - `Origin`, when present (browsers send it; native clients usually
//!   don't), must be the public URL's origin, one given with
//!   `--allow-origin` (`:*` allows any port), or — when the server listens on
//!   loopback — a loopback origin, since a page served from this machine is
//!   as trusted as the machine.
//!
//! Anything else is refused with 403 before credentials are even looked at.

use axum::http::{HeaderMap, header};

/// The allowed hosts and origins.
#[derive(Debug, Clone)]
pub struct Origins {
    /// Host names (any port) or `host:port` authorities.
    hosts: Vec<String>,
    /// `scheme://host[:port]`, or `scheme://host:*`.
    origins: Vec<String>,
    loopback_origins: bool,
}

const LOOPBACK: &[&str] = &["localhost", "127.0.0.1", "[::1]", "::1"];

impl Origins {
    /// `public_url`'s host and origin, loopback hosts, and the extras.
    pub fn new(
        public_url: &url::Url,
        extra_hosts: &[String],
        extra_origins: &[String],
        listening_on_loopback: bool,
    ) -> Self {
        let mut hosts: Vec<String> = LOOPBACK.iter().map(|h| (*h).to_owned()).collect();
        if let Some(host) = public_url.host_str() {
            hosts.push(host.to_ascii_lowercase());
        }
        hosts.extend(extra_hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        let mut origins = vec![public_url.origin().ascii_serialization()];
        origins.extend(
            extra_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase()),
        );
        Origins {
            hosts,
            origins,
            loopback_origins: listening_on_loopback,
        }
    }

    /// `Err` with the reason if the request must be refused.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or("missing or unreadable Host header")?;
        if !self.host_allowed(host) {
            return Err("Host header is not allowed");
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().map_err(|_| "unreadable Origin header")?;
            if !self.origin_allowed(origin) {
                return Err("Origin header is not allowed");
            }
        }
        Ok(())
    }

    fn host_allowed(&self, authority: &str) -> bool {
        let authority = authority.trim().to_ascii_lowercase();
        let name = host_of(&authority);
        self.hosts.iter().any(|h| *h == name || *h == authority)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        if self.loopback_origins
            && matches!(scheme, "http" | "https")
            && LOOPBACK.contains(&host_of(authority))
        {
            return true;
        }
        self.origins.iter().any(|allowed| {
            *allowed == origin
                || allowed
                    .strip_suffix(":*")
                    .is_some_and(|prefix| format!("{scheme}://{}", host_of(authority)) == prefix)
        })
    }
}

/// Was this (state-changing) request sent by a page of this very server?
/// Its `Origin` — or, if a browser sent none, its `Referer` — must be
/// `http://` + its own `Host` (the Host itself is checked by
/// [`Origins::check`]). A request with neither is refused: every browser
/// sends `Origin` with a form POST, so only a non-browser would omit both,
/// and it has no business posting an operator's form.
pub fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or("missing or unreadable Host header")?
        .trim()
        .to_ascii_lowercase();
    let own = format!("http://{host}");
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| "unreadable Origin header")?;
        return if origin
            .trim()
            .trim_end_matches('/')
            .eq_ignore_ascii_case(&own)
        {
            Ok(())
        } else {
            Err("the form was posted from another origin")
        };
    }
    let referer = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .ok_or("the form must be posted from this server's page (no Origin or Referer)")?
        .to_ascii_lowercase();
    if referer == own || referer.starts_with(&format!("{own}/")) {
        Ok(())
    } else {
        Err("the form was posted from another origin")
    }
}

/// `host` of `host[:port]`, keeping IPv6 brackets.
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn req(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn loopback_server_refuses_rebinding() {
        let url = url::Url::parse("http://127.0.0.1:8080/mcp").unwrap();
        let o = Origins::new(&url, &[], &[], true);
        assert!(o.check(&req("127.0.0.1:8080", None)).is_ok());
        assert!(
            o.check(&req("localhost:9", Some("http://localhost:6274")))
                .is_ok()
        );
        assert!(o.check(&req("[::1]:8080", None)).is_ok());
        assert_eq!(
            o.check(&req("evil.example.com", None)),
            Err("Host header is not allowed")
        );
        assert_eq!(
            o.check(&req("127.0.0.1:8080", Some("http://evil.example.com"))),
            Err("Origin header is not allowed")
        );
        assert!(o.check(&HeaderMap::new()).is_err());
    }

    #[test]
    fn public_server_allows_its_origin_and_the_configured_ones() {
        let url = url::Url::parse("https://mcp.example.com/mcp").unwrap();
        let o = Origins::new(
            &url,
            &["internal.lb:8443".into()],
            &[
                "https://app.example.com:*".into(),
                "https://claude.ai".into(),
            ],
            false,
        );
        assert!(
            o.check(&req("mcp.example.com", Some("https://mcp.example.com")))
                .is_ok()
        );
        assert!(o.check(&req("internal.lb:8443", None)).is_ok());
        assert!(o.check(&req("internal.lb:9999", None)).is_err());
        assert!(
            o.check(&req(
                "mcp.example.com",
                Some("https://app.example.com:3000")
            ))
            .is_ok()
        );
        assert!(
            o.check(&req("mcp.example.com", Some("https://claude.ai")))
                .is_ok()
        );
        assert!(
            o.check(&req("mcp.example.com", Some("http://localhost:3000")))
                .is_err()
        );
        assert!(o.check(&req("mcp.example.com", Some("null"))).is_err());
    }

    #[test]
    fn same_origin_means_this_host_over_http() {
        assert!(same_origin(&req("127.0.0.1:8787", Some("http://127.0.0.1:8787"))).is_ok());
        assert!(same_origin(&req("127.0.0.1:8787", Some("http://127.0.0.1:8788"))).is_err());
        assert!(same_origin(&req("127.0.0.1:8787", Some("http://localhost:6274"))).is_err());
        assert!(same_origin(&req("127.0.0.1:8787", Some("null"))).is_err());
        assert!(same_origin(&req("127.0.0.1:8787", None)).is_err());
        let mut with_referer = req("127.0.0.1:8787", None);
        with_referer.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:8787/oauth/authorize?x=1"),
        );
        assert!(same_origin(&with_referer).is_ok());
        with_referer.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:87870/x"),
        );
        assert!(same_origin(&with_referer).is_err());
    }
}
