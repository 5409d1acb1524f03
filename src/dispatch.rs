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
//!
//! A request is built with reqwest's builder either way, so the generated
//! code has one form; it goes out over [`crate::http1`]'s plain connection
//! where the gateway allows one, and through reqwest and the SDK's hooks
//! otherwise. Both hand the same three things to [`sort`], which alone
//! decides what the tool answers.

use std::sync::OnceLock;

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, RETRY_AFTER};

use crate::error::{CallError, GatewayError, snippet};
use crate::http1::{Plain, Want, idempotent};
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

/// Where a call goes: the SDK's client, and the plain-HTTP connection that
/// carries its requests when the gateway can be reached without TLS or a
/// proxy ([`crate::http1`] says why).
#[derive(Debug)]
pub(crate) struct Upstream {
    sdk: crate::Client,
    plain: Option<Plain>,
}

impl Upstream {
    pub(crate) fn new(sdk: crate::Client, plain: Option<Plain>) -> Self {
        Self { sdk, plain }
    }
}

/// A request to `path` with the headers every SDK request carries.
pub(crate) fn request(
    client: &Upstream,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let base = client.sdk.baseurl();
    let http = client.sdk.client();
    let builder = match url(base, path) {
        Some(url) => http.request(method, url),
        // Not a URL the gateway's base could join: let reqwest parse the
        // whole text and report it as it always has.
        None => http.request(method, format!("{base}{path}")),
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

/// Send `request` and sort the answer: the success status's bytes, or a
/// [`CallError`]. `success` is the operation's success status; `documented`
/// are the error statuses the spec lists for it.
pub(crate) async fn send(
    client: &Upstream,
    request: reqwest::RequestBuilder,
    success: u16,
    documented: &[u16],
) -> Result<Reply, CallError> {
    let request = request.build().map_err(|e| transport(&e))?;
    if let Some(plain) = &client.plain
        && let Some(message) = plain.message(&request)
    {
        let answer = plain
            .send(&message, idempotent(request.method()), |status| {
                wanted(status, success, documented)
            })
            .await?;
        return sort(
            answer.status,
            answer.retry_after,
            answer.body,
            success,
            documented,
        );
    }
    send_reqwest(&client.sdk, request, success, documented).await
}

/// [`send`] through reqwest and the SDK's hooks (so the same size bound
/// applies): TLS, proxies, and anything [`Plain`] does not carry.
async fn send_reqwest(
    client: &crate::Client,
    request: reqwest::Request,
    success: u16,
    documented: &[u16],
) -> Result<Reply, CallError> {
    let info = OperationInfo {
        operation_id: "mcp",
    };
    let mut response = client
        .exec(request, &info)
        .await
        .map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    let header_retry = retry_after(response.headers());
    let body = match wanted(status, success, documented) {
        // The SDK's hook bounds the whole body.
        Want::All(_) => response.bytes().await.map_err(|e| transport(&e))?,
        Want::Prefix(most) => {
            let mut body = Vec::new();
            while body.len() < most {
                match response.chunk().await.map_err(|e| transport(&e))? {
                    Some(chunk) => body.extend_from_slice(&chunk),
                    None => break,
                }
            }
            Bytes::from(body)
        }
    };
    sort(status, header_retry, body, success, documented)
}

/// How much of an answer with `status` is read: all of a status the spec
/// lists (up to the bound on any answer), and of any other status only the
/// first bytes, which describe it.
fn wanted(status: u16, success: u16, documented: &[u16]) -> Want {
    if status == success || documented.contains(&status) {
        Want::All(crate::MAX_RESPONSE_BYTES)
    } else {
        Want::Prefix(MAX_ERROR_BODY)
    }
}

/// The answer `status`, `body` as the tool sees it.
fn sort(
    status: u16,
    header_retry: Option<u64>,
    body: Bytes,
    success: u16,
    documented: &[u16],
) -> Result<Reply, CallError> {
    if status == success {
        return Ok(Reply { status, body });
    }
    if !documented.contains(&status) {
        return Err(unexpected(status, header_retry, &body));
    }
    match serde_json::from_slice::<types::Error>(&body) {
        Ok(error) => Err(gateway_error(status, error, header_retry)),
        Err(e) => {
            let trimmed = body.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(trimmed, Some(b'{') | Some(b'[')) {
                Err(CallError::BadPayload(e.to_string()))
            } else {
                Err(CallError::NonJson {
                    status: None,
                    snippet: snippet(&body),
                })
            }
        }
    }
}

/// A status the spec does not list for this operation (a proxy's 502, the
/// gateway's `No route found` 404 on a route it lacks, ...).
fn unexpected(status: u16, header_retry: Option<u64>, body: &[u8]) -> CallError {
    match serde_json::from_slice::<types::Error>(body) {
        Ok(err) => gateway_error(status, err, header_retry),
        Err(_) if status < 300 => CallError::BadPayload(format!("unexpected status {status}")),
        Err(_) => CallError::NonJson {
            status: Some(status),
            snippet: snippet(body),
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

    /// Both transports, given the same answers by a loopback gateway, send
    /// the same requests and sort every answer the same way.
    #[tokio::test]
    async fn both_transports_send_the_same_request_and_sort_the_same_answer() {
        use crate::http1::tests::{canned, ok};
        let raw = |status: &str, headers: &str, body: &str| {
            let head = format!(
                "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n",
                body.len()
            );
            ([head.as_bytes(), body.as_bytes()].concat(), false)
        };
        let answers = || {
            vec![
                ok(r#"{"data":[],"total":0}"#),
                raw(
                    "429 Too Many Requests",
                    "retry-after: 7\r\ncontent-type: application/json\r\n",
                    r#"{"error":"Too many requests"}"#,
                ),
                raw(
                    "502 Bad Gateway",
                    "content-type: text/html\r\n",
                    "<html><body>Bad Gateway</body></html>",
                ),
                raw(
                    "404 Not Found",
                    "",
                    r#"{"error":"No route found for GET /contacts"}"#,
                ),
                raw("500 Internal Server Error", "", "oops"),
                raw("400 Bad Request", "", "{not json"),
                (
                    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
                        .to_vec(),
                    false,
                ),
                raw("201 Created", "", r#"{"id":"x"}"#),
                raw("200 OK", "", &"x".repeat(crate::MAX_RESPONSE_BYTES + 1)),
            ]
        };
        let key = smartalex::ApiKey::parse("sa_test_abcdefgh1234").unwrap();
        let timeouts = smartalex::Timeouts::default();
        let mut results = Vec::new();
        let mut requests = Vec::new();
        for plain in [false, true] {
            let gw = canned(answers()).await;
            let sdk = smartalex::connect(&gw.url, Some(&key), timeouts).unwrap();
            let direct =
                plain.then(|| Plain::direct(&gw.url, Some(key.expose()), timeouts).unwrap());
            let upstream = Upstream::new(sdk, direct);
            let list = serde_json::json!({"per_page": 25});
            let contact = serde_json::json!({"first_name": "Ada", "email": "ada@example.com"});
            // Seven answers to a list, one to a create, the last to a list.
            let calls = std::iter::repeat_n(("smartalex_list_contacts", &list), 7)
                .chain([("smartalex_create_contact", &contact)])
                .chain([("smartalex_list_contacts", &list)]);
            let mut sorted = Vec::new();
            for (tool, args) in calls {
                let args = crate::args::Args::new(args.as_object().unwrap().clone());
                sorted.push(format!("{:?}", dispatch(&upstream, tool, args).await));
            }
            results.push(sorted);
            // What the gateway read, its host's port aside, header order aside.
            let host = gw.url.trim_start_matches("http://").to_owned();
            let seen: Vec<(Vec<String>, String)> = gw
                .seen
                .lock()
                .unwrap()
                .iter()
                .map(|r| {
                    let text = String::from_utf8(r.clone()).unwrap().replace(&host, "HOST");
                    let (head, body) = text.split_once("\r\n\r\n").unwrap();
                    let mut lines: Vec<String> =
                        head.lines().map(str::to_ascii_lowercase).collect();
                    lines[1..].sort();
                    (lines, body.to_owned())
                })
                .collect();
            requests.push(seen);
        }
        assert_eq!(results[0], results[1]);
        assert_eq!(requests[0], requests[1]);
        assert_eq!(requests[0].len(), 9);
        // The cases are what they say they are.
        let expected = [
            (0, "Ok(Reply { status: 200"),
            (1, "Err(Gateway(GatewayError { status: 429"),
            (2, "Err(NonJson { status: Some(502)"),
            (5, "Err(BadPayload"),
            (7, "Ok(Reply { status: 201"),
            (8, "Err(TooLarge"),
        ];
        for (n, start) in expected {
            assert!(results[0][n].starts_with(start), "{n}: {}", results[0][n]);
        }
        assert!(results[0][1].contains("retry_after: Some(7)"));
        assert!(requests[0][7].1.contains("\"first_name\":\"Ada\""));
    }

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
