//! From tool name to gateway call, and from gateway answer to [`Reply`].
//!
//! The `match` itself is generated: one arm per operation, each pulling the
//! SDK's typed parameters and body out of the arguments (as the progenitor
//! method would take them) and building the request with [`request`]. The
//! answer's bytes are not deserialized here: [`send`] returns them as they
//! came, and the registry checks them against the tool's output schema and
//! writes the result in one pass ([`crate::shape`]). What [`send`] does
//! decide is every way a call can fail, as a typed [`CallError`] keeping
//! the status, the gateway's `error` text and `Retry-After`, so the message
//! at the edge can be exact.

use std::sync::OnceLock;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, RETRY_AFTER};

use crate::error::{CallError, GatewayError, snippet};
use smartalex::types;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/dispatch.rs"));
}

pub(crate) use generated::{dispatch, explain};

/// The most of an unexpected body we read to describe it.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A successful gateway answer, unparsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// A request to `path` with the headers every SDK request carries.
pub(crate) fn request(
    client: &crate::Client,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let http = client.client();
    let builder = match url(client.baseurl(), path) {
        Some(url) => http.request(method, url),
        // Not a URL the gateway's base could join: let reqwest parse the
        // whole text and report it as it always has.
        None => http.request(method, format!("{}{path}", client.baseurl())),
    };
    builder
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(
            HeaderName::from_static("api-version"),
            HeaderValue::from_static(crate::Client::api_version()),
        )
}

/// `base` followed by `path`, as `Url::parse` would read the two joined,
/// without parsing the base again on every call.
///
/// Parsing the base is most of what reading a gateway URL costs (scheme,
/// host name through IDNA, port), and it is the same on every call of the
/// process: the first base seen is parsed once and kept, and each call
/// clones it and sets only its path. Any other base (there is one per
/// process, but nothing here assumes it), or one with a query or fragment
/// that a joined path would land inside, is parsed whole as before.
fn url(base: &str, path: &str) -> Option<url::Url> {
    static FIRST: OnceLock<(String, Option<url::Url>)> = OnceLock::new();
    let (seen, parsed) = FIRST.get_or_init(|| (base.to_owned(), url::Url::parse(base).ok()));
    parsed
        .as_ref()
        .filter(|_| seen == base)
        .and_then(|parsed| join(parsed, path))
        .or_else(|| url::Url::parse(&format!("{base}{path}")).ok())
}

/// `path` (absolute, no query or fragment) after the parsed base's own
/// path; `None` where that would not be what parsing the joined text gives.
fn join(base: &url::Url, path: &str) -> Option<url::Url> {
    if base.cannot_be_a_base()
        || base.query().is_some()
        || base.fragment().is_some()
        || !path.starts_with('/')
        || path.contains(['?', '#'])
    {
        return None;
    }
    let prefix = base.path().trim_end_matches('/');
    let mut joined = String::with_capacity(prefix.len() + path.len());
    joined.push_str(prefix);
    joined.push_str(path);
    let mut url = base.clone();
    url.set_path(&joined);
    Some(url)
}

/// Send `request` through the SDK's hooks (so the same size bound applies)
/// and sort the answer: the success status's bytes, or a [`CallError`].
/// `success` is the operation's success status; `documented` are the error
/// statuses the spec lists for it.
pub(crate) async fn send(
    client: &crate::Client,
    request: reqwest::RequestBuilder,
    success: u16,
    documented: &[u16],
) -> Result<Reply, CallError> {
    let request = request.build().map_err(|e| transport(&e))?;
    let info = OperationInfo {
        operation_id: "mcp",
    };
    let response = client
        .exec(request, &info)
        .await
        .map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    let header_retry = retry_after(response.headers());
    if status == success {
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        return Ok(Reply { status, body });
    }
    if !documented.contains(&status) {
        return Err(unexpected(response).await);
    }
    let bytes = response.bytes().await.map_err(|e| transport(&e))?;
    match serde_json::from_slice::<types::Error>(&bytes) {
        Ok(body) => Err(gateway_error(status, body, header_retry)),
        Err(e) => {
            let trimmed = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(trimmed, Some(b'{') | Some(b'[')) {
                Err(CallError::BadPayload(e.to_string()))
            } else {
                Err(CallError::NonJson {
                    status: None,
                    snippet: snippet(&bytes),
                })
            }
        }
    }
}

/// A status the spec does not list for this operation (a proxy's 502, the
/// gateway's `No route found` 404 on a route it lacks, ...).
async fn unexpected(mut response: reqwest::Response) -> CallError {
    let status = response.status().as_u16();
    let header_retry = retry_after(response.headers());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return transport(&e),
        }
    }
    match serde_json::from_slice::<types::Error>(&body) {
        Ok(err) => gateway_error(status, err, header_retry),
        Err(_) if status < 300 => CallError::BadPayload(format!("unexpected status {status}")),
        Err(_) => CallError::NonJson {
            status: Some(status),
            snippet: snippet(&body),
        },
    }
}

/// The gateway's own error answer; its `retryAfter` wins over the header.
fn gateway_error(status: u16, body: types::Error, header_retry: Option<u64>) -> CallError {
    CallError::Gateway(GatewayError {
        status,
        error: body.error,
        message: body.message,
        retry_after: body
            .retry_after
            .and_then(|s| u64::try_from(s).ok())
            .or(header_retry),
    })
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

fn transport(e: &reqwest::Error) -> CallError {
    if crate::is_too_large(e) {
        return CallError::TooLarge {
            limit: crate::MAX_RESPONSE_BYTES,
        };
    }
    if e.is_timeout() {
        return CallError::Timeout { seconds: 0 };
    }
    if e.is_connect() {
        let origin = e
            .url()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|| "the configured URL".to_owned());
        return CallError::Unreachable { origin };
    }
    // reqwest's Display for a request error includes the URL, which has no
    // secret (the key travels in a header); the source chain says why.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    CallError::Transport(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a call's URL was before: the base and the path joined, then
    /// parsed whole.
    fn parsed_whole(base: &str, path: &str) -> Option<url::Url> {
        url::Url::parse(&format!("{base}{path}")).ok()
    }

    #[test]
    fn a_joined_url_is_the_one_parsing_the_whole_text_gives() {
        let ids = [
            "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
            "a b",
            "..",
            ".",
            "%2F",
            "caf\u{e9}",
            "x;y=z",
        ];
        let bases = [
            "http://127.0.0.1:8080",
            "https://api.smartalex.io/v1",
            "http://[::1]:9/prefix/deeper",
            "https://B\u{fc}cher.example",
            "https://api.smartalex.io/v1?tenant=7",
        ];
        for base in bases {
            let parsed = url::Url::parse(base).unwrap();
            let plain = parsed.query().is_none();
            let mut paths = vec![
                "/contacts".to_owned(),
                "/calls/recent".to_owned(),
                "/".to_owned(),
            ];
            paths.extend(
                ids.iter()
                    .map(|id| format!("/contacts/{}", progenitor_client::encode_path(id))),
            );
            for path in &paths {
                let joined = join(&parsed, path);
                // Taken wherever the base has no query of its own ...
                assert_eq!(joined.is_some(), plain, "{base} {path}");
                // ... and then exactly what the whole text parses to.
                if joined.is_some() {
                    assert_eq!(joined, parsed_whole(base, path), "{base} {path}");
                }
                assert_eq!(url(base, path), parsed_whole(base, path), "{base} {path}");
            }
            // Text that is not a bare path is left to the whole parse.
            for odd in ["contacts", "/contacts?page=2", "/a#b"] {
                assert_eq!(join(&parsed, odd), None, "{base} {odd}");
                assert_eq!(url(base, odd), parsed_whole(base, odd), "{base} {odd}");
            }
        }
        assert_eq!(url("not a url", "/contacts"), None);
    }
}
